"""Record reference traces from nengo-loihi's Loihi emulator for spikemesh's tests.

nengo-loihi's emulator (checked against Loihi silicon in its hardware tests) is the reference
docs/hardware.md §1 follows. This script builds single-block networks at nengo-loihi's block level
with integer parameters set directly (no float discretization), drives them with seeded random
input spikes, and stores inputs, parameters and the emulator's u, v and spikes in
``tests/data/nengo_loihi_traces.npz``; ``tests/kernels/test_nengo_loihi_traces.py`` replays
them through spikemesh. It does not import spikemesh.

Run in a separate virtualenv (nengo-loihi needs numpy < 2):

    python -m venv /tmp/nl && /tmp/nl/bin/pip install "nengo-loihi==1.1.0" "nengo==3.2.0" "numpy<2"
    /tmp/nl/bin/python benchmarks/peers/make_nengo_loihi_traces.py

Weights: nengo-loihi rounds float weights to its mantissas, while docs/hardware.md (and Lava)
floor integers; to compare dynamics rather than two quantizers, the script quantizes the raw
integer weights with docs/hardware.md's floor rule (written out below) and hands nengo-loihi the
final synaptic values ``shift(Wq, weight_exp) << 6``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import nengo_loihi
import numpy as np
import scipy.sparse
from nengo_loihi.block import Axon, LoihiBlock, Synapse
from nengo_loihi.builder import Model
from nengo_loihi.builder.discretize import discretize_model
from nengo_loihi.emulator import EmulatorInterface
from nengo_loihi.inputs import SpikeInput
from nengo_loihi.probe import LoihiProbe

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "nengo_loihi_traces.npz"


def floor_quantize(w: np.ndarray, bits: int) -> np.ndarray:
    mixed = w.min() < 0 < w.max()
    drop = 8 - bits + int(mixed)
    if w.max() <= 0 and w.min() < 0:  # inhibitory: floor the magnitude
        return -((-w >> drop) << drop)
    return (w >> drop) << drop


def run_case(rng: np.random.Generator, case: dict) -> dict:
    n_in, n, steps = case["n_in"], case["n"], case["steps"]
    lo, hi = case["w_range"]
    W = rng.integers(lo, hi + 1, (n_in, n))
    W[rng.random(W.shape) < case["sparsity"]] = 0
    X = (rng.random((steps, n_in)) < case["rate"]).astype(np.int32)
    bias_mant = rng.integers(case["bias_mant"][0], case["bias_mant"][1] + 1, n)
    bias_exp = case["bias_exp"]
    u0 = rng.integers(case["u0"][0], case["u0"][1] + 1, n)
    v0 = rng.integers(case["v0"][0], case["v0"][1] + 1, n)
    e = case["weight_exp"]
    Wq = floor_quantize(W, case["weight_bits"])
    final = (Wq << e if e >= 0 else Wq >> -e) << 6

    model = Model()
    inp = SpikeInput(n_in)
    for t in range(steps):  # spikemesh step t == nengo-loihi step t + 1
        idx = np.flatnonzero(X[t])
        if idx.size:
            inp.add_spikes(t + 1, idx)
    model.add_input(inp)
    block = LoihiBlock(n)
    block.compartment.configure_relu()
    model.add_block(block)
    syn = Synapse(n_in)
    csr = scipy.sparse.csr_matrix(np.where(W != 0, 1.0, 0.0))
    syn.set_weights(csr)
    block.add_synapse(syn)
    axon = Axon(n_in)
    axon.target = syn
    inp.add_axon(axon)
    probes = {k: LoihiProbe(target=block, key=k) for k in ("current", "voltage", "spiked")}
    for p in probes.values():
        model.add_probe(p)
    discretize_model(model)

    # overwrite every discretized value with the integer registers under test
    c = block.compartment
    c.decay_u[:] = case["du"]
    c.decay_v[:] = case["dv"]
    c.vth[:] = case["vth"] << 6
    c.bias[:] = bias_mant << bias_exp
    c.refract_delay[:] = case["refract_delay"]
    c.vmin = -(2**23) + 1
    c.vmax = 2**23 - 1
    rows = [np.flatnonzero(W[i]) for i in range(n_in)]
    for i in range(n_in):
        syn.weights[i][0, :] = final[i, rows[i]]

    EmulatorInterface.strict = False  # wrap on overflow, as the chip does
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with EmulatorInterface(model, seed=0) as emu:
            emu.compartment.current[:] = u0
            emu.compartment.voltage[:] = v0
            emu.run_steps(steps)
            out = {k: np.asarray(emu.collect_probe_output(p)) for k, p in probes.items()}
    return dict(
        W=W, X=X, bias_mant=bias_mant, bias_exp=np.int64(bias_exp), u0=u0, v0=v0,
        du=np.int64(case["du"]), dv=np.int64(case["dv"]), vth=np.int64(case["vth"]),
        refract_delay=np.int64(case["refract_delay"]), weight_exp=np.int64(e),
        weight_bits=np.int64(case["weight_bits"]),
        u=out["current"].astype(np.int64), v=out["voltage"].astype(np.int64),
        s=out["spiked"].astype(np.int64),
    )  # fmt: skip


BASE = dict(n_in=24, n=16, steps=80, sparsity=0.3, rate=0.25, bias_mant=(0, 0), bias_exp=0,
            u0=(0, 0), v0=(0, 0), refract_delay=1, weight_exp=0, weight_bits=8)  # fmt: skip
CASES = [
    dict(BASE, du=410, dv=205, vth=100, w_range=(-256, 255)),
    dict(BASE, du=0, dv=0, vth=400, w_range=(0, 255), bias_mant=(-50, 50), bias_exp=3),
    dict(BASE, du=4095, dv=4095, vth=10, w_range=(-255, 0), bias_mant=(0, 4095), bias_exp=7),
    dict(BASE, du=1000, dv=100, vth=60, w_range=(-256, 255), weight_exp=-3, refract_delay=4),
    dict(BASE, du=200, dv=50, vth=1000, w_range=(0, 255), weight_exp=4, weight_bits=5),
    # drives q and u past 22/24 bits: wraps
    dict(BASE, du=300, dv=300, vth=131071, w_range=(0, 255), weight_exp=7, rate=0.9, sparsity=0.0),
    # initial state near the limits, bias wraps u2
    dict(
        BASE,
        du=30,
        dv=4000,
        vth=50000,
        w_range=(-256, 255),
        weight_exp=2,
        u0=(-(2**23), 2**23 - 1),
        v0=(-(2**23) + 1, 2**23 - 1),
        bias_mant=(-4096, 4095),
        bias_exp=7,
    ),
    dict(BASE, du=2048, dv=1, vth=0, w_range=(-100, 100), refract_delay=63),
]


def main() -> None:
    rng = np.random.default_rng(2026_11_22)
    data = {}
    for k, case in enumerate(CASES):
        for name, arr in run_case(rng, case).items():
            data[f"case{k}_{name}"] = arr
        print(f"case {k}: spikes {int(data[f'case{k}_s'].sum())}", file=sys.stderr)
    data["n_cases"] = np.int64(len(CASES))
    data["nengo_loihi_version"] = np.array(nengo_loihi.__version__)
    np.savez_compressed(OUT, **data)
    print(f"wrote {OUT} ({len(CASES)} cases, nengo-loihi {nengo_loihi.__version__})")


if __name__ == "__main__":
    main()
