"""Split populations into pieces that fit one core, and pack pieces onto core programs.

Both respect every per-core limit the mapper checks: neurons, input axons, synapse memory and
output axons. Output axons (distinct source neuron, destination core pairs) depend on where the
targets end up, so :func:`split` bounds them by destination *pieces* (pieces packed onto one
core can only merge them) and cuts again until the pieces stop changing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..chips import ChipProfile
from ..exceptions import MappingError
from ..network import Network, Population
from ..program import Slice
from .synapses import SynapseView

__all__ = ["Piece", "destinations", "pack", "split", "usage"]


@dataclass(frozen=True, slots=True)
class Piece:
    """Neurons ``lo:hi`` of ``pop``: the largest run of consecutive neurons that fits a core."""

    pop: Population
    lo: int
    hi: int

    @property
    def n(self) -> int:
        return self.hi - self.lo


def usage(syns: list[SynapseView], lo: int, hi: int) -> tuple[int, int]:
    """(input axons, synapse bits) that post neurons lo:hi need over all their projections."""
    axons = bits = 0
    for sy in syns:
        a, b = sy.usage(lo, hi)
        axons += a
        bits += b
    return axons, bits


def destinations(net: Network, chip: ChipProfile, syns: dict[str, list[SynapseView]],
                 pieces: dict[str, list[Piece]]) -> dict[str, np.ndarray]:  # fmt: skip
    """Per population, per neuron: the destination pieces it reaches, an upper bound on the
    output axons it uses (capped at ``fanout_cores`` where the chip relays through
    splitters: a relayed neuron uses one)."""
    piece_id, base = {}, 0
    for name, pl in pieces.items():
        ids = np.empty(net.populations[name].n, np.int64)
        for k, p in enumerate(pl):
            ids[p.lo : p.hi] = base + k
        piece_id[name] = ids
        base += len(pl)
    pairs: dict[str, list[np.ndarray]] = {name: [] for name in net.populations}
    for post, lst in syns.items():
        for sy in lst:
            pre = sy.proj.pre.name
            if pre in pairs and sy.pre.size:
                pairs[pre].append(sy.pre * base + piece_id[post][sy.post])
    out = {}
    for name, pop in net.populations.items():
        if pairs[name]:
            u = np.unique(np.concatenate(pairs[name]))
            d = np.bincount(u // base, minlength=pop.n)
        else:
            d = np.zeros(pop.n, np.int64)
        if chip.core.fanout_cores:
            d = np.minimum(d, chip.core.fanout_cores)
        out[name] = d
    return out


def split(net: Network, chip: ChipProfile, syns: dict[str, list[SynapseView]]) -> tuple[
        dict[str, list[Piece]], dict[str, np.ndarray]]:  # fmt: skip
    """Cut every population into the largest consecutive pieces that fit one core (neurons,
    input axons, synapse memory, output axons); returns the pieces and each neuron's
    destination count (:func:`destinations`). A single neuron that does not fit raises
    MappingError."""
    lim = chip.core
    dests = {name: np.zeros(p.n, np.int64) for name, p in net.populations.items()}
    pieces = _split_once(net, chip, syns, dests, set(net.populations))
    for _ in range(64):  # finer pieces can only raise the bound: this settles
        dests = destinations(net, chip, syns, pieces)
        over = {
            name for name, pl in pieces.items()
            if any(int(dests[name][p.lo : p.hi].sum()) > lim.output_axons for p in pl)
        }  # fmt: skip
        if not over:  # pieces within the input limits stay as they are: only these re-cut
            return pieces, dests
        pieces = {**pieces, **_split_once(net, chip, syns, dests, over)}
    raise MappingError("split: the output-axon bound did not settle (internal error)")


def _split_once(net, chip, syns, dests, names: set[str]) -> dict[str, list[Piece]]:
    lim = chip.core
    out: dict[str, list[Piece]] = {}
    for pop in net.populations.values():
        if pop.name not in names:
            continue
        inc = syns[pop.name]
        cum = np.concatenate([[0], np.cumsum(dests[pop.name])])
        pieces, lo = [], 0
        while lo < pop.n:

            def fits(hi: int, lo=lo, inc=inc, cum=cum) -> bool:
                if hi - lo > lim.neurons or cum[hi] - cum[lo] > lim.output_axons:
                    return False
                axons, bits = usage(inc, lo, hi)
                return axons <= lim.input_axons and bits <= lim.synapse_memory_bits

            if not fits(lo + 1):
                if cum[lo + 1] - cum[lo] > lim.output_axons:
                    d = int(cum[lo + 1] - cum[lo])
                    raise MappingError(
                        f"population {pop.name!r}: neuron {lo} alone reaches {d} cores; "
                        f"{chip.name} cores have {lim.output_axons} output axons "
                        f"(over by {d - lim.output_axons})"
                    )
                axons, bits = usage(inc, lo, lo + 1)
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
            pieces.append(Piece(pop, lo, good))
            lo = good
        out[pop.name] = pieces
    return out


def pack(chip: ChipProfile, pieces: dict[str, list[Piece]], syns,
         dests: dict[str, np.ndarray]) -> list[tuple[Slice, ...]]:  # fmt: skip
    """First-fit packing of pieces (same neuron model only) onto core programs, within every
    core limit (output axons bounded by ``dests`` from :func:`split`); returns each core
    program's slices, complete with their core program index and offset."""
    lim = chip.core
    cap = (lim.neurons, lim.input_axons, lim.synapse_memory_bits, lim.output_axons)
    cores: list[list[Slice]] = []
    models: list[str] = []
    used: list[list[int]] = []  # per core program: neurons, axons in, synapse bits, axons out
    for piece_list in pieces.values():
        for p in piece_list:
            axons, bits = usage(syns[p.pop.name], p.lo, p.hi)
            need = (p.n, axons, bits, int(dests[p.pop.name][p.lo : p.hi].sum()))
            model = p.pop.neuron.model
            target = None
            for k, u in enumerate(used):
                if models[k] == model and all(
                    a + b <= c for a, b, c in zip(u, need, cap, strict=True)
                ):
                    target = k
                    break
            if target is None:
                cores.append([])
                models.append(model)
                used.append([0, 0, 0, 0])
                target = len(cores) - 1
            u = used[target]
            cores[target].append(Slice(p.pop, p.lo, p.hi, target, u[0]))
            for j in range(4):
                u[j] += need[j]
    return [tuple(c) for c in cores]
