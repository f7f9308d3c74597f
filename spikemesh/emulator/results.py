"""What a run produced: :class:`SimulationResult`, and its :class:`~spikemesh.counts.Counts`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import energy as _energy
from .._validate import check_memory, npy_sizes
from ..counts import CoreStepCounts, Counts, PacketLog, active_updates
from ..exceptions import ParameterError, SpikemeshError
from .timing import TimingResult, replay

__all__ = ["COUNTERS", "SimulationResult", "SpikeRecord"]


def _plain(obj):
    """JSON-ready copy: NumPy scalars and arrays as Python numbers and lists."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _fingerprint(mapping) -> dict:
    """What a saved result must be loaded against: network, population sizes, chip, cores."""
    net = mapping.network
    return {"network": net.name, "chip": mapping.chip.name, "cores": int(mapping.n_cores),
            "populations": [[k, int(p.n)] for k, p in net.populations.items()],
            "synapses": int(net.n_synapses)}  # fmt: skip


def _check_arrays(
    bad, mapping, steps, spikes, probes, counters, packets, inputs, cycles, meta, tarr
) -> None:
    """Every array of a result file against the mapping it is loaded with: names, shapes,
    integer dtypes, the timing mode."""
    from .timing import MODES

    net = mapping.network

    def want(what, a, shape):
        a = np.asarray(a)
        if a.dtype.kind not in "iu" or a.shape != shape:
            raise bad(f"{what} is {a.dtype}{list(a.shape)}; the mapping needs integers shaped "
                      f"{list(shape)}")  # fmt: skip

    if steps < 0:
        raise bad(f"steps = {steps}")
    if set(spikes) != set(net.populations):
        raise bad(f"its spike trains are of {sorted(spikes)}; the network has "
                  f"{sorted(net.populations)}")  # fmt: skip
    for name, a in spikes.items():
        want(f"spikes[{name!r}]", a, (steps, net.populations[name].n))
    for name, per in probes.items():
        if name not in net.populations:
            raise bad(f"it probes {name!r}, which the network does not have")
        for var, a in per.items():
            if var not in net.populations[name].neuron.state_vars:
                raise bad(f"it probes {name!r}.{var}, which {net.populations[name].neuron.model} "
                          "does not have")  # fmt: skip
            want(f"probes[{name!r}][{var!r}]", a, (steps, net.populations[name].n))
    for name, a in inputs.items():
        if name not in net.inputs:
            raise bad(f"it holds input {name!r}, which the network does not have")
        want(f"inputs[{name!r}]", a, (steps, net.inputs[name].n))
    if "synaptic_updates" not in counters and set(counters) == set(COUNTERS) - {"synaptic_updates"}:
        counters["synaptic_updates"] = np.zeros(
            (steps, mapping.n_cores), np.int64
        )  # saved before learning
    if set(counters) != set(COUNTERS):
        raise bad(f"its counters are {sorted(counters)}; a result has {sorted(COUNTERS)}")
    for name, a in counters.items():
        want(f"counters[{name!r}]", a, (steps, mapping.n_cores))
    want("cycles", cycles, (steps,))
    lens = {np.asarray(a).shape for a in packets.values()}
    if len(lens) > 1 or any(len(sh) != 1 for sh in lens):
        raise bad(f"its packet log's columns differ in shape ({sorted(lens)})")
    t = meta["timing"]
    if t is not None and t.get("mode") not in MODES:
        raise bad(f"timing mode {t.get('mode')!r}; modes are {', '.join(MODES)}")
    if t is not None:
        for f in ("cycles", "latency_s"):
            if f in tarr and np.asarray(tarr[f]).shape != (steps,):
                raise bad(f"timing {f} is shaped {list(np.asarray(tarr[f]).shape)}, not [{steps}]")


COUNTERS = (
    "synaptic_events",
    "neuron_updates",
    "state_changes",
    "spikes",
    "packets",
    "axon_events",
    "overflows",
    "synaptic_updates",
)
"""Counters per step and core, in the order of the simulator's counter table."""


class Weights(dict):
    """Plastic projections' final weights: ``res.weights[name]`` or ``res.weights[projection]``
    (a :class:`~spikemesh.network.Projection`), each ``(n_pre, n_post)`` int64."""

    def __getitem__(self, key):
        name = getattr(key, "name", key)
        if not dict.__contains__(self, name):
            have = ", ".join(repr(k) for k in self) or "none: the network has no plastic projection"
            raise KeyError(f"no plastic projection {name!r}; plastic projections: {have}")
        return dict.__getitem__(self, name)

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, getattr(key, "name", key))


