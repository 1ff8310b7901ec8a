"""The boundary itself: no copies of contiguous float64 input, the GIL
released for batch work, thread safety."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np

import calib


def run_python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_contiguous_float64_input_is_not_copied() -> None:
    # Peak RSS grows by less than one input's size while calib reads two
    # 200 MB arrays (ece and predict read them in place; the prediction's
    # own output is the only new full-size buffer).
    out = run_python(
        """
        import resource, numpy as np, calib
        n = 25_000_000
        p = np.random.default_rng(0).random(n)
        y = (p > 0.5).astype(np.float64)
        cal = calib.IsotonicCalibrator().fit(p[:10000], y[:10000])
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        calib.ece(p, y)
        calib.brier(p, y)
        after_metrics = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = cal.predict(p)
        after_predict = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(base, after_metrics, after_predict)
        """
    )
    base, after_metrics, after_predict = (int(v) for v in out.split())  # KiB
    size_kib = 25_000_000 * 8 // 1024
    assert after_metrics - base < size_kib // 4, (base, after_metrics)
    assert after_predict - base < size_kib * 5 // 4, (base, after_predict)


def test_batch_work_releases_the_gil() -> None:
    # While a worker thread runs long calib calls, the main thread keeps
    # running Python: its longest pause is far shorter than one call.
    n = 4_000_000
    p = np.random.default_rng(1).random(n)
    y = (p > 0.3).astype(np.float64)
    model = calib.IsotonicCalibrator().fit(p[:100000], y[:100000]).to_model()
    t = time.perf_counter()
    calib.aece(p, y)
    model.apply(p)
    one_round = time.perf_counter() - t
    done = threading.Event()

    def work() -> None:
        for _ in range(3):
            calib.aece(p, y)
            model.apply(p)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    longest, last = 0.0, time.perf_counter()
    while not done.is_set():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    worker.join()
    assert longest < one_round / 3, (longest, one_round)


def test_concurrent_calls_give_the_same_bits() -> None:
    p = np.random.default_rng(2).random(200_000)
    y = (p > 0.4).astype(np.float64)
    model = calib.fit_model(p, y)
    want = model.apply(p).tobytes()
    got: list = []

    def work() -> None:
        got.append(model.apply(p).tobytes() == want and calib.dece(p, y) == calib.dece(p, y))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert got == [True] * 8
