"""scikit-learn-style calibrators over calib's core.

:class:`IsotonicCalibrator` follows scikit-learn's ``IsotonicRegression``
contract (same parameters, fitted attributes and outputs, to 1e-12 on
scikit-learn's own test cases); :class:`HistogramCalibrator` is histogram
binning with the same interface; :class:`ClassCalibrator` fits one map per
query class plus a global map. Every number comes from calib's Rust core:
these classes only check arguments and convert arrays.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _calib
from ._arrays import as_float_array, as_optional, as_scores
from ._compat import BaseEstimator, NotFittedError, RegressorMixin, TransformerMixin

Classes = Union[None, str, Sequence[Any]]


def _require_y(est: Any, y: Any) -> None:
    if y is None:
        # scikit-learn's wording for a supervised estimator fitted without y.
        raise ValueError(f"{type(est).__name__} requires y to be passed, but the target y is None.")


def _not_fitted(est: Any) -> NotFittedError:
    return NotFittedError(
        f"This {type(est).__name__} instance is not fitted yet. Call 'fit' with "
        "appropriate arguments before using this estimator."
    )


class _SingleMapCalibrator:
    """What IsotonicCalibrator and HistogramCalibrator share: one fitted map."""

    _map: Any

    def _fitted(self) -> Any:
        m = self.__dict__.get("_map")
        if m is None:
            raise _not_fitted(self)
        return m

    def __sklearn_is_fitted__(self) -> bool:
        return self.__dict__.get("_map") is not None

    def _set_fitted(self, fitted: Any, X: np.ndarray) -> None:
        # The fitted attributes follow X's dtype, as scikit-learn's do; the
        # map itself keeps its f64 breakpoints (predictions use those).
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        self.X_thresholds_ = fitted.x.astype(dtype, copy=False)
        self.y_thresholds_ = fitted.y.astype(dtype, copy=False)
        self.X_min_ = self.X_thresholds_[0]
        self.X_max_ = self.X_thresholds_[-1]
        self._map = fitted

    def predict(self, X: Any) -> np.ndarray:
        """Calibrated values of ``X`` by linear interpolation on the fitted map.

        Args:
            X: scores, shape ``(n,)`` or ``(n, 1)``.

        Returns:
            shape ``(n,)``: ``float32`` when ``X`` is ``float32`` (computed in
            f64, rounded once), else ``float64``. Scores outside the fitted
            range follow ``out_of_bounds``; NaN or infinite scores raise
            :class:`~calib.CalibError` (``non_finite_input``).
        """
        return self._fitted().apply(as_scores(X))

    def transform(self, X: Any) -> np.ndarray:
        """Same as :meth:`predict` (the transformer interface)."""
        return self._fitted().apply(as_scores(X))

    def fit_transform(self, X: Any, y: Any, sample_weight: Any = None) -> np.ndarray:
        """``fit(X, y, sample_weight)`` then ``transform(X)``."""
        return self.fit(X, y, sample_weight).transform(X)  # type: ignore[attr-defined,no-any-return]

    def predict_one(self, score: float) -> float:
        """Calibrated value of one score, without array overhead (the
        serving path: a single call into the core)."""
        return self._fitted().apply_one(score)  # type: ignore[no-any-return]

    def to_model(self) -> "_calib.Model":
        """The fitted map as a :class:`calib.Model` (calib's model format).

        Raises :class:`~calib.CalibError` (``bad_model``) if the fitted values
        are not probabilities in [0, 1] (plain regression targets).
        """
        return self._fitted().model()  # type: ignore[no-any-return]

    def to_json(self, pretty: bool = False) -> str:
        """The fitted map in calib's JSON model format (see :meth:`to_model`)."""
        return self.to_model().to_json(pretty)

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the fitted map as a calib model file (load it with
        :func:`calib.load`)."""
        self.to_model().save(path)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """One output name, ``"<classname>0"`` (``input_features`` is ignored,
        as in scikit-learn's IsotonicRegression)."""
        self._fitted()
        return np.asarray([f"{type(self).__name__.lower()}0"], dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()  # type: ignore[misc]
        # As scikit-learn's IsotonicRegression: one feature, 1-D or (n, 1).
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class IsotonicCalibrator(_SingleMapCalibrator, RegressorMixin, TransformerMixin, BaseEstimator):
    """Isotonic calibration (scikit-learn's ``IsotonicRegression`` contract).

    Weighted pool-adjacent-violators with scikit-learn's semantics (ties
    pooled first, the "secondary" method; interior points equal to both
    neighbours trimmed), computed by calib's core; predictions interpolate
    linearly between the fitted thresholds exactly as ``numpy.interp`` does.

    Args:
        increasing: ``True``, ``False`` or ``"auto"`` (the sign of Spearman's
            correlation between ``X`` and ``y``, as scikit-learn decides it).
        out_of_bounds: ``"clip"`` (the default here, and the serving default:
            the end values), ``"nan"``, or ``"error"`` (``"raise"`` is accepted
            as scikit-learn's name for it).
        y_min: lower bound of the fitted values, or ``None``.
        y_max: upper bound of the fitted values, or ``None``.
        strict: centered (rank-preserving) isotonic regression: the map is
            strictly monotone on its fitted range, so calibration never ties
            items that were not tied (see docs/concepts.md, "strict mode").

    Attributes (after ``fit``):
        X_thresholds_: the map's breakpoints (in ``X``'s dtype).
        y_thresholds_: the values at those breakpoints (in ``X``'s dtype).
        X_min_, X_max_: the fitted range (first and last breakpoint).
        increasing_: the direction that was fitted.

    Differences from scikit-learn, on purpose: ``out_of_bounds`` defaults to
    ``"clip"``; negative sample weights are refused instead of dropped; with
    a single threshold the out-of-bounds policy still applies; ``float32``
    input is fitted in f64 (scikit-learn fits in f32), so thresholds are the
    f64 fit rounded to ``float32``; parameters take effect at ``fit``.
    """

    def __init__(
        self,
        increasing: Union[bool, str] = True,
        out_of_bounds: str = "clip",
        y_min: Optional[float] = None,
        y_max: Optional[float] = None,
        strict: bool = False,
    ) -> None:
        self.increasing = increasing
        self.out_of_bounds = out_of_bounds
        self.y_min = y_min
        self.y_max = y_max
        self.strict = strict

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "IsotonicCalibrator":
        """Fits the map to scores ``X`` (shape ``(n,)`` or ``(n, 1)``) and
        targets ``y`` (labels in [0, 1] for calibration; any finite values
        for plain isotonic regression), with optional non-negative
        ``sample_weight``. Returns ``self``."""
        _require_y(self, y)
        x = as_scores(X)
        fitted = _calib._fit_isotonic(
            x,
            as_float_array(y, "y"),
            as_optional(sample_weight, "sample_weight"),
            increasing=self.increasing,
            y_min=self.y_min,
            y_max=self.y_max,
            strict=bool(self.strict),
            out_of_bounds=self.out_of_bounds,
        )
        self._set_fitted(fitted, x)
        self.increasing_ = fitted.increasing
        return self

    def fit_sketch(self, sketch: "_calib.FitSketch") -> "IsotonicCalibrator":
        """Fits the map from a :class:`calib.FitSketch` of every row (all
        classes together): the map :meth:`fit` gives on those rows, bitwise
        for unweighted 0/1 labels. ``increasing`` must be ``True`` or
        ``False`` (``"auto"`` needs the rows). Returns ``self``."""
        model = sketch.fit_model(
            increasing=self.increasing,
            strict=bool(self.strict),
            y_min=self.y_min,
            y_max=self.y_max,
            out_of_bounds=self.out_of_bounds,
        )
        fitted = _calib._FittedMap._from_state(model.to_json(False))
        self._set_fitted(fitted, np.empty(0, dtype=np.float64))
        self.increasing_ = fitted.increasing
        return self


class HistogramCalibrator(_SingleMapCalibrator, RegressorMixin, TransformerMixin, BaseEstimator):
    """Histogram-binning calibration: each bin's value is its (weighted)
    label mean; a score gets its bin's value.

    Args:
        n_bins: the number of bins K, or ``"cube_root"`` (K = round(N^(1/3))
            clamped to 5..50).
        strategy: ``"equal_mass"`` (quantile edges; ``"quantile"`` is accepted
            too) or ``"equal_width"`` (``"uniform"``), over the observed score
            range.
        min_samples_per_bin: bins with fewer rows are merged into a neighbour
            (empty bins always are).
        out_of_bounds: ``"clip"``, ``"nan"`` or ``"error"``.

    Attributes (after ``fit``):
        X_thresholds_, y_thresholds_: the step function as breakpoints (a
            bin ``[a, b]`` is written as ``(a, v), (b, v)``).
        X_min_, X_max_: the fitted score range.
        merged_bins_: requested bins merged away (duplicate edges or too few
            samples) — a histogram calibrator that lost half its bins is not
            the one you asked for.

    Labels must lie in [0, 1]. Histogram maps tie every item within a bin,
    so they are not rank-preserving.
    """

    def __init__(
        self,
        n_bins: Union[int, str] = 15,
        strategy: str = "equal_mass",
        min_samples_per_bin: int = 1,
        out_of_bounds: str = "clip",
    ) -> None:
        self.n_bins = n_bins
        self.strategy = strategy
        self.min_samples_per_bin = min_samples_per_bin
        self.out_of_bounds = out_of_bounds

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "HistogramCalibrator":
        """Fits the bins to scores ``X`` and labels ``y`` in [0, 1], with
        optional non-negative ``sample_weight``. Returns ``self``."""
        _require_y(self, y)
        x = as_scores(X)
        fitted = _calib._fit_histogram(
            x,
            as_float_array(y, "y"),
            as_optional(sample_weight, "sample_weight"),
            n_bins=self.n_bins,
            strategy=self.strategy,
            min_samples_per_bin=self.min_samples_per_bin,
            out_of_bounds=self.out_of_bounds,
        )
        self._set_fitted(fitted, x)
        self.merged_bins_ = fitted.merged_bins
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _class_names(classes: Classes, what: str = "classes") -> Any:
    """None, one class name for every row, or one name per row (as str)."""
    if classes is None or isinstance(classes, str):
        return classes
    arr = np.asarray(classes)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be a str or a 1-D sequence (one class per row), got shape {arr.shape}")
    return [c if isinstance(c, str) else str(c) for c in arr.tolist()]


class ClassCalibrator(BaseEstimator):
    """Per-class calibration: one map per query class (intent, language, ...)
    plus a global map for unknown classes and classes too small to fit.

    A thin estimator over :func:`calib.fit_model`; the fitted
    :class:`calib.Model` is ``model_``, ready to save and serve.

    Args:
        method: ``"isotonic"`` or ``"histogram"``.
        increasing, strict, y_min, y_max: isotonic options (as
            :class:`IsotonicCalibrator`; ``"auto"`` decides per map).
        n_bins, strategy, min_samples_per_bin: histogram options (as
            :class:`HistogramCalibrator`).
        min_class_samples: a class with fewer rows gets no map of its own.
        out_of_bounds: ``"clip"``, ``"nan"`` or ``"error"``.
        non_finite: ``"error"`` or a fallback value for NaN/±inf scores.
        epsilon: probability floor ε: outputs are clamped to [ε, 1 − ε].

    Attributes (after ``fit``):
        model_: the fitted :class:`calib.Model`.
        classes_: names of the classes with their own map.
    """

    def __init__(
        self,
        method: str = "isotonic",
        increasing: Union[bool, str] = True,
        strict: bool = False,
        y_min: Optional[float] = None,
        y_max: Optional[float] = None,
        n_bins: Union[int, str] = 15,
        strategy: str = "equal_mass",
        min_samples_per_bin: int = 1,
        min_class_samples: int = 1000,
        out_of_bounds: str = "clip",
        non_finite: Union[str, float] = "error",
        epsilon: float = 0.0,
    ) -> None:
        self.method = method
        self.increasing = increasing
        self.strict = strict
        self.y_min = y_min
        self.y_max = y_max
        self.n_bins = n_bins
        self.strategy = strategy
        self.min_samples_per_bin = min_samples_per_bin
        self.min_class_samples = min_class_samples
        self.out_of_bounds = out_of_bounds
        self.non_finite = non_finite
        self.epsilon = epsilon

    def fit(self, X: Any, y: Any, classes: Classes = None, sample_weight: Any = None) -> "ClassCalibrator":
        """Fits the global map on every row and a map per class with at
        least ``min_class_samples`` rows.

        Args:
            X: scores, shape ``(n,)`` or ``(n, 1)``.
            y: labels in [0, 1].
            classes: ``None`` (global map only) or one class per row (str, or
                anything whose ``str()`` names the class).
            sample_weight: optional non-negative weights.
        """
        _require_y(self, y)
        names = _class_names(classes)
        if isinstance(names, str):
            raise TypeError("classes must be one class per row (a sequence), not a single str")
        self.model_ = _calib.fit_model(
            as_scores(X),
            as_float_array(y, "y"),
            as_optional(sample_weight, "sample_weight"),
            names,
            method=self.method,
            increasing=self.increasing,
            strict=bool(self.strict),
            y_min=self.y_min,
            y_max=self.y_max,
            n_bins=self.n_bins,
            strategy=self.strategy,
            min_samples_per_bin=self.min_samples_per_bin,
            min_class_samples=self.min_class_samples,
            out_of_bounds=self.out_of_bounds,
            non_finite=self.non_finite,
            epsilon=self.epsilon,
        )
        self.classes_ = self.model_.classes
        return self

    def fit_sketch(self, sketch: "_calib.FitSketch") -> "ClassCalibrator":
        """Fits from a :class:`calib.FitSketch` built with one class per row:
        the model :meth:`fit` gives on those rows (isotonic only; bitwise for
        unweighted 0/1 labels; ``increasing`` must be ``True`` or ``False``)."""
        if self.method != "isotonic":
            raise ValueError(f"fit_sketch fits isotonic maps only, not method={self.method!r}")
        self.model_ = sketch.fit_model(
            increasing=self.increasing,
            strict=bool(self.strict),
            y_min=self.y_min,
            y_max=self.y_max,
            min_class_samples=self.min_class_samples,
            out_of_bounds=self.out_of_bounds,
            non_finite=self.non_finite,
            epsilon=self.epsilon,
        )
        self.classes_ = self.model_.classes
        return self

    def _model(self) -> "_calib.Model":
        m = self.__dict__.get("model_")
        if m is None:
            raise _not_fitted(self)
        return m  # type: ignore[no-any-return]

    def __sklearn_is_fitted__(self) -> bool:
        return self.__dict__.get("model_") is not None

    def predict(self, X: Any, classes: Classes = None) -> np.ndarray:
        """Calibrated probabilities of ``X``.

        ``classes``: ``None`` (global map), one class name for every score,
        or one class per score. Classes without their own map use the global
        map. ``float32`` in gives ``float32`` out.
        """
        return self._model().apply(as_scores(X), _class_names(classes))

    def predict_one(self, score: float, cls: Optional[str] = None) -> float:
        """Calibrated probability of one score of class ``cls``."""
        return self._model().apply_one(score, cls)

    def to_json(self, pretty: bool = False) -> str:
        """The fitted model in calib's JSON model format."""
        return self._model().to_json(pretty)

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the fitted model file (load it with :func:`calib.load`)."""
        self._model().save(path)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.target_tags.required = True
        return tags
