"""Sigma-delta against rate and graded coding on one task (docs/sigma_delta.md).

The task: the held-out scikit-learn digits as a *stream* of frames, each digit held for
``hold`` frames (a sensor watching a scene that changes now and then), one frame per step, the
answer for a digit read at its last frame. The trained 64-64-10 MLP of
:mod:`spikemesh.study.digits`, quantized once (8-bit weights), runs on loihi2 three ways:

- **graded IF** (``sm.convert.to_snn(q, scheme="stream")``): every frame's 4-bit levels go
  through stateless graded IF layers (``reset="step"``), exactly the quantized ANN, every
  frame: messages every step for every non-zero activation, whether the frame changed or not;
- **sigma-delta** (:func:`sigma_delta_network`): the input sends the *change* of each pixel's
  level (signed graded messages, ``sm.encode.delta``-style), the hidden layer is
  ``sm.SigmaDelta(vth, act_mode="relu")`` (Lava's model, bit for bit) summing them back into
  ``z = W x + b`` and sending the change of ``relu(z)`` once it reaches ``vth``; the output
  layer (``SigmaDelta(vth=0, act_mode="unit")``) holds the logits in its ``act`` register.
  Messages only where something changed; ``vth > 0`` trades accuracy for fewer;
- **CubaLIF rate** (:func:`rate_network`): the same ANN quantized to binary spikes over ``T``
  steps (``spike_bits = 1``, ``timesteps = T``), Loihi's CUBA neuron as an integrate-and-fire
  (``du = 4095``, ``dv = 0``, reset to 0 on a spike), evenly spread input spikes, each digit
  from a reset state over ``T`` steps plus the pipeline's; the logits are the output layer's
  integrated membrane. A rate code has no notion of a held frame: each digit costs ``T``
  steps however long it is shown.

Every version's energy per digit is its run's chip energy divided by the digits (the chip
model of the loihi2 profile: Loihi 1 figures, unverified; the report says so).
"""

from __future__ import annotations

import math

import numpy as np

from .. import chips as _chips
from .._validate import check_int, check_number
from ..convert import QuantizedANN, quantize, to_snn
from ..emulator import Simulator
from ..exceptions import ParameterError
from ..mapping import map_network
from ..network import Network
from ..neurons import IF, CubaLIF, SigmaDelta
from . import digits

__all__ = ["frames", "output_scale", "rate_network", "run", "run_graded", "run_rate", "run_sigma_delta",
           "sigma_delta_network"]  # fmt: skip

DYNAMIC = ("synaptic", "neuron_update", "spike")


def frames(x, hold: int) -> np.ndarray:
    """The stream: each sample of ``x`` (B, n) repeated ``hold`` times, (B * hold, n)."""
    hold = check_int("study.sigma_delta.frames", "hold", hold, 1, 1000)
    return np.repeat(np.asarray(x), hold, axis=0)


def _dense(qann: QuantizedANN, owner: str):
    layers = [ly for ly in qann.layers if ly.kind != "flatten"]
    if any(ly.kind != "dense" for ly in layers):
        raise ParameterError(f"{owner}: dense layers only (an MLP)")
    return layers


def sigma_delta_network(qann: QuantizedANN, vth: float = 0) -> Network:
    """The sigma-delta network of ``qann`` (module docstring): input ``"x"`` takes the signed
    changes of the input levels; hidden layers ``SigmaDelta(vth, bias=b, act_mode="relu")``;
    the output ``SigmaDelta(vth=0, act_mode="unit", bias=b * s)`` with ``s`` the hidden
    layer's threshold (its ``act`` register, probed, holds :func:`output_scale` x the
    logits)."""
    o = "sigma_delta_network"
    if not isinstance(qann, QuantizedANN):
        raise ParameterError(f"{o}: needs a QuantizedANN (got {type(qann).__name__})")
    vth = check_number(o, "vth", vth, 0)
    layers = _dense(qann, o)
    net = Network("sigma-delta")
    prev = net.input(int(np.prod(qann.in_shape)), "x", payload_bits=qann.input_bits + 1,
                     signed=True)  # fmt: skip
    scale = 1
    for i, ly in enumerate(layers):
        last = i == len(layers) - 1
        b = ly.neuron_bias() * scale
        spec = (SigmaDelta(vth=0, bias=b, act_mode="unit") if last
                else SigmaDelta(vth=vth, bias=b, act_mode="relu"))  # fmt: skip
        pop = net.population(int(np.prod(ly.out_shape)), spec, "out" if last else f"h{i}")
        net.connect(prev, pop, ly.synapses(), weight_bits=ly.weight_bits)
        scale *= ly.threshold if not last else 1
        prev = pop
    net.probe(net.populations["out"], "act")
    return net


