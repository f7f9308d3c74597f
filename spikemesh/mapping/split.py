"""Split populations into pieces that fit one core, and pack pieces onto core programs."""

from __future__ import annotations

from dataclasses import dataclass

from ..chips import ChipProfile
from ..exceptions import MappingError
from ..network import Network, Population
from ..program import Slice
from .synapses import SynapseView

__all__ = ["Piece", "pack", "split", "usage"]


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


def split(
    net: Network, chip: ChipProfile, syns: dict[str, list[SynapseView]]
) -> dict[str, list[Piece]]:
    """Cut every population into the largest consecutive pieces that fit one core (neurons,
    input axons, synapse memory); a single neuron that does not fit raises MappingError."""
    lim = chip.core
    out: dict[str, list[Piece]] = {}
    for pop in net.populations.values():
        inc = syns[pop.name]
        pieces, lo = [], 0
        while lo < pop.n:

            def fits(hi: int, lo=lo, inc=inc) -> bool:
                axons, bits = usage(inc, lo, hi)
                return (
                    hi - lo <= lim.neurons
                    and axons <= lim.input_axons
                    and bits <= lim.synapse_memory_bits
                )

            if not fits(lo + 1):
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


def pack(chip: ChipProfile, pieces: dict[str, list[Piece]], syns) -> list[tuple[Slice, ...]]:
    """First-fit packing of pieces (same neuron model only) onto core programs; returns each
    core program's slices, complete with their core program index and offset."""
    lim = chip.core
    cores: list[list[Slice]] = []
    models: list[str] = []
    used: list[list[int]] = []  # per core program: neurons, axons, synapse bits
    for piece_list in pieces.values():
        for p in piece_list:
            axons, bits = usage(syns[p.pop.name], p.lo, p.hi)
            model = p.pop.neuron.model
            target = None
            for k, (un, ua, ub) in enumerate(used):
                if (
                    models[k] == model
                    and un + p.n <= lim.neurons
                    and ua + axons <= lim.input_axons
                    and ub + bits <= lim.synapse_memory_bits
                ):
                    target = k
                    break
            if target is None:
                cores.append([])
                models.append(model)
                used.append([0, 0, 0])
                target = len(cores) - 1
            u = used[target]
            cores[target].append(Slice(p.pop, p.lo, p.hi, target, u[0]))
            u[0] += p.n
            u[1] += axons
            u[2] += bits
    return [tuple(c) for c in cores]
