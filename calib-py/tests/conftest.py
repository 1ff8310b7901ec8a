"""Shared paths and helpers of calib's Python tests.

The tests import the *installed* calib (the wheel calib-py/test.sh builds),
never the python/ source tree, so they test what users get.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, List

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"


def target_dir() -> Path:
    """$CARGO_TARGET_DIR, else <repo>/target (as tests/src/parity.rs)."""
    return Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")


def load_json(name: str) -> Any:
    with open(VECTORS / name, encoding="utf-8") as f:
        return json.load(f)


def unhex(values: List[str]) -> np.ndarray:
    """Hex IEEE-754 bits (16 lowercase digits each) to float64, bit-exact."""
    return np.array([int(h, 16) for h in values], dtype="<u8").view("<f8")


def hexes(values: np.ndarray) -> List[str]:
    """float64 to 16 lowercase hex digits of its bits (NaN payloads kept)."""
    bits = np.ascontiguousarray(values, dtype="<f8").view("<u8")
    return [f"{int(b):016x}" for b in bits]


def close(a: float, b: float, tol: float) -> bool:
    """|a − b| ≤ tol·max(1, |b|), NaN equal to NaN (as tests/src/lib.rs)."""
    if np.isnan(a) or np.isnan(b):
        return bool(np.isnan(a) and np.isnan(b))
    return abs(a - b) <= tol * max(1.0, abs(b))


@pytest.fixture
def ranker() -> Any:
    """A small miscalibrated ranker: (scores, labels)."""
    rng = np.random.default_rng(20240601)
    z = 1.5 * rng.standard_normal(5000)
    scores = 1.0 / (1.0 + np.exp(-z))
    labels = (rng.random(5000) < 1.0 / (1.0 + np.exp(-(1.8 * z - 0.4)))).astype(np.float64)
    return scores, labels
