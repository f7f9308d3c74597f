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
from .neurons import TrueNorthNeuron

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
    weight_bits_total: int = 0  # sum over synapses of their weight bits (1 on a crossbar)
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


class Mapping:
    """The result of :func:`map_network`: core programs, placement, routing, utilization.

    A Mapping knows nothing about time; :class:`~spikemesh.Simulator` runs it.
    """

    def __init__(self, network: Network, chip: ChipProfile, cores: list[CoreProgram],
                 slices: dict[str, list[Slice]], core_routes: list[Route],
                 input_routes: dict[str, Route], allocator: str,
                 splitters: dict[str, Population] | None = None,
                 latency: dict[str, int] | None = None) -> None:  # fmt: skip
        self.network = network
        self.chip = chip
        self.cores = cores
        self.slices = slices
        self.core_routes = core_routes
        self.input_routes = input_routes
        self.allocator = allocator
        self.splitters = splitters or {}
        """Hidden splitter populations, by the population whose spikes they relay."""
        self.latency = latency or {name: 0 for name in network.populations}
        """Extra steps, per population, between a spike and its arrival through projections of
        delay 1 (splitter neurons add one; longer delays are shortened to compensate)."""

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
        """Core programs holding each population's slices, in slice order."""
        return {name: [s.core for s in sl] for name, sl in self.slices.items()}

    def report(self) -> str:
        """A readable table: cores per population and per-core utilization."""
        chip, lim = self.chip, self.chip.core
        lines = [
            f"Mapping of network {self.network.name!r} onto {chip.name} "
            f"({self.allocator} allocator): {self.n_cores} of {chip.n_cores} cores used",
            "",
            "population          neurons  cores  model            added latency",
        ]
        for name, sl in self.slices.items():
            pop = self.network.populations[name]
            lat = self.latency.get(name, 0)
            lines.append(
                f"{name:<18} {pop.n:>8} {len(sl):>6}  {type(pop.neuron).__name__:<16} "
                f"{'+' + str(lat) + ' step' if lat else '-'}"
            )
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
        for name, sp in self.splitters.items():
            lines.append(
                f"splitters: {sp.n} splitter neurons relay population {name!r} "
                f"(+{self.latency[name]} step on its delay-1 projections; longer delays compensated)"
            )
        h = self.hops()
        lines += ["", f"estimated hops (synapse-weighted routes): {h['total']}"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Mapping({self.network.name!r} -> {self.chip.name}: {self.n_cores} cores)"


# ------------------------------------------------------------------------------ helpers

SPLITTER = TrueNorthNeuron(weights=(1, 0, 0, 0), alpha=1, reset_mode=0, reset_value=0)
"""A TrueNorth splitter neuron: fires in the step its single input spike arrives."""


def _model_name(pop: Population) -> str:
    return type(pop.neuron).__name__


def _count_unique(a: np.ndarray) -> int:
    s = np.sort(a)
    return 1 + int(np.count_nonzero(s[1:] != s[:-1])) if s.size else 0


@dataclass
class _Syn:
    """The synapses of one projection as the chip stores them.

    An input axon of a core is identified by (projection, ``pre``, ``key``): on Loihi-like
    cores ``key`` is 0 (one axon per presynaptic neuron and projection); on TrueNorth-like
    cores it is ``G * 16 + delay`` (one typed axon per line, axon type and delay). Synapse j
    adds ``weight[j] * payload`` to accumulator ``acc[j]`` of neuron ``post[j]``.
    """

    index: int
    proj: Projection
    pre: np.ndarray
    post: np.ndarray
    key: np.ndarray
    acc: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    exp: int
    bits: int  # synapse memory bits per synapse
    weight_bits: int = 1  # bits of the stored weight (1: a crossbar bit)

    def __post_init__(self) -> None:
        order = np.argsort(self.post, kind="stable")
        self._post_sorted = self.post[order]
        self._axon_sorted = (self.pre * 256 + self.key)[order]

    def usage(self, lo: int, hi: int) -> tuple[int, int]:
        """(input axons, synapse bits) needed by post neurons lo:hi."""
        a, z = np.searchsorted(self._post_sorted, [lo, hi])
        if z <= a:
            return 0, 0
        return _count_unique(self._axon_sorted[a:z]), int(z - a) * self.bits

    def in_range(self, lo: int, hi: int) -> np.ndarray:
        return (self.post >= lo) & (self.post < hi)


def _subset_table(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per neuron, the 15 non-empty axon-type subsets (fewest types first) and their sums."""
    masks = sorted(range(1, 16), key=lambda m: (bin(m).count("1"), m))
    bits = np.array([[(m >> g) & 1 for g in range(4)] for m in masks], np.int64)  # (15, 4)
    return np.array(masks, np.int64), S.astype(np.int64) @ bits.T  # (n, 15)


def _truenorth_syn(index: int, proj: Projection, delay_shift: int) -> _Syn:
    """Typed-axon scheme: weight w_ij becomes the crossbar connections from copies of line i,
    one per axon type G in a subset whose weights S_j[G] add up to w_ij (exact, or an error)."""
    S = proj.post.neuron.weight_table(proj.post.n)
    masks, sums = _subset_table(S)
    w = proj.weight
    match = sums[proj.post_idx] == w[:, None]  # (nnz, 15)
    ok = match.any(axis=1)
    if not ok.all():
        j = int(np.flatnonzero(~ok)[0])
        post = int(proj.post_idx[j])
        raise MappingError(
            f"projection {proj.name!r}: weight {int(w[j])} from {proj.pre.name}[{int(proj.pre_idx[j])}] "
            f"to {proj.post.name}[{post}] is not a sum of that neuron's axon-type weights "
            f"{S[post].tolist()} (reachable: {sorted(set(sums[post].tolist()))})"
        )
    mask = masks[np.argmax(match, axis=1)]
    rows, types = np.nonzero((mask[:, None] >> np.arange(4)) & 1)
    d = proj.delay[rows] - delay_shift
    d = np.where(d >= 1, d, 1)
    return _Syn(
        index, proj, proj.pre_idx[rows], proj.post_idx[rows], types * 16 + d, types,
        np.ones(rows.size, np.int16), d, 0, 1,
    )  # fmt: skip


def _loihi_syn(index: int, proj: Projection, chip: ChipProfile) -> _Syn:
    q = quantize_weights(
        proj.weight, proj.weight_bits, sign_mode(proj.weight), owner=f"projection {proj.name!r}"
    )
    delay_bits = (
        math.ceil(math.log2(chip.core.max_delay + 1))
        if proj.delay.size and proj.delay.max() > 1
        else 0
    )
    n = proj.pre_idx.size
    return _Syn(
        index, proj, proj.pre_idx, proj.post_idx, np.zeros(n, np.int64), np.zeros(n, np.int64),
        q, proj.delay, proj.weight_exp, proj.weight_bits + chip.core.synapse_index_bits + delay_bits,
        proj.weight_bits,
    )  # fmt: skip


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
        if _model_name(proj.post) == "TrueNorthNeuron":
            continue  # weights come from the neurons' axon-type weights (checked per synapse)
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


def _make_syns(net: Network, chip: ChipProfile, split: set[str]) -> dict[str, list[_Syn]]:
    """Synapse views per post population (TrueNorth delays shortened after splitters)."""
    by_post: dict[str, list[_Syn]] = {name: [] for name in net.populations}
    for k, proj in enumerate(net.projections):
        if _model_name(proj.post) == "TrueNorthNeuron":
            shift = 1 if proj.pre.name in split else 0
            syn = _truenorth_syn(k, proj, shift)
        else:
            syn = _loihi_syn(k, proj, chip)
        by_post[proj.post.name].append(syn)
    return by_post


def _usage(syns: list[_Syn], lo: int, hi: int) -> tuple[int, int]:
    axons = bits = 0
    for sy in syns:
        a, b = sy.usage(lo, hi)
        axons += a
        bits += b
    return axons, bits


def _split(net: Network, chip: ChipProfile, syns: dict[str, list[_Syn]]) -> dict[str, list[Slice]]:
    """Cut every population into the largest consecutive slices that fit one core."""
    lim = chip.core
    out: dict[str, list[Slice]] = {}
    for pop in net.populations.values():
        inc = syns[pop.name]
        slices, lo = [], 0
        while lo < pop.n:

            def fits(hi: int, lo=lo, inc=inc) -> bool:
                axons, bits = _usage(inc, lo, hi)
                return (
                    hi - lo <= lim.neurons
                    and axons <= lim.input_axons
                    and bits <= lim.synapse_memory_bits
                )

            if not fits(lo + 1):
                axons, bits = _usage(inc, lo, lo + 1)
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
            good, bad = lo + 1, min(pop.n, lo + lim.neurons) + 1
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


def _pack(chip: ChipProfile, slices: dict[str, list[Slice]], syns) -> list[CoreProgram]:
    """First-fit packing of slices (same neuron model only) onto core programs."""
    lim = chip.core
    cores: list[CoreProgram] = []
    usage: list[list[int]] = []
    for sl_list in slices.values():
        for sl in sl_list:
            axons, bits = _usage(syns[sl.pop.name], sl.lo, sl.hi)
            model = _model_name(sl.pop)
            target = None
            for c, (un, ua, ub) in zip(cores, usage, strict=True):
                if (
                    c.model == model
                    and un + sl.n <= lim.neurons
                    and ua + axons <= lim.input_axons
                    and ub + bits <= lim.synapse_memory_bits
                ):
                    target = c.index
                    break
            if target is None:
                cores.append(CoreProgram(len(cores), model))
                usage.append([0, 0, 0])
                target = len(cores) - 1
            c, u = cores[target], usage[target]
            sl.core, sl.offset = target, u[0]
            c.slices.append(sl)
            u[0] += sl.n
            u[1] += axons
            u[2] += bits
    return cores


def _neuron_core(sl: list[Slice], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Core program and offset within it, for every neuron of a population."""
    core = np.empty(n, np.int64)
    offset = np.empty(n, np.int64)
    for s in sl:
        core[s.lo : s.hi] = s.core
        offset[s.lo : s.hi] = s.offset + np.arange(s.n)
    return core, offset


def _needs_splitters(net: Network, chip: ChipProfile, syns, slices) -> set[str]:
    """Populations with a neuron that must reach more axons than a TrueNorth neuron can (one)."""
    if not chip.core.fanout_cores:
        return set()
    out = set()
    # slices of one population always sit on different cores: count destinations by slice
    slice_id, base = {}, 0
    for name, sl in slices.items():
        ids = np.empty(net.populations[name].n, np.int64)
        for k, s in enumerate(sl):
            ids[s.lo : s.hi] = base + k
        slice_id[name] = ids
        base += len(sl)
    for pop in net.populations.values():
        entries = []
        for lst in syns.values():
            for sy in lst:
                if sy.proj.pre is pop:
                    dest = slice_id[sy.proj.post.name][sy.post]
                    entries.append(np.stack([sy.pre, dest, np.full(sy.pre.size, sy.index), sy.key]))
        if entries:
            e = np.unique(np.concatenate(entries, axis=1), axis=1)
            if np.bincount(e[0], minlength=pop.n).max() > chip.core.fanout_cores:
                out.add(pop.name)
    return out


def _build_tables(chip: ChipProfile, cores: list[CoreProgram], slices, syns, net: Network) -> dict:
    """Synapse tables per core; returns route entries per spike source:
    ("core", program) or ("input", name) -> list of (source index, dest program, axon)."""
    pieces: list[list] = [[] for _ in cores]  # per core: (row lengths, acc targets, w, d, exp)
    n_axons = [0] * len(cores)
    routes: dict[tuple, list] = {}
    for lst in syns.values():
        for sy in lst:
            proj = sy.proj
            width = 4 if cores[slices[proj.post.name][0].core].model == "TrueNorthNeuron" else 1
            if isinstance(proj.pre, InputSource):
                pre_core = pre_off = None
            else:
                pre_core, pre_off = _neuron_core(slices[proj.pre.name], proj.pre.n)
            for s in slices[proj.post.name]:
                sel = sy.in_range(s.lo, s.hi)
                if not sel.any():
                    continue
                pre, key = sy.pre[sel], sy.key[sel]
                order = np.lexsort((sy.post[sel], key, pre))  # group synapses by axon
                pre, key = pre[order], key[order]
                post = sy.post[sel][order]
                axon_id = pre * 256 + key
                first = np.flatnonzero(np.r_[True, axon_id[1:] != axon_id[:-1]])
                lens = np.diff(np.r_[first, axon_id.size])
                acc = (post - s.lo + s.offset) * width + sy.acc[sel][order]
                d = sy.delay[sel][order]
                pieces[s.core].append((lens, acc, sy.weight[sel][order], d, sy.exp))
                ids = n_axons[s.core] + np.arange(first.size)
                n_axons[s.core] += first.size
                src = pre[first]
                if pre_core is None:
                    routes.setdefault(("input", proj.pre.name), []).append(
                        (src, np.full(src.size, s.core), ids)
                    )
                else:  # route entries live with the source neuron's core program
                    sc = pre_core[src]
                    for c in np.unique(sc):
                        m = sc == c
                        routes.setdefault(("core", int(c)), []).append(
                            (pre_off[src[m]], np.full(int(m.sum()), s.core), ids[m])
                        )
                cores[s.core].n_synapses += int(sel.sum())
                cores[s.core].synapse_bits += int(sel.sum()) * sy.bits
                cores[s.core].weight_bits_total += int(sel.sum()) * sy.weight_bits
    for c in cores:
        _finish_table(c, pieces[c.index])
    return routes


def _finish_table(c: CoreProgram, pieces: list) -> None:
    width = 4 if c.model == "TrueNorthNeuron" else 1
    acc_shift = 6 if c.model == "CubaLIF" else 0
    if pieces:
        lens = np.concatenate([p[0] for p in pieces])
        indptr = np.zeros(lens.size + 1, np.int64)
        np.cumsum(lens, out=indptr[1:])
        cat = [np.concatenate([p[k] for p in pieces]) for k in (1, 2, 3)]
        row_exp = np.concatenate([np.full(p[0].size, p[4], np.int8) for p in pieces])
    else:
        indptr, cat, row_exp = (
            np.zeros(1, np.int64),
            [np.zeros(0, np.int64)] * 3,
            np.zeros(0, np.int8),
        )
    c.table = SynapseTable(indptr, cat[0], cat[1], cat[2], row_exp, c.n_neurons * width, acc_shift)
    c.n_axons_in = c.table.n_axons
    c.max_delay = c.table.max_delay


def _add_splitters(chip: ChipProfile, cores: list[CoreProgram], slices, routes: dict,
                   split: set[str]) -> dict[str, Population]:  # fmt: skip
    """Relay each split population's spikes through splitter neurons: the source neuron
    targets one axon on a splitter core, whose neurons (one per original route) fire in the
    step the spike arrives and send it on. Rewrites ``routes`` in place."""
    lim = chip.core
    hidden: dict[str, Population] = {}
    for name in split:
        src_progs = sorted({s.core for s in slices[name]})
        # the route entries leaving neurons of this population, per source neuron
        entries = []
        for c in src_progs:
            keep, moved = [], []
            offs = [(s.offset, s.offset + s.n, s.lo) for s in cores[c].slices if s.pop.name == name]
            for src, dst, ax in routes.get(("core", c), []):
                own = np.zeros(src.size, bool)
                for a, b, _ in offs:
                    own |= (src >= a) & (src < b)
                keep.append((src[~own], dst[~own], ax[~own]))
                moved.append((c, src[own], dst[own], ax[own]))
            routes[("core", c)] = keep
            entries += moved
        c_all = np.concatenate([np.full(e[1].size, e[0]) for e in entries])
        s_all = np.concatenate([e[1] for e in entries])
        d_all = np.concatenate([e[2] for e in entries])
        a_all = np.concatenate([e[3] for e in entries])
        order = np.lexsort((a_all, d_all, s_all, c_all))
        c_all, s_all, d_all, a_all = c_all[order], s_all[order], d_all[order], a_all[order]
        total = int(s_all.size)
        pop = Population(f"{name}~split", total, SPLITTER)
        hidden[name] = pop
        # one group per source neuron (core program, offset): 1 axon + k splitter neurons
        key = c_all * (1 << 32) + s_all
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        counts = np.diff(np.r_[starts, total])
        if counts.max() > lim.neurons:
            raise MappingError(
                f"population {name!r}: a neuron must reach {int(counts.max())} axons; one splitter "
                f"core relays at most {lim.neurons} (splitter trees are not implemented)"
            )
        prog, used_n, used_a, lo = None, 0, 0, 0
        for st, k in zip(starts.tolist(), counts.tolist(), strict=True):
            if prog is None or used_n + k > lim.neurons or used_a + 1 > lim.input_axons:
                if prog is not None:
                    prog.slices[-1].hi = lo
                prog = CoreProgram(len(cores), "TrueNorthNeuron")
                prog.slices.append(Slice(pop, lo, lo, prog.index, 0))
                prog._split_pieces = []  # type: ignore[attr-defined]
                cores.append(prog)
                used_n = used_a = 0
            # source neuron -> axon used_a of the splitter core
            routes.setdefault(("core", int(c_all[st])), []).append(
                (s_all[st : st + 1], np.array([prog.index]), np.array([used_a]))
            )
            prog._split_pieces.append((np.array([k]), 4 * (used_n + np.arange(k)), np.ones(k, np.int16),
                                       np.ones(k, np.int64), 0))  # fmt: skip
            # splitter neurons -> the original destinations
            routes.setdefault(("core", prog.index), []).append(
                (used_n + np.arange(k), d_all[st : st + k], a_all[st : st + k])
            )
            used_n += k
            used_a += 1
            lo += k
        prog.slices[-1].hi = lo
        for c in cores:
            if hasattr(c, "_split_pieces"):
                _finish_table(c, c._split_pieces)
                c.n_synapses = c.synapse_bits = c.weight_bits_total = int(c.table.n_synapses)
                del c._split_pieces
    return hidden


def _make_routes(
    cores: list[CoreProgram], net: Network, routes: dict
) -> tuple[list[Route], dict[str, Route]]:
    def make_route(n_src: int, entries: list) -> Route:
        entries = [e for e in entries if e[0].size]
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
    return core_routes, input_routes


def _check_outputs(chip: ChipProfile, cores: list[CoreProgram], core_routes: list[Route]) -> None:
    lim = chip.core
    for c, r in zip(cores, core_routes, strict=True):
        src = np.repeat(np.arange(c.n_neurons), np.diff(r.indptr))
        pairs = (
            np.unique(np.stack([src, r.dest.astype(np.int64)]), axis=1)
            if src.size
            else np.zeros((2, 0), np.int64)
        )
        c.n_axons_out = pairs.shape[1]
        if c.n_axons_out > lim.output_axons:
            raise MappingError(
                f"core {c.index} ({', '.join(s.pop.name for s in c.slices)}) needs "
                f"{c.n_axons_out} output axons; {chip.name} cores have {lim.output_axons} "
                f"(over by {c.n_axons_out - lim.output_axons})"
            )
        if lim.fanout_cores and r.dest.size:
            per_neuron = np.diff(r.indptr)
            if per_neuron.max() > lim.fanout_cores:  # splitters should have prevented this
                raise MappingError(
                    f"core {c.index}: a neuron reaches {int(per_neuron.max())} axons; "
                    f"{chip.name} neurons reach {lim.fanout_cores} (internal splitter error)"
                )


def _traffic(cores: list[CoreProgram], core_routes: list[Route]) -> np.ndarray:
    """Route entries (axon events per spike) between core programs."""
    n = len(cores)
    t = np.zeros((n, n), np.int64)
    for c, r in zip(cores, core_routes, strict=True):
        if r.dest.size:
            t[c.index] += np.bincount(r.dest, minlength=n)
    return t


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
    n = len(cores)
    avail = np.ones(n, bool)
    pull = np.zeros(n, np.int64)
    deg = sym.sum(axis=1)
    order = []
    for _ in range(n):  # the busiest program first, then the one most connected to those placed
        cand = np.flatnonzero(avail)
        best = np.lexsort((cand, -deg[cand], -pull[cand]))[0]  # max pull, max degree, min index
        nxt = int(cand[best])
        order.append(nxt)
        avail[nxt] = False
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


def map_network(net: Network, chip, allocator: str = "greedy") -> Mapping:
    """Map ``net`` onto ``chip`` (a :class:`ChipProfile`, a shipped name or a .toml path).

    Parameters
    ----------
    allocator : {"greedy", "sequential"}
        Placement: "greedy" puts each core program next to the ones it exchanges most
        spikes with; "sequential" fills cores in order (a baseline).

    Notes
    -----
    On TrueNorth-like chips (binary crossbar, 4 axon types, one target axon per neuron) an
    integer weight ``w_ij`` is realised by connecting neuron j to copies of input line i, one
    per axon type G of the smallest subset of types whose weights ``S_j[G]`` add up to
    ``w_ij`` (mapping fails when no subset does); copies also differ by delay. A neuron that
    must reach more than one axon is relayed by splitter neurons, which adds one step to its
    population's delay-1 projections (longer delays are shortened by one to compensate):
    ``Mapping.latency`` reports it per population.

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
    syns = _make_syns(net, chip, set())
    slices = _split(net, chip, syns)
    split = _needs_splitters(net, chip, syns, slices)
    if split:  # relayed populations: shorten their TrueNorth delays, then cut again
        syns = _make_syns(net, chip, split)
        slices = _split(net, chip, syns)
    cores = _pack(chip, slices, syns)
    routes = _build_tables(chip, cores, slices, syns, net)
    hidden = _add_splitters(chip, cores, slices, routes, split) if split else {}
    core_routes, input_routes = _make_routes(cores, net, routes)
    _check_outputs(chip, cores, core_routes)
    _place(chip, cores, _traffic(cores, core_routes), allocator)
    latency = {name: 0 for name in net.populations}
    for name in split:
        latency[name] = 1
    return Mapping(net, chip, cores, slices, core_routes, input_routes, allocator, hidden, latency)
