"""Three energy estimates disagreeing on one network, and why.

A 64-input -> 128 -> 10 network runs for 100 steps on the Loihi profile with cycle timing; its
counts are priced by the chip's event model (Davies 2018), the conventional SynOps estimate, the
Bit Budget estimate and an int8 ANN of the same shape. Then the same layers run with graded
3-bit IF spikes on Loihi 2 at fewer timesteps, to show what SynOps cannot see.

Run: ``python examples/02_energy_estimates.py``
"""

from __future__ import annotations

import numpy as np

import spikemesh as sm


def build(rng, neuron_h, neuron_y, payload_bits=1):
    net = sm.Network("mlp")
    x = net.input(64, name="x", payload_bits=payload_bits)
    h = net.population(128, neuron_h, name="h")
    y = net.population(10, neuron_y, name="y")
    w1 = rng.integers(-30, 90, (64, 128)) * (rng.random((64, 128)) < 0.3)
    w2 = rng.integers(0, 60, (128, 10)) * (rng.random((128, 10)) < 0.5)
    net.connect(x, h, weights=w1)
    net.connect(h, y, weights=w2)
    return net


def main() -> None:
    rng = np.random.default_rng(0)
    net = build(rng, sm.CubaLIF(du=410, dv=205, vth=1000), sm.CubaLIF(du=1000, dv=300, vth=3000))
    X = (np.random.default_rng(1).random((100, 64)) < 0.1).astype(np.int32)
    res = sm.Simulator(sm.map_network(net, "loihi"), timing="cycle").run(100, inputs={"x": X})
    rep = res.energy(synops="fp32", ann="int8")
    print("[1] binary spikes, 100 steps on loihi")
    print(rep)
    c = rep.components("chip")
    print(f"    SynOps sees {rep.counts['synaptic_events']:,} synaptic events; the chip model also "
          f"charges {rep.counts['neuron_updates']:,} neuron updates "
          f"({c['neuron_update'] / rep.total('chip'):.1%} of its total) and static power over "
          f"{rep.counts['elapsed_s'] * 1e6:.1f} µs ({c['static'] / rep.total('chip'):.1%})")  # fmt: skip

    rng = np.random.default_rng(0)
    net2 = build(rng, sm.IF(vth=1000, spike_bits=3), sm.IF(vth=3000, spike_bits=3), payload_bits=3)
    X2 = np.random.default_rng(1).integers(0, 8, (25, 64)) * (
        np.random.default_rng(2).random((25, 64)) < 0.4
    )
    res2 = sm.Simulator(sm.map_network(net2, "loihi2"), timing="cycle").run(
        25, inputs={"x": X2.astype(np.int32)}
    )
    rep2 = res2.energy(synops="fp32", ann="int8")
    print()
    print("[2] 3-bit graded spikes, 25 steps on loihi2")
    print(rep2)
    print(f"    synaptic events: {rep.counts['synaptic_events']:,} -> {rep2.counts['synaptic_events']:,}; "
          f"event bits (events x payload bits): {rep.counts['synaptic_event_bits']:,} -> "
          f"{rep2.counts['synaptic_event_bits']:,}")  # fmt: skip
    print(f"    SynOps per inference: {rep.total('synops'):.3e} J -> {rep2.total('synops'):.3e} J "
          f"(x{rep2.total('synops') / rep.total('synops'):.2f}); Bit Budget: {rep.total('bitbudget'):.3e} J -> "
          f"{rep2.total('bitbudget'):.3e} J (x{rep2.total('bitbudget') / rep.total('bitbudget'):.2f}); "
          f"chip: {rep.total('chip'):.3e} J -> {rep2.total('chip'):.3e} J "
          f"(x{rep2.total('chip') / rep.total('chip'):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
