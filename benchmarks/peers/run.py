"""Peer benchmarks: spikemesh beside other simulators on the same networks, in one run.

    python benchmarks/peers/run.py [--steps N] [--peers brian2] [--json out.json]

Each peer lives in its own virtualenv under ``$SPIKEMESH_PEER_CACHE`` (default
``~/.cache/spikemesh/peers``), created and filled on first use from the package registries
(never a spikemesh dependency); its side of a workload is a script in this folder run with that
virtualenv's interpreter, which prints one JSON line. spikemesh runs in this process.

Workloads so far:

- ``ff`` -- 64 input lines -> 256 -> 10 leaky integrate-and-fire neurons, dense random weights
  (``spikemesh_ff``): spikemesh in each timing mode beside SANA-FE's simple, detailed and cycle
  models on the same synapses and placement (SANA-FE's inputs are bias-driven neurons firing
  every 5th step, as spikemesh's input lines do). Neuron dynamics are close (current decay
  4095/4096 against none) but not identical: compare throughput, not spikes.

- ``cuba`` -- Brian2's CUBA example network (4000 LIF neurons, 3200 excitatory / 800
  inhibitory, 2 % random connectivity, dt = 0.1 ms), the same synapses in both tools;
  spikemesh runs them as Loihi fixed-point CUBA LIF neurons (one synaptic current, tau 5 ms;
  membrane tau 20 ms; threshold, bias and weights scaled from the example), timing "none".
  Brian2 runs two models on each target (numpy, cython, cpp_standalone): ``loihi``, the same
  integer update written in Brian2's code language on int64 variables (the same work, spike
  for spike), and ``example``, its own float CUBA example with two synaptic currents (not the
  same work: marked in the table). Both sides run 10 steps first and count the next N.

- ``rec1000`` -- the recurrent benchmark of ``bench_recurrent.py`` (1000 CubaLIF neurons, 10 %
  connectivity, 2 Loihi cores): spikemesh in each timing mode beside SANA-FE 2.2.9's simple,
  detailed and cycle timing models on the same synapses and the same neuron -> core placement,
  as SANA-FE leaky integrate-and-fire neurons on its Loihi architecture file (weights, bias and
  leak scaled from the fixed-point ones; SANA-FE's LIF has no synaptic current, so the spike
  trains differ: compare throughput, energy and simulated time, not spikes); and nengo-loihi
  1.1.0's Loihi emulator on the same network at block level with the integer registers set
  directly (bit-exact: the same spike count).

- ``rec10k`` -- the synapses of the board case of ``bench_board.py`` (10,000 neurons, 1.1 M
  random recurrent synapses, 1,000 input lines with 0.11 M synapses, ``loihi_board``: 241
  cores on 2 chips), the input lines firing together in steps 21, 43, 65, 87 (when SANA-FE's
  bias-driven input neurons fire), with the
  neurons' current decaying completely each step (CubaLIF du = 4095: leaky integrate-and-fire
  neurons, as SANA-FE's LIF; the board benchmark keeps du = 400). SANA-FE runs the same
  synapses on its one-chip Loihi architecture (128 cores: spikemesh's core c on SANA-FE core
  c mod 128; the input lines as 1,000 bias-driven neurons of period 20 spread over the cores),
  simple timing for all steps and detailed timing for 40.

Lava 0.10 runs rec1000 as bit-accurate LIF + two Dense processes (``Loihi2SimCfg``
fixed_pt) when a Python 3.10 interpreter exists (pyenv), and is skipped with the reason
otherwise. Not built: reading SANA-FE's own network description files (both tools here build
the same synapses from one npz).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("SPIKEMESH_PEER_CACHE", Path.home() / ".cache/spikemesh/peers"))
PEERS = {
    "brian2": {
        "python": sys.executable,
        "packages": ["brian2==2.9.0", "numpy<2.4", "cython", "setuptools"],
    },
    "sanafe": {"python": sys.executable, "packages": ["sanafe==2.2.9", "numpy<2.4"]},
    "lava": {  # lava-nc 0.10 needs Python 3.10: the first pyenv-style 3.10 interpreter found
        "python": next(
            (
                str(p)
                for p in sorted(Path.home().glob(".pyenv/versions/3.10*/bin/python"))
                if p.exists()
            ),
            "",
        ),
        "packages": ["lava-nc==0.10.0"],
    },
    "nengo_loihi": {
        "python": sys.executable,
        "packages": ["nengo-loihi==1.1.0", "nengo==3.2.0", "numpy<2", "scipy"],
    },
}


def venv_python(name: str) -> Path:
    """The peer's interpreter, creating its virtualenv on first use."""
    spec = PEERS[name]
    if not spec["python"]:
        raise FileNotFoundError(f"{name}: no suitable Python interpreter on this machine")
    root = CACHE / name
    py = root / "bin" / "python"
    marker = root / ".installed"
    if not marker.exists():
        print(f"[peers] creating {root} with {', '.join(spec['packages'])} ...", file=sys.stderr)
        subprocess.run([spec["python"], "-m", "venv", str(root)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *spec["packages"]], check=True)
        marker.write_text(" ".join(spec["packages"]))
    return py


