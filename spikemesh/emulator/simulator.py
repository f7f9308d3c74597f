"""The functional simulator: runs a :class:`~spikemesh.mapping.Mapping` step by step.

Every step runs named phases over every core (:class:`~spikemesh.emulator.core.Core` holds the
step rule):

``update``  every core reads its ring slot t and advances its neurons (kernels);
``emit``    spikes of step t and the external inputs given for step t become spike messages,
            batched per (source, destination core), and go straight into the destination rings
            at slots t + delay (all in the future: every core has already read slot t) -- one
            kernel call for every source of the network (``kernels.NetDeliver``);
``record``  spikes and probes;
``learn``   plastic projections (:mod:`spikemesh.learning`): the step's pre and post spikes
            advance their traces; at an epoch's end the rules rewrite the weights in the cores'
            synapse tables (read from the next step on) and count synaptic updates;
``time``    the timing model (if any) turns the step's counts and batches into cycles (and the
            learning phase into cycles of the steps that end an epoch).

A run starts with ``plan`` (validated inputs, preallocated outputs and counters) and ends with
a :class:`~spikemesh.emulator.results.SimulationResult`. Timing never changes what is computed:
a spike emitted in step t reaches its targets in step t + delay whatever the NoC does.
"""

from __future__ import annotations

import gc
import warnings
from dataclasses import dataclass

import numpy as np

from .. import kernels
from .._validate import check_choice, check_int, check_mapping, check_memory, int_array
from ..counts import PacketLog, active_updates
from ..exceptions import (
    FixedPointOverflowError,
    MappingError,
    OverflowWarning,
    ParameterError,
    ShapeError,
    SpikemeshError,
    SpikemeshWarning,
)
from ..mapping import Mapping
from ..program import Route
from .core import Core
from .results import COUNTERS, SimulationResult, SpikeRecord, Weights
from .timing import ENGINES, TimingModel
from .timing import MODES as TIMING_MODES

__all__ = ["COUNTERS", "OVERFLOW_MODES", "SimulationResult", "Simulator"]

# columns of the per-step, per-core counter table (COUNTERS order)
SYN, UPD, CHG, SPK, PKT, AXN, OVF, LRN = range(len(COUNTERS))
OVERFLOW_MODES = ("wrap", "count", "raise")
NCOL = len(COUNTERS)


PHASES = ("update", "emit", "record", "learn", "time")
"""The phases of one step, in order (module docstring). The per-step loop calls the methods of
these names; the compiled loop (``kernels.NetStep``) runs the first three in this order for
many steps (with plastic projections: up to each epoch's end, then the learn phase of those
steps), and the timing model runs afterwards over each step's counts and batches (timing
never changes spikes)."""


@dataclass(slots=True)
class _Learner:
    """One plastic projection at run time: its engine, where its synapses are stored and
    where its pre and post spikes come from."""

    name: str
    proj: object  # network.Projection
    engine: object  # learning.Plasticity
    per_core: np.ndarray  # synapses per core program (updates per epoch)
    where: list  # per core holding synapses: (core, selection, positions, their input axons)
    pre: tuple  # ("input", k) or ("pop", name)
    post: str
    shape: tuple


def _shape_of(net) -> tuple:
    return (len(net.inputs), len(net.populations), len(net.projections), len(net.probes))


def _check_unchanged(mapping, owner: str, full: bool = True) -> None:
    """Refuse a mapping whose network was edited after it was mapped: every part compared
    (``full``, at Simulator creation) or the parts counted (each run: cheap)."""
    net = mapping.network
    fp = getattr(mapping, "network_fingerprint", None)
    if fp is None:
        return
    if not full and getattr(mapping, "_network_shape", None) == _shape_of(net):
        return
    changes = net.changes_since(fp)
    if changes:
        more = f" and {len(changes) - 5} more" if len(changes) > 5 else ""
        raise MappingError(
            f"{owner}: network {net.name!r} changed after it was mapped ({', '.join(changes[:5])}"
            f"{more}); the mapping describes the network as it was: map it again "
            "(sm.map_network)"
        )
    mapping._network_shape = _shape_of(net)


def _usable_cpus() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


