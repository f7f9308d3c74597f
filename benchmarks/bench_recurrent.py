"""The peers' recurrent benchmark, and a chip-scale mapping/run case.

1. Recurrent: 1000 Loihi CUBA LIF neurons (du 410, dv 205, vth 400, bias 600..1400), 10 %
   random recurrent connectivity, 80 % excitatory presynaptic neurons (weights 1..8) and 20 %
   inhibitory (-48..-1), 1000 steps. spikemesh (map_network onto loihi, timing="none") is timed
   beside a plain NumPy/SciPy implementation of the same fixed-point recurrence, in the same
   run; both must produce identical spikes.
2. Chip scale: >= 100k neurons and >= 5M synapses on the Loihi profile: mapping time, run
   steps/s, peak memory (ru_maxrss of a fresh process).

    python benchmarks/bench_recurrent.py [--quick] [--skip-chip-scale]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp

import spikemesh as sm


def recurrent_weights(rng, n=1000, p=0.1, exc_frac=0.8):
    mask = rng.random((n, n)) < p
    n_exc = int(n * exc_frac)
    w = np.zeros((n, n), np.int64)
    w[:n_exc] = rng.integers(1, 9, (n_exc, n))
    w[n_exc:] = rng.integers(-48, 0, (n - n_exc, n))
    return np.where(mask, w, 0), n_exc


def build_network(rng, n=1000):
    w, n_exc = recurrent_weights(rng, n)
    bias = rng.integers(600, 1401, n)
    net = sm.Network("recurrent1000")
    h = net.population(n, sm.CubaLIF(du=410, dv=205, vth=400, bias_mant=bias), name="h")
    w_exc = w.copy()
    w_exc[n_exc:] = 0
    w_inh = w.copy()
    w_inh[:n_exc] = 0
    net.connect(h, h, weights=w_exc, name="exc")  # one synapse group per sign, as on Loihi
    net.connect(h, h, weights=w_inh, name="inh")
    return net, w, bias


def numpy_model(w, bias, steps):
    """Plain NumPy/SciPy Loihi CUBA LIF recurrence (the same fixed-point rules)."""
    n = w.shape[0]
    wt = sp.csr_matrix((w << 6).T)  # weights are exact in 8-bit single-sign groups
    u = np.zeros(n, np.int64)
    v = np.zeros(n, np.int64)
    s = np.zeros(n, np.int64)
    out = np.zeros((steps, n), np.int8)
    fu, fv, thr = 4096 - 411, 4096 - 205, 400 << 6

    def wrap(x, b):
        h = 1 << (b - 1)
        return ((x + h) & (2 * h - 1)) - h

    for t in range(steps):
        q = wrap(wt @ s, 22)
        u = wrap(np.sign(u) * ((np.abs(u) * fu) >> 12) + q, 24)
        v = np.clip(
            np.sign(v) * ((np.abs(v) * fv) >> 12) + wrap(u + bias, 24), -(2**23 - 1), 2**23 - 1
        )
        spk = v > thr
        v[spk] = 0
        s = spk.astype(np.int64)
        out[t] = spk
    return out


def bench_recurrent(steps: int) -> list[tuple]:
    rng = np.random.default_rng(42)
    net, w, bias = build_network(rng)
    t0 = time.perf_counter()
    m = sm.map_network(net, "loihi")
    t_map = time.perf_counter() - t0
    rows = []
    results = {}
    for backend in ("cython", "numpy"):
        sim = sm.Simulator(m, backend=backend)
        sim.run(10)
        sim.reset()
        t0 = time.perf_counter()
        res = sim.run(steps)
        dt = time.perf_counter() - t0
        results[backend] = res
        rows.append((f"spikemesh ({backend} kernels)", steps / dt, res.total("spikes"),
                     res.total("synaptic_events") / steps))  # fmt: skip
    t0 = time.perf_counter()
    ref = numpy_model(w, bias, steps)
    dt = time.perf_counter() - t0
    rows.append(("plain NumPy/SciPy model", steps / dt, int(ref.sum()), None))
    for res in results.values():
        assert np.array_equal(res.spikes["h"], ref), "spikemesh and the NumPy model disagree"
    return rows, t_map, m


def column_local_pairs(rng, cols: int, size: int, fan: int) -> tuple[np.ndarray, np.ndarray]:
    """(pre, post) synapse pairs for ``cols`` columns of ``size`` neurons: every neuron draws
    ``fan`` presynaptic neurons from its own column and the next one (start + k * odd stride
    modulo a power of two, folded into the two-column window; duplicates removed). Local
    enough for Loihi's 4096-axon fan-in."""
    n = cols * size
    span = 1 << (2 * size - 1).bit_length()
    post = np.repeat(np.arange(n), fan)
    k = np.tile(np.arange(fan), n)
    start = np.repeat(rng.integers(0, span, n), fan)
    step = np.repeat(rng.integers(0, span // 2, n) * 2 + 1, fan)
    off = (start + k * step) % span % (2 * size)
    keys = np.sort(((post // size) * size + off) % n * n + post)
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    return keys // n, keys % n


def chip_scale_network(rng):
    """102,400 CubaLIF neurons in 100 columns of 1024; each neuron has 50 distinct recurrent
    synapses from its own column and the next one (4-bit mixed-sign weights) and 2 from a
    1000-line input: about 5.3 M synapses."""
    cols, size, fan, fan_x = 100, 1024, 50, 2
    n = cols * size
    net = sm.Network("chipscale")
    x = net.input(1000, name="x")
    h = net.population(
        n, sm.CubaLIF(du=800, dv=400, vth=300, bias_mant=rng.integers(0, 100, n)), name="h"
    )
    pre, post = column_local_pairs(rng, cols, size, fan)
    w = rng.integers(-5, 3, post.size) * 32
    w[w == 0] = 32
    net.connect(
        h, h, weights=sp.coo_matrix((w, (pre, post)), shape=(n, n)), weight_bits=4, name="rec"
    )
    post_x = np.repeat(np.arange(n), fan_x)
    wx = sp.coo_matrix(
        (np.full(post_x.size, 60), (rng.integers(0, 1000, post_x.size), post_x)), shape=(1000, n)
    )
    net.connect(x, h, weights=wx, weight_bits=4, name="in")
    return net


def update_ns(n: int, reps: int = 200) -> float:
    """Per-step time (ns) of the CubaLIF update of ``n`` neurons alone (the compiled kernel,
    zero input, best of three timings): subtracted from a step, it leaves delivery, emission,
    counters and the record."""
    k = sm.kernels.get()
    u, v, ref = (np.zeros(n, np.int32) for _ in range(3))
    bias, spikes = np.full(n, 50, np.int64), np.zeros(n, np.int32)
    inp = np.zeros(n, np.int64)
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            k.cuba_lif_update(inp, u, v, ref, bias, 800, 400, 300, 0, -(2**23), 2**23 - 1,
                              spikes)  # fmt: skip
        best = min(best, (time.perf_counter() - t0) / reps)
    return best * 1e9


def chip_scale_child(steps: int) -> None:
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    net = chip_scale_network(rng)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    m = sm.map_network(net, "loihi")
    t_map = time.perf_counter() - t0
    x = (rng.random((steps, 1000)) < 0.05).astype(np.int32)
    rates, cpu, spikes = {}, {}, None
    sm.Simulator(m).run(steps, inputs={"x": x})  # warm-up: the run's memory, once
    for load in ("idle", "loaded"):
        # loaded: another process spins on one of the cores while the run is timed
        hog = (subprocess.Popen([sys.executable, "-c", "while True: pass"])
               if load == "loaded" else None)  # fmt: skip
        try:
            for threads in (1, 2):
                sim = sm.Simulator(m, threads=threads)
                t0, c0 = time.perf_counter(), time.process_time()
                res = sim.run(steps, inputs={"x": x})
                rates[load, threads] = steps / (time.perf_counter() - t0)
                cpu[load, threads] = (time.process_time() - c0) / steps
                ev = res.spikes.events("h")
                assert spikes is None or all(
                    np.array_equal(a, b) for a, b in zip(spikes, ev, strict=True)
                )
                spikes = ev
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    floor = memory_floor(sim, res, steps)
    mem = memory_per_synapse(net, x[: max(steps // 10, 1)])
    print(json.dumps(dict(
        neurons=net.n_neurons, synapses=net.n_synapses, cores=m.n_cores, t_build=t_build,
        t_map=t_map, steps=steps, steps_per_s=rates["idle", 1],
        threads={f"{k[0]}/{k[1]}": [rates[k], cpu[k]] for k in rates},
        spikes=res.total("spikes"),
        events=res.total("synaptic_events"),
        peak_mb=peak_mb, memory=mem, floor=floor, cpu_ms=cpu["idle", 1] * 1e3,
        update_ns=update_ns(net.n_neurons),
    )))  # fmt: skip


def memory_floor(sim, res, steps: int) -> dict:
    """The step's compulsory memory traffic over this machine's copy bandwidth (measured here,
    best of 5 copies of 256 MB): every neuron's registers read and written (u, v, ref: 3 x 4 B
    each way), its bias read (8 B) and spike written (4 B); every core's ring slot read and
    cleared (8 B each way per accumulator); the fan-out run of every spike (6 B a synaptic
    event, 12 B a message). A step cannot take less than this (the rings' scattered adds go to
    slots counted when their step comes)."""
    src = np.ones(2**25, np.int64)  # 256 MB
    dst = np.empty_like(src)
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    bw = 2 * src.nbytes / best  # bytes read + written per second
    n = sum(c.n for c in sim._cores)
    acc = sum(int(np.prod(c.ring.shape[1:])) for c in sim._cores if hasattr(c, "ring"))
    per_step = (n * (24 + 8 + 4) + acc * 16
                + (6 * res.total("synaptic_events") + 12 * res.total("axon_events")) / steps)  # fmt: skip
    return {"bandwidth_gbs": bw / 1e9, "bytes_per_step": per_step, "floor_ms": per_step / bw * 1e3}


def memory_per_synapse(net, x) -> dict:
    """Bytes per synapse held by the mapping and by the simulator (its delivery tables, rings
    and state), and the extra peak while the simulator is built and while it runs: NumPy's
    allocations as tracemalloc sees them (every table of both is a NumPy array), measured on a
    fresh mapping (tracing slows the build: not in the timed figures)."""
    import gc
    import tracemalloc

    n = net.n_synapses
    gc.collect()
    tracemalloc.start()
    try:
        m = sm.map_network(net, "loihi")
        gc.collect()
        mapped = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        sim = sm.Simulator(m)
        gc.collect()
        held, peak_build = (v - mapped for v in tracemalloc.get_traced_memory())
        tracemalloc.reset_peak()
        res = sim.run(x.shape[0], inputs={"x": x})
        peak_run = tracemalloc.get_traced_memory()[1] - mapped - held
        del res
    finally:
        tracemalloc.stop()
    return {"mapping": mapped / n, "simulator": held / n, "build_peak": peak_build / n,
            "run_peak": peak_run / n, "run_steps": int(x.shape[0])}  # fmt: skip


def chip_scale(steps: int) -> dict:
    """Run in a fresh process so the peak memory is this case's own."""
    out = subprocess.run([sys.executable, __file__, "--chip-scale-child", str(steps)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-chip-scale", action="store_true")
    ap.add_argument("--chip-scale-child", type=int, default=0, help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.chip_scale_child:
        chip_scale_child(opts.chip_scale_child)
        return
    steps = 200 if opts.quick else 1000
    rows, t_map, m = bench_recurrent(steps)
    base = rows[-1][1]
    print(f"Recurrent benchmark: 1000 CubaLIF, 10% recurrent, {steps} steps "
          f"(mapped onto {m.n_cores} loihi core(s) in {t_map * 1e3:.0f} ms)")  # fmt: skip
    print()
    print("| implementation | steps/s | vs NumPy/SciPy | spikes | ns per synaptic event |")
    print("|---|---:|---:|---:|---:|")
    for name, rate, spikes, ev in rows:
        ns = f"{1e9 / (rate * ev):.1f}" if ev else "-"
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f}x | {spikes:,} | {ns} |")
    if not opts.skip_chip_scale:
        r = chip_scale(20 if opts.quick else 200)
        print()
        print(f"Chip-scale case (loihi profile, timing='none', {r['steps']} steps)")
        print()
        print("| neurons | synapses | cores | build | mapping | run steps/s (1 thread) | "
              "step ns / synaptic event | neuron updates ns/step | the rest (delivery, record) "
              "ns / synaptic event | the rest vs the 1k benchmark | steps/s (2 threads) | "
              "spikes/step | synaptic events/step | peak memory |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        r["steps_per_s_2"] = r["threads"]["idle/2"][0]
        ev = r["events"] / r["steps"]
        step_ns = 1e9 / r["steps_per_s"]
        rest = (step_ns - r["update_ns"]) / ev
        ev_1k = rows[0][3]
        rest_1k = (1e9 / rows[0][1] - update_ns(1000)) / ev_1k
        print(f"| {r['neurons']:,} | {r['synapses']:,} | {r['cores']} | {r['t_build']:.1f} s | "
              f"{r['t_map']:.1f} s | {r['steps_per_s']:,.0f} | {step_ns / ev:.1f} | "
              f"{r['update_ns']:,.0f} | {rest:.1f} | {rest / rest_1k:.2f}x | "
              f"{r['steps_per_s_2']:,.0f} | {r['spikes'] / r['steps']:,.0f} | {ev:,.0f} | "
              f"{r['peak_mb']:,.0f} MB |")  # fmt: skip
        print()
        print(
            "(the neuron updates timed alone, the compiled CubaLIF kernel on as many neurons; "
            "the rest of the step, divided by its synaptic events, is delivery with emission, "
            "counters and the record: not delivery alone)"
        )
        fl = r["floor"]
        print()
        print(f"Memory floor of this step: {fl['bytes_per_step'] / 1e6:.2f} MB of compulsory "
              f"traffic at {fl['bandwidth_gbs']:.1f} GB/s (this machine's copy bandwidth, "
              f"measured in the same run) = {fl['floor_ms']:.3f} ms; the step took "
              f"{r['cpu_ms']:.3f} ms of CPU (1 thread): {r['cpu_ms'] / fl['floor_ms']:.2f}x the "
              "floor")  # fmt: skip
        mem = r["memory"]
        print()
        print("Memory per synapse (tracemalloc, NumPy arrays; the network's own weights not "
              "counted)")  # fmt: skip
        print()
        print("| mapping | simulator (delivery tables, rings, state) | mapping + simulator | "
              "extra peak while building the simulator | extra peak while running |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|")
        print(f"| {mem['mapping']:.1f} B | {mem['simulator']:.1f} B | "
              f"{mem['mapping'] + mem['simulator']:.1f} B | {mem['build_peak']:.1f} B | "
              f"{mem['run_peak']:.2f} B ({mem['run_steps']} steps) |")  # fmt: skip
        print()
        print(f"Threads on the chip-scale case ({r['steps']} steps; idle: nothing else run by "
              "this benchmark; loaded: another process spinning on one core)")  # fmt: skip
        print()
        print("| machine | threads | steps/s (wall) | CPU ms/step | speed-up (wall) vs 1 thread |")
        print("|---|---:|---:|---:|---:|")
        for load in ("idle", "loaded"):
            one = r["threads"][f"{load}/1"][0]
            for threads in (1, 2):
                rate, c = r["threads"][f"{load}/{threads}"]
                print(f"| {load} | {threads} | {rate:,.0f} | {c * 1e3:.2f} | {rate / one:.2f}x |")


if __name__ == "__main__":
    main()
