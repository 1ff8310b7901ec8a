"""Rollout bucketing against the committed vectors (tests/vectors/bucket.json,
the contract between runtimes)."""

from __future__ import annotations

import pytest

import calib

from conftest import load_json

VECTORS = load_json("bucket.json")


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c.get("note") or c["key"])
def test_bucket_vectors(case: dict) -> None:
    assert calib.bucket(case["salt"], case["key"]) == case["bucket"]
    for percent, want in case["included"].items():
        assert calib.included(case["salt"], case["key"], int(percent)) is want


def test_inclusion_is_monotone() -> None:
    keys = [f"repo:{i}" for i in range(2000)]
    inside = {p: {k for k in keys if calib.included("salt", k, p)} for p in (5, 25, 50, 100)}
    assert inside[5] <= inside[25] <= inside[50] <= inside[100] == set(keys)
