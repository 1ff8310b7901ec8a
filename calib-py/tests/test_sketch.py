"""calib.FitSketch from Python: the binding converts; the core's property
tests (tests/tests/sketch_props.rs) carry the invariants. Here: the Python
surface, pickling, errors, and the estimators' fit_sketch."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import calib


def _data(n: int = 5000, seed: int = 1) -> tuple:
    rng = np.random.default_rng(seed)
    s = np.round(rng.normal(size=n), 2)
    y = (rng.random(n) < 1 / (1 + np.exp(-s))).astype(np.float64)
    w = rng.uniform(0.5, 2.0, size=n)
    c = rng.choice(["a", "b"], size=n).tolist()
    return s, y, w, c


def _sketch_in_parts(s: np.ndarray, y: np.ndarray, c: list, parts: int = 4) -> calib.FitSketch:
    acc = calib.FitSketch.empty(has_classes=True)
    for idx in np.array_split(np.arange(len(s)), parts)[::-1]:
        part = calib.FitSketch.from_arrays(s[idx], y[idx], cls=[c[i] for i in idx])
        acc = acc.merge(calib.FitSketch.from_bytes(part.to_bytes()))
    return acc


def test_merged_parts_fit_the_in_memory_model_bitwise() -> None:
    s, y, _, c = _data()
    sk = _sketch_in_parts(s, y, c)
    assert sk == calib.FitSketch.from_arrays(s, y, cls=c)
    assert (sk.rows, sk.has_classes, sk.classes, sk.quantize) == (len(s), True, ["a", "b"], None)
    assert sk.n_distinct == len(np.unique(s))
    got = sk.fit_model(min_class_samples=100, strict=True)
    expect = calib.fit_model(s, y, None, c, min_class_samples=100, strict=True)
    assert got.to_json() == expect.to_json()


def test_estimators_fit_sketch() -> None:
    s, y, w, c = _data(seed=2)
    iso = calib.IsotonicCalibrator().fit_sketch(calib.FitSketch.from_arrays(s, y))
    ref = calib.IsotonicCalibrator().fit(s, y)
    assert iso.X_thresholds_.tobytes() == ref.X_thresholds_.tobytes()
    assert iso.y_thresholds_.tobytes() == ref.y_thresholds_.tobytes()
    assert iso.increasing_ is True
    np.testing.assert_array_equal(iso.predict(s), ref.predict(s))
    weighted = calib.IsotonicCalibrator(increasing=False).fit_sketch(calib.FitSketch.from_arrays(s, 1 - y, w))
    ref_w = calib.IsotonicCalibrator(increasing=False).fit(s, 1 - y, sample_weight=w)
    np.testing.assert_allclose(weighted.predict(s), ref_w.predict(s), rtol=1e-12, atol=1e-15)
    per = calib.ClassCalibrator(min_class_samples=100).fit_sketch(calib.FitSketch.from_arrays(s, y, cls=c))
    ref_c = calib.ClassCalibrator(min_class_samples=100).fit(s, y, c)
    assert per.model_.to_json() == ref_c.model_.to_json() and per.classes_ == ref_c.classes_
    with pytest.raises(ValueError, match="isotonic"):
        calib.ClassCalibrator(method="histogram").fit_sketch(calib.FitSketch.from_arrays(s, y))
    with pytest.raises(calib.CalibError, match="auto"):
        calib.IsotonicCalibrator(increasing="auto").fit_sketch(calib.FitSketch.from_arrays(s, y))


def test_evaluate_and_bootstrap_from_sketches() -> None:
    s, y, w, _ = _data(seed=3)
    model = calib.fit_model(s, y)
    p = model.apply(s)
    got = calib.FitSketch.from_arrays(p, y, w).evaluate(n_bins=12)
    expect = calib.evaluate(p, y, w, n_bins=12)
    for k in expect:
        assert got[k] == pytest.approx(expect[k], rel=1e-12, abs=1e-15), k
    c_hat, aeces = calib.FitSketch.from_arrays(s, y).bootstrap_c_hat(model, resamples=20, min_samples=1000, seed=5)
    ref = calib.bootstrap_c_hat(model.apply(np.sort(s)), resamples=20, min_samples=1000, seed=5)
    assert c_hat == ref[0]
    np.testing.assert_array_equal(aeces, ref[1])


def test_quantize_bytes_pickle_and_errors() -> None:
    s, y, _, _ = _data(seed=4)
    q = calib.FitSketch.from_arrays(s, y, quantize=0.25)
    assert q.quantize == 0.25 and q.n_distinct <= len(np.unique(np.round(s / 0.25)))
    assert pickle.loads(pickle.dumps(q)) == q
    assert calib.FitSketch.from_arrays(s, y, quantize="f32").quantize == "f32"
    with pytest.raises(calib.CalibError, match="quantisation differs"):
        q.merge(calib.FitSketch.from_arrays(s, y))
    data = bytearray(q.to_bytes())
    data[len(data) // 2] ^= 0x10
    with pytest.raises(calib.CalibError, match="checksum"):
        calib.FitSketch.from_bytes(bytes(data))
    with pytest.raises(calib.CalibError, match="truncated|checksum"):
        calib.FitSketch.from_bytes(q.to_bytes()[:30])
    with pytest.raises(calib.CalibError, match="magic"):
        calib.FitSketch.from_bytes(b"not a sketch")
    with pytest.raises(calib.CalibError) as e:
        calib.FitSketch.from_arrays([0.1, 0.2], [0.0, 1.5])
    assert e.value.code == "label_out_of_range" and e.value.index == 1
    with pytest.raises(ValueError, match="quantize"):
        calib.FitSketch.from_arrays(s, y, quantize="f16")
    with pytest.raises(TypeError, match="single str"):
        calib.FitSketch.from_arrays(s, y, cls="a")
    assert "FitSketch(rows=" in repr(q)
