"""Per-core synapse tables and the route entries that feed them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import InputSource
from ..program import Slice, SynapseTable
from .synapses import Distinct, SynapseView

__all__ = [
    "CoreTables",
    "RouteEntries",
    "TablePart",
    "build_tables",
    "finish_table",
    "plastic_positions",
]


@dataclass(frozen=True, slots=True)
class TablePart:
    """Rows of one projection on one core: ``lens[a]`` synapses per new input axon, each to
    accumulator ``acc`` with ``weight`` and ``delay``; ``exp`` is the rows' weight exponent."""

    lens: np.ndarray
    acc: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    exp: int
    proj: int = -1  # a plastic projection's index, and its synapse indices in table order
    synapses: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class RouteEntries:
    """Source neuron ``src[k]`` reaches input axon ``axon[k]`` of core program ``dest[k]``."""

    src: np.ndarray
    dest: np.ndarray
    axon: np.ndarray


@dataclass(frozen=True, slots=True)
class CoreTables:
    """What :func:`build_tables` returns: table parts and usage per core program, and route
    entries per source (core program index, or input name)."""

    parts: list[list[TablePart]]
    synapses: list[int]
    synapse_bits: list[int]
    weight_bits_total: list[int]
    core_entries: dict[int, list[RouteEntries]]
    input_entries: dict[str, list[RouteEntries]]


def _neuron_core(slices: tuple[Slice, ...], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Core program and offset within it, for every neuron of a population."""
    core = np.empty(n, np.int32)
    offset = np.empty(n, np.int32)
    for s in slices:
        core[s.lo : s.hi] = s.core
        offset[s.lo : s.hi] = s.offset + np.arange(s.n)
    return core, offset


def build_tables(n_cores: int, slices: dict[str, tuple[Slice, ...]],
                 syns: dict[str, list[SynapseView]]) -> CoreTables:  # fmt: skip
    """Cut every projection's synapses by destination slice, group them by input axon (one
    axon per (pre neuron, key), in that order; within an axon by post neuron) and record where
    each source neuron must send its spikes. Time and memory grow with the synapses: each
    slice reads only its own (:meth:`SynapseView.onto`)."""
    parts: list[list[TablePart]] = [[] for _ in range(n_cores)]
    n_axons = [0] * n_cores
    n_syn, syn_bits, w_bits = [0] * n_cores, [0] * n_cores, [0] * n_cores
    routes: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    input_entries: dict[str, list[RouteEntries]] = {}
    for lst in syns.values():
        for sy in lst:
            proj = sy.proj
            width = proj.post.neuron.accumulators
            if isinstance(proj.pre, InputSource):
                pre_core = pre_off = None
            else:
                pre_core, pre_off = _neuron_core(slices[proj.pre.name], proj.pre.n)
            seen = Distinct(sy.axon_space)
            for s in slices[proj.post.name]:
                sel = sy.onto(s.lo, s.hi)  # by post neuron
                if not sel.size:
                    continue
                axons, rank = seen.rank(sy.axon_ids(sel))
                small = np.uint16 if axons.size <= 1 << 16 else np.int64
                sel = sel[np.argsort(rank.astype(small), kind="stable")]  # by axon, then post
                acc, weight, delay = sy.stored(sel)
                acc = (sy.post[sel] - s.lo + s.offset) * width + acc
                lens = np.bincount(rank, minlength=axons.size)
                plastic = proj.learning is not None
                parts[s.core].append(TablePart(lens, acc.astype(np.int32), weight,
                                               delay.astype(np.uint8), sy.exp,
                                               sy.index if plastic else -1,
                                               sel.astype(np.int64) if plastic else None))  # fmt: skip
                ids = np.arange(n_axons[s.core], n_axons[s.core] + axons.size, dtype=np.int32)
                n_axons[s.core] += axons.size
                src = axons // sy.n_keys
                dest = np.full(src.size, s.core, np.int32)
                if pre_core is None:
                    input_entries.setdefault(proj.pre.name, []).append(RouteEntries(src, dest, ids))
                else:  # route entries live with the source neuron's core program
                    routes.append((pre_core[src], pre_off[src], dest, ids))
                k = int(sel.size)
                n_syn[s.core] += k
                syn_bits[s.core] += k * sy.bits
                w_bits[s.core] += k * sy.weight_bits
    return CoreTables(parts, n_syn, syn_bits, w_bits, _by_source(routes), input_entries)


def _by_source(routes) -> dict[int, list[RouteEntries]]:
    """Route entries grouped by source core program (one stable sort of all entries)."""
    if not routes:
        return {}
    core, off, dest, axon = (np.concatenate(col) for col in zip(*routes, strict=True))
    order = np.argsort(core, kind="stable")
    core, off, dest, axon = core[order], off[order], dest[order], axon[order]
    cuts = np.flatnonzero(np.r_[True, core[1:] != core[:-1], True])
    return {
        int(core[a]): [RouteEntries(off[a:b], dest[a:b], axon[a:b])]
        for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True)
    }


def plastic_positions(parts_per_core: list[list[TablePart]], n_syn: dict[int, int]
                      ) -> dict[int, tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """Where every synapse of each plastic projection (index -> synapse count) is stored:
    ``{index: (core program, position in its table)}``, one entry per synapse."""
    out = {k: (np.full(n, -1, np.int32), np.full(n, -1, np.int64)) for k, n in n_syn.items()}
    for c, parts in enumerate(parts_per_core):
        at = 0
        for p in parts:
            size = int(p.lens.sum())
            if p.synapses is not None:
                core, pos = out[p.proj]
                core[p.synapses] = c
                pos[p.synapses] = at + np.arange(size)
            at += size
    return out


def finish_table(slices: tuple[Slice, ...], parts: list[TablePart]) -> SynapseTable:
    """One core's CSR table from its parts, in accumulator units of its neuron model."""
    spec = slices[0].pop.neuron
    n_targets = sum(s.n for s in slices) * spec.accumulators
    if not parts:
        return SynapseTable.empty(n_targets, spec.input_shift)
    lens = np.concatenate([p.lens for p in parts])
    indptr = np.zeros(lens.size + 1, np.int64)
    np.cumsum(lens, out=indptr[1:])
    return SynapseTable(
        indptr,
        np.concatenate([p.acc for p in parts]),
        np.concatenate([p.weight for p in parts]),
        np.concatenate([p.delay for p in parts]),
        np.concatenate([np.full(p.lens.size, p.exp, np.int8) for p in parts]),
        n_targets,
        spec.input_shift,
    )
