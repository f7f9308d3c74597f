"""The careless-and-hostile battery (tests/battery.py) ends with 0 raw, 0 silent, 0 crash and 0
unhelpful: run in a child process, so a crash is its exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_battery_names_every_bad_input():
    pytest.importorskip("nir")
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "battery.py")], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)  # fmt: skip
    assert r.returncode == 0, f"the battery crashed (exit {r.returncode}): {r.stderr[-2000:]}"
    lines = r.stdout.strip().splitlines()
    total = next(ln for ln in lines if ln.startswith("| all |"))
    cells = [c.strip() for c in total.strip("|").split("|")]
    cases, named, correct, unhelpful, raw, silent, crash = map(int, cells[1:])
    assert cases >= 150 and named + correct == cases, r.stdout
    assert (unhelpful, raw, silent, crash) == (0, 0, 0, 0), r.stdout
