#!/usr/bin/env python3
"""Side by side: calib and scikit-learn/numpy on the same data, with ratios.

calib runs twice, on the same data as the references, in two tables:

- **Rust core** (`calib-timing`, benches/src/bin/calib-timing.rs): the
  serving binary's view, on data this script writes as raw f64 files;
- **Python API** (the `calib` package built by calib-py/test.sh), in this
  process: `IsotonicCalibrator`, `Model.apply_one`, `reliability_bins`,
  `ece`, `dece` — what a notebook user calls.

Steps:

1. generate a miscalibrated ranker's rows with numpy (fixed seed): f32-rounded
   scores, binary labels;
2. run `calib-timing` on them (written as little-endian f64 files): median
   wall times of calib's fit, batch predict, single predict, ECE, AECE and
   DECE over --reps repetitions (JSON);
3. time scikit-learn's IsotonicRegression (fit at 1e6 and --n-fit rows,
   predict, one-element predict), `calibration_curve`, a vectorised numpy ECE
   and AECE (searchsorted + bincount), a reference per-bin-loop debiased L2
   error (Kumar, Liang & Ma 2019) and the `uncertainty-calibration` package's
   own debiased estimator (`get_calibration_error(p=2, debias=True)`, the
   authors' code), with the same number of repetitions;
4. time calib's Python API on the same calls;
5. check agreement: predictions to 1e-12, ECE/AECE/DECE and the reliability
   bins to 1e-9, and calib's DECE against `uncertainty-calibration`'s within
   0.02 (its equal-mass bins put edges between order statistics, calib's at
   numpy's linear quantiles, so the two differ slightly);
6. print the tables: operation, reference, reference time, calib time, ratio
   (ratio = reference time / calib time: how many times faster calib is).

Run from the repository root with the dev venv (scripts/requirements-dev.txt)
after calib-py/test.sh has installed the `calib` wheel:

    .venv/bin/python benches/compare_sklearn.py            # builds calib-timing first
    .venv/bin/python benches/compare_sklearn.py --reps 7 --n-fit 1000000
    .venv/bin/python benches/compare_sklearn.py --skip-rust  # Python API only

Exit status 1 if predictions or metric values disagree.
"""

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression

ROOT = Path(__file__).resolve().parent.parent
K = 15
SINGLE_CALLS = 2000  # one-element predict calls per repetition
SEED = 20240601


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ranker(rng, n):
    """The ranker of the criterion benches: latent z ~ N(0, 1.5^2), score
    sigmoid(z) rounded to f32, label ~ Bernoulli(sigmoid(1.8 z - 0.4))."""
    z = 1.5 * rng.standard_normal(n)
    scores = sigmoid(z).astype(np.float32).astype(np.float64)
    labels = (rng.random(n) < sigmoid(1.8 * z - 0.4)).astype(np.float64)
    return scores, labels


def median_time(reps, fn):
    """Median wall time of `reps` calls of fn, and fn's last result."""
    times, result = [], None
    for _ in range(reps):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def binned_sums(p, y, edges):
    """Per-bin count, sum p and sum y; bin 0 is [e0, e1], bin k is (ek, ek+1]."""
    k = len(edges) - 1
    ids = np.searchsorted(edges[1:-1], p, side="left")
    n = np.bincount(ids, minlength=k)
    sp = np.bincount(ids, weights=p, minlength=k)
    sy = np.bincount(ids, weights=y, minlength=k)
    return ids, n, sp, sy


def equal_mass_edges(p, k):
    """Quantile edges (numpy's linear quantile), ends at 0 and 1, duplicates merged."""
    edges = np.quantile(p, np.arange(k + 1) / k)
    edges[0], edges[-1] = 0.0, 1.0
    return np.unique(edges)


def l1_error(p, y, edges):
    _, n, sp, sy = binned_sums(p, y, edges)
    nz = n > 0
    # sum_b (n_b/N) |ybar_b - pbar_b| = sum_b |sy_b - sp_b| / N
    return float(np.sum(np.abs(sy[nz] - sp[nz])) / len(p))


