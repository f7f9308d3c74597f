"""Timing models: how many cycles a timestep takes on the virtual chip.

Timing never changes what is computed: the simulator runs the step, then hands the timing model
what happened (per-core counts and the packets sent) and gets back the step's cycles.

Per step, for core c with ``n`` neurons, ``a`` of them active (state changed), sending ``m``
spike messages (one per spike per destination core):

    U_c = a * neuron_update_active + (n - a) * neuron_update_inactive + m * spike_out

Every (source, destination core) batch of ``m`` spike messages in a step moves as one unit of
``m * ceil(event_bits / flit_bits)`` flits (each message is its own packet; the batch is one
scheduling unit, not one message), ready at ``U_src`` (external inputs at 0, entering at the
profile's host tile). Routes, hop latencies and flits come from the route table of
:mod:`spikemesh.noc` (the profile's routing rule, XY on the shipped chips); each hop adds the router
latency (E-W and N-S differ; chip-to-chip hops use the board link's latency and cycles per
flit), and a packet that crosses at least one link arrives ``flits`` cycles after its head
(cut-through). At the destination its synaptic work ``events * synaptic_op`` starts when both
the packet and the core are free (after the core's own update, packets in arrival order). The
step ends when every core is done, plus the barrier for the number of tiles in use.

- ``"analytic"`` (contention-free): head latency = sum of hop latencies.
- ``"cycle"``: every directed link carries one flit per cycle; packets that share a link queue
  behind each other (FIFO by head arrival, ties in scheduling order). Every step starts with an
  empty NoC (the barrier ends a step only when every message has arrived), so no queue carries
  over. One event per packet hop (the head reaching a router, which claims the link for the
  packet's flits); events never stand for single spikes.

Both give identical results when no link is shared, and "analytic" is never above "cycle".

Two engines run this model (``noc=``): ``"simpy"``, the SimPy discrete-event simulation in this
module -- the readable specification and the place to model something new as SimPy processes
-- and ``"engine"`` (default), a compiled event queue (``kernels.noc_step``, with its heapq twin
in :mod:`spikemesh.kernels.reference`) that processes the same events in the same order in the
same integer time units; tests require identical cycles, link flits, critical paths and event
counts from both.

The run's timing is one :class:`TimingResult`; :meth:`TimingModel.result` applies the last rule
in one place: a barrier-synchronized chip's step lasts its cycles, a ticked chip's (``tick_s``
> 0) lasts one tick, and steps whose work does not fit the tick are overruns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .. import kernels
from ..counts import PacketLog, active_updates
from ..exceptions import ParameterError
from ..noc import RES

__all__ = ["ENGINES", "MODES", "StepTiming", "TimingModel", "TimingResult", "replay"]

MODES = ("none", "analytic", "cycle")
ENGINES = ("engine", "simpy")


class StepTiming:
    """One step's ``cycles``, per-core ``busy`` cycles (update + synaptic work) and
    ``critical`` (what ended last: core, update and finish cycles, barrier, the last batch it
    processed). ``critical`` is built on first access: a run reads it only for its slowest
    step."""

    __slots__ = ("_critical", "_make", "busy", "cycles")

    def __init__(self, cycles: int, busy: np.ndarray, make_critical) -> None:
        self.cycles = cycles
        self.busy = busy
        self._make = make_critical
        self._critical = None

    @property
    def critical(self) -> dict:
        if self._critical is None:
            self._critical = self._make()
        return self._critical


@dataclass(frozen=True)
class TimingResult:
    """The timing of one run.

    Attributes
    ----------
    mode : str
        "analytic" or "cycle" (or "analytic" replayed after a run with ``timing="none"``).
    cycles : (steps,) int64
        Cycles of each step's work plus its barrier.
    latency_s : (steps,) float
        Wall time of each step on the chip: cycles / clock on barrier-synchronized chips, the
        fixed tick on ticked chips (``tick_s`` > 0). ``latency_total_s`` sums it.
    active_s : (steps,) float
        Time the step's work takes (cycles / clock).
    tick_overruns : (k,) int64
        Steps (of this run) whose work does not fit the tick (empty on unticked chips).
    core_busy : (steps, n_cores) float
        Cycles each core spends on neuron updates, spike output and synaptic work.
    link_flits : dict link -> flits
        Flits each directed mesh link carried (``"(x,y)->E"``).
    critical_path : dict
        For the slowest step: the core that finished last, its update cycles, the last batch
        it processed (source, hops, arrival) and the barrier; on a step that ends a learning
        epoch also ``learning_cycles`` (its learning phase, counted in the slowest choice) and
        ``learning_core``.
    events : int
        Discrete events the timing model processed (SimPy events in "cycle" mode).
    """

    mode: str
    cycles: np.ndarray
    latency_s: np.ndarray
    active_s: np.ndarray
    tick_overruns: np.ndarray
    core_busy: np.ndarray
    link_flits: dict = field(default_factory=dict)
    critical_path: dict = field(default_factory=dict)
    events: int = 0

    @property
    def latency_total_s(self) -> float:
        return float(self.latency_s.sum())

    @property
    def link_utilization(self) -> dict:
        total = float(self.cycles.sum())
        return {k: v / total for k, v in self.link_flits.items()} if total else {}

    def congested_links(self, k: int = 5) -> list[tuple[str, int, float]]:
        """The ``k`` links that carried the most flits: (name, flits, utilization)."""
        util = self.link_utilization
        top = sorted(self.link_flits.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [(name, flits, util.get(name, 0.0)) for name, flits in top]


class TimingModel:
    """Cycle costs of one mapping on its chip (see the module docstring for the model).
    ``noc`` picks the engine ("engine": compiled event queue, "simpy": the SimPy model);
    ``backend`` the kernel backend of the engine."""

    def __init__(
        self, mapping, mode: str, noc: str = "engine", backend: str | None = None, threads: int = 1
    ) -> None:
        if mode not in MODES or mode == "none":
            raise ParameterError(f"TimingModel.mode: must be 'analytic' or 'cycle' (got {mode!r})")
        if noc not in ENGINES:
            raise ParameterError(
                f"TimingModel.noc: must be one of {', '.join(repr(e) for e in ENGINES)} (got {noc!r})"
            )
        self.mode = mode
        self.noc = noc
        self.threads = int(threads)  # the compiled engine shares a run's steps among them
        self.mapping = mapping
        self.chip = chip = mapping.chip
        self.mesh = mesh = mapping.mesh()
        tm = chip.timing
        self.res = RES
        self.syn_op = mesh.units(tm["synaptic_op_ns"])
        self.upd_active = mesh.units(tm["neuron_update_active_ns"])
        self.upd_inactive = mesh.units(tm["neuron_update_inactive_ns"])
        self.spike_out = mesh.units(tm["spike_out_ns"])
        self.syn_update = mesh.units(tm["synaptic_update_ns"])
        self.barrier_tiles = np.asarray(tm["barrier_tiles"], float)
        self.barrier_ns = np.asarray(tm["barrier_ns"], float)
        self.n_cores = mapping.n_cores
        self.n_tiles = len({s.position for s in mapping.sources[: self.n_cores]})
        self.barrier = round(self.barrier_cycles(self.n_tiles) * RES)  # in 1/RES cycle
        self.link_flits: dict[int, int] = {}
        self.events = 0  # hop events processed (cycle mode)
        self._env = None
        if noc == "engine":
            self._kernels = kernels.get(backend)
            self._noc_step = self._kernels.noc_step
            self._route_for = None
            self._flits = np.zeros(mesh.n_links, np.int64)
            self._costs = np.array([self.upd_active, self.upd_inactive, self.spike_out], np.int64)
            self._no_ready = np.zeros(0, np.int64)
            self._routes(np.zeros((0, 4), np.int64))  # the engine's table, built here, once
        elif mode == "cycle":
            self._build_simpy()

    def learning(self, updates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The learning phase of the steps that end an epoch, from ``updates`` (steps, n_cores)
        synaptic updates: every core's engine updates its synapses one after another
        (``synaptic_update_ns`` each, Davies 2018 Table 2), all cores at once, after the step's
        spikes are delivered and before its barrier. Returns (cycles added to each step, busy
        cycles added per step and core)."""
        per = np.asarray(updates, np.int64) * self.syn_update  # 1/RES cycle
        add = -(-per.max(axis=1, initial=0) // self.res) if per.size else np.zeros(0, np.int64)
        return add.astype(np.int64), per / self.res

    def barrier_cycles(self, tiles: int) -> float:
        """Barrier cost for ``tiles`` tiles in use: the profile's table, linear in between."""
        ns = float(np.interp(tiles, self.barrier_tiles, self.barrier_ns))
        return ns * self.mesh.cycles_per_ns

    # ---------------------------------------------------------------- one step
    def packet_arrivals(self, packets: list, ready: list) -> list[int]:
        """Arrival (tail) time of each batch ``(src, dst, events, syn)`` ready at ``ready``,
        in units of 1/RES cycle."""
        if self.noc == "engine":
            zero = np.zeros(self.n_cores)
            return self._engine(zero, zero, packets, np.asarray(ready, np.int64))[1][1].tolist()
        if self.mode == "cycle":
            return self._simulate(packets, ready)
        out = []
        for (s, d, ev, _), r in zip(packets, ready, strict=True):
            p = self.mesh.path(s, d)
            f = self.mesh.flits(ev)
            out.append(r + sum(p.latency) + (max(p.flit_time) * f if p.links else 0))
            for link in p.links:
                self.link_flits[link] = self.link_flits.get(link, 0) + f
        return out

    def _routes(self, batches: np.ndarray) -> tuple:
        """Each batch's route id and the route table as the engine reads it (rebuilt only when
        the mesh's table grew)."""
        ids = self.mesh.route_ids(batches[:, 0], batches[:, 1])
        t = self.mesh.table
        if self._route_for is not t:
            self._route_obj = self._kernels.Routes(t.ptr, t.link, t.latency, t.flit_time,
                                                   t.max_flit_time, self.mesh.flits_per_message,
                                                   self.syn_op, self.mesh.n_links)  # fmt: skip
            self._route_for = t
        return ids, self._route_obj

    def _engine(self, updates, active, packets, ready=None):
        arr = np.ascontiguousarray(packets, np.int64).reshape(-1, 4)
        ids, table = self._routes(arr)
        out = self._noc_step(
            int(self.mode == "cycle"), np.ascontiguousarray(updates, np.float64),
            np.ascontiguousarray(active, np.float64), self._costs, arr,
            self._no_ready if ready is None else ready, ids, table, self._flits,
        )  # fmt: skip
        self.events += out[5]
        return arr, out

    def step(self, updates: np.ndarray, active: np.ndarray, packets: list) -> StepTiming:
        """Cycles of one step from per-core neuron updates (all, active) and the batches
        ``(src, dst, messages, syn)`` (``src`` indexes ``mapping.sources``: core programs
        first, then inputs); each core pays ``spike_out`` per message it sends."""
        if self.noc == "engine":
            return self._step_engine(updates, active, packets)
        packets = np.asarray(packets, np.int64).reshape(-1, 4).tolist()
        n = self.n_cores
        sent = np.zeros(n)
        for s, _, ev, _ in packets:
            if s < n:
                sent[s] += ev
        U = (active * self.upd_active + (updates - active) * self.upd_inactive
             + sent * self.spike_out).astype(np.int64)  # fmt: skip
        ready = [int(U[s]) if s < n else 0 for s, _, _, _ in packets]
        arrivals = self.packet_arrivals(packets, ready)
        # destination cores: their own update first, then batches in arrival order
        finish = U.copy()
        last = [None] * n
        order = sorted(range(len(packets)), key=lambda k: (arrivals[k], k))
        for k in order:
            s, d, ev, syn = packets[k]
            start = max(arrivals[k], finish[d])
            finish[d] = start + syn * self.syn_op
            last[d] = k
        busy = U.astype(float)
        for _, d, _, syn in packets:
            busy[d] += syn * self.syn_op
        last = np.array([-1 if k is None else k for k in last], np.int64)
        return self._step_timing(U, finish, busy, last, packets, arrivals)

    def steps(
        self, updates: np.ndarray, active: np.ndarray, batches: np.ndarray, per_step: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, int, StepTiming | None]:
        """Many steps at once: ``updates`` and ``active`` ``(steps, n_cores)``, ``batches`` the
        steps' batches in step order, ``per_step`` the batches of each step. Returns
        ``(cycles, busy, slowest step index, its StepTiming)`` -- what :meth:`step` gives step
        by step, with less per-step work on the compiled engine (the slowest step's critical
        path is rebuilt from one replay, which does not count its links twice)."""
        steps = updates.shape[0]
        cycles = np.zeros(steps, np.int64)
        busy = np.zeros((steps, self.n_cores))
        if steps == 0:
            return cycles, busy, -1, None
        ends = np.cumsum(per_step)
        starts = ends - per_step
        if self.noc != "engine":
            slow, st_slow = -1, None
            for i in range(steps):
                st = self.step(updates[i], active[i], batches[starts[i] : ends[i]])
                cycles[i] = st.cycles
                busy[i] = st.busy
                if slow < 0 or st.cycles > cycles[slow]:
                    slow, st_slow = i, st
            return cycles, busy, slow, st_slow
        mode, R = int(self.mode == "cycle"), self.res
        upd = np.ascontiguousarray(updates, np.float64)
        act = np.ascontiguousarray(active, np.float64)
        pk = np.ascontiguousarray(batches, np.int64).reshape(-1, 4)
        ids, table = self._routes(pk)  # every batch's route, once for the run
        ends_max, busy_u, events = self._kernels.noc_run(
            mode,
            upd,
            act,
            self._costs,
            pk,
            np.ascontiguousarray(per_step, np.int64),
            ids,
            table,
            self._flits,
        )  # one compiled pass over every step
        busy[:] = busy_u
        self.events += events
        cycles[:] = -(-(ends_max + self.barrier) // R)
        busy /= R
        slow = int(np.argmax(cycles))
        # replay the slowest step into a scratch link table for its critical path
        saved, self._flits = self._flits, np.zeros_like(self._flits)
        saved_events = self.events
        try:
            st = self._step_engine(upd[slow], act[slow], pk[starts[slow] : ends[slow]])
        finally:
            self._flits, self.events = saved, saved_events
        return cycles, busy, slow, st

    def _step_engine(self, updates, active, packets) -> StepTiming:
        arr, (U, arrival, finish, last, busy, _) = self._engine(updates, active, packets)
        return self._step_timing(U, finish, np.asarray(busy, float), last, arr, arrival)

    def _step_timing(self, U, finish, busy, last, batches, arrivals) -> StepTiming:
        """The step's :class:`StepTiming` from per-core finish times (both engines)."""
        n = self.n_cores
        end = int(finish.max()) if n else 0
        c = int(np.argmax(finish)) if n else 0
        R = self.res

        def critical() -> dict:
            crit = {"core": c, "update_cycles": U[c] / R, "finish_cycles": end / R,
                    "barrier_cycles": self.barrier / R}  # fmt: skip
            k = int(last[c]) if n else -1
            if k >= 0:
                s, d, ev, syn = (int(v) for v in batches[k])
                crit["last_packet"] = {"src": s, "dst": d, "events": ev, "synaptic_events": syn,
                                       "hops": self.mesh.path(s, d).hops,
                                       "arrival_cycles": int(arrivals[k]) / R}  # fmt: skip
            return crit

        return StepTiming(-(-(end + self.barrier) // R), busy / R, critical)

    def result(self, cycles: np.ndarray, busy: np.ndarray, critical: dict) -> TimingResult:
        """The run's :class:`TimingResult` (and the model's link and event totals restart)."""
        chip = self.chip
        active = cycles / chip.clock_hz
        if chip.tick_s > 0:
            latency = np.full(cycles.shape[0], chip.tick_s)
            overruns = np.flatnonzero(active > chip.tick_s)
        else:
            latency = active
            overruns = np.zeros(0, np.int64)
        if self.noc == "engine":
            flits = {self.mesh.link_name(int(k)): int(self._flits[k])
                     for k in np.flatnonzero(self._flits)}  # fmt: skip
            self._flits[:] = 0
        else:
            flits = {self.mesh.link_name(k): v for k, v in self.link_flits.items()}
        res = TimingResult(self.mode, cycles, latency, active, overruns, busy, flits, critical,
                           self.events)  # fmt: skip
        self.link_flits = {}
        self.events = 0
        return res

    # ---------------------------------------------------------------- SimPy
    def _build_simpy(self) -> None:
        import simpy

        self._env = simpy.Environment()
        self._free: dict[int, int] = {}  # link -> time its last flit has passed
        self._arrival: dict[int, int] = {}
        self._t0 = 0

    def _hop(self, k: int, h: int, f: int, links, lat, fc, _event) -> None:
        """Batch k's head reaches link ``links[h]``: it enters when the link is free (FIFO by
        head arrival), holds it for ``f`` flits, and its head reaches the next router after
        the hop latency (one SimPy event per hop)."""
        env = self._env
        now = env.now
        link = links[h]
        start = max(now, self._free.get(link, 0))
        self._free[link] = start + fc[h] * f
        self.link_flits[link] = self.link_flits.get(link, 0) + f
        if h + 1 < len(links):
            env.timeout(start + lat[h] - now).callbacks.append(
                partial(self._hop, k, h + 1, f, links, lat, fc)
            )
        else:
            self._arrival[k] = start + lat[h] + max(fc) * f - self._t0

    def _simulate(self, packets: list, ready: list) -> list:
        """One step on the SimPy mesh. Each timestep is barrier-synchronized, so the NoC is
        empty when it starts: link state (``_free``) never carries over from the last step."""
        env = self._env
        self._t0 = env.now
        self._free = {}
        self._arrival = {}
        arrivals = [0] * len(packets)
        for k, ((s, d, ev, _), r) in enumerate(zip(packets, ready, strict=True)):
            p = self.mesh.path(s, d)
            if not p.links:
                arrivals[k] = r
                continue
            env.timeout(r).callbacks.append(
                partial(self._hop, k, 0, self.mesh.flits(ev), p.links, p.latency, p.flit_time)
            )
        n, step, peek = 0, env.step, env.peek
        while peek() != float("inf"):  # run to quiescence, counting the events processed
            step()
            n += 1
        self.events += n
        for k, a in self._arrival.items():
            arrivals[k] = a
        return arrivals


def replay(mapping, mode: str, updates: np.ndarray, changed: np.ndarray, spikes: np.ndarray,
           packets: PacketLog, learning: np.ndarray | None = None) -> TimingResult:  # fmt: skip
    """Time a finished run after the fact from its per-step, per-core counts ``(steps,
    n_cores)`` and its packet log (used for the energy of a run made with ``timing="none"``);
    ``learning``: its synaptic updates per step and core (:meth:`TimingModel.learning`)."""
    tm = TimingModel(mapping, mode)
    steps = updates.shape[0]
    active = active_updates(changed, spikes).astype(float)
    cycles = np.zeros(steps, np.int64)
    busy = np.zeros((steps, mapping.n_cores))
    by_step = [[] for _ in range(steps)]
    for q in zip(packets.step.tolist(), packets.src.tolist(), packets.dst.tolist(),
                 packets.events.tolist(), packets.synaptic_events.tolist(), strict=True):  # fmt: skip
        by_step[q[0]].append(q[1:])
    slowest = (-1, {})
    for t in range(steps):
        st = tm.step(updates[t].astype(float), active[t], by_step[t])
        cycles[t] = st.cycles
        busy[t] = st.busy
        if st.cycles > slowest[0]:
            slowest = (st.cycles, dict(st.critical, step=t))
    if learning is not None and np.any(learning):
        add, extra = tm.learning(learning)
        cycles += add
        busy += extra
    return tm.result(cycles, busy, slowest[1])
