"""Kernel throughput: compiled (Cython) vs NumPy twin, single thread.

Prints a Markdown table: workload, backend, throughput, and the compiled/twin speed-up.

    python benchmarks/bench_kernels.py            # full run (about a minute)
    python benchmarks/bench_kernels.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from spikemesh import kernels


def best_rate(fn, work: float, min_time: float, repeats: int = 5) -> float:
    """Best-of-``repeats`` throughput (work units per second); each repeat runs >= min_time."""
    fn()  # warm up
    best = 0.0
    for _ in range(repeats):
        calls, t0 = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        best = max(best, calls * work / dt)
    return best


def delivery_case(rng, n_axons, n_targets, fanout, active, max_delay, graded):
    indptr = np.arange(0, (n_axons + 1) * fanout, fanout, dtype=np.int64)
    nnz = int(indptr[-1])
    targets = np.concatenate(
        [np.sort(rng.choice(n_targets, fanout, replace=False)) for _ in range(n_axons)]
    ).astype(np.int32)
    weights = rng.integers(-256, 256, nnz).astype(np.int16)
    delays = rng.integers(1, max_delay + 1, nnz).astype(np.uint8)
    row_exp = np.zeros(n_axons, np.int8)
    axons = np.sort(rng.choice(n_axons, active, replace=False)).astype(np.int32)
    payloads = (rng.integers(1, 8, active) if graded else np.ones(active)).astype(np.int32)
    ring = np.zeros((max_delay, n_targets), np.int64)
    args = (axons, payloads, indptr, targets, weights, delays, row_exp, 6, ring, 0)
    return args, active * fanout


def neuron_cases(rng, n):
    inp = rng.integers(-(2**14), 2**14, n).astype(np.int64)
    z = lambda: np.zeros(n, np.int32)  # noqa: E731
    bias = rng.integers(0, 4096, n).astype(np.int64)
    return {
        "CubaLIF": ("cuba_lif_update",
                    (inp, z(), z(), z(), bias, 410, 205, 400, 2, -(2**23 - 1), 2**23 - 1, z())),
        "IF (3-bit graded, bipolar), sparse firing": ("if_update",
                    (inp // 16, z(), bias * 0, 4000, -(2**23), 2**23 - 1, 1, 7, 1, 0, -(2**23), z())),
        "IF (3-bit graded, bipolar), dense firing": ("if_update",
                    (inp // 4, z(), bias // 8, 4000, -(2**23), 2**23 - 1, 1, 7, 1, 0, -(2**23), z())),
        "TrueNorth (deterministic)": ("truenorth_update",
                    (rng.integers(0, 3, (n, 4)).astype(np.int64), z(),
                     rng.integers(-256, 256, (n, 4)).astype(np.int16), -1, 0, 0, 0, 2000, 0, 0, 0,
                     0, 0, 1, 0, 0, z())),
        "TrueNorth (stochastic synapses)": ("truenorth_update",
                    (rng.integers(0, 3, (n, 4)).astype(np.int64), z(),
                     rng.integers(-256, 256, (n, 4)).astype(np.int16), -1, 0, 0, 0b1111, 2000, 0,
                     0, 0, 0, 0, 1, 0, 0, z())),
        "TrueNorth (stochastic leak+thr)": ("truenorth_update",
                    (rng.integers(0, 3, (n, 4)).astype(np.int64), z(),
                     rng.integers(-256, 256, (n, 4)).astype(np.int16), -1, 0, 1, 0, 2000, 0, 0, 0,
                     0, 255, 1, 0, 0, z())),
        # Loihi 2 programs (Lava 0.10's fixed-point models, docs/models/)
        "SigmaDelta (relu, vth 64)": ("sigma_delta_update",
                    (inp, z(), z(), z(), z(), bias * 0, 64, 1, 0, 0, z())),
        "ResonateFire (period 10, 12 decay bits)": ("resonate_fire_update",
                    (np.repeat(inp // 64, 2), z(), z(), 2239, 3081, 12, 6, 64, z())),
        "AdaptiveLIF (Lava defaults)": ("adaptive_lif_update",
                    (inp // 256, z(), z(), np.full(n, 320, np.int32), z(), bias * 0, 2456.6, 2458,
                     3277, 3277, 320, 240, z())),
        "ProdNeuron (binary x binary)": ("prod_neuron_update",
                    ((rng.random(2 * n) < 0.3).astype(np.int64), z(), 0, 0, z())),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="short timings (smoke test)")
    opts = ap.parse_args()
    min_time = 0.05 if opts.quick else 0.4
    repeats = 2 if opts.quick else 5
    rng = np.random.default_rng(1)
    comp, twin = kernels.get("cython"), kernels.get("numpy")
    rows = []

    def measure(workload, unit, name, args, work):
        if unit == "neuron updates/s":  # firing fraction over 20 steps from the initial state
            probe = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
            fired = sum(getattr(comp, name)(*probe)[1] for _ in range(20))
            workload += f" ({fired / (20 * work):.1%} firing)"
        rates = {}
        for label, ns in (("cython", comp), ("numpy twin", twin)):
            fn = getattr(ns, name)
            copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
            rates[label] = best_rate(lambda fn=fn, c=copies: fn(*c), work, min_time, repeats)
        rows.append((workload, unit, rates["cython"], rates["numpy twin"]))

    for desc, kw in [
        ("1 core: 4096 axons x 128 syn, 1024 active, delay 1", dict(max_delay=1, graded=False)),
        ("1 core: 4096 axons x 128 syn, 1024 active, delays 1..16",
         dict(max_delay=16, graded=False)),
        ("1 core: as above, 3-bit graded payloads", dict(max_delay=16, graded=True)),
    ]:  # fmt: skip
        args, work = delivery_case(rng, 4096, 1024, 128, 1024, **kw)
        measure(f"deliver — {desc}", "synaptic events/s", "deliver", args, work)

    for n in (1024, 1_000_000):
        for label, (name, args) in neuron_cases(rng, n).items():
            measure(f"{label}, n={n:,}", "neuron updates/s", name, args, n)

    n = 1024
    spikes = np.where(rng.random(n) < 0.1, 1, 0).astype(np.int32)
    fan = 4
    rt_indptr = np.arange(0, (n + 1) * fan, fan, dtype=np.int64)
    rt_dest = rng.integers(0, 128, n * fan).astype(np.int32)
    rt_axon = rng.integers(0, 4096, n * fan).astype(np.int32)
    out = (np.zeros(129, np.int64), np.zeros(n * fan, np.int32), np.zeros(n * fan, np.int32))
    measure("emit — 1024 neurons, 10% spiking, 4 routes each, 128 cores", "axon events/s",
            "emit_spikes", (spikes, rt_indptr, rt_dest, rt_axon, *out),
            int(spikes.astype(bool).sum()) * fan)  # fmt: skip

    print(f"Kernel benchmark — {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}, "
          f"single thread, best of {repeats}")  # fmt: skip
    print()
    print("| workload | unit | compiled | NumPy twin | speed-up |")
    print("|---|---|---:|---:|---:|")
    for workload, unit, c, t in rows:
        print(f"| {workload} | {unit} | {c / 1e6:,.1f} M | {t / 1e6:,.2f} M | {c / t:,.1f}x |")


if __name__ == "__main__":
    main()
