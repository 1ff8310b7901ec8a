"""The .pyi stubs and inline types agree with the built module (mypy's
stubtest), and the package ships py.typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import calib
from calib import _calib


def test_stubtest_finds_no_mismatch(tmp_path: Path) -> None:
    # Run outside calib-py/ so mypy reads the installed package (the wheel
    # with its .pyi and py.typed), as a user's type checker would.
    out = subprocess.run(
        [
            sys.executable, "-m", "mypy.stubtest", "calib",
            "--mypy-config-file", str(tmp_path / "none.ini"),
            "--allowlist", str(Path(__file__).with_name("stubtest-allowlist.txt")),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_package_is_typed() -> None:
    pkg = Path(calib.__file__).parent
    assert (pkg / "py.typed").exists() and (pkg / "_calib.pyi").exists()


def test_every_public_name_has_a_docstring() -> None:
    for name in calib.__all__:
        obj = getattr(calib, name)
        if name.startswith("__"):
            continue
        assert (obj.__doc__ or "").strip(), name
    for name in dir(calib.Model):
        if not name.startswith("_"):
            assert (getattr(calib.Model, name).__doc__ or "").strip(), f"Model.{name}"
    for fn in ("ece", "aece", "mce", "dece", "brier", "log_loss", "evaluate", "tau", "bootstrap_c_hat", "fit_model"):
        assert getattr(_calib, fn).__text_signature__, fn
