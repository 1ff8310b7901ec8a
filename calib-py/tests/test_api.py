"""calib's Python API: models and files, the calibrators, metrics, arrays at
the boundary, errors."""

from __future__ import annotations

import hashlib
import json
import pickle
from typing import Any

import numpy as np
import pytest
import scipy.sparse

import calib


# --------------------------------------------------------------------------
# Model: files, pickling, apply
# --------------------------------------------------------------------------


def fitted_model(ranker: Any, **kw: Any) -> calib.Model:
    s, y = ranker
    classes = np.array(["web", "news", "shop"])[np.arange(len(s)) % 3]
    return calib.fit_model(s, y, None, classes, min_class_samples=1000, **kw)


def test_model_json_round_trip_is_exact(ranker: Any, tmp_path: Any) -> None:
    m = fitted_model(ranker)
    again = calib.Model.from_json(m.to_json())
    assert again == m and again.to_json() == m.to_json()
    assert calib.Model.from_json(m.to_json(pretty=True)) == m
    path = tmp_path / "model.json"
    m.save(path)
    assert calib.load(path) == m and calib.Model.load(str(path)) == m
    assert json.loads(path.read_text())["schema_version"] == 1
    q = np.linspace(-0.1, 1.1, 1001)
    assert calib.load(path).apply(q, "news").tobytes() == m.apply(q, "news").tobytes()


def test_model_pickles(ranker: Any) -> None:
    m = fitted_model(ranker)
    assert pickle.loads(pickle.dumps(m)) == m


def test_model_digest_is_sha256_of_canonical_bytes(ranker: Any) -> None:
    m = fitted_model(ranker)
    assert m.digest() == hashlib.sha256(m.canonical_json()).hexdigest()
    # Canonical: sorted keys, no whitespace; re-serialising does not change it.
    assert calib.Model.from_json(m.to_json(pretty=True)).digest() == m.digest()
    doc = json.loads(m.canonical_json())
    assert list(doc) == sorted(doc)


def test_model_properties(ranker: Any) -> None:
    m = fitted_model(ranker, epsilon=1e-3, non_finite=0.5, out_of_bounds="nan", strict=True)
    assert m.classes == ["news", "shop", "web"]
    assert (m.method, m.strict, m.out_of_bounds, m.non_finite, m.epsilon) == ("isotonic", True, "nan", 0.5, 1e-3)
    assert fitted_model(ranker).non_finite == "error"
    g = m.map_data()
    assert set(g) == {"x", "y", "increasing", "n", "merged_bins"} and g["n"] == 5000
    assert m.map_data("web")["n"] == 1667
    with pytest.raises(calib.CalibError) as e:
        m.map_data("nope")
    assert e.value.code == "unknown_class"
    assert "Model(method='isotonic'" in repr(m)


def test_apply_classes_none_str_and_per_row(ranker: Any) -> None:
    m = fitted_model(ranker)
    q = np.linspace(0, 1, 9)
    glob, web = m.apply(q), m.apply(q, "web")
    assert not np.array_equal(glob, web)
    # Unknown classes use the global map.
    assert m.apply(q, "unknown").tobytes() == glob.tobytes()
    rows = ["web", "news", "unknown"] * 3
    per_row = m.apply(q, rows)
    for i, c in enumerate(rows):
        assert per_row[i] == m.apply_one(q[i], c) == m.apply(q[i : i + 1], c)[0]
    assert m.apply(q, np.array(rows)).tobytes() == per_row.tobytes()
    with pytest.raises(calib.CalibError) as e:
        m.apply(q, rows[:-1])
    assert e.value.code == "length_mismatch"
    with pytest.raises(TypeError):
        m.apply(q, [1, 2, 3, 4, 5, 6, 7, 8, 9])


def test_apply_counted_reports_the_clamp_rate(ranker: Any) -> None:
    m = fitted_model(ranker, non_finite=0.5)
    out, stats = m.apply_counted([np.nan, -1.0, 0.5, 2.0, np.inf])
    assert stats == {"n": 5, "out_of_range": 2, "non_finite": 2, "clamp_rate": 0.8}
    assert out[0] == 0.5 and out[4] == 0.5


