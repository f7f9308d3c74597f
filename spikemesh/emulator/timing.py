"""Timing models: how many cycles a timestep takes on the virtual chip.

Timing never changes what is computed: the simulator runs the step, then hands the timing model
what happened (per-core counts and the packets sent) and gets back the step's cycles.

Per step, for core c with ``n`` neurons, ``a`` of them active (state changed), ``s`` spikes:

    U_c = a * neuron_update_active + (n - a) * neuron_update_inactive + s * spike_out

Every (source core, destination core) batch of spikes is one packet of
``ceil(axon events * event_bits / flit_bits)`` flits, ready at ``U_src`` (external inputs at 0,
entering at tile (0, 0)). It follows the dimension-order (XY) route; each hop adds the router
latency (E-W and N-S differ; chip-to-chip hops use the board link's latency and cycles per
flit), and a packet that crosses at least one link arrives ``flits`` cycles after its head
(cut-through). At the destination its synaptic work ``events * synaptic_op`` starts when both
the packet and the core are free (after the core's own update, packets in arrival order). The
step ends when every core is done, plus the barrier for the number of tiles in use.

- ``"analytic"`` (NumPy, contention-free): head latency = sum of hop latencies.
- ``"cycle"`` (SimPy): every directed link carries one flit per cycle; packets that share a
  link queue behind each other (FIFO by head arrival). One SimPy event per packet hop (the
  head reaching a router, which claims the link for the packet's flits); no per-step
  processes; events never stand for single spikes.

Both give identical results when no link is shared, and "analytic" is never above "cycle".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np

from ..chips import ChipProfile
from ..exceptions import ParameterError

__all__ = ["MODES", "StepTiming", "TimingModel"]

MODES = ("none", "analytic", "cycle")
RES = 1000  # time units per cycle
EAST, WEST, NORTH, SOUTH = 0, 1, 2, 3
DIRS = "EWNS"


@dataclass
class StepTiming:
    cycles: int
    busy: np.ndarray  # per core busy cycles (update + synaptic work)
    critical: dict  # what ended last


class TimingModel:
    """Cycle costs of one mapping on its chip (see the module docstring for the model)."""

    def __init__(self, mapping, mode: str) -> None:
        if mode not in MODES:
            raise ParameterError(
                f"Simulator.timing: must be one of {', '.join(repr(m) for m in MODES)} (got {mode!r})"
            )
        self.mode = mode
        self.mapping = mapping
        chip: ChipProfile = mapping.chip
        self.chip = chip
        tm = chip.timing
        self.cyc = chip.clock_hz / 1e9  # cycles per ns
        # time is kept in integer units of 1/RES cycle, so every sum is exact and both models
        # (and every order of adding) agree to the unit
        self.res = RES

        def c(key, default=0.0):
            return round(float(tm.get(key, default)) * self.cyc * RES)

        self.syn_op = c("synaptic_op_ns")
        self.upd_active = c("neuron_update_active_ns")
        self.upd_inactive = c("neuron_update_inactive_ns")
        self.spike_out = c("spike_out_ns", tm.get("spike_in_tile_ns", 0.0))
        self.hop = {
            EAST: c("hop_ew_ns"),
            WEST: c("hop_ew_ns"),
            NORTH: c("hop_ns_ns"),
            SOUTH: c("hop_ns_ns"),
        }
        self.chip_hop = c("chip_link_ns", tm.get("hop_ew_ns", 0.0))
        self.chip_flit = round(float(tm.get("chip_link_cycles_per_flit", 1.0)) * RES)
        self.event_bits = int(tm.get("event_bits", 32))
        self.flit_bits = int(tm.get("flit_bits", 32))
        self.barrier_tiles = np.asarray(tm.get("barrier_tiles", (1,)), float)
        self.barrier_ns = np.asarray(tm.get("barrier_ns", (0.0,)), float)
        mesh = chip.mesh
        self.width = mesh.tiles_x * mesh.chips_x
        self.height = mesh.tiles_y * mesh.chips_y
        self.pos = [mesh.core_position(c.core_id)[:2] for c in mapping.cores]
        tiles = {p for p in self.pos}
        self.n_tiles = len(tiles)
        self.barrier = round(self.barrier_cycles(self.n_tiles) * RES)  # in 1/RES cycle
        self.n_cores = len(mapping.cores)
        self._routes: dict = {}
        self.link_flits: dict[int, int] = {}
        self.events = 0  # SimPy events processed
        self._env = None
        if mode == "cycle":
            self._build_simpy()

    # ---------------------------------------------------------------- geometry
    def barrier_cycles(self, tiles: int) -> float:
        """Barrier cost for ``tiles`` tiles in use: the profile's table, linear in between."""
        ns = float(np.interp(tiles, self.barrier_tiles, self.barrier_ns))
        return ns * self.cyc

    def link_id(self, x: int, y: int, d: int) -> int:
        return (y * self.width + x) * 4 + d

    def link_name(self, link: int) -> str:
        tile, d = divmod(link, 4)
        y, x = divmod(tile, self.width)
        return f"({x},{y})->{DIRS[d]}"

    def route(self, src: int, dst: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """XY route from core program ``src`` (-1..: external input at tile (0, 0)) to ``dst``:
        directed link ids, head latency per hop, time per flit per hop (units of 1/RES cycle)."""
        key = (src, dst)
        r = self._routes.get(key)
        if r is not None:
            return r
        x, y = self.pos[src] if src >= 0 else (0, 0)
        x1, y1 = self.pos[dst]
        mesh = self.chip.mesh
        links, lat, fc = [], [], []

        def step(d, nx, ny):
            crosses = (nx // mesh.tiles_x != x // mesh.tiles_x) or (
                ny // mesh.tiles_y != y // mesh.tiles_y
            )
            links.append(self.link_id(x, y, d))
            lat.append(self.chip_hop if crosses else self.hop[d])
            fc.append(self.chip_flit if crosses else RES)

        while x != x1:
            d, nx = (EAST, x + 1) if x1 > x else (WEST, x - 1)
            step(d, nx, y)
            x = nx
        while y != y1:
            d, ny = (NORTH, y + 1) if y1 > y else (SOUTH, y - 1)
            step(d, x, ny)
            y = ny
        r = (tuple(links), tuple(lat), tuple(fc))
        self._routes[key] = r
        return r

    def route_stats(self, src: int, dst: int) -> tuple[int, int, int]:
        """(east-west hops, north-south hops, chip-to-chip crossings) of the XY route."""
        key = ("stats", src, dst)
        r = self._routes.get(key)
        if r is None:
            links = self.route(src, dst)[0]
            mesh = self.chip.mesh
            ew = ns = cross = 0
            for link in links:
                tile, d = divmod(link, 4)
                ly, lx = divmod(tile, self.width)
                nx = lx + (1 if d == EAST else -1 if d == WEST else 0)
                ny = ly + (1 if d == NORTH else -1 if d == SOUTH else 0)
                ew += d in (EAST, WEST)
                ns += d in (NORTH, SOUTH)
                cross += (nx // mesh.tiles_x != lx // mesh.tiles_x) or (
                    ny // mesh.tiles_y != ly // mesh.tiles_y
                )
            r = (ew, ns, cross)
            self._routes[key] = r
        return r

    def flits(self, events: int) -> int:
        return math.ceil(events * self.event_bits / self.flit_bits)

    # ---------------------------------------------------------------- one step
    def packet_arrivals(self, packets: list, ready: list) -> list[int]:
        """Arrival (tail) time of each packet ``(src, dst, events, syn)`` ready at ``ready``,
        in units of 1/RES cycle."""
        if self.mode == "cycle":
            return self._simulate(packets, ready)
        out = []
        for (s, d, ev, _), r in zip(packets, ready, strict=True):
            links, lat, fc = self.route(s, d)
            f = self.flits(ev)
            out.append(r + sum(lat) + (max(fc) * f if links else 0))
            for link in links:
                self.link_flits[link] = self.link_flits.get(link, 0) + f
        return out

    def step(
        self, updates: np.ndarray, active: np.ndarray, spikes: np.ndarray, packets: list
    ) -> StepTiming:
        """Cycles of one step from per-core counts and the packets ``(src, dst, events, syn)``."""
        U = (active * self.upd_active + (updates - active) * self.upd_inactive
             + spikes * self.spike_out).astype(np.int64)  # fmt: skip
        ready = [int(U[s]) if s >= 0 else 0 for s, _, _, _ in packets]
        arrivals = self.packet_arrivals(packets, ready)
        # destination cores: their own update first, then packets in arrival order
        finish = U.copy()
        last = [None] * self.n_cores
        order = sorted(range(len(packets)), key=lambda k: (arrivals[k], k))
        for k in order:
            s, d, ev, syn = packets[k]
            start = max(arrivals[k], finish[d])
            finish[d] = start + syn * self.syn_op
            last[d] = k
        busy = U.astype(float)
        for _, d, _, syn in packets:
            busy[d] += syn * self.syn_op
        end = int(finish.max()) if self.n_cores else 0
        c = int(np.argmax(finish)) if self.n_cores else 0
        R = self.res
        crit = {
            "core": c,
            "update_cycles": U[c] / R,
            "finish_cycles": end / R,
            "barrier_cycles": self.barrier / R,
        }
        if last[c] is not None:
            s, d, ev, syn = packets[last[c]]
            crit["last_packet"] = {"src": s, "dst": d, "events": ev, "synaptic_events": syn,
                                   "hops": len(self.route(s, d)[0]), "arrival_cycles": arrivals[last[c]] / R}  # fmt: skip
        return StepTiming(-(-(end + self.barrier) // R), busy / R, crit)

    # ---------------------------------------------------------------- SimPy
    def _build_simpy(self) -> None:
        import simpy

        self._env = simpy.Environment()
        self._free: dict[int, int] = {}  # link -> time its last flit has passed
        self._arrival: dict[int, int] = {}
        self._t0 = 0

    def _hop(self, k: int, h: int, f: int, links, lat, fc, _event) -> None:
        """Packet k's head reaches link ``links[h]``: it enters when the link is free (FIFO by
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
        env = self._env
        self._t0 = env.now
        self._arrival = {}
        arrivals = [0] * len(packets)
        for k, ((s, d, ev, _), r) in enumerate(zip(packets, ready, strict=True)):
            links, lat, fc = self.route(s, d)
            if not links:
                arrivals[k] = r
                continue
            env.timeout(r).callbacks.append(
                partial(self._hop, k, 0, self.flits(ev), links, lat, fc)
            )
        n, step, peek = 0, env.step, env.peek
        while peek() != float("inf"):  # run to quiescence, counting the events processed
            step()
            n += 1
        self.events += n
        for k, a in self._arrival.items():
            arrivals[k] = a
        return arrivals
