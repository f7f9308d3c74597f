"""What a run did, in one schema: :class:`Counts` (totals), :class:`CoreStepCounts` (per step
and core) and the :class:`PacketLog`.

The simulator makes them (:meth:`spikemesh.SimulationResult.counts`), ``energy.estimate``
makes a :class:`Counts` from a dict of totals, and :mod:`spikemesh.energy` only prices them.
Counts follow NeuroBench's definitions where they overlap (Yik et al. 2025): effective synaptic
operations = synapses a non-zero input reached; dense = every synapse every step; membrane
updates = neurons whose state changed; activation sparsity = 1 - spikes / (neurons x steps).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ._validate import check_mapping, check_number, show
from .exceptions import ParameterError

__all__ = [
    "COUNT_KEYS",
    "CoreStepCounts",
    "Counts",
    "PacketLog",
    "active_updates",
    "neurobench_metrics",
]


def neurobench_metrics(activations: dict, membranes: dict, resets: dict, layers) -> dict:
    """NeuroBench 2.3's workload metrics of one sample, computed as NeuroBench computes them
    on an snnTorch model (``neurobench.metrics.workload``):

    - ``ActivationSparsity`` = 1 - non-zero activations / activations, over every spiking layer
      and step (``activations``: name -> (steps, n));
    - ``MembraneUpdates``: per layer, every neuron at the first step, then the neurons whose
      membrane changed in the step. NeuroBench reads snnTorch's ``mem``, which keeps the value
      that fired until the next step applies the reset; a chip that resets at the spike
      (``resets[name]`` "nir" / "zero_hold") holds 0 instead, so a neuron counts when its ``v``
      changed or it spiked this step or the last; CubaLIFSubtract's ``v`` is snnTorch's
      ``mem`` ("subtract": ``v`` changed) (``membranes``: name -> (steps, n));
    - ``SynapticOperations``: per layer ``(x, fanout, dense)`` -- ``x`` its input per step
      (steps, n_in), ``fanout[j]`` its non-zero weights out of input ``j``, ``dense`` its
      weights -- a step's operations are the fan-outs of its non-zero inputs, ``Effective_ACs``
      when every input is 0 or +-1 (spikes), else ``Effective_MACs``; ``Dense`` = weights x
      steps. Biases are not operations (NeuroBench's default).
    """
    total = nnz = 0
    for a in activations.values():
        a = np.asarray(a)
        total += a.size
        nnz += int(np.count_nonzero(a))
    mem = 0
    for name, v in membranes.items():
        v = np.asarray(v).reshape(len(v), -1)
        if not len(v):
            continue
        mem += v.shape[1]
        changed = v[1:] != v[:-1]
        if resets.get(name, "nir") != "subtract":
            s = np.asarray(activations[name]).reshape(len(v), -1) != 0
            changed = changed | s[1:] | s[:-1]
        mem += int(np.count_nonzero(changed))
    ac = mac = dense = 0
    for x, fanout, n_dense in layers:
        x = np.asarray(x).reshape(len(x), -1)
        fanout = np.asarray(fanout, np.int64)
        ops = (x != 0).astype(np.int64) @ fanout  # per step
        spiking = np.all((x == 0) | (x == 1) | (x == -1), axis=1)
        ac += int(ops[spiking].sum())
        mac += int(ops[~spiking].sum())
        dense += int(n_dense) * len(x)
    return {
        "ActivationSparsity": (total - nnz) / total if total else 0.0,
        "MembraneUpdates": mem,
        "SynapticOperations": {"Effective_MACs": mac, "Effective_ACs": ac, "Dense": dense},
    }


def active_updates(changed, spikes):
    """Neuron updates that count as *active* (the chip's costlier update): neurons whose state
    changed or that spiked. Kernels count the two sets, not their union; their maximum is used
    (a lower bound on the union; the two sets usually coincide). Timing and energy both read
    this one rule."""
    return np.maximum(changed, spikes)


@dataclass(frozen=True, slots=True)
class Counts:
    """Totals of one run (or of an estimate) over ``steps`` timesteps.

    Events: ``synaptic_events`` (effective synaptic operations), ``dense_synapses`` (every
    synapse every step), ``neuron_updates`` = ``active_updates`` + ``inactive_updates``,
    ``membrane_updates`` (state changed), ``spikes`` (neurons firing), ``messages`` (spike
    messages: one per spike per destination core, host inputs included), ``packets`` (message
    batches per source, destination core and step: the scheduler's unit, not an energy unit),
    ``flits``, ``hops_ew``, ``hops_ns`` and ``chip_crossings`` (all per message: a batch of m
    messages over h hops is m x h hops), ``barriers``, ``encoding_macs`` (synaptic events of
    graded external inputs), ``synaptic_updates`` (the learning engine's: one per synapse of a
    plastic projection at each epoch's end, all of its variables in one update).
    Bits: ``synaptic_event_bits`` (events x payload bits), ``weighted_event_bits`` (events x
    payload bits x weight bits: the Bit Budget's synaptic bit operations), ``weight_bits_read``
    (events x weight bits), ``payload_bit_hops`` (messages x payload bits x hops),
    ``spike_bits``, ``synapse_bits_read`` (weight + index + delay bits of every synapse
    reached), ``state_bits_read``, ``state_bits_written``; ``weight_bits`` is the mean stored
    weight width.
    Sizes: ``neurons`` (on the chip, splitters included), ``neurons_and_inputs`` (the user's
    neurons plus input lines), ``chips`` (chips holding at least one core program). Time:
    ``elapsed_s`` of chip time; ``chip_seconds`` = elapsed_s x chips (what static power is
    charged per: chips with no core program are taken as powered off). ``activation_sparsity``
    = 1 - spikes / (neurons x steps).
    """

    steps: int
    neurons: int = 0
    neurons_and_inputs: int = 0
    synaptic_events: float = 0
    synaptic_event_bits: float = 0
    weighted_event_bits: float = 0
    weight_bits_read: float = 0
    payload_bit_hops: float = 0
    dense_synapses: float = 0
    neuron_updates: float = 0
    active_updates: float = 0
    inactive_updates: float = 0
    membrane_updates: float = 0
    spikes: float = 0
    spike_bits: float = 0
    messages: float = 0
    packets: float = 0
    flits: float = 0
    hops_ew: float = 0
    hops_ns: float = 0
    chip_crossings: float = 0
    barriers: float = 0
    synapse_bits_read: float = 0
    state_bits_read: float = 0
    state_bits_written: float = 0
    encoding_macs: float = 0
    synaptic_updates: float = 0
    elapsed_s: float = 0.0
    chips: int = 1
    chip_seconds: float = 0.0
    activation_sparsity: float = 1.0
    weight_bits: float = 8.0
    unknown: tuple = ()  # counts neither given nor derivable (estimates): 0 stands in, reports name them

    def __getitem__(self, key: str):
        if key not in COUNT_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in COUNT_KEYS}

    @classmethod
    def from_totals(cls, counts: dict, steps: int, tick_s: float = 0.0, chip: str = "this chip",
                    owner: str = "estimate"):  # fmt: skip
        """Counts from user-given totals (``energy.estimate``): unknown keys and negative or
        non-numeric values raise, and so do totals that cannot be true together (naming the
        pair: spikes above neurons x steps, membrane or active updates above neuron updates,
        effective above dense synaptic events, encoding MACs above synaptic events, neuron
        updates above neurons x steps, no chip while something ran). ``hops`` splits evenly
        between the two directions; ``active_updates`` defaults to every update; ``messages``
        to ``spikes`` (one destination core per spike); ``elapsed_s`` defaults to ``steps``
        ticks (required when ``tick_s`` is 0); ``chips`` to 1; ``dense_synapses`` to the
        effective events; ``neurons`` to ``neuron_updates / steps`` (every neuron updates every
        step). Counts that are neither given nor derivable stand at 0 and are listed in
        ``unknown`` (the energy report names them beside every model that needs them)."""
        counts = check_mapping(owner, "counts", counts)
        derived = {"steps", "inactive_updates", "activation_sparsity", "chip_seconds"}
        allowed = (set(COUNT_KEYS) - derived) | {"hops"}
        bad = sorted(set(counts) - allowed)
        if bad:
            raise ParameterError(
                f"{owner}.counts: unknown keys {', '.join(bad)}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        for key, value in counts.items():
            check_number(owner, f"counts[{key!r}]", value, 0)
        c = {k: v for k, v in counts.items() if k != "hops"}

        def clash(a, b, why):
            raise ParameterError(
                f"{owner}.counts: {a} = {show(c.get(a, counts.get(a)))} and {b} = "
                f"{show(c.get(b, counts.get(b)))} cannot both hold: {why}"
            )

        if "neurons" not in c and "neuron_updates" in c:
            c["neurons"] = math.ceil(c["neuron_updates"] / steps)  # at most one update a step
        if "neurons" in c and c["neurons"] != int(c["neurons"]):
            raise ParameterError(f"{owner}.counts: neurons must be a whole number (got "
                                 f"{show(c['neurons'])})")  # fmt: skip
        if "neurons" in c:
            c["neurons"] = int(c["neurons"])
            if c.get("spikes", 0) > c["neurons"] * steps:
                clash("spikes", "neurons", f"a neuron fires at most once per step ({steps} steps)")
            if c.get("neuron_updates", 0) > c["neurons"] * steps:
                clash(
                    "neuron_updates",
                    "neurons",
                    f"a neuron updates at most once per step ({steps} steps)",
                )
        if c.get("membrane_updates", 0) > c.get("neuron_updates", math.inf):
            clash("membrane_updates", "neuron_updates", "a membrane changes only when updated")
        if "dense_synapses" in c and c.get("synaptic_events", 0) > c["dense_synapses"]:
            clash(
                "synaptic_events",
                "dense_synapses",
                "effective events are the dense ones that a non-zero input reached",
            )
        if c.get("encoding_macs", 0) > c.get("synaptic_events", 0):
            clash("encoding_macs", "synaptic_events", "encoding MACs are synaptic events")
        if "chips" in c:
            if c["chips"] != int(c["chips"]):
                raise ParameterError(f"{owner}.counts: chips must be a whole number (got "
                                     f"{show(c['chips'])})")  # fmt: skip
            ran = [k for k in ("synaptic_events", "neuron_updates", "spikes", "elapsed_s")
                   if c.get(k, 0) > 0]  # fmt: skip
            if c["chips"] < 1 and ran:
                clash("chips", ran[0], "something ran, so at least one chip was powered")
        updates = c.get("neuron_updates", 0)
        active = c.setdefault("active_updates", updates)
        if active > updates:
            raise ParameterError(
                f"{owner}.counts: active_updates ({active}) exceeds neuron_updates ({updates})"
            )
        c["inactive_updates"] = updates - active
        if "hops" in counts:
            c["hops_ew"] = c.get("hops_ew", 0) + counts["hops"] / 2
            c["hops_ns"] = c.get("hops_ns", 0) + counts["hops"] / 2
        if "elapsed_s" not in c:
            if tick_s <= 0:
                raise ParameterError(f"{owner}.counts: {chip} has no fixed tick; give elapsed_s")
            c["elapsed_s"] = steps * tick_s
        c.setdefault("messages", c.get("spikes", 0))
        c["chip_seconds"] = c["elapsed_s"] * c.setdefault("chips", 1)
        c.setdefault("neurons_and_inputs", c.get("neurons", 0))
        if not c.get("dense_synapses"):
            c["dense_synapses"] = c.get("synaptic_events", 0)
        unknown = [k for k in COUNT_KEYS if k not in c and k not in _DERIVED
                   and k not in _DEFAULTED]  # fmt: skip
        if "neuron_updates" not in c:
            unknown += ["neuron_updates", "active_updates", "inactive_updates"]
        if "spikes" not in c and "messages" not in counts:
            unknown += ["spikes", "messages"]
        if "dense_synapses" not in counts:
            unknown.append("dense_synapses")  # stands at the effective events: a lower bound
        if "neurons" in c:
            c["activation_sparsity"] = 1.0 - c.get("spikes", 0) / max(c["neurons"] * steps, 1)
        else:
            unknown.append("activation_sparsity")
        return cls(steps=steps, **c, unknown=tuple(dict.fromkeys(unknown)))


_DERIVED = {
    "steps",
    "inactive_updates",
    "activation_sparsity",
    "chip_seconds",
    "elapsed_s",
    "messages",
    "neurons_and_inputs",
    "dense_synapses",
    "active_updates",
}
"""Counts :meth:`Counts.from_totals` derives (or defaults, as documented) when not given."""
_DEFAULTED = {
    "encoding_macs",
    "synaptic_updates",
    "chip_crossings",
    "weight_bits",
    "barriers",
    "chips",
    "packets",
    "flits",
}
"""Counts whose absence means none (binary inputs, one chip, ...): 0 or the default is right."""


COUNT_KEYS = tuple(f.name for f in dataclasses.fields(Counts) if f.name != "unknown")


@dataclass(frozen=True, slots=True)
class CoreStepCounts:
    """Counts per step and core, each ``(steps, n_cores)`` float: what the chip model prices
    cell by cell. Messages (and their hops) are charged to the sending core, host messages to
    the receiving core; ``elapsed_s`` and ``chip_seconds`` split each step's time evenly over
    the cores."""

    synaptic_events: np.ndarray
    neuron_updates: np.ndarray
    active_updates: np.ndarray
    inactive_updates: np.ndarray
    spikes: np.ndarray
    messages: np.ndarray
    hops_ew: np.ndarray
    hops_ns: np.ndarray
    chip_crossings: np.ndarray
    elapsed_s: np.ndarray
    chip_seconds: np.ndarray
    synaptic_updates: np.ndarray

    def __getitem__(self, key: str) -> np.ndarray:
        return getattr(self, key)


@dataclass(frozen=True, slots=True)
class PacketLog:
    """Every message batch a run sent: one row per (step, source, destination core).

    ``src`` indexes :attr:`spikemesh.mapping.Mapping.sources` (core programs first, then
    external inputs); ``events`` is the number of spike messages (axon events) in the batch and
    ``synaptic_events`` the synapses they reached at the destination.
    """

    step: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    events: np.ndarray
    synaptic_events: np.ndarray

    @classmethod
    def from_rows(cls, rows: np.ndarray, per_step: np.ndarray) -> PacketLog:
        """From ``(P, 4)`` rows in step order and the number of rows of each step (the columns
        are views of ``rows``, not copies)."""
        step = np.repeat(np.arange(per_step.size, dtype=np.int64), per_step)
        return cls(step, rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3])

    def __len__(self) -> int:
        return int(self.step.size)
