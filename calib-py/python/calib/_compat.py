"""scikit-learn compatibility without a hard dependency on scikit-learn.

With scikit-learn installed, calib's estimators derive from its
``BaseEstimator``, ``RegressorMixin`` and ``TransformerMixin`` (``clone``,
pipelines, ``get_params``/``set_params``, estimator tags, ``score``) and raise
its ``NotFittedError``, exactly like scikit-learn's own estimators. Without
it, small stand-ins give the same ``get_params``/``set_params``/repr, so the
estimators work unchanged (the pattern LightGBM and XGBoost follow). The price
of the first case is scikit-learn's import time when calib is imported;
:class:`calib.Model` is the lean serving path either way.
"""

from __future__ import annotations

import inspect
from typing import Any, Dict, List

class _NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit``."""


class _BaseEstimator:
    """``get_params``/``set_params`` and a repr, as scikit-learn's base."""

    @classmethod
    def _get_param_names(cls) -> List[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        """The constructor parameters and their values."""
        return {k: getattr(self, k) for k in self._get_param_names()}

    def set_params(self, **params: Any) -> Any:
        """Sets constructor parameters; returns ``self``."""
        valid = self._get_param_names()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(
                    f"Invalid parameter {k!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {valid!r}."
                )
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        shown = []
        for k in self._get_param_names():
            v = getattr(self, k)
            default = sig.parameters[k].default
            if v is default or (type(v) is type(default) and v == default):
                continue
            shown.append(f"{k}={v!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


class _RegressorMixin:
    """Stand-in: scikit-learn's mixin adds ``score`` (R²)."""


class _TransformerMixin:
    """Stand-in: calib's estimators define ``fit_transform`` themselves."""


try:
    # scikit-learn ships no type information.
    from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin  # type: ignore[import-untyped]
    from sklearn.exceptions import NotFittedError  # type: ignore[import-untyped]

    SKLEARN_INSTALLED = True
except ImportError:  # pragma: no cover - exercised in a subprocess test
    SKLEARN_INSTALLED = False
    NotFittedError = _NotFittedError
    BaseEstimator = _BaseEstimator
    RegressorMixin = _RegressorMixin
    TransformerMixin = _TransformerMixin


__all__ = ["BaseEstimator", "NotFittedError", "RegressorMixin", "SKLEARN_INSTALLED", "TransformerMixin"]