def cuba_connectivity(seed: int = 0, n: int = 4000, p: float = 0.02):
    rng = np.random.default_rng(seed)
    mask = rng.random((n, n)) < p
    np.fill_diagonal(mask, False)
    pre, post = np.nonzero(mask)
    exc = np.arange(n) < int(0.8 * n)
    return pre.astype(np.int64), post.astype(np.int64), exc


CUBA_SPEC = dict(du=82, dv=20, vth=100_000, bias_mant=2149, bias_exp=4, refract_delay=50)
"""The CUBA neurons as Loihi CUBA LIF registers. dt 0.1 ms: dv = 4096 dt / 20 ms, du = 4096 dt /
5 ms; threshold 100000 << 6 stands for Brian2's 10 mV from reset to threshold; the bias drives v
toward 1.1 x threshold (El = -49 mV)."""

CUBA_W_EXC, CUBA_W_INH, CUBA_INH_EXP = 81, -225, 2
"""The excitatory and inhibitory weights (8-bit mantissas) and the inhibitory weight exponent."""


def cuba_registers(exc) -> dict:
    """What the Brian2 side needs to run the same integer model (peer_brian2.py, model
    'loihi'): decay factors, threshold, bias, clip, refractory delay, initial voltages and
    the weights in input units (weight << 6 << weight_exp, as delivery adds them)."""
    import spikemesh as sm

    spec = sm.CubaLIF(**CUBA_SPEC)
    rng = np.random.default_rng(0)
    return {"fu": 4096 - (spec.du + 1), "fv": 4096 - spec.dv, "thr": spec.vth << 6,
            "bias": spec.bias_mant << spec.bias_exp, "vmin": spec.vmin, "vmax": spec.vmax,
            "refract_delay": spec.refract_delay, "v0": rng.integers(0, 100_000 << 6, exc.size),
            "w_exc": CUBA_W_EXC << 6, "w_inh": (CUBA_W_INH << CUBA_INH_EXP) << 6}  # fmt: skip


def spikemesh_cuba(pre, post, exc, steps: int) -> dict:
    import scipy.sparse as sp

    import spikemesh as sm

    n = exc.size
    reg = cuba_registers(exc)
    net = sm.Network("cuba")
    pop = net.population(n, sm.CubaLIF(**CUBA_SPEC), name="P", initial={"v": reg["v0"]})
    e = exc[pre]
    net.connect(pop, pop, weights=sp.coo_matrix((np.full(e.sum(), CUBA_W_EXC), (pre[e], post[e])),
                                                shape=(n, n)), name="exc")  # fmt: skip
    net.connect(pop, pop, weights=sp.coo_matrix((np.full((~e).sum(), CUBA_W_INH), (pre[~e], post[~e])),
                                                shape=(n, n)), weight_exp=CUBA_INH_EXP, name="inh")  # fmt: skip
    m = sm.map_network(net, "loihi")
    sim = sm.Simulator(m, overflow="wrap")
    sim.run(10)  # as the Brian2 side: 10 steps first, not counted
    t0, c0 = time.perf_counter(), time.process_time()
    res = sim.run(steps)
    run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    if res.overflows:  # the Brian2 'loihi' model leaves the wraps out: then it is not the same
        print(f"[cuba] spikemesh counted {res.overflows} register wraps: Brian2's 'loihi' model "
              "(no wraps) is not the same model here", file=sys.stderr)  # fmt: skip
    return {"tool": "spikemesh", "mode": "loihi, timing none", "steps": steps, "run_s": run_s,
            "cpu_s": cpu_s, "steps_per_s": steps / run_s, "neuron_spikes": res.total("spikes"),
            "synaptic_events": res.total("synaptic_events"), "version": sm.__version__,
            "cores": m.n_cores}  # fmt: skip


