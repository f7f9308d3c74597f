"""The quantized ANN as a spiking network of graded IF neurons, and its inference.

Each hidden layer becomes an ``IF(vth=s, spike_bits=b)`` population, the logits layer an IF
population that never fires (its membrane ``v`` is read, probed), the input an input source of
``input_bits`` graded payloads. A sample is presented in step 0 and every layer is one step
deeper than the one below it (depth ``d``: it integrates in step ``d`` and its graded spike,
``min(floor(z / s), cap)`` for ``z >= s``, is the quantized activation). Biases arrive as
synapses from a ``bias`` input that fires once, in step 0, with delay ``d`` (so they land in
the layer's own step, not every step: a chip's per-step bias would accumulate over the layers
below and fire early). The state is reset between samples (``Simulator.reset``), as a chip
resets between inferences. With graded spikes wide enough for the activations this is exact:
every layer's payloads equal :meth:`QuantizedANN.forward`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import chips as _chips
from ..emulator import SimulationResult, Simulator
from ..exceptions import MappingError
from ..mapping import Mapping, map_network
from ..network import Network, conv2d, pool2d
from ..neurons import IF
from .quantize import V_LIMIT, QuantizedANN

__all__ = ["SNN", "Inference", "to_snn"]


@dataclass(frozen=True, eq=False)
class Inference:
    """What :meth:`SNN.infer` returns: ``logits`` (B, n_out) integers, per-layer payloads
    (name -> (B, n)) and the per-sample results (when kept)."""

    logits: np.ndarray
    activations: dict
    results: list

    @property
    def predictions(self) -> np.ndarray:
        return np.argmax(self.logits, axis=1)


@dataclass(frozen=True, eq=False)
class SNN:
    """A converted network: ``network``, its ``mapping``, the population of every non-flatten
    layer (``layer_names``) and its pipeline ``depth`` (steps after the input step at which
    its output is ready: ``latency[name]``)."""

    qann: QuantizedANN
    network: Network
    mapping: Mapping
    layer_names: tuple
    latency: dict

    @property
    def steps(self) -> int:
        """Steps per inference: the input step plus the pipeline depth."""
        return max(self.latency.values()) + 1

    def infer(self, x, *, timing: str = "none", keep: bool = False, levels: bool = False,
              **sim_kw) -> Inference:  # fmt: skip
        """Run every sample of ``x`` (B, ...) from a reset state; ``levels=True`` when ``x`` is
        already encoded (integer input levels)."""
        a0 = np.asarray(x, np.int64) if levels else self.qann.encode(x)
        a0 = a0.reshape(a0.shape[0], -1)
        sim = Simulator(self.mapping, timing=timing, **sim_kw)
        steps = self.steps
        out = self.layer_names[-1]
        logits = np.zeros((a0.shape[0], self.network.populations[out].n), np.int64)
        acts = {name: np.zeros((a0.shape[0], self.network.populations[name].n), np.int64)
                for name in self.layer_names[:-1]}  # fmt: skip
        results: list[SimulationResult] = []
        X = np.zeros((steps, a0.shape[1]), np.int32)
        inputs = {"x": X}
        if "bias" in self.network.inputs:
            B = np.zeros((steps, self.network.inputs["bias"].n), np.int32)
            B[0] = 1
            inputs["bias"] = B
        for k in range(a0.shape[0]):
            sim.reset()
            X[0] = a0[k]
            res = sim.run(steps, inputs=inputs)
            logits[k] = res.probes[out]["v"][self.latency[out]]
            for name in acts:
                acts[name][k] = res.spikes[name][self.latency[name]]
            if keep:
                results.append(res)
        return Inference(logits, acts, results)


def _bias_lines(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split integer biases into (K, n) excitatory and inhibitory weight rows of 0..255 /
    -255..0 (8-bit single-sign synapse groups store these exactly): rows sum to the bias."""
    k = max(1, int(-(-np.abs(b).max(initial=0) // 255)))
    pos, neg = np.maximum(b, 0), np.maximum(-b, 0)
    lim = 255 * np.arange(k)[:, None]
    return np.clip(pos[None] - lim, 0, 255), -np.clip(neg[None] - lim, 0, 255)


def to_snn(qann: QuantizedANN, chip="loihi2", *, allocator="greedy") -> SNN:
    """Build the spiking network of ``qann`` and map it onto ``chip`` (one that runs IF
    neurons with ``spike_bits``-wide graded spikes, e.g. "loihi2")."""
    chip = _chips.get(chip)
    if not chip.supports("IF"):
        raise MappingError(
            f"to_snn: graded IF conversion needs IF cores; {chip.name} runs "
            f"{', '.join(chip.core.neuron_models)} (binary-spike targets are not built yet)"
        )
    need = max(qann.spike_bits, qann.input_bits)
    if chip.core.payload_bits < need:
        raise MappingError(
            f"to_snn: graded conversion needs {need}-bit spikes (spike_bits {qann.spike_bits}, "
            f"input_bits {qann.input_bits}); {chip.name} carries {chip.core.payload_bits}-bit "
            "spikes (binary-spike encodings over several steps are not built yet)"
        )
    net = Network("converted")
    prev = net.input(int(np.prod(qann.in_shape)), name="x", payload_bits=qann.input_bits)
    biases = []  # (population, bias vector, depth)
    names, latency, depth = [], {}, 0
    n_layers = len(qann.layers)
    for i, ly in enumerate(qann.layers):
        if ly.kind == "flatten":
            continue
        depth += 1
        last = i == n_layers - 1
        name = "out" if last else f"l{i}"
        spec = IF(vth=V_LIMIT + 1, spike_bits=1) if last else IF(vth=ly.threshold,
                                                                 spike_bits=qann.spike_bits)  # fmt: skip
        pop = net.population(int(np.prod(ly.out_shape)), spec, name=name)
        if ly.kind == "dense":
            net.connect(prev, pop, weights=ly.weight, weight_bits=ly.weight_bits, name=f"w{i}")
        elif ly.kind == "conv":
            net.connect(prev, pop, weights=conv2d(ly.in_shape, ly.weight, ly.stride, ly.padding),
                        weight_bits=ly.weight_bits, name=f"w{i}")  # fmt: skip
        else:
            net.connect(prev, pop, weights=pool2d(ly.in_shape, ly.size), weight_bits=8,
                        name=f"w{i}")  # fmt: skip
        if ly.bias is not None:
            b = (
                ly.bias
                if ly.kind == "dense"
                else np.repeat(ly.bias, int(np.prod(ly.out_shape[1:])))
            )
            if np.any(b):
                biases.append((pop, b, depth))
        if last:
            net.probe(pop, "v")
        names.append(name)
        latency[name] = depth
        prev = pop
    if biases:
        rows = [_bias_lines(b) for _, b, _ in biases]
        k = max(r[0].shape[0] for r in rows)
        src = net.input(k, name="bias")
        for (pop, _, d), (pos, neg) in zip(biases, rows, strict=True):
            for sign, w in (("+", pos), ("-", neg)):
                if np.any(w):
                    full = np.zeros((k, pop.n), np.int64)
                    full[: w.shape[0]] = w
                    net.connect(src, pop, weights=full, weight_bits=8, delay=d,
                                name=f"bias{sign}{pop.name}")  # fmt: skip
    mapping = map_network(net, chip, allocator=allocator)
    return SNN(qann, net, mapping, tuple(names), latency)
