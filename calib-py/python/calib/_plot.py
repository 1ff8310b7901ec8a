"""Reliability diagrams (matplotlib is an optional dependency)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ._metrics import reliability_bins

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_MISSING = (
    "calib.plot_reliability needs matplotlib, an optional dependency of calib: "
    "install it with `pip install 'calib[plot]'` (or `pip install matplotlib`)"
)


def plot_reliability(
    probs: Any,
    labels: Any,
    sample_weight: Any = None,
    *,
    n_bins: int = 15,
    strategy: str = "equal_width",
    ax: Optional["Axes"] = None,
    label: Optional[str] = None,
    show_ci: bool = True,
    show_counts: bool = True,
    title: Optional[str] = None,
) -> "Figure":
    """Draws a reliability diagram and returns its matplotlib ``Figure``.

    The bins are :func:`calib.reliability_bins` (computed by calib's core):
    each non-empty bin is a point at (mean predicted probability, observed
    rate), with its Wilson 95 % interval when ``show_ci``; the diagonal is
    perfect calibration; ``show_counts`` adds the bin weights as bars on a
    second axis.

    Args:
        probs, labels, sample_weight, n_bins, strategy: as
            :func:`calib.reliability_bins`.
        ax: draw into these axes (their figure is returned); by default a new
            ``Figure`` is made (not registered with pyplot, so nothing is
            shown or leaked unless you do so).
        label: legend label of the curve.
        show_ci: draw the Wilson intervals.
        show_counts: draw the bin weights.
        title: the axes title.

    Raises:
        ImportError: when matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(_MISSING) from e
    bins = reliability_bins(probs, labels, sample_weight, n_bins, strategy)
    fig: Any
    if ax is None:
        fig = Figure(figsize=(5.0, 5.0), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure()
    if show_counts and len(bins.count):
        counts_ax = ax.twinx()
        counts_ax.bar(
            bins.lower, bins.weight, width=bins.upper - bins.lower, align="edge", alpha=0.15, color="grey"
        )
        counts_ax.set_ylabel("weight per bin")
        ax.set_zorder(counts_ax.get_zorder() + 1)
        ax.patch.set_visible(False)
    ax.plot([0.0, 1.0], [0.0, 1.0], linestyle="--", color="grey", linewidth=1, label="perfectly calibrated")
    line = ax.plot(bins.mean_p, bins.observed, marker="o", label=label or "observed rate")[0]
    if show_ci:
        ax.vlines(bins.mean_p, bins.ci_low, bins.ci_high, color=line.get_color(), alpha=0.5, label="Wilson 95 %")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed rate")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left")
    return fig  # type: ignore[no-any-return]
