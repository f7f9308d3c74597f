"""Mesh network-on-chip geometry: XY routes, hops, flits, links and the time unit.

One module answers "which links does a message from source s to core d cross, how long does
each hop take, how many flits is it" for both the timing models
(:mod:`spikemesh.emulator.timing`) and the counting of hops for energy. Sources are numbered as
in :attr:`spikemesh.mapping.Mapping.sources`: core programs first, then external inputs, which
enter the mesh at the host tile (0, 0).

Time is kept in integer units of ``1 / RES`` cycle, so every sum is exact and every order of
adding gives the same total (the analytic and SimPy models agree to the unit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .chips import ChipProfile

__all__ = ["DIRS", "EAST", "NORTH", "RES", "SOUTH", "WEST", "Mesh", "Path"]

RES = 1000  # time units per cycle
EAST, WEST, NORTH, SOUTH = 0, 1, 2, 3
DIRS = "EWNS"


@dataclass(frozen=True, slots=True)
class Path:
    """The XY route of one (source, destination) pair.

    ``links``: directed link ids; ``latency``: head latency of each hop; ``flit_time``: time
    per flit on each hop (both in 1/RES cycle); ``ew``, ``ns``: hops by direction;
    ``crossings``: hops that cross a chip boundary (board links).
    """

    links: tuple[int, ...]
    latency: tuple[int, ...]
    flit_time: tuple[int, ...]
    ew: int
    ns: int
    crossings: int

    @property
    def hops(self) -> int:
        return len(self.links)


class Mesh:
    """The mesh of ``chip`` with spike sources at ``positions`` (tile (x, y) per source).

    Parameters
    ----------
    chip : ChipProfile
        Geometry (``[mesh]``), per-hop latencies and flit sizes (``[timing]``).
    positions : sequence of (x, y)
        Tile of every source, in :attr:`Mapping.sources` order; destinations are core
        programs, i.e. the first ``n_cores`` sources.
    """

    def __init__(self, chip: ChipProfile, positions) -> None:
        self.chip = chip
        tm = chip.timing
        mesh = chip.mesh
        self.cycles_per_ns = chip.clock_hz / 1e9
        self.width = mesh.tiles_x * mesh.chips_x
        self.height = mesh.tiles_y * mesh.chips_y
        self.positions = [tuple(int(v) for v in p) for p in positions]
        self.event_bits = int(tm["event_bits"])
        self.flit_bits = int(tm["flit_bits"])
        hop_ew, hop_ns = self.units(tm["hop_ew_ns"]), self.units(tm["hop_ns_ns"])
        self.hop_latency = {EAST: hop_ew, WEST: hop_ew, NORTH: hop_ns, SOUTH: hop_ns}
        self.chip_link_latency = self.units(tm.get("chip_link_ns", tm["hop_ew_ns"]))
        self.chip_link_flit_time = round(float(tm["chip_link_cycles_per_flit"]) * RES)
        self._paths: dict[tuple[int, int], Path] = {}

    def units(self, ns: float) -> int:
        """Nanoseconds -> integer time units (1/RES cycle)."""
        return round(float(ns) * self.cycles_per_ns * RES)

    # ------------------------------------------------------------------ links
    def link_id(self, x: int, y: int, d: int) -> int:
        return (y * self.width + x) * 4 + d

    def link_name(self, link: int) -> str:
        """``"(x,y)->E"``: the link leaving tile (x, y) eastward."""
        tile, d = divmod(link, 4)
        y, x = divmod(tile, self.width)
        return f"({x},{y})->{DIRS[d]}"

    @property
    def flits_per_message(self) -> int:
        """Flits of one spike message: ``ceil(event_bits / flit_bits)``. Every spike travels as
        its own message to each destination core (messages are not packed into shared flits)."""
        return math.ceil(self.event_bits / self.flit_bits)

    def flits(self, messages: int) -> int:
        """Flits of a batch of ``messages`` spike messages (one source, one destination, one
        step): the batch's serialization on every link it crosses."""
        return messages * self.flits_per_message

    # ------------------------------------------------------------------ routes
    def path(self, src: int, dst: int) -> Path:
        """XY route (x first, then y) from source ``src`` to core program ``dst``."""
        key = (src, dst)
        p = self._paths.get(key)
        if p is not None:
            return p
        x, y = self.positions[src]
        x1, y1 = self.positions[dst]
        mesh = self.chip.mesh
        links, lat, ft = [], [], []
        ew = ns = cross = 0

        def hop(d: int, nx: int, ny: int) -> None:
            nonlocal cross
            crosses = (nx // mesh.tiles_x != x // mesh.tiles_x) or (
                ny // mesh.tiles_y != y // mesh.tiles_y
            )
            links.append(self.link_id(x, y, d))
            lat.append(self.chip_link_latency if crosses else self.hop_latency[d])
            ft.append(self.chip_link_flit_time if crosses else RES)
            cross += crosses

        while x != x1:
            d, nx = (EAST, x + 1) if x1 > x else (WEST, x - 1)
            hop(d, nx, y)
            x = nx
            ew += 1
        while y != y1:
            d, ny = (NORTH, y + 1) if y1 > y else (SOUTH, y - 1)
            hop(d, x, ny)
            y = ny
            ns += 1
        p = Path(tuple(links), tuple(lat), tuple(ft), ew, ns, cross)
        self._paths[key] = p
        return p

    def hop_counts(self, src, dst) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """E-W hops, N-S hops and chip crossings of the XY routes ``src[k] -> dst[k]`` (arrays
        of source indices and core programs): the same numbers as :meth:`path`, for counting a
        whole packet log at once without building every path."""
        mesh = self.chip.mesh
        pos = np.array(self.positions, np.int64).reshape(-1, 2)
        a, b = pos[np.asarray(src, np.int64)], pos[np.asarray(dst, np.int64)]
        ew = np.abs(a[:, 0] - b[:, 0])
        ns = np.abs(a[:, 1] - b[:, 1])
        # x first along the source's row, then y along the destination's column
        cross = np.abs(a[:, 0] // mesh.tiles_x - b[:, 0] // mesh.tiles_x) + np.abs(
            a[:, 1] // mesh.tiles_y - b[:, 1] // mesh.tiles_y
        )
        return ew, ns, cross
