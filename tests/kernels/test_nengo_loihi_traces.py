"""Replay reference traces recorded from nengo-loihi 1.1.0's Loihi emulator.

The traces (``tests/data/nengo_loihi_traces.npz``) were made by
``benchmarks/peers/make_nengo_loihi_traces.py`` in a separate virtualenv; nengo-loihi is not
needed here. Each case is a layer of Loihi compartments driven by input spikes, with integer
registers set directly (decays, threshold, bias, refractory delay, weight exponent and width,
initial u and v near the limits, inputs that wrap the 22-bit and 24-bit registers).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh import emulator as emu
from spikemesh.emulator import run_core

DATA = np.load(Path(__file__).resolve().parents[1] / "data" / "nengo_loihi_traces.npz")
N_CASES = int(DATA["n_cases"])


def case(k: int) -> dict:
    prefix = f"case{k}_"
    return {key[len(prefix) :]: DATA[key] for key in DATA.files if key.startswith(prefix)}


def test_traces_were_recorded_with_nengo_loihi():
    assert str(DATA["nengo_loihi_version"]) == "1.1.0"
    assert N_CASES >= 8


@pytest.mark.parametrize("k", range(N_CASES))
def test_matches_nengo_loihi_emulator(backend, k):
    c = case(k)
    n = c["W"].shape[1]
    spec = sm.CubaLIF(
        du=int(c["du"]), dv=int(c["dv"]), vth=int(c["vth"]), bias_mant=c["bias_mant"],
        bias_exp=int(c["bias_exp"]), refract_delay=int(c["refract_delay"]),
    )  # fmt: skip
    table = emu.SynapseTable.from_dense(
        c["W"], weight_exp=int(c["weight_exp"]), weight_bits=int(c["weight_bits"])
    )
    group = emu.NeuronGroup(spec, n, backend=backend, initial={"u": c["u0"], "v": c["v0"]})
    out = run_core(table, group, c["X"], probes=("u", "v"))
    assert_array_equal(out["u"], c["u"])
    assert_array_equal(out["v"], c["v"])
    assert_array_equal(out["spikes"], c["s"])


def test_some_cases_exercise_register_wraps(backend):
    wraps = []
    for k in range(N_CASES):
        c = case(k)
        spec = sm.CubaLIF(du=int(c["du"]), dv=int(c["dv"]), vth=int(c["vth"]),
                          bias_mant=c["bias_mant"], bias_exp=int(c["bias_exp"]))  # fmt: skip
        table = emu.SynapseTable.from_dense(
            c["W"], weight_exp=int(c["weight_exp"]), weight_bits=int(c["weight_bits"])
        )
        group = emu.NeuronGroup(spec, c["W"].shape[1], backend=backend,
                               initial={"u": c["u0"], "v": c["v0"]})  # fmt: skip
        run_core(table, group, c["X"])
        wraps.append(group.totals["overflows"])
    assert sum(w > 0 for w in wraps) >= 2
