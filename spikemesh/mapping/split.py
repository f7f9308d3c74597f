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
from .synapses import Distinct, SynapseView

__all__ = ["Piece", "destinations", "pack", "split", "usage"]


@dataclass(frozen=True, slots=True)
class Piece:
    """Neurons ``lo:hi`` of ``pop``: the largest run of consecutive neurons that fits a core;
    they use ``axons`` input axons and ``bits`` of synapse memory."""

    pop: Population
    lo: int
    hi: int
    axons: int
    bits: int

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
    splitters: a relayed neuron uses one). One pass over each piece's incoming synapses."""
    out = {name: np.zeros(p.n, np.int64) for name, p in net.populations.items()}
    seen = {name: Distinct(p.n) for name, p in net.populations.items()}
    for post, lst in syns.items():
        by_pre: dict[str, list[SynapseView]] = {}
        for sy in lst:
            if sy.proj.pre.name in out:
                by_pre.setdefault(sy.proj.pre.name, []).append(sy)
        for pre, group in by_pre.items():
            for p in pieces[post]:
                v = [sy.pre[sy.onto(p.lo, p.hi)] for sy in group]
                v = v[0] if len(v) == 1 else np.concatenate(v)
                out[pre][v[seen[pre].first(v)]] += 1
    if chip.core.fanout_cores:
        for name in out:
            np.minimum(out[name], chip.core.fanout_cores, out=out[name])
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


def _prefix_fit(cum: np.ndarray, lo: int, top: int, limit: int) -> int:
    """Largest hi in lo..top with ``cum[hi] - cum[lo] <= limit`` (``cum`` non-decreasing)."""
    return lo + int(np.searchsorted(cum[lo + 1 : top + 1] - cum[lo], limit, side="right"))


def _axon_fit(inc: list[SynapseView], seen: list[Distinct], lo: int, top: int, limit: int,
              guess: int) -> tuple[int, int]:  # fmt: skip
    """Largest hi in lo..top whose post neurons lo:hi use at most ``limit`` input axons, and
    the axons they use.

    Distinct axons of lo:hi are those first used by a neuron below hi: one pass over a window
    of synapses counts them for every hi at once. The window starts at ``guess`` neurons and
    doubles while the piece would fill it, so a piece costs about its own synapses."""
    end = min(top, lo + max(guess, 1))
    while True:
        new = np.zeros(end - lo, np.int64)
        for sy, sn in zip(inc, seen, strict=True):
            sel = sy.onto(lo, end)
            if sel.size:
                first = sel[sn.first(sy.axon_ids(sel))]
                new += np.bincount(sy.post[first] - lo, minlength=end - lo)
        cum = np.cumsum(new)
        k = int(np.searchsorted(cum, limit, side="right"))
        if k < end - lo or end == top:
            return lo + k, int(cum[k - 1]) if k else 0
        end = min(top, lo + 2 * (end - lo))


def _split_once(net, chip, syns, dests, names: set[str]) -> dict[str, list[Piece]]:
    lim = chip.core
    out: dict[str, list[Piece]] = {}
    for pop in net.populations.values():
        if pop.name not in names:
            continue
        inc = syns[pop.name]
        seen = [Distinct(sy.axon_space) for sy in inc]
        cum_out = np.concatenate([[0], np.cumsum(dests[pop.name])])
        cum_bits = np.zeros(pop.n + 1, np.int64)
        for sy in inc:
            cum_bits += sy.indptr * sy.bits
        pieces, lo, guess = [], 0, lim.neurons
        while lo < pop.n:
            top = min(pop.n, lo + lim.neurons)
            top = _prefix_fit(cum_out, lo, top, lim.output_axons)
            top = _prefix_fit(cum_bits, lo, top, lim.synapse_memory_bits)
            hi, axons = (
                _axon_fit(inc, seen, lo, top, lim.input_axons, guess) if top > lo else (lo, 0)
            )
            if hi == lo:
                _alone(pop, chip, inc, cum_out, lo)
            pieces.append(Piece(pop, lo, hi, axons, int(cum_bits[hi] - cum_bits[lo])))
            guess = 2 * (hi - lo)
            lo = hi
        out[pop.name] = pieces
    return out


def _alone(pop: Population, chip: ChipProfile, inc, cum_out: np.ndarray, lo: int) -> None:
    """Raise the MappingError for neuron ``lo`` of ``pop``, which does not fit a core alone."""
    lim = chip.core
    if cum_out[lo + 1] - cum_out[lo] > lim.output_axons:
        d = int(cum_out[lo + 1] - cum_out[lo])
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


def pack(
    chip: ChipProfile, pieces: dict[str, list[Piece]], dests: dict[str, np.ndarray]
) -> list[tuple[Slice, ...]]:
    """First-fit packing of pieces (same neuron model only) onto core programs, within every
    core limit (output axons bounded by ``dests`` from :func:`split`); returns each core
    program's slices, complete with their core program index and offset."""
    lim = chip.core
    cap = np.array([lim.neurons, lim.input_axons, lim.synapse_memory_bits, lim.output_axons])
    cores: list[list[Slice]] = []
    model_ids: dict[str, int] = {}
    # per core program: model, then neurons, axons in, synapse bits, axons out (grown by doubling)
    model = np.zeros(16, np.int64)
    used = np.zeros((16, 4), np.int64)
    for piece_list in pieces.values():
        for p in piece_list:
            need = np.array([p.n, p.axons, p.bits, int(dests[p.pop.name][p.lo : p.hi].sum())])
            m = model_ids.setdefault(p.pop.neuron.model, len(model_ids))
            n = len(cores)
            ok = np.flatnonzero((model[:n] == m) & (used[:n] + need <= cap).all(axis=1))
            if ok.size:
                target = int(ok[0])
            else:
                if n == model.size:
                    model = np.concatenate([model, np.zeros(n, np.int64)])
                    used = np.concatenate([used, np.zeros((n, 4), np.int64)])
                cores.append([])
                model[n] = m
                target = n
            cores[target].append(Slice(p.pop, p.lo, p.hi, target, int(used[target, 0])))
            used[target] += need
    return [tuple(c) for c in cores]