def spikemesh_rec1000(steps: int) -> tuple[list, dict]:
    sys.path.insert(0, str(HERE.parent))
    from bench_recurrent import build_network

    import spikemesh as sm

    net, w, bias = build_network(np.random.default_rng(42))
    m = sm.map_network(net, "loihi")
    rows = []
    for mode in ("none", "analytic", "cycle"):
        sim = sm.Simulator(m, timing=mode)
        t0, c0 = time.perf_counter(), time.process_time()
        res = sim.run(steps)
        run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        e = res.energy()
        rows.append({"tool": "spikemesh", "mode": f"timing {mode}", "steps": steps,
                     "run_s": run_s, "cpu_s": cpu_s, "steps_per_s": steps / run_s,
                     "neuron_spikes": res.total("spikes"),
                     "synaptic_events": res.total("synaptic_events"),
                     "energy_J": e.total("chip"), "sim_time_s": e.counts["elapsed_s"],
                     "version": sm.__version__})  # fmt: skip
    pre, post = np.nonzero(w)
    thr = 400 << 6
    core = np.zeros(w.shape[0], np.int64)
    for s in m.slices["h"]:
        core[s.lo : s.hi] = s.core
    spec = {"n": w.shape[0], "pre": pre, "post": post, "weight": (w[pre, post] << 6) / thr * 10,
            "bias": bias / thr * 10, "threshold": 1.0, "leak_decay": 1 - 205 / 4096,
            "core": core, "w": w, "du": 410, "dv": 205, "vth": 400, "raw_bias": bias}  # fmt: skip
    return rows, spec


def spikemesh_rec10k(steps: int) -> tuple[list, dict]:
    sys.path.insert(0, str(HERE.parent))
    from bench_board import build

    import spikemesh as sm

    # du = 4095: the current decays completely every step, so the neurons are leaky
    # integrate-and-fire neurons as SANA-FE's LIF (which has no synaptic current): the same
    # model on both sides, as on ff (the board benchmark itself keeps du = 400)
    net = build(np.random.default_rng(0), du=4095)
    m = sm.map_network(net, "loihi_board")
    X = np.zeros((steps, 1000), np.int32)
    # every line fires in steps 21, 43, 65, 87: when SANA-FE's bias-driven input neurons (bias
    # 1/19.5, threshold 1) fire, as observed stepping SANA-FE 2.2.9 one step at a time (first
    # at step 21, then every 22 steps; not at 19, 39, ... as 20 x 1/19.5 > 1 would suggest)
    X[21::22] = 1
    rows = []
    sm.Simulator(m).run(steps, inputs={"x": X})  # warm-up: the run's memory, once
    for mode, threads in (("none", 1), ("none", 2), ("analytic", 1), ("cycle", 1)):
        run_s = cpu_s = np.inf
        for _ in range(2):  # best of two (fresh memory on the first run is slow on this VM)
            sim = sm.Simulator(m, timing=mode, threads=threads)
            t0, c0 = time.perf_counter(), time.process_time()
            res = sim.run(steps, inputs={"x": X})
            run_s = min(run_s, time.perf_counter() - t0)
            cpu_s = min(cpu_s, time.process_time() - c0)
        e = res.energy()
        rows.append({"tool": "spikemesh", "mode": f"timing {mode}, {threads} thread(s)",
                     "steps": steps, "run_s": run_s, "cpu_s": cpu_s, "steps_per_s": steps / run_s,
                     "neuron_spikes": res.total("spikes") + int(X.sum()),  # + the input lines
                     "synaptic_events": res.total("synaptic_events"),
                     "energy_J": e.total("chip"),
                     "sim_time_s": e.counts["elapsed_s"], "version": sm.__version__})  # fmt: skip
    rec, inp = ({p.name: p for p in net.projections}[k] for k in ("rec", "in"))
    thr = 100 << 6
    core = np.zeros(net.populations["h"].n, np.int64)
    for s in m.slices["h"]:
        core[s.lo : s.hi] = s.core % 128
    # weights relative to the threshold, as on ff (no current to integrate on either side)
    spec = {"n": core.size, "pre": rec.pre_idx, "post": rec.post_idx,
            "weight": (rec.weight.astype(np.int64) << 6) / thr, "bias": np.zeros(core.size),
            "threshold": 1.0, "leak_decay": 1 - 200 / 4096, "core": core,
            "n_in": 1000, "in_pre": inp.pre_idx, "in_post": inp.post_idx,
            "in_weight": (inp.weight.astype(np.int64) << 6) / thr, "in_bias": 1 / 19.5,
            "in_core": np.arange(1000) % 128}  # fmt: skip
    return rows, spec


