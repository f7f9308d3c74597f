"""Loihi-profile step latency for small networks, beside the same figure worked out by hand
from Davies et al. 2018 Table 2 (the formulas are printed next to each case).

    python benchmarks/validate_timing.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import spikemesh as sm

# Davies 2018 Table 2 (ns), as in chips/profiles/loihi.toml
SYN, ACT, INACT, SPIKE, EW, NS = 3.5, 8.4, 5.3, 2.1, 4.1, 6.5


def barrier(tiles):
    return 113 + (465 - 113) * (tiles - 1) / 31


def run(net, steps, inputs=None, chip="loihi", allocator="sequential"):
    m = sm.map_network(net, chip, allocator=allocator)
    res = sm.Simulator(m, timing="cycle").run(steps, inputs=inputs or {})
    return m, res


def case_idle():
    net = sm.Network("idle")
    net.population(1000, sm.CubaLIF(du=0, dv=0, vth=1000), name="a")
    _, res = run(net, 3)
    hand = 1000 * INACT + barrier(1)
    return "1000 idle CubaLIF on 1 core", res.cycles[-1], hand, "1000 x 5.3 + barrier(1 tile) 113"


def case_one_spike_far():
    # a[0] spikes every step (bias) and drives b on a core 3 tiles east, 2 north
    net = sm.Network("far")
    a = net.population(1, sm.CubaLIF(du=4095, dv=4095, vth=0, bias_mant=100), name="a")
    for k in range(44):  # idle one-neuron cores that push b's core away from a's
        net.population(1, sm.CubaLIF(du=0, dv=0, vth=1000), name=f"pad{k}")
    b = net.population(1, sm.CubaLIF(du=0, dv=0, vth=100000), name="b")
    net.connect(a, b, weights=np.array([[10]]))
    chip = sm.chips.get("loihi")
    # one neuron per core; the sequential allocator puts core k on tile (k // 4 % 8, k // 32)
    text = Path(chip.path).read_text().replace("neurons = 1024", "neurons = 1", 1)
    path = Path(tempfile.mkdtemp()) / "loihi1n.toml"
    path.write_text(text)
    m, res = run(net, 3, chip=str(path))
    xa, ya, _ = m.chip.mesh.core_position(m.cores[0].core_id)
    xb, yb, _ = m.chip.mesh.core_position(m.cores[-1].core_id)
    hops_x, hops_y = abs(xb - xa), abs(yb - ya)
    tiles = len({m.chip.mesh.core_position(c.core_id)[:2] for c in m.cores})
    # a: active update + 1 spike; packet: hops, 1 flit; b: its update, then 1 synaptic op
    arrival = ACT + SPIKE + hops_x * EW + hops_y * NS + 1
    hand = max(arrival, INACT) + 1 * SYN + barrier(tiles)
    desc = (f"1 spike, {hops_x} E-W + {hops_y} N-S hops, {tiles} tiles in use: "
            f"8.4 + 2.1 + {hops_x}x4.1 + {hops_y}x6.5 + 1 flit + 3.5 + barrier({tiles})")  # fmt: skip
    return "1 spike across the mesh", res.cycles[-1], hand, desc


def case_fanout():
    # 64 inputs each spiking every step into 256 neurons on one core (16,384 synaptic ops)
    net = sm.Network("fan")
    x = net.input(64, name="x")
    a = net.population(256, sm.CubaLIF(du=0, dv=0, vth=131071), name="a")
    net.connect(x, a, weights=np.ones((64, 256), int))
    X = np.ones((3, 64), np.int32)
    _, res = run(net, 3, {"x": X})
    # inputs enter at tile (0,0) = the core's tile: no hops, no flits on links
    hand = max(0, 256 * ACT) + 64 * 256 * SYN + barrier(1)
    return (
        "64 inputs x 256 synapses, all active",
        res.cycles[-1],
        hand,
        "256 x 8.4 + 16,384 x 3.5 + 113",
    )


def main() -> None:
    print("| case | model (cycles = ns) | by hand | hand formula |")
    print("|---|---:|---:|---|")
    for case in (case_idle, case_one_spike_far, case_fanout):
        name, model, hand, formula = case()
        print(f"| {name} | {int(model):,} | {hand:,.1f} | {formula} |")


if __name__ == "__main__":
    main()