def test_apply_errors_name_the_row(ranker: Any) -> None:
    m = fitted_model(ranker, out_of_bounds="error")
    with pytest.raises(calib.CalibError) as e:
        m.apply(np.array([0.5, 0.5, 7.0]))
    assert (e.value.code, e.value.index, e.value.value, e.value.what) == ("out_of_bounds", 2, 7.0, "scores")
    # float32 batches are widened in chunks: the index is still the caller's row.
    s = np.full(5000, 0.5, dtype=np.float32)
    s[4321] = np.nan
    with pytest.raises(calib.CalibError) as e:
        m.apply(s)
    assert (e.value.code, e.value.index) == ("non_finite_input", 4321)
    rows = ["web"] * 5000
    with pytest.raises(calib.CalibError) as e:
        m.apply(s, rows)
    assert (e.value.code, e.value.index) == ("non_finite_input", 4321)


def test_bad_model_files_are_refused() -> None:
    for text, fragment in [
        ("not json", "not valid JSON"),
        ('{"schema_version": 2}', "unsupported schema_version 2"),
        ("{}", "missing or non-integer schema_version"),
    ]:
        with pytest.raises(calib.CalibError, match=fragment) as e:
            calib.Model.from_json(text)
        assert e.value.code == "bad_model"
    with pytest.raises(FileNotFoundError):
        calib.load("/nonexistent/model.json")


# --------------------------------------------------------------------------
# Calibrators
# --------------------------------------------------------------------------


def test_isotonic_calibrator_model_matches_the_estimator(ranker: Any, tmp_path: Any) -> None:
    s, y = ranker
    cal = calib.IsotonicCalibrator().fit(s, y)
    q = np.linspace(-0.2, 1.2, 3001)
    m = cal.to_model()
    assert m.apply(q).tobytes() == cal.predict(q).tobytes()
    cal.save(tmp_path / "iso.json")
    assert calib.load(tmp_path / "iso.json").apply(q).tobytes() == cal.predict(q).tobytes()
    assert json.loads(cal.to_json())["method"] == "isotonic"
    assert cal.predict_one(0.37) == cal.predict([0.37])[0]


def test_regression_targets_fit_but_are_not_a_model() -> None:
    cal = calib.IsotonicCalibrator().fit([1, 2, 3, 4], [10.0, 30.0, 20.0, 40.0])
    assert cal.predict([2.5]).tolist() == [25.0]
    with pytest.raises(calib.CalibError) as e:
        cal.to_model()
    assert e.value.code == "bad_model" and "outside [0, 1]" in str(e.value)


def test_strict_mode_never_ties_items_within_the_range(ranker: Any) -> None:
    s, y = ranker
    plain = calib.IsotonicCalibrator().fit(s, y)
    strict = calib.IsotonicCalibrator(strict=True).fit(s, y)
    q = np.sort(s[(s > strict.X_min_) & (s < strict.X_max_)])
    q = np.unique(q)
    assert np.all(np.diff(strict.predict(q)) > 0)
    assert np.any(np.diff(plain.predict(q)) == 0)
    assert strict.to_model().strict


def test_isotonic_calibrator_pickles_bitwise(ranker: Any) -> None:
    s, y = ranker
    for cal in (calib.IsotonicCalibrator(increasing="auto").fit(s, y), calib.IsotonicCalibrator().fit(s, y * 7)):
        again = pickle.loads(pickle.dumps(cal))
        assert again.get_params() == cal.get_params()
        assert again.predict(s).tobytes() == cal.predict(s).tobytes()
        assert again.X_thresholds_.tobytes() == cal.X_thresholds_.tobytes()


def test_unfitted_estimators_raise_not_fitted() -> None:
    for est in (calib.IsotonicCalibrator(), calib.HistogramCalibrator(), calib.ClassCalibrator()):
        with pytest.raises(calib.NotFittedError):
            est.predict([0.5])
        with pytest.raises(calib.NotFittedError):
            est.predict_one(0.5)