def output_scale(qann: QuantizedANN) -> int:
    """What the sigma-delta network's output ``act`` is in units of the quantized ANN's
    logits: the product of the hidden layers' thresholds (they send ``relu(z)``, not
    ``z // s``)."""
    return math.prod(ly.threshold for ly in _dense(qann, "output_scale")[:-1])


def rate_network(qann: QuantizedANN) -> Network:
    """The CubaLIF rate network of a binary ``qann`` (``spike_bits = input_bits = 1``,
    ``timesteps`` a power of two): hidden ``CubaLIF(du=4095, dv=0, vth=T s - 1, bias=b << 6)``
    (fires when the membrane reaches ``T s``: the CUBA compare is strict, its weights ``<< 6``),
    weights ``<< log2 T``; the output an integrating IF read after the run."""
    o = "rate_network"
    T = qann.timesteps
    if T & (T - 1) or qann.spike_bits != 1 or qann.input_bits != 1:
        raise ParameterError(f"{o}: needs spike_bits = input_bits = 1 and timesteps a power of "
                             f"two (got {qann.spike_bits}, {qann.input_bits}, {T})")  # fmt: skip
    layers = _dense(qann, o)
    shift = int(math.log2(T))
    net = Network("cubalif-rate")
    prev = net.input(int(np.prod(qann.in_shape)), "x")
    for i, ly in enumerate(layers):
        last = i == len(layers) - 1
        b = ly.neuron_bias()
        if last:
            spec = IF(vth=2**23 - 1, bias=b, v_bits=24)
        else:
            spec = CubaLIF(du=4095, dv=0, vth=T * ly.threshold - 1, bias_mant=b, bias_exp=6)
        pop = net.population(int(np.prod(ly.out_shape)), spec, "out" if last else f"h{i}")
        net.connect(prev, pop, ly.synapses(), weight_exp=shift, weight_bits=ly.weight_bits)
        prev = pop
    net.probe(net.populations["out"], "v")
    return net


def _row(version, coding, steps_per_digit, pred, y, totals, counts, n_digits, cores, **extra):
    return {"version": version, "coding": coding, "steps_per_digit": steps_per_digit,
            "accuracy": float(np.mean(np.asarray(pred) == np.asarray(y))),
            "hidden_messages_per_digit": counts["hidden"] / n_digits,
            "input_messages_per_digit": counts["input"] / n_digits,
            "synaptic_events_per_digit": counts["events"] / n_digits,
            "chip_dynamic_J": totals["dynamic"] / n_digits, "chip_J": totals["chip"] / n_digits,
            "synops_J": totals["synops"] / n_digits, "cores": cores, **extra}  # fmt: skip


def _accumulate(res, totals, counts, hidden_messages: int) -> None:
    """Add one run's chip energy (dynamic and all), SynOps, synaptic events and hidden
    messages to the totals."""
    rep = res.energy()
    comps = rep.components("chip")
    totals["dynamic"] += sum(comps[k] for k in DYNAMIC)
    totals["chip"] += rep.total("chip")
    totals["synops"] += rep.total("synops")
    counts["events"] += rep.counts["synaptic_events"]
    counts["hidden"] += hidden_messages


def _messages(res, pops) -> int:
    return sum(int(np.count_nonzero(res.spikes[p])) for p in pops)


def run_sigma_delta(qann: QuantizedANN, x, y, hold: int = 1, vth: float = 0, chip="loihi2",
                    timing: str = "analytic") -> dict:  # fmt: skip
    """The sigma-delta network on the stream (one run, no reset between digits)."""
    net = sigma_delta_network(qann, vth)
    m = map_network(net, chip)
    levels = qann.encode(frames(x, hold)).reshape(-1, net.inputs["x"].n)
    deltas = np.diff(levels, axis=0, prepend=0)
    depth = len(net.populations)
    inp = np.zeros((len(deltas) + depth, deltas.shape[1]), np.int64)
    inp[: len(deltas)] = deltas
    res = Simulator(m, timing=timing).run(len(inp), {"x": inp})
    act = res.probes["out"]["act"][depth:]  # row f: the logits of frame f
    last = act[hold - 1 :: hold]
    pred = np.argmax(last, axis=1)
    totals = dict.fromkeys(("dynamic", "chip", "synops"), 0.0)
    counts = {"events": 0.0, "hidden": 0.0, "input": float(np.count_nonzero(deltas))}
    hidden = [p for p in net.populations if p != "out"]
    _accumulate(res, totals, counts, _messages(res, hidden))
    ref = qann.forward(qann.encode(x))[-1]
    agree = float(np.mean(pred == np.argmax(ref, axis=1)))
    return _row(f"sigma-delta (vth {vth:g})", "signed graded deltas", hold, pred, y, totals,
                counts, len(x), m.n_cores, qann_agreement=agree)  # fmt: skip


