"""Record reference traces from Lava 0.10's fixed-point CPU models of Loihi 2's neuron programs.

spikemesh's ``SigmaDelta``, ``ResonateFire``, ``AdaptiveLIF`` and ``ProdNeuron`` follow Lava's
fixed-point process models (``lava.proc.sdn``'s ``PySigmaDeltaModelFixed``, ``lava.proc.rf``'s
``PyRFModelFixed``, ``lava.proc.atrlif``'s ``PyATRLIFModelFixed``, ``lava.proc.prodneuron``'s
``PyProdNeuronModelFixed``) bit for bit. This script runs
each of those models under ``Loihi2SimCfg(select_tag="fixed_pt")``, one neuron population per
case, driven by Lava's own fixed-point ``io.source.RingBuffer`` (int32 input straight into the
neuron's input port, no synapses in between), reads every state variable after every step and
records the output port through ``io.sink.RingBuffer``. It stores parameters, inputs, states,
outputs and the name of the process model that ran in ``tests/data/lava_neurons.npz``;
``tests/kernels/test_lava_traces.py`` replays them through spikemesh. It does not import
spikemesh, and CI never runs it.

Run in its own Python 3.10 virtualenv (lava-nc 0.10 needs Python 3.10):

    /root/.pyenv/versions/3.10.13/bin/python -m venv ~/.cache/spikemesh/peers/lava
    ~/.cache/spikemesh/peers/lava/bin/pip install lava-nc==0.10.0
    ~/.cache/spikemesh/peers/lava/bin/python benchmarks/peers/make_lava_neuron_traces.py

The inputs are seeded; each case mixes ordinary drive with inputs chosen to hit thresholds
exactly, to go negative and to saturate or wrap the registers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.atrlif.process import ATRLIF
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source
from lava.proc.prodneuron.process import ProdNeuron
from lava.proc.rf.process import RF
from lava.proc.sdn.process import ActivationMode, SigmaDelta

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "lava_neurons.npz"
N = 8  # neurons per case
T = 40  # steps per case


def run(proc, inports: dict, states: tuple[str, ...], data: dict, out_port="s_out"):
    """Drive ``proc``'s input ports from ``data`` (port -> (N, T) int32), step it T times,
    return ({state: (T, N)}, outputs (T, N), model class name)."""
    sources = []
    for port, arr in data.items():
        src = Source(data=arr.astype(np.int32))
        src.s_out.connect(inports[port])
        sources.append(src)
    sink = Sink(shape=(N,), buffer=T)
    getattr(proc, out_port).connect(sink.a_in)
    cfg = Loihi2SimCfg(select_tag="fixed_pt")
    rec = {s: np.zeros((T, N), np.int64) for s in states}
    try:
        for t in range(T):
            proc.run(condition=RunSteps(num_steps=1), run_cfg=cfg)
            for s in states:
                rec[s][t] = np.asarray(getattr(proc, s).get()).astype(np.int64)
        out = np.asarray(sink.data.get()).astype(np.int64).T  # (N, T) -> (T, N)
        model = type(proc.model).__name__ if getattr(proc, "model", None) else "?"
        if model == "?":
            model = _model_name(proc)
    finally:
        proc.stop()
    return rec, out, model


def _model_name(proc) -> str:
    for attr in ("_model_class", "model_class"):
        cls = getattr(proc, attr, None)
        if cls is not None:
            return cls.__name__
    return "?"


def _inputs(rng, lo, hi, specials=()):
    """(N, T) int inputs in lo..hi with ``specials`` (neuron, step, value) written in."""
    x = rng.integers(lo, hi + 1, size=(N, T))
    x[:, rng.random((T,)) < 0.25] = 0  # quiet steps
    for n, t, v in specials:
        x[n, t] = v
    return x


def sigma_delta_cases(rng):
    cases = []
    base = [
        dict(vth=10, bias=0, act_mode="relu", cum_error=False, spike_exp=0, state_exp=0),
        dict(
            vth=5,
            bias=[0, 1, -3, 7, 0, -20, 4, 2],
            act_mode="unit",
            cum_error=True,
            spike_exp=3,
            state_exp=2,
        ),
        dict(vth=1, bias=0, act_mode="relu", cum_error=False, spike_exp=0, state_exp=6),
        dict(vth=40, bias=5, act_mode="unit", cum_error=False, spike_exp=2, state_exp=3),
        dict(vth=3, bias=0, act_mode="relu", cum_error=True, spike_exp=0, state_exp=0),
    ]
    drives = [(-30, 30), (-200, 200), (-(2**20), 2**20), (-500, 900), (-5, 5)]
    for k, (p, (lo, hi)) in enumerate(zip(base, drives, strict=True)):
        sp = []
        if k == 0:  # |delta| == vth exactly, from rest: +10 then -10 (relu floor)
            sp = [(0, 0, 10), (0, 1, 0), (0, 2, -10), (1, 0, 9), (1, 1, 1)]
        if k == 2:  # int32 wrap of sigma: huge same-sign drive
            sp = [(n, t, 2**30 - 1) for n in (6, 7) for t in range(0, 6)]
        if k == 4:
            sp = [(0, t, 1) for t in range(6)] + [(1, 0, 3), (1, 1, -3), (2, 0, 2), (2, 1, 1)]
        cases.append((p, {"a_in": _inputs(rng, lo, hi, sp)}))
    return cases


def rf_cases(rng):
    base = [
        dict(period=10.0, alpha=0.07, state_exp=6, decay_bits=12, vth=1.0),
        dict(period=4.3, alpha=0.2, state_exp=0, decay_bits=8, vth=20),
        dict(period=25.0, alpha=0.0, state_exp=3, decay_bits=12, vth=1000.0),
        dict(period=2.5, alpha=0.5, state_exp=2, decay_bits=10, vth=3.3),
        dict(period=7.0, alpha=0.1, state_exp=0, decay_bits=12, vth=2.5),
    ]
    drives = [(-3, 4), (-40, 60), (-(2**19), 2**19), (-50, 50), (-10, 12)]
    cases = []
    for k, (p, (lo, hi)) in enumerate(zip(base, drives, strict=True)):
        sp_re = sp_im = ()
        if k == 2:  # saturate real and imaginary parts at +-(2**23 - 1)
            sp_re = [(n, t, 2**21) for n in (0, 1) for t in range(8)]
            sp_im = [(n, t, -(2**21)) for n in (2, 3) for t in range(8)]
        re = _inputs(rng, lo, hi, sp_re)
        im = _inputs(rng, lo, hi, sp_im)
        im[4:] = 0  # half the neurons take the real input only
        cases.append((p, {"a_real_in": re, "a_imag_in": im}))
    return cases


def atrlif_cases(rng):
    base = [
        dict(
            delta_i=0.4,
            delta_v=0.4,
            delta_theta=0.2,
            delta_r=0.2,
            theta_0=5,
            theta_step=3.75,
            bias_mant=0,
            bias_exp=0,
        ),
        dict(
            delta_i=0.0,
            delta_v=0.0,
            delta_theta=0.0,
            delta_r=0.0,
            theta_0=100,
            theta_step=10,
            bias_mant=[0, 1, -2, 30, 0, 5, -7, 100],
            bias_exp=[0, 0, 1, 2, 3, -1, 0, 1],
        ),
        dict(
            delta_i=1.0,
            delta_v=1.0,
            delta_theta=1.0,
            delta_r=1.0,
            theta_0=2,
            theta_step=1,
            bias_mant=3,
            bias_exp=0,
        ),
        dict(
            delta_i=0.125,
            delta_v=0.0625,
            delta_theta=0.25,
            delta_r=0.5,
            theta_0=4000,
            theta_step=500,
            bias_mant=0,
            bias_exp=0,
        ),
        dict(
            delta_i=0.3,
            delta_v=0.7,
            delta_theta=0.05,
            delta_r=0.9,
            theta_0=12,
            theta_step=2.5,
            bias_mant=[4, -4, 0, 0, 8, 1, 2, 3],
            bias_exp=2,
        ),
    ]
    drives = [(-2, 8), (-60, 80), (-5, 10), (-(2**15), 2**15), (-20, 40)]
    cases = []
    for k, (p, (lo, hi)) in enumerate(zip(base, drives, strict=True)):
        sp = []
        if k == 3:  # drive the 24-bit current past its range (Lava's wrap) and v to its clip
            sp = [(n, t, 2**16 + 2**14) for n in (0, 1, 2) for t in range(12)]
            sp += [(n, t, -(2**16 + 2**14)) for n in (3, 4) for t in range(12)]
        cases.append((p, {"a_in": _inputs(rng, lo, hi, sp)}))
    return cases


def prod_cases(rng):
    base = [dict(vth=1, exp=0), dict(vth=0, exp=0), dict(vth=100, exp=3), dict(vth=5, exp=7)]
    drives = [(-3, 3), (0, 1), (-400, 400), (-(2**16), 2**16)]
    cases = []
    for k, (p, (lo, hi)) in enumerate(zip(base, drives, strict=True)):
        sp1 = sp2 = ()
        if k == 2:  # |v| == vth exactly (not sent: Lava's '>') and vth + 1 (sent)
            sp1 = [(0, 0, 100 << 3), (1, 0, 101 << 3), (2, 0, -(100 << 3))]
            sp2 = [(0, 0, 1), (1, 0, 1), (2, 0, 1)]
        if k == 3:  # the int32 product wraps
            sp1 = [(n, t, 2**20) for n in (0, 1) for t in range(4)]
            sp2 = [(n, t, 2**13 + n) for n in (0, 1) for t in range(4)]
        cases.append((p, {"a_in1": _inputs(rng, lo, hi, sp1), "a_in2": _inputs(rng, lo, hi, sp2)}))
    return cases


def main() -> int:
    rng = np.random.default_rng(20261202)
    store: dict[str, np.ndarray] = {}
    meta: dict[str, list] = {"sigma_delta": [], "rf": [], "atrlif": [], "prod": []}

    for k, (p, data) in enumerate(sigma_delta_cases(rng)):
        mode = ActivationMode.RELU if p["act_mode"] == "relu" else ActivationMode.UNIT
        kw = {
            **p,
            "act_mode": mode,
            "bias": np.asarray(p["bias"]) if isinstance(p["bias"], list) else p["bias"],
        }
        proc = SigmaDelta(shape=(N,), **kw)
        states = ("sigma", "act", "residue", "error")
        rec, out, model = run(proc, {"a_in": proc.a_in}, states, data)
        _put(store, f"sigma_delta_{k}", data, rec, out)
        meta["sigma_delta"].append({"params": p, "model": model})
        print(f"sigma_delta {k}: {model}, {int(np.count_nonzero(out))} nonzero outputs")

    for k, (p, data) in enumerate(rf_cases(rng)):
        proc = RF(shape=(N,), **p)
        rec, out, model = run(
            proc, {"a_real_in": proc.a_real_in, "a_imag_in": proc.a_imag_in}, ("real", "imag"), data
        )
        _put(store, f"rf_{k}", data, rec, out)
        meta["rf"].append(
            {
                "params": p,
                "model": model,
                "sin_decay": float(np.asarray(proc.sin_decay.init).ravel()[0]),
                "cos_decay": float(np.asarray(proc.cos_decay.init).ravel()[0]),
            }
        )
        print(f"rf {k}: {model}, {int(out.sum())} spikes")

    for k, (p, data) in enumerate(atrlif_cases(rng)):
        kw = {key: (np.asarray(v) if isinstance(v, list) else v) for key, v in p.items()}
        proc = ATRLIF(shape=(N,), **kw)
        rec, out, model = run(proc, {"a_in": proc.a_in}, ("i", "v", "theta", "r"), data)
        _put(store, f"atrlif_{k}", data, rec, out)
        meta["atrlif"].append({"params": p, "model": model})
        print(f"atrlif {k}: {model}, {int(out.sum())} spikes")

    for k, (p, data) in enumerate(prod_cases(rng)):
        proc = ProdNeuron(shape=(N,), **p)
        rec, out, model = run(proc, {"a_in1": proc.a_in1, "a_in2": proc.a_in2}, ("v",), data)
        _put(store, f"prod_{k}", data, rec, out)
        meta["prod"].append({"params": p, "model": model})
        print(f"prod {k}: {model}, {int(np.count_nonzero(out))} nonzero outputs")

    import lava

    meta["lava_version"] = getattr(lava, "__version__", "0.10.0")
    meta["python"] = sys.version.split()[0]
    meta["numpy"] = np.__version__
    store["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez_compressed(OUT, **store)
    print(f"wrote {OUT}")
    return 0


def _put(store, key, data, rec, out):
    for port, arr in data.items():
        store[f"{key}/in/{port}"] = arr.T.astype(np.int64)  # (T, N)
    for s, arr in rec.items():
        store[f"{key}/state/{s}"] = arr
    store[f"{key}/out"] = out


if __name__ == "__main__":
    sys.exit(main())
