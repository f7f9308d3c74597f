"""Per-core synapse tables and the route entries that feed them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import InputSource
from ..program import Slice, SynapseTable
from .synapses import SynapseView

__all__ = ["CoreTables", "RouteEntries", "TablePart", "build_tables", "finish_table"]


@dataclass(frozen=True, slots=True)
class TablePart:
    """Rows of one projection on one core: ``lens[a]`` synapses per new input axon, each to
    accumulator ``acc`` with ``weight`` and ``delay``; ``exp`` is the rows' weight exponent."""

    lens: np.ndarray
    acc: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    exp: int


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
    core = np.empty(n, np.int64)
    offset = np.empty(n, np.int64)
    for s in slices:
        core[s.lo : s.hi] = s.core
        offset[s.lo : s.hi] = s.offset + np.arange(s.n)
    return core, offset


def build_tables(n_cores: int, slices: dict[str, tuple[Slice, ...]],
                 syns: dict[str, list[SynapseView]]) -> CoreTables:  # fmt: skip
    """Cut every projection's synapses by destination slice, group them by input axon (one
    axon per (pre neuron, key)) and record where each source neuron must send its spikes."""
    parts: list[list[TablePart]] = [[] for _ in range(n_cores)]
    n_axons = [0] * n_cores
    n_syn, syn_bits, w_bits = [0] * n_cores, [0] * n_cores, [0] * n_cores
    core_entries: dict[int, list[RouteEntries]] = {}
    input_entries: dict[str, list[RouteEntries]] = {}
    for lst in syns.values():
        for sy in lst:
            proj = sy.proj
            width = proj.post.neuron.accumulators
            if isinstance(proj.pre, InputSource):
                pre_core = pre_off = None
            else:
                pre_core, pre_off = _neuron_core(slices[proj.pre.name], proj.pre.n)
            for s in slices[proj.post.name]:
                sel = sy.in_range(s.lo, s.hi)  # synapse indices, ascending
                if not sel.size:
                    continue
                pre, key = sy.pre[sel], sy.key[sel]
                order = np.lexsort((sy.post[sel], key, pre))  # group synapses by axon
                pre, key = pre[order], key[order]
                post = sy.post[sel][order]
                axon_id = pre * 256 + key
                first = np.flatnonzero(np.r_[True, axon_id[1:] != axon_id[:-1]])
                lens = np.diff(np.r_[first, axon_id.size])
                acc = (post - s.lo + s.offset) * width + sy.acc[sel][order]
                parts[s.core].append(
                    TablePart(lens, acc, sy.weight[sel][order], sy.delay[sel][order], sy.exp)
                )
                ids = n_axons[s.core] + np.arange(first.size)
                n_axons[s.core] += first.size
                src = pre[first]
                if pre_core is None:
                    input_entries.setdefault(proj.pre.name, []).append(
                        RouteEntries(src, np.full(src.size, s.core), ids)
                    )
                else:  # route entries live with the source neuron's core program
                    sc = pre_core[src]
                    for c in np.unique(sc).tolist():
                        m = sc == c
                        core_entries.setdefault(c, []).append(
                            RouteEntries(pre_off[src[m]], np.full(int(m.sum()), s.core), ids[m])
                        )
                k = int(sel.size)
                n_syn[s.core] += k
                syn_bits[s.core] += k * sy.bits
                w_bits[s.core] += k * sy.weight_bits
    return CoreTables(parts, n_syn, syn_bits, w_bits, core_entries, input_entries)


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
