"""Timing-mode throughput: steps/s of timing="none" / "analytic" / "cycle", the cycle model run
by the compiled engine (default) and by the SimPy model it is the twin of.

1. The 1000-neuron recurrent benchmark (bench_recurrent.py), beside the plain NumPy/SciPy model
   of the same network (no timing at all) timed in the same run.
2. A 10,000-neuron network with about 1.1 M synapses spread over 20 Loihi cores: 10 columns of
   1000 CubaLIF neurons, each neuron with 110 distinct synapses from its own and the next
   column (8-bit mixed weights), driven by 500 input lines.

    python benchmarks/bench_timing.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import scipy.sparse as sp

import spikemesh as sm

sys.path.insert(0, os.path.dirname(__file__))
from bench_recurrent import build_network, column_local_pairs, numpy_model


def net_10k(rng):
    cols, size, fan = 10, 1000, 110
    n = cols * size
    net = sm.Network("net10k")
    x = net.input(500, name="x")
    h = net.population(
        n, sm.CubaLIF(du=600, dv=300, vth=250, bias_mant=rng.integers(0, 80, n)), name="h"
    )
    pre, post = column_local_pairs(rng, cols, size, fan)
    w = rng.integers(-6, 5, pre.size) * 16
    w[w == 0] = 16
    net.connect(h, h, weights=sp.coo_matrix((w, (pre, post)), shape=(n, n)), name="rec")
    px = np.repeat(np.arange(n), 3)
    net.connect(
        x,
        h,
        weights=sp.coo_matrix(
            (np.full(px.size, 40), (rng.integers(0, 500, px.size), px)), shape=(500, n)
        ),
    )
    return net


MODES = (("none", "engine"), ("analytic", "engine"), ("cycle", "engine"), ("cycle", "simpy"))


def run_modes(m, steps, inputs):
    rows = []
    for mode, noc in MODES:
        sim = sm.Simulator(m, timing=mode, noc=noc)
        sim.run(5, inputs={k: v[:5] for k, v in inputs.items()})
        sim.reset()
        t0 = time.perf_counter()
        res = sim.run(steps, inputs=inputs)
        dt = time.perf_counter() - t0
        label = mode if mode == "none" else f"{mode} ({'SimPy' if noc == 'simpy' else 'engine'})"
        rows.append((label, steps / dt, res))
    return rows


def _lat(res) -> float:
    return res.timing.latency_total_s if res.timing else 0.0


def _events(res) -> int:
    return res.timing.events if res.timing else 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    opts = ap.parse_args()
    steps = 200 if opts.quick else 1000
    rng = np.random.default_rng(42)
    net, w, bias = build_network(rng)
    m = sm.map_network(net, "loihi")
    rows = run_modes(m, steps, {})
    t0 = time.perf_counter()
    ref = numpy_model(w, bias, steps)
    base = steps / (time.perf_counter() - t0)
    for _, _, res in rows:
        assert np.array_equal(res.spikes["h"], ref)
    print(
        f"Timing modes, recurrent benchmark (1000 CubaLIF, {m.n_cores} loihi cores, {steps} steps)"
    )
    print()
    print(
        "| timing | steps/s | vs NumPy/SciPy model | mean cycles/step | mean latency/step | events/step |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for mode, rate, res in rows:
        print(f"| {mode} | {rate:,.0f} | {rate / base:.2f}x | {res.cycles.mean():,.0f} | "
              f"{_lat(res) / steps * 1e6:.2f} µs | {_events(res) / steps:.1f} |")  # fmt: skip
    print(f"| plain NumPy/SciPy model (no timing) | {base:,.0f} | 1.00x | - | - | - |")

    steps2 = 100 if opts.quick else 500
    rng = np.random.default_rng(7)
    net2 = net_10k(rng)
    t0 = time.perf_counter()
    m2 = sm.map_network(net2, "loihi")
    t_map = time.perf_counter() - t0
    x = (rng.random((steps2, 500)) < 0.05).astype(np.int32)
    rows2 = run_modes(m2, steps2, {"x": x})
    for _, _, res in rows2[1:]:
        assert np.array_equal(res.spikes["h"], rows2[0][2].spikes["h"])
    r = rows2[2][2]
    assert rows2[3][2].timing.link_flits == r.timing.link_flits  # the two engines agree
    assert np.array_equal(rows2[3][2].cycles, r.cycles)
    print()
    print(f"Timing modes, {net2.n_neurons:,} neurons / {net2.n_synapses:,} synapses on {m2.n_cores} "
          f"loihi cores (mapped in {t_map:.2f} s), {steps2} steps, "
          f"{r.total('spikes') / steps2:,.0f} spikes/step")  # fmt: skip
    print()
    print(
        "| timing | steps/s | mean cycles/step | max cycles/step | mean latency/step | events/step |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for mode, rate, res in rows2:
        print(f"| {mode} | {rate:,.0f} | {res.cycles.mean():,.0f} | {res.cycles.max():,} | "
              f"{_lat(res) / steps2 * 1e6:.2f} µs | {_events(res) / steps2:.1f} |")  # fmt: skip
    print()
    print(
        "busiest links (cycle mode):",
        ", ".join(f"{n} {f:,} flits ({u:.1%})" for n, f, u in r.timing.congested_links(3)),
    )
    print("critical path of the slowest step (cycle mode):", r.timing.critical_path)


if __name__ == "__main__":
    main()