def ece_numpy(p, y, k=K):
    return l1_error(p, y, np.arange(k + 1) / k)


def aece_numpy(p, y, k=K):
    return l1_error(p, y, equal_mass_edges(p, k))


def dece_reference(p, y, k=K):
    """Debiased L2 calibration error, written as the reference code is: one
    Python iteration per equal-mass bin."""
    edges = equal_mass_edges(p, k)
    ids = np.searchsorted(edges[1:-1], p, side="left")
    total, n = 0.0, len(p)
    for b in range(len(edges) - 1):
        mask = ids == b
        nb = int(mask.sum())
        if nb < 2:
            continue
        pb, yb = p[mask].mean(), y[mask].mean()
        total += nb / n * ((pb - yb) ** 2 - yb * (1.0 - yb) / (nb - 1))
    return math.sqrt(max(0.0, total))


def fmt_time(s):
    if s < 1e-6:
        return f"{s * 1e9:.1f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def dece_uncertainty_calibration(p, y, k=K):
    """The `uncertainty-calibration` package's debiased L2 error (equal-mass
    bins, the debiased estimator); its labels must be integers."""
    import calibration  # the uncertainty-calibration package

    return float(calibration.get_calibration_error(p, y.astype(np.int64), p=2, debias=True, mode="marginal"))


def references(args, data):
    """Reference timings and values, shared by both tables."""
    fit_s, fit_y, pred_s, met_p, met_y = data
    reps, slow = args.reps, max(1, min(args.reps, 3))
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__} ({reps} reps) ...", file=sys.stderr)
    ref = {}
    ir = IsotonicRegression(out_of_bounds="clip")
    n1 = min(1_000_000, len(fit_s))
    ref["fit_1e6"], _ = median_time(reps, lambda: IsotonicRegression(out_of_bounds="clip").fit(fit_s[:n1], fit_y[:n1]))
    ref["fit"], _ = median_time(reps, lambda: ir.fit(fit_s, fit_y))
    ref["predict"], ref["pred"] = median_time(reps, lambda: ir.predict(pred_s))
    ref["ir"] = ir
    ring = pred_s[: 1 << 16]  # as calib-timing's single-score ring

    def single_calls():
        for i in range(SINGLE_CALLS):
            j = i % len(ring)
            ir.predict(ring[j : j + 1])

    t, _ = median_time(reps, single_calls)
    ref["single"] = t / SINGLE_CALLS
    ref["curve"], ref["curve_v"] = median_time(reps, lambda: calibration_curve(met_y, met_p, n_bins=K))
    ref["ece"], ref["ece_v"] = median_time(reps, lambda: ece_numpy(met_p, met_y))
    ref["aece"], ref["aece_v"] = median_time(reps, lambda: aece_numpy(met_p, met_y))
    ref["dece"], ref["dece_v"] = median_time(reps, lambda: dece_reference(met_p, met_y))
    ref["uc_dece"], ref["uc_dece_v"] = median_time(slow, lambda: dece_uncertainty_calibration(met_p, met_y))
    ref["slow_reps"] = slow
    return ref


def table(rows):
    print(f"{'operation':<30} {'reference':<36} {'reference':>11} {'calib':>11} {'ratio':>9}")
    for op, name, r, c in rows:
        print(f"{op:<30} {name:<36} {fmt_time(r):>11} {fmt_time(c):>11} {r / c:>8.1f}x")


def report(checks):
    ok = True
    for name, diff, tol in checks:
        good = diff <= tol
        ok &= good
        print(f"agreement {name}: max |diff| = {diff:.3e} {'ok' if good else 'FAIL'}")
    return ok


