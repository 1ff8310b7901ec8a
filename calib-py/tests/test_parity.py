"""The cross-runtime parity vectors (tests/vectors/parity.json) through the
Python API, bit for bit, and this runtime's outputs for the parity report.

Every model is loaded from its JSON (as every runtime does), every apply case
goes through ``Model.apply``, every metric case through the public metric
functions. The outputs are written to ``<target>/parity/python.json`` in the
``RuntimeOutputs`` format of tests/src/parity.rs (runtime, fingerprint,
apply, metrics; floats as 16 lowercase hex digits of their bits).
"""

from __future__ import annotations

import json
from typing import Dict, List

import numpy as np

import calib

from conftest import hexes, load_json, target_dir, unhex

VECTORS = load_json("parity.json")
METRICS = {
    "ece": lambda p, y, k: calib.ece(p, y, n_bins=k),
    "aece": lambda p, y, k: calib.aece(p, y, n_bins=k),
    "mce": lambda p, y, k: calib.mce(p, y, n_bins=k),
    "dece": lambda p, y, k: calib.dece(p, y, n_bins=k),
    "brier": lambda p, y, k: calib.brier(p, y),
    "log_loss": lambda p, y, k: calib.log_loss(p, y),
}


def compute() -> Dict[str, object]:
    models = {name: calib.Model.from_json(json.dumps(m)) for name, m in VECTORS["models"].items()}
    apply: Dict[str, List[str]] = {}
    for case in VECTORS["apply"]:
        out = models[case["model"]].apply(unhex(case["scores"]), case["class"])
        assert out.dtype == np.float64
        apply[case["name"]] = hexes(out)
    metrics: Dict[str, Dict[str, str]] = {}
    for case in VECTORS["metrics"]:
        p, y, k = unhex(case["probs"]), unhex(case["labels"]), case["bins"]
        metrics[case["name"]] = {key: hexes(np.array([fn(p, y, k)]))[0] for key, fn in METRICS.items()}
    return {"runtime": "python", "fingerprint": calib.fingerprint(), "apply": apply, "metrics": metrics}


def differences(out: Dict[str, object]) -> List[str]:
    diffs = []
    for case in VECTORS["apply"]:
        got = out["apply"].get(case["name"])  # type: ignore[attr-defined]
        if got is None or len(got) != len(case["expected"]):
            diffs.append(f"{case['name']}: outputs missing or of the wrong length")
            continue
        diffs += [f"{case['name']}[{i}]: {e} != {g}" for i, (e, g) in enumerate(zip(case["expected"], got)) if e != g]
    for case in VECTORS["metrics"]:
        for key, e in case["expected"].items():
            g = out["metrics"].get(case["name"], {}).get(key)  # type: ignore[attr-defined]
            if g != e:
                diffs.append(f"{case['name']}/{key}: {e} != {g}")
    return diffs


def test_python_matches_the_vectors_bitwise_and_writes_its_outputs() -> None:
    out = compute()
    diffs = differences(out)
    assert not diffs, f"{len(diffs)} differences, first: {diffs[:5]}"
    d = target_dir() / "parity"
    d.mkdir(parents=True, exist_ok=True)
    (d / "python.json").write_text(json.dumps(out, sort_keys=True), encoding="utf-8")


def test_the_fingerprint_is_the_cores() -> None:
    fp = calib.fingerprint()
    assert len(fp) == 64 and all(c in "0123456789abcdef" for c in fp)
    assert fp == calib.fingerprint()


def test_evaluate_agrees_with_the_single_metrics_bitwise() -> None:
    for case in VECTORS["metrics"]:
        p, y, k = unhex(case["probs"]), unhex(case["labels"]), case["bins"]
        ev = calib.evaluate(p, y, n_bins=k)
        for key, e in case["expected"].items():
            assert hexes(np.array([ev[key]]))[0] == e, (case["name"], key)


def test_float32_scores_round_once_at_the_boundary() -> None:
    # float32 in, float32 out: the f64 result rounded once, never a second
    # computation in f32.
    models = {name: calib.Model.from_json(json.dumps(m)) for name, m in VECTORS["models"].items()}
    for case in VECTORS["apply"]:
        with np.errstate(over="ignore"):  # ±f64::MAX become ±inf in float32
            s32 = unhex(case["scores"]).astype(np.float32)
        m = models[case["model"]]
        got = m.apply(s32, case["class"])
        assert got.dtype == np.float32
        want = m.apply(s32.astype(np.float64), case["class"]).astype(np.float32)
        assert got.view("<u4").tolist() == want.view("<u4").tolist(), case["name"]