def test_histogram_calibrator(ranker: Any) -> None:
    s, y = ranker
    h = calib.HistogramCalibrator(n_bins=10).fit(s, y)
    assert h.merged_bins_ == 0
    assert len(np.unique(h.predict(s))) == 10
    assert h.to_model().method == "histogram"
    cube = calib.HistogramCalibrator(n_bins="cube_root", strategy="equal_width").fit(s, y)
    uniform = calib.HistogramCalibrator(n_bins="cube_root", strategy="uniform").fit(s, y)
    assert cube.predict(s).tobytes() == uniform.predict(s).tobytes()
    coarse = calib.HistogramCalibrator(n_bins=20, min_samples_per_bin=400).fit(s, y)
    assert coarse.merged_bins_ > 0
    with pytest.raises(calib.CalibError) as e:
        calib.HistogramCalibrator().fit([0.1, 0.2], [0.0, 2.0])
    assert (e.value.code, e.value.index) == ("label_out_of_range", 1)
    # The model the estimator serves equals calib.fit_model's histogram.
    m = calib.fit_model(s, y, method="histogram", n_bins=10)
    assert m.apply(s).tobytes() == h.predict(s).tobytes()


def test_class_calibrator(ranker: Any, tmp_path: Any) -> None:
    s, y = ranker
    classes = np.array(["web", "news", "shop"])[np.arange(len(s)) % 3]
    cc = calib.ClassCalibrator(min_class_samples=1000, epsilon=0.01).fit(s, y, classes)
    assert cc.classes_ == ["news", "shop", "web"]
    out = cc.predict(s, classes)
    assert out.min() >= 0.01 and out.max() <= 0.99
    assert out.tobytes() == cc.model_.apply(s, list(classes)).tobytes()
    assert cc.predict_one(0.3, "web") == cc.predict([0.3], "web")[0]
    cc.save(tmp_path / "m.json")
    assert calib.load(tmp_path / "m.json") == cc.model_
    # Too small a class gets no map; integer class ids are named by str().
    ids = calib.ClassCalibrator(min_class_samples=1000).fit(s, y, np.arange(len(s)) % 3)
    assert ids.classes_ == ["0", "1", "2"]
    assert calib.ClassCalibrator(min_class_samples=5000).fit(s, y, classes).classes_ == []
    with pytest.raises(TypeError):
        calib.ClassCalibrator().fit(s, y, "web")
    hist = calib.ClassCalibrator(method="histogram", n_bins=8, min_class_samples=100).fit(s, y, classes)
    assert hist.model_.method == "histogram"


def test_get_set_params_and_clone() -> None:
    from sklearn.base import clone

    est = calib.IsotonicCalibrator(increasing="auto", strict=True)
    assert est.get_params() == {
        "increasing": "auto",
        "out_of_bounds": "clip",
        "strict": True,
        "y_max": None,
        "y_min": None,
    }
    assert est.set_params(y_min=0.1) is est and est.y_min == 0.1
    assert clone(est).get_params() == est.get_params()
    assert repr(est) == "IsotonicCalibrator(increasing='auto', strict=True, y_min=0.1)"
    with pytest.raises(ValueError):
        est.set_params(nope=1)


@pytest.mark.parametrize(
    "kw, exc",
    [
        ({"out_of_bounds": "wrap"}, ValueError),
        ({"increasing": "up"}, ValueError),
        ({"increasing": 1}, TypeError),
        ({"y_min": "low"}, TypeError),
        ({"y_min": 2.0, "y_max": 1.0}, calib.CalibError),
    ],
)
def test_bad_parameters_are_refused_at_fit(kw: dict, exc: type) -> None:
    est = calib.IsotonicCalibrator(**kw)  # like scikit-learn: no check in __init__
    with pytest.raises(exc):
        est.fit([0.1, 0.2, 0.3], [0, 1, 1])


# --------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------


def naive_binned(p: np.ndarray, y: np.ndarray, edges: np.ndarray) -> tuple:
    """A plain reference: bin 0 is [e0, e1], bin k is (ek, ek+1]."""
    l1, l2, mce = 0.0, 0.0, 0.0
    k = len(edges) - 1
    for b in range(k):
        lo, hi = edges[b], edges[b + 1]
        m = (p >= lo) & (p <= hi) if b == 0 else (p > lo) & (p <= hi)
        n = int(m.sum())
        if n == 0:
            continue
        pb, yb = p[m].mean(), y[m].mean()
        l1 += n / len(p) * abs(yb - pb)
        mce = max(mce, abs(yb - pb))
        if n >= 2:
            l2 += n / len(p) * ((pb - yb) ** 2 - yb * (1 - yb) / (n - 1))
    return l1, np.sqrt(max(0.0, l2)), mce


