"""What a plastic projection costs the emulator: CPU time per step of one network run static
(the compiled step loop) and with STDP on its input projection (the per-step loop with the
NumPy learning engine), on each kernel backend, and the learning work both did.

    python benchmarks/bench_learning.py [--quick]

The workload: 64 inputs (Bernoulli 0.2 per step, seeded) into 30 CubaLIF neurons through
64 x 30 synapses, STDP with t_epoch = 25 (Lava's STDPLoihi names), one Loihi core.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import spikemesh as sm
from spikemesh import kernels
from spikemesh.learning import STDP


def build(learn: bool) -> sm.Network:
    rng = np.random.default_rng(0)
    net = sm.Network("bench_learning")
    x = net.input(64, name="x")
    e = net.population(30, sm.CubaLIF(du=1024, dv=256, vth=10000), name="e")
    rule = STDP(learning_rate=1, A_plus=1, A_minus=-1, tau_plus=8, tau_minus=8, t_epoch=25)
    net.connect(x, e, weights=rng.integers(0, 120, (64, 30)), learning=rule if learn else None)
    return net


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1,000 steps instead of 15,000")
    args = ap.parse_args()
    steps = 1000 if args.quick else 15000
    x = (np.random.default_rng(1).random((steps, 64)) < 0.2).astype(np.int32)
    backends = ["cython", "numpy"] if kernels.compiled is not None else ["numpy"]
    print(f"{'workload':<26} {'backend':<8} {'CPU us/step':>12} {'wall us/step':>13} "
          f"{'spikes':>7} {'syn. events':>12} {'syn. updates':>13}")  # fmt: skip
    for learn in (False, True):
        m = sm.map_network(build(learn), "loihi")
        for be in backends:
            sim = sm.Simulator(m, backend=be)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                c0, w0 = time.process_time(), time.perf_counter()
                res = sim.run(steps, {"x": x})
                cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            name = "STDP 64x30, t_epoch=25" if learn else "static 64x30"
            print(f"{name:<26} {be:<8} {cpu / steps * 1e6:>12.1f} {wall / steps * 1e6:>13.1f} "
                  f"{res.total('spikes'):>7,} {res.total('synaptic_events'):>12,} "
                  f"{res.total('synaptic_updates'):>13,}")  # fmt: skip


if __name__ == "__main__":
    main()