def _check_weights(bad, mapping, weights, history, wsteps) -> None:
    """A result file's plastic weights against the mapping's network: names, shapes, ints."""
    projs = {p.name: p for p in mapping.network.projections if p.learning is not None}
    for what, table in (("weights", weights), ("weight_history", history)):
        for name in table:
            if name not in projs:
                raise bad(f"it holds {what} of {name!r}, which is not a plastic projection of "
                          "the network")  # fmt: skip
    for name in projs:
        if name not in weights:
            raise bad(f"it has no weights of plastic projection {name!r}")
    for name, a in weights.items():
        p = projs[name]
        if a.dtype.kind not in "iu" or a.shape != (p.pre.n, p.post.n):
            raise bad(f"weights[{name!r}] is {a.dtype}{list(a.shape)}; the mapping needs "
                      f"integers shaped {[p.pre.n, p.post.n]}")  # fmt: skip
    for name, a in history.items():
        p = projs[name]
        st = wsteps.get(name)
        if (
            a.dtype.kind not in "iu"
            or a.ndim != 3
            or a.shape[1:] != (p.pre.n, p.post.n)
            or (st is None or st.shape != (a.shape[0],))
        ):
            raise bad(f"weight_history[{name!r}] is {a.dtype}{list(a.shape)} with "
                      f"{None if st is None else list(st.shape)} epoch steps; the mapping needs "
                      f"integers shaped [epochs, {p.pre.n}, {p.post.n}] and one step per epoch")  # fmt: skip


