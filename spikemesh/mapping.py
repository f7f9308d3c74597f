"""Map a :class:`~spikemesh.network.Network` onto a chip profile.

``map_network(net, chip)`` splits populations that exceed a core (neurons, input axons,
synapse memory), packs small slices of the same neuron model onto shared cores, places the
cores on the mesh so heavily connected cores sit close, and builds every core's program:
quantized synapse tables with delays and weight exponents, and routing tables from every
spike source (core or external input) to destination (core, axon).

A network that cannot fit raises :class:`~spikemesh.exceptions.MappingError` naming the
population or projection, the limit, and by how much it is exceeded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import chips as _chips
from .chips import ChipProfile
from .emulator.core import SynapseTable
from .exceptions import MappingError, ParameterError
from .fixedpoint import quantize_weights, sign_mode, weight_range
from .network import InputSource, Network, Population, Projection

__all__ = ["CoreProgram", "Mapping", "Route", "Slice", "map_network"]

ALLOCATORS = ("greedy", "sequential")


@dataclass
class Slice:
    """Neurons ``lo:hi`` of population ``pop``, at ``offset`` in core program ``core``."""

    pop: Population
    lo: int
    hi: int
    core: int = -1
    offset: int = 0

    @property
    def n(self) -> int:
        return self.hi - self.lo


@dataclass
class CoreProgram:
    """Everything one core holds: its neurons (slices), synapse table and usage."""

    index: int
    model: str
    slices: list[Slice] = field(default_factory=list)
    core_id: int = -1  # physical core on the mesh (set by placement)
    table: SynapseTable | None = None
    n_axons_in: int = 0
    n_axons_out: int = 0
    synapse_bits: int = 0
    n_synapses: int = 0
    max_delay: int = 1

    @property
    def n_neurons(self) -> int:
        return sum(s.n for s in self.slices)


@dataclass
class Route:
    """Routing table of one spike source (a core program, or an external input).

    Source neuron i reaches (``dest[j]`` core program, ``axon[j]``) for
    ``indptr[i] <= j < indptr[i+1]``.
    """

    indptr: np.ndarray
    dest: np.ndarray
    axon: np.ndarray
    n_dest: int

    def __post_init__(self) -> None:
        self.targets = np.unique(self.dest).astype(np.int64)  # destinations reached at all
        self.target_list = self.targets.tolist()


@dataclass
class _Usage:
    neurons: int = 0
    axons: int = 0
    bits: int = 0


class Mapping:
    """The result of :func:`map_network`: core programs, placement, routing, utilization.

    A Mapping knows nothing about time; :class:`~spikemesh.Simulator` runs it.
    """

    def __init__(self, network: Network, chip: ChipProfile, cores: list[CoreProgram],
                 slices: dict[str, list[Slice]], core_routes: list[Route],
                 input_routes: dict[str, Route], allocator: str) -> None:  # fmt: skip
        self.network = network
        self.chip = chip
        self.cores = cores
        self.slices = slices
        self.core_routes = core_routes
        self.input_routes = input_routes
        self.allocator = allocator

    @property
    def n_cores(self) -> int:
        return len(self.cores)

    def positions(self) -> np.ndarray:
        """``(n_cores, 2)`` tile coordinates of every core program."""
        return np.array([self.chip.mesh.core_position(c.core_id)[:2] for c in self.cores], np.int64)

    def hops(self) -> dict[str, int]:
        """Synapse-weighted estimate of mesh hops: sum over routes of the Manhattan distance
        between tiles, per source, and the total. External inputs enter at tile (0, 0)."""
        pos = self.positions()
        out = {}
        for c, r in zip(self.cores, self.core_routes, strict=True):
            src = pos[c.index]
            out[f"core {c.index}"] = int(np.abs(pos[r.dest] - src).sum()) if r.dest.size else 0
        for name, r in self.input_routes.items():
            out[f"input {name}"] = int(np.abs(pos[r.dest]).sum()) if r.dest.size else 0
        out["total"] = sum(out.values())
        return out

    def population_cores(self) -> dict[str, list[int]]:
        return {name: [s.core for s in sl] for name, sl in self.slices.items()}

    def report(self) -> str:
        """A readable table: cores per population and per-core utilization."""
        chip, lim = self.chip, self.chip.core
        lines = [
            f"Mapping of network {self.network.name!r} onto {chip.name} "
            f"({self.allocator} allocator): {self.n_cores} of {chip.n_cores} cores used",
            "",
            "population          neurons  cores  model",
        ]
        for name, sl in self.slices.items():
            pop = self.network.populations[name]
            lines.append(f"{name:<18} {pop.n:>8} {len(sl):>6}  {type(pop.neuron).__name__}")
        lines += [
            "",
            "core  (x, y).k   neurons        axons in       axons out      synapse memory       "
            "slices",
        ]
        for c in self.cores:
            x, y, k = chip.mesh.core_position(c.core_id)
            mem = 100.0 * c.synapse_bits / lim.synapse_memory_bits
            desc = ", ".join(f"{s.pop.name}[{s.lo}:{s.hi}]" for s in c.slices)
            lines.append(
                f"{c.index:>4}  ({x:>2},{y:>2}).{k}  "
                f"{c.n_neurons:>5}/{lim.neurons:<6} {c.n_axons_in:>5}/{lim.input_axons:<6}  "
                f"{c.n_axons_out:>5}/{lim.output_axons:<6}  {c.synapse_bits:>8} b ({mem:5.1f}%)   {desc}"
            )
        h = self.hops()
        lines += ["", f"estimated hops (synapse-weighted routes): {h['total']}"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Mapping({self.network.name!r} -> {self.chip.name}: {self.n_cores} cores)"


# ------------------------------------------------------------------------------ helpers


def _model_name(pop: Population) -> str:
    return type(pop.neuron).__name__


def _delay_bits(chip: ChipProfile, proj: Projection) -> int:
    return (
        math.ceil(math.log2(chip.core.max_delay + 1))
        if proj.delay.size and proj.delay.max() > 1
        else 0
    )


def _synapse_bits(chip: ChipProfile, proj: Projection) -> int:
    """Bits one synapse of ``proj`` occupies: weight + index (+ delay when delays > 1)."""
    return proj.weight_bits + chip.core.synapse_index_bits + _delay_bits(chip, proj)


def _payload_bits_of(src) -> int:
    if isinstance(src, InputSource):
        return src.payload_bits
    return src.neuron.payload_bits


class _Incoming:
    """Incoming synapses of one population, sorted by post index for range queries."""

    def __init__(self, chip: ChipProfile, projs: list[Projection]) -> None:
        self.items = []
        for p in projs:
            order = np.argsort(p.post_idx, kind="stable")
            self.items.append((p, p.post_idx[order], p.pre_idx[order], _synapse_bits(chip, p)))

    def usage(self, lo: int, hi: int) -> tuple[int, int, int]:
        """(input axons, synapse bits, synapses) needed by post neurons lo:hi."""
        axons = bits = syn = 0
        for _, post_sorted, pre_sorted, b in self.items:
            a, z = np.searchsorted(post_sorted, [lo, hi])
            if z > a:
                axons += _count_unique(pre_sorted[a:z])
                bits += int(z - a) * b
                syn += int(z - a)
        return axons, bits, syn


def _count_unique(a: np.ndarray) -> int:
    s = np.sort(a)
    return 1 + int(np.count_nonzero(s[1:] != s[:-1])) if s.size else 0


def _check_network(net: Network, chip: ChipProfile) -> None:
    lim = chip.core
    if not net.populations:
        raise MappingError(f"network {net.name!r} has no populations to map")
    for pop in net.populations.values():
        model = _model_name(pop)
        if not chip.supports(model):
            raise MappingError(
                f"population {pop.name!r} uses {model}; {chip.name} cores run "
                f"{', '.join(lim.neuron_models)}"
            )
        if model == "TrueNorthNeuron":
            raise MappingError(
                f"population {pop.name!r}: mapping TrueNorthNeuron populations (typed-axon "
                "crossbar scheme, splitter neurons) is not implemented yet"
            )
        if pop.neuron.payload_bits > lim.payload_bits:
            raise MappingError(
                f"population {pop.name!r} emits {pop.neuron.payload_bits}-bit spike payloads; "
                f"{chip.name} carries {lim.payload_bits}-bit spikes"
            )
    for src in net.inputs.values():
        if src.payload_bits > lim.payload_bits:
            raise MappingError(
                f"input {src.name!r} has {src.payload_bits}-bit payloads; {chip.name} carries "
                f"{lim.payload_bits}-bit spikes"
            )
    for proj in net.projections:
        if proj.delay.size and proj.delay.max() > lim.max_delay:
            raise MappingError(
                f"projection {proj.name!r} has a delay of {int(proj.delay.max())} steps; "
                f"{chip.name} supports at most {lim.max_delay} (by {int(proj.delay.max()) - lim.max_delay})"
            )
        mode = sign_mode(proj.weight)
        lo, hi = weight_range(mode)
        if proj.weight.size and (proj.weight.min() < lo or proj.weight.max() > hi):
            worst = int(proj.weight.min()) if proj.weight.min() < lo else int(proj.weight.max())
            raise MappingError(
                f"projection {proj.name!r}: its weights form {'an' if mode[0] in 'aeiou' else 'a'} "
                f"{mode} synapse group, which holds mantissas in {lo}..{hi}; got {worst} "
                "(scale the weights down and raise weight_exp)"
            )
        if proj.weight_bits > lim.weight_bits:
            raise MappingError(
                f"projection {proj.name!r} uses {proj.weight_bits}-bit weights; {chip.name} "
                f"stores at most {lim.weight_bits}"
            )


def _split(
    net: Network, chip: ChipProfile, incoming: dict[str, _Incoming]
) -> dict[str, list[Slice]]:
    """Cut every population into the largest consecutive slices that fit one core."""
    lim = chip.core
    out: dict[str, list[Slice]] = {}
    for pop in net.populations.values():
        inc = incoming[pop.name]
        slices, lo = [], 0
        while lo < pop.n:

            def fits(hi: int, lo=lo, inc=inc) -> bool:
                axons, bits, _ = inc.usage(lo, hi)
                return (
                    hi - lo <= lim.neurons
                    and axons <= lim.input_axons
                    and bits <= lim.synapse_memory_bits
                )

            if not fits(lo + 1):
                axons, bits, _ = inc.usage(lo, lo + 1)
                if axons > lim.input_axons:
                    raise MappingError(
                        f"population {pop.name!r}: neuron {lo} alone needs {axons} input axons; "
                        f"{chip.name} cores have {lim.input_axons} (over by {axons - lim.input_axons})"
                    )
                raise MappingError(
                    f"population {pop.name!r}: neuron {lo} alone needs {bits} bits of synapse "
                    f"memory; {chip.name} cores have {lim.synapse_memory_bits} "
                    f"(over by {bits - lim.synapse_memory_bits})"
                )
            good, bad = lo + 1, min(pop.n, lo + lim.neurons) + 1  # fits(good), not known for bad
            if fits(bad - 1):
                good = bad - 1
            else:
                bad = bad - 1
                while bad - good > 1:  # usage grows with hi: binary search the largest fit
                    mid = (good + bad) // 2
                    good, bad = (mid, bad) if fits(mid) else (good, mid)
            slices.append(Slice(pop, lo, good))
            lo = good
        out[pop.name] = slices
    return out


def _pack(chip: ChipProfile, slices: dict[str, list[Slice]], incoming) -> list[CoreProgram]:
    """First-fit packing of slices (same neuron model only) onto core programs."""
    lim = chip.core
    cores: list[CoreProgram] = []
    usage: list[_Usage] = []
    for sl_list in slices.values():
        for sl in sl_list:
            axons, bits, _ = incoming[sl.pop.name].usage(sl.lo, sl.hi)
            model = _model_name(sl.pop)
            target = None
            for c, u in zip(cores, usage, strict=True):
                if (
                    c.model == model
                    and u.neurons + sl.n <= lim.neurons
                    and u.axons + axons <= lim.input_axons
                    and u.bits + bits <= lim.synapse_memory_bits
                ):
                    target = c.index
                    break
            if target is None:
                cores.append(CoreProgram(len(cores), model))
                usage.append(_Usage())
                target = len(cores) - 1
            c, u = cores[target], usage[target]
            sl.core, sl.offset = target, u.neurons
            c.slices.append(sl)
            u.neurons += sl.n
            u.axons += axons
            u.bits += bits
    return cores


def _traffic(net: Network, cores: list[CoreProgram], slices: dict[str, list[Slice]]) -> np.ndarray:
    """Synapse counts between core programs (from row core to column core)."""
    n = len(cores)
    t = np.zeros((n, n), np.int64)
    core_of = {name: _neuron_core(sl, net.populations[name].n) for name, sl in slices.items()}
    for proj in net.projections:
        if isinstance(proj.pre, InputSource):
            continue
        src = core_of[proj.pre.name][proj.pre_idx]
        dst = core_of[proj.post.name][proj.post_idx]
        np.add.at(t, (src, dst), 1)
    return t


def _neuron_core(sl: list[Slice], n: int) -> np.ndarray:
    out = np.empty(n, np.int64)
    for s in sl:
        out[s.lo : s.hi] = s.core
    return out


def _place(
    chip: ChipProfile, cores: list[CoreProgram], traffic: np.ndarray, allocator: str
) -> None:
    """Assign physical cores. "sequential": in order. "greedy": each next core program (most
    connected to those placed first) takes the free core minimizing traffic x hops."""
    mesh = chip.mesh
    if len(cores) > mesh.n_cores:
        raise MappingError(
            f"the network needs {len(cores)} cores; {chip.name} has {mesh.n_cores} "
            f"(over by {len(cores) - mesh.n_cores})"
        )
    if allocator == "sequential":
        for c in cores:
            c.core_id = c.index
        return
    pos = np.array([mesh.core_position(k)[:2] for k in range(mesh.n_cores)], np.int64)
    sym = traffic + traffic.T
    np.fill_diagonal(sym, 0)
    free = np.ones(mesh.n_cores, bool)
    placed = np.full(len(cores), -1, np.int64)
    # order: start with the busiest program, then always the one most connected to the placed set
    remaining = set(range(len(cores)))
    pull = np.zeros(len(cores), np.int64)
    order = []
    while remaining:
        cand = sorted(remaining)
        nxt = max(cand, key=lambda i: (pull[i], sym[i].sum(), -i))
        order.append(nxt)
        remaining.discard(nxt)
        pull += sym[nxt]
    origin = pos.sum(axis=1)  # tie-break toward the mesh origin keeps the layout compact
    for i in order:
        nb = np.flatnonzero((sym[i] > 0) & (placed >= 0))
        cost = np.zeros(mesh.n_cores, np.float64)
        if nb.size:
            d = np.abs(pos[:, None, :] - pos[placed[nb]][None, :, :]).sum(axis=2)
            cost = d @ sym[i, nb].astype(np.float64)
        cost = cost * (mesh.n_cores * 4) + origin  # traffic first, then compactness
        cost[~free] = np.inf
        k = int(np.argmin(cost))
        placed[i] = k
        free[k] = False
    for c in cores:
        c.core_id = int(placed[c.index])


def _build_programs(net: Network, chip: ChipProfile, cores: list[CoreProgram],
                    slices: dict[str, list[Slice]]) -> tuple[list[Route], dict[str, Route]]:  # fmt: skip
    """Synapse tables per core and routing tables per spike source."""
    lim = chip.core
    # per-core CSR pieces; route entries per source: (source neuron, dest core, axon)
    rows_per_core: list[list] = [[] for _ in cores]  # list of (targets, weights, delays, exp)
    routes: dict[tuple, list] = {}  # ("core", i) or ("input", name) -> list of arrays
    for proj in net.projections:
        # one synapse group per projection: its sign mode is decided over all its weights
        q = quantize_weights(
            proj.weight, proj.weight_bits, sign_mode(proj.weight), owner=f"projection {proj.name!r}"
        )
        pre_core = (
            None
            if isinstance(proj.pre, InputSource)
            else _neuron_core(slices[proj.pre.name], proj.pre.n)
        )
        pre_offset = None
        if pre_core is not None:
            pre_offset = np.empty(proj.pre.n, np.int64)
            for s in slices[proj.pre.name]:
                pre_offset[s.lo : s.hi] = s.offset + np.arange(s.n)
        for s in slices[proj.post.name]:
            sel = (proj.post_idx >= s.lo) & (proj.post_idx < s.hi)
            if not sel.any():
                continue
            pre = proj.pre_idx[sel]  # sorted by pre (COO order)
            post = proj.post_idx[sel] - s.lo + s.offset
            w, d = q[sel], proj.delay[sel]
            uniq, start = np.unique(pre, return_index=True)
            bounds = np.append(start, pre.size)
            core = cores[s.core]
            first_axon = sum(len(r[0]) for r in rows_per_core[s.core])
            axon_ids = first_axon + np.arange(uniq.size)
            lens = np.diff(bounds)
            rows_per_core[s.core].append((lens, post, w, d, proj.weight_exp))
            if pre_core is None:
                routes.setdefault(("input", proj.pre.name), []).append(
                    (uniq, np.full(uniq.size, s.core), axon_ids)
                )
            else:  # route entries live with the source neuron's core program
                src_cores = pre_core[uniq]
                for sc in np.unique(src_cores):
                    m = src_cores == sc
                    routes.setdefault(("core", int(sc)), []).append(
                        (pre_offset[uniq[m]], np.full(int(m.sum()), s.core), axon_ids[m])
                    )
            core.n_synapses += int(pre.size)
    # synapse tables
    for c in cores:
        pieces = rows_per_core[c.index]
        n_acc = c.n_neurons
        acc_shift = 6 if c.model == "CubaLIF" else 0
        if pieces:
            lens = np.concatenate([p[0] for p in pieces])
            indptr = np.zeros(lens.size + 1, np.int64)
            np.cumsum(lens, out=indptr[1:])
            targets = np.concatenate([p[1] for p in pieces])
            weights = np.concatenate([p[2] for p in pieces])
            delays = np.concatenate([p[3] for p in pieces])
            row_exp = np.concatenate([np.full(p[0].size, p[4], np.int8) for p in pieces])
        else:
            indptr = np.zeros(1, np.int64)
            targets = weights = delays = np.zeros(0, np.int64)
            row_exp = np.zeros(0, np.int8)
        c.table = SynapseTable(indptr, targets, weights, delays, row_exp, n_acc, acc_shift)
        c.n_axons_in = c.table.n_axons
        c.max_delay = c.table.max_delay
    # synapse memory per core, in each projection's format
    for proj in net.projections:
        b = _synapse_bits(chip, proj)
        for s in slices[proj.post.name]:
            n_syn = int(((proj.post_idx >= s.lo) & (proj.post_idx < s.hi)).sum())
            cores[s.core].synapse_bits += n_syn * b

    # routing tables
    def make_route(n_src: int, entries: list) -> Route:
        if entries:
            src = np.concatenate([e[0] for e in entries]).astype(np.int64)
            dst = np.concatenate([e[1] for e in entries]).astype(np.int32)
            axn = np.concatenate([e[2] for e in entries]).astype(np.int32)
            order = np.lexsort((axn, dst, src))
            src, dst, axn = src[order], dst[order], axn[order]
        else:
            src = np.zeros(0, np.int64)
            dst = axn = np.zeros(0, np.int32)
        indptr = np.zeros(n_src + 1, np.int64)
        np.cumsum(np.bincount(src, minlength=n_src), out=indptr[1:])
        return Route(indptr, dst, axn, len(cores))

    core_routes = [make_route(c.n_neurons, routes.get(("core", c.index), [])) for c in cores]
    input_routes = {
        name: make_route(src.n, routes.get(("input", name), [])) for name, src in net.inputs.items()
    }
    for c, r in zip(cores, core_routes, strict=True):
        # output axons: one per (source neuron, destination core)
        src = np.repeat(np.arange(c.n_neurons), np.diff(r.indptr))
        pairs = np.unique(np.stack([src, r.dest.astype(np.int64)]), axis=1)
        c.n_axons_out = pairs.shape[1]
        if c.n_axons_out > lim.output_axons:
            raise MappingError(
                f"core {c.index} ({', '.join(s.pop.name for s in c.slices)}) needs "
                f"{c.n_axons_out} output axons; {chip.name} cores have {lim.output_axons} "
                f"(over by {c.n_axons_out - lim.output_axons})"
            )
        if lim.fanout_cores:
            per_neuron = np.bincount(pairs[0], minlength=c.n_neurons)
            if per_neuron.size and per_neuron.max() > lim.fanout_cores:
                raise MappingError(
                    f"core {c.index}: a neuron reaches {int(per_neuron.max())} cores; {chip.name} "
                    f"neurons reach {lim.fanout_cores}"
                )
    return core_routes, input_routes


def map_network(net: Network, chip, allocator: str = "greedy") -> Mapping:
    """Map ``net`` onto ``chip`` (a :class:`ChipProfile`, a shipped name or a .toml path).

    Parameters
    ----------
    allocator : {"greedy", "sequential"}
        Placement: "greedy" puts each core program next to the ones it exchanges most
        synapses with; "sequential" fills cores in order (a baseline).

    Raises
    ------
    MappingError
        The network does not fit: says which population or projection, which limit, by how much.
    """
    if not isinstance(net, Network):
        raise ParameterError(f"map_network: net must be a Network (got {type(net).__name__})")
    chip = _chips.get(chip)
    if allocator not in ALLOCATORS:
        raise ParameterError(
            f"map_network.allocator: must be one of {', '.join(ALLOCATORS)} (got {allocator!r})"
        )
    _check_network(net, chip)
    by_post: dict[str, list[Projection]] = {name: [] for name in net.populations}
    for proj in net.projections:
        by_post[proj.post.name].append(proj)
    incoming = {name: _Incoming(chip, projs) for name, projs in by_post.items()}
    slices = _split(net, chip, incoming)
    cores = _pack(chip, slices, incoming)
    _place(chip, cores, _traffic(net, cores, slices), allocator)
    core_routes, input_routes = _build_programs(net, chip, cores, slices)
    return Mapping(net, chip, cores, slices, core_routes, input_routes, allocator)
