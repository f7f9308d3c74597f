"""Examples run as scripts; their printed results are checked against independent models."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.golden import loihi_layer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str) -> str:
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True,
                          text=True, check=True, timeout=120)  # fmt: skip
    return proc.stdout


def test_01_loihi_lif_impulse():
    out = run_example("01_loihi_lif_impulse.py")
    # [1] impulse trace equals the plain-loop Loihi model
    rows = re.findall(r"^\s+(\d+)\s+(-?\d+)\s+(-?\d+)\s+([01])$", out, re.M)
    assert len(rows) == 12
    U, V, S = loihi_layer([[100]], [[1]] + [[0]] * 11, du=410, dv=205, vth=300)
    assert [int(r[1]) for r in rows] == [u[0] for u in U]
    assert [int(r[2]) for r in rows] == [v[0] for v in V]
    assert [int(r[3]) for r in rows] == [s[0] for s in S]
    assert "first spike at step 4" in out
    # [2] the layer's numbers equal the golden loop on the same seeded data
    rng = np.random.default_rng(0)
    w = rng.integers(-100, 128, (64, 16))
    w[rng.random(w.shape) < 0.5] = 0
    x = (rng.random((100, 64)) < 0.05).astype(int)
    _, _, S = loihi_layer(w.tolist(), x.tolist(), 410, 205, 400, bias=100 << 3)
    per_neuron = np.array(S).sum(axis=0).tolist()
    assert f"per neuron: {per_neuron}" in out
    events = int((x[:-1] @ (w != 0).sum(axis=1)).sum())
    assert f"synaptic events: {events}" in out
    assert sum(per_neuron) > 0
    # [3] graded payloads, computed by hand (vth 16, cap 7, subtract reset)
    assert "payload+: [0, 0, 0, 3, 4, 7, 1]" in out
    assert "payload-: [0, 0, 0, -3, -4, -7, -1]" in out
