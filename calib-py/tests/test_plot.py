"""calib.plot_reliability (matplotlib is optional)."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

import calib

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402


def test_returns_a_figure_with_the_bins(ranker: Any) -> None:
    p, y = ranker
    fig = calib.plot_reliability(p, y, n_bins=10, title="ranker")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bins = calib.reliability_bins(p, y, n_bins=10)
    curve = [line for line in ax.get_lines() if line.get_label() == "observed rate"][0]
    assert np.array_equal(curve.get_xdata(), bins.mean_p) and np.array_equal(curve.get_ydata(), bins.observed)
    assert ax.get_title() == "ranker"
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_draws_into_given_axes(ranker: Any) -> None:
    p, y = ranker
    fig = Figure()
    ax = fig.add_subplot()
    assert calib.plot_reliability(p, y, ax=ax, show_ci=False, show_counts=False, label="model") is fig
    assert [line.get_label() for line in ax.get_lines()] == ["perfectly calibrated", "model"]


def test_without_matplotlib_the_error_says_how_to_install_it() -> None:
    code = """
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        import calib
        try:
            calib.plot_reliability([0.2, 0.8], [0, 1])
        except ImportError as e:
            print(e)
    """
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install 'calib[plot]'" in out.stdout
