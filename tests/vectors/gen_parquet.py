"""Writes the Parquet files calib's CLI tests read (tests/tests/parquet_cli.rs).

They are written by pyarrow, not by the Rust parquet crate calib reads with,
so the tests check that calib reads what another writer produces: the
codecs Spark, pyarrow, Polars and DuckDB use, dictionary-encoded strings,
float32 scores, boolean labels, integer weights and ids, UTC timestamps and
nulls. ``typed.csv`` holds the same rows as ``typed_*.parquet``, so a test
can compare a fit on each byte for byte.

    python tests/vectors/gen_parquet.py           # rewrite the files
    python tests/vectors/gen_parquet.py --check   # fail if they are stale

Deterministic: a fixed seed, and pyarrow pinned in scripts/requirements-dev.txt.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent / "parquet"
ROWS = 400
# Compressions the tests expect calib to read, and brotli, which calib is
# built without and must refuse with a clear message.
CODECS = ["snappy", "zstd", "gzip", "lz4", "none", "brotli"]


def typed_table() -> pa.Table:
    rng = np.random.default_rng(20261127)
    score = rng.random(ROWS).astype(np.float32)
    label = rng.random(ROWS) < score.astype(np.float64) ** 1.5
    cls = np.array(["web", "news", "images"])[rng.integers(0, 3, ROWS)]
    start = np.datetime64("2026-11-01T00:00:00", "us")
    ts = start + (np.arange(ROWS) * 90_000_000).astype("timedelta64[us]")
    return pa.table(
        {
            "score": pa.array(score, pa.float32()),
            "label": pa.array(label, pa.bool_()),
            "class": pa.array(cls).dictionary_encode(),
            "weight": pa.array(rng.integers(1, 4, ROWS), pa.int64()),
            "query_id": pa.array(rng.integers(0, 60, ROWS), pa.int64()),
            "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
        }
    )


def typed_csv(t: pa.Table) -> str:
    lines = ["score,label,class,weight,query_id,timestamp"]
    cols = [t.column(n).to_pylist() for n in t.column_names]
    for s, y, c, w, q, ts in zip(*cols):
        # repr of the float32 widened to float64: the exact value calib reads.
        stamp = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"{float(s)!r},{int(y)},{c},{w},{q},{stamp}")
    return "\n".join(lines) + "\n"


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    t = typed_table()
    for codec in CODECS:
        pq.write_table(t, out / f"typed_{codec}.parquet", compression=codec)
    (out / "typed.csv").write_text(typed_csv(t))
    # Plain (not dictionary-encoded) strings, a float64 score, int8 labels,
    # small row groups and pages: several batches and row groups per file.
    plain = pa.table(
        {
            "score": pa.array(t.column("score").to_numpy().astype(np.float64)),
            "label": pa.array(t.column("label").to_numpy().astype(np.int8)),
            "class": pa.array(t.column("class").to_pylist(), pa.large_string()),
        }
    )
    pq.write_table(plain, out / "plain.parquet", use_dictionary=False, row_group_size=128, data_page_size=512)
    # A null label in the 5th row, and a score stored as text.
    nulls = pa.table({"score": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "label": [0, 1, 0, 1, None, 1]})
    pq.write_table(nulls, out / "null_label.parquet")
    text = pa.table({"score": ["0.1", "0.2"], "label": [0, 1]})
    pq.write_table(text, out / "text_score.parquet")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = ap.parse_args()
    if not args.check:
        write(OUT)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        write(fresh)
        names = sorted(p.name for p in fresh.iterdir())
        committed = sorted(p.name for p in OUT.iterdir()) if OUT.is_dir() else []
        _, mismatch, errors = filecmp.cmpfiles(fresh, OUT, names, shallow=False)
        stale = mismatch + errors + sorted(set(committed) - set(names))
        if stale:
            print(f"tests/vectors/parquet is stale ({', '.join(stale)}): run python tests/vectors/gen_parquet.py")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
