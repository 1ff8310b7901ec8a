"""tests/vectors/isotonic.json (scikit-learn's IsotonicRegression on its own
test data and more) through calib.IsotonicCalibrator, to 1e-12 — the same
contract calib-core's tests/tests/conformance.rs checks in Rust."""

from __future__ import annotations

import numpy as np
import pytest

import calib

from conftest import close, load_json

TOL = 1e-12
VECTORS = load_json("isotonic.json")
CASES = VECTORS["cases"]


def test_the_full_vector_set_is_there() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_matches_scikit_learn(case: dict) -> None:
    oob = "error" if case["out_of_bounds"] == "raise" else case["out_of_bounds"]
    cal = calib.IsotonicCalibrator(
        increasing=case["increasing"], out_of_bounds=oob, y_min=case["y_min"], y_max=case["y_max"]
    )
    cal.fit(np.array(case["x"], dtype=np.float64), np.array(case["y"], dtype=np.float64), case["sample_weight"])
    assert cal.increasing_ == case["increasing_"]
    # Thresholds: positions exactly (they are input values), values to 1e-12.
    assert cal.X_thresholds_.tolist() == case["X_thresholds"]
    assert len(cal.y_thresholds_) == len(case["y_thresholds"])
    for got, want in zip(cal.y_thresholds_, case["y_thresholds"]):
        assert close(got, want, TOL), (got, want)
    assert cal.X_min_ == case["X_min"] and cal.X_max_ == case["X_max"]

    single = len(case["X_thresholds"]) == 1
    queries = np.array(case["x_query"], dtype=np.float64)
    for q, want in zip(queries, case["predictions"]):
        outside = q < cal.X_min_ or q > cal.X_max_
        # Deliberate difference (docs/concepts.md §2.2): with one threshold
        # scikit-learn ignores its own out-of-bounds policy; calib applies it.
        if single and outside and oob != "clip":
            if oob == "nan":
                assert np.isnan(cal.predict([q])[0])
            else:
                with pytest.raises(calib.CalibError):
                    cal.predict([q])
            continue
        got = cal.predict(np.array([q]))[0]
        assert close(got, np.nan if want is None else want, TOL), (q, got, want)
        assert cal.predict_one(float(q)) == got or (np.isnan(got) and np.isnan(cal.predict_one(float(q))))
    for q in case["raises_on"]:
        with pytest.raises(calib.CalibError) as err:
            cal.predict([q])
        assert err.value.code == "out_of_bounds"
        assert isinstance(err.value, ValueError)


def test_batch_equals_one_by_one_bitwise() -> None:
    # The batch path (chunked, GIL released for large inputs) and the single
    # score path give the same bits on every vector's queries.
    for case in CASES:
        cal = calib.IsotonicCalibrator(increasing=case["increasing"], out_of_bounds="clip")
        cal.fit(case["x"], case["y"], case["sample_weight"])
        q = np.array(case["x_query"] * 300, dtype=np.float64)  # > 4096: the GIL-released path
        batch = cal.predict(q)
        one = np.array([cal.predict_one(float(v)) for v in q])
        assert batch.view("<u8").tolist() == one.view("<u8").tolist(), case["name"]
