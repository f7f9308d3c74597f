"""Energy components of one fixed run per chip, under every model (docs/energy.md).

    python benchmarks/energy_table.py

Workloads, timing="cycle", seeded inputs:

- ``loihi``, ``truenorth``: the `spikemesh demo` network of each chip (64 inputs -> 128 hidden
  -> 10 outputs), 100 steps, rate-coded inputs (rates 0.02..0.3);
- ``loihi-spread``: 512 inputs (rate 0.1) -> 3,000 CubaLIF -> 1,000 CubaLIF, 5 % random
  connectivity, on 4 Loihi cores spread over the mesh (greedy placement), 50 steps.

Prints one row per (workload, model, component) so runs of different versions can be compared
line by line.
"""

from __future__ import annotations

import numpy as np

import spikemesh as sm
from spikemesh.cli import demo_network


def spread_network() -> sm.Network:
    rng = np.random.default_rng(0)
    net = sm.Network("spread")
    x = net.input(512, name="x")
    h = net.population(3000, sm.CubaLIF(du=400, dv=200, vth=300), name="h")
    o = net.population(1000, sm.CubaLIF(du=400, dv=200, vth=300), name="o")
    net.connect(x, h, weights=rng.integers(0, 120, (512, 3000)) * (rng.random((512, 3000)) < 0.05))
    net.connect(
        h, o, weights=rng.integers(-40, 90, (3000, 1000)) * (rng.random((3000, 1000)) < 0.05)
    )
    return net


def workloads():
    rng = np.random.default_rng(1)
    for chip in ("loihi", "truenorth"):
        X = (rng.random((100, 64)) < np.linspace(0.02, 0.3, 64)).astype(np.int32)
        yield chip, sm.map_network(demo_network(chip), chip), X
    X = (rng.random((50, 512)) < 0.1).astype(np.int32)
    yield "loihi-spread", sm.map_network(spread_network(), "loihi"), X


def main() -> None:
    print(f"spikemesh {sm.__version__}")
    print(f"{'workload':<12} {'model':<10} {'component':<18} {'joules':>12}")
    for chip, m, X in workloads():
        res = sm.Simulator(m, timing="cycle").run(X.shape[0], inputs={"x": X})
        rep = res.energy()
        for model in rep.models:
            for comp, j in rep.components(model).items():
                print(f"{chip:<12} {model:<10} {comp:<18} {j:>12.4g}")
            print(f"{chip:<12} {model:<10} {'TOTAL':<18} {rep.total(model):>12.4g}")
        c = rep.counts
        hops = c["hops_ew"] + c["hops_ns"]
        print(f"{chip:<12} counts     cycles {int(res.cycles.sum())}, spikes {c['spikes']}, "
              f"packets {c['packets']}, hops {hops}, elapsed {c['elapsed_s']:.4g} s")  # fmt: skip


if __name__ == "__main__":
    main()