def spikemesh_ff(steps: int) -> tuple[list, dict]:
    """64 input lines -> 256 -> 10 CubaLIF neurons, dense random weights (seeded). The current
    decays completely each step (du = 4095), so the neurons are leaky integrate-and-fire
    neurons as in SANA-FE; the input lines fire together every 5th step."""
    import spikemesh as sm

    rng = np.random.default_rng(3)
    n_in, n_h, n_o = 64, 256, 10
    net = sm.Network("ff")
    x = net.input(n_in, name="x")
    spec = sm.CubaLIF(du=4095, dv=200, vth=100)
    h = net.population(n_h, spec, name="h")
    o = net.population(n_o, spec, name="o")
    w1 = rng.integers(-20, 40, (n_in, n_h))
    w2 = rng.integers(-10, 20, (n_h, n_o))
    net.connect(x, h, weights=w1, name="in")
    net.connect(h, o, weights=w2, name="out")
    m = sm.map_network(net, "loihi")
    X = np.zeros((steps, n_in), np.int32)
    X[4::5] = 1  # SANA-FE's bias-driven input neurons (bias 1/4.5) fire in steps 4, 9, ...
    rows = []
    for mode in ("none", "analytic", "cycle"):
        run_s = cpu_s = np.inf
        for _ in range(2):
            sim = sm.Simulator(m, timing=mode)
            t0, c0 = time.perf_counter(), time.process_time()
            res = sim.run(steps, inputs={"x": X})
            run_s = min(run_s, time.perf_counter() - t0)
            cpu_s = min(cpu_s, time.process_time() - c0)
        e = res.energy()
        rows.append({"tool": "spikemesh", "mode": f"timing {mode}", "steps": steps,
                     "run_s": run_s, "cpu_s": cpu_s, "steps_per_s": steps / run_s,
                     "neuron_spikes": res.total("spikes") + int(X.sum()),  # + the input lines
                     "synaptic_events": res.total("synaptic_events"),
                     "energy_J": e.total("chip"), "sim_time_s": e.counts["elapsed_s"],
                     "version": sm.__version__})  # fmt: skip
    thr = 100 << 6  # weights relative to the threshold (SANA-FE threshold 1.0)
    w = np.zeros((n_h + n_o, n_h + n_o), np.int64)
    w[:n_h, n_h:] = w2
    pre, post = np.nonzero(w)
    core = np.zeros(n_h + n_o, np.int64)
    for name, off in (("h", 0), ("o", n_h)):
        for s in m.slices[name]:
            core[off + s.lo : off + s.hi] = s.core
    in_pre, in_post = np.nonzero(w1)
    spec = {"n": n_h + n_o, "pre": pre, "post": post, "weight": (w[pre, post] << 6) / thr,
            "bias": np.zeros(n_h + n_o), "threshold": 1.0, "leak_decay": 1 - 200 / 4096,
            "core": core, "n_in": n_in, "in_pre": in_pre, "in_post": in_post,
            "in_weight": (w1[in_pre, in_post] << 6) / thr, "in_bias": 1 / 4.5,
            "in_core": np.full(n_in, 1)}  # fmt: skip
    return rows, spec