class SpikeRecord(Mapping):
    """Each population's spikes of one run, recorded as events (step, neuron, payload) -- 12
    bytes a spike, nothing for a silent neuron -- and read like a dict of dense arrays.

    ``record[name]`` is the ``(steps, n)`` int32 payload array (0 = no spike), built on first
    access and kept (the same array every time); :meth:`events` gives the events sorted by
    (step, neuron) and :meth:`count` the number of spikes, neither building the dense array.
    """

    def __init__(self, steps: int, sizes: dict, events: dict | None = None,
                 dense: dict | None = None):  # fmt: skip
        self.steps = int(steps)
        self._sizes = {str(k): int(v) for k, v in sizes.items()}
        self._events = dict(events or {})
        self._dense = dict(dense or {})
        for name in self._sizes:
            if name not in self._events and name not in self._dense:
                raise ValueError(f"SpikeRecord: no events or array for population {name!r}")

    def __getitem__(self, name):
        a = self._dense.get(name)
        if a is not None:
            return a
        if name not in self._sizes:
            raise KeyError(name)
        n = self._sizes[name]
        check_memory("SimulationResult.spikes", 4.0 * self.steps * n,
                     f"the dense spike array of {name!r} ({self.steps:,} steps x {n:,} neurons)")  # fmt: skip
        a = np.zeros((self.steps, n), np.int32)
        ev = self._events[name]
        a[ev[:, 0], ev[:, 1]] = ev[:, 2]
        self._dense[name] = a
        return a

    def __iter__(self):
        return iter(self._sizes)

    def __len__(self) -> int:
        return len(self._sizes)

    def __contains__(self, name) -> bool:
        return name in self._sizes

    def _rows(self, name) -> np.ndarray:
        if name not in self._sizes:
            raise KeyError(name)
        ev = self._events.get(name)
        if ev is None:
            a = self._dense[name]
            t, i = np.nonzero(a)
            ev = np.stack([t, i, a[t, i]], axis=1).astype(np.int32).reshape(-1, 3)
            self._events[name] = ev
        return ev

    def events(self, name) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(step, neuron, payload)`` int32 arrays of population ``name``'s spikes, sorted
        by step, then neuron (steps counted from the run's first step)."""
        ev = self._rows(name)
        order = np.lexsort((ev[:, 1], ev[:, 0]))
        ev = ev[order]
        return ev[:, 0].copy(), ev[:, 1].copy(), ev[:, 2].copy()

    def count(self, name=None) -> int:
        """Spikes of population ``name`` (all populations: None)."""
        names = list(self._sizes) if name is None else [name]
        return sum(int(self._rows(k).shape[0]) for k in names)

    def __repr__(self) -> str:
        pops = ", ".join(f"{k!r}: {self.count(k):,}" for k in self._sizes)
        return f"SpikeRecord({self.steps} steps; spikes {{{pops}}})"


@dataclass
class SimulationResult:
    """What one :meth:`Simulator.run` call produced.

    Attributes
    ----------
    spikes : SpikeRecord (name -> (steps, n) int32)
        Spike payloads per population (0/1 for binary spikes), recorded as events and read
        as dense arrays (:class:`SpikeRecord`: also ``events(name)`` and ``count(name)``).
    probes : dict name -> dict var -> (steps, n) int32
        Recorded state variables.
    counters : dict name -> (steps, n_cores) int64
        Per step and core: ``synaptic_events`` (synapses a delivered event touched, at the
        destination core, in the step the spike was emitted), ``neuron_updates``,
        ``state_changes`` (neurons whose state changed), ``spikes``, ``packets`` (batches sent,
        one per destination core per step), ``axon_events`` (spike messages sent) and
        ``overflows`` (registers that wrapped or saturated) and ``synaptic_updates`` (the
        learning engine's, at each epoch's end: one per synapse of a plastic projection).
    weights : Weights (projection name or Projection -> (n_pre, n_post) int64)
        Plastic projections' weights as stored after the run (0 where there is no synapse).
    weight_history : dict name -> (epochs, n_pre, n_post) int64
        Of projections probed with ``net.probe(projection, "weights")``: the weights after
        every epoch's update of this run; ``weight_steps[name]`` the steps those epochs ended.
    cycles : (steps,) int64
        Cycles per step from the timing model (0 with ``timing="none"``).
    timing : TimingResult or None
        Latency, tick overruns, core busy time, link flits, critical path
        (:class:`~spikemesh.emulator.timing.TimingResult`); None with ``timing="none"``.
    packets : PacketLog
        Every batch of spike messages sent (step, source, destination core, messages,
        synaptic events).
    t0 : int
        First step of this run (runs continue from where the last one stopped).
    """

    spikes: dict
    probes: dict
    counters: dict
    cycles: np.ndarray
    t0: int
    steps: int
    overflows: int
    meta: dict
    timing: TimingResult | None
    packets: PacketLog
    mapping: object
    inputs: dict = field(default_factory=dict)  # input name -> (steps, n) payloads given
    weights: dict = field(default_factory=lambda: Weights())
    weight_history: dict = field(default_factory=dict)
    weight_steps: dict = field(default_factory=dict)
    _counts: tuple | None = field(default=None, repr=False)

    def total(self, counter: str) -> int:
        return int(self.counters[counter].sum())

    # ------------------------------------------------------------------ files
    def save(self, path) -> None:
        """Write the result as a compressed ``.npz`` of plain arrays and JSON text (no pickle):
        spikes, probes, counters, cycles, the packet log and the timing. :meth:`load` reads it
        back, given the mapping it ran on."""
        arrays = {"cycles": np.asarray(self.cycles)}
        # arrays are keyed by position, names kept in the metadata: any legal name round-trips
        spike_names = list(self.spikes)
        for i, name in enumerate(spike_names):
            arrays[f"spikes/{i}"] = self.spikes[name]
        probe_keys = [(name, var) for name, per in self.probes.items() for var in per]
        for i, (name, var) in enumerate(probe_keys):
            arrays[f"probes/{i}"] = self.probes[name][var]
        input_names = list(self.inputs)
        for i, name in enumerate(input_names):
            arrays[f"inputs/{i}"] = self.inputs[name]
        for name, a in self.counters.items():
            arrays[f"counters/{name}"] = np.ascontiguousarray(a)
        weight_names = list(self.weights)
        for i, name in enumerate(weight_names):
            arrays[f"weights/{i}"] = dict.__getitem__(self.weights, name)
        history_names = list(self.weight_history)
        for i, name in enumerate(history_names):
            arrays[f"weight_history/{i}"] = self.weight_history[name]
            arrays[f"weight_steps/{i}"] = np.asarray(self.weight_steps[name], np.int64)
        for f in ("step", "src", "dst", "events", "synaptic_events"):
            arrays[f"packets/{f}"] = np.asarray(getattr(self.packets, f))
        timing = None
        if self.timing is not None:
            tr = self.timing
            for f in ("cycles", "latency_s", "active_s", "tick_overruns", "core_busy"):
                arrays[f"timing/{f}"] = np.asarray(getattr(tr, f))
            timing = {"mode": tr.mode, "events": int(tr.events),
                      "link_flits": {str(k): int(v) for k, v in tr.link_flits.items()},
                      "critical_path": _plain(tr.critical_path)}  # fmt: skip
        meta = {
            "format": "spikemesh-result", "version": 2, "t0": int(self.t0),
            "spikes": spike_names, "probes": [list(k) for k in probe_keys], "inputs": input_names,
            "weights": weight_names, "weight_history": history_names,
            "steps": int(self.steps), "overflows": int(self.overflows), "meta": _plain(self.meta),
            "timing": timing, "fingerprint": _fingerprint(self.mapping),
        }  # fmt: skip
        arrays["__meta__"] = np.array(json.dumps(meta))
        with open(Path(path), "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path, mapping) -> SimulationResult:
        """A result written by :meth:`save`, bound to ``mapping`` (the mapping it ran on: the
        same network on the same chip, checked); a malformed file raises SpikemeshError."""
        from ..mapping import Mapping

        path = Path(path)

        def bad(reason):
            return SpikemeshError(
                f"SimulationResult.load: {path} is not a spikemesh result file (an .npz written "
                f"by SimulationResult.save): {reason}"
            )

        if not isinstance(mapping, Mapping):
            raise ParameterError(
                f"SimulationResult.load.mapping: must be the Mapping the run used (got "
                f"{type(mapping).__name__})"
            )
        if path.is_dir() or not path.exists():
            raise bad("it is a directory" if path.is_dir() else "no such file")
        declared = npy_sizes(path)  # sizes from the headers, before anything is loaded
        if declared is not None:
            check_memory("SimulationResult.load", declared, f"the arrays {path.name} declares")
        try:
            archive = np.load(path, allow_pickle=False)
        except Exception:
            raise bad("not a NumPy .npz archive") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise bad("it holds a single array")
        try:
            data = {k: archive[k] for k in archive.files}
        except ValueError:
            raise bad("it holds pickled (object) arrays, which spikemesh never loads") from None
        except Exception as exc:
            raise bad(f"the archive is damaged ({type(exc).__name__})") from None
        finally:
            archive.close()
        try:
            meta = json.loads(str(data.pop("__meta__")))
            if meta.get("format") != "spikemesh-result":
                raise bad("its metadata names another format")
            if meta["fingerprint"] != _fingerprint(mapping):
                raise SpikemeshError(
                    f"SimulationResult.load: {path} was recorded on another mapping "
                    f"({meta['fingerprint']['network']!r} on {meta['fingerprint']['chip']!r}, "
                    f"{meta['fingerprint']['cores']} cores); give the mapping it ran on"
                )
            if meta.get("version") != 2:
                raise bad(f"it is format version {meta.get('version')!r}; this spikemesh reads "
                          "version 2 (save it again)")  # fmt: skip
            spikes, probes, counters, packets, tarr, inputs = {}, {}, {}, {}, {}, {}
            weights, history, wsteps = Weights(), {}, {}
            for key, a in data.items():
                kind, _, rest = key.partition("/")
                if kind == "spikes":
                    spikes[meta["spikes"][int(rest)]] = a
                elif kind == "probes":
                    name, var = meta["probes"][int(rest)]
                    probes.setdefault(name, {})[var] = a
                elif kind == "inputs":
                    inputs[meta["inputs"][int(rest)]] = a
                elif kind == "counters":
                    counters[rest] = a
                elif kind == "packets":
                    packets[rest] = a
                elif kind == "timing":
                    tarr[rest] = a
                elif kind == "weights":
                    weights[meta["weights"][int(rest)]] = a
                elif kind == "weight_history":
                    history[meta["weight_history"][int(rest)]] = a
                elif kind == "weight_steps":
                    wsteps[meta["weight_history"][int(rest)]] = a
            steps = int(meta["steps"])
            _check_arrays(bad, mapping, steps, spikes, probes, counters, packets, inputs,
                          data["cycles"], meta, tarr)  # fmt: skip
            _check_weights(bad, mapping, weights, history, wsteps)
            timing = None
            if meta["timing"] is not None:
                t = meta["timing"]
                timing = TimingResult(mode=t["mode"], **tarr, link_flits=dict(t["link_flits"]),
                                      critical_path=t["critical_path"], events=t["events"])  # fmt: skip
            record = SpikeRecord(steps, {k: np.asarray(a).shape[1] for k, a in spikes.items()},
                                 dense=spikes)  # fmt: skip
            return cls(spikes=record, probes=probes, counters=counters, cycles=data["cycles"],
                       t0=int(meta["t0"]), steps=steps,
                       overflows=int(meta["overflows"]), meta=meta["meta"], timing=timing,
                       packets=PacketLog(**packets), mapping=mapping, inputs=inputs,
                       weights=weights, weight_history=history, weight_steps=wsteps)  # fmt: skip
        except SpikemeshError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            detail = f"missing entry {exc}" if isinstance(exc, KeyError) else type(exc).__name__
            raise bad(f"it is malformed ({detail})") from None

    def counts(self) -> Counts:
        """Totals of this run (:class:`~spikemesh.counts.Counts`), what energy prices."""
        return self._count()[0]

    def core_step_counts(self) -> CoreStepCounts:
        """Counts per step and core (:class:`~spikemesh.counts.CoreStepCounts`)."""
        return self._count()[1]

    def energy(self, *, energy_set: str | None = None, synops: str = "fp32", ann: str = "int8",
               formula=None):  # fmt: skip
        """Energy of this run under every model (:func:`spikemesh.energy.report`)."""
        totals, per = self._count()
        m = self.mapping
        shares = {}
        for c, prog in enumerate(m.cores):
            for s in prog.slices:
                share = shares.setdefault(s.pop.name, np.zeros(m.n_cores))
                share[c] += s.n / prog.n_neurons
        models = tuple(dict.fromkeys(s.pop.neuron.model for prog in m.cores for s in prog.slices))
        return _energy.report(m.chip, totals, per_core_step=per, population_shares=shares,
                              energy_set=energy_set, synops=synops, ann=ann, formula=formula,
                              neuron_models=models)  # fmt: skip

    def neurobench(self, populations=None) -> dict:
        """NeuroBench 2.3's workload metrics of this run, one sample, with NeuroBench's names:
        ``{"ActivationSparsity", "MembraneUpdates", "SynapticOperations": {"Effective_MACs",
        "Effective_ACs", "Dense"}}``, counted over the user's populations (``populations``:
        names, default all; splitters and relays are not populations) and every step of the
        run, each projection a layer (Dense: ``n_pre x n_post`` per step, bias excluded; a
        spike's operations count in the step it was sent). MembraneUpdates reads each
        population's ``v`` probe (``net.probe(pop, "v")`` before mapping). The chip's own
        totals (:meth:`counts`) count what the cores did instead (every synapse stored, the
        mapper's extra neurons). See :func:`spikemesh.counts.neurobench_metrics`."""
        from ..counts import neurobench_metrics

        net = self.mapping.network
        names = list(net.populations) if populations is None else list(populations)
        for n in names:
            if n not in net.populations:
                raise ParameterError(
                    f"SimulationResult.neurobench.populations: no population {n!r}; the "
                    f"network has: {', '.join(net.populations)}"
                )
        acts = {n: self.spikes[n] for n in names}
        mems, resets = {}, {}
        for n in names:
            v = self.probes.get(n, {}).get("v")
            if v is None:
                raise ParameterError(
                    f"SimulationResult.neurobench: population {n!r} has no 'v' probe; "
                    f"MembraneUpdates reads the membrane (net.probe({n!r}, 'v') before "
                    "mapping)"
                )
            mems[n] = v
            resets[n] = (
                "subtract" if net.populations[n].neuron.model == "CubaLIFSubtract" else "nir"
            )
        layers = []
        for p in net.projections:
            if p.pre.name not in acts and p.pre.name not in net.inputs:
                continue
            if p.post.name not in acts:
                continue
            x = (
                self.spikes.get(p.pre.name)
                if p.pre.name in self.spikes
                else self.inputs.get(p.pre.name)
            )
            if x is None:  # an input never given: all zero
                continue
            fan = np.bincount(p.pre_idx[p.weight != 0], minlength=p.pre.n)
            layers.append((x, fan, p.pre.n * p.post.n))
        return neurobench_metrics(acts, mems, resets, layers)

    # ------------------------------------------------------------------ counting
    def _elapsed(self, updates, changed, spikes) -> np.ndarray:
        """Chip time of each step: this run's timing, or the analytic model after the fact."""
        if self.timing is not None:  # the learning phase is in its cycles
            return np.asarray(self.timing.latency_s, float)
        timing = replay(self.mapping, "analytic", updates, changed, spikes, self.packets,
                        learning=self.counters["synaptic_updates"])  # fmt: skip
        return np.asarray(timing.latency_s, float)

    def _count(self) -> tuple[Counts, CoreStepCounts]:
        if self._counts is not None:
            return self._counts
        m = self.mapping
        steps, n_cores = self.steps, m.n_cores
        cnt = self.counters
        pk = self.packets
        mesh = m.mesh()
        state_bits = np.array([c.spec.state_bits for c in m.cores], float)
        payload_bits = np.array([s.payload_bits for s in m.sources], float)
        nsyn = np.array([c.n_synapses for c in m.cores], float)
        with np.errstate(invalid="ignore", divide="ignore"):
            syn_bits = np.where(nsyn > 0, [c.synapse_bits for c in m.cores] / nsyn, 0.0)
            wbits = np.where(nsyn > 0, [c.weight_bits_total for c in m.cores] / nsyn, 0.0)
        active = active_updates(cnt["state_changes"], cnt["spikes"]).astype(float)
        updates = cnt["neuron_updates"].astype(float)
        src, dst, syn = pk.src, pk.dst, pk.synaptic_events.astype(float)
        msgs = pk.events.astype(float)  # spike messages per batch
        owner = np.where(src < n_cores, src, dst)  # host batches are charged to the receiver
        ew, ns, cross = mesh.hop_counts(src, dst)  # per batch, for each of its messages
        per_msg = {}  # per (step, core): messages, and hops of every message
        for key, per_packet in zip(("messages", "hops_ew", "hops_ns", "chip_crossings"),
                                   (1, ew, ns, cross), strict=True):  # fmt: skip
            grid = np.zeros((steps, n_cores))
            np.add.at(grid, (pk.step, owner), msgs * per_packet)
            per_msg[key] = grid
        b_s = payload_bits[src]
        is_input = src >= n_cores
        elapsed = self._elapsed(updates, cnt["state_changes"], cnt["spikes"])
        chips = m.chips_used
        share = np.repeat(elapsed[:, None] / max(n_cores, 1), n_cores, axis=1)
        per = CoreStepCounts(
            synaptic_events=cnt["synaptic_events"].astype(float), neuron_updates=updates,
            active_updates=active, inactive_updates=updates - active,
            spikes=cnt["spikes"].astype(float), **per_msg, elapsed_s=share,
            chip_seconds=share * chips, synaptic_updates=cnt["synaptic_updates"].astype(float),
        )  # fmt: skip
        user_neurons = sum(p.n for p in m.network.populations.values())
        if isinstance(self.spikes, SpikeRecord):
            user_spikes = self.spikes.count()
        else:
            user_spikes = sum(int(np.count_nonzero(s)) for s in self.spikes.values())
        dense = int(nsyn.sum()) * steps
        totals = Counts(
            steps=steps,
            neurons=int(sum(c.n_neurons for c in m.cores)),
            neurons_and_inputs=user_neurons + sum(s.n for s in m.network.inputs.values()),
            synaptic_events=int(per.synaptic_events.sum()),
            synaptic_event_bits=int((syn * b_s).sum()),
            weighted_event_bits=round(float((syn * b_s * wbits[dst]).sum())),
            weight_bits_read=round(float((syn * wbits[dst]).sum())),
            payload_bit_hops=int((msgs * b_s * (ew + ns)).sum()),
            dense_synapses=dense,
            neuron_updates=int(updates.sum()),
            active_updates=int(active.sum()),
            inactive_updates=int(per.inactive_updates.sum()),
            membrane_updates=int(cnt["state_changes"].sum()),
            spikes=int(per.spikes.sum()),
            spike_bits=int((per.spikes * payload_bits[:n_cores]).sum()),
            messages=int(msgs.sum()),
            packets=len(pk),
            flits=int(msgs.sum()) * mesh.flits_per_message,
            hops_ew=int(per.hops_ew.sum()),
            hops_ns=int(per.hops_ns.sum()),
            chip_crossings=int(per.chip_crossings.sum()),
            barriers=steps,
            synapse_bits_read=round(float((syn * syn_bits[dst]).sum())),
            state_bits_read=int((updates * state_bits).sum()),
            state_bits_written=int((active * state_bits).sum()),
            encoding_macs=int(syn[is_input & (b_s > 1)].sum()),
            synaptic_updates=int(cnt["synaptic_updates"].sum()),
            elapsed_s=float(elapsed.sum()),
            chips=chips,
            chip_seconds=float(elapsed.sum()) * chips,
            activation_sparsity=1.0 - user_spikes / max(user_neurons * steps, 1),
            weight_bits=float(np.average(wbits, weights=nsyn)) if dense else 8.0,
        )
        self._counts = (totals, per)
        return self._counts
