"""Brian2 side of the CUBA peer benchmark; runs inside the Brian2 virtualenv (see run.py).

    python peer_brian2.py CONNECTIVITY.npz STEPS TARGET

Brian2's CUBA example (Vogels & Abbott 2005 as in the Brian2 docs): 4000 LIF neurons, 3200
excitatory and 800 inhibitory, dt = 0.1 ms, with the connectivity read from the npz written by
run.py (the same synapses spikemesh runs). Prints one JSON line: steps/s of the run (build and
compilation excluded where Brian2 separates them), spikes, synaptic events.
"""

import json
import sys
import tempfile
import time

import numpy as np


def main() -> None:
    path, steps, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    import brian2 as b2

    data = np.load(path)
    pre, post, exc = data["pre"], data["post"], data["exc"]
    n = int(data["n"])
    if target == "cpp_standalone":
        build_dir = tempfile.mkdtemp()  # never the working directory
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    else:
        b2.prefs.codegen.target = target
    b2.defaultclock.dt = 0.1 * b2.ms
    ns = {"taum": 20 * b2.ms, "taue": 5 * b2.ms, "taui": 10 * b2.ms, "Vt": -50 * b2.mV,
          "Vr": -60 * b2.mV, "El": -49 * b2.mV, "we": (60 * 0.27 / 10) * b2.mV,
          "wi": (-20 * 4.5 / 10) * b2.mV}  # fmt: skip
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(
        n,
        eqs,
        threshold="v>Vt",
        reset="v = Vr",
        refractory=5 * b2.ms,
        method="exact",
        namespace=ns,
    )
    rng = np.random.default_rng(0)
    P.v = ns["Vr"] + rng.random(n) * (ns["Vt"] - ns["Vr"])
    P.ge = 0 * b2.mV
    P.gi = 0 * b2.mV
    e = exc[pre]
    Ce = b2.Synapses(P, P, on_pre="ge += we", namespace=ns)
    Ce.connect(i=pre[e], j=post[e])
    Ci = b2.Synapses(P, P, on_pre="gi += wi", namespace=ns)
    Ci.connect(i=pre[~e], j=post[~e])
    s_mon = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, s_mon)
    if target == "cpp_standalone":
        net.run(steps * b2.defaultclock.dt)
        t0 = time.perf_counter()
        b2.device.build(directory=build_dir, run=True, compile=True)
        total = time.perf_counter() - t0
        run_s = float(b2.device._last_run_time)  # the binary's own timing of the run
        cpu_s = run_s  # the binary times its run in wall time; its CPU time is not separable
        spikes = int(s_mon.num_spikes)
        info = {
            "build_and_run_s": total,
            "cpu_note": "cpp_standalone: the binary's own run "
            "timer (wall); the CPU time of the run alone is not separable from compiling",
        }
    else:
        net.run(10 * b2.defaultclock.dt)  # code generation and compilation out of the timing
        first = int(s_mon.num_spikes)
        t0, c0 = time.perf_counter(), time.process_time()
        net.run(steps * b2.defaultclock.dt)
        run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        spikes = int(s_mon.num_spikes) - first
        info = {"warmup_steps": 10}
    fan = np.bincount(pre, minlength=n)
    i_sp = np.asarray(s_mon.i)[-spikes:] if spikes else np.zeros(0, int)
    events = int(fan[i_sp].sum())
    print(
        json.dumps(
            {
                "tool": "brian2",
                "mode": target,
                "steps": steps,
                "run_s": run_s,
                "cpu_s": cpu_s,
                "steps_per_s": steps / run_s,
                "neuron_spikes": spikes,
                "synaptic_events": events,
                "version": b2.__version__,
                **info,
            }
        )
    )


if __name__ == "__main__":
    main()