def run_peer(name: str, script: str, args: list) -> list:
    try:
        py = venv_python(name)
    except (FileNotFoundError, subprocess.CalledProcessError) as err:
        return [{"tool": name, "mode": "-", "error": f"skipped: {err}"}]
    out = subprocess.run([str(py), str(HERE / script), *map(str, args)], capture_output=True,
                         text=True)  # fmt: skip
    if out.returncode:
        return [{"tool": name, "mode": "-", "error": out.stderr[-400:]}]
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def run_sanafe(spec: dict, runs: list) -> list:
    """SANA-FE's rows for the network ``spec`` (written to a temporary npz): one peer run per
    ``(steps, "mode[,mode]")`` in ``runs``."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "network.npz"
        np.savez(path, **spec)
        for steps, modes in runs:
            rows += run_peer("sanafe", "peer_sanafe.py", [path, steps, modes])
    return rows


def _counts(r: dict) -> dict:
    """A row's neuron spikes under one name (bit-exact peers report ``spikes``)."""
    if "neuron_spikes" not in r and "spikes" in r:
        r = {**r, "neuron_spikes": r["spikes"]}
    return r


def same_work(a: dict, b: dict, tol: float = 0.01) -> bool:
    """Both sides simulated the same work: neuron spikes and synaptic events within ``tol``
    per step (a peer may run fewer steps)."""
    for key in ("neuron_spikes", "synaptic_events"):
        x, y = a.get(key), b.get(key)
        if x is None or y is None:
            return False
        x, y = x / a["steps"], y / b["steps"]
        if abs(x - y) > tol * max(abs(x), abs(y), 1e-300):
            return False
    return True


