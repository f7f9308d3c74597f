"""Mesh network-on-chip: routes as arrays, hops, flits, links and the time unit.

One module answers "which links does a message from source s to core d cross, how long does
each hop take, how many flits is it" for both timing engines (:mod:`spikemesh.emulator.timing`)
and for the counting of hops for energy. Sources are numbered as in
:attr:`spikemesh.mapping.Mapping.sources`: core programs first, then external inputs, which
enter the mesh at the profile's host tile (``[mesh] host_tile``, default (0, 0)).

Routes are computed once per mapping, for the mapping's (source, destination) pairs, into a
:class:`RouteTable` (CSR: per pair, its hops' links, latencies and flit times). The compiled
engine, its NumPy twin, the SimPy model and :meth:`spikemesh.mapping.Mapping.hops` read the
table; none of them computes a route. A routing rule is a function registered in
:data:`ROUTERS` (``"xy"``: x first, then y; ``"yx"``: y first), named by the profile's
``[mesh] routing``.

Time is kept in integer units of ``1 / RES`` cycle, so every sum is exact and every order of
adding gives the same total (the analytic and SimPy models agree to the unit).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import chips as _chips
from .chips import ChipProfile
from .exceptions import ParameterError

__all__ = [
    "DIRS",
    "EAST",
    "NORTH",
    "RES",
    "ROUTERS",
    "SOUTH",
    "WEST",
    "Mesh",
    "Path",
    "RouteTable",
    "register_router",
]

RES = 1000  # time units per cycle
EAST, WEST, NORTH, SOUTH = 0, 1, 2, 3
DIRS = "EWNS"
_STEP_X = np.array([1, -1, 0, 0], np.int64)  # tile step of each direction
_STEP_Y = np.array([0, 0, 1, -1], np.int64)


# ---------------------------------------------------------------------------- routing rules
def _runs(first: np.ndarray, second: np.ndarray, first_dirs, second_dirs):
    """Hops of a dimension-order route: ``|first|`` hops along one axis, then ``|second|``
    along the other; ``*_dirs`` = (direction if positive, direction if negative)."""
    n1, n2 = np.abs(first), np.abs(second)
    n = n1 + n2
    ptr = np.zeros(n.shape[0] + 1, np.int64)
    np.cumsum(n, out=ptr[1:])
    off = np.arange(ptr[-1], dtype=np.int64) - np.repeat(ptr[:-1], n)
    in_first = off < np.repeat(n1, n)
    d1 = np.where(np.repeat(first, n) > 0, first_dirs[0], first_dirs[1])
    d2 = np.where(np.repeat(second, n) > 0, second_dirs[0], second_dirs[1])
    return ptr, np.where(in_first, d1, d2).astype(np.int64)


def route_xy(x0, y0, x1, y1):
    """Dimension-order routing, x first: the route of Loihi's and TrueNorth's meshes."""
    return _runs(x1 - x0, y1 - y0, (EAST, WEST), (NORTH, SOUTH))


def route_yx(x0, y0, x1, y1):
    """Dimension-order routing, y first."""
    return _runs(y1 - y0, x1 - x0, (NORTH, SOUTH), (EAST, WEST))


Router = Callable[..., tuple[np.ndarray, np.ndarray]]
ROUTERS: dict[str, Router] = {}
"""Routing rules by name. A rule takes the source and destination tiles of every pair
(``x0, y0, x1, y1``: int64 arrays) and returns ``(ptr, dirs)``: pair k's hops are
``dirs[ptr[k]:ptr[k+1]]``, directions among EAST, WEST, NORTH, SOUTH, each moving one tile.
Links, latencies, flit times and chip crossings follow from the walk (:class:`Mesh`)."""


def register_router(name: str, rule: Router, doc: str = "") -> None:
    """Make ``rule`` the routing rule named ``name`` (a profile selects it with
    ``[mesh] routing = "name"``)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ParameterError(f"noc.register_router.name: must be an identifier (got {name!r})")
    if not callable(rule):
        raise ParameterError(f"noc.register_router.rule: must be callable (got {rule!r:.60})")
    if name in ROUTERS and ROUTERS[name] is not rule:
        raise ParameterError(f"noc.register_router: a routing rule named {name!r} is already "
                             f"registered (registered: {', '.join(ROUTERS)})")  # fmt: skip
    ROUTERS[name] = rule
    _chips.ROUTINGS[name] = doc or ((rule.__doc__ or "").strip().splitlines() or [name])[0]


register_router("xy", route_xy)
register_router("yx", route_yx)


