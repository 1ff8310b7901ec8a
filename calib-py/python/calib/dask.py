"""calib on Dask: fit, evaluate and apply on dask dataframes.

Each partition is summarised by a :class:`calib.FitSketch`
(``map_partitions``), the sketches are merged in a tree (``split_every`` at
a time) on the workers, and PAV runs on the client over the merged sketch.
The map is the one :func:`calib.fit_model` gives on the same rows in memory:
bitwise for unweighted 0/1 labels, to about 1e-12 relative with weights.

Example::

    import calib.dask

    model = calib.dask.fit(ddf, score="score", label="clicked", cls="intent")
    metrics = calib.dask.evaluate(ddf, model, score="score", label="clicked")
    ddf = calib.dask.apply(ddf, model, score="score", out="calibrated")

Workers need calib installed. dask is imported only when these functions run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

import numpy as np

from ._calib import FitSketch, Model

if TYPE_CHECKING:  # pragma: no cover - typing only
    import dask.dataframe as dd

__all__ = ["apply", "evaluate", "fit", "sketch"]

_Quantize = Union[None, str, float]


def _floats(pdf: Any, name: str) -> np.ndarray:
    col = pdf[name]
    nulls = int(col.isna().sum())
    if nulls:
        raise ValueError(f"column {name!r} has {nulls} null value(s)")
    return np.asarray(col.to_numpy(), dtype=np.float64)


def _names(pdf: Any, name: str) -> List[str]:
    col = pdf[name]
    nulls = int(col.isna().sum())
    if nulls:
        raise ValueError(f"class column {name!r} has {nulls} null value(s)")
    return [str(v) for v in col.tolist()]


def _sketch_part(
    pdf: Any, score: str, label: str, weight: Optional[str], cls: Optional[str], quantize: _Quantize
) -> Any:
    """One partition as a one-element Series holding its sketch's bytes."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    if len(pdf) == 0:
        sk = FitSketch.empty(quantize=quantize, has_classes=cls is not None)
    else:
        sk = FitSketch.from_arrays(
            _floats(pdf, score),
            _floats(pdf, label),
            None if weight is None else _floats(pdf, weight),
            None if cls is None else _names(pdf, cls),
            quantize=quantize,
        )
    return pd.Series([sk.to_bytes()], dtype=object)


def _probability_part(
    pdf: Any, model: Model, score: str, label: str, weight: Optional[str], cls: Optional[str]
) -> Any:
    """One partition's calibrated probabilities, sketched."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    if len(pdf) == 0:
        return pd.Series([FitSketch.empty().to_bytes()], dtype=object)
    classes = None if cls is None else _names(pdf, cls)
    p = model.apply(_floats(pdf, score), classes)
    w = None if weight is None else _floats(pdf, weight)
    return pd.Series([FitSketch.from_arrays(p, _floats(pdf, label), w).to_bytes()], dtype=object)


def _merge_many(*parts: Any) -> bytes:
    """Merges sketches given as bytes or as one-element Series of bytes."""
    acc: Optional[FitSketch] = None
    for p in parts:
        for b in p if not isinstance(p, (bytes, bytearray)) else [p]:
            sk = FitSketch.from_bytes(bytes(b))
            acc = sk if acc is None else acc.merge(sk)
    assert acc is not None, "at least one partition"
    return acc.to_bytes()


def _tree_reduce(series: Any, split_every: int) -> FitSketch:
    import dask

    if split_every < 2:
        raise ValueError(f"split_every must be at least 2, got {split_every}")
    level = list(series.to_delayed())
    merge = dask.delayed(_merge_many, pure=True)
    while len(level) > 1:
        level = [merge(*level[i : i + split_every]) for i in range(0, len(level), split_every)]
    (top,) = level
    return FitSketch.from_bytes(merge(top).compute())


def sketch(
    ddf: "dd.DataFrame",
    score: str = "score",
    label: str = "label",
    weight: Optional[str] = None,
    cls: Optional[str] = None,
    quantize: _Quantize = None,
    *,
    split_every: int = 8,
) -> FitSketch:
    """The merged :class:`calib.FitSketch` of ``ddf``'s rows: one sketch per
    partition, merged ``split_every`` at a time in a tree on the workers."""
    parts = ddf.map_partitions(
        _sketch_part, score, label, weight, cls, quantize, meta=(None, "object"), enforce_metadata=False
    )
    return _tree_reduce(parts, split_every)


def fit(
    ddf: "dd.DataFrame",
    score: str = "score",
    label: str = "label",
    weight: Optional[str] = None,
    cls: Optional[str] = None,
    quantize: _Quantize = None,
    *,
    increasing: Union[bool, None] = True,
    strict: bool = False,
    y_min: Optional[float] = None,
    y_max: Optional[float] = None,
    min_class_samples: int = 1000,
    out_of_bounds: str = "clip",
    non_finite: Union[None, str, float] = None,
    epsilon: float = 0.0,
    split_every: int = 8,
) -> Model:
    """Fits a :class:`calib.Model` on a dask DataFrame: the model
    :func:`calib.fit_model` fits on the same rows."""
    sk = sketch(ddf, score, label, weight, cls, quantize, split_every=split_every)
    return sk.fit_model(
        increasing=increasing,
        strict=strict,
        y_min=y_min,
        y_max=y_max,
        min_class_samples=min_class_samples,
        out_of_bounds=out_of_bounds,
        non_finite=non_finite,
        epsilon=epsilon,
    )


def evaluate(
    ddf: "dd.DataFrame",
    model: Model,
    score: str = "score",
    label: str = "label",
    weight: Optional[str] = None,
    cls: Optional[str] = None,
    *,
    n_bins: int = 15,
    split_every: int = 8,
) -> Dict[str, float]:
    """Every metric of ``model`` on ``ddf`` (as :func:`calib.evaluate` on
    the calibrated rows), from the tree-merged sketch of the calibrated
    probabilities."""
    parts = ddf.map_partitions(
        _probability_part, model, score, label, weight, cls, meta=(None, "object"), enforce_metadata=False
    )
    return _tree_reduce(parts, split_every).evaluate(n_bins)


def _apply_part(pdf: Any, model: Model, score: str, cls: Optional[str], out: str) -> Any:
    classes = None if cls is None else _names(pdf, cls)
    p = model.apply(_floats(pdf, score), classes) if len(pdf) else np.empty(0)
    return pdf.assign(**{out: np.asarray(p, dtype=np.float64)})


def apply(
    ddf: "dd.DataFrame", model: Model, score: str = "score", cls: Optional[str] = None, out: str = "calibrated"
) -> "dd.DataFrame":
    """``ddf`` with a column ``out`` of calibrated probabilities (lazy)."""
    if out in ddf.columns:
        raise ValueError(f"column {out!r} already exists")
    meta = ddf._meta.assign(**{out: np.empty(0, dtype=np.float64)})
    return ddf.map_partitions(_apply_part, model, score, cls, out, meta=meta)