def test_metrics_against_a_naive_reference(ranker: Any) -> None:
    p, y = ranker
    ew = np.arange(16) / 15
    em = np.quantile(p, np.arange(16) / 15)
    em[0], em[-1] = 0.0, 1.0
    ece, _, mce = naive_binned(p, y, ew)
    aece, dece, _ = naive_binned(p, y, em)
    assert calib.ece(p, y) == pytest.approx(ece, abs=1e-12)
    assert calib.mce(p, y) == pytest.approx(mce, abs=1e-12)
    assert calib.aece(p, y) == pytest.approx(aece, abs=1e-12)
    assert calib.dece(p, y) == pytest.approx(dece, abs=1e-12)
    assert calib.brier(p, y) == pytest.approx(np.mean((p - y) ** 2), abs=1e-15)
    pc = np.clip(p, 1e-15, 1 - 1e-15)
    assert calib.log_loss(p, y) == pytest.approx(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc)), abs=1e-12)
    ev = calib.evaluate(p, y)
    assert ev["ece"] == calib.ece(p, y) and ev["dece"] == calib.dece(p, y) and ev["n"] == len(p)


def test_reliability_bins(ranker: Any) -> None:
    p, y = ranker
    b = calib.reliability_bins(p, y, n_bins=10)
    assert isinstance(b, calib.ReliabilityBins) and len(b.count) == 10
    assert b.count.dtype == np.int64 and b.count.sum() == len(p)
    assert np.all(b.ci_low <= b.observed) and np.all(b.observed <= b.ci_high)
    assert b.lower.tolist() == (np.arange(10) / 10).tolist()
    mass = calib.reliability_bins(p, y, n_bins=10, strategy="equal_mass")
    assert np.ptp(mass.count) <= 1
    # Weights replace counts in the mean and the bin weight.
    w = np.where(y > 0, 2.0, 1.0)
    bw = calib.reliability_bins(p, y, w, n_bins=10)
    assert bw.weight.sum() == w.sum() and bw.count.sum() == len(p)


def test_tau_and_c_hat(ranker: Any) -> None:
    p, _ = ranker
    assert calib.tau(0, 15, 1.0) == float("inf")
    assert calib.tau(10**6, 15, 0.5) == 0.015
    assert calib.tau(100, 15, 0.5) == pytest.approx(0.5 * np.sqrt(15 / 100))
    c1, a1 = calib.bootstrap_c_hat(p, resamples=30, min_samples=1000)
    c2, a2 = calib.bootstrap_c_hat(p, resamples=30, min_samples=1000)
    assert c1 == c2 and a1.tobytes() == a2.tobytes() and len(a1) == 30 and np.all(np.diff(a1) >= 0)
    assert calib.bootstrap_c_hat(p, resamples=30, min_samples=1000, seed=1)[0] != c1
    with pytest.raises(calib.CalibError) as e:
        calib.bootstrap_c_hat(p)  # < 10 000: not enough for governance
    assert e.value.code == "too_few_samples"


def test_metric_errors() -> None:
    with pytest.raises(calib.CalibError) as e:
        calib.ece([0.2, 1.5], [0, 1])
    assert (e.value.code, e.value.index, e.value.value, e.value.what) == (
        "probability_out_of_range",
        1,
        1.5,
        "probabilities",
    )
    assert isinstance(e.value, ValueError)
    with pytest.raises(calib.CalibError) as e:
        calib.brier([0.2], [0, 1])
    assert e.value.code == "length_mismatch"
    with pytest.raises(calib.CalibError) as e:
        calib.dece([], [])
    assert e.value.code == "empty_input"
    with pytest.raises(calib.CalibError) as e:
        calib.ece([0.5], [1], [-1.0])
    assert e.value.code == "invalid_weight"
    with pytest.raises(ValueError, match="n_bins must not be negative"):
        calib.ece([0.5], [1], n_bins=-1)
    # Huge K and B would abort the process when allocated: refused instead
    # (K by the core, B by the binding until the core checks it).
    for call in (
        lambda: calib.ece([0.5], [1], n_bins=2**40),
        lambda: calib.HistogramCalibrator(n_bins=10**12).fit([0.1, 0.2], [0, 1]),
        lambda: calib.bootstrap_c_hat([0.5] * 10, n_bins=10**9, min_samples=2),
    ):
        with pytest.raises(calib.CalibError, match="number of bins") as e:
            call()
        assert e.value.code == "invalid_parameter"
    with pytest.raises(ValueError, match="resamples must be at most"):
        calib.bootstrap_c_hat([0.5] * 10, resamples=10**12, min_samples=2)


