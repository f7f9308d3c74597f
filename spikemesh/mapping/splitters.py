"""Splitter neurons: relay a spike to more axons than a neuron can reach (TrueNorth: one).

A relayed population's neurons each target one axon on a splitter core, whose neurons (one per
original route entry) fire in the step the spike arrives and send it on. This adds one step to
the population's spikes; :func:`~spikemesh.mapping.synapses.synapse_views` shortens the
relayed projections' delays by one to compensate where a delay allows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..chips import ChipProfile
from ..exceptions import MappingError
from ..network import Network, Population
from ..neurons import TrueNorthNeuron
from ..program import Slice
from .split import Piece
from .synapses import Distinct, SynapseView
from .tables import CoreTables, RouteEntries, TablePart

__all__ = ["SPLITTER", "Relayed", "add_splitters", "needs_splitters"]

SPLITTER = TrueNorthNeuron(weights=(1, 0, 0, 0), alpha=1, reset_mode=0, reset_value=0)
"""A TrueNorth splitter neuron: fires in the step its single input spike arrives."""


def needs_splitters(net: Network, chip: ChipProfile, syns: dict[str, list[SynapseView]],
                    pieces: dict[str, list[Piece]]) -> set[str]:  # fmt: skip
    """Populations with a neuron that must reach more axons than the chip's ``fanout_cores``."""
    if not chip.core.fanout_cores:
        return set()
    # pieces of one population always sit on different cores: an axon is (piece, projection,
    # pre neuron, key); count them per pre neuron, one pass over each piece's synapses
    reach = {name: np.zeros(p.n, np.int64) for name, p in net.populations.items()}
    for post, lst in syns.items():
        for sy in lst:
            if sy.proj.pre.name not in reach:
                continue
            seen = Distinct(sy.axon_space)
            for p in pieces[post]:
                ids = sy.axon_ids(sy.onto(p.lo, p.hi))
                np.add.at(reach[sy.proj.pre.name], ids[seen.first(ids)] // sy.n_keys, 1)
    return {name for name, r in reach.items() if r.size and r.max() > chip.core.fanout_cores}


@dataclass(frozen=True, slots=True)
class Relayed:
    """What :func:`add_splitters` returns: every core program's slices and tables with the
    splitter cores appended, and the hidden splitter population of each relayed population."""

    core_slices: list[tuple[Slice, ...]]
    tables: CoreTables
    hidden: dict[str, Population]


def add_splitters(chip: ChipProfile, core_slices: list[tuple[Slice, ...]], tables: CoreTables,
                  relayed: set[str]) -> Relayed:  # fmt: skip
    """Move each relayed population's route entries onto new splitter cores."""
    lim = chip.core
    core_slices = list(core_slices)
    parts = [list(p) for p in tables.parts]
    n_syn, syn_bits, w_bits = (list(tables.synapses), list(tables.synapse_bits),
                               list(tables.weight_bits_total))  # fmt: skip
    core_entries = {c: list(e) for c, e in tables.core_entries.items()}
    hidden: dict[str, Population] = {}
    width = SPLITTER.accumulators
    for name in sorted(relayed):
        src_progs = sorted({s.core for sl in core_slices for s in sl if s.pop.name == name})
        moved = []  # (source core program, entries leaving this population's neurons)
        for c in src_progs:
            spans = [(s.offset, s.offset + s.n) for s in core_slices[c] if s.pop.name == name]
            keep = []
            for e in core_entries.get(c, []):
                own = np.zeros(e.src.size, bool)
                for a, b in spans:
                    own |= (e.src >= a) & (e.src < b)
                keep.append(RouteEntries(e.src[~own], e.dest[~own], e.axon[~own]))
                moved.append((c, RouteEntries(e.src[own], e.dest[own], e.axon[own])))
            core_entries[c] = keep
        c_all = np.concatenate([np.full(e.src.size, c) for c, e in moved])
        s_all = np.concatenate([e.src for _, e in moved])
        d_all = np.concatenate([e.dest for _, e in moved])
        a_all = np.concatenate([e.axon for _, e in moved])
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
        groups: list[list[tuple[int, int]]] = []  # per splitter core: (group start, size)
        used_n = used_a = 0
        for st, k in zip(starts.tolist(), counts.tolist(), strict=True):
            if not groups or used_n + k > lim.neurons or used_a + 1 > lim.input_axons:
                groups.append([])
                used_n = used_a = 0
            groups[-1].append((st, k))
            used_n += k
            used_a += 1
        lo = 0
        for members in groups:
            prog = len(core_slices)
            n = sum(k for _, k in members)
            core_slices.append((Slice(pop, lo, lo + n, prog, 0),))
            lo += n
            core_parts, used_n = [], 0
            for axon, (st, k) in enumerate(members):
                # source neuron -> axon `axon` of the splitter core
                core_entries.setdefault(int(c_all[st]), []).append(
                    RouteEntries(s_all[st : st + 1], np.array([prog]), np.array([axon]))
                )
                core_parts.append(TablePart(np.array([k]), width * (used_n + np.arange(k)),
                                            np.ones(k, np.int16), np.ones(k, np.int64), 0))  # fmt: skip
                # splitter neurons -> the original destinations
                core_entries.setdefault(prog, []).append(
                    RouteEntries(used_n + np.arange(k), d_all[st : st + k], a_all[st : st + k])
                )
                used_n += k
            parts.append(core_parts)
            n_syn.append(n)
            syn_bits.append(n)  # one crossbar bit per splitter synapse
            w_bits.append(n)
    new_tables = CoreTables(parts, n_syn, syn_bits, w_bits, core_entries, tables.input_entries)
    return Relayed(core_slices, new_tables, hidden)
