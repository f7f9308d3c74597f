"""Drive spikemesh's fixed-point kernels on real cases and print what they computed.

1. A Loihi CUBA LIF compartment's response to one input spike (bit-exact Loihi arithmetic).
2. A layer of 64 inputs -> 16 Loihi compartments with mixed-sign 8-bit weights (quantized
   the way Loihi stores them), driven by seeded random spikes for 100 steps.
3. Graded (multi-bit) spikes from an IF core with 3-bit payloads.

Run: ``python examples/01_loihi_lif_impulse.py``
"""

from __future__ import annotations

import numpy as np

import spikemesh as sm
from spikemesh import emulator as emu
from spikemesh.emulator import run_core


def impulse() -> None:
    spec = sm.CubaLIF(du=410, dv=205, vth=300)
    table = emu.SynapseTable.from_dense([[100]])  # one synapse, weight 100 -> q = 100 << 6
    group = emu.NeuronGroup(spec, 1)
    x = np.zeros((12, 1), np.int32)
    x[0, 0] = 1  # one input spike in step 0, integrated in step 1
    out = run_core(table, group, x, probes=("u", "v"))
    print(f"[1] impulse: {spec}")
    print("    step        u        v  spike")
    for t in range(x.shape[0]):
        print(f"    {t:4d} {out['u'][t, 0]:8d} {out['v'][t, 0]:8d}  {out['spikes'][t, 0]:5d}")
    first = np.flatnonzero(out["spikes"][:, 0])
    print(f"    first spike at step {int(first[0]) if first.size else -1}")


def layer() -> None:
    rng = np.random.default_rng(0)
    w = rng.integers(-100, 128, (64, 16))
    w[rng.random(w.shape) < 0.5] = 0
    x = (rng.random((100, 64)) < 0.05).astype(np.int32)
    spec = sm.CubaLIF(du=410, dv=205, vth=400, bias_mant=100, bias_exp=3)
    table = emu.SynapseTable.from_dense(w, weight_exp=0)
    group = emu.NeuronGroup(spec, 16)
    out = run_core(table, group, x)
    print("[2] layer: 64 inputs -> 16 CubaLIF (du=410, dv=205, vth=400), 100 steps")
    print(f"    synapses: {table.n_synapses}, stored weights changed by quantization: "
          f"{int(np.count_nonzero(table.weights != w[w != 0]))}")  # fmt: skip
    print(f"    input spikes: {int(x.sum())}, synaptic events: {int(out['events'].sum())}")
    print(f"    output spikes: {int(out['spikes'].sum())}, per neuron: "
          f"{out['spikes'].sum(axis=0).tolist()}")  # fmt: skip
    print(f"    neuron updates: {group.totals['updates']}, state changed: "
          f"{group.totals['changed']}, register wraps: {group.totals['overflows']}")  # fmt: skip


def graded() -> None:
    spec = sm.IF(vth=16, spike_bits=3, bipolar=True)
    table = emu.SynapseTable.from_dense([[1, -1]], weight_bits=None, acc_shift=0)
    group = emu.NeuronGroup(spec, 2)
    ramp = np.array([[0], [10], [40], [70], [130], [5], [0]], np.int32)
    out = run_core(table, group, ramp)
    print(
        "[3] graded spikes: IF(vth=16, spike_bits=3, bipolar) fed +x and -x (input one step ahead)"
    )
    print(f"    input   : {ramp[:, 0].tolist()}")
    print(f"    payload+: {out['spikes'][:, 0].tolist()}")
    print(f"    payload-: {out['spikes'][:, 1].tolist()}")


def main() -> None:
    print(f"spikemesh {sm.__version__}, kernels: {sm.kernels.BACKEND}")
    impulse()
    layer()
    graded()


if __name__ == "__main__":
    main()
