#!/usr/bin/env python3
"""Scale-out fit: about 1e8 rows fitted through Spark and through one
process's sketch-and-merge, with throughput, bounded memory and bitwise
equality to the in-memory fit.

The rows are synthetic and generated chunk by chunk, identically in both
paths: chunk i comes from numpy's ``default_rng([seed, i])``. A ranker's
latent z ~ N(0, 1.5²) gives the score sigmoid(z) *logged on a fixed grid*,
k / grid for an integer k (at most grid + 1 distinct scores), and the 0/1
label is drawn with probability p where logit p = 1.8 · logit s − 0.4 (a
distorted but monotone view of the score, so the isotonic map is far from
the identity and PAV pools many noisy steps).

Why a grid: a ``calib.FitSketch`` is exact, so it holds one entry (40 bytes)
per distinct score, and its size is bounded by the number of distinct
scores, not by the row count. Real rankers log f32 or rounded scores, so
that number is bounded in practice; with continuous f64 scores an exact
sketch would grow with the rows (up to 40 bytes per row), and
``quantize="f32"`` or a grid step is what bounds it (README.md,
"Scaling out"). The default grid of 1e5 keeps the sketch at 4 MB.

Two paths, run one after the other:

A. **sketch-and-merge, one process**: for each chunk,
   ``FitSketch.from_arrays`` and a merge into the accumulator; then
   ``fit_model`` on the merged sketch. It runs in a child process (this
   script with a hidden flag) so that its peak memory is its own: the
   report gives its high-water RSS (``VmHWM``; ``ru_maxrss`` is not used
   because Linux carries it across fork+exec, so a child would report its
   parent's peak) after the imports, after chunks 1, 2, 4, 8, ... and at
   the end. It stays at interpreter + numpy + calib (whose import brings
   numpy and the extension module) + one
   chunk's arrays and temporaries + a few sketches, whatever --rows is: the
   "peak RSS by rows" line is flat once the sketch holds every grid point.
   The child also checks the in-memory fit: ``calib.fit_model`` on the raw
   arrays of the first M rows (M = --subsample, rounded down to whole
   chunks, at most --rows) equals the fit of the accumulator as it was
   after those M rows, bitwise (canonical model JSON).
B. **Spark local[2]**: ``spark.range(chunks)`` with one partition per chunk,
   ``mapInArrow`` generating each chunk's rows from the same generator, and
   ``calib.spark.fit`` on that DataFrame (no row is collected). Its time
   excludes the SparkSession's start-up, which is reported separately, but
   includes launching the Python workers (each imports numpy, pyarrow and
   calib: a few seconds, amortised at 1e8 rows) and Spark's per-task cost
   (one task per chunk: keep chunks large).
   Memory is the RSS of the whole process tree (driver Python, JVM, Python
   workers) sampled by a background thread with psutil, a sum that counts
   pages shared between processes more than once (an upper bound). The JVM
   has a fixed floor (its heap, --spark-memory, plus code and off-heap
   buffers); what matters is that the peak does not grow with the rows, as
   the "peak RSS by rows" line shows (rows = finished chunk tasks × chunk).
   ``calib.spark.fit`` returns only the model, so this path reports no
   sketch size: the merged sketch is path A's (the models are equal).

C. **the calib command over Parquet** (with ``--cli PATH``, the ``calib``
   binary): the same chunks written as one Parquet part file each (pyarrow,
   snappy; written first and not timed), then ``calib sketch --input DIR``
   (it streams the part files: rows are sketched in chunks and merged) and
   ``calib fit --sketch``, timed together. Its peak memory is the
   ``calib`` process's own ``VmHWM``, polled while it runs. The model it
   writes must equal path A's.

Checks (exit status 1 if one fails): Spark's model equals path A's, and the
in-memory fit of M rows equals the sketch-and-merge fit of the same rows —
both byte for byte on the canonical model JSON, which holds every breakpoint
and value; and each path counted --rows rows.

Run from the repository root with the dev venv after calib-py/test.sh has
installed the ``calib`` wheel (Spark needs a JDK 17+ on PATH):

    .venv/bin/python benches/scale_out.py --json benches/results/scale_out_1e8.json \
        --cli target/release/calib
    .venv/bin/python benches/scale_out.py --rows 10000000 --skip-spark
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import numpy as np

import calib

SEED = 20240601
MIB = float(1 << 20)
# logit p = TEMPERATURE · logit s − BIAS: the label's true probability.
TEMPERATURE, BIAS = 1.8, 0.4


def chunk_rows(rows: int, chunk: int, index: int) -> int:
    """Rows in chunk `index` (the last one may be short)."""
    return min(chunk, rows - index * chunk)


def make_chunk(seed: int, index: int, n: int, grid: int) -> Tuple[np.ndarray, np.ndarray]:
    """Chunk `index`'s n rows (score, label): the same bits in every process."""
    rng = np.random.default_rng([seed, index])
    z = rng.standard_normal(n)
    z *= 1.5
    score = np.rint(grid / (1.0 + np.exp(-z)))
    score /= grid
    # p = s^a / (s^a + e^b (1 − s)^a), i.e. logit p = a · logit s − b, finite at s = 0 and 1.
    sa = score**TEMPERATURE
    p = sa / (sa + np.exp(BIAS) * (1.0 - score) ** TEMPERATURE)
    label = (rng.random(n) < p).astype(np.float64)
    return score, label


