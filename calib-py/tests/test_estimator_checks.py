"""scikit-learn's estimator checks on IsotonicCalibrator.

IsotonicCalibrator takes one feature, 1-D or ``(n, 1)`` — exactly like
scikit-learn's IsotonicRegression — and says so with the same tags
(``one_d_array``, no ``two_d_array``). With those tags scikit-learn's suite
runs only ``check_estimator_cloneable`` and skips the rest, for its own
IsotonicRegression too (test_honest_tags below).

To run the whole suite anyway, :class:`IsotonicCalibratorFirstColumn` fits
and predicts on the first column of the checks' multi-feature ``X``, and the
same harness wraps scikit-learn's IsotonicRegression. calib must pass every
check; the few expected failures, each with its reason, are structural —
test_expected_failures_fail_for_scikit_learn_too proves scikit-learn's own
estimator fails each of them under the same harness.
"""

from __future__ import annotations

import warnings
from typing import Any, Dict

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

import calib

EXPECTED_FAILED: Dict[str, str] = {
    "check_n_features_in": (
        "the harness drops every feature but the first, so n_features_in_ cannot be X.shape[1]; "
        "like IsotonicRegression, the calibrator has exactly one feature and sets no n_features_in_"
    ),
    "check_n_features_in_after_fitting": "as check_n_features_in",
    "check_transformer_general": (
        "expects transform to refuse X with another number of features than fit; the harness "
        "always passes one feature"
    ),
    "check_fit1d": "expects 1-D X to be refused; a calibrator takes 1-D scores by design (as IsotonicRegression)",
    "check_fit2d_predict1d": "as check_fit1d",
    "check_supervised_y_2d": (
        "y of shape (n, 1) is refused with a ValueError (targets are 1-D); scikit-learn wants a "
        "DataConversionWarning and a ravel"
    ),
}


# Only for increasing="auto": the direction is the sign of Spearman's rho over
# the rows, unweighted (scikit-learn's check_increasing), so weights and
# repeated rows can pick different directions.
AUTO_FAILED: Dict[str, str] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "increasing='auto' decides the direction from unweighted ranks, as scikit-learn does"
    ),
}


def _first_column(X: Any) -> Any:
    if hasattr(X, "tocsr"):  # sparse: let the calibrator refuse it
        return X
    if not isinstance(X, np.ndarray):
        try:
            a = np.asarray(X)
        except Exception:  # noqa: BLE001 - the calibrator reports bad input
            return X
        if a.ndim == 2:
            X = a
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] >= 1:
        return X[:, 0]
    return X


def _harness(cls: type) -> type:
    class FirstColumn(cls):  # type: ignore[misc,valid-type]
        def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
            return super().fit(_first_column(X), y, sample_weight=sample_weight)

        def predict(self, X: Any) -> Any:
            return super().predict(_first_column(X))

        def transform(self, X: Any) -> Any:
            return super().transform(_first_column(X))

        def __sklearn_tags__(self) -> Any:
            tags = super().__sklearn_tags__()
            tags.input_tags.two_d_array = True
            tags.input_tags.one_d_array = False
            # One of the checks' features says little about their target.
            tags.regressor_tags.poor_score = True
            return tags

    FirstColumn.__name__ = FirstColumn.__qualname__ = f"{cls.__name__}FirstColumn"
    FirstColumn.__module__ = __name__
    return FirstColumn


# Module-level names, so the pickling checks can find the classes.
IsotonicCalibratorFirstColumn = _harness(calib.IsotonicCalibrator)
IsotonicRegressionFirstColumn = _harness(IsotonicRegression)


@parametrize_with_checks(
    [
        IsotonicCalibratorFirstColumn(),
        IsotonicCalibratorFirstColumn(strict=True),
        IsotonicCalibratorFirstColumn(increasing="auto", out_of_bounds="nan"),
        IsotonicCalibratorFirstColumn(increasing=False, y_min=-1.0, y_max=1.0),
    ],
    expected_failed_checks=lambda est: {**EXPECTED_FAILED, **(AUTO_FAILED if est.increasing == "auto" else {})},
)
def test_sklearn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)


def _statuses(estimator: Any) -> Dict[str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    out: Dict[str, str] = {}
    for r in results:
        # A check that runs several times (variants) fails if any run fails.
        if out.get(r["check_name"]) != "failed":
            out[r["check_name"]] = r["status"]
    return out


def test_expected_failures_fail_for_scikit_learn_too() -> None:
    sk = _statuses(IsotonicRegressionFirstColumn(out_of_bounds="clip"))
    for name in EXPECTED_FAILED:
        assert sk.get(name) == "failed", f"{name} passes for scikit-learn's IsotonicRegression: not structural"
    sk_auto = _statuses(IsotonicRegressionFirstColumn(increasing="auto", out_of_bounds="clip"))
    for name in AUTO_FAILED:
        assert sk_auto.get(name) == "failed", f"{name} passes for scikit-learn's IsotonicRegression('auto')"


def test_calib_passes_every_check_scikit_learn_passes() -> None:
    sk = _statuses(IsotonicRegressionFirstColumn(out_of_bounds="clip"))
    ours = _statuses(IsotonicCalibratorFirstColumn())
    regressions = [n for n, s in sk.items() if s == "passed" and ours.get(n) != "passed"]
    assert not regressions
    unexpected = [n for n, s in ours.items() if s == "failed" and n not in EXPECTED_FAILED]
    assert not unexpected


@pytest.mark.parametrize("est", [calib.IsotonicCalibrator(), IsotonicRegression()], ids=type)
def test_honest_tags(est: Any) -> None:
    # With the real tags (1-D input) scikit-learn skips its suite, for both.
    tags = est.__sklearn_tags__()
    assert tags.input_tags.one_d_array and not tags.input_tags.two_d_array
    with pytest.warns(Warning, match="Can't test estimator"):
        check_estimator(est)