def run_graded(qann: QuantizedANN, x, y, hold: int = 1, chip="loihi2",
               timing: str = "analytic") -> dict:  # fmt: skip
    """The graded-IF stream (``to_snn(scheme="stream")``) on the stream of frames."""
    snn = to_snn(qann, chip, scheme="stream")
    inf = snn.infer(frames(x, hold), timing=timing, chunk=10**6)
    pred = inf.predictions[hold - 1 :: hold]
    totals = dict.fromkeys(("dynamic", "chip", "synops"), 0.0)
    levels = qann.encode(frames(x, hold))
    counts = {"events": 0.0, "hidden": 0.0, "input": float(np.count_nonzero(levels))}
    for res in inf.results:
        _accumulate(res, totals, counts, snn.hidden_spikes(res))
    ref = np.argmax(qann.forward(levels)[-1], axis=1)[hold - 1 :: hold]
    return _row("graded IF", f"{qann.spike_bits}-bit graded levels", hold, pred, y, totals,
                counts, len(x), snn.mapping.n_cores, qann_agreement=float(np.mean(pred == ref)))  # fmt: skip


def run_rate(qann: QuantizedANN, x, y, chip="loihi2", timing: str = "analytic") -> dict:
    """The CubaLIF rate network, each digit from a reset state over ``T`` steps (even input
    trains) plus the pipeline's drain."""
    from .smoothing import even_trains

    net = rate_network(qann)
    m = map_network(net, chip)
    sim = Simulator(m, timing=timing)
    T = qann.timesteps
    depth = len(net.populations)
    trains = even_trains(qann.encode(x), T)
    hidden = [p for p in net.populations if p != "out"]
    totals = dict.fromkeys(("dynamic", "chip", "synops"), 0.0)
    counts = {"events": 0.0, "hidden": 0.0, "input": float(np.count_nonzero(trains))}
    preds, overflows = [], 0
    for k in range(len(trains)):
        sim.reset()
        inp = np.zeros((T + depth, trains.shape[2]), np.int32)
        inp[:T] = trains[k]
        res = sim.run(T + depth, {"x": inp})
        preds.append(int(np.argmax(res.probes["out"]["v"][-1])))
        overflows += res.overflows
        _accumulate(res, totals, counts, _messages(res, hidden))
    return _row("CubaLIF rate", f"binary spikes, T = {T}", T + depth, preds, y, totals, counts,
                len(x), m.n_cores, overflows=overflows)  # fmt: skip


def run(samples: int = 200, holds=(1, 4), vths=(0, 0.5, 1, 2), rate_steps=(8, 16),
        spike_bits: int = 4, weight_bits: int = 8, seed: int = 0, chip="loihi2",
        timing: str = "analytic") -> list[dict]:  # fmt: skip
    """The study's rows: for each ``hold``, the graded-IF stream and the sigma-delta network
    at each ``vth`` (its hidden threshold in activation levels: ``vth x s``, ``s`` the hidden
    layer's quantization step, so 1 = one level of the graded version); the
    CubaLIF rate network at each ``T`` in ``rate_steps`` (independent of ``hold``). The
    held-out digits' first ``samples``."""
    chip = _chips.get(chip)
    samples = check_int("study.sigma_delta.run", "samples", samples, 1, 397)
    d = digits.data(seed)
    x, y = d["x_test"][:samples], d["y_test"][:samples]
    q = quantize(d["layers"], d["x_train"], weight_bits=weight_bits, spike_bits=spike_bits,
                 input_bits=spike_bits, timesteps=1)  # fmt: skip
    rows = []
    for hold in holds:
        rows.append({"hold": hold, **run_graded(q, x, y, hold, chip, timing)})
        s_h = _dense(q, "study.sigma_delta.run")[0].threshold
        for v in vths:
            row = run_sigma_delta(q, x, y, hold, v * s_h, chip, timing)
            row["version"] = f"sigma-delta (vth {v:g} level{'s' if v != 1 else ''})"
            rows.append({"hold": hold, **row})
    for T in rate_steps:
        qr = quantize(d["layers"], d["x_train"], weight_bits=weight_bits, spike_bits=1,
                      input_bits=1, timesteps=T)  # fmt: skip
        rows.append({"hold": "-", **run_rate(qr, x, y, chip, timing)})
    for r in rows:
        r["float_accuracy"] = d["float_accuracy"]
    return rows
