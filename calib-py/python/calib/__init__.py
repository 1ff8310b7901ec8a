"""calib: calibrated probabilities for rankers, on one Rust core.

calib turns a ranker's raw scores into probabilities that mean what they say
and measures how well they do. Everything numeric — isotonic (PAV) and
histogram fits, interpolation, binning, metrics, digests — is computed by
calib's Rust core (calib-core), the same code the Rust, Node and WASM
runtimes run, so Python gets bit-identical results.

Fit and serve::

    import numpy as np
    import calib

    cal = calib.IsotonicCalibrator(out_of_bounds="clip").fit(scores, labels)
    probs = cal.predict(new_scores)          # scikit-learn's contract
    calib.ece(probs, new_labels)             # expected calibration error
    cal.save("model.json")                   # calib's JSON model format
    model = calib.load("model.json")         # the lean serving object
    model.apply(new_scores)

The pieces:

- estimators (scikit-learn's contract): :class:`IsotonicCalibrator`,
  :class:`HistogramCalibrator`, :class:`ClassCalibrator` (one map per class);
- serving and files: :class:`Model`, :func:`load`, :func:`fit_model`;
- metrics: :func:`ece`, :func:`aece`, :func:`mce`, :func:`dece`,
  :func:`brier`, :func:`log_loss`, :func:`evaluate`,
  :func:`reliability_bins`, :func:`tau`, :func:`bootstrap_c_hat`;
- :func:`plot_reliability` (needs matplotlib: ``pip install 'calib[plot]'``);
- trust: :func:`fingerprint` (the core's binning fingerprint), signed
  manifests: :func:`verify_manifest`, :func:`load_manifest` (the verified
  loader), :class:`TrustPolicy`, :class:`TrustState`, :class:`PublicKey`,
  :class:`SecretKey`, :func:`sign_manifest` (development manifests);
- rollout: :func:`bucket`, :func:`included` (stable key bucketing);
- scale-out: :class:`FitSketch` (exact, mergeable fit statistics; fit with
  ``IsotonicCalibrator.fit_sketch`` / ``ClassCalibrator.fit_sketch``), and
  the ``calib.spark`` and ``calib.dask`` modules (fit, evaluate and apply on
  Spark and Dask dataframes; imported on demand);
- errors: :class:`CalibError` (from the core, with ``.code``),
  :class:`InputTypeError`, :class:`NotFittedError`.

Arrays: contiguous ``float64`` numpy arrays are read in place (no copy);
``float32`` arrays are widened to f64 for the computation and calibrated
scores come back as ``float32``; other inputs are converted with numpy or
refused. Large batches release the GIL. Terms and formulas:
docs/concepts.md in calib's repository.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, List, Union

from . import _calib
from ._calib import (
    FitSketch,
    Model,
    PublicKey,
    SecretKey,
    TrustPolicy,
    TrustState,
    VerifiedManifest,
    aece,
    bootstrap_c_hat,
    brier,
    bucket,
    dece,
    ece,
    evaluate,
    fingerprint,
    fit_model,
    included,
    load_manifest,
    log_loss,
    mce,
    sign_manifest,
    tau,
    verify_manifest,
)
from ._errors import CalibError, InputTypeError, ManifestError
from ._metrics import ReliabilityBins, reliability_bins
from ._plot import plot_reliability

if TYPE_CHECKING:  # pragma: no cover - typing only; imported on first use below
    from ._compat import NotFittedError
    from ._estimators import ClassCalibrator, HistogramCalibrator, IsotonicCalibrator

__version__: str = _calib.__version__

# The estimators (and NotFittedError) are imported on first use: with
# scikit-learn installed they derive from its base classes, and importing
# scikit-learn (and SciPy) costs about a second and 150 MB. Serving code
# (calib.Model, calib.load) and Spark/Dask workers never pay for it.
_LAZY = {
    "ClassCalibrator": "._estimators",
    "HistogramCalibrator": "._estimators",
    "IsotonicCalibrator": "._estimators",
    "NotFittedError": "._compat",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_LAZY))


def load(path: Union[str, "os.PathLike[str]"]) -> Model:
    """Reads a calib model file (written by ``save`` or the ``calib`` CLI)."""
    return Model.load(path)


__all__ = [
    "CalibError",
    "ClassCalibrator",
    "FitSketch",
    "HistogramCalibrator",
    "InputTypeError",
    "IsotonicCalibrator",
    "ManifestError",
    "Model",
    "NotFittedError",
    "PublicKey",
    "ReliabilityBins",
    "SecretKey",
    "TrustPolicy",
    "TrustState",
    "VerifiedManifest",
    "__version__",
    "aece",
    "bootstrap_c_hat",
    "brier",
    "bucket",
    "dece",
    "ece",
    "evaluate",
    "fingerprint",
    "fit_model",
    "included",
    "load",
    "load_manifest",
    "log_loss",
    "mce",
    "plot_reliability",
    "reliability_bins",
    "sign_manifest",
    "tau",
    "verify_manifest",
]
