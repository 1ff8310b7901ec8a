"""benches/scale_out.py at small scale (300 000 rows in 6 chunks, Spark
local[2], and the calib command over Parquet part files): it exits 0 and
reports every equality, and the models it reports
are the in-memory fits of the same rows recomputed here from the script's
own generator — so a script that stopped comparing, or compared the wrong
models, fails."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import calib
from conftest import ROOT, target_dir

pytest.importorskip("pyspark")
pytest.importorskip("psutil")

SCRIPT = ROOT / "benches" / "scale_out.py"
# A coarse grid makes the bound n_distinct <= GRID + 1 bite; a subsample of
# two chunks makes the in-memory check a strict prefix of the rows.
ROWS, CHUNK, GRID, SUBSAMPLE = 300_000, 50_000, 2000, 100_000


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("scale_out", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _in_memory_digest(bench: Any, seed: int, rows: int) -> str:
    parts = [bench.make_chunk(seed, i, bench.chunk_rows(rows, CHUNK, i), GRID) for i in range(-(-rows // CHUNK))]
    score = np.concatenate([s for s, _ in parts])
    label = np.concatenate([y for _, y in parts])
    return calib.fit_model(score, label, increasing=True).digest()


def _calib_binary() -> Path:
    """The calib command, built (or found up to date) by cargo."""
    build = ["cargo", "build", "-q", "--locked", "-p", "calib-cli", "--bin", "calib"]
    subprocess.run(build, cwd=ROOT, check=True, timeout=900)
    return target_dir() / "debug" / "calib"


def test_scale_out_bench_small(tmp_path: Path) -> None:
    out = tmp_path / "scale_out.json"
    cmd = [sys.executable, str(SCRIPT), "--rows", str(ROWS), "--chunk", str(CHUNK), "--grid", str(GRID)]
    cmd += ["--subsample", str(SUBSAMPLE), "--json", str(out), "--cli", str(_calib_binary())]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    r = json.loads(out.read_text(encoding="utf-8"))
    a, b, c, eq = r["sketch_merge"], r["spark"], r["cli"], r["equality"]

    assert r["ok"] is True
    assert eq["spark_vs_sketch_merge"] is True
    assert eq["cli_vs_sketch_merge"] is True
    assert eq["in_memory_vs_sketch_merge"] is True
    assert eq["rows_counted"] is True
    assert eq["subsample_rows"] == SUBSAMPLE

    # The reported models are the in-memory fits of the same rows.
    bench = _script()
    whole = _in_memory_digest(bench, r["seed"], ROWS)
    assert a["model_digest"] == whole
    assert b["model_digest"] == whole
    assert c["model_digest"] == whole
    prefix = _in_memory_digest(bench, r["seed"], SUBSAMPLE)
    assert a["subsample"]["in_memory_digest"] == prefix
    assert a["subsample"]["sketch_merge_digest"] == prefix
    assert prefix != whole

    # Plausible measurements.
    assert r["rows"] == a["rows"] == b["rows"] == c["rows"] == ROWS
    assert r["chunks"] == b["partitions"] == ROWS // CHUNK
    assert 0 < a["n_distinct"] <= GRID + 1
    assert a["sketch_bytes"] >= 40 * a["n_distinct"]
    assert (c["n_distinct"], c["part_files"]) == (a["n_distinct"], ROWS // CHUNK)
    assert c["peak_rss_mib"] > 0 and c["parquet_bytes"] > 0
    assert f"sketched {ROWS} rows" in c["calib_stderr"]
    for path in (a, b, c):
        assert path["seconds"] > 0
        assert path["rows_per_s"] == pytest.approx(ROWS / path["seconds"])
    for path in (a, b):
        assert path["peak_rss_by_rows_mib"][-1][0] == ROWS
        assert 0 < path["peak_rss_by_rows_mib"][-1][1] <= path["peak_rss_mib"]
    assert 0 < a["rss_after_imports_mib"] <= a["peak_rss_mib"]
    assert 0 < b["rss_before_fit_mib"] <= b["peak_rss_mib"]
    assert b["peak_rss_by_process_mib"]["jvm"] > 0 and b["jvm_max_heap_mib"] > 0
    assert b["startup_s"] > 0
    assert r["versions"]["calib"] == calib.__version__
    assert "equal" in run.stdout and "FAIL" not in run.stdout
