"""The ``spikemesh`` command line.

spikemesh demo [--chip loihi] [--steps 100] [--seed 0]
spikemesh chips
spikemesh map NETWORK.npz [--chip loihi] [--allocator greedy]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from . import __version__, chips, kernels
from .emulator import Simulator
from .exceptions import SpikemeshError
from .mapping import map_network
from .network import Network
from .neurons import CubaLIF, TrueNorthNeuron

__all__ = ["demo_network", "main"]


def demo_network(chip_name: str, seed: int = 0) -> Network:
    """A 64-input -> 128 hidden (recurrent) -> 10 output network for ``chip_name``'s neurons."""
    rng = np.random.default_rng(seed)
    net = Network(f"demo-{chip_name}")
    x = net.input(64, name="x")
    if chips.get(chip_name).supports(TrueNorthNeuron.__name__):
        hidden = TrueNorthNeuron(weights=(1, 2, 4, -8), alpha=40, leak=-1)
        out = TrueNorthNeuron(weights=(1, 2, 4, -8), alpha=120, leak=-1)
        w1 = rng.integers(-2, 8, (64, 128))
        w2 = rng.integers(-3, 8, (128, 10))
        rec = None
    else:
        hidden = CubaLIF(du=410, dv=205, vth=1500, bias_mant=rng.integers(0, 60, 128))
        out = CubaLIF(du=1000, dv=300, vth=2000)
        w1 = rng.integers(-40, 80, (64, 128))
        w2 = rng.integers(-20, 60, (128, 10))
        rec = np.where(rng.random((128, 128)) < 0.05, -60, 0)
    w1[rng.random(w1.shape) < 0.7] = 0
    w2[rng.random(w2.shape) < 0.5] = 0
    h = net.population(128, hidden, name="hidden")
    y = net.population(10, out, name="out")
    net.connect(x, h, weights=w1)
    net.connect(h, y, weights=w2, delay=2)
    if rec is not None:
        net.connect(h, h, weights=rec)
    net.probe(y, "v")
    return net


def _demo(args) -> int:
    chip = chips.get(args.chip)
    net = demo_network(chip.name, args.seed)
    print(f"spikemesh {__version__} (kernels: {kernels.BACKEND}) — demo on {chip.name}")
    print(net)
    t0 = time.perf_counter()
    mapping = map_network(net, chip)
    t_map = time.perf_counter() - t0
    print()
    print(mapping.report())
    rng = np.random.default_rng(args.seed + 1)
    rates = np.linspace(0.02, 0.3, 64)  # input line k fires with probability rates[k]
    x = (rng.random((args.steps, 64)) < rates).astype(np.int32)
    sim = Simulator(mapping, timing="cycle", seed=args.seed)
    t0 = time.perf_counter()
    res = sim.run(args.steps, inputs={"x": x})
    t_run = time.perf_counter() - t0
    print()
    print(f"ran {args.steps} steps in {t_run * 1e3:.1f} ms ({args.steps / t_run:,.0f} steps/s; "
          f"mapping took {t_map * 1e3:.1f} ms)")  # fmt: skip
    print(f"input spikes: {int(x.sum())}")
    for name, s in res.spikes.items():
        n = s.shape[1]
        print(f"{name:>7}: {int(np.count_nonzero(s))} spikes, mean rate {np.count_nonzero(s) / s.size:.3f} "
              f"per neuron per step (n={n})")  # fmt: skip
    counts = res.spikes["out"].sum(axis=0)
    print(f"output spike counts: {counts.tolist()} -> winner: out[{int(np.argmax(counts))}]")
    print("totals:", ", ".join(f"{k} {res.total(k):,}" for k in res.counters))
    print(f"chip time: {res.cycles.mean():,.0f} cycles per step on average "
          f"(max {res.cycles.max():,}), {res.timing.latency_total_s * 1e6:,.1f} µs in all")  # fmt: skip
    print()
    print(res.energy())
    return 0


def _chips(args) -> int:
    for name in chips.available():
        c = chips.get(name)
        print(f"{name:<10} {c.n_cores:>5} cores, {c.core.neurons:>5} neurons/core, "
              f"{c.core.input_axons:>5} axons/core, models: {', '.join(c.core.neuron_models)}")  # fmt: skip
        print(f"{'':<10} {c.description}")
    return 0


def _map(args) -> int:
    net = Network.load(args.network)
    print(map_network(net, args.chip, allocator=args.allocator).report())
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="spikemesh", description="Cycle-level neuromorphic chip emulator"
    )
    ap.add_argument("--version", action="version", version=f"spikemesh {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "demo", help="map and run a small network; print what it computed, its timing and energy"
    )
    d.add_argument("--chip", default="loihi", help="profile name or .toml path (default loihi)")
    d.add_argument("--steps", type=int, default=100)
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(func=_demo)
    c = sub.add_parser("chips", help="list the shipped chip profiles")
    c.set_defaults(func=_chips)
    m = sub.add_parser("map", help="map a saved network (.npz) and print the report")
    m.add_argument("network")
    m.add_argument("--chip", default="loihi")
    m.add_argument("--allocator", default="greedy", choices=["greedy", "sequential"])
    m.set_defaults(func=_map)
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except SpikemeshError as exc:
        print(f"spikemesh: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
