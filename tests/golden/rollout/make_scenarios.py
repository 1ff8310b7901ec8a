#!/usr/bin/env python3
"""Write the scenario inputs of calib's golden rollout traces.

Each `<name>.scenario.json` is `{"config": {...}, "windows": [...]}` for
`calib rollout simulate`. The expected outputs beside them
(`<name>.txt`, `<name>.json`) are what calib must print; the test
tests/tests/rollout_golden.rs compares byte for byte and also checks each
trace's key decisions by hand-written assertions.

Usage (from the repository root; standard library only):

    python tests/golden/rollout/make_scenarios.py           # (re)write
    python tests/golden/rollout/make_scenarios.py --check   # exit 1 if stale

Times are exact: windows are 15 minutes back to back from T0 unless a
scenario says otherwise.
"""

import argparse
import datetime as dt
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.timezone.utc)
MIN = dt.timedelta(minutes=1)


def ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def window(i: int, kind: str, start=None) -> dict:
    """Window number i (15 minutes from T0 + 15 i min) of a given kind."""
    start = start if start is not None else T0 + 15 * i * MIN
    w = {
        "start": ts(start),
        "end": ts(start + 15 * MIN),
        "samples": 5000,
        "p99_latency_ms": 0.42,
        "aece": 0.021,
        "tau": 0.015,
        "median_confidence_shift": 0.004,
        "recall_at_50_delta": 0.0,
    }
    if kind == "pass":
        pass
    elif kind == "breach":  # AECE excess 0.025 > 0.01
        w["aece"] = 0.04
    elif kind == "latency":  # p99 1.7 ms, not below 1 ms
        w["p99_latency_ms"] = 1.7
    elif kind == "few":  # fewer samples than min_samples: every gate no_data
        w["samples"] = 200
    elif kind == "missing":  # ΔRecall@50 not measured: that gate no_data
        del w["recall_at_50_delta"]
    elif kind == "shift":  # median shift 0.05 > 0.02 (dry-run in one scenario)
        w["median_confidence_shift"] = 0.05
    else:
        raise ValueError(kind)
    return w


def timeline(kinds):
    return [window(i, k) for i, k in enumerate(kinds)]


SHORT = {"min_windows_per_stage": 1, "stable_hold_hours": 1}


def scenarios() -> dict:
    s = {}
    # 1 pass at off, 4 per stage, 96 in the 24 h stable hold: publish at window 112.
    s["happy_path"] = ({}, timeline(["pass"] * 113))
    # Advance to 25 % (window 4), one pass there, then two breaches: revert.
    # max_trips_per_version = 1, so the next window aborts.
    s["consecutive_breaches_at_25"] = ({}, timeline(["pass"] * 6 + ["breach", "latency", "pass"]))
    # breach, pass, breach at 5 %: no two in a row, so no trip; the passes
    # after the last breach complete the stage. With 2 of 3: trip.
    bpb = ["pass", "breach", "pass", "breach", "pass", "pass", "pass", "pass"]
    s["breach_pass_breach"] = ({}, timeline(bpb))
    s["breach_pass_breach_m_of_n"] = ({"breaches_in_last": {"m": 2, "n": 3}}, timeline(bpb))
    # NoData (too few samples; a missing measurement) holds and keeps the
    # breach count: breach, no_data, no_data, breach trips at window 4.
    # Under nodata = "breach" the first no_data window is the second breach.
    nd = ["pass", "breach", "few", "missing", "breach", "pass"]
    s["nodata_hold"] = ({}, timeline(nd))
    s["nodata_breach"] = ({"nodata": "breach"}, timeline(nd))
    # Short stages, a 1 h stable hold; the breach in the hold reverts at once.
    s["stable_hold_breach"] = (SHORT, timeline(["pass"] * 7 + ["breach"]))
    # Two trips allowed. Trip 1 at window 2 (ends 00:45); windows starting
    # before 01:45 cool down; the one at 01:45 restarts 5 %. Trip 2 at
    # window 9 uses up the version: the next window aborts.
    cd = ["pass", "breach", "breach", "pass", "pass", "pass", "pass", "pass", "breach", "breach", "pass", "pass"]
    s["cooldown_restart"] = ({**SHORT, "max_trips_per_version": 2}, timeline(cd))
    # median_shift breaches in every window but is dry-run: it never acts.
    s["dry_run_gates"] = ({**SHORT, "dry_run_gates": ["median_shift"]}, timeline(["shift"] * 9))
    # The third window starts 5 minutes before the second ended: refused.
    back = timeline(["pass", "pass"]) + [window(0, "pass", start=T0 + 25 * MIN)]
    s["time_backwards"] = ({}, back)
    # The third window repeats the second: refused.
    s["duplicate_window"] = ({}, timeline(["pass", "pass"]) + [window(1, "pass")])
    return {name: {"config": config, "windows": windows} for name, (config, windows) in s.items()}


def render(doc: dict) -> str:
    return json.dumps(doc, indent=1) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed scenario is stale")
    args = parser.parse_args()
    stale = []
    for name, doc in scenarios().items():
        path = os.path.join(HERE, f"{name}.scenario.json")
        text = render(doc)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() == text:
                        continue
            except FileNotFoundError:
                pass
            stale.append(name)
        else:
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
    if stale:
        print(f"stale scenarios: {', '.join(stale)}: run python {os.path.relpath(__file__)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