def print_table(title: str, rows: list) -> None:
    """Each row: its own neuron spikes and synaptic events (counted the same way on both
    sides: a spike of a neuron or input line; a delivery through one synapse), wall and CPU time
    per step, and row 1's speed over it per step and per synaptic event. A ratio counts only
    where both sides did the same work (within 1 %); the others are marked."""
    rows = [_counts(r) for r in rows]
    base = rows[0]
    print(title)
    print()
    print("| tool | mode | steps | wall ms/step | CPU ms/step | neuron spikes | synaptic events "
          "| row 1 / tool per step (CPU) | per synaptic event (CPU) | same work as row 1 "
          "| energy/step | chip time/step |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    b_cpu = base["cpu_s"] / base["steps"]
    b_ev = base["cpu_s"] / max(base["synaptic_events"], 1)
    for r in rows:
        if "error" in r:
            print(f"| {r['tool']} | {r['mode']} | failed: {r['error'].splitlines()[-1]} "
                  "| | | | | | | | | |")  # fmt: skip
            continue
        e = f"{r['energy_J'] / r['steps'] * 1e9:,.2f} nJ" if "energy_J" in r else "-"
        lat = f"{r['sim_time_s'] / r['steps'] * 1e6:,.2f} µs" if "sim_time_s" in r else "-"
        cpu = r.get("cpu_s", r["run_s"]) / r["steps"]
        ev = r.get("cpu_s", r["run_s"]) / max(r.get("synaptic_events", 0), 1)
        if r is base or same_work(base, r):
            same = "yes"
        elif "synaptic_events" not in r and r.get("neuron_spikes") == base["neuron_spikes"]:
            same = "same spikes (bit-exact); the peer counts no synaptic events"
        else:
            same = "**no: ratio not claimed**"
        per_ev = f"{ev / b_ev:,.2f}x" if r.get("synaptic_events") else "-"
        print(f"| {r['tool']} {r['version']} | {r['mode']} | {r['steps']:,} | "
              f"{r['run_s'] / r['steps'] * 1e3:,.3f} | {cpu * 1e3:,.3f} | "
              f"{r.get('neuron_spikes', 0):,} | {r.get('synaptic_events', 0):,} | "
              f"{cpu / b_cpu:,.2f}x | {per_ev} | {same} | {e} | {lat} |")  # fmt: skip
    print()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--peers", default="brian2,sanafe,nengo_loihi,lava")
    ap.add_argument("--workloads", default="ff,cuba,rec1000,rec10k")
    ap.add_argument("--targets", default="numpy,cython,cpp_standalone")
    ap.add_argument("--json", default=None)
    opts = ap.parse_args()
    peers = opts.peers.split(",")
    all_rows = {}
    if "ff" in opts.workloads.split(","):
        steps = min(opts.steps, 1000)
        rows, spec = spikemesh_ff(steps)
        if "sanafe" in peers:
            rows += run_sanafe(spec, [(steps, "simple,detailed"), (20, "cycle")])
        print_table(f"ff: 64 inputs -> 256 -> 10, {spec['pre'].size + spec['in_pre'].size:,} "
                    f"synapses, 1 Loihi core, {steps} steps (SANA-FE cycle: 20 steps)", rows)  # fmt: skip
        all_rows["ff"] = rows
    if "rec1000" in opts.workloads.split(","):
        steps = min(opts.steps, 1000)
        rows, spec = spikemesh_rec1000(steps)
        if "sanafe" in peers:
            rows += run_sanafe(spec, [(steps, "simple,detailed"), (20, "cycle")])
        with tempfile.TemporaryDirectory() as tmp:  # integer registers: bit-exact peers
            path = Path(tmp) / "rec1000_loihi.npz"
            np.savez(path, w=spec["w"], du=410, dv=205, vth=400, bias=spec["raw_bias"])
            if "nengo_loihi" in peers:
                rows += run_peer("nengo_loihi", "peer_nengo_loihi.py", [path, steps])
            if "lava" in peers:
                rows += run_peer("lava", "peer_lava.py", [path, steps])
        print_table(f"rec1000: 1000 neurons, {spec['pre'].size:,} synapses, 2 Loihi cores, "
                    f"{steps} steps (SANA-FE cycle: 20 steps)", rows)  # fmt: skip
        all_rows["rec1000"] = rows
    if "rec10k" in opts.workloads.split(","):
        steps = min(opts.steps, 100)
        rows, spec = spikemesh_rec10k(steps)
        short = 40  # SANA-FE's detailed model takes seconds a step here: 40 steps, both sides
        rows40 = spikemesh_rec10k(short)[0] if steps != short else []
        if "sanafe" in peers:
            peer = run_sanafe(spec, [(steps, "simple"), (short, "detailed")])
            rows += [r for r in peer if r.get("steps") == steps]
            rows40 += [r for r in peer if r.get("steps") != steps]
        syn = spec["pre"].size + spec["in_pre"].size
        print_table(f"rec10k: 10,000 neurons, {syn:,} synapses, loihi_board (241 cores, 2 chips), "
                    f"{steps} steps (the inputs first fire in step 21)", rows)  # fmt: skip
        if rows40:
            print_table(f"rec10k, the first {short} steps (SANA-FE detailed)", rows40)
        all_rows["rec10k"] = rows + rows40
    if "cuba" not in opts.workloads.split(","):
        if opts.json:
            Path(opts.json).write_text(json.dumps(all_rows, indent=1))
        return
    pre, post, exc = cuba_connectivity()
    rows = [spikemesh_cuba(pre, post, exc, opts.steps)]
    if "brian2" in peers:
        py = venv_python("brian2")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cuba.npz"
            np.savez(path, pre=pre, post=post, exc=exc, n=exc.size, **cuba_registers(exc))
            for model in ("loihi", "example"):
                for target in opts.targets.split(","):
                    out = subprocess.run([str(py), str(HERE / "peer_brian2.py"), str(path),
                                          str(opts.steps), target, model],
                                         capture_output=True, text=True)  # fmt: skip
                    mode = f"{target}, {model} model"
                    if out.returncode:
                        rows.append({"tool": "brian2", "mode": mode, "error": out.stderr[-400:]})
                        continue
                    row = json.loads(out.stdout.strip().splitlines()[-1])
                    rows.append(dict(row, mode=mode))
    print_table(f"CUBA, {exc.size} neurons, {pre.size:,} synapses, {opts.steps:,} steps of 0.1 ms "
                f"(python {sys.version.split()[0]}, {os.cpu_count()} cores)", rows)  # fmt: skip
    all_rows["cuba"] = rows
    if opts.json:
        Path(opts.json).write_text(json.dumps(all_rows, indent=1))


if __name__ == "__main__":
    main()
