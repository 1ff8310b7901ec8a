"""The single-core rule, checked on this binding's own sources: calib-py
converts, calib-core computes. No interpolation, PAV, binning or metric
arithmetic may appear in calib-py/src or python/calib (a heuristic scan for
the tools such code would need; the parity vectors are the real proof)."""

from __future__ import annotations

import re

from conftest import ROOT

PY_SRC = ROOT / "calib-py" / "python" / "calib"
RS_SRC = ROOT / "calib-py" / "src"

# numpy routines that would compute calibration results in Python.
PY_FORBIDDEN = re.compile(
    r"np\.(interp|searchsorted|digitize|histogram\w*|bincount|quantile|percentile|"
    r"cumsum|mean|average|sum|diff|sort|argsort|lexsort|unique|clip|maximum|minimum|sqrt|log)\b"
)
# Rust constructs of a search or an interpolation over breakpoints, of PAV
# or binning loops, and direct float math.
RS_FORBIDDEN = re.compile(
    r"partition_point|binary_search|\bslope\b|\bpav\b|\bpool\b|bin_index|equal_width_edges|"
    r"\.sqrt\(|\.ln\(|\.exp\(|libm::|f64::EPSILON"
)


def test_python_package_computes_nothing() -> None:
    hits = []
    for path in sorted(PY_SRC.glob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PY_FORBIDDEN.search(line):
                hits.append(f"{path.name}:{n}: {line.strip()}")
    assert not hits, hits


def test_rust_binding_computes_nothing() -> None:
    hits = []
    for path in sorted(RS_SRC.glob("*.rs")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if RS_FORBIDDEN.search(line):
                hits.append(f"{path.name}:{n}: {line.strip()}")
    assert not hits, hits
    # Every number comes from calib_core: the binding calls into it.
    text = "".join(p.read_text(encoding="utf-8") for p in RS_SRC.glob("*.rs"))
    for api in ("isotonic::fit", "fit_model", "apply_batch", "metrics::evaluate", "core_fingerprint"):
        assert api in text, api
