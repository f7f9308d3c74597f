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
:meth:`QuantizedANN.forward`. This is the "stream" scheme (``timesteps = 1``, 24-bit payloads).

The "window" scheme serves several timesteps per sample and binary-spike chips. Each sample
runs from a reset state; its input payloads (:meth:`QuantizedANN.trains`) arrive in steps
``0 .. T-1``. Hidden layer ``j`` (1-based) is an ``IF(reset="subtract")`` population held shut
by a *gate*: control input lines add ``-G`` in step 1, ``+G`` (with the layer's bias) in step
``j*T`` -- the step its last input arrives -- and ``-G`` again in step ``(j+1)*T``. ``G``
exceeds any partial sum the layer can reach, so nothing fires while inputs arrive; once open,
the neuron holds ``z`` and sends ``min(floor(v / s), 2**spike_bits - 1)`` per step for exactly
``T`` steps with soft reset: ``clip(floor(z / s), 0, T * (2**spike_bits - 1))`` in all, the
quantized activation. The logits layer never fires (threshold above ``|z|``); its membrane is
read in step ``L*T`` (probe). Exact for any signed weights and any ``T``; the price is the gate
synapses and ``L*T + 1`` steps per sample. With recurrent layers (sequences), element ``k`` of a
sequence owns frame ``k`` of those ``L*T + 1`` steps in one run: every layer's membrane is
cleared at the frame's start by a pulse onto its floor (``IF(floor=...)``, Loihi's vmin) and
raised to its held-shut value, and a recurrent layer's own spikes reach the next element's
window through synapses of delay ``(L-1)*T + 2`` (:func:`_window_seq`).