def compare_rust_binary(args, data, ref, nf, nm):
    """calib-timing (the Rust core, out of process) against the references."""
    fit_s, fit_y, pred_s, met_p, met_y = data
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "calib-benches"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="calib-compare-") as tmp:
        tmp = Path(tmp)
        files = {
            "fit-scores": fit_s,
            "fit-labels": fit_y,
            "predict-scores": pred_s,
            "metric-probs": met_p,
            "metric-labels": met_y,
        }
        cmd = [str(args.binary), "--reps", str(args.reps), "--pred-out", str(tmp / "pred.f64")]
        for name, arr in files.items():
            arr.astype("<f8").tofile(tmp / f"{name}.f64")
            cmd += [f"--{name}", str(tmp / f"{name}.f64")]
        print(f"calib: {' '.join(cmd[:1])} ({args.reps} reps) ...", file=sys.stderr)
        calib = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        calib_pred = np.fromfile(tmp / "pred.f64", dtype="<f8")

    pred_diff = float(np.max(np.abs(ref["pred"] - calib_pred)))
    checks = [
        ("predict (1e-12)", pred_diff, 1e-12),
        ("ECE (1e-9)", abs(ref["ece_v"] - calib["ece"]), 1e-9),
        ("AECE (1e-9)", abs(ref["aece_v"] - calib["aece"]), 1e-9),
        ("DECE (1e-9)", abs(ref["dece_v"] - calib["dece"]), 1e-9),
    ]
    rows = [
        (f"isotonic fit, n={nf}", "sklearn IsotonicRegression.fit", ref["fit"], calib["fit_s"]),
        (f"predict, n={nf}", "sklearn predict", ref["predict"], calib["predict_s"]),
        ("predict, 1 score (per call)", "sklearn predict", ref["single"], calib["single_predict_s"]),
        (f"ECE-15, n={nm}", "numpy searchsorted+bincount", ref["ece"], calib["ece_s"]),
        (f"AECE-15, n={nm}", "numpy quantile+bincount", ref["aece"], calib["aece_s"]),
        (f"DECE-15, n={nm}", "Python per-bin loop", ref["dece"], calib["dece_s"]),
    ]
    print("\ncalib's Rust core (calib-timing) vs scikit-learn / numpy")
    table(rows)
    ir = ref["ir"]
    print(
        f"breakpoints: calib {calib['breakpoints']}, scikit-learn {len(ir.X_thresholds_)}; "
        f"values: ECE {calib['ece']:.12f} / {ref['ece_v']:.12f}, AECE {calib['aece']:.12f} / {ref['aece_v']:.12f}, "
        f"DECE {calib['dece']:.12f} / {ref['dece_v']:.12f} (calib / reference)"
    )
    ok = report(checks)
    if len(ir.X_thresholds_) != calib["breakpoints"]:
        print("agreement breakpoints: FAIL")
        ok = False
    return ok