# ---------------------------------------------------------------------------- route table
@dataclass(frozen=True, slots=True)
class Path:
    """The route of one (source, destination) pair.

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


@dataclass(frozen=True, slots=True)
class RouteTable:
    """Routes of a set of (source, destination) pairs, as arrays (CSR over pairs).

    Pair ``r`` (sorted by source, then destination) is ``src[r] -> dst[r]``; its hops are
    ``ptr[r] <= q < ptr[r+1]`` with directed ``link[q]``, head ``latency[q]`` and
    ``flit_time[q]`` (1/RES cycle per flit). Per pair: ``ew``, ``ns`` (hops by axis),
    ``crossings`` (chip-boundary hops), ``max_flit_time`` (the slowest hop's flit time, 0
    without hops: the tail's lag behind the head). Every array is read-only.
    """

    src: np.ndarray
    dst: np.ndarray
    ptr: np.ndarray
    link: np.ndarray
    latency: np.ndarray
    flit_time: np.ndarray
    ew: np.ndarray
    ns: np.ndarray
    crossings: np.ndarray
    max_flit_time: np.ndarray
    span: int  # pair key = src * span + dst
    _index: dict = field(default_factory=dict, compare=False, repr=False)  # find()'s lookup

    @property
    def n_pairs(self) -> int:
        return int(self.src.shape[0])

    @property
    def hops(self) -> np.ndarray:
        return np.diff(self.ptr)

    def find(self, src, dst) -> np.ndarray:
        """Pair index of every ``src[k] -> dst[k]`` (-1 where the table has no such pair): one
        gather from a dense (source, destination) -> pair array when it has at most 2**22
        entries (built on first use; a run's batches are looked up once), else a binary
        search of the sorted pair keys."""
        keys = np.asarray(src, np.int64) * self.span + np.asarray(dst, np.int64)
        table = self.src * self.span + self.dst
        if "dense" not in self._index:
            size = (int(self.src.max()) + 1) * self.span if self.src.size else 0
            dense = None
            if 0 < size <= 2**22:
                dense = np.full(size, -1, np.int32)
                dense[table] = np.arange(table.shape[0], dtype=np.int32)
            self._index["dense"] = dense
        dense = self._index["dense"]
        if dense is not None:
            out = np.full(keys.shape, -1, np.int64)
            ok = (keys >= 0) & (keys < dense.shape[0])
            out[ok] = dense[keys[ok]]
            return out
        at = np.searchsorted(table, keys)
        at = np.minimum(at, max(table.shape[0] - 1, 0))
        hit = (table[at] == keys) if table.shape[0] else np.zeros(keys.shape, bool)
        return np.where(hit, at, -1).astype(np.int64)


def _frozen(a, dtype=np.int64) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype)
    a.flags.writeable = False
    return a


class Mesh:
    """The mesh of ``chip`` with spike sources at ``positions`` (tile (x, y) per source).

    Parameters
    ----------
    chip : ChipProfile
        Geometry and routing rule (``[mesh]``), per-hop latencies and flit sizes
        (``[timing]``).
    positions : sequence of (x, y)
        Tile of every source, in :attr:`Mapping.sources` order; destinations are core
        programs, i.e. the first ``n_cores`` sources.
    pairs : (src, dst) arrays, optional
        The pairs to route up front (a mapping's); others are added on first use.
    """

    def __init__(self, chip: ChipProfile, positions, pairs=None) -> None:
        self.chip = chip
        tm = chip.timing
        mesh = chip.mesh
        self.cycles_per_ns = chip.clock_hz / 1e9
        self.width = mesh.tiles_x * mesh.chips_x
        self.height = mesh.tiles_y * mesh.chips_y
        self.positions = [tuple(int(v) for v in p) for p in positions]
        self._pos = np.array(self.positions, np.int64).reshape(-1, 2)
        self.event_bits = int(tm["event_bits"])
        self.flit_bits = int(tm["flit_bits"])
        hop_ew, hop_ns = self.units(tm["hop_ew_ns"]), self.units(tm["hop_ns_ns"])
        self.hop_latency = {EAST: hop_ew, WEST: hop_ew, NORTH: hop_ns, SOUTH: hop_ns}
        self.chip_link_latency = self.units(tm.get("chip_link_ns", tm["hop_ew_ns"]))
        self.chip_link_flit_time = round(float(tm["chip_link_cycles_per_flit"]) * RES)
        if mesh.routing not in ROUTERS:
            raise ParameterError(
                f"{chip.name}: [mesh] routing = {mesh.routing!r}: no such routing rule; "
                f"registered: {', '.join(ROUTERS)} (noc.register_router adds one)"
            )
        self.router = ROUTERS[mesh.routing]
        empty = np.zeros(0, np.int64)
        self.table = self._build(empty, empty)
        self._paths: dict[tuple[int, int], Path] = {}
        if pairs is not None:
            self.route_ids(*pairs)

    def units(self, ns: float) -> int:
        """Nanoseconds -> integer time units (1/RES cycle)."""
        return round(float(ns) * self.cycles_per_ns * RES)

    # ------------------------------------------------------------------ links
    def link_id(self, x: int, y: int, d: int) -> int:
        return (y * self.width + x) * 4 + d

    @property
    def n_links(self) -> int:
        return self.width * self.height * 4

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
    def _build(self, src: np.ndarray, dst: np.ndarray) -> RouteTable:
        """The route table of the (unique, sorted) pairs ``src[k] -> dst[k]``."""
        m = self.chip.mesh
        a, b = self._pos[src], self._pos[dst]
        if src.shape[0]:
            ptr, dirs = self.router(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        else:
            ptr, dirs = np.zeros(1, np.int64), np.zeros(0, np.int64)
        ptr = np.asarray(ptr, np.int64)
        dirs = np.asarray(dirs, np.int64)
        n = np.diff(ptr)
        if ptr.shape[0] != src.shape[0] + 1 or (dirs.size and not ((dirs >= 0) & (dirs < 4)).all()):
            raise ParameterError(
                f"{self.chip.name}: routing rule {m.routing!r} returned malformed hops "
                "(need ptr of n_pairs + 1 entries and directions 0..3)"
            )
        # tile before each hop: the pair's source tile plus the steps taken so far
        cx = np.cumsum(_STEP_X[dirs]) if dirs.size else np.zeros(0, np.int64)
        cy = np.cumsum(_STEP_Y[dirs]) if dirs.size else np.zeros(0, np.int64)
        base = np.repeat(ptr[:-1], n)
        before_x = np.concatenate(([0], cx))[base]
        before_y = np.concatenate(([0], cy))[base]
        x = np.repeat(a[:, 0], n) + np.concatenate(([0], cx))[:-1] - before_x
        y = np.repeat(a[:, 1], n) + np.concatenate(([0], cy))[:-1] - before_y
        nx, ny = x + _STEP_X[dirs], y + _STEP_Y[dirs]
        end_ok = np.ones(src.shape[0], bool)
        if dirs.size:
            last = ptr[1:][n > 0] - 1
            end_ok[n > 0] = (nx[last] == b[n > 0, 0]) & (ny[last] == b[n > 0, 1])
        end_ok[n == 0] &= (a[n == 0] == b[n == 0]).all(axis=1)
        off_mesh = (nx < 0) | (nx >= self.width) | (ny < 0) | (ny >= self.height)
        if not end_ok.all() or off_mesh.any():
            raise ParameterError(
                f"{self.chip.name}: routing rule {m.routing!r} leaves the mesh or does not end "
                "at the destination tile"
            )
        cross = (nx // m.tiles_x != x // m.tiles_x) | (ny // m.tiles_y != y // m.tiles_y)
        hop_lat = np.array([self.hop_latency[d] for d in range(4)], np.int64)
        lat = np.where(cross, self.chip_link_latency, hop_lat[dirs])
        ft = np.where(cross, self.chip_link_flit_time, RES).astype(np.int64)
        pair = np.repeat(np.arange(src.shape[0]), n)
        ew = np.bincount(pair, dirs <= WEST, minlength=src.shape[0]).astype(np.int64)
        crossings = np.bincount(pair, cross, minlength=src.shape[0]).astype(np.int64)
        maxft = np.zeros(src.shape[0], np.int64)
        np.maximum.at(maxft, pair, ft)
        return RouteTable(
            _frozen(src), _frozen(dst), _frozen(ptr), _frozen((y * self.width + x) * 4 + dirs),
            _frozen(lat), _frozen(ft), _frozen(ew), _frozen(n - ew), _frozen(crossings),
            _frozen(maxft), max(len(self.positions), 1),
        )  # fmt: skip

    def route_ids(self, src, dst) -> np.ndarray:
        """Index in :attr:`table` of the route of every ``src[k] -> dst[k]``, routing (and
        adding to the table) pairs it does not hold yet."""
        src = np.asarray(src, np.int64).reshape(-1)
        dst = np.asarray(dst, np.int64).reshape(-1)
        n = len(self.positions)
        if src.size and (src.min() < 0 or src.max() >= n or dst.min() < 0 or dst.max() >= n):
            raise ParameterError(
                f"Mesh.route_ids: sources and destinations must be in 0..{n - 1} (got "
                f"{int(min(src.min(), dst.min()))}..{int(max(src.max(), dst.max()))})"
            )
        ids = self.table.find(src, dst)
        if (ids < 0).any():
            t = self.table
            keys = np.unique(np.concatenate((t.src * t.span + t.dst, src * t.span + dst)))
            self.table = self._build(keys // t.span, keys % t.span)
            ids = self.table.find(src, dst)
        return ids

    def path(self, src: int, dst: int) -> Path:
        """The route from source ``src`` to core program ``dst`` (read from the table)."""
        key = (int(src), int(dst))
        p = self._paths.get(key)
        if p is not None:
            return p
        r = int(self.route_ids([src], [dst])[0])
        t = self.table
        q = slice(int(t.ptr[r]), int(t.ptr[r + 1]))
        p = Path(tuple(t.link[q].tolist()), tuple(t.latency[q].tolist()),
                 tuple(t.flit_time[q].tolist()), int(t.ew[r]), int(t.ns[r]),
                 int(t.crossings[r]))  # fmt: skip
        self._paths[key] = p
        return p

    def hop_counts(self, src, dst) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """E-W hops, N-S hops and chip crossings of the routes ``src[k] -> dst[k]`` (arrays of
        source indices and core programs), read from the route table."""
        ids = self.route_ids(src, dst)
        t = self.table
        return t.ew[ids], t.ns[ids], t.crossings[ids]
