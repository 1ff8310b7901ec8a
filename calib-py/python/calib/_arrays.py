"""How calib turns Python inputs into the float arrays its core reads.

The extension module takes 1-D ``float64`` and ``float32`` numpy arrays as
they are (no copy for contiguous ``float64``). Everything else comes here
once: it is converted with numpy, or refused with a clear error.

- ``float64``/``float32`` arrays: kept (big-endian data is byte-swapped);
- integer, unsigned, bool and other float widths: converted to ``float64``;
- object arrays and sequences: converted to ``float64`` if every element is
  a real number, else :class:`~calib.InputTypeError`;
- complex numbers, strings, dates, scipy sparse matrices:
  :class:`~calib.InputTypeError`;
- anything that is not 1-D: ``ValueError`` (estimators also accept a 2-D
  array with one column, as scikit-learn's IsotonicRegression does).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import InputTypeError


def _is_sparse(obj: Any) -> bool:
    module = type(obj).__module__ or ""
    return module.startswith("scipy.sparse")


def as_float_array(obj: Any, name: str, allow_column: bool = False) -> np.ndarray:
    """``obj`` as a contiguous 1-D float64 (or float32) array, or an error."""
    if _is_sparse(obj):
        raise InputTypeError(
            f"{name}: sparse input is not supported; pass a dense array (e.g. {name}.toarray())"
        )
    try:
        arr = np.asarray(obj)
    except (TypeError, ValueError) as e:
        raise InputTypeError(f"{name} must be an array of real numbers: {e}") from e
    kind = arr.dtype.kind
    if kind == "f" and arr.dtype.itemsize in (4, 8):
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
    elif kind in "fiub":
        arr = arr.astype(np.float64)
    elif kind == "c":
        raise InputTypeError(
            f"Complex data not supported: {name} has dtype {arr.dtype}; calib needs real numbers"
        )
    elif kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as e:
            raise InputTypeError(f"{name} must contain real numbers only: {e}") from e
    else:
        raise InputTypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    if arr.ndim == 2 and allow_column and arr.shape[1] == 1:
        arr = arr.reshape(-1)
    if arr.ndim == 2 and arr.shape[1] == 0:
        # scikit-learn's wording, which its users (and estimator checks) know.
        raise ValueError(f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    if arr.ndim == 0:
        raise InputTypeError(f"{name} must be a 1-D array, got a scalar ({obj!r}); wrap it in a list")
    if arr.ndim != 1:
        want = "a 1-D array or a 2-D array with one column" if allow_column else "a 1-D array"
        raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def as_scores(X: Any, name: str = "X") -> np.ndarray:
    """Estimator input: 1-D, or 2-D with one column (a view when possible)."""
    if type(X) is np.ndarray and X.ndim == 1 and (X.dtype == np.float64 or X.dtype == np.float32):
        return X
    return as_float_array(X, name, allow_column=True)


def as_optional(obj: Any, name: str) -> Any:
    """``None`` stays ``None``; anything else becomes a float array."""
    return None if obj is None else as_float_array(obj, name)