def test_calib_error_pickles_with_its_fields() -> None:
    with pytest.raises(calib.CalibError) as e:
        calib.ece([0.2, 1.5], [0, 1])
    again = pickle.loads(pickle.dumps(e.value))
    assert (again.code, again.kind, again.index, again.value, str(again)) == (
        e.value.code,
        e.value.code,
        1,
        1.5,
        str(e.value),
    )
    assert type(again) is calib.CalibError and repr(again).startswith("CalibError(")


# --------------------------------------------------------------------------
# Arrays at the boundary
# --------------------------------------------------------------------------


def test_float32_in_float32_out(ranker: Any) -> None:
    s, y = ranker
    cal = calib.IsotonicCalibrator().fit(s, y)
    s32 = s.astype(np.float32)
    out = cal.predict(s32)
    assert out.dtype == np.float32
    assert out.tobytes() == cal.predict(s32.astype(np.float64)).astype(np.float32).tobytes()
    assert cal.transform(s32.reshape(-1, 1)).dtype == np.float32
    assert calib.ece(s32, y) == calib.ece(s32.astype(np.float64), y)
    fit32 = calib.IsotonicCalibrator().fit(s32, y)
    assert fit32.X_thresholds_.dtype == np.float32
    # Fitted in f64 on the (exactly widened) float32 scores.
    fit64 = calib.IsotonicCalibrator().fit(s32.astype(np.float64), y)
    assert fit32.predict(s).tobytes() == fit64.predict(s).tobytes()


@pytest.mark.parametrize(
    "convert",
    [
        list,
        tuple,
        lambda a: a.copy(),
        lambda a: np.repeat(a, 2)[::2],  # strided view
        lambda a: a.astype(">f8"),  # big-endian
        lambda a: a.astype(object),
        lambda a: a.reshape(-1, 1),
    ],
    ids=["list", "tuple", "contiguous", "strided", "big-endian", "object", "column"],
)
def test_inputs_are_converted(convert: Any) -> None:
    s = np.linspace(0.01, 0.99, 50)
    y = (np.arange(50) % 3 == 0).astype(np.float64)
    want = calib.IsotonicCalibrator().fit(s, y).predict(s)
    y_in = y if np.ndim(convert(y)) == 2 else convert(y)  # targets are 1-D
    got = calib.IsotonicCalibrator().fit(convert(s), y_in).predict(convert(s))
    assert got.tobytes() == want.tobytes()
    assert calib.ece(convert(s) if np.ndim(convert(s)) == 1 else s, y_in) == calib.ece(s, y)


def test_integer_and_bool_inputs() -> None:
    cal = calib.IsotonicCalibrator().fit(np.arange(6, dtype=np.int32), np.array([0, 1, 0, 1, 1, 1], dtype=bool))
    assert cal.predict(np.arange(6, dtype=np.uint8)).dtype == np.float64
    assert calib.brier([0, 1], [False, True]) == 0.0
    h = np.array([0.25, 0.5, 0.75], dtype=np.float16)
    assert calib.ece(h, [0, 1, 1]) == calib.ece(h.astype(np.float64), [0, 1, 1])


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array(["a", "b"]), "must be numeric"),
        (np.array([1 + 2j, 3j]), "Complex data not supported"),
        (np.array([{"a": 1}, 2.0], dtype=object), "argument must be a string or a real number"),
        (scipy.sparse.csr_matrix(np.ones((2, 1))), "sparse"),
        (0.5, "got a scalar"),
        ([[0.1, 0.2], [0.3]], "array of real numbers"),
    ],
    ids=["str", "complex", "dict", "sparse", "scalar", "ragged"],
)
def test_unconvertible_inputs_are_type_errors(bad: Any, match: str) -> None:
    with pytest.raises(calib.InputTypeError, match=match) as e:
        calib.ece(bad, [0, 1])
    assert isinstance(e.value, TypeError) and isinstance(e.value, ValueError)
    with pytest.raises(TypeError, match=match):
        calib.IsotonicCalibrator().fit(bad, [0, 1])


