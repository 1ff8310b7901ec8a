"""The README's Python snippet runs (section "Using calib from Python")."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import ROOT


def python_blocks() -> list:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using calib from Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_readme_python_snippet_runs(tmp_path: Path) -> None:
    blocks = python_blocks()
    assert blocks, "README.md has no ```python block under 'Using calib from Python'"
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for code in blocks:
            exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    finally:
        os.chdir(cwd)
