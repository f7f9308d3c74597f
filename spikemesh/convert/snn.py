"""The quantized ANN as a spiking network of graded IF neurons, and its inference.

Each hidden layer becomes an ``IF(vth=s, spike_bits=b, reset="step")`` population: a stateless
graded neuron whose payload in a step is ``min(floor(z / s), cap)`` of that step's input ``z``
(Loihi 2's graded ReLU unit). The logits layer is an IF population with ``vth = 1`` and bipolar
23-bit payloads, so its spike *is* ``z``. The input is an input source of ``input_bits``
graded payloads. A layer at depth ``d`` handles the sample presented in step ``k`` in step
``k + d`` (every hop costs one step): samples stream, one per step, and a recurrent layer's own
spikes (delay 1) meet the next sequence element. Biases arrive as synapses from a ``bias``
input that fires with every presented sample, delayed by ``d``: a per-step neuron bias would
also act in the steps where the layer has no sample. Independent samples stream through one
run; each sequence of a recurrent network runs from a reset state. With graded spikes wide
enough for the activations this is exact: every layer's payloads equal
:meth:`QuantizedANN.forward`.
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
from .quantize import QuantizedANN

__all__ = ["SNN", "Inference", "to_snn"]

OUT_BITS = 23  # logits as bipolar graded spikes: 24-bit payloads carry |z| <= V_LIMIT


@dataclass(frozen=True, eq=False)
class Inference:
    """What :meth:`SNN.infer` returns: ``logits`` (B, n_out) integers ((B, S, n_out) for
    sequences), per-layer payloads (name -> (B, n) or (B, S, n)) and the runs' results."""

    logits: np.ndarray
    activations: dict
    results: list

    @property
    def predictions(self) -> np.ndarray:
        return np.argmax(self.logits, axis=-1)


@dataclass(frozen=True, eq=False)
class SNN:
    """A converted network: ``network``, its ``mapping``, the population of every non-flatten
    layer (``layer_names``, the logits layer last) and its depth ``latency[name]``: the steps
    from presenting a sample to that layer's output for it."""

    qann: QuantizedANN
    network: Network
    mapping: Mapping
    layer_names: tuple
    latency: dict

    @property
    def depth(self) -> int:
        """Steps from presenting a sample to its logits (the pipeline latency)."""
        return max(self.latency.values())

    def infer(self, x, *, timing: str = "none", keep: bool = True, levels: bool = False,
              chunk: int = 4096, **sim_kw) -> Inference:  # fmt: skip
        """Run every sample of ``x`` (B, ...) -- or every sequence (B, S, ...) of a recurrent
        network -- and read each layer's payloads; ``levels=True`` when ``x`` is already
        encoded (integer input levels). Independent samples stream, one per step, ``chunk`` per
        run; sequences run one per run from a reset state. ``keep``: return the runs'
        :class:`SimulationResult` objects (energy, cycles)."""
        q = self.qann
        a0 = np.asarray(x, np.int64) if levels else q.encode(x)
        seq = q.sequential
        if seq:
            runs = [a0[k].reshape(a0.shape[1], -1) for k in range(a0.shape[0])]
        else:
            a0 = a0.reshape(a0.shape[0], -1)
            runs = [a0[k : k + chunk] for k in range(0, a0.shape[0], chunk)]
        sim = Simulator(self.mapping, timing=timing, **sim_kw)
        outs: dict = {name: [] for name in self.layer_names}
        results: list[SimulationResult] = []
        for block in runs:
            m = block.shape[0]
            steps = m + self.depth
            inputs = {"x": np.zeros((steps, block.shape[1]), np.int32)}
            inputs["x"][:m] = block
            if "bias" in self.network.inputs:
                inputs["bias"] = np.zeros((steps, self.network.inputs["bias"].n), np.int32)
                inputs["bias"][:m] = 1
            sim.reset()
            res = sim.run(steps, inputs=inputs)
            for name in self.layer_names:
                d = self.latency[name]
                outs[name].append(res.spikes[name][d : d + m].astype(np.int64))
            if keep:
                results.append(res)
        join = np.stack if seq else np.concatenate
        acts = {name: join(v) for name, v in outs.items()}
        logits = acts.pop(self.layer_names[-1])
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
    neurons with graded spikes of 24 bits, e.g. "loihi2")."""
    chip = _chips.get(chip)
    if not chip.supports("IF"):
        raise MappingError(
            f"to_snn: graded IF conversion needs IF cores; {chip.name} runs "
            f"{', '.join(chip.core.neuron_models)} (binary-spike targets are not built yet)"
        )
    need = max(qann.spike_bits, qann.input_bits, OUT_BITS + 1)
    if chip.core.payload_bits < need:
        raise MappingError(
            f"to_snn: graded conversion needs {need}-bit spikes (spike_bits {qann.spike_bits}, "
            f"input_bits {qann.input_bits}, logits {OUT_BITS + 1}); {chip.name} carries "
            f"{chip.core.payload_bits}-bit spikes (binary-spike encodings over several steps "
            "are not built yet)"
        )
    net = Network("converted")
    prev = net.input(int(np.prod(qann.in_shape)), name="x", payload_bits=qann.input_bits)
    biases = []  # (population, bias vector, depth)
    names, latency, depth = [], {}, 0
    for i, ly in enumerate(qann.layers):
        if ly.kind == "flatten":
            continue
        depth += 1
        last = i == len(qann.layers) - 1
        name = "out" if last else f"l{i}"
        if last:  # the spike is z itself: |z| <= V_LIMIT < 2**23 - 1
            spec = IF(vth=1, spike_bits=OUT_BITS, bipolar=True, reset="step")
        else:
            spec = IF(vth=ly.threshold, spike_bits=qann.spike_bits, reset="step")
        pop = net.population(int(np.prod(ly.out_shape)), spec, name=name)
        if ly.kind in ("dense", "recurrent"):
            net.connect(prev, pop, weights=ly.weight, weight_bits=ly.weight_bits, name=f"w{i}")
        elif ly.kind == "conv":
            net.connect(prev, pop, weights=conv2d(ly.in_shape, ly.weight, ly.stride, ly.padding),
                        weight_bits=ly.weight_bits, name=f"w{i}")  # fmt: skip
        else:
            net.connect(prev, pop, weights=pool2d(ly.in_shape, ly.size), weight_bits=8,
                        name=f"w{i}")  # fmt: skip
        if ly.kind == "recurrent":
            net.connect(pop, pop, weights=ly.weight_rec, weight_bits=ly.weight_bits,
                        name=f"r{i}")  # fmt: skip
        if ly.bias is not None:
            per_channel = ly.kind == "conv"
            b = np.repeat(ly.bias, int(np.prod(ly.out_shape[1:]))) if per_channel else ly.bias
            if np.any(b):
                biases.append((pop, b, depth))
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
