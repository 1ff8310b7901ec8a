"""scikit-learn's own IsotonicRegression tests (sklearn/tests/test_isotonic.py,
scikit-learn 1.9), ported to calib.IsotonicCalibrator.

Each test names the scikit-learn test it comes from. Where calib differs on
purpose (error messages, the default out-of-bounds policy, see
docs/concepts.md) the port says so; the rest is unchanged. Tests of
scikit-learn's private helpers (``_make_unique``, ``isotonic_regression``)
are ported through the estimator, which runs the same steps in calib's core.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_almost_equal, assert_array_equal
from scipy.special import expit
from sklearn.datasets import make_regression
from sklearn.isotonic import IsotonicRegression
from sklearn.utils import shuffle

import calib
from calib import IsotonicCalibrator

# calib's default out_of_bounds is "clip"; scikit-learn's is "nan". Tests
# that depend on the default use scikit-learn's.
Iso = lambda **kw: IsotonicCalibrator(**{"out_of_bounds": "nan", **kw})  # noqa: E731


def test_permutation_invariance() -> None:
    # test_permutation_invariance
    x = [1, 2, 3, 4, 5, 6, 7]
    y = [1, 41, 51, 1, 2, 5, 24]
    w = [1, 2, 3, 4, 5, 6, 7]
    x_s, y_s, w_s = shuffle(x, y, w, random_state=0)
    ir = Iso()
    y_t = ir.fit_transform(x, y, sample_weight=w)
    y_t_s = ir.fit(x_s, y_s, sample_weight=w_s).transform(x)
    assert_array_equal(y_t, y_t_s)


def test_isotonic_regression() -> None:
    # test_isotonic_regression (through the estimator: y on x = 0..n-1)
    y = np.array([3, 7, 5, 9, 8, 7, 10])
    x = np.arange(len(y))
    assert_array_equal(Iso().fit_transform(x, y), [3, 6, 6, 8, 8, 8, 10])
    assert_array_equal(Iso().fit_transform(np.arange(3), [10, 0, 2]), [4, 4, 4])

    y = np.array([10, 0, 2])
    x = np.arange(len(y))
    ir = Iso(y_min=0.0, y_max=1.0)
    ir.fit(x, y)
    assert_array_equal(ir.fit(x, y).transform(x), ir.fit_transform(x, y))
    assert_array_equal(ir.transform(x), ir.predict(x))

    perm = np.random.RandomState(0).permutation(len(y))
    ir = Iso(y_min=0.0, y_max=1.0)
    assert_array_equal(ir.fit_transform(x[perm], y[perm]), ir.fit_transform(x, y)[perm])
    assert_array_equal(ir.transform(x[perm]), ir.transform(x)[perm])

    # all x equal
    assert_array_equal(Iso().fit_transform(np.ones(len(x)), y), np.mean(y))


@pytest.mark.parametrize(
    "x, y, y_true",
    [
        # test_isotonic_regression_ties_min
        ([1, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6], [1.5, 1.5, 3, 4, 5, 6]),
        # test_isotonic_regression_ties_max
        ([1, 2, 3, 4, 5, 5], [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5.5, 5.5]),
    ],
)
def test_isotonic_regression_ties_min_max(x: list, y: list, y_true: list) -> None:
    ir = Iso()
    ir.fit(x, y)
    assert_array_equal(ir.fit(x, y).transform(x), ir.fit_transform(x, y))
    assert_array_equal(y_true, ir.fit_transform(x, y))


def test_isotonic_regression_ties_secondary_() -> None:
    # test_isotonic_regression_ties_secondary_: R's isotone "pituitary" data
    x = [8, 8, 8, 10, 10, 10, 12, 12, 12, 14, 14]
    y = [21, 23.5, 23, 24, 21, 25, 21.5, 22, 19, 23.5, 25]
    y_true = [22.22222] * 9 + [24.25] * 2
    ir = Iso()
    ir.fit(x, y)
    assert_array_almost_equal(ir.transform(x), y_true, 4)
    assert_array_almost_equal(ir.fit_transform(x, y), y_true, 4)


def test_isotonic_regression_with_ties_in_differently_sized_groups() -> None:
    # test_isotonic_regression_with_ties_in_differently_sized_groups (#9432)
    x = np.array([0, 1, 1, 2, 3, 4])
    y = np.array([0, 0, 1, 0, 0, 1])
    y_true = np.array([0.0, 0.25, 0.25, 0.25, 0.25, 1.0])
    ir = Iso()
    ir.fit(x, y)
    assert_array_almost_equal(ir.transform(x), y_true)
    assert_array_almost_equal(ir.fit_transform(x, y), y_true)


def test_isotonic_regression_reversed() -> None:
    # test_isotonic_regression_reversed
    y = np.array([10, 9, 10, 7, 6, 6.1, 5])
    y_ = Iso(increasing=False).fit_transform(np.arange(len(y)), y)
    assert_allclose(y_, [10, 9.5, 9.5, 7, 6.05, 6.05, 5])
    assert_array_equal(np.ones(y_[:-1].shape), ((y_[:-1] - y_[1:]) >= 0))


@pytest.mark.parametrize(
    "y, increasing",
    [
        (np.array([10, 9, 10, 7, 6, 6.1, 5]), False),  # test_isotonic_regression_auto_decreasing
        (np.array([5, 6.1, 6, 7, 10, 9, 10]), True),  # test_isotonic_regression_auto_increasing
    ],
)
def test_isotonic_regression_auto(y: np.ndarray, increasing: bool) -> None:
    ir = Iso(increasing="auto")
    y_ = ir.fit_transform(np.arange(len(y)), y)
    assert (y_[0] < y_[-1]) == increasing
    assert ir.increasing_ == increasing


def test_assert_raises_exceptions() -> None:
    # test_assert_raises_exceptions; calib's messages differ (the core's).
    ir = Iso()
    rng = np.random.RandomState(42)
    with pytest.raises(calib.CalibError, match="length mismatch") as e:
        ir.fit([0, 1, 2], [5, 7, 3], [0.1, 0.6])
    assert e.value.code == "length_mismatch"
    with pytest.raises(ValueError, match="length mismatch"):
        ir.fit([0, 1, 2], [5, 7])
    with pytest.raises(ValueError, match="X must be a 1-D array or a 2-D array with one column"):
        ir.fit(rng.randn(3, 10), [0, 1, 2])
    ir.fit([0, 1, 2], [5, 7, 3])
    with pytest.raises(ValueError, match="X must be a 1-D array or a 2-D array with one column"):
        ir.transform(rng.randn(3, 10))


def test_isotonic_sample_weight_parameter_default_value() -> None:
    # test_isotonic_sample_weight_parameter_default_value
    ir = Iso()
    rng = np.random.RandomState(42)
    n = 100
    x = np.arange(n)
    y = rng.randint(-50, 50, size=(n,)) + 50.0 * np.log(1 + np.arange(n))
    assert_array_equal(ir.fit_transform(x, y, sample_weight=np.ones(n)), ir.fit_transform(x, y))


def test_isotonic_min_max_boundaries() -> None:
    # test_isotonic_min_max_boundaries
    ir = Iso(y_min=2, y_max=4)
    x = np.arange(6)
    assert_array_equal(np.round(ir.fit_transform(x, x)), [2, 2, 2, 3, 4, 4])


def test_isotonic_sample_weight() -> None:
    # test_isotonic_sample_weight
    ir = Iso()
    x = [1, 2, 3, 4, 5, 6, 7]
    y = [1, 41, 51, 1, 2, 5, 24]
    w = [1, 2, 3, 4, 5, 6, 7]
    assert_array_equal([1, 13.95, 13.95, 13.95, 13.95, 13.95, 24], ir.fit_transform(x, y, sample_weight=w))


def test_isotonic_regression_oob_raise() -> None:
    # test_isotonic_regression_oob_raise ("raise" is accepted as scikit-learn's name)
    y = np.array([3, 7, 5, 9, 8, 7, 10])
    x = np.arange(len(y))
    ir = Iso(increasing="auto", out_of_bounds="raise").fit(x, y)
    with pytest.raises(calib.CalibError, match="outside the calibration map's range") as e:
        ir.predict([min(x) - 10, max(x) + 10])
    assert e.value.code == "out_of_bounds" and e.value.index == 0 and e.value.value == -10.0


def test_isotonic_regression_oob_clip() -> None:
    # test_isotonic_regression_oob_clip
    y = np.array([3, 7, 5, 9, 8, 7, 10])
    x = np.arange(len(y))
    ir = Iso(increasing="auto", out_of_bounds="clip").fit(x, y)
    y1, y2 = ir.predict([min(x) - 10, max(x) + 10]), ir.predict(x)
    assert max(y1) == max(y2) and min(y1) == min(y2)


def test_isotonic_regression_oob_nan() -> None:
    # test_isotonic_regression_oob_nan
    y = np.array([3, 7, 5, 9, 8, 7, 10])
    x = np.arange(len(y))
    ir = Iso(increasing="auto", out_of_bounds="nan").fit(x, y)
    assert sum(np.isnan(ir.predict([min(x) - 10, max(x) + 10]))) == 2


def test_isotonic_regression_pickle() -> None:
    # test_isotonic_regression_pickle
    y = np.array([3, 7, 5, 9, 8, 7, 10])
    x = np.arange(len(y))
    ir = Iso(increasing="auto", out_of_bounds="clip").fit(x, y)
    ir2 = pickle.loads(pickle.dumps(ir, pickle.HIGHEST_PROTOCOL))
    np.testing.assert_array_equal(ir.predict(x), ir2.predict(x))


def test_isotonic_duplicate_min_entry() -> None:
    # test_isotonic_duplicate_min_entry
    ir = Iso(increasing=True, out_of_bounds="clip").fit([0, 0, 1], [0, 0, 1])
    assert np.all(np.isfinite(ir.predict([0, 0, 1])))


def test_isotonic_ymin_ymax() -> None:
    # test_isotonic_ymin_ymax (scikit-learn #6921), through the estimator
    x = np.array(
        [1.263, 1.318, -0.572, 0.307, -0.707, -0.176, -1.599, 1.059, 1.396, 1.906,
         0.210, 0.028, -0.081, 0.444, 0.018, -0.377, -0.896, -0.377, -1.327, 0.180]
    )  # fmt: skip
    pos = np.arange(len(x))
    for kw in ({"y_min": 0.0, "y_max": 0.1}, {"y_min": 0.0, "y_max": 0.1, "increasing": False}):
        y = Iso(**kw).fit_transform(pos, x)
        assert np.all(y >= 0) and np.all(y <= 0.1)
    y = Iso(y_min=0.0, increasing=False).fit_transform(pos, x)
    assert np.all(y >= 0)


def test_isotonic_zero_weight_loop() -> None:
    # test_isotonic_zero_weight_loop (scikit-learn #4297): must not hang
    rng = np.random.RandomState(42)
    x = np.linspace(-3, 3, 50)
    y = x + rng.uniform(size=50)
    w = rng.uniform(size=50)
    w[5:8] = 0
    reg = Iso()
    reg.fit(x, y, sample_weight=w)
    reg.fit(x, y, sample_weight=w)


def test_fast_predict() -> None:
    # test_fast_predict (scikit-learn #6206): trimming thresholds must not
    # change out-of-sample predictions. scikit-learn's untrimmed model needs
    # its private _build_y; here calib is compared with scikit-learn's
    # (trimmed) model, which that test shows is equal to the untrimmed one.
    rng = np.random.RandomState(123)
    n = 10**3
    X_train = 20.0 * rng.rand(n) - 10
    y_train = np.less(rng.rand(n), expit(X_train)).astype("int64").astype("float64")
    weights = rng.rand(n)
    weights[rng.rand(n) < 0.1] = 0
    sk = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(X_train, y_train, sample_weight=weights)
    ours = Iso(y_min=0, y_max=1, out_of_bounds="clip").fit(X_train, y_train, sample_weight=weights)
    X_test = 20.0 * rng.rand(n) - 10
    assert_allclose(ours.predict(X_test), sk.predict(X_test), rtol=0, atol=1e-12)


def test_isotonic_copy_before_fit() -> None:
    # test_isotonic_copy_before_fit (scikit-learn #6628)
    copy.copy(Iso())


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_isotonic_dtype(dtype: type) -> None:
    # test_isotonic_dtype: integer input gives float64, float32 gives float32
    y = [2, 1, 4, 3, 5]
    weights = np.array([0.9] * 5, dtype=np.float64)
    expected = np.float32 if dtype == np.float32 else np.float64
    for sample_weight in (None, weights.astype(np.float32), weights):
        y_np = np.array(y, dtype=dtype)
        X = np.arange(len(y)).astype(dtype)
        reg = Iso().fit(X, y_np, sample_weight=sample_weight)
        assert reg.predict(X).dtype == expected
        assert reg.X_thresholds_.dtype == expected and reg.y_thresholds_.dtype == expected


@pytest.mark.parametrize("y_dtype", [np.int32, np.int64, np.float32, np.float64])
def test_isotonic_mismatched_dtype(y_dtype: type) -> None:
    # test_isotonic_mismatched_dtype (scikit-learn #15004)
    y = np.array([2, 1, 4, 3, 5], dtype=y_dtype)
    X = np.arange(len(y), dtype=np.float32)
    assert Iso().fit(X, y).predict(X).dtype == X.dtype


def test_make_unique_tolerance() -> None:
    # test_make_unique_dtype / test_make_unique_tolerance (float64): scores
    # within 1e-15 of their group's first score are pooled.
    X = np.array([2, 2, 2, 3, 5], dtype=np.float64)
    assert_array_equal(Iso().fit(X, X).X_thresholds_, [2, 3, 5])
    X = np.array([0, 1e-16, 1, 1 + 1e-14])
    assert_array_equal(Iso().fit(X, X).X_thresholds_, [0, 1, 1 + 1e-14])


def test_isotonic_make_unique_tolerance() -> None:
    # test_isotonic_make_unique_tolerance
    X = np.array([0, 1, 1 + 1e-16, 2], dtype=np.float64)
    y = np.array([0, 1, 2, 3], dtype=np.float64)
    ireg = Iso().fit(X, y)
    assert_array_equal(ireg.predict([0, 0.5, 1, 1.5, 2]), [0, 0.75, 1.5, 2.25, 3])
    assert_array_equal(ireg.X_thresholds_, [0.0, 1.0, 2.0])
    assert_array_equal(ireg.y_thresholds_, [0.0, 1.5, 3.0])


def test_isotonic_non_regression_inf_slope() -> None:
    # test_isotonic_non_regression_inf_slope (scikit-learn #10903)
    X = np.array([0.0, 4.1e-320, 4.4e-314, 1.0])
    y = np.array([0.42, 0.42, 0.44, 0.44])
    ireg = Iso().fit(X, y)
    assert np.all(np.isfinite(ireg.predict(np.array([0, 2.1e-319, 5.4e-316, 1e-10]))))


@pytest.mark.parametrize("increasing", [True, False])
def test_isotonic_thresholds(increasing: bool) -> None:
    # test_isotonic_thresholds
    rng = np.random.RandomState(42)
    X = rng.normal(size=30)
    y = rng.normal(size=30)
    ireg = Iso(increasing=increasing).fit(X, y)
    X_t, y_t = ireg.X_thresholds_, ireg.y_thresholds_
    assert X_t.shape == y_t.shape
    assert X_t.shape[0] < X.shape[0]
    assert np.isin(X_t, X).all()
    assert y_t.max() <= y.max() and y_t.min() >= y.min()
    assert all(np.diff(X_t) > 0)
    assert all(np.diff(y_t) >= 0) if increasing else all(np.diff(y_t) <= 0)


def test_input_shape_validation() -> None:
    # test_input_shape_validation (scikit-learn #15012)
    X = np.arange(10)
    X_2d = X.reshape(-1, 1)
    y = np.arange(10)
    a, b = Iso().fit(X, y), Iso().fit(X_2d, y)
    assert a.X_max_ == b.X_max_ and a.X_min_ == b.X_min_
    assert a.y_max == b.y_max and a.y_min == b.y_min
    assert_array_equal(a.X_thresholds_, b.X_thresholds_)
    assert_array_equal(a.y_thresholds_, b.y_thresholds_)
    assert_allclose(a.predict(X), b.predict(X_2d))


def test_isotonic_2darray_more_than_1_feature() -> None:
    # test_isotonic_2darray_more_than_1_feature
    X = np.arange(10)
    X_2d = np.c_[X, X]
    y = np.arange(10)
    msg = "a 1-D array or a 2-D array with one column"
    with pytest.raises(ValueError, match=msg):
        Iso().fit(X_2d, y)
    reg = Iso().fit(X, y)
    with pytest.raises(ValueError, match=msg):
        reg.predict(X_2d)
    with pytest.raises(ValueError, match=msg):
        reg.transform(X_2d)


def test_isotonic_regression_sample_weight_not_overwritten() -> None:
    # test_isotonic_regression_sample_weight_not_overwritten (scikit-learn #20508)
    X, y = make_regression(n_samples=10, n_features=1, random_state=41)
    w_orig = np.ones_like(y)
    w_orig[0] = 10
    w_fit = w_orig.copy()
    Iso().fit(X, y, sample_weight=w_fit)
    assert_allclose(w_fit, w_orig)


@pytest.mark.parametrize("shape", ["1d", "2d"])
def test_get_feature_names_out(shape: str) -> None:
    # test_get_feature_names_out
    X = np.arange(10)
    if shape == "2d":
        X = X.reshape(-1, 1)
    names = Iso().fit(X, np.arange(10)).get_feature_names_out()
    assert isinstance(names, np.ndarray) and names.dtype == object
    assert_array_equal(["isotoniccalibrator0"], names)


@pytest.mark.filterwarnings("ignore:Confidence interval of the Spearman")
@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("oob", ["clip", "nan"])
def test_random_data_matches_scikit_learn(seed: int, oob: str) -> None:
    # Beyond scikit-learn's tests: random weighted data with ties, both
    # directions, bounds; thresholds and predictions to 1e-12.
    rng = np.random.RandomState(seed)
    n = int(rng.randint(2, 400))
    x = np.round(rng.normal(size=n), int(rng.randint(1, 4)))
    y = (rng.rand(n) < expit(2 * x)).astype(np.float64) if seed % 2 else rng.normal(size=n)
    w = rng.rand(n) * (rng.rand(n) > 0.1) if seed % 3 else None
    if w is not None and not w.any():
        w[0] = 1.0
    kw = dict(increasing=[True, False, "auto"][seed % 3], out_of_bounds=oob)
    if seed % 4 == 0:
        kw.update(y_min=-0.5, y_max=0.75)
    sk = IsotonicRegression(**kw).fit(x, y, sample_weight=w)
    ours = IsotonicCalibrator(**kw).fit(x, y, sample_weight=w)
    assert ours.increasing_ == sk.increasing_
    assert_array_equal(ours.X_thresholds_, sk.X_thresholds_)
    assert_allclose(ours.y_thresholds_, sk.y_thresholds_, rtol=1e-12, atol=1e-12)
    q = np.concatenate([x, rng.normal(scale=2, size=200)])
    if len(sk.X_thresholds_) == 1 and oob == "nan":
        q = q[q == sk.X_thresholds_[0]]  # deliberate difference (concepts §2.2)
    assert_allclose(ours.predict(q), sk.predict(q), rtol=1e-12, atol=1e-12, equal_nan=True)
