"""Brian2 side of the CUBA peer benchmark; runs inside the Brian2 virtualenv (see run.py).

    python peer_brian2.py CONNECTIVITY.npz STEPS TARGET [MODEL]

4000 neurons, 3200 excitatory and 800 inhibitory, with the connectivity read from the npz
written by run.py (the same synapses spikemesh runs). MODEL:

- ``loihi`` (default): the neuron update spikemesh runs -- Loihi's CUBA LIF in integers
  (docs/hardware.md section 1: 12-bit decays truncated toward zero, the voltage clip,
  refractory hold, reset to 0; the 22/24-bit wraps left out, as this network never wraps),
  written as Brian2 code on int64 variables and
  run by Brian2's code generation; the registers, initial voltages and weights (in input
  units: weight << 6 << weight_exp) come from the npz. Spike at step t -> input at step t + 1,
  as on the chip. Both tools then do the same work, spike for spike.
- ``example``: Brian2's CUBA example (Vogels & Abbott 2005 as in the Brian2 docs): float
  exact integration, two synaptic currents (tau 5 and 10 ms), dt = 0.1 ms. Not the model
  spikemesh runs (a Loihi compartment has one current): a different amount of work.

Prints one JSON line: steps/s of the run (build and compilation excluded where Brian2
separates them), spikes, synaptic events.
"""

import json
import sys
import tempfile
import time

import numpy as np

LOIHI_CUBA = """
un = int(u * fu / 4096) + inp
u2 = un + bias
vn = clip(int(v * fv / 4096) + u2, vmin, vmax) * int(ref <= 0)
fired = int(vn > thr)
v = vn * (1 - fired)
ref = (ref - int(ref > 0)) * (1 - fired) + fired * (refract_delay - 1)
u = un
inp = 0
"""
"""One Loihi CUBA LIF step in Brian2's code language (every variable an int64): the operations
of ``spikemesh.kernels.reference.cuba_lif_update`` without its 22/24-bit wraps of the input and
the current, which this network never reaches (run.py checks that spikemesh counted no wrap;
written with Python-semantics ``%`` they made Brian2's step 4x slower). The decay
``sgn(x) * ((|x| * f) >> 12)`` is written ``int(x * f / 4096)``: the same number (truncation
toward zero; |x * f| < 2**36, so the float quotient by a power of two is exact), and Brian2's
fastest form of it (written with ``sign``, ``abs`` and ``//`` on int64 variables, the same
network fired no spike at all on Brian2 2.9's cython target; not investigated further)."""


def loihi_group(b2, data, n):
    """The Loihi CUBA LIF neurons and their synapses, integer registers from the npz."""
    names = ("fu", "fv", "thr", "bias", "vmin", "vmax", "refract_delay")
    ns = {k: int(data[k]) for k in names}
    i64 = np.int64
    P = b2.NeuronGroup(
        n,
        "u : integer\nv : integer\nref : integer\ninp : integer\nfired : integer",
        threshold="fired == 1",
        namespace=ns,
        dtype={"u": i64, "v": i64, "ref": i64, "inp": i64, "fired": i64},
    )
    P.run_regularly(LOIHI_CUBA, when="groups")  # before the threshold, as the chip does
    P.v = data["v0"].astype(i64)
    return P, f"inp_post += {int(data['w_exc'])}", f"inp_post += {int(data['w_inh'])}"


def example_group(b2, n):
    """Brian2's CUBA example neurons (float, two synaptic currents)."""
    ns = {"taum": 20 * b2.ms, "taue": 5 * b2.ms, "taui": 10 * b2.ms, "Vt": -50 * b2.mV,
          "Vr": -60 * b2.mV, "El": -49 * b2.mV, "we": (60 * 0.27 / 10) * b2.mV,
          "wi": (-20 * 4.5 / 10) * b2.mV}  # fmt: skip
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * b2.ms,
                       method="exact", namespace=ns)  # fmt: skip
    rng = np.random.default_rng(0)
    P.v = ns["Vr"] + rng.random(n) * (ns["Vt"] - ns["Vr"])
    P.ge = 0 * b2.mV
    P.gi = 0 * b2.mV
    return P, "ge += we", "gi += wi", ns


def main() -> None:
    path, steps, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    model = sys.argv[4] if len(sys.argv) > 4 else "loihi"
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
    if model == "loihi":
        P, on_exc, on_inh = loihi_group(b2, data, n)
        ns = {}
    else:
        P, on_exc, on_inh, ns = example_group(b2, n)
    e = exc[pre]
    Ce = b2.Synapses(P, P, on_pre=on_exc, namespace=ns)
    Ce.connect(i=pre[e], j=post[e])
    Ci = b2.Synapses(P, P, on_pre=on_inh, namespace=ns)
    Ci.connect(i=pre[~e], j=post[~e])
    s_mon = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, s_mon)
    warm = 10  # steps run first and not counted (code generation, compilation, first touch)
    if target == "cpp_standalone":
        net.run(warm * b2.defaultclock.dt)
        net.run(steps * b2.defaultclock.dt)
        t0 = time.perf_counter()
        b2.device.build(directory=build_dir, run=True, compile=True)
        total = time.perf_counter() - t0
        run_s = float(b2.device._last_run_time)  # the binary's own timing of the last run
        cpu_s = run_s  # the binary times its run in wall time; its CPU time is not separable
        spikes = int(np.count_nonzero(np.asarray(s_mon.t / b2.defaultclock.dt) > warm - 0.5))
        info = {
            "warmup_steps": warm,
            "model": model,
            "build_and_run_s": total,
            "cpu_note": "cpp_standalone: the binary's own run "
            "timer (wall); the CPU time of the run alone is not separable from compiling",
        }
    else:
        net.run(warm * b2.defaultclock.dt)  # code generation and compilation out of the timing
        first = int(s_mon.num_spikes)
        t0, c0 = time.perf_counter(), time.process_time()
        net.run(steps * b2.defaultclock.dt)
        run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        spikes = int(s_mon.num_spikes) - first
        info = {"warmup_steps": warm, "model": model}
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