@dataclass(slots=True)
class _Run:
    """Everything one ``run`` call writes: preallocated before the first step."""

    steps: int
    inputs: list  # per input source (mapping order): its (steps, n) payloads or None
    spike_pops: dict  # user population name -> n (the record's populations, in order)
    spike_items: list  # (population index, lo, hi, view of the core's spike buffer)
    spike_parts: list  # per population: (k, 3) int32 event blocks of the per-step path
    probes: dict
    probe_items: list  # (output array, lo, hi, state array)
    table: np.ndarray  # (steps, n_cores, NCOL) int64 counters
    cells: memoryview  # flat view of ``table`` for fast scalar writes
    batches: np.ndarray  # (capacity, 4) int64 rows (src, dst, messages, synaptic events)
    per_step: np.ndarray  # (steps,) batches of each step (rows in step order)
    used: int  # rows of ``batches`` filled so far
    cycles: np.ndarray
    busy: np.ndarray | None
    slowest: list  # [cycles, critical dict]
    weight_probes: dict  # probed plastic projection -> ([weights after each epoch], [steps])
    overflows: int = 0


class Simulator:
    """Run a mapped network.

    Parameters
    ----------
    mapping : Mapping
        From :func:`spikemesh.map_network`. The simulator never changes it.
    timing : {"none", "analytic", "cycle"}
        Timing model (:mod:`spikemesh.emulator.timing`): none (cycles 0), the contention-free
        bound, or the SimPy network-on-chip model with link contention. Timing never changes
        spikes or states.
    seed : int
        Seeds the stochastic neuron modes (counter-based: same seed, same result).
    backend : {"cython", "numpy"}, optional
        Kernel backend; default the active one.
    overflow : {"count", "wrap", "raise"}
        What a register that wraps or saturates does (the arithmetic is always the silicon's:
        two's-complement wrap on Loihi, saturation on TrueNorth and IF). ``"count"`` (default):
        counted in ``res.counters["overflows"]`` and ``res.overflows``, and an
        :class:`~spikemesh.exceptions.OverflowWarning` after the run names the populations;
        ``"wrap"``: counted, no warning; ``"raise"``:
        :class:`~spikemesh.exceptions.FixedPointOverflowError` at the first one, naming the
        population, neuron, register and step (slower: state is copied before each update).
    noc : {"engine", "simpy"}
        The engine of the timing model: the compiled event queue (default; its NumPy/heapq twin
        with the numpy backend) or the SimPy model it is the twin of (same cycles, flits and
        critical paths; slower, and the place to extend the model with SimPy processes).
    threads : int
        Threads of the compiled step loop (cython backend, built with OpenMP): the cores are
        shared among them, each updates its own cores and delivers into them; the timing engine
        shares the run's steps among them (each step's NoC is independent: it is empty at the
        barrier). The result is the same for any count. Pays only at chip scale and on CPUs
        nothing else is using: the threads spin at every step's barrier (bench_recurrent's
        100k case on 2 cores: 1.9x with 2 threads on an idle machine, 0.39x with another
        process busy on one core; docs/benchmarks.md). More threads than usable CPUs warns.
        Default 1.
    """

    def __init__(
        self, mapping: Mapping, timing: str = "none", seed: int = 0, backend: str | None = None,
        overflow: str = "count", noc: str = "engine", threads: int = 1,
    ):  # fmt: skip
        if not isinstance(mapping, Mapping):
            raise ParameterError(
                f"Simulator.mapping: must be a Mapping from map_network (got {type(mapping).__name__})"
            )
        _check_unchanged(mapping, "Simulator")
        check_choice("Simulator", "timing", timing, TIMING_MODES)
        check_choice("Simulator", "overflow", overflow, OVERFLOW_MODES)
        check_choice("Simulator", "noc", noc, ENGINES)
        self.overflow = overflow
        self.noc = noc
        self.threads = check_int("Simulator", "threads", threads, 1, 256)
        usable = _usable_cpus()
        if self.threads > usable:
            warnings.warn(
                f"spikemesh: Simulator(threads={self.threads}) on {usable} CPU(s) this process may "
                "use: the threads wait for each other at every step's barrier and the run is "
                "slower than with one (the same numbers either way); see docs/benchmarks.md",
                SpikemeshWarning, stacklevel=2,
            )  # fmt: skip
        self.mapping = mapping
        self.timing = timing
        self.seed = check_int("Simulator", "seed", seed, 0, 2**64 - 1)
        self._k = kernels.get(backend)
        self.backend = backend or kernels.BACKEND
        self._probes = [(p.target.name, p.var) for p in mapping.network.probes]
        self.reset()

    def reset(self) -> None:
        """Back to step 0 with the initial state; empty delay rings."""
        m = self.mapping
        self.t = 0
        self._broken = None  # the step a run stopped in, until reset()
        self._timing = (TimingModel(m, self.timing, self.noc, self.backend, self.threads)
                        if self.timing != "none" else None)  # fmt: skip
        self._cores = [Core.from_program(p, self.seed, self.backend) for p in m.cores]
        routes: list[Route] = list(m.core_routes) + list(m.input_routes.values())
        weights = [c.table.weights for c in self._cores]
        self._learners = self._make_learners(weights)  # writable copies where synapses learn
        self._weights = weights
        tables = [(c.table.indptr, c.table.targets, w, c.table.delays,
                   c.table.row_exp, c.table.acc_shift, c.ring)
                  for c, w in zip(self._cores, weights, strict=True)]  # fmt: skip
        self._net = self._k.NetDeliver(
            tables, [(r.indptr, r.dest, r.axon, np.array(r.targets, np.int32)) for r in routes],
            [c.spikes for c in self._cores], (SYN, PKT, AXN),
        )  # fmt: skip
        groups = [
            (c, s.offset * core.width, g.native())
            for c, (core, prog) in enumerate(zip(self._cores, m.cores, strict=True))
            for g, s in zip(core.groups, prog.slices, strict=True)
        ]
        # the step loop when every group has a native descriptor whose kernel has an adapter
        fast = self._k.step_models()
        self._step = (self._k.NetStep(self._net, [(c, a, *d) for c, a, d in groups],
                                      (CHG, SPK, OVF))
                      if all(d is not None and d[0] in fast for _, _, d in groups)
                      else None)  # fmt: skip
        self._net.track = bool(self._learners)  # single weights re-read at epoch ends
        self._net.set_threads(self.threads)

    def _make_learners(self, weights: list) -> list[_Learner]:
        """Learning engines of the plastic projections; the weight arrays of their cores are
        replaced by writable copies (the mapping's tables are never written)."""
        from ..learning import Plasticity

        m = self.mapping
        net = m.network
        out = []
        copied: set[int] = set()
        for proj in net.projections:
            if proj.learning is None:
                continue
            core, pos = m.plastic[proj.name]
            stored = np.zeros(core.size, np.int64)
            where = []  # per core: (core, its synapses, their table positions and input axons)
            for c in np.unique(core).tolist():
                if c not in copied:
                    weights[c] = np.array(weights[c], np.int16)
                    copied.add(c)
                sel = np.flatnonzero(core == c)
                p = np.ascontiguousarray(pos[sel], np.int64)
                stored[sel] = weights[c][p]
                axon = np.searchsorted(self._cores[c].table.indptr, p, side="right") - 1
                where.append((c, sel, p, np.ascontiguousarray(axon, np.int64)))
            seed = self.seed if proj.learning.rng_seed is None else proj.learning.rng_seed
            if seed >= 2**63 - 4:
                warnings.warn(
                    f"Simulator.seed: projection {proj.name!r}'s learning traces draw from a seed "
                    f"below 2**63 - 4; seed {seed} is folded to {seed % (2**63 - 4)} (the stream "
                    "a Simulator with that seed would draw)", SpikemeshWarning, stacklevel=3)  # fmt: skip
            eng = Plasticity(proj.learning, proj.pre_idx, proj.post_idx, proj.pre.n, proj.post.n,
                             stored, sign_mode=proj.sign_mode, rng_seed=seed % (2**63 - 4),
                             kernels=self._k)  # fmt: skip
            pre = (("input", list(m.input_routes).index(proj.pre.name))
                   if proj.pre.name in net.inputs else ("pop", proj.pre.name))  # fmt: skip
            out.append(_Learner(proj.name, proj, eng,
                                np.bincount(core, minlength=len(self._cores)), where, pre,
                                proj.post.name, (proj.pre.n, proj.post.n)))  # fmt: skip
        return out

    # ------------------------------------------------------------------ plan

    def _check_inputs(self, steps: int, inputs) -> dict[str, np.ndarray]:
        net = self.mapping.network
        inputs = dict(inputs or {})
        out = {}
        for name, x in inputs.items():
            if name not in net.inputs:
                raise ParameterError(
                    f"Simulator.run.inputs: network {net.name!r} has no input {name!r}; "
                    f"its inputs are: {', '.join(net.inputs) or '(none)'}"
                )
            src = net.inputs[name]
            lo, hi = src.payload_range
            arr = int_array(f"Simulator.run.inputs[{name!r}]", "values", x, lo, hi)
            if arr.ndim > 2 and arr.shape[0] == steps and int(np.prod(arr.shape[1:])) == src.n:
                arr = arr.reshape(steps, src.n)  # (steps, *input_shape), C order (NIR, NCHW)
            if arr.shape != (steps, src.n):
                raise ShapeError(
                    f"Simulator.run.inputs[{name!r}]: must have shape (steps, n) = ({steps}, {src.n}) "
                    f"or (steps, *shape) with {src.n} values per step (got {arr.shape})"
                )
            out[name] = np.ascontiguousarray(arr, dtype=np.int32)
        return out

    def _plan(self, steps: int, inputs) -> _Run:
        x = self._check_inputs(steps, inputs)
        m = self.mapping
        net = m.network
        n_cores = len(self._cores)
        probes: dict = {}
        for name, var in self._probes:
            probes.setdefault(name, {})[var] = np.zeros((steps, net.populations[name].n), np.int32)
        probe_items = [
            (arr, s.lo, s.hi, g.state[var])
            for core, prog in zip(self._cores, m.cores, strict=True)
            for g, s in zip(core.groups, prog.slices, strict=True)
            for var, arr in probes.get(s.pop.name, {}).items()
        ]
        given = [x.get(name) for name in m.input_routes]
        # spikes are recorded as (step, neuron, payload) events of each user population
        # (splitters are not reported): nothing is written for a silent neuron
        spike_pops = {name: p.n for name, p in net.populations.items()}
        index = {name: k for k, name in enumerate(spike_pops)}
        spike_items = [
            (index[s.pop.name], s.lo, s.hi, core.spikes[s.offset : s.offset + s.n])
            for core, prog in zip(self._cores, m.cores, strict=True)
            for s in prog.slices
            if s.pop.name in index
        ]
        table = np.zeros((steps, n_cores, NCOL), np.int64)
        table[:, :, UPD] = [c.n for c in self._cores]
        timed = self._timing is not None
        self._net.set_inputs(given)
        # room for every (source, destination) pair in every step, up to 2**23 rows (256 MB);
        # more rows only when used (grown by doubling)
        rows = min(steps * self._net.capacity, 2**23) + self._net.capacity + 16
        return _Run(
            steps=steps, inputs=given,
            spike_pops=spike_pops, spike_items=spike_items,
            spike_parts=[[] for _ in spike_pops],
            probes=probes, probe_items=probe_items, table=table,
            cells=memoryview(table.reshape(-1)),
            batches=np.empty((rows, 4), np.int64),
            per_step=np.zeros(steps, np.int64), used=0,
            cycles=np.zeros(steps, np.int64),
            busy=np.zeros((steps, n_cores)) if timed else None, slowest=[-1, {}],
            weight_probes={p.name: ([], []) for p in net.weight_probes},
        )  # fmt: skip

    # ------------------------------------------------------------------ phases
    def _update(self, run: _Run, i: int, t: int) -> None:
        cells, base = run.cells, i * len(self._cores) * NCOL
        strict = self.overflow == "raise"
        for c, core in enumerate(self._cores):
            if strict:
                ch, nsp, ov, where = core.update_checked(t)
                if where is not None:
                    self._raise_overflow(c, where, t)
            else:
                ch, nsp, ov = core.update(t)
            k = base + c * NCOL
            cells[k + CHG] = ch
            cells[k + SPK] = nsp
            cells[k + OVF] = ov
            run.overflows += ov

    def _raise_overflow(self, c: int, where: tuple, t: int) -> None:
        gi, reg, i = where
        s = self.mapping.cores[c].slices[gi]
        who = f"neuron {s.lo + i}" if i >= 0 else f"a neuron in {s.lo}..{s.hi - 1}"
        raise FixedPointOverflowError(
            f"population {s.pop.name!r}, {who} ({s.pop.neuron.model}): register {reg!r} "
            f"overflowed in step {t} (Simulator(overflow='raise'); the chip would "
            f"{_chip_would(reg, s.pop.neuron.saturating)} it)"
        )

    def _warn_overflows(self, run: _Run) -> None:
        per_core = run.table[:, :, OVF]
        if self.overflow != "count" or not per_core.any():
            return
        pops: dict[str, int] = {}
        for c in np.flatnonzero(per_core.sum(axis=0)):
            for s in self.mapping.cores[c].slices:
                pops[s.pop.name] = pops.get(s.pop.name, 0) + int(per_core[:, c].sum())
        first = int(np.flatnonzero(per_core.sum(axis=1))[0]) + self.t - run.steps
        warnings.warn(
            f"spikemesh: {int(per_core.sum())} register overflows (wrapped or saturated, as "
            f"the chip does) from step {first}, on cores holding "
            f"{', '.join(f'{k!r}' for k in pops)}; Simulator(overflow='raise') names the first "
            "neuron and register, overflow='wrap' silences this",
            OverflowWarning, stacklevel=3,
        )  # fmt: skip

    def _room(self, run: _Run) -> None:
        """Room in ``run.batches`` for a full step (``capacity`` rows): grow by doubling."""
        cap = self._net.capacity
        if run.used + cap > run.batches.shape[0]:
            grown = np.empty((2 * run.batches.shape[0] + cap, 4), np.int64)
            grown[: run.used] = run.batches[: run.used]
            run.batches = grown

    def _emit(self, run: _Run, i: int, t: int) -> np.ndarray:
        """Every source's spikes of step ``t`` -> one batch per (source, destination core),
        delivered at once (one kernel call); synaptic events are counted at the destination
        core, batches and messages at the sending core."""
        cap = self._net.capacity
        self._room(run)
        a = run.used
        P = self._net(t, i, run.table[i], run.batches[a : a + cap])
        run.used += P
        run.per_step[i] = P
        return run.batches[a : a + P]

    def _record(self, run: _Run, i: int) -> None:
        for pop, lo, _, view in run.spike_items:
            j = np.flatnonzero(view)
            if j.size:
                ev = np.empty((j.size, 3), np.int32)
                ev[:, 0], ev[:, 1], ev[:, 2] = i, lo + j, view[j]
                run.spike_parts[pop].append(ev)
        for arr, lo, hi, state in run.probe_items:
            arr[i, lo:hi] = state

    def _learner_pops(self) -> set:
        return {ln.post for ln in self._learners} | {ln.pre[1] for ln in self._learners
                                                     if ln.pre[0] == "pop"}  # fmt: skip

    def _spike_vectors(self, run: _Run, i: int) -> dict:
        """This step's spikes of the populations learners read (dense, by population)."""
        want = self._learner_pops()
        net = self.mapping.network
        out = {name: np.zeros(net.populations[name].n, np.int64) for name in want}
        names = list(run.spike_pops)
        for pop, lo, hi, view in run.spike_items:
            if names[pop] in out:
                out[names[pop]][lo:hi] = view
        return out

    def _learn(self, run: _Run, i: int, t: int, vec: dict | None = None) -> None:
        """The learn phase (module docstring): pre spikes as emitted in step t (an input's
        payloads of row i), post spikes of step t (``vec``: population -> this step's
        payloads, read from the cores when not given); a spike is a non-zero payload."""
        if not self._learners:
            return
        if vec is None:
            vec = self._spike_vectors(run, i)
        dirty = False
        for ln in self._learners:
            if ln.pre[0] == "input":
                x = run.inputs[ln.pre[1]]
                pre = np.zeros(ln.shape[0], np.int64) if x is None else x[i]
            else:
                pre = vec[ln.pre[1]]
            if not ln.engine.step(pre != 0, vec[ln.post] != 0):
                continue
            w = ln.engine.vars["weights"]
            for c, sel, pos, axon in ln.where:
                table, new = self._weights[c], w[sel]
                changed = np.flatnonzero(table[pos] != new)  # re-read only what changed
                if changed.size:
                    table[pos[changed]] = new[changed]
                    if not self._net.refresh_at(c, pos[changed], axon[changed]):
                        dirty = True  # the runs must be rebuilt (e.g. a wider weight)
            run.table[i, :, LRN] += ln.per_core
            if ln.name in run.weight_probes:
                run.weight_probes[ln.name][0].append(self._dense(ln))
                run.weight_probes[ln.name][1].append(t)
        if dirty:
            self._net.refresh()

    def _dense(self, ln: _Learner) -> np.ndarray:
        out = np.zeros(ln.shape, np.int64)
        out[ln.proj.pre_idx, ln.proj.post_idx] = ln.engine.vars["weights"]
        return out

    def _time_learning(self, run: _Run) -> None:
        """The learning phase's cycles on the steps that ended an epoch; the critical path
        then belongs to the slowest step counting them (its spike phase replayed, its
        ``learning_cycles`` named)."""
        tm = self._timing
        if tm is None or not self._learners:
            return
        add, extra = tm.learning(run.table[:, :, LRN])
        if not add.any():
            return
        run.cycles += add
        run.busy += extra
        t0 = self.t - run.steps
        i = int(np.argmax(run.cycles))
        was = int(run.slowest[1].get("step", t0)) - t0
        if i != was and run.cycles[i] > run.cycles[was]:
            lo = int(run.per_step[:i].sum())
            row = run.table[i]
            st = tm.step(row[:, UPD].astype(float),
                         active_updates(row[:, CHG], row[:, SPK]).astype(float),
                         run.batches[lo : lo + int(run.per_step[i])])  # fmt: skip
            run.slowest[:] = [int(run.cycles[i]), dict(st.critical, step=t0 + i)]
        else:
            i = was
            run.slowest[0] = int(run.cycles[i])
        busiest = int(np.argmax(run.table[i, :, LRN]))
        run.slowest[1] = dict(run.slowest[1], learning_cycles=int(add[i]),
                              learning_core=busiest)  # fmt: skip

    def _time(self, run: _Run, i: int, t: int, packets: list) -> None:
        tm = self._timing
        if tm is None:
            return
        row = run.table[i]
        active = active_updates(row[:, CHG], row[:, SPK]).astype(float)
        st = tm.step(row[:, UPD].astype(float), active, packets)
        run.cycles[i] = st.cycles
        run.busy[i] = st.busy
        if st.cycles > run.slowest[0]:
            run.slowest[:] = [st.cycles, dict(st.critical, step=t)]

    # ------------------------------------------------------------------ run
    def run(self, steps: int, inputs: dict | None = None) -> SimulationResult:
        """Run ``steps`` steps. ``inputs[name]`` is a ``(steps, n)`` integer array of payloads
        (0 = no spike); a value in row t reaches its targets in step t + delay.
        Inputs not given are silent. Calling ``run`` again continues where this call stopped.
        """
        if self._broken is not None:
            raise SpikemeshError(
                f"Simulator.run: the previous run stopped partway through step {self._broken} "
                "(interrupted or an error); the state is mid-step: call reset() to start again"
            )
        steps = check_int("Simulator.run", "steps", steps, 1)
        inputs = check_mapping("Simulator.run", "inputs", inputs)
        _check_unchanged(self.mapping, "Simulator.run", full=False)
        check_memory("Simulator.run", steps * self._bytes_per_step() + self._history_bytes(steps),
                     f"recording {steps:,} steps")  # fmt: skip
        run = self._plan(steps, inputs)  # nothing has moved yet: bad inputs leave it as it was
        start = self.t
        gc_was = gc.isenabled()
        gc.disable()  # the run allocates no cycles; a collection inside it is pure cost
        try:
            if self._step is not None and self.overflow != "raise":
                self._run_compiled(run)
            else:
                for i in range(steps):  # PHASES, in order
                    t = self.t
                    self._update(run, i, t)
                    packets = self._emit(run, i, t)
                    self._record(run, i)
                    self._learn(run, i, t)
                    self._time(run, i, t, packets)
                    self.t += 1
                self._time_learning(run)
        except BaseException:  # KeyboardInterrupt, overflow="raise", MemoryError, ...
            self._broken = max(self.t, start)
            raise
        finally:
            if gc_was:
                gc.enable()
        self._warn_overflows(run)
        return self._result(run)

    def _history_bytes(self, steps: int) -> int:
        """Weight probes: one (n_pre, n_post) int64 matrix per epoch of each probed projection."""
        return sum(8 * p.pre.n * p.post.n * (steps // p.learning.t_epoch + 1)
                   for p in self.mapping.network.weight_probes)  # fmt: skip

    def _bytes_per_step(self) -> int:
        """What one recorded step costs: spikes and probes (int32 per neuron), the per-core
        counters (int64) and the timing row."""
        net = self.mapping.network
        neurons = sum(p.n for p in net.populations.values())
        probed = sum(net.populations[name].n for name, _ in self._probes)
        probed += sum(net.populations[name].n for name in self._learner_pops())  # learn phase
        return 4 * (neurons + probed) + 8 * 16 * (len(self._cores) + 1) + 64

    def _run_compiled(self, run: _Run) -> None:
        """All steps in compiled calls (``kernels.NetStep``: update, emit, record of every core
        and step), then the timing model over each step's counts and batches -- the same
        phases in the same order as the per-step loop, since timing never changes spikes."""
        step = self._step
        step.set_record([(arr, lo, state) for arr, lo, _, state in run.probe_items])
        step.set_spike_record([(pop, lo, view) for pop, lo, _, view in run.spike_items],
                              len(run.spike_pops))  # fmt: skip
        t0, i = self.t, 0
        if self._learners:  # the learners' populations' spikes, every step, for the learn phase
            net = self.mapping.network
            seen = {name: np.zeros((run.steps, net.populations[name].n), np.int32)
                    for name in self._learner_pops()}  # fmt: skip
            names = list(run.spike_pops)
            step.set_record([(arr, lo, state) for arr, lo, _, state in run.probe_items]
                            + [(seen[names[pop]], lo, view) for pop, lo, _, view
                               in run.spike_items if names[pop] in seen])  # fmt: skip
        while i < run.steps:
            self._room(run)
            # with learners: stop at the next epoch's end, where weights change before the
            # next step's delivery
            n = run.steps - i
            for ln in self._learners:
                tr = ln.engine.traces
                n = min(n, tr.t_epoch - tr.time_step % tr.t_epoch)
            done, run.used = step.run(t0 + i, i, n, run.table, run.batches,
                                      run.used, run.per_step)  # fmt: skip
            if self._learners:
                for k in range(i, i + done):
                    self._learn(run, k, t0 + k, {name: a[k] for name, a in seen.items()})
            i += done
        self.t = t0 + run.steps
        if self._learners:
            step.set_record([])
        run.spike_parts = [[step.spike_events(k)] for k in range(len(run.spike_pops))]
        step.set_spike_record([], 0)  # the buffers are copied out: free them
        run.overflows = int(run.table[:, :, OVF].sum())
        tm = self._timing
        if tm is not None:
            upd, chg, spk = (run.table[:, :, j] for j in (UPD, CHG, SPK))
            run.cycles[:], run.busy[:], slow, st = tm.steps(
                upd, active_updates(chg, spk), run.batches[: run.used], run.per_step
            )  # fmt: skip
            run.slowest[:] = [st.cycles, dict(st.critical, step=t0 + slow)]
            self._time_learning(run)

    def _result(self, run: _Run) -> SimulationResult:
        m = self.mapping
        shapes = {p.name: (p.pre.n, p.post.n) for p in m.network.weight_probes}
        spikes = SpikeRecord(run.steps, run.spike_pops, events={
            name: (np.concatenate(parts) if parts else np.zeros((0, 3), np.int32))
            for name, parts in zip(run.spike_pops, run.spike_parts, strict=True)})  # fmt: skip
        tm = self._timing
        timing = tm.result(run.cycles, run.busy, run.slowest[1]) if tm is not None else None
        return SimulationResult(
            spikes=spikes, probes=run.probes,
            counters={name: run.table[:, :, j] for j, name in enumerate(COUNTERS)},
            cycles=run.cycles, t0=self.t - run.steps, steps=run.steps, overflows=run.overflows,
            meta={"chip": m.chip.name, "timing": self.timing, "backend": self.backend,
                  "noc": self.noc},
            timing=timing, packets=PacketLog.from_rows(run.batches[: run.used], run.per_step),
            mapping=m,
            inputs={name: x for name, x in zip(m.input_routes, run.inputs, strict=True)
                    if x is not None},
            weights=Weights({ln.name: self._dense(ln) for ln in self._learners}),
            weight_history={name: (np.stack(h) if h else np.zeros((0, *shapes[name]), np.int64))
                            for name, (h, _) in run.weight_probes.items()},
            weight_steps={name: np.asarray(st, np.int64) for name, (_, st) in
                          run.weight_probes.items()},
        )  # fmt: skip


def _chip_would(reg: str, saturating: tuple[str, ...]) -> str:
    """What the chip does to register(s) ``reg`` ("a" or "a or b") on overflow."""
    names = reg.split(" or ")
    sat = [r in saturating for r in names]
    return "saturate" if all(sat) else ("wrap" if not any(sat) else "wrap or saturate")
