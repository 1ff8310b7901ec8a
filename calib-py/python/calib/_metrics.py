"""Reliability bins as a typed tuple of arrays (the metrics themselves are
calib's core functions, exported from :mod:`calib` unchanged)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _calib


@dataclass(frozen=True)
class ReliabilityBins:
    """The non-empty bins of a reliability diagram, one array per column.

    Attributes:
        lower, upper: bin edges.
        count: points in the bin (int64).
        weight: their total weight (the count when unweighted).
        mean_p: mean predicted probability p̄.
        observed: observed positive rate ȳ.
        ci_low, ci_high: Wilson 95 % interval of the observed rate.
    """

    lower: np.ndarray
    upper: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    mean_p: np.ndarray
    observed: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


def reliability_bins(
    probs: Any,
    labels: Any,
    sample_weight: Any = None,
    n_bins: int = 15,
    strategy: str = "equal_width",
) -> ReliabilityBins:
    """Reliability-diagram bins of probabilities against labels.

    Args:
        probs: predicted probabilities in [0, 1].
        labels: labels in [0, 1].
        sample_weight: optional non-negative weights.
        n_bins: K.
        strategy: ``"equal_width"`` (``"uniform"``) or ``"equal_mass"``
            (``"quantile"``). A probability exactly on an interior edge
            belongs to the lower bin; 1.0 belongs to the last bin.

    Returns:
        :class:`ReliabilityBins` over the non-empty bins.
    """
    d = _calib._reliability_bins(probs, labels, sample_weight, n_bins, strategy)
    return ReliabilityBins(**d)
