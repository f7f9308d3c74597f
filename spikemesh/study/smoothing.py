"""Membrane-potential smoothing on a rate-coded converted network (docs/smoothing.md).

The exact conversion schemes (:func:`spikemesh.convert.to_snn`) decide every layer in one
window, so their answer does not depend on when it is read. The setting smoothing addresses is
the classic *rate-coded* conversion: every layer runs every step, a neuron's spike count over
``T`` steps approximates its ReLU activation, and the answer read after ``T`` steps changes
with ``T`` -- early timesteps disagree with late ones. :func:`rate_network` builds that network
from a :class:`~spikemesh.convert.QuantizedANN` (binary spikes, ``T_max = qann.timesteps``, a
power of two) with the public API:

- hidden layer: ``IF(vth = T_max * s, reset="subtract", bias = b)`` (or
  ``SmoothIF(..., alpha)``), weights ``w`` shifted by ``weight_exp = log2(T_max)``: over
  ``T_max`` steps of evenly spread input spikes (:func:`even_trains`) the membrane sums
  ``T_max * (W a + b)``, so the spike count tends to ``floor(z / s)`` (the quantized ANN's level)
  up to the rate code's timing error;
- the logits layer integrates (it never fires) and is read after ``T`` input steps plus the
  layers' latency (``depth`` steps, one per hop);
- ``SmoothIF`` (Loihi 2-like programmable cores) makes the spike decision on
  ``vbar = alpha vbar + (1 - alpha) v``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import chips as _chips
from .._validate import check_int
from ..convert import QuantizedANN
from ..emulator import Simulator
from ..exceptions import ParameterError
from ..mapping import map_network
from ..network import Network
from ..neurons import IF, SmoothIF

__all__ = ["even_trains", "rate_network", "run"]


def even_trains(levels, steps: int) -> np.ndarray:
    """Binary spike trains (B, steps, n) with ``levels`` (B, n) spikes spread evenly over
    ``steps`` (spike in step t iff floor((t+1) k / steps) > floor(t k / steps))."""
    lv = np.asarray(levels, np.int64)
    steps = check_int("even_trains", "steps", steps, 1)
    if lv.min(initial=0) < 0 or lv.max(initial=0) > steps:
        raise ParameterError(
            f"even_trains: levels must be in 0..{steps} (got {lv.min()}..{lv.max()})"
        )
    t = np.arange(steps + 1)[None, :, None]
    cum = (t * lv[:, None, :]) // steps
    return np.diff(cum, axis=1).astype(np.int32)


def rate_network(qann: QuantizedANN, alpha: int | None = None) -> Network:
    """The rate-coded network of ``qann`` (module docstring); ``alpha`` (0..4095) makes the
    hidden layers :class:`~spikemesh.neurons.SmoothIF`."""
    if not isinstance(qann, QuantizedANN):
        raise ParameterError(f"rate_network: needs a QuantizedANN (got {type(qann).__name__})")
    T = qann.timesteps
    if T & (T - 1) or qann.spike_bits != 1 or qann.input_bits != 1:
        raise ParameterError(
            "rate_network: needs binary spikes and inputs (spike_bits = input_bits = 1) and "
            f"timesteps a power of two (got {qann.spike_bits}, {qann.input_bits}, {T})"
        )
    shift = int(math.log2(T))
    net = Network("rate-coded")
    prev = net.input(int(np.prod(qann.in_shape)), name="x")
    dense = [ly for ly in qann.layers if ly.kind != "flatten"]
    if any(ly.kind != "dense" for ly in dense):
        raise ParameterError("rate_network: dense layers only (an MLP)")
    for i, ly in enumerate(dense):
        last = i == len(dense) - 1
        b = ly.neuron_bias()
        if last:  # integrates, never fires; SmoothIF(alpha=0) == IF keeps one core program
            spec = (IF(vth=2**23 - 1, bias=b, v_bits=24) if alpha is None
                    else SmoothIF(vth=2**23 - 1, bias=b, v_bits=24, alpha=0))  # fmt: skip
        elif alpha is None:
            spec = IF(vth=T * ly.threshold, reset="subtract", bias=b, v_bits=24)
        else:
            spec = SmoothIF(vth=T * ly.threshold, reset="subtract", bias=b, v_bits=24, alpha=alpha)
        pop = net.population(int(np.prod(ly.out_shape)), spec, name="out" if last else f"h{i}")
        net.connect(prev, pop, weights=ly.synapses(), weight_exp=shift, weight_bits=ly.weight_bits)
        prev = pop
    net.probe(net.populations["out"], "v")
    return net


def run(qann: QuantizedANN, x, y, steps, alpha: int | None = None, chip="loihi2",
        timing: str = "analytic", encoding: str = "even", seed: int = 0) -> list[dict]:  # fmt: skip
    """Accuracy, agreement with the longest run's answer, spike rate and energy per inference
    (chip, SynOps, Bit Budget) of the rate-coded network of ``qann`` read after each ``T`` in
    ``steps``; every sample from a reset state. ``encoding``: "even" (each pixel's spikes
    spread evenly over ``T``, deterministic) or "rate" (a Bernoulli spike per step at the
    pixel's rate, ``numpy.random.default_rng([seed, T])``)."""
    chip = _chips.get(chip)
    net = rate_network(qann, alpha)
    m = map_network(net, chip)
    depth = len(net.populations)  # one step per hop: input -> h -> ... -> out
    sim = Simulator(m, timing=timing)
    levels = qann.encode(x)
    y = np.asarray(y)
    hidden = [p for p in net.populations.values() if p.name != "out"]
    n_hidden = sum(p.n for p in hidden)
    rows, final = [], None
    for T in sorted(steps, reverse=True):
        T = check_int("study.smoothing.run", "steps", T, 1, qann.timesteps)
        # levels for T steps: the same rate over fewer steps (rounded)
        if encoding == "even":
            lv_T = np.rint(levels * (T / qann.timesteps)).astype(np.int64)
            trains = even_trains(lv_T, T)
        elif encoding == "rate":  # Bernoulli spikes at p = level / T_max, seeded per T
            p = levels / qann.timesteps
            g = np.random.default_rng([seed, T])
            trains = (g.random((len(levels), T, levels.shape[1])) < p[:, None, :]).astype(np.int32)
        else:
            raise ParameterError(
                f"study.smoothing.run.encoding: 'even' or 'rate' (got {encoding!r})"
            )
        preds, spikes = [], 0
        tot = dict.fromkeys(("chip", "synops", "bitbudget"), 0.0)
        for k in range(len(levels)):
            sim.reset()
            inp = np.zeros((T + depth, trains.shape[2]), np.int32)
            inp[:T] = trains[k]
            res = sim.run(T + depth, inputs={"x": inp})
            preds.append(int(np.argmax(res.probes["out"]["v"][-1])))
            spikes += sum(int(np.count_nonzero(res.spikes[p.name][: T + depth])) for p in hidden)
            rep = res.energy()
            for mname in tot:
                tot[mname] += rep.total(mname)
        preds = np.asarray(preds)
        if final is None:
            final = preds
        n = len(preds)
        rows.append({"T": T, "alpha": alpha, "accuracy": float((preds == y).mean()),
                     "agrees_with_longest": float((preds == final).mean()),
                     "spike_rate": spikes / max(n_hidden * T * n, 1),
                     **{f"energy_{k}_J": v / n for k, v in tot.items()}})  # fmt: skip
    return sorted(rows, key=lambda r: r["T"])