def compare_python_api(args, data, ref, nf, nm):
    """calib's Python API (in this process) against the references."""
    try:
        import calib
    except ImportError:
        print(
            "\nthe calib Python package is not installed: run calib-py/test.sh (or pass --skip-python)",
            file=sys.stderr,
        )
        return False
    fit_s, fit_y, pred_s, met_p, met_y = data
    reps, slow = args.reps, ref["slow_reps"]
    print(f"calib {calib.__version__} Python API ({reps} reps) ...", file=sys.stderr)
    n1 = min(1_000_000, len(fit_s))
    fit_1e6, _ = median_time(reps, lambda: calib.IsotonicCalibrator().fit(fit_s[:n1], fit_y[:n1]))
    cal = calib.IsotonicCalibrator()
    fit_t, _ = median_time(reps, lambda: cal.fit(fit_s, fit_y))
    pred_t, pred = median_time(reps, lambda: cal.predict(pred_s))
    model = cal.to_model()
    ring = pred_s[: 1 << 16]
    floats = ring.tolist()

    def per_call(fn):
        def run():
            for i in range(SINGLE_CALLS):
                fn(i % len(ring))

        t, _ = median_time(reps, run)
        return t / SINGLE_CALLS

    single_array = per_call(lambda j: cal.predict(ring[j : j + 1]))
    single_one = per_call(lambda j: cal.predict_one(floats[j]))
    single_model = per_call(lambda j: model.apply_one(floats[j]))
    curve_t, bins = median_time(reps, lambda: calib.reliability_bins(met_p, met_y, n_bins=K))
    ece_t, ece_v = median_time(reps, lambda: calib.ece(met_p, met_y, n_bins=K))
    dece_t, dece_v = median_time(reps, lambda: calib.dece(met_p, met_y, n_bins=K))

    prob_true, prob_pred = ref["curve_v"]
    checks = [
        ("predict vs sklearn (1e-12)", float(np.max(np.abs(ref["pred"] - pred))), 1e-12),
        ("reliability bins vs calibration_curve (1e-9)", curve_diff(bins, prob_true, prob_pred), 1e-9),
        ("ECE vs numpy (1e-9)", abs(ref["ece_v"] - ece_v), 1e-9),
        ("DECE vs per-bin loop (1e-9)", abs(ref["dece_v"] - dece_v), 1e-9),
        ("DECE vs uncertainty-calibration (0.02)", abs(ref["uc_dece_v"] - dece_v), 0.02),
    ]
    rows = [
        (f"isotonic fit, n={n1:.0e}".replace("+0", ""), "sklearn IsotonicRegression.fit", ref["fit_1e6"], fit_1e6),
        (f"isotonic fit, n={nf}", "sklearn IsotonicRegression.fit", ref["fit"], fit_t),
        (f"predict, n={nf}", "sklearn predict", ref["predict"], pred_t),
        ("predict, 1 score (array of 1)", "sklearn predict", ref["single"], single_array),
        ("predict_one(float)", "sklearn predict (array of 1)", ref["single"], single_one),
        ("Model.apply_one(float)", "sklearn predict (array of 1)", ref["single"], single_model),
        (f"reliability bins-15, n={nm}", "sklearn calibration_curve", ref["curve"], curve_t),
        (f"ECE-15, n={nm}", "numpy searchsorted+bincount", ref["ece"], ece_t),
        (f"DECE-15, n={nm}", f"uncertainty-calibration ({slow} reps)", ref["uc_dece"], dece_t),
    ]
    print("\ncalib's Python API (calib-py, this process) vs scikit-learn / numpy / uncertainty-calibration")
    table(rows)
    print(
        f"values: DECE calib {dece_v:.6f}, uncertainty-calibration {ref['uc_dece_v']:.6f}, "
        f"per-bin loop {ref['dece_v']:.6f}; ECE calib {ece_v:.6f}, numpy {ref['ece_v']:.6f}"
    )
    return report(checks)


def curve_diff(bins, prob_true, prob_pred):
    """calibration_curve returns the non-empty bins' observed rate and mean
    probability, as reliability_bins does (same bin convention)."""
    if len(bins.observed) != len(prob_true):
        return float("inf")
    return float(max(np.max(np.abs(bins.observed - prob_true)), np.max(np.abs(bins.mean_p - prob_pred))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-fit", type=int, default=10_000_000, help="rows to fit and to predict")
    ap.add_argument("--n-metric", type=int, default=1_000_000, help="rows for ECE/AECE/DECE")
    ap.add_argument("--reps", type=int, default=5, help="repetitions per operation (median reported)")
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/calib-timing")
    ap.add_argument("--binary", type=Path, default=ROOT / "target" / "release" / "calib-timing")
    ap.add_argument("--skip-rust", action="store_true", help="skip the calib-timing (Rust core) table")
    ap.add_argument("--skip-python", action="store_true", help="skip the calib Python API table")
    args = ap.parse_args()

    rng = np.random.default_rng(SEED)
    fit_s, fit_y = ranker(rng, args.n_fit)
    pred_s, _ = ranker(rng, args.n_fit)
    met_p, met_y = ranker(rng, args.n_metric)
    data = (fit_s, fit_y, pred_s, met_p, met_y)

    ref = references(args, data)
    nf, nm = f"{args.n_fit:.0e}".replace("+0", ""), f"{args.n_metric:.0e}".replace("+0", "")
    ok = True
    if not args.skip_rust:
        ok &= compare_rust_binary(args, data, ref, nf, nm)
    if not args.skip_python:
        ok &= compare_python_api(args, data, ref, nf, nm)
    print()
    print(
        f"ratio = reference time / calib time; median of {args.reps} repetitions each "
        f"({ref['slow_reps']} for uncertainty-calibration); single-score rows are per call "
        f"over {SINGLE_CALLS} calls."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
