"""A battery of careless and hostile inputs over the API, the CLI and every file format, each
classified as spikemesh's users would see it:

- **named**: a SpikemeshError whose message names the object or field at fault;
- **unhelpful**: a SpikemeshError that does not;
- **raw**: any other exception (a traceback from inside NumPy, sqlite3, h5py, ...);
- **silent**: the call returned although the input was bad, or a legal call returned a wrong
  or impossible answer (a negative, NaN or out-of-range figure in a report);
- **crash**: the process died (the battery runs in a child process; a crash is its exit).

    python tests/battery.py        # prints the table of docs/errors.md

``tests/test_battery.py`` runs it and requires 0 raw, 0 silent, 0 crash.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import sqlite3
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import spikemesh as sm  # noqa: E402
from spikemesh.chips import PROFILE_DIR  # noqa: E402


@dataclass
class Case:
    area: str
    label: str
    fn: object  # () -> result
    who: str | None = None  # expected in the error message (a bad input)
    ok: object = None  # result -> bool (a legal input: the answer must hold)


NUMBER = re.compile(r"(?<![\w.])-\d|\bnan\b|\binf\b", re.I)


def clean_report(text: str) -> bool:
    """No negative, NaN or infinite figure printed (exponents like 1e-05 are fine)."""
    return not NUMBER.search(text)


def _net(n_in=3, n=4):
    net = sm.Network("b")
    x = net.input(n_in, name="x")
    p = net.population(n, sm.CubaLIF(du=100, dv=200, vth=5), name="p")
    net.connect(x, p, weights=np.full((n_in, n), 90))
    return net, x, p


def _mapped():
    net, *_ = _net()
    return sm.map_network(net, "loihi")


def cases(tmp: Path) -> list[Case]:
    out: list[Case] = []
    add = out.append

    # -- neuron specs: each field out of range or of the wrong kind ------------------------
    bad_ints = [("-1", -1), ("2**40", 2**40), ("1.5", 1.5), ("nan", math.nan), ("'a'", "a"),
                ("True", True)]  # fmt: skip
    for field, base in (("du", {}), ("dv", {}), ("vth", {}), ("refract_delay", {}),
                        ("bias_exp", {})):  # fmt: skip
        for label, v in bad_ints:
            if field == "bias_exp" and label == "True":
                continue
            kw = dict(du=1, dv=1, vth=1, **base)
            kw[field] = v
            add(
                Case(
                    "neuron spec",
                    f"CubaLIF({field}={label})",
                    lambda kw=kw: sm.CubaLIF(**kw),
                    who=f"CubaLIF.{field}",
                )
            )
    for field, v in (("vth", 0), ("v_bits", 40), ("spike_bits", 0), ("reset", "sometimes"),
                     ("leak", -3), ("bipolar", "yes"), ("bias", [[1, 2], [3]])):  # fmt: skip
        kw = dict(vth=3)
        kw[field] = v
        add(Case("neuron spec", f"IF({field}={v!r})", lambda kw=kw: sm.IF(**kw), who=f"IF.{field}"))
    for field, v in (("weights", (1, 2, 3)), ("alpha", -1), ("leak", 999), ("reset_mode", 5),
                     ("negative_mode", "bounce"), ("threshold_mask_bits", 30),
                     ("stochastic_synapse", (True,))):  # fmt: skip
        add(
            Case(
                "neuron spec",
                f"TrueNorthNeuron({field}={v!r})",
                lambda f=field, v=v: sm.TrueNorthNeuron(**{f: v}),
                who=f"TrueNorthNeuron.{field}",
            )
        )
    add(
        Case(
            "neuron spec",
            "SmoothIF(alpha=5000)",
            lambda: sm.SmoothIF(vth=3, alpha=5000),
            who="SmoothIF.alpha",
        )
    )
    add(
        Case(
            "neuron spec",
            "CubaLIFSubtract(refract_delay=2)",
            lambda: sm.CubaLIFSubtract(du=1, dv=1, vth=1, refract_delay=2),
            who="CubaLIFSubtract.refract_delay",
        )
    )
    lava_bad = [
        ("SigmaDelta", "vth", dict(vth=-1)), ("SigmaDelta", "vth", dict(vth="1")),
        ("SigmaDelta", "vth", dict(vth=float("nan"))), ("SigmaDelta", "act_mode", dict(vth=1, act_mode=2)),
        ("SigmaDelta", "spike_exp", dict(vth=1, spike_exp=1.5)),
        ("SigmaDelta", "bias", dict(vth=1, bias=[[1, 2]])), ("SigmaDelta", "bias", dict(vth=1, bias=2**40)),
        ("SigmaDelta", "cum_error", dict(vth=1, cum_error="yes")),
        ("ResonateFire", "period", dict(period=-3, alpha=0.1)),
        ("ResonateFire", "period", dict(period=float("inf"), alpha=0.1)),
        ("ResonateFire", "alpha", dict(period=8, alpha=None)),
        ("ResonateFire", "vth", dict(period=8, alpha=0.1, vth=2**30)),
        ("ResonateFire", "state_exp", dict(period=8, alpha=0.1, state_exp=-1)),
        ("AdaptiveLIF", "delta_i", dict(delta_i=2)), ("AdaptiveLIF", "theta_step", dict(theta_step=-1)),
        ("AdaptiveLIF", "bias_mant", dict(bias_mant=5000)), ("AdaptiveLIF", "bias_exp", dict(bias_exp=[0, 9])),
    ]  # fmt: skip
    for model, field, kw in lava_bad:
        add(
            Case(
                "neuron spec",
                f"{model}({', '.join(f'{k}={v!r}' for k, v in kw.items())})",
                lambda m=model, kw=kw: getattr(sm, m)(**kw),
                who=f"{model}.{field}",
            )
        )

    # -- building networks ------------------------------------------------------------------
    for label, v in (("0", 0), ("-1", -1), ("1.5", 1.5), ("'3'", "3"), ("2**40", 2**40)):
        add(
            Case(
                "network",
                f"input(n={label})",
                lambda v=v: sm.Network().input(v, name="x"),
                who="'x'",
            )
        )
    add(
        Case(
            "network",
            "input(payload_bits=30)",
            lambda: sm.Network().input(3, name="x", payload_bits=30),
            who="payload_bits",
        )
    )
    add(
        Case(
            "network",
            "population name ''",
            lambda: sm.Network().population(3, sm.CubaLIF(du=1, dv=1, vth=1), name=""),
            who="names",
        )
    )

    def dup():
        net = sm.Network()
        net.input(3, name="a")
        net.population(2, sm.CubaLIF(du=1, dv=1, vth=1), name="a")

    add(Case("network", "a name used twice", dup, who="'a'"))
    add(
        Case(
            "network",
            "population(neuron='LIF')",
            lambda: sm.Network().population(3, "LIF", name="p"),
            who="neuron",
        )
    )
    add(
        Case(
            "network",
            "per-neuron bias of the wrong length",
            lambda: sm.Network().population(
                3, sm.CubaLIF(du=1, dv=1, vth=1, bias_mant=np.ones(5, int)), name="p"
            ),
            who="bias_mant",
        )
    )
    add(
        Case(
            "network",
            "initial v out of range",
            lambda: sm.Network().population(
                3, sm.CubaLIF(du=1, dv=1, vth=1), name="p", initial={"v": [2**30, 0, 0]}
            ),
            who="'p'",
        )
    )
    add(
        Case(
            "network",
            "initial state of a register the model lacks",
            lambda: sm.Network().population(
                3, sm.CubaLIF(du=1, dv=1, vth=1), name="p", initial={"w": [0, 0, 0]}
            ),
            who="'p'",
        )
    )

    def connect(**kw):
        net, x, p = _net()
        return net.connect(x, p, **{"weights": np.ones((3, 4), int), **kw})

    for label, kw, who in (
        ("weights shaped (4, 3)", dict(weights=np.ones((4, 3), int)), "weights"),
        ("weights with NaN", dict(weights=np.full((3, 4), np.nan)), "weights"),
        ("weights with inf", dict(weights=np.full((3, 4), np.inf)), "weights"),
        ("weights as text", dict(weights="ones"), "weights"),
        ("ragged weights", dict(weights=[[1, 2], [3]]), "weights"),
        ("delay -1", dict(delay=-1), "delay"),
        ("delay 10**6", dict(delay=10**6), "delay"),
        ("delay 1.5", dict(delay=1.5), "delay"),
        ("weight_bits 0", dict(weight_bits=0), "weight_bits"),
        ("weight_bits 20", dict(weight_bits=20), "weight_bits"),
        ("weight_exp 99", dict(weight_exp=99), "weight_exp"),
        ("per-synapse delays of the wrong shape", dict(delay=np.ones((2, 2), int)), "delay"),
    ):  # fmt: skip
        add(Case("network", f"connect: {label}", lambda kw=kw: connect(**kw), who=who))

    def foreign():
        a, b = sm.Network("a"), sm.Network("b")
        x = a.input(2, name="x")
        p = b.population(2, sm.CubaLIF(du=1, dv=1, vth=1), name="p")
        b.connect(x, p, weights=np.ones((2, 2), int))

    add(Case("network", "connect across networks", foreign, who="'x'"))
    add(
        Case(
            "network",
            "probe a register the model lacks",
            lambda: (lambda n: n[0].probe(n[2], "w"))(_net()),
            who="'w'",
        )
    )

    # -- learning (issue 29): rules, plastic projections, their results ---------------------
    from spikemesh.learning import STDP, LearningRule

    def _stdp(**kw):
        args = dict(learning_rate=1, A_plus=1, A_minus=-1, tau_plus=8, tau_minus=8)
        args.update(kw)
        return STDP(**args)

    for label, kw, who in (("learning_rate=nan", {"learning_rate": math.nan}, "learning_rate"),
                           ("A_plus='a'", {"A_plus": "a"}, "A_plus"),
                           ("tau_plus=-1", {"tau_plus": -1}, "tau_plus"),
                           ("t_epoch=0", {"t_epoch": 0}, "t_epoch"),
                           ("t_epoch=64", {"t_epoch": 64}, "t_epoch"),
                           ("rng_seed=-3", {"rng_seed": -3}, "rng_seed"),
                           ("A_minus=1e9", {"A_minus": 1e9}, "2^")):  # fmt: skip
        add(Case("learning", f"STDP({label})", lambda kw=kw: _stdp(**kw), who=who))
    for label, kw, who in (("no rule", {}, "dw, dd, dt"),
                           ("dw='x0 * z'", {"dw": "x0 * z"}, "'z'"),
                           ("dw='x1 * y1' (no dependency)", {"dw": "x1 * y1"}, "x1 * y1"),
                           ("dw='2^20 * x0'", {"dw": "2^20 * x0"}, "2^20"),
                           ("dw='x0 * (y1'", {"dw": "x0 * (y1"}, "("),
                           ("x1_impulse=500", {"dw": "x0 * y1", "x1_impulse": 500}, "impulse"),
                           ("dw=5 (not text)", {"dw": 5}, "dw")):  # fmt: skip
        add(Case("learning", f"LearningRule({label})", lambda kw=kw: LearningRule(**kw), who=who))

    def _plastic(weights=None, **kw):
        net = sm.Network("l")
        x = net.input(3, name="x")
        p = net.population(2, sm.CubaLIF(du=100, dv=200, vth=5), name="p")
        w = np.full((3, 2), 40) if weights is None else weights
        return net.connect(x, p, weights=w, learning=kw.pop("learning", _stdp()), **kw)

    for label, kw, who in (("weight_bits=4", {"weight_bits": 4}, "weight_bits"),
                           ("sign_mode='both'", {"sign_mode": "both"}, "sign_mode"),
                           ("learning='stdp'", {"learning": "stdp"}, "learning"),
                           ("excitatory with -5", {"sign_mode": "excitatory",
                                                   "weights": np.full((3, 2), -5)}, "excitatory"),
                           ("mixed with 300", {"weights": np.full((3, 2), 300)}, "-256..255"),
                           ("weights (2, 2)", {"weights": np.ones((2, 2), int)}, "(3, 2)")):  # fmt: skip
        add(Case("learning", f"plastic connect {label}", lambda kw=kw: _plastic(**kw), who=who))

    def _on_truenorth():
        net = sm.Network("tn")
        a = net.input(2, name="a")
        b = net.population(2, sm.TrueNorthNeuron(weights=(1, 0, 0, 0)), name="b")
        net.connect(a, b, weights=np.ones((2, 2), int), learning=_stdp())
        return sm.map_network(net, "truenorth")

    add(Case("learning", "plastic projection on truenorth", _on_truenorth, who="learning engine"))

    def _probe_static():
        net = _net()[0]
        return net.probe(net.projections[0], "weights")

    add(Case("learning", "probe a static projection's weights", _probe_static, who="plastic"))

    def _plastic_run():
        m = sm.map_network(_plastic_net(), "loihi")
        res = sm.Simulator(m, timing="analytic").run(30, {"x": np.ones((30, 3), np.int32)})
        return res

    def _plastic_net():
        net = sm.Network("l")
        x = net.input(3, name="x")
        p = net.population(2, sm.CubaLIF(du=100, dv=200, vth=5), name="p")
        net.connect(x, p, weights=np.full((3, 2), 40), learning=_stdp(t_epoch=5))
        return net

    add(Case("learning", "a plastic run: weights, updates and the energy report", _plastic_run,
             ok=lambda r: (r.total("synaptic_updates") == 6 * 6
                           and r.weights["x->p"].shape == (3, 2)
                           and r.energy().components("chip")["learning"] > 0
                           and clean_report(str(r.energy())))))  # fmt: skip

    # -- mapping ----------------------------------------------------------------------------
    add(
        Case(
            "mapping", "chip 'nosuch'", lambda: sm.map_network(_net()[0], "nosuch"), who="'nosuch'"
        )
    )
    add(
        Case(
            "mapping",
            "allocator 'magic'",
            lambda: sm.map_network(_net()[0], "loihi", allocator="magic"),
            who="allocator",
        )
    )
    add(
        Case(
            "mapping",
            "too many neurons for the chip",
            lambda: sm.map_network(_net(3, 2_000_000)[0], "loihi"),
            who="'p'",
        )
    )

    def tn_model():
        net = sm.Network()
        net.population(2, sm.TrueNorthNeuron(), name="t")
        return sm.map_network(net, "loihi")

    add(Case("mapping", "TrueNorth neurons on loihi", tn_model, who="'t'"))

    def subtract_loihi():
        net = sm.Network()
        x = net.input(2, name="x")
        p = net.population(2, sm.CubaLIFSubtract(du=1, dv=1, vth=1), name="s")
        net.connect(x, p, weights=np.ones((2, 2), int))
        return sm.map_network(net, "loihi")

    add(Case("mapping", "CubaLIFSubtract on loihi", subtract_loihi, who="CubaLIFSubtract"))

    def edited():
        net, _, p = _net()
        m = sm.map_network(net, "loihi")
        p.neuron = sm.CubaLIF(du=1, dv=1, vth=1)
        return sm.Simulator(m)

    add(Case("mapping", "network edited after mapping", edited, who="population 'p' changed"))

    # -- simulator --------------------------------------------------------------------------
    for kw, who in ((dict(timing="fast"), "timing"), (dict(seed=-1), "seed"),
                    (dict(threads=0), "threads"), (dict(overflow="ignore"), "overflow"),
                    (dict(backend="fortran"), "backend"), (dict(noc="magic"), "noc")):  # fmt: skip
        add(
            Case(
                "simulator",
                f"Simulator({kw})",
                lambda kw=kw: sm.Simulator(_mapped(), **kw),
                who=who,
            )
        )
    add(Case("simulator", "Simulator('mapping')", lambda: sm.Simulator("mapping"), who="mapping"))
    for label, args, who in (
        ("steps 0", (0, None), "steps"), ("steps -5", (-5, None), "steps"),
        ("steps 2.5", (2.5, None), "steps"), ("steps 10**13", (10**13, None), "recording"),
        ("inputs of a name the network lacks", (3, {"y": np.ones((3, 3))}), "'y'"),
        ("inputs shaped (2, 3) for 3 steps", (3, {"x": np.ones((2, 3))}), "'x'"),
        ("inputs of real values", (3, {"x": np.full((3, 3), 0.5)}), "'x'"),
        ("negative spikes", (3, {"x": -np.ones((3, 3))}), "'x'"),
        ("payload 2 on a binary input", (3, {"x": np.full((3, 3), 2)}), "'x'"),
        ("inputs as a list", (3, [np.ones((3, 3))]), "inputs"),
        ("inputs with NaN", (3, {"x": np.full((3, 3), np.nan)}), "'x'"),
    ):  # fmt: skip
        add(
            Case(
                "simulator",
                f"run: {label}",
                lambda a=args: sm.Simulator(_mapped()).run(a[0], inputs=a[1]),
                who=who,
            )
        )

    def overflow_raise():
        net = sm.Network()
        x = net.input(1, name="x")
        p = net.population(1, sm.CubaLIF(du=4095, dv=0, vth=131071), name="q")
        for _ in range(4):
            net.connect(x, p, weights=np.full((1, 1), 255), weight_exp=7)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = sm.map_network(net, "loihi")
        return sm.Simulator(m, overflow="raise").run(3, inputs={"x": np.ones((3, 1))})

    add(Case("simulator", "a register overflows under overflow='raise'", overflow_raise, who="'q'"))

    def valid_run():
        res = sm.Simulator(_mapped(), timing="analytic").run(5, inputs={"x": np.ones((5, 3))})
        return str(res.energy())

    add(Case("simulator", "a valid run's energy report", valid_run, ok=clean_report))

    # -- energy from counts -----------------------------------------------------------------
    E = {"elapsed_s": 1e-6}
    for label, counts, who in (
        ("negative spikes", {"spikes": -3, **E}, "spikes"),
        ("NaN events", {"synaptic_events": math.nan, **E}, "synaptic_events"),
        ("inf events", {"synaptic_events": math.inf, **E}, "synaptic_events"),
        ("text count", {"hops": "many", **E}, "hops"),
        ("unknown key", {"synops": 5, **E}, "synops"),
        ("more spikes than neurons x steps", {"spikes": 10**6, "neurons": 10, **E}, "spikes"),
        ("chips = 0 while something ran", {"spikes": 5, "chips": 0, **E}, "chips"),
        ("membrane updates above updates", {"membrane_updates": 9, "neuron_updates": 5, **E},
         "membrane_updates"),
        ("active above updates", {"active_updates": 9, "neuron_updates": 5, **E},
         "active_updates"),
        ("effective above dense", {"synaptic_events": 10, "dense_synapses": 5, **E},
         "dense_synapses"),
        ("encoding MACs above events", {"encoding_macs": 10, "synaptic_events": 5, **E},
         "encoding_macs"),
        ("neuron updates above neurons x steps", {"neuron_updates": 50, "neurons": 2, **E},
         "neuron_updates"),
        ("fractional chips", {"spikes": 1, "chips": 1.5, **E}, "chips"),
        ("no elapsed time on a barrier chip", {"spikes": 1}, "elapsed_s"),
        ("counts as a list", [("spikes", 1)], "counts"),
    ):  # fmt: skip
        add(
            Case(
                "energy",
                f"estimate: {label}",
                lambda c=counts: sm.energy.estimate("loihi", c, steps=10),
                who=who,
            )
        )
    add(
        Case(
            "energy",
            "estimate: steps 0",
            lambda: sm.energy.estimate("loihi", {"spikes": 1, **E}, steps=0),
            who="steps",
        )
    )
    add(
        Case(
            "energy",
            "estimate: energy_set 'cheap'",
            lambda: sm.energy.estimate("loihi", {"spikes": 1, **E}, steps=1, energy_set="cheap"),
            who="energy_set",
        )
    )
    add(
        Case(
            "energy",
            "estimate: synops 'fp4'",
            lambda: sm.energy.estimate("loihi", {"spikes": 1, **E}, steps=1, synops="fp4"),
            who="preset",
        )
    )
    for label, f in (("negative", lambda c: {"x": -1.0}), ("NaN", lambda c: {"x": math.nan}),
                     ("text", lambda c: {"x": "a"}), ("not a dict", lambda c: 5)):  # fmt: skip
        add(
            Case(
                "energy",
                f"formula returning {label}",
                lambda f=f: sm.energy.estimate("loihi", {"spikes": 1, **E}, steps=1, formula=f),
                who="formula",
            )
        )
    add(
        Case(
            "energy",
            "formula that is not callable",
            lambda: sm.energy.estimate("loihi", {"spikes": 1, **E}, steps=1, formula=3),
            who="formula",
        )
    )

    def tn_issue():
        return str(sm.energy.estimate(sm.chips.get("truenorth"), {
            "synaptic_events": 2684354560, "neuron_updates": 1048576000, "spikes": 20971520,
            "packets": 20971520, "hops": 440401920}, steps=1000))  # fmt: skip

    add(
        Case(
            "energy",
            "estimate without neurons or bit counts (named, not 0)",
            tn_issue,
            ok=lambda t: (
                clean_report(t)
                and "n/a membrane updates" in t
                and "without weighted_event_bits" in t
            ),
        )
    )

    # -- encoders ---------------------------------------------------------------------------
    for label, fn, who in (
        ("rate of 1.5", lambda: sm.encode.rate([1.5], 3), "encode.rate.x"),
        ("rate of NaN", lambda: sm.encode.rate([math.nan], 3), "encode.rate.x"),
        ("rate steps 0", lambda: sm.encode.rate([0.5], 0), "steps"),
        ("latency of -0.1", lambda: sm.encode.latency([-0.1], 3), "encode.latency.x"),
        ("delta threshold 0", lambda: sm.encode.delta([[0.0]], 0), "threshold"),
        ("delta of inf", lambda: sm.encode.delta([[math.inf]], 0.1), "encode.delta.x"),
        ("direct of -1", lambda: sm.encode.direct([-1.0], 4), "encode.direct.x"),
        ("direct bits 30", lambda: sm.encode.direct([0.5], 30), "bits"),
        ("direct x_max 0", lambda: sm.encode.direct([0.5], 4, 0), "x_max"),
        ("rate of text", lambda: sm.encode.rate("abc", 3), "encode.rate"),
        ("delta graded bits 1", lambda: sm.encode.delta([[0.0]], 1, graded=True, bits=1), "bits"),
        ("delta graded 'yes'", lambda: sm.encode.delta([[0.0]], 1, graded="yes"), "graded"),
        ("rate 10**9 steps x 1000", lambda: sm.encode.rate(np.full(1000, 0.5), 10**9),
         "encode.rate"),
        ("latency 10**9 steps x 1000", lambda: sm.encode.latency(np.full(1000, 0.5), 10**9),
         "encode.latency"),
        ("s_analog of -0.5", lambda: sm.encode.s_analog([[-0.5]], 2), "encode.s_analog.x"),
        ("s_analog steps 0", lambda: sm.encode.s_analog([[0.5]], 0), "steps"),
        ("s_analog scalar", lambda: sm.encode.s_analog(0.5, 2), "encode.s_analog.x"),
        ("s_analog signed bits 24", lambda: sm.encode.s_analog([0.5], 2, 24, signed=True),
         "bits"),
    ):  # fmt: skip
        add(Case("encoders", label, fn, who=who))

    # -- blocks that run (sm.workload) ------------------------------------------------------
    def _blk():
        return sm.workload.spiking_attention(tokens=2, dim=4, heads=2, mlp_ratio=1)

    def _ports():
        net = sm.Network("ports")
        x = net.input(2, "x")
        rf = net.population(2, sm.ResonateFire(period=8, alpha=0.1, decay_bits=12), "rf")
        return net.connect(x, rf, np.eye(2, dtype=np.int64), port=1)

    for label, fn, who in (
        ("build(steps=2.5)", lambda: _blk().build(steps=2.5), "build.steps"),
        ("build(input_rate=-1)", lambda: _blk().build(input_rate=-1), "build.input_rate"),
        ("priced(None)", lambda: _blk().build(steps=1).priced(None), "BuiltBlock.rates"),
        ("spiking_ssm(scan='fast')", lambda: sm.workload.spiking_ssm(2, 4, scan="fast"), "scan"),
        ("connect(port=1) to a resonator", _ports, "port"),
        ("SigmaDelta(act_mode=['relu'])", lambda: sm.SigmaDelta(vth=1, act_mode=["relu"]),
         "act_mode"),
        ("ResonateFire(period=-2)", lambda: sm.ResonateFire(period=-2, alpha=0.1), "period"),
        ("input(signed=True, payload_bits=1)",
         lambda: sm.Network("s").input(2, "x", payload_bits=1, signed=True), "payload_bits"),
    ):  # fmt: skip
        add(Case("blocks and wiring", label, fn, who=who))

    # -- chip profiles ----------------------------------------------------------------------
    text = (PROFILE_DIR / "loihi.toml").read_text()
    for k, (old, new, who) in enumerate((
        ("neurons = 1024", "neurons = -5", "neurons"),
        ("neurons = 1024", "neurons = 1.5", "neurons"),
        ("flit_bits = 32", "flit_bits = 0", "flit_bits"),
        ("u_bits = 24", "u_bits = 64", "u_bits"),
        ('neuron_models = ["CubaLIF", "IF"]', "neuron_models = []", "neuron_models"),
        ("weight_exp_min = -8", "weight_exp_min = 9", "weight_exp_min"),
        ("barrier_ns = [113.0, 465.0]", "barrier_ns = [465.0, 113.0]", "barrier_ns"),
        ("barrier_ns = [113.0, 465.0]", "barrier_ns = [113.0]", "barrier_tiles"),
        ("clock_hz = 1.0e9", "clock_hz = inf", "clock_hz"),
        ("synaptic_op_pj = 23.6", 'synaptic_op_pj = "fast"', "synaptic_op_pj"),
        ("[mesh]", "[meshh]", "meshh"),
        ("max_delay = 62", "max_delay = 300", "max_delay"),
        ("tiles_x = 8", "tiles_x = 100000", "[mesh]"),
        ('default = "davies2018"', 'default = "nope"', "default"),
    )):  # fmt: skip
        p = tmp / f"bad{k}.toml"
        p.write_text(text.replace(old, new))
        add(Case("profile file", f"{old!r} -> {new!r}", lambda p=p: sm.chips.load(p), who=who))
    for label, data, who in (("not UTF-8", b"\x80\x81 junk", "UTF-8"),
                             ("not TOML", b"[chip\nname=", "TOML"), ("empty", b"", "[chip]")):  # fmt: skip
        p = tmp / f"p_{label.replace(' ', '_')}.toml"
        p.write_bytes(data)
        add(Case("profile file", label, lambda p=p: sm.chips.load(p), who=who))
    loop = tmp / "loopdir"
    loop.mkdir()
    (loop / "a.toml").write_text('base = "../loopdir/a.toml"\n')
    add(
        Case(
            "profile file",
            "inherits itself through '..'",
            lambda: sm.chips.load(loop / "a.toml"),
            who="circle",
        )
    )
    (loop / "b.toml").write_text('base = "/etc/passwd.toml"\n')
    add(
        Case(
            "profile file",
            "base outside its folder",
            lambda: sm.chips.load(loop / "b.toml"),
            who="outside",
        )
    )
    add(Case("profile file", "a directory", lambda: sm.chips.load(tmp), who="directory"))
    add(
        Case(
            "profile file",
            "override core.neurons = 0",
            lambda: sm.chips.override("loihi", {"core.neurons": 0}),
            who="neurons",
        )
    )
    add(
        Case(
            "profile file",
            "override of an unknown section",
            lambda: sm.chips.override("loihi", {"cores.neurons": 5}),
            who="cores.neurons",
        )
    )

    # -- network files ----------------------------------------------------------------------
    good_net = tmp / "net.npz"
    _net()[0].save(good_net)
    z = dict(np.load(good_net, allow_pickle=False))
    meta_key = next(k for k in z if "meta" in k) if any("meta" in k for k in z) else None
    for label, data in (("junk bytes", b"PK\x03\x04 junk"), ("empty", b""),
                        ("half a file", good_net.read_bytes()[:200])):  # fmt: skip
        p = tmp / f"n_{label[:4]}.npz"
        p.write_bytes(data)
        add(Case("network file", label, lambda p=p: sm.Network.load(p), who=str(p.name)))
    np.save(tmp / "single.npy", np.ones(3))
    add(
        Case(
            "network file",
            "a single .npy array",
            lambda: sm.Network.load(tmp / "single.npy"),
            who="single.npy",
        )
    )
    np.savez(tmp / "obj.npz", a=np.array([object()], dtype=object))
    add(
        Case(
            "network file",
            "pickled object arrays",
            lambda: sm.Network.load(tmp / "obj.npz"),
            who="obj.npz",
        )
    )
    if meta_key is not None:
        bad = dict(z)
        bad[meta_key] = np.array("{not json")
        np.savez(tmp / "badmeta.npz", **bad)
        add(
            Case(
                "network file",
                "metadata that is not JSON",
                lambda: sm.Network.load(tmp / "badmeta.npz"),
                who="badmeta.npz",
            )
        )
    add(Case("network file", "missing", lambda: sm.Network.load(tmp / "nope.npz"), who="nope.npz"))
    import zipfile

    hdr = io.BytesIO()
    np.lib.format.write_array_header_1_0(hdr, {"descr": "<f8", "fortran_order": False,
                                               "shape": (10**6, 10**6)})  # fmt: skip
    with zipfile.ZipFile(tmp / "bomb.npz", "w") as zf:
        zf.writestr("a.npy", hdr.getvalue())
    add(
        Case(
            "network file",
            "declares a 7 TiB array in a few bytes",
            lambda: sm.Network.load(tmp / "bomb.npz"),
            who="bomb.npz declares",
        )
    )

    # -- result files -----------------------------------------------------------------------
    m = _mapped()
    res = sm.Simulator(m).run(4, inputs={"x": np.ones((4, 3))})
    rpath = tmp / "res.npz"
    res.save(rpath)
    rz = dict(np.load(rpath, allow_pickle=False))

    def tampered(name, fn):
        d = dict(rz)
        fn(d)
        p = tmp / f"r_{name}.npz"
        np.savez(p, **d)
        return p

    def meta_edit(change):
        def f(d):
            mm = json.loads(str(d["__meta__"]))
            change(mm)
            d["__meta__"] = np.array(json.dumps(mm))

        return f

    for label, fn, who in (
        ("spikes cut short", lambda d: d.__setitem__("spikes/0", d["spikes/0"][:2]), "spikes['p']"),
        ("float cycles", lambda d: d.__setitem__("cycles", d["cycles"].astype(float)), "cycles"),
        ("unknown timing mode", meta_edit(lambda mm: mm.__setitem__("timing", {"mode": "warp"})),
         "timing mode"),
        ("a counter missing", lambda d: d.pop("counters/spikes"), "counters"),
        ("another network's populations", meta_edit(lambda mm: mm.__setitem__("spikes", ["zz"])),
         "spike trains"),
        ("metadata not JSON", lambda d: d.__setitem__("__meta__", np.array("{")), "r_metadata"),
    ):  # fmt: skip
        p = tampered(label.replace(" ", "_")[:12], fn)
        add(
            Case(
                "result file",
                label,
                lambda p=p: sm.SimulationResult.load(p, m),
                who=who if who != "r_metadata" else p.name,
            )
        )
    add(
        Case(
            "result file",
            "declares a 7 TiB array in a few bytes",
            lambda: sm.SimulationResult.load(tmp / "bomb.npz", m),
            who="bomb.npz declares",
        )
    )
    add(
        Case(
            "result file",
            "loaded against another chip's mapping",
            lambda: sm.SimulationResult.load(rpath, sm.map_network(_net()[0], "loihi2")),
            who="another mapping",
        )
    )
    add(
        Case(
            "result file",
            "a valid file round-trips",
            lambda: sm.SimulationResult.load(rpath, m),
            ok=lambda r: bool(np.array_equal(r.spikes["p"], res.spikes["p"])),
        )
    )

    # -- NIR files and graphs ---------------------------------------------------------------
    import nir

    from spikemesh.convert.nir import from_nir

    for label, data in (("junk bytes", b"not hdf5 at all"), ("empty", b"")):
        p = tmp / f"g_{label[:4]}.nir"
        p.write_bytes(data)
        add(Case("NIR file", label, lambda p=p: from_nir(p), who=p.name))
    add(Case("NIR file", "a directory", lambda: from_nir(tmp), who="not a NIR file"))
    ifn = nir.IF(r=np.ones(2), v_threshold=np.ones(2))

    def g(nodes, edges):
        return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)

    base = {"in": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=np.ones((2, 3))),
            "if": ifn, "out": nir.Output(output_type=np.array([2]))}  # fmt: skip
    edges = [("in", "fc"), ("fc", "if"), ("if", "out")]
    for label, nodes, edges_, who in (
        ("inf weights", {**base, "fc": nir.Linear(weight=np.full((2, 3), np.inf))}, edges,
         "'fc'.weight"),
        ("an empty kernel", {**base, "fc": nir.Linear(weight=np.ones((2, 0)))}, edges, "'fc'"),
        ("an edge to a missing node", base, [*edges, ("fc", "ghost")], "'ghost'"),
        ("an edge into the Input", base, [*edges, ("if", "in")], "'in'"),
        ("weights of the wrong width", {**base, "fc": nir.Linear(weight=np.ones((2, 5)))}, edges,
         "'fc'"),
        ("a negative threshold", {**base, "if": nir.IF(r=np.ones(2), v_threshold=-np.ones(2))},
         edges, "'if'"),
        ("v_reset = 1", {**base, "if": nir.IF(r=np.ones(2), v_threshold=np.ones(2),
                                               v_reset=np.ones(2))}, edges, "'if'"),
        ("a 900-million-value input", {**base, "in": nir.Input(input_type=np.array([30000, 30000]))},
         edges, "receives 900000000"),
        ("a 900-million-neuron IF", {"in": nir.Input(input_type=np.array([30000, 30000])),
                                     "if": nir.IF(r=np.ones(1), v_threshold=np.ones(1)),
                                     "out": base["out"]},
         [("in", "if"), ("if", "out")], "900,000,000 values"),
        ("dt/tau = 100 (Norse's tau, no dt)", {**base, "if": nir.LIF(
            tau=np.full(2, 1e-5), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2))},
         edges, "'if'"),
    ):  # fmt: skip
        add(Case("NIR file", label, lambda n=nodes, e=edges_: from_nir(g(n, e)), who=who))
    for label, kw, who in (
        ("reset 'sometimes'", dict(reset="sometimes"), "reset"),
        ("subtract on loihi", dict(reset="subtract", chip="loihi"), "reset='subtract'"),
        ("tolerance -1", dict(tolerance=-1), "tolerance"),
        ("input_bits on loihi", dict(input_bits=4, chip="loihi"), "input_bits"),
        ("strict 'yes'", dict(strict="yes"), "strict"),
        ("dt 0", dict(dt=0), "dt"),
        ("dt NaN", dict(dt=math.nan), "dt"),
        ("chip truenorth", dict(chip="truenorth"), "truenorth"),
    ):  # fmt: skip
        add(Case("NIR import", label, lambda kw=kw: from_nir(g(base, edges), **kw), who=who))

    def rounded_quietly():
        w = np.array([[0.3, 0.7, 0.11], [0.5, 0.2, 0.9]])
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            net = from_nir(g({**base, "fc": nir.Linear(weight=w)}, edges), tolerance=1e-4)
        return [str(r.message) for r in rec if issubclass(r.category, sm.FidelityWarning)], net

    add(
        Case(
            "NIR import",
            "non-dyadic weights warn (not silent)",
            rounded_quietly,
            ok=lambda r: len(r[0]) == 1 and "'in->if'" in r[0][0] and r[1].nir.fidelity,
        )
    )

    # -- sweeps and stores ------------------------------------------------------------------
    from spikemesh import study
    from tests.study.test_store_faults import evaluate_free, slow_build_free

    def sweep(grid, store=None, **kw):
        return study.sweep(slow_build_free, grid, evaluate_free, store or tmp / "s.sqlite",
                           progress=False, **{"workers": 0, **kw})  # fmt: skip

    for label, grid, who in (("empty grid", {}, "grid"), ("empty axis", {"a": []}, "grid['a']"),
                             ("an object value", {"a": [object()]}, "JSON"),
                             ("NaN value", {"a": [math.nan]}, "JSON")):  # fmt: skip
        add(Case("sweep", label, lambda g_=grid: sweep(g_), who=who))
    add(
        Case(
            "sweep",
            "a grid of 10**8 points",
            lambda: sweep({f"a{i}": list(range(10)) for i in range(8)}),
            who="100,000,000 points",
        )
    )
    add(Case("sweep", "workers -1", lambda: sweep({"a": [1]}, workers=-1), who="workers"))
    add(
        Case("sweep", "store is a directory", lambda: sweep({"a": [1]}, store=tmp), who="directory")
    )
    junk = tmp / "junk.sqlite"
    junk.write_bytes(b"not sqlite " * 100)
    add(Case("store file", "junk bytes", lambda: sweep({"a": [1]}, store=junk), who="junk.sqlite"))
    add(Case("store file", "junk bytes, loaded", lambda: study.load(junk), who="junk.sqlite"))
    foreign = tmp / "foreign.sqlite"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.commit()
    con.close()
    add(
        Case(
            "store file",
            "another program's database",
            lambda: sweep({"a": [1]}, store=foreign),
            who="another program",
        )
    )
    bad_json = tmp / "badjson.sqlite"
    sweep({"a": [1]}, store=bad_json)
    con = sqlite3.connect(bad_json)
    con.execute("UPDATE points SET result = '{not json'")
    con.commit()
    con.close()
    add(Case("store file", "a row that is not JSON", lambda: study.load(bad_json), who="not JSON"))
    add(Case("store file", "missing", lambda: study.load(tmp / "none.sqlite"), who="none.sqlite"))
    add(
        Case(
            "sweep",
            "a valid sweep resumes",
            lambda: (
                sweep({"a": [1, 2]}, store=tmp / "v.sqlite"),
                sweep({"a": [1, 2, 3]}, store=tmp / "v.sqlite"),
            )[1],
            ok=lambda r: [x["v"] for x in r.records] == [1, 2, 3],
        )
    )

    # -- recurrent conversion (docs/sequences.md) -------------------------------------------
    from spikemesh import convert as _cv

    rr = np.random.default_rng(5)
    elman = [_cv.Recurrent(rr.normal(size=(1, 6)), rr.normal(0, 0.3, (6, 6))),
             _cv.Dense(rr.normal(size=(6, 3)))]  # fmt: skip
    xs = rr.random((3, 5, 1))

    def q_of(**kw):
        return _cv.quantize(elman, xs, spike_bits=1, input_bits=1, **kw)

    for label, fn, who in (
        ("IF with a positive floor", lambda: sm.IF(vth=10, floor=3), "floor"),
        ("SmoothIF with a floor", lambda: sm.SmoothIF(vth=10, floor=-3), "floor"),
        ("a recurrent delay beyond loihi's", lambda: _cv.to_snn(q_of(timesteps=64), "loihi"),
         "62"),
        ("8-bit recurrent weights on truenorth",
         lambda: _cv.to_snn(q_of(timesteps=2, weight_bits=8), "truenorth"), "weight_bits=8"),
        ("a sequence without its element axis",
         lambda: _cv.to_snn(q_of(timesteps=2), "loihi").infer(xs[0]), "(B, S, ...)"),
        ("quantize tops of the wrong length", lambda: _cv.quantize(elman, xs, tops=[1.0]),
         "tops"),
    ):  # fmt: skip
        add(Case("recurrent conversion", label, fn, who=who))
    add(
        Case(
            "recurrent conversion",
            "a valid binary-spike RNN on loihi",
            lambda: _cv.to_snn(q_of(timesteps=2), "loihi").infer(xs),
            ok=lambda r: r.logits.shape == (3, 5, 3),
        )
    )

    # -- the learning study (docs/learning.md) ----------------------------------------------
    from spikemesh.study import digits as _digits
    from spikemesh.study import stdp_digits as sd

    dd = _digits.data(0)
    xd, yd = dd["x_train"][:20], dd["y_train"][:20]
    for label, fn, who in (
        ("digits 0..16, not scaled", lambda: sd.train_on_chip(xd * 16, yd), "[0, 1]"),
        ("labels out of range", lambda: sd.train_on_chip(xd, yd + 10), "labels"),
        ("fewer labels than digits", lambda: sd.train_on_chip(xd, yd[:5]), "y (B,)"),
        ("an epoch of 3 steps", lambda: sd.train_on_chip(xd, yd, 3), "t_epoch"),
        ("on truenorth", lambda: sd.train_on_chip(xd, yd, chip="truenorth"), "learning engine"),
        ("a checkpoint past the data", lambda: sd.train_on_chip(xd, yd, checkpoints=[50]),
         "checkpoints"),
        ("more WTA neurons than digits", lambda: sd.train_wta(xd, n=30), "n"),
        ("templates of 64 rows for the WTA", lambda: sd.wta_network(np.zeros((64, 4))),
         "templates"),
        ("a rate of 2^-9", lambda: sd.rule(9), "rate_exp"),
        ("text for digits", lambda: sd.evaluate(np.zeros((64, 10), int), "x", yd), "x"),
        ("float weights to run", lambda: sd.evaluate(np.full((64, 10), 0.5), xd, yd), "weights"),
    ):  # fmt: skip
        add(Case("learning study", label, fn, who=who))
    add(
        Case(
            "learning study",
            "a small valid training run",
            lambda: sd.train_on_chip(xd, yd, 4),
            ok=lambda r: (
                r["synaptic_updates_per_sample"] == 640 * 4
                and r["weights"].shape == (64, 10)
                and r["overflows"] == 0
            ),
        )
    )

    # -- the CLI ----------------------------------------------------------------------------
    from spikemesh.cli import main

    cfg_bad = tmp / "bad.toml"
    cfg_bad.write_text("[grid\n")
    cfg_keys = tmp / "keys.toml"
    cfg_keys.write_text('wrokers = 2\n[grid]\nchip = ["loihi"]\n')
    cfg_nogrid = tmp / "nogrid.toml"
    cfg_nogrid.write_text("workers = 0\n")
    np.save(tmp / "real.npy", np.full((10, 3), 0.5))
    (tmp / "text.npy").write_text("not numpy")
    nir.write(tmp / "m.nir", g(base, edges))
    for argv, who in (
        (["run", "--steps", "0"], "--steps"), (["run", "--seed", "-1"], "--seed"),
        (["run", "--chip", "nosuch"], "nosuch"), (["run", "--rate", "2"], "--rate"),
        (["run", "--timing", "fast"], "--timing"), (["map", str(tmp / "none.npz")], "none.npz"),
        (["map", str(good_net), "--chip", str(tmp / "bad0.toml")], "neurons"),
        (["sweep", str(tmp / "none.toml")], "none.toml"), (["sweep", str(cfg_bad)], "TOML"),
        (["sweep", str(cfg_keys)], "wrokers"), (["sweep", str(cfg_nogrid)], "[grid]"),
        (["plot", str(junk)], "junk.sqlite"), (["demo", "--chips", "nosuch"], "nosuch"),
        (["demo", "--samples", "0"], "--samples"), (["demo", "--out", "/proc/no/such"], "--out"),
        (["run", str(tmp / "m.nir"), "--input", str(tmp / "text.npy")], "--input"),
        (["run", str(tmp / "m.nir"), "--steps", "10", "--input", str(tmp / "real.npy")],
         "--encode"),
        (["run", str(tmp / "m.nir"), "--input", str(tmp / "real.npy")], "--steps 100"),
        (["run", str(tmp / "m.nir"), "--encode", "rate"], "--input"),
        (["run", str(tmp / "m.nir"), "--reset", "subtract"], "reset='subtract'"),
        (["run", str(tmp / "m.nir"), "--tolerance", "5"], "--tolerance"),
        (["run", str(good_net), "--input", str(tmp / "real.npy")], "--input"),
        (["map", str(tmp / "m.nir"), "--dt", "-1"], "--dt"),
        (["chips", "--nonsense"], "--nonsense"),
    ):  # fmt: skip
        add(
            Case(
                "CLI",
                " ".join(a if len(a) < 30 else Path(a).name for a in argv),
                lambda a=argv: _cli(main, a),
                who=who,
            )
        )
    add(
        Case(
            "CLI",
            "run (a valid run's output)",
            lambda: _cli(main, ["run", "--steps", "20"], ok=True),
            ok=clean_report,
        )
    )
    return out


def _cli(main, argv, ok=False):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # pragma: no cover - main() returns codes
            code = e.code
    text = err.getvalue().strip()
    if ok:
        if code != 0:
            raise AssertionError(f"exit {code}: {text}")
        return out.getvalue()
    if code == 0:
        return out.getvalue()  # accepted: classified as silent
    if text.count("\n") or not text.startswith("spikemesh: error:"):
        raise RuntimeError(f"exit {code}, not one spikemesh error line: {text[:300]!r}")
    raise sm.SpikemeshError(text)


def run(tmp: Path) -> list[tuple[Case, str, str]]:
    rows = []
    for c in cases(tmp):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = c.fn()
            except sm.SpikemeshError as err:
                msg = str(err)
                if c.ok is not None:
                    kind = "silent"  # a legal call refused: wrong answer
                else:
                    kind = "named" if (c.who or "") in msg else "unhelpful"
            except Exception as err:
                kind, msg = "raw", f"{type(err).__name__}: {err}"
            else:
                if c.ok is None:
                    kind, msg = "silent", f"accepted, returned {type(result).__name__}"
                else:
                    good = False
                    with contextlib.suppress(Exception):
                        good = bool(c.ok(result))
                    kind, msg = ("correct" if good else "silent"), "legal input"
        rows.append((c, kind, " ".join(msg.split())[:160]))
    return rows


def table(rows) -> str:
    areas = list(dict.fromkeys(c.area for c, _, _ in rows))
    kinds = ["named", "correct", "unhelpful", "raw", "silent", "crash"]
    lines = ["| area | cases | " + " | ".join(kinds) + " |", "|---|---:|" + "---:|" * len(kinds)]
    for a in [*areas, "all"]:
        sel = [k for c, k, _ in rows if a == "all" or c.area == a]
        lines.append(f"| {a} | {len(sel)} | " + " | ".join(str(sel.count(k)) for k in kinds) + " |")
    return "\n".join(lines)


def main_(argv=None) -> int:
    with tempfile.TemporaryDirectory() as d:
        rows = run(Path(d))
    print(table(rows))
    bad = [(c, k, m) for c, k, m in rows if k not in ("named", "correct")]
    if bad:
        print()
        for c, k, m in bad:
            print(f"{k:9s} [{c.area}] {c.label}: {m}")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
