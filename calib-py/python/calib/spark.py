"""calib on Apache Spark: fit, evaluate and apply where the logs live.

Fitting never collects rows. Each partition is summarised by a
:class:`calib.FitSketch` (``mapInArrow``: Arrow batches in, one sketch's
bytes out), the sketches are merged on the executors with
``RDD.treeReduce``, and only the merged sketch — one entry per distinct
score — reaches the driver, where PAV runs. The map is the one
:func:`calib.fit_model` gives on the same rows in memory: bitwise for
unweighted 0/1 labels, to about 1e-12 relative with weights.

Example::

    import calib.spark

    model = calib.spark.fit(df, score="score", label="clicked", cls="intent")
    metrics = calib.spark.evaluate(df, model, score="score", label="clicked", cls="intent")
    scored = calib.spark.apply(df, model, score="score", cls="intent", out="calibrated")

Executors need calib installed (the same version as the driver). pyspark is
imported only when these functions run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple, Union

import numpy as np

from ._calib import FitSketch, Model

if TYPE_CHECKING:  # pragma: no cover - typing only
    from pyspark.sql import DataFrame

__all__ = ["apply", "evaluate", "fit", "sketch"]

_Quantize = Union[None, str, float]


def _columns(score: str, label: Optional[str], weight: Optional[str], cls: Optional[str]) -> List[str]:
    return [c for c in (score, label, weight, cls) if c is not None]


def _floats(batch: Any, name: str) -> np.ndarray:
    col = batch.column(name)
    if col.null_count:
        raise ValueError(f"column {name!r} has {col.null_count} null value(s)")
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)


def _names(batch: Any, name: str) -> List[str]:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    col = batch.column(name)
    if col.null_count:
        raise ValueError(f"class column {name!r} has {col.null_count} null value(s)")
    return [str(v) for v in col.cast(pa.string()).to_pylist()]


class _Chunks:
    """Sketches a partition's Arrow batches chunk by chunk: batches are
    buffered until the core's chunk rule (:meth:`FitSketch.chunk_due`) says a
    chunk is due, then sketched at once and merged in. One merge per batch
    would cost a pass over the whole sketch for every few thousand rows."""

    def __init__(self, quantize: _Quantize, has_classes: bool, min_rows: Optional[int] = None) -> None:
        self.quantize = quantize
        self.min_rows = min_rows
        self.acc = FitSketch.empty(quantize=quantize, has_classes=has_classes)
        self.parts: List[Tuple[np.ndarray, np.ndarray, Optional[np.ndarray], Optional[List[str]]]] = []
        self.held = 0

    def add(
        self, score: np.ndarray, label: np.ndarray, weight: Optional[np.ndarray], cls: Optional[List[str]]
    ) -> None:
        self.parts.append((score, label, weight, cls))
        self.held += len(score)
        if self.acc.chunk_due(self.held, self.min_rows):
            self.flush()

    def flush(self) -> None:
        if not self.parts:
            return
        score, label, weight, cls = zip(*self.parts)
        self.acc = self.acc.merge(
            FitSketch.from_arrays(
                np.concatenate(score),
                np.concatenate(label),
                None if weight[0] is None else np.concatenate(weight),
                None if cls[0] is None else [c for part in cls for c in part],
                quantize=self.quantize,
            )
        )
        self.parts, self.held = [], 0

    def to_bytes(self) -> bytes:
        self.flush()
        return self.acc.to_bytes()


def _sketch_batches(
    batches: Iterator[Any],
    score: str,
    label: str,
    weight: Optional[str],
    cls: Optional[str],
    quantize: _Quantize,
) -> bytes:
    """One partition's Arrow batches as one sketch's bytes."""
    acc = _Chunks(quantize, cls is not None)
    for b in batches:
        if b.num_rows == 0:
            continue
        acc.add(
            _floats(b, score),
            _floats(b, label),
            None if weight is None else _floats(b, weight),
            None if cls is None else _names(b, cls),
        )
    return acc.to_bytes()


def _merge_bytes(a: bytes, b: bytes) -> bytes:
    return FitSketch.from_bytes(a).merge(FitSketch.from_bytes(b)).to_bytes()


def _reduce_sketches(df: "DataFrame", make: Any, quantize: _Quantize, has_classes: bool, depth: int) -> FitSketch:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    schema = pa.schema([("sketch", pa.binary())])

    def per_partition(batches: Iterator[Any]) -> Iterator[Any]:
        yield pa.RecordBatch.from_arrays([pa.array([make(batches)], pa.binary())], schema=schema)

    parts = df.mapInArrow(per_partition, "sketch binary").rdd.map(lambda row: bytes(row[0]))
    if parts.getNumPartitions() == 0:
        return FitSketch.empty(quantize=quantize, has_classes=has_classes)
    return FitSketch.from_bytes(parts.treeReduce(_merge_bytes, depth=depth))


def sketch(
    df: "DataFrame",
    score: str = "score",
    label: str = "label",
    weight: Optional[str] = None,
    cls: Optional[str] = None,
    quantize: _Quantize = None,
    *,
    depth: int = 2,
) -> FitSketch:
    """The merged :class:`calib.FitSketch` of ``df``'s rows: one sketch per
    partition (``mapInArrow``), merged on the executors (``treeReduce`` of
    the given ``depth``). Its bytes can be stored and merged with others."""
    cols = _columns(score, label, weight, cls)

    def make(batches: Iterator[Any]) -> bytes:
        return _sketch_batches(batches, score, label, weight, cls, quantize)

    return _reduce_sketches(df.select(*cols), make, quantize, cls is not None, depth)


def fit(
    df: "DataFrame",
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
    depth: int = 2,
) -> Model:
    """Fits a :class:`calib.Model` on a Spark DataFrame: a global map and,
    with ``cls``, one map per class with at least ``min_class_samples``
    rows — the model :func:`calib.fit_model` fits on the same rows."""
    sk = sketch(df, score, label, weight, cls, quantize, depth=depth)
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


_MODELS: Dict[str, Model] = {}


def _model(text: str) -> Model:
    """Parses a broadcast model once per Python worker (a few kept)."""
    m = _MODELS.get(text)
    if m is None:
        if len(_MODELS) >= 8:
            _MODELS.clear()
        m = _MODELS[text] = Model.from_json(text)
    return m


def _probabilities(model: Model, batch: Any, score: str, cls: Optional[str]) -> np.ndarray:
    classes = None if cls is None else _names(batch, cls)
    return np.asarray(model.apply(_floats(batch, score), classes), dtype=np.float64)


def evaluate(
    df: "DataFrame",
    model: Model,
    score: str = "score",
    label: str = "label",
    weight: Optional[str] = None,
    cls: Optional[str] = None,
    *,
    n_bins: int = 15,
    depth: int = 2,
) -> Dict[str, float]:
    """Every metric of ``model`` on ``df`` (as :func:`calib.evaluate` on the
    calibrated rows): each partition sketches its calibrated probabilities,
    the sketches are tree-merged, and ECE, AECE (equal-mass edges from the
    merged distribution), MCE, DECE, Brier and log-loss come from the merged
    sketch."""
    bc = df.sparkSession.sparkContext.broadcast(model.to_json(False))
    cols = _columns(score, label, weight, cls)

    def make(batches: Iterator[Any]) -> bytes:
        m = _model(bc.value)
        acc = _Chunks(None, False)
        for b in batches:
            if b.num_rows == 0:
                continue
            w = None if weight is None else _floats(b, weight)
            acc.add(_probabilities(m, b, score, cls), _floats(b, label), w, None)
        return acc.to_bytes()

    return _reduce_sketches(df.select(*cols), make, None, False, depth).evaluate(n_bins)


def apply(
    df: "DataFrame",
    model: Model,
    score: str = "score",
    cls: Optional[str] = None,
    out: str = "calibrated",
) -> "DataFrame":
    """``df`` with a column ``out`` of calibrated probabilities: a
    vectorised Arrow UDF (``mapInArrow``) over the broadcast model."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    from pyspark.sql.types import DoubleType, StructField, StructType

    if out in df.columns:
        raise ValueError(f"column {out!r} already exists")
    bc = df.sparkSession.sparkContext.broadcast(model.to_json(False))
    schema = StructType(df.schema.fields + [StructField(out, DoubleType(), False)])

    def calibrate(batches: Iterator[Any]) -> Iterator[Any]:
        m = _model(bc.value)
        for b in batches:
            p = _probabilities(m, b, score, cls) if b.num_rows else np.empty(0)
            yield pa.RecordBatch.from_arrays(
                list(b.columns) + [pa.array(p, pa.float64())], names=list(b.schema.names) + [out]
            )

    return df.mapInArrow(calibrate, schema)