The "copies" scheme runs on TrueNorth-like chips (binary crossbar with 4 axon types, no IF
neurons): every layer decides in one tick and spends the ``T`` levels in space, as thermometer
copies of each neuron (:mod:`spikemesh.convert.crossbar`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .. import chips as _chips
from ..emulator import SimulationResult, Simulator
from ..exceptions import MappingError, ParameterError, SpikemeshWarning
from ..mapping import Mapping, map_network
from ..network import Network
from ..neurons import IF
from . import crossbar
from .quantize import QuantizedANN

__all__ = ["SNN", "Inference", "limits", "to_snn"]

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
    scheme: str = "stream"
    control: tuple = ()  # window/copies schemes: (line indices, step) the control input fires
    copies: dict = field(default_factory=dict)  # copies scheme: layer -> its populations
    ticks: dict = field(default_factory=dict)  # copies scheme: population -> decision tick
    readout: tuple = ()  # copies scheme: logits = readout[0] * v + readout[1]
    frame: int = 0  # window scheme with recurrent layers: steps per sequence element
    signs: dict = field(
        default_factory=dict
    )  # population -> -1 where it carries -z (signed layers)

    def populations_of(self, layer: str) -> tuple:
        """The populations that carry ``layer`` (one, or its thermometer copies)."""
        return self.copies.get(layer, (layer,))

    @property
    def hidden_neurons(self) -> int:
        """Neurons of the quantized ANN's hidden layers (copies counted once)."""
        pops = self.network.populations
        return sum(pops[self.populations_of(h)[0]].n for h in self.layer_names[:-1])

    def hidden_spikes(self, result: SimulationResult) -> int:
        """Spikes (non-zero payloads) the hidden layers sent in one run."""
        return sum(int(np.count_nonzero(result.spikes[p]))
                   for h in self.layer_names[:-1] for p in self.populations_of(h))  # fmt: skip

    @property
    def depth(self) -> int:
        """Steps from presenting a sample to its logits (the pipeline latency)."""
        return max(self.latency.values())

    @property
    def steps_per_sample(self) -> int:
        """Steps one sample occupies the chip: 1 when streaming, ``L*T + 1`` per window run,
        ``L + 1`` (plus splitter lag) per copies run."""
        return 1 if self.scheme == "stream" else self.depth + 1

    def infer(self, x, *, timing: str = "none", keep: bool = True, levels: bool = False,
              encoding: str = "direct", seed: int = 0, chunk: int = 4096,
              **sim_kw) -> Inference:  # fmt: skip
        """Run every sample of ``x`` (B, ...) -- or every sequence (B, S, ...) of a recurrent
        network -- and read each layer's activations; ``levels=True`` when ``x`` is already
        encoded (integer input levels). Stream scheme: independent samples stream, one per
        step, ``chunk`` per run; sequences run one per run from a reset state. Window scheme:
        one run per sample, inputs encoded over the timesteps by ``encoding`` ("direct" or
        "rate", seeded: :meth:`QuantizedANN.trains`); ``Inference.activations["x"]`` holds the
        input levels that were sent. ``keep``: return the runs' :class:`SimulationResult`."""
        if self.scheme == "window" and self.frame:
            return self._infer_window_seq(x, timing, keep, levels, encoding, seed, sim_kw)
        if self.scheme == "window":
            return self._infer_window(x, timing, keep, levels, encoding, seed, sim_kw)
        if self.scheme == "copies" and self.frame:
            return self._infer_copies_seq(x, timing, keep, levels, encoding, seed, sim_kw)
        if self.scheme == "copies":
            return self._infer_copies(x, timing, keep, levels, encoding, seed, sim_kw)
        if encoding != "direct":
            raise ParameterError(
                f"SNN.infer: the stream scheme sends graded levels in one step; encoding "
                f"{encoding!r} needs the window scheme (to_snn(..., scheme='window'))"
            )
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
            _keep(results, res, keep, len(runs), stacklevel=3)
        join = np.stack if seq else np.concatenate
        acts = {name: join(v) for name, v in outs.items()}
        logits = acts.pop(self.layer_names[-1])
        return Inference(logits, acts, results)

    def _infer_window(self, x, timing, keep, levels, encoding, seed, sim_kw) -> Inference:
        q, T = self.qann, self.qann.timesteps
        trains = q.trains(x, encoding, seed, levels=levels)
        steps = self.depth + 1
        ctrl = np.zeros((steps, self.network.inputs["ctrl"].n), np.int32)
        for lines, step in self.control:
            ctrl[step, lines] = 1
        sim = Simulator(self.mapping, timing=timing, **sim_kw)
        out_name = self.layer_names[-1]
        outs: dict = {name: [] for name in self.layer_names}
        results: list[SimulationResult] = []
        xin = np.zeros((steps, trains.shape[2]), np.int32)
        for k in range(trains.shape[0]):
            xin[:T] = trains[k]
            sim.reset()
            res = sim.run(steps, inputs={"x": xin, "ctrl": ctrl})
            for name in self.layer_names[:-1]:
                d = self.latency[name]
                outs[name].append(res.spikes[name][d : d + T].sum(axis=0, dtype=np.int64))
            outs[out_name].append(res.probes[out_name]["v"][self.depth].astype(np.int64))
            _keep(results, res, keep, trains.shape[0])
        acts = {name: np.stack(v) if v else np.zeros((0, 0), np.int64)
                for name, v in outs.items()}  # fmt: skip
        acts["x"] = trains.sum(axis=1)
        logits = acts.pop(out_name)
        return Inference(logits, acts, results)

    def _infer_window_seq(self, x, timing, keep, levels, encoding, seed, sim_kw) -> Inference:
        """One run per sequence (B, S, ...): element k occupies steps ``1 + k*F ..`` (``F`` =
        :attr:`frame`); its input trains go in at the frame's first ``T`` steps; every layer is
        cleared at the frame's start (:func:`_window_seq`)."""
        q, T, F = self.qann, self.qann.timesteps, self.frame
        trains = q.trains(x, encoding, seed, levels=levels)  # (B, S, T, n)
        B, S = trains.shape[:2]
        steps = 1 + S * F
        ctrl = np.zeros((steps, self.network.inputs["ctrl"].n), np.int32)
        for k in range(S):
            for lines, off in self.control:
                ctrl[k * F + off, lines] = 1
        rows = 1 + np.arange(S)[:, None] * F + np.arange(T)[None, :]  # (S, T) input steps
        sim = Simulator(self.mapping, timing=timing, **sim_kw)
        out_name = self.layer_names[-1]
        outs: dict = {name: [] for name in self.layer_names}
        results: list[SimulationResult] = []
        xin = np.zeros((steps, trains.shape[3]), np.int32)
        starts = 1 + np.arange(S) * F
        for b in range(B):
            xin[rows.ravel()] = trains[b].reshape(S * T, -1)
            sim.reset()
            res = sim.run(steps, inputs={"x": xin, "ctrl": ctrl})
            for name in self.layer_names[:-1]:
                d = self.latency[name]
                acc = 0
                for p in self.populations_of(name):
                    spk = res.spikes[p]
                    acc = acc + self.signs.get(p, 1) * np.stack(
                        [spk[a + d : a + d + T].sum(axis=0, dtype=np.int64) for a in starts]
                    )
                outs[name].append(acc)
            outs[out_name].append(res.probes[out_name]["v"][starts + self.depth].astype(np.int64))
            _keep(results, res, keep, B)
        acts = {name: np.stack(v) for name, v in outs.items()}
        acts["x"] = trains.sum(axis=2)
        logits = acts.pop(out_name)
        return Inference(logits, acts, results)

    def _infer_copies_seq(self, x, timing, keep, levels, encoding, seed, sim_kw) -> Inference:
        """One run per sequence: element ``k``'s thermometer lines fire in tick ``k*F``; each
        layer's copies decide (and the logits are read) in its tick of the frame
        (:func:`crossbar.build_seq`)."""
        q, F = self.qann, self.frame
        lv = q.trains(x, encoding, seed, levels=levels).sum(axis=2)  # (B, S, n) counts
        B, S = lv.shape[:2]
        steps = S * F + max(self.ticks.values()) + 1
        base = {name: np.zeros((steps, src.n), np.int32)
                for name, src in self.network.inputs.items()}  # fmt: skip
        for k in range(S):
            for lines, tick in self.control:
                base["ctrl"][k * F + tick, lines] = 1
        sim = Simulator(self.mapping, timing=timing, **sim_kw)
        out_name = self.layer_names[-1]
        (out_pop,) = self.populations_of(out_name)
        starts = np.arange(S) * F
        outs: dict = {name: [] for name in self.layer_names}
        results: list[SimulationResult] = []
        for b in range(B):
            inputs = {name: a.copy() for name, a in base.items()}
            for c in range(1, q.input_cap + 1):
                inputs[f"x.{c}"][starts] = lv[b] >= c
            sim.reset()
            res = sim.run(steps, inputs=inputs)
            for name in self.layer_names[:-1]:
                outs[name].append(sum(self.signs.get(p, 1)
                                      * res.spikes[p][starts + self.ticks[p]].astype(np.int64)
                                      for p in self.populations_of(name)))  # fmt: skip
            v = res.probes[out_pop]["v"][starts + self.ticks[out_pop]].astype(np.int64)
            outs[out_name].append(self.readout[0] * v + self.readout[1])
            _keep(results, res, keep, B)
        acts = {name: np.stack(v) for name, v in outs.items()}
        acts["x"] = lv
        logits = acts.pop(out_name)
        return Inference(logits, acts, results)

    def _infer_copies(self, x, timing, keep, levels, encoding, seed, sim_kw) -> Inference:
        q = self.qann
        lv = q.trains(x, encoding, seed, levels=levels).sum(axis=1)  # a sample's spike count
        steps = self.depth + 1
        inputs = {name: np.zeros((steps, src.n), np.int32)
                  for name, src in self.network.inputs.items()}  # fmt: skip
        for lines, step in self.control:
            inputs["ctrl"][step, lines] = 1
        sim = Simulator(self.mapping, timing=timing, **sim_kw)
        out_name = self.layer_names[-1]
        (out_pop,) = self.populations_of(out_name)
        outs: dict = {name: [] for name in self.layer_names}
        results: list[SimulationResult] = []
        for k in range(lv.shape[0]):
            for c in range(1, q.input_cap + 1):  # thermometer lines: level >= c
                inputs[f"x.{c}"][0] = lv[k] >= c
            sim.reset()
            res = sim.run(steps, inputs=inputs)
            for name in self.layer_names[:-1]:
                outs[name].append(sum(res.spikes[p][self.ticks[p]].astype(np.int64)
                                      for p in self.populations_of(name)))  # fmt: skip
            v = res.probes[out_pop]["v"][self.ticks[out_pop]].astype(np.int64)
            outs[out_name].append(self.readout[0] * v + self.readout[1])
            _keep(results, res, keep, lv.shape[0])
        acts = {name: np.stack(v) if v else np.zeros((0, 0), np.int64)
                for name, v in outs.items()}  # fmt: skip
        acts["x"] = lv
        logits = acts.pop(out_name)
        return Inference(logits, acts, results)


KEEP_WARN_BYTES = 4 * 2**30  # SNN.infer(keep=True) warns past this projected record size


def _record_bytes(res: SimulationResult) -> int:
    """Bytes of a run's arrays (spikes, probes, counters, cycles, weights)."""
    n = 0
    for v in vars(res).values():
        for a in v.values() if isinstance(v, dict) else (v,):
            for b in a.values() if isinstance(a, dict) else (a,):
                n += b.nbytes if isinstance(b, np.ndarray) else 0
    return n


def _keep(results: list, res: SimulationResult, keep: bool, runs: int, stacklevel: int = 4
          ) -> None:  # fmt: skip
    """Keep ``res`` when asked; at the first run, warn when all ``runs`` would not fit
    comfortably (every neuron's spikes and every core's counters, per step, per run);
    ``stacklevel`` points the warning at ``infer``'s caller (3 from ``infer`` itself)."""
    if not keep:
        return
    if not results:
        one = _record_bytes(res)
        if one * runs > KEEP_WARN_BYTES:
            warnings.warn(
                f"SNN.infer: keep=True holds every run's record: {runs} runs of {one / 2**20:,.0f}"
                f" MiB, about {one * runs / 2**30:,.1f} GiB; pass keep=False (logits and "
                "activations are still returned) or infer in smaller blocks",
                SpikemeshWarning,
                stacklevel=stacklevel,
            )
    results.append(res)


def limits(chip) -> dict:
    """The widest ``weight_bits`` and ``spike_bits`` :func:`to_snn` can build on ``chip``."""
    chip = _chips.get(chip)
    tn = chip.supports("TrueNorthNeuron") and not chip.supports("IF")
    return {"weight_bits": crossbar.MAX_WEIGHT_BITS if tn else 8,
            "spike_bits": chip.core.payload_bits}  # fmt: skip


def _bias_lines(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split integer biases into (K, n) excitatory and inhibitory weight rows of 0..255 /
    -255..0 (8-bit single-sign synapse groups store these exactly): rows sum to the bias."""
    k = max(1, int(-(-np.abs(b).max(initial=0) // 255)))
    pos, neg = np.maximum(b, 0), np.maximum(-b, 0)
    lim = 255 * np.arange(k)[:, None]
    return np.clip(pos[None] - lim, 0, 255), -np.clip(neg[None] - lim, 0, 255)


def _layer_weights(ly):
    """The layer's synapses as ``connect`` takes them and the weight bits to store."""
    return ly.synapses(), (8 if ly.kind == "pool" else ly.weight_bits)


def _layer_bias(ly) -> np.ndarray | None:
    b = ly.neuron_bias()
    return b if np.any(b) else None


def to_snn(qann: QuantizedANN, chip="loihi2", *, scheme: str = "auto",
           allocator="greedy") -> SNN:  # fmt: skip
    """Build the spiking network of ``qann`` and map it onto ``chip`` (one with IF cores).

    ``scheme``: "stream" (one step per sample, graded 24-bit logits: ``timesteps = 1`` on a
    chip with 24-bit payloads such as "loihi2"), "window" (``L*T + 1`` steps per sample, any
    payload width down to binary spikes, e.g. "loihi"), "copies" (TrueNorth-like chips: one
    tick per layer, ``T`` thermometer copies per neuron, weights of at most 4 bits) or "auto"
    (copies on a chip without IF cores, else stream where it applies, else window)."""
    chip = _chips.get(chip)
    if not isinstance(scheme, str) or scheme not in ("auto", "stream", "window", "copies"):
        raise ParameterError(
            f"to_snn.scheme: must be 'auto', 'stream', 'window' or 'copies' (got {scheme!r})"
        )
    if scheme == "copies" or (scheme == "auto" and not chip.supports("IF")):
        if not chip.supports("TrueNorthNeuron"):
            raise MappingError(
                f"to_snn: the copies scheme builds TrueNorthNeuron populations; {chip.name} "
                f"runs {', '.join(chip.core.neuron_models)}"
            )
        if qann.sequential:
            net, mapping, pops, ticks, control, readout, frame, signs = crossbar.build_seq(
                qann, chip, allocator
            )
        else:
            net, mapping, pops, ticks, control, readout = crossbar.build(qann, chip, allocator)
            frame, signs = 0, {}
        names = tuple(pops)
        latency = {name: max(ticks[p] for p in ps) for name, ps in pops.items()}
        return SNN(qann, net, mapping, names, latency, "copies", control, pops, ticks, readout,
                   frame, signs)  # fmt: skip
    if not chip.supports("IF"):
        raise MappingError(
            f"to_snn: the {scheme} scheme builds IF neurons; {chip.name} runs "
            f"{', '.join(chip.core.neuron_models)} (use scheme='copies' or 'auto')"
        )
    stream_bits = max(qann.spike_bits, qann.input_bits, OUT_BITS + 1)
    if scheme == "auto":
        ok = qann.timesteps == 1 and chip.core.payload_bits >= stream_bits
        scheme = "stream" if ok else "window"
    if scheme == "stream":
        if qann.timesteps != 1:
            raise MappingError(
                f"to_snn: the stream scheme sends each activation in one step; this network "
                f"has timesteps={qann.timesteps} (use scheme='window')"
            )
        if chip.core.payload_bits < stream_bits:
            raise MappingError(
                f"to_snn: the stream scheme needs {stream_bits}-bit spikes (spike_bits "
                f"{qann.spike_bits}, input_bits {qann.input_bits}, logits {OUT_BITS + 1}); "
                f"{chip.name} carries {chip.core.payload_bits}-bit spikes (use scheme='window')"
            )
        return _stream(qann, chip, allocator)
    need = max(qann.spike_bits, qann.input_bits)
    if chip.core.payload_bits < need:
        raise MappingError(
            f"to_snn: spike_bits {qann.spike_bits} / input_bits {qann.input_bits} need "
            f"{need}-bit spikes; {chip.name} carries {chip.core.payload_bits}-bit spikes "
            f"(quantize with spike_bits=input_bits={chip.core.payload_bits} and more timesteps)"
        )
    return _window_seq(qann, chip, allocator) if qann.sequential else _window(qann, chip, allocator)


def _stream(qann: QuantizedANN, chip, allocator) -> SNN:
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
            spec = IF(
                vth=ly.threshold, spike_bits=qann.spike_bits, reset="step", bipolar=ly.signed
            )  # fmt: skip (a signed layer: the seed's bipolar IF)
        pop = net.population(int(np.prod(ly.out_shape)), spec, name=name)
        w, wb = _layer_weights(ly)
        net.connect(prev, pop, weights=w, weight_bits=wb, name=f"w{i}")
        if ly.kind == "recurrent":
            net.connect(pop, pop, weights=ly.weight_rec, weight_bits=ly.weight_bits,
                        name=f"r{i}")  # fmt: skip
        b = _layer_bias(ly)
        if b is not None:
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


V_MIN = -(2**23)  # the IF membrane (24 bits) while a layer is held shut


def _wire_bias(net, src, pop, n_ctrl: int, bias, pos, neg) -> None:
    """Connect control lines ``bias`` (the excitatory rows ``pos`` first, then ``neg``) to
    ``pop``: together they add its bias when they fire."""
    for sign, rows, at in (("+", pos, bias[: len(pos)]), ("-", neg, bias[len(pos) :])):
        if len(rows):
            full = np.zeros((n_ctrl, pop.n), np.int64)
            full[at] = rows
            net.connect(src, pop, weights=full, weight_bits=8, name=f"bias{sign}{pop.name}")


def _gate_lines(g: int) -> tuple[int, int]:
    """(lines, weight_exp) so that ``lines`` synapses of mantissa 255 << exp sum to >= g."""
    e = min(7, max(0, int(np.ceil(np.log2(max(g, 1) / 255)))))
    return max(1, -(-g // (255 << e))), e


def _window(qann: QuantizedANN, chip, allocator) -> SNN:
    T = qann.timesteps
    net = Network("converted")
    prev = net.input(int(np.prod(qann.in_shape)), name="x", payload_bits=qann.input_bits)
    bound = qann.input_cap
    plan = []  # (pop, j, bias, gate lines, gate exp)
    names, latency, j = [], {}, 0
    for i, ly in enumerate(qann.layers):
        if ly.kind == "flatten":
            continue
        j += 1
        last = i == len(qann.layers) - 1
        name = "out" if last else f"l{i}"
        if last:  # integrates, never fires: its membrane is read
            spec = IF(vth=2**23 - 1)
        else:
            spec = IF(vth=ly.threshold, spike_bits=qann.spike_bits, reset="subtract")
        pop = net.population(int(np.prod(ly.out_shape)), spec, name=name)
        w, wb = _layer_weights(ly)
        proj = net.connect(prev, pop, weights=w, weight_bits=wb, name=f"w{i}")
        b = _layer_bias(ly)
        b = np.zeros(pop.n, np.int64) if b is None else b
        fan_pos = np.zeros(pop.n, np.int64)
        fan_neg = np.zeros(pop.n, np.int64)
        np.add.at(fan_pos, proj.post_idx, np.maximum(proj.weight, 0))
        np.add.at(fan_neg, proj.post_idx, np.maximum(-proj.weight, 0))
        lines = exp = 0
        if not last:
            g = int((fan_pos * bound + np.maximum(b, 0)).max()) + 1
            lines, exp = _gate_lines(g)
            low = -lines * (255 << exp) - int((fan_neg * bound + np.maximum(-b, 0)).max())
            if low < V_MIN:
                raise MappingError(
                    f"to_snn: layer {i} held shut reaches v = {low:,}, below the 24-bit IF "
                    f"membrane's {V_MIN:,}; use fewer weight_bits, spike_bits or timesteps"
                )
            bound = qann.cap
        plan.append((pop, j, b, lines, exp))
        names.append(name)
        latency[name] = j * T
        prev = pop
    # control lines: per layer [gate lines][bias + lines][bias - lines]
    control, blocks, n_ctrl = [], [], 0
    for pop, jj, b, lines, exp in plan:
        pos, neg = _bias_lines(b) if np.any(b) else (np.zeros((0, pop.n)), np.zeros((0, pop.n)))
        pos, neg = pos[np.any(pos, axis=1)], neg[np.any(neg, axis=1)]
        shut = np.arange(n_ctrl, n_ctrl + lines)
        opener = np.arange(n_ctrl + lines, n_ctrl + 2 * lines)
        n_ctrl += 2 * lines
        bias = np.arange(n_ctrl, n_ctrl + len(pos) + len(neg))
        n_ctrl += len(bias)
        blocks.append((pop, shut, opener, exp, bias, pos, neg))
        if lines:  # shut (arrives step 1), open with the bias (j*T), shut after T steps
            control += [(shut, 0), (opener, jj * T - 1), (shut, (jj + 1) * T - 1)]
        if bias.size:
            control.append((bias, jj * T - 1))
    if n_ctrl:
        src = net.input(n_ctrl, name="ctrl")
        for pop, shut, opener, exp, bias, pos, neg in blocks:
            if shut.size:
                for lines, sign, label in ((opener, 255, "open"), (shut, -255, "shut")):
                    full = np.zeros((n_ctrl, pop.n), np.int64)
                    full[lines] = sign
                    net.connect(src, pop, weights=full, weight_exp=exp, name=f"{label}{pop.name}")
            _wire_bias(net, src, pop, n_ctrl, bias, pos, neg)
    net.probe(plan[-1][0], "v")
    mapping = map_network(net, chip, allocator=allocator)
    return SNN(qann, net, mapping, tuple(names), latency, "window", tuple(control))


UNIT = 255 << 7  # one control line's weight at the largest exponent (mantissa 255, exp 7)
REG_MIN = -(2**23)  # the 24-bit IF register


def _window_seq(qann: QuantizedANN, chip, allocator) -> SNN:
    """The window scheme for sequences (recurrent layers; module docstring): element ``k``
    owns frame ``k`` of ``F = L*T + 1`` steps, starting at step ``1 + k*F`` (offset 0).

    Every layer is an IF with a *floor* (``IF(floor=-f*U)``, ``U = 255 << 7``: Loihi's vmin):
    at offset 0 a *clear* pulse (``-(f + h) U``) drives any membrane onto the floor, exactly;
    at offset 1 a *raise* pulse sets it to the layer's held-shut value (``-G`` for hidden
    layers, ``0`` for the logits). Hidden layer ``j`` then takes its inputs in offsets
    ``(j-1)T+1 .. jT`` (its own previous activation too: the recurrent synapses' delay
    ``F - T + 1`` carries element ``k-1``'s spikes into element ``k``'s window), opens at
    ``jT`` (``+G`` with its bias), fires for ``T`` steps with soft reset and is shut at
    ``(j+1)T``; the logits layer's membrane is read at offset ``L*T``. Gate, clear and raise
    are whole lines of ``U``, so every membrane lands exactly where it should."""
    T = qann.timesteps
    net = Network("converted")
    prev = net.input(int(np.prod(qann.in_shape)), name="x", payload_bits=qann.input_bits)
    layers = [(i, ly) for i, ly in enumerate(qann.layers) if ly.kind != "flatten"]
    L = len(layers)
    F = L * T + 1
    delay = F - T + 1
    if any(ly.kind == "recurrent" for _, ly in layers) and delay > chip.core.max_delay:
        raise MappingError(
            f"to_snn: in the window scheme a recurrent layer's spikes for one element wait "
            f"{delay} steps for the next ((layers - 1) x timesteps + 2 = ({L} - 1) x {T} + 2); "
            f"{chip.name}'s synapses delay at most {chip.core.max_delay} steps: use timesteps "
            f"<= {(chip.core.max_delay - 2) // max(L - 1, 1)} or fewer layers"
        )
    bound = qann.input_cap
    plan = []  # (pop, j, bias, g, f, h, last)
    names, latency, groups, signs = [], {}, {}, {}
    sources = [(prev, 1)]  # the populations a layer reads, each with the sign of its levels
    for j, (i, ly) in enumerate(layers, start=1):
        last = j == L
        name = "out" if last else f"l{i}"
        w, wb = _layer_weights(ly)
        b0 = _layer_bias(ly)
        b0 = np.zeros(int(np.prod(ly.out_shape)), np.int64) if b0 is None else b0
        # a signed (bipolar) layer is a pair: z's positive part and -z's, each a gated ReLU
        parts = [(name, 1), (f"{name}.neg", -1)] if ly.signed else [(name, 1)]
        rec_signs = [ps for _, ps in parts] if ly.kind == "recurrent" else []
        group = []
        for pname, psign in parts:
            b = psign * b0
            # the largest positive and negative partial sums the layer's inputs can reach
            pos = np.zeros(b.size, np.int64)
            neg = np.zeros(b.size, np.int64)
            paths = [(w, ssign, bound, int(np.prod(ly.in_shape))) for _, ssign in sources]
            paths += [(ly.weight_rec, ssign, qann.cap, b.size) for ssign in rec_signs]
            for wt, ssign, lvl, n_src in paths:
                probe = Network("fan")
                src = probe.input(n_src, name="s")
                dst = probe.population(b.size, IF(vth=1), name="d")
                pr = probe.connect(src, dst, weights=wt, weight_bits=wb)
                wq = pr.weight * (psign * ssign)
                np.add.at(pos, pr.post_idx, np.maximum(wq, 0) * lvl)
                np.add.at(neg, pr.post_idx, np.maximum(-wq, 0) * lvl)
            hi = int((pos + np.maximum(b, 0)).max())
            lo = int((neg + np.maximum(-b, 0)).max())
            g = 0 if last else hi // UNIT + 1  # G = g U > any partial sum
            f = g + lo // UNIT + 1  # floor below every value the membrane holds
            h = hi // UNIT + 1  # the clear pulse also covers a held (positive) membrane
            if (2 * f + h) * UNIT > -REG_MIN:
                raise MappingError(
                    f"to_snn: layer {i} needs a membrane floor of -{f * UNIT:,} and a clear "
                    f"pulse of {(f + h) * UNIT:,}, beyond the 24-bit IF register; use fewer "
                    "weight_bits, spike_bits or timesteps"
                )
            if last:
                spec = IF(vth=2**23 - 1, floor=-f * UNIT)
            else:
                spec = IF(vth=ly.threshold, spike_bits=qann.spike_bits, reset="subtract",
                          floor=-f * UNIT)  # fmt: skip
            pop = net.population(int(np.prod(ly.out_shape)), spec, name=pname)
            for src, ssign in sources:
                wt = w if psign * ssign == 1 else crossbar.negated(w)
                net.connect(src, pop, weights=wt, weight_bits=wb,
                            name=f"w{i}:{src.name}->{pname}")  # fmt: skip
            group.append((pop, psign))
            plan.append((pop, j, b, g, f, h, last))
            signs[pname] = psign
        if ly.kind == "recurrent":
            for src, ssign in group:
                for pop, psign in group:
                    net.connect(src, pop, weights=ly.weight_rec * (psign * ssign),
                                weight_bits=ly.weight_bits, delay=delay,
                                name=f"r{i}:{src.name}->{pop.name}")  # fmt: skip
        groups[name] = tuple(p.name for p, _ in group)
        names.append(name)
        latency[name] = j * T
        if not last:
            bound = qann.cap
        sources = group
    # control lines per layer: [clear f+h][raise f-g or f][open g][shut g][bias +][bias -]
    control, wiring, n_ctrl = [], [], 0

    def take(k):
        nonlocal n_ctrl
        r = np.arange(n_ctrl, n_ctrl + k)
        n_ctrl += k
        return r

    for pop, j, b, g, f, h, _last in plan:
        clear, rise = take(f + h), take(f - g)
        opener, shut = take(g), take(g)
        pos, neg = _bias_lines(b) if np.any(b) else (np.zeros((0, pop.n)), np.zeros((0, pop.n)))
        pos, neg = pos[np.any(pos, axis=1)], neg[np.any(neg, axis=1)]
        bias = take(len(pos) + len(neg))
        wiring.append((pop, clear, rise, opener, shut, bias, pos, neg))
        control += [(clear, 0), (rise, 1)]  # frame offsets the lines' spikes arrive - 1 ...
        if g:
            control += [(opener, j * T), (shut, (j + 1) * T)]
        if bias.size:
            control.append((bias, j * T))
    # a line fired in step kF + o arrives in step kF + o + 1 = offset o of frame k
    src = net.input(n_ctrl, name="ctrl")
    for pop, clear, rise, opener, shut, bias, pos, neg in wiring:
        for lines, sign, label in ((clear, -255, "clear"), (rise, 255, "raise"),
                                   (opener, 255, "open"), (shut, -255, "shut")):  # fmt: skip
            if lines.size:
                full = np.zeros((n_ctrl, pop.n), np.int64)
                full[lines] = sign
                net.connect(src, pop, weights=full, weight_exp=7, name=f"{label}{pop.name}")
        _wire_bias(net, src, pop, n_ctrl, bias, pos, neg)
    net.probe(plan[-1][0], "v")
    mapping = map_network(net, chip, allocator=allocator)
    pairs = {k: v for k, v in groups.items() if len(v) > 1}
    return SNN(qann, net, mapping, tuple(names), latency, "window", tuple(control), pairs,
               frame=F, signs=signs)  # fmt: skip