def subsample_rows(rows: int, chunk: int, subsample: int) -> int:
    """M: the in-memory check's rows, whole chunks, at most `rows`."""
    return min(rows, max(chunk, subsample // chunk * chunk))


def proc_hwm_mib(pid: Union[int, str] = "self") -> Optional[float]:
    """A process's peak resident memory (Linux VmHWM), if it still runs."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / MIB
    except OSError:
        pass
    return None


def vm_hwm_mib() -> float:
    """This process's peak resident memory (Linux VmHWM)."""
    hwm = proc_hwm_mib()
    if hwm is None:
        raise RuntimeError("no VmHWM in /proc/self/status")
    return hwm


def power_of_two(i: int) -> bool:
    return i & (i - 1) == 0


def sketch_merge(args: argparse.Namespace, model_path: str) -> Dict[str, Any]:
    """Path A (in the child process), then the in-memory check on M rows."""
    chunks = -(-args.rows // args.chunk)
    m = subsample_rows(args.rows, args.chunk, args.subsample)
    after_imports = vm_hwm_mib()
    acc = calib.FitSketch.empty()
    prefix: Optional[calib.FitSketch] = None
    generate_s = sketch_s = 0.0
    done = 0
    by_rows: List[List[float]] = []
    start = time.perf_counter()
    for i in range(chunks):
        t0 = time.perf_counter()
        score, label = make_chunk(args.seed, i, chunk_rows(args.rows, args.chunk, i), args.grid)
        t1 = time.perf_counter()
        acc = acc.merge(calib.FitSketch.from_arrays(score, label))
        generate_s += t1 - t0
        sketch_s += time.perf_counter() - t1
        done += len(score)
        del score, label
        if done == m:
            prefix = acc  # sketches are immutable: this is the sketch of the first M rows
        if power_of_two(i + 1) or i + 1 == chunks:
            by_rows.append([done, round(vm_hwm_mib(), 1)])
    t = time.perf_counter()
    model = acc.fit_model(increasing=True)
    fit_s = time.perf_counter() - t
    seconds = time.perf_counter() - start
    peak = vm_hwm_mib()
    model.save(model_path)

    assert prefix is not None, "M is a whole number of chunks"
    score_m, label_m = np.empty(m), np.empty(m)
    for i in range(-(-m // args.chunk)):
        part = slice(i * args.chunk, min(m, (i + 1) * args.chunk))
        score_m[part], label_m[part] = make_chunk(args.seed, i, chunk_rows(m, args.chunk, i), args.grid)
    t = time.perf_counter()
    in_memory = calib.fit_model(score_m, label_m, increasing=True)
    in_memory_s = time.perf_counter() - t
    from_prefix = prefix.fit_model(increasing=True)
    return {
        "seconds": seconds,
        "rows_per_s": args.rows / seconds,
        "generate_s": generate_s,
        "sketch_merge_s": sketch_s,
        "fit_s": fit_s,
        "rows": acc.rows,
        "n_distinct": acc.n_distinct,
        "sketch_bytes": len(acc.to_bytes()),
        "peak_rss_mib": round(peak, 1),
        "rss_after_imports_mib": round(after_imports, 1),
        "chunk_arrays_mib": round(16 * min(args.chunk, args.rows) / MIB, 1),
        "peak_rss_by_rows_mib": by_rows,
        "breakpoints": len(model.map_data()["x"]),
        "model_digest": model.digest(),
        "subsample": {
            "rows": m,
            "in_memory_fit_s": in_memory_s,
            "in_memory_digest": in_memory.digest(),
            "sketch_merge_digest": from_prefix.digest(),
            "equal": in_memory.canonical_json() == from_prefix.canonical_json(),
        },
    }


def run_sketch_merge(args: argparse.Namespace, model_path: str) -> Dict[str, Any]:
    """Runs path A in a fresh interpreter; returns its report."""
    cmd = [sys.executable, __file__, "--sketch-merge-child", model_path]
    cmd += ["--rows", str(args.rows), "--chunk", str(args.chunk), "--grid", str(args.grid)]
    cmd += ["--seed", str(args.seed), "--subsample", str(args.subsample)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    report: Dict[str, Any] = json.loads(out)
    return report


class TreeSampler(threading.Thread):
    """Peak RSS of this process and its descendants (the JVM and the Python
    workers it forks), sampled every `interval` seconds, with the running
    peak recorded when `progress()` (finished chunks) reaches 1, 2, 4, ..."""

    def __init__(self, progress: Callable[[], int], rows: int, chunk: int, interval: float = 0.2) -> None:
        import psutil

        super().__init__(daemon=True)
        self._psutil = psutil
        self._me = psutil.Process()
        self._progress, self._rows, self._chunk, self._interval = progress, rows, chunk, interval
        self._halt = threading.Event()
        self._mark = 1
        self.peak = {"total": 0.0, "driver": 0.0, "jvm": 0.0, "workers": 0.0}
        self.by_rows: List[List[float]] = []

    def sample(self) -> float:
        """Samples once; returns the tree's RSS in MiB."""
        now: Dict[str, float] = {"driver": self._me.memory_info().rss / MIB, "jvm": 0.0, "workers": 0.0}
        for p in self._me.children(recursive=True):
            try:
                rss, name = p.memory_info().rss / MIB, p.name()
            except (self._psutil.NoSuchProcess, self._psutil.AccessDenied):
                continue  # a worker that just exited
            now["jvm" if name == "java" else "workers"] += rss
        now["total"] = sum(now.values())
        for k, v in now.items():
            self.peak[k] = max(self.peak[k], v)
        return now["total"]

    def run(self) -> None:
        while not self._halt.wait(self._interval):
            self.sample()
            done = self._progress()
            if done >= self._mark:
                self.by_rows.append([min(done * self._chunk, self._rows), round(self.peak["total"], 1)])
                while self._mark <= done:
                    self._mark *= 2

    def finish(self) -> None:
        self._halt.set()
        self.join()
        self.sample()
        self.by_rows.append([self._rows, round(self.peak["total"], 1)])


def run_spark(args: argparse.Namespace) -> Tuple[Dict[str, Any], calib.Model]:
    """Path B: the same chunks generated and fitted inside Spark local[2]."""
    import pyarrow as pa
    from pyspark.sql import SparkSession

    import calib.spark

    # Python workers must be this interpreter (it has calib and numpy).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    t = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("calib-scale-out")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", args.spark_memory)
        .getOrCreate()
    )
    startup_s = time.perf_counter() - t
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    rows, chunk, grid, seed = args.rows, args.chunk, args.grid, args.seed
    chunks = -(-rows // chunk)

    def generate(batches: Iterator[Any]) -> Iterator[Any]:
        for b in batches:
            for i in b.column(0).to_pylist():
                score, label = make_chunk(seed, i, chunk_rows(rows, chunk, i), grid)
                yield pa.RecordBatch.from_arrays([pa.array(score), pa.array(label)], names=["score", "label"])

    def finished_chunks() -> int:
        tracker = sc.statusTracker()
        infos = (tracker.getStageInfo(s) for s in tracker.getActiveStageIds())
        return max((i.numCompletedTasks for i in infos if i is not None and i.numTasks == chunks), default=0)

    try:
        df = spark.range(0, chunks, 1, numPartitions=chunks).mapInArrow(generate, "score double, label double")
        sampler = TreeSampler(finished_chunks, rows, chunk)
        floor = sampler.sample()
        sampler.start()
        t = time.perf_counter()
        model = calib.spark.fit(df, score="score", label="label", increasing=True)
        seconds = time.perf_counter() - t
        sampler.finish()
        heap = sc._jvm.java.lang.Runtime.getRuntime().maxMemory() / MIB  # type: ignore[union-attr]
        batch = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
    finally:
        spark.stop()
    report = {
        "startup_s": startup_s,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "rows": int(model.map_data()["n"]),
        "n_distinct": None,  # calib.spark.fit returns the model only; the sketch is path A's
        "sketch_bytes": None,
        "partitions": chunks,
        "peak_rss_mib": round(sampler.peak["total"], 1),
        "peak_rss_by_process_mib": {k: round(sampler.peak[k], 1) for k in ("driver", "jvm", "workers")},
        "rss_before_fit_mib": round(floor, 1),
        "peak_rss_by_rows_mib": sampler.by_rows,
        "jvm_max_heap_mib": round(heap, 1),
        "spark_driver_memory": args.spark_memory,
        "arrow_max_records_per_batch": int(batch) if batch else None,
        "breakpoints": len(model.map_data()["x"]),
        "model_digest": model.digest(),
    }
    return report, model


def run_cli(args: argparse.Namespace, tmp: Path) -> Tuple[Dict[str, Any], calib.Model]:
    """Path C: the chunks as Parquet part files, `calib sketch` over the
    directory, `calib fit --sketch`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp / "logs"
    data.mkdir()
    chunks = -(-args.rows // args.chunk)
    t = time.perf_counter()
    for i in range(chunks):
        score, label = make_chunk(args.seed, i, chunk_rows(args.rows, args.chunk, i), args.grid)
        table = pa.table({"score": score, "label": label.astype(np.int8)})
        pq.write_table(table, data / f"part-{i:05d}.parquet", compression="snappy")
    write_s = time.perf_counter() - t
    parquet_bytes = sum(p.stat().st_size for p in data.iterdir())
    sketch_path, model_path = tmp / "all.sketch", tmp / "cli-model.json"

    t = time.perf_counter()
    proc = subprocess.Popen(
        [args.cli, "sketch", "--input", str(data), "--out", str(sketch_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, proc_hwm_mib(proc.pid) or 0.0)
        time.sleep(0.02)
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"calib sketch failed: {stderr}")
    sketch_s = time.perf_counter() - t
    t = time.perf_counter()
    fit = [args.cli, "fit", "--sketch", str(sketch_path), "--out", str(model_path), "--increasing", "true"]
    subprocess.run(fit, check=True, capture_output=True)
    fit_s = time.perf_counter() - t
    seconds = sketch_s + fit_s
    sketch_bytes = sketch_path.read_bytes()
    sk = calib.FitSketch.from_bytes(sketch_bytes)
    model = calib.load(model_path)
    report = {
        "seconds": seconds,
        "rows_per_s": args.rows / seconds,
        "sketch_s": sketch_s,
        "fit_s": fit_s,
        "write_parquet_s": write_s,
        "parquet_bytes": parquet_bytes,
        "part_files": chunks,
        "rows": sk.rows,
        "n_distinct": sk.n_distinct,
        "sketch_bytes": len(sketch_bytes),
        "peak_rss_mib": round(peak, 1),
        "calib_stderr": stderr.strip(),
        "breakpoints": len(model.map_data()["x"]),
        "model_digest": model.digest(),
    }
    return report, model


def machine() -> Dict[str, Any]:
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    with open("/proc/meminfo", encoding="ascii") as f:
        ram_kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
    return {
        "cpu": names[0] if names else platform.machine(),
        "cores": os.cpu_count(),
        "ram_gib": round(ram_kib / (1 << 20), 1),
        "os": platform.platform(),
        "load_avg_1m_start": os.getloadavg()[0],
    }


def versions(spark: bool) -> Dict[str, Optional[str]]:
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    except (OSError, IndexError):
        java = None
    out: Dict[str, Optional[str]] = {
        "python": platform.python_version(),
        "calib": calib.__version__,
        "numpy": np.__version__,
        "java": java,
    }
    if spark:
        import pyarrow
        import pyspark

        out.update(pyspark=pyspark.__version__, pyarrow=pyarrow.__version__)
    return out


def print_report(r: Dict[str, Any]) -> None:
    a, b, c, eq = r["sketch_merge"], r["spark"], r["cli"], r["equality"]
    print(
        f"\nscale-out fit: {r['rows']:,} rows in {r['chunks']:,} chunks of {r['chunk']:,}; "
        f"scores on the grid k/{r['grid']} (at most {r['grid'] + 1:,} distinct)\n"
    )
    print(f"{'path':<32} {'seconds':>9} {'rows/s':>12} {'peak RSS MiB':>13} {'sketch bytes':>13} {'n_distinct':>11}")
    print(
        f"{'sketch-and-merge, one process':<32} {a['seconds']:>9.2f} {a['rows_per_s']:>12,.0f} "
        f"{a['peak_rss_mib']:>13,.1f} {a['sketch_bytes']:>13,} {a['n_distinct']:>11,}"
    )
    if b is not None:
        print(
            f"{'Spark local[2], calib.spark.fit':<32} {b['seconds']:>9.2f} {b['rows_per_s']:>12,.0f} "
            f"{b['peak_rss_mib']:>13,.1f} {'(path A)':>13} {'(path A)':>11}"
        )

    if c is not None:
        print(
            f"{'calib sketch + fit, Parquet':<32} {c['seconds']:>9.2f} {c['rows_per_s']:>12,.0f} "
            f"{c['peak_rss_mib']:>13,.1f} {c['sketch_bytes']:>13,} {c['n_distinct']:>11,}"
        )

    def growth(points: List[List[float]]) -> str:
        return ", ".join(f"{int(n):,}: {mib:,.0f}" for n, mib in points)

    print(
        f"\nsketch-and-merge: generate {a['generate_s']:.2f} s, sketch+merge {a['sketch_merge_s']:.2f} s, "
        f"fit {a['fit_s']:.3f} s; RSS after imports {a['rss_after_imports_mib']:,.1f} MiB, "
        f"a chunk's score+label arrays {a['chunk_arrays_mib']:,.1f} MiB"
    )
    print(f"  peak RSS by rows (MiB): {growth(a['peak_rss_by_rows_mib'])}")
    if b is not None:
        p = b["peak_rss_by_process_mib"]
        print(
            f"Spark: start-up {b['startup_s']:.1f} s (not counted); process tree RSS before the fit "
            f"{b['rss_before_fit_mib']:,.0f} MiB; peaks: driver {p['driver']:,.0f}, JVM {p['jvm']:,.0f}, "
            f"Python workers {p['workers']:,.0f} MiB; JVM max heap {b['jvm_max_heap_mib']:,.0f} MiB "
            f"(spark.driver.memory={b['spark_driver_memory']}); {b['partitions']:,} partitions"
        )
        print(f"  peak RSS by rows (MiB): {growth(b['peak_rss_by_rows_mib'])}")

    if c is not None:
        print(
            f"calib command: {c['part_files']:,} Parquet part files, {c['parquet_bytes'] / MIB:,.1f} MiB "
            f"(written in {c['write_parquet_s']:.1f} s, not counted); sketch {c['sketch_s']:.2f} s, "
            f"fit {c['fit_s']:.2f} s; {c['calib_stderr']}"
        )

    def verdict(v: Optional[bool]) -> str:
        return "skipped" if v is None else "equal" if v else "DIFFERENT (FAIL)"

    print(f"\nSpark model vs sketch-and-merge model (canonical JSON): {verdict(eq['spark_vs_sketch_merge'])}")
    print(
        f"in-memory calib.fit_model on the first {eq['subsample_rows']:,} rows vs the sketch-and-merge "
        f"fit of those rows: {verdict(eq['in_memory_vs_sketch_merge'])} "
        f"(in-memory fit {a['subsample']['in_memory_fit_s']:.2f} s)"
    )
    print(f"calib command's model vs sketch-and-merge model (canonical JSON): {verdict(eq['cli_vs_sketch_merge'])}")
    print(f"rows counted by each path = {r['rows']:,}: {'ok' if eq['rows_counted'] else 'FAIL'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000_000, help="rows to fit")
    ap.add_argument("--chunk", type=int, default=1_000_000, help="rows per chunk (and per Spark partition)")
    ap.add_argument("--grid", type=int, default=100_000, help="scores are k / GRID (at most GRID+1 distinct)")
    ap.add_argument("--subsample", type=int, default=10_000_000, help="rows of the in-memory check (whole chunks)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--spark-memory", default="1g", help="spark.driver.memory (the JVM heap in local mode)")
    ap.add_argument("--json", type=Path, help="also write the report to this JSON file")
    ap.add_argument("--skip-spark", action="store_true", help="leave out path B (Spark)")
    ap.add_argument("--cli", metavar="CALIB", help="also run path C with this calib binary (needs disk for the Parquet)")
    ap.add_argument("--sketch-merge-child", metavar="MODEL_PATH", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rows < 1 or args.chunk < 1 or args.grid < 1:
        ap.error("--rows, --chunk and --grid must be positive")

    if args.sketch_merge_child:
        print(json.dumps(sketch_merge(args, args.sketch_merge_child)))
        return 0

    host = machine()
    print(f"sketch-and-merge of {args.rows:,} rows (child process) ...", file=sys.stderr)
    c: Optional[Dict[str, Any]] = None
    cli_equal: Optional[bool] = None
    with tempfile.TemporaryDirectory(prefix="calib-scale-out-") as tmp:
        model_path = str(Path(tmp) / "sketch-merge-model.json")
        a = run_sketch_merge(args, model_path)
        a_model = calib.load(model_path)
        if args.cli:
            print(f"calib sketch over {args.rows:,} rows of Parquet ...", file=sys.stderr)
            c, c_model = run_cli(args, Path(tmp))
            cli_equal = c_model.canonical_json() == a_model.canonical_json()
    b: Optional[Dict[str, Any]] = None
    spark_equal: Optional[bool] = None
    if not args.skip_spark:
        print(f"Spark local[2] fit of {args.rows:,} rows ...", file=sys.stderr)
        b, b_model = run_spark(args)
        spark_equal = b_model.canonical_json() == a_model.canonical_json()
    host["load_avg_1m_end"] = os.getloadavg()[0]

    counted = all(p is None or p["rows"] == args.rows for p in (a, b, c))
    equality = {
        "spark_vs_sketch_merge": spark_equal,
        "cli_vs_sketch_merge": cli_equal,
        "in_memory_vs_sketch_merge": a["subsample"]["equal"],
        "subsample_rows": a["subsample"]["rows"],
        "rows_counted": counted,
    }
    ok = spark_equal is not False and cli_equal is not False and a["subsample"]["equal"] and counted
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": [Path(sys.argv[0]).name] + sys.argv[1:],
        "machine": host,
        "versions": versions(spark=b is not None),
        "rows": args.rows,
        "chunk": args.chunk,
        "chunks": -(-args.rows // args.chunk),
        "grid": args.grid,
        "seed": args.seed,
        "sketch_merge": a,
        "spark": b,
        "cli": c,
        "equality": equality,
        "ok": ok,
    }
    print_report(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
