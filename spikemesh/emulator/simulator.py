"""The functional simulator: runs a :class:`~spikemesh.mapping.Mapping` step by step.

Every step runs the phases of DESIGN.md on every core: **deliver** (events emitted in the
previous step enter the delay rings), **update** (neuron kernels), **emit** (spikes and external
inputs become per-destination-core event lists through the routing tables), **record**.
Timing never changes what is computed: a spike emitted in step t reaches its targets in step
t + delay whatever the network-on-chip does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from .. import kernels
from .._validate import check_int, int_array
from ..exceptions import ParameterError, ShapeError
from ..mapping import Mapping
from .core import NeuronGroup
from .timing import MODES as TIMING_MODES
from .timing import TimingModel

__all__ = ["COUNTERS", "SimulationResult", "Simulator"]

COUNTERS = (
    "synaptic_events",
    "neuron_updates",
    "state_changes",
    "spikes",
    "packets",
    "axon_events",
)


@dataclass
class SimulationResult:
    """What one :meth:`Simulator.run` call produced.

    Attributes
    ----------
    spikes : dict name -> (steps, n) int32
        Spike payloads per population (0/1 for binary spikes).
    probes : dict name -> dict var -> (steps, n) int32
        Recorded state variables.
    counters : dict name -> (steps, n_cores) int64
        Per step and core: ``synaptic_events`` (synapses a delivered event touched, at the
        destination core, in the step the spike was emitted), ``neuron_updates``,
        ``state_changes`` (neurons whose state changed), ``spikes``, ``packets`` (sent, one per
        destination core per step) and ``axon_events`` (sent).
    cycles : (steps,) int64
        Cycles per step from the timing model (0 with ``timing="none"``).
    t0 : int
        First step of this run (runs continue from where the last one stopped).
    latency_s : (steps,) float
        Wall time of each step on the chip: cycles / clock (barrier-synchronized chips), or the
        fixed tick (TrueNorth-like chips, ``tick_s`` > 0). ``latency_total_s`` sums it.
    active_s : (steps,) float
        Time the step's work takes (cycles / clock); on ticked chips ``tick_overruns`` lists the
        steps whose work does not fit the tick.
    core_busy : (steps, n_cores) float
        Cycles each core spends on neuron updates, spike output and synaptic work.
    link_flits : dict link -> flits
        Flits each directed mesh link carried ("(x,y)->E" names); ``link_utilization`` divides
        by the run's cycles and ``congested_links(k)`` lists the busiest.
    critical_path : dict
        For the slowest step: the core that finished last, its update cycles, the last packet it
        processed (source, hops, arrival) and the barrier.
    timing_events : int
        Discrete events the timing model processed (SimPy events in "cycle" mode).
    """

    spikes: dict
    probes: dict
    counters: dict
    cycles: np.ndarray
    t0: int
    steps: int
    overflows: int = 0
    meta: dict = field(default_factory=dict)
    latency_s: np.ndarray | None = None
    active_s: np.ndarray | None = None
    tick_overruns: np.ndarray | None = None
    core_busy: np.ndarray | None = None
    link_flits: dict = field(default_factory=dict)
    critical_path: dict = field(default_factory=dict)
    timing_events: int = 0
    packets: np.ndarray | None = (
        None  # (n, 5): step, src (-1-k = input k), dst, axon events, synaptic events
    )
    mapping: object = None

    def energy(self, **kwargs):
        """Energy of this run under every model: see :func:`spikemesh.energy.report`."""
        from ..energy import report

        return report(self, **kwargs)

    def total(self, counter: str) -> int:
        return int(self.counters[counter].sum())

    @property
    def latency_total_s(self) -> float:
        return float(self.latency_s.sum()) if self.latency_s is not None else 0.0

    @property
    def link_utilization(self) -> dict:
        total = float(self.cycles.sum())
        return {k: v / total for k, v in self.link_flits.items()} if total else {}

    def congested_links(self, k: int = 5) -> list[tuple[str, int, float]]:
        """The ``k`` links that carried the most flits: (name, flits, utilization)."""
        util = self.link_utilization
        top = sorted(self.link_flits.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [(name, flits, util.get(name, 0.0)) for name, flits in top]


class _CoreState:
    def __init__(self, prog, net, seed: int, backend: str | None) -> None:
        self.prog = prog
        n = prog.n_neurons
        self.spikes = np.zeros(n, np.int32)
        self.ring = prog.table.make_ring()
        self.groups = []
        width = 4 if prog.model == "TrueNorthNeuron" else 1
        for s in prog.slices:
            init = {
                k: (np.asarray(v)[s.lo : s.hi] if np.ndim(v) else v)
                for k, v in s.pop.initial.items()
            }
            spec = s.pop.neuron
            g = NeuronGroup(_slice_spec(spec, s.lo, s.hi), s.n, initial=init, seed=seed,
                            id_offset=s.lo, backend=backend)  # fmt: skip
            g.use_spike_buffer(self.spikes[s.offset : s.offset + s.n])  # one array per core
            a, b = s.offset * width, (s.offset + s.n) * width
            # the group's input in every ring slot, as ready-made views (no slicing per step)
            self.groups.append((g, [self.ring[k, a:b] for k in range(self.ring.shape[0])]))
        t = prog.table
        self.deliver = kernels.get(backend).BoundDeliver(
            t.indptr, t.targets, t.weights, t.delays, t.row_exp, t.acc_shift, self.ring
        )
        self.depth = self.ring.shape[0]
        self.rows = list(self.ring)  # ring slots as row views
        self.n = n


def _slice_spec(spec, lo: int, hi: int):
    """The spec for neurons lo:hi (per-neuron arrays cut to the slice)."""
    changes = {}
    for name in spec.per_neuron:
        val = getattr(spec, name)
        if (
            isinstance(val, np.ndarray)
            and val.ndim >= 1
            and not (name == "weights" and val.ndim == 1)
        ):
            changes[name] = val[lo:hi]
    if not changes:
        return spec
    return dataclasses.replace(spec, **changes)


class Simulator:
    """Run a mapped network.

    Parameters
    ----------
    mapping : Mapping
        From :func:`spikemesh.map_network`. The simulator never changes it.
    timing : {"none", "analytic", "cycle"}
        Timing model (:mod:`spikemesh.emulator.timing`): none (cycles 0), the contention-free
        NumPy bound, or the SimPy network-on-chip model with link contention. Timing never
        changes spikes or states.
    seed : int
        Seeds the stochastic neuron modes (counter-based: same seed, same result).
    backend : {"cython", "numpy"}, optional
        Kernel backend; default the active one.
    """

    def __init__(
        self, mapping: Mapping, timing: str = "none", seed: int = 0, backend: str | None = None
    ):
        if not isinstance(mapping, Mapping):
            raise ParameterError(
                f"Simulator.mapping: must be a Mapping from map_network (got {type(mapping).__name__})"
            )
        if timing not in TIMING_MODES:
            raise ParameterError(
                f"Simulator.timing: must be one of {', '.join(repr(t) for t in TIMING_MODES)} "
                f"(got {timing!r})"
            )
        self.mapping = mapping
        self.timing = timing
        self.seed = check_int("Simulator", "seed", seed, 0, 2**64 - 1)
        self._k = kernels.get(backend)
        self.backend = backend or kernels.BACKEND
        net = mapping.network
        self._probes = [(p.target.name, p.var) for p in net.probes]
        self.reset()

    def reset(self) -> None:
        """Back to step 0 with the initial state; empty delay rings."""
        m = self.mapping
        self.t = 0
        self._timing = TimingModel(m, self.timing) if self.timing != "none" else None
        self._cores = [_CoreState(p, m.network, self.seed, self.backend) for p in m.cores]
        self._emit_buf = []  # per spike source: (route, bound emitter, small, dest_ptr, axons, payloads)
        for r in m.core_routes + list(m.input_routes.values()):
            nr = r.dest.size
            buf = (np.zeros(r.n_dest + 1, np.int64), np.zeros(nr, np.int32), np.zeros(nr, np.int32))
            emitter = self._k.BoundEmit(r.indptr, r.dest, r.axon, *buf)
            small = r.n_dest <= 256  # few destinations overall: read all offsets at once
            self._emit_buf.append((r, emitter, small, *buf))

    # ------------------------------------------------------------------ inputs
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
            if arr.shape != (steps, src.n):
                raise ShapeError(
                    f"Simulator.run.inputs[{name!r}]: must have shape (steps, n) = ({steps}, {src.n}) "
                    f"(got {arr.shape})"
                )
            out[name] = np.ascontiguousarray(arr, dtype=np.int32)
        return out

    # ------------------------------------------------------------------ run
    def run(self, steps: int, inputs: dict | None = None) -> SimulationResult:
        """Run ``steps`` steps. ``inputs[name]`` is a ``(steps, n)`` integer array of payloads
        (0 = no spike); a value in row t reaches its targets in step t + delay.
        Inputs not given are silent. Calling ``run`` again continues where this call stopped.
        """
        steps = check_int("Simulator.run", "steps", steps, 1)
        x = self._check_inputs(steps, inputs)
        m = self.mapping
        net = m.network
        n_cores = len(self._cores)
        spikes = {name: np.zeros((steps, p.n), np.int32) for name, p in net.populations.items()}
        probes: dict = {}
        for name, var in self._probes:
            probes.setdefault(name, {})[var] = np.zeros((steps, net.populations[name].n), np.int32)
        overflows = 0
        input_items = [(name, self._emit_buf[n_cores + i]) for i, name in enumerate(m.input_routes)]
        cores = self._cores
        core_spikes = [np.zeros((steps, cs.n), np.int32) for cs in cores]
        probe_items = [
            (arr, s.lo, s.hi, g.state[var])
            for cs in cores
            for (g, _), s in zip(cs.groups, cs.prog.slices, strict=True)
            for var, arr in probes.get(s.pop.name, {}).items()
        ]
        given = [(x[name], source) for name, source in input_items if name in x]
        # per core: (kernel, args after the input, input view per ring slot) for each group;
        # TrueNorth groups go through NeuronGroup.update (their kernel also takes the step)
        calls = [
            [
                (g._fn, g._args, views) if g._fn is not None else (None, g, views)
                for g, views in cs.groups
            ]
            for cs in cores
        ]
        plan = list(zip(cores, calls, strict=True))
        c_upd: list[int] = []  # per step and core: updates, state changes, spikes
        c_emit: list[int] = []  # per step and core: packets, axon events (sent)
        syn = np.zeros((steps, n_cores), np.int64)  # synaptic events, by destination core
        tm = self._timing
        log: list = []  # per step, the packets sent: (src, dst, axon events, synaptic events)
        cycles = np.zeros(steps, np.int64)
        busy = np.zeros((steps, n_cores)) if tm is not None else None
        slowest = (-1, None)
        updates = np.array([cs.n for cs in cores], float)
        emit = self._emit
        for i in range(steps):
            t = self.t
            spiked = []
            syn_i = syn[i]
            packets: list = []
            # update: every core reads ring slot t (the input that arrives in this step)
            for cs, groups in plan:
                k_slot = t % cs.depth
                ch = nsp = 0
                for fn, args, views in groups:
                    r = fn(views[k_slot], *args) if fn is not None else args.update(views[k_slot])
                    ch += r[0]
                    nsp += r[1]
                    overflows += r[2]
                cs.rows[k_slot].fill(0)
                spiked.append(nsp)
                c_upd.extend((cs.n, ch, nsp))
            # emit and deliver: the spikes and external inputs of step t go straight into the
            # destination rings (slots t + delay, all in the future), as the chip does within a
            # step; every core has already read slot t
            for c, cs in enumerate(cores):
                if spiked[c]:
                    c_emit.extend(emit(cs.spikes, self._emit_buf[c], t, syn_i, packets, c))
                else:
                    c_emit.extend((0, 0))
                core_spikes[c][i] = cs.spikes
            for k, (xs, source) in enumerate(given):
                row = xs[i]
                if row.any():
                    emit(row, source, t, syn_i, packets, -1 - k)
            for arr, lo, hi, state in probe_items:
                arr[i, lo:hi] = state
            if tm is not None:
                step_counts = np.array(c_upd[-3 * n_cores :], float).reshape(n_cores, 3)
                # active updates: neurons whose state changed; a spiking neuron is active too
                # (max, not sum: the two sets usually coincide)
                active = np.maximum(step_counts[:, 1], step_counts[:, 2])
                st = tm.step(updates, active, step_counts[:, 2], packets)
                cycles[i] = st.cycles
                busy[i] = st.busy
                if st.cycles > slowest[0]:
                    slowest = (st.cycles, dict(st.critical, step=t))
            log.append(packets)
            self.t += 1
        table = np.concatenate(
            [syn[:, :, None], np.array(c_upd, np.int64).reshape(steps, n_cores, 3),
             np.array(c_emit, np.int64).reshape(steps, n_cores, 2)], axis=2,
        )  # fmt: skip
        counters = {name: table[:, :, j] for j, name in enumerate(COUNTERS)}
        for c, cs in enumerate(cores):
            for s in cs.prog.slices:
                if s.pop.name in spikes:  # splitter neurons are not reported
                    spikes[s.pop.name][:, s.lo : s.hi] = core_spikes[c][
                        :, s.offset : s.offset + s.n
                    ]
        res = SimulationResult(
            spikes=spikes, probes=probes, counters=counters, cycles=cycles,
            t0=self.t - steps, steps=steps, overflows=overflows,
            meta={"chip": m.chip.name, "timing": self.timing, "backend": self.backend},
        )  # fmt: skip
        res.mapping = m
        n_pk = sum(len(p) for p in log)
        res.packets = np.zeros((n_pk, 5), np.int64)  # step, src, dst, axon events, synaptic events
        if n_pk:
            res.packets[:, 0] = np.repeat(np.arange(steps), [len(p) for p in log])
            res.packets[:, 1:] = np.array([q for p in log for q in p], np.int64)
        if tm is not None:
            active = cycles / m.chip.clock_hz
            res.active_s = active
            if m.chip.tick_s > 0:
                res.latency_s = np.full(steps, m.chip.tick_s)
                res.tick_overruns = np.flatnonzero(active > m.chip.tick_s)
            else:
                res.latency_s = active
            res.core_busy = busy
            res.link_flits = {tm.link_name(k): v for k, v in tm.link_flits.items()}
            tm.link_flits = {}
            res.critical_path = slowest[1] or {}
            res.timing_events = tm.events
            tm.events = 0
        return res

    def _emit(self, payload: np.ndarray, source, t: int, syn, packets, src: int) -> tuple[int, int]:
        """Spikes of step ``t`` -> one packet per destination core, delivered at once.

        Adds the synaptic events to ``syn[dest]`` and, when ``packets`` is a list, logs
        ``(src, dest, axon events, synaptic events)`` per packet for the timing model.
        """
        route, emitter, small, dest_ptr, out_axon, out_payload = source
        n_p, n_e = emitter(payload)
        if n_e:
            cores = self._cores
            ptr = dest_ptr.tolist() if small else dest_ptr
            for d in route.target_list:  # destinations this source reaches at all
                a, b = ptr[d], ptr[d + 1]
                if b > a:
                    cs = cores[d]
                    ev = cs.deliver(out_axon[a:b], out_payload[a:b], t % cs.depth)
                    syn[d] += ev
                    packets.append((src, d, b - a, ev))
        return n_p, n_e