def test_wrong_shapes_are_value_errors() -> None:
    with pytest.raises(ValueError, match="1-D"):
        calib.ece(np.ones((2, 2)), [0, 1])
    with pytest.raises(ValueError, match="0 feature"):
        calib.IsotonicCalibrator().fit(np.ones((3, 0)), [0, 1, 1])


def test_inputs_are_not_modified_and_read_only_arrays_work(ranker: Any) -> None:
    s, y = ranker
    s_ro, y_ro = s.copy(), y.copy()
    s_ro.flags.writeable = False
    y_ro.flags.writeable = False
    cal = calib.IsotonicCalibrator().fit(s_ro, y_ro, np.ones_like(s))
    cal.predict(s_ro)
    calib.evaluate(s_ro, y_ro)
    assert s_ro.tobytes() == s.tobytes() and y_ro.tobytes() == y.tobytes()


def test_nan_and_inf_are_refused_by_the_core() -> None:
    for bad, word in ((np.nan, "NaN"), (np.inf, "inf")):
        with pytest.raises(calib.CalibError, match=word) as e:
            calib.IsotonicCalibrator().fit([0.1, bad, 0.3], [0, 1, 1])
        assert (e.value.code, e.value.index) == ("non_finite_score", 1)
        cal = calib.IsotonicCalibrator().fit([0.1, 0.2, 0.3], [0, 1, 1])
        with pytest.raises(calib.CalibError, match=word) as e:
            cal.predict([0.1, bad])
        assert (e.value.code, e.value.index) == ("non_finite_input", 1)
    with pytest.raises(calib.CalibError) as e:
        calib.IsotonicCalibrator().fit([0.1, 0.2], [0, 1], [1.0, -1.0])
    assert (e.value.code, e.value.index) == ("invalid_weight", 1)


def test_no_panic_reaches_python() -> None:
    # Odd but valid inputs at the edges of the core: every outcome is a
    # value or a CalibError/ValueError/TypeError, never pyo3's PanicException.
    cases = [
        lambda: calib.IsotonicCalibrator().fit([5e-324, -5e-324, 0.0, -0.0], [0, 1, 0, 1]).predict([1e-320]),
        lambda: calib.IsotonicCalibrator().fit([1.7e308, -1.7e308], [0, 1]).predict([0.0, 1e308]),
        lambda: calib.IsotonicCalibrator(strict=True).fit([1.7e308] * 3 + [-1.7e308], [0, 1, 1, 0]).predict([0.0]),
        lambda: calib.HistogramCalibrator(n_bins=0).fit([0.1, 0.2], [0, 1]),
        lambda: calib.HistogramCalibrator(n_bins=3).fit([0.5] * 5, [0, 1, 0, 1, 1]).predict([0.5]),
        lambda: calib.ece([0.5], [1], n_bins=0),
        lambda: calib.fit_model([0.1], [1.0], None, [""], min_class_samples=0),
        lambda: calib.fit_model([0.1, 0.2], [0.0, 1.0], [0.0, 0.0]),
        lambda: calib.Model.from_json('{"schema_version": 1, "method": "isotonic"}'),
        lambda: calib.bootstrap_c_hat([0.5] * 3, resamples=0, min_samples=2),
        lambda: calib.tau(-1, 15, 1.0),
    ]
    for case in cases:
        try:
            case()
        except (calib.CalibError, ValueError, TypeError):
            pass
        except BaseException as e:  # noqa: BLE001
            raise AssertionError(f"{type(e).__name__}: {e}") from e
