"""Synapse formats: how a projection is stored on the cores of its post population's model.

The format is a fact of the post neuron model (:attr:`NeuronSpec.synapse_format`):

``"weights"``
    Loihi-style: one weight mantissa per synapse, quantized to the projection's ``weight_bits``
    in its sign mode, a weight exponent per projection, a delay per synapse. An input axon is
    (projection, presynaptic neuron).
``"typed_axons"``
    TrueNorth-style binary crossbar: weight ``w_ij`` becomes connections from copies of input
    line i, one per axon type G of the smallest subset of types whose weights ``S_j[G]`` add up
    to ``w_ij`` (exact, or a MappingError); copies also differ by delay. An input axon is
    (projection, presynaptic neuron, type, delay).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import kernels
from ..chips import ChipProfile
from ..exceptions import MappingError
from ..fixedpoint import quantize_weights, sign_mode, weight_range
from ..network import Network, Projection

__all__ = ["FORMATS", "Distinct", "SynapseView", "check_network", "synapse_views"]


class Distinct:
    """First occurrences of ids in windows, in time linear in the window: a scratch array over
    the id space (reused across windows) records each id's first position; id spaces too large
    for a scratch array fall back to sorting the window."""

    LIMIT = 1 << 24

    def __init__(self, space: int) -> None:
        self.scratch = np.empty(space, np.int64) if space <= self.LIMIT else None

    def first(self, ids: np.ndarray) -> np.ndarray:
        """Boolean mask: ``ids[i]`` does not occur in ``ids[:i]``."""
        if self.scratch is None:
            mask = np.zeros(ids.size, bool)
            mask[np.unique(ids, return_index=True)[1]] = True
            return mask
        pos = np.arange(ids.size)
        self.scratch[ids] = ids.size
        np.minimum.at(self.scratch, ids, pos)
        return self.scratch[ids] == pos

    def rank(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(distinct ids ascending, each id's index among them)."""
        uniq = np.sort(ids[self.first(ids)])
        if self.scratch is None:
            return uniq, np.searchsorted(uniq, ids)
        self.scratch[uniq] = np.arange(uniq.size)
        return uniq, self.scratch[ids]


@dataclass(frozen=True, slots=True, eq=False)
class SynapseView:
    """The synapses of one projection as the chip stores them.

    Stored synapse j connects presynaptic neuron ``pre[j]`` to post neuron ``post[j]`` through
    input axon (projection, ``pre[j]``, key); ``keys`` are the projection's distinct keys, 0 in
    the weights format and ``G * 16 + delay`` for typed axons, and ``key[j]`` indexes them
    (None: every synapse has key 0). ``axon_ids`` numbers the axons ``pre * n_keys + key``, in
    (pre, key) order. ``stored(sel)`` returns the selected synapses' accumulator, stored weight
    and delay (computed per selection, so a projection's weights are never copied whole);
    ``bits`` is synapse memory per synapse, ``weight_bits`` the stored weight's width (1: a
    crossbar bit). ``order[indptr[i]:indptr[i+1]]`` are the synapses onto post neuron i, in
    stored order (:func:`spikemesh.kernels.reference.group_order`): selecting post neurons
    lo:hi costs the selection, not the projection.
    """

    index: int
    proj: Projection
    pre: np.ndarray
    post: np.ndarray
    key: np.ndarray | None
    keys: tuple[int, ...]
    exp: int
    bits: int
    weight_bits: int
    stored: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
    order: np.ndarray
    indptr: np.ndarray

    @classmethod
    def build(cls, index, proj, pre, post, key, keys, exp, bits, weight_bits, stored):
        indptr, order = kernels.group_order(post, proj.post.n)
        return cls(index, proj, pre, post, key, tuple(keys), exp, bits, weight_bits, stored,
                   order, indptr)  # fmt: skip

    @property
    def n_keys(self) -> int:
        return len(self.keys)

    @property
    def axon_space(self) -> int:
        return self.proj.pre.n * self.n_keys

    def onto(self, lo: int, hi: int) -> np.ndarray:
        """Synapses onto post neurons lo:hi, by post neuron (stored order within one)."""
        return self.order[self.indptr[lo] : self.indptr[hi]]

    def axon_ids(self, sel: np.ndarray) -> np.ndarray:
        pre = self.pre[sel]
        return pre if self.key is None else pre * self.n_keys + self.key[sel]

    def usage(self, lo: int, hi: int) -> tuple[int, int]:
        """(input axons, synapse bits) needed by post neurons lo:hi."""
        sel = self.onto(lo, hi)
        if not sel.size:
            return 0, 0
        return int(Distinct(self.axon_space).first(self.axon_ids(sel)).sum()), sel.size * self.bits


def _subset_table(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per neuron, the 15 non-empty axon-type subsets (fewest types first) and their sums."""
    masks = sorted(range(1, 16), key=lambda m: (bin(m).count("1"), m))
    bits = np.array([[(m >> g) & 1 for g in range(4)] for m in masks], np.int64)  # (15, 4)
    return np.array(masks, np.uint8), S.astype(np.int64) @ bits.T  # (n, 15)


def _shifted(delay: np.ndarray, shift: int) -> np.ndarray:
    """Stored delays: the projection's delays plus its shift from :mod:`.latency` (which keeps
    them in 1..max_delay; the clip only guards that contract)."""
    return np.maximum(delay.astype(np.int64) + shift, 1)


_LUT_BYTES = 1 << 24  # weight -> mask lookup tables up to this size; larger: chunked matching
_CHUNK = 1 << 18  # synapses matched at a time without a lookup table (15 int64 each)


def _type_masks(proj: Projection) -> np.ndarray:
    """Per synapse, the axon-type mask (uint8) of the first subset, fewest types first, whose
    weights add up to the synapse's weight (a MappingError names the first that has none).
    Neurons sharing a weight row share one lookup table (weight -> mask)."""
    S = proj.post.neuron.weight_table(proj.post.n)
    # a key per row: four signed 9-bit weights, offset to 0..511, in 16-bit fields
    packed = (S.astype(np.int64) + 256) @ (np.int64(1) << np.arange(0, 64, 16))
    _, first, row_of = np.unique(packed, return_index=True, return_inverse=True)
    rows = S[first]
    masks, sums = _subset_table(rows)  # (rows, 15)
    lo = int(min(sums.min(), proj.weight.min(initial=0)))
    span = int(max(sums.max(), proj.weight.max(initial=0))) - lo + 1
    row_of = row_of.ravel()
    if rows.shape[0] * span <= _LUT_BYTES:
        lut = np.zeros((rows.shape[0], span), np.uint8)  # 0: not reachable
        for k in range(14, -1, -1):  # the first matching subset wins
            lut[np.arange(rows.shape[0]), sums[:, k] - lo] = masks[k]
        mask = lut[row_of[proj.post_idx], proj.weight - lo]
    else:  # many distinct rows: compare each synapse with its row's 15 sums, a chunk at a time
        mask = np.empty(proj.weight.size, np.uint8)
        for a in range(0, mask.size, _CHUNK):
            r, w = row_of[proj.post_idx[a : a + _CHUNK]], proj.weight[a : a + _CHUNK]
            match = sums[r] == w[:, None]  # (chunk, 15)
            mask[a : a + _CHUNK] = np.where(match.any(axis=1), masks[np.argmax(match, axis=1)], 0)
    bad = np.flatnonzero(mask == 0)
    if bad.size:
        j = int(bad[0])
        post = int(proj.post_idx[j])
        reach = sorted(set(sums[row_of[post]].tolist()))
        raise MappingError(
            f"projection {proj.name!r}: weight {int(proj.weight[j])} from {proj.pre.name}[{int(proj.pre_idx[j])}] "
            f"to {proj.post.name}[{post}] is not a sum of that neuron's axon-type weights "
            f"{S[post].tolist()} (reachable: {reach})"
        )
    return mask


def _typed_axons(index: int, proj: Projection, chip: ChipProfile, delay_shift: int) -> SynapseView:
    mask = _type_masks(proj)
    rows, types = _expand_types(mask)
    pre, post = (
        (proj.pre_idx, proj.post_idx) if rows is None else (proj.pre_idx[rows], proj.post_idx[rows])
    )
    d = _shifted(proj.delay if rows is None else proj.delay[rows], delay_shift).astype(np.uint8)
    full = types.astype(np.int64) * 16 + d
    present = np.flatnonzero(np.bincount(full, minlength=64))
    code = np.zeros(64, np.uint8)
    code[present] = np.arange(present.size)

    def stored(sel):
        return types[sel], np.ones(sel.size, np.int16), d[sel]

    return SynapseView.build(
        index, proj, pre, post, code[full], present.tolist(), 0, 1, 1, stored,
    )  # fmt: skip


_POPCOUNT = np.array([bin(m).count("1") for m in range(16)], np.int64)


def _expand_types(mask: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """One stored synapse per set bit of each synapse's axon-type mask, by synapse then type:
    (synapse index per stored synapse, or None when every mask has one bit; type, uint8)."""
    counts = _POPCOUNT[mask]
    if (counts == 1).all():
        return None, np.log2(mask).astype(np.uint8)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    types = np.empty(int(counts.sum()), np.uint8)
    below = np.zeros(mask.size, np.int64)
    for g in range(4):
        has = np.flatnonzero((mask >> g) & 1)
        types[start[has] + below[has]] = g
        below[has] += 1
    return np.repeat(np.arange(mask.size), counts), types


def _weights(index: int, proj: Projection, chip: ChipProfile, delay_shift: int) -> SynapseView:
    mode = proj.sign_mode or sign_mode(proj.weight)
    owner = f"projection {proj.name!r}"
    top = int(proj.delay.max()) + delay_shift if proj.delay.size else 1
    delay_bits = math.ceil(math.log2(chip.core.max_delay + 1)) if top > 1 else 0

    def stored(sel):
        q = quantize_weights(proj.weight[sel], proj.weight_bits, mode, owner=owner)
        acc = np.full(sel.size, proj.port, np.int64)  # the post model's input port
        return acc, q, _shifted(proj.delay[sel], delay_shift)

    return SynapseView.build(
        index, proj, proj.pre_idx, proj.post_idx, None, (0,), proj.weight_exp,
        proj.weight_bits + chip.core.synapse_index_bits + delay_bits, proj.weight_bits, stored,
    )  # fmt: skip


def _check_weights(proj: Projection, chip: ChipProfile) -> None:
    lim = chip.core
    mode = proj.sign_mode or sign_mode(proj.weight)
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
    f = chip.formats
    lo_e, hi_e = f.get("weight_exp_min"), f.get("weight_exp_max")
    if (lo_e is not None and proj.weight_exp < lo_e) or (
        hi_e is not None and proj.weight_exp > hi_e
    ):
        raise MappingError(
            f"projection {proj.name!r} uses weight_exp {proj.weight_exp}; {chip.name}'s "
            f"[formats] allow {lo_e}..{hi_e}"
        )


def _check_typed_axons(proj: Projection, chip: ChipProfile) -> None:
    """Weights come from the neurons' axon-type weights (checked per synapse when stored)."""
    types = chip.formats.get("axon_types")
    need = proj.post.neuron.accumulators
    if types is not None and need > types:
        raise MappingError(
            f"projection {proj.name!r}: {proj.post.neuron.model} needs {need} axon types; "
            f"{chip.name}'s [formats] axon_types = {types}"
        )


@dataclass(frozen=True, slots=True)
class SynapseFormat:
    """A storage scheme: ``check(proj, chip)`` raises MappingError when the projection cannot be
    stored; ``build(index, proj, chip, delay_shift)`` returns its :class:`SynapseView`."""

    check: object
    build: object


FORMATS = {
    "weights": SynapseFormat(_check_weights, _weights),
    "typed_axons": SynapseFormat(_check_typed_axons, _typed_axons),
}
"""Synapse formats by :attr:`NeuronSpec.synapse_format`."""


def _format(proj: Projection) -> SynapseFormat:
    name = proj.post.neuron.synapse_format
    if name not in FORMATS:
        raise MappingError(
            f"projection {proj.name!r}: {proj.post.neuron.model} stores synapses as {name!r}; "
            f"the mapper knows {', '.join(FORMATS)}"
        )
    return FORMATS[name]


def check_network(net: Network, chip: ChipProfile) -> None:
    """Everything that can be checked before splitting: models, payloads, register widths,
    delays, weight formats. Raises MappingError naming the population or projection."""
    lim = chip.core
    if not net.populations:
        raise MappingError(f"network {net.name!r} has no populations to map")
    for pop in net.populations.values():
        spec = pop.neuron
        if not chip.supports(spec.model):
            why = f" ({spec.model} is {spec.program})" if spec.program else ""
            raise MappingError(
                f"population {pop.name!r} uses {spec.model}; {chip.name} cores run "
                f"{', '.join(lim.neuron_models)}{why}"
            )
        if spec.payload_bits > lim.payload_bits:
            raise MappingError(
                f"population {pop.name!r} emits {spec.payload_bits}-bit spike payloads; "
                f"{chip.name} carries {lim.payload_bits}-bit spikes"
            )
        for reg, bits in spec.registers.items():
            have = chip.formats.get(f"{reg}_bits")
            if have is not None and bits > have:
                raise MappingError(
                    f"population {pop.name!r}: {spec.model} needs a {bits}-bit {reg} register; "
                    f"{chip.name}'s [formats] {reg}_bits = {have}"
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
        _format(proj).check(proj, chip)
        if proj.learning is not None:
            if not lim.learning:
                raise MappingError(
                    f"projection {proj.name!r} is plastic ({type(proj.learning).__name__}); "
                    f"{chip.name} has no learning engine ([core] learning = false"
                    f"{': its synapses are fixed crossbar bits' if proj.post.neuron.synapse_format == 'typed_axons' else ''})"
                    "; map it on a chip with one (loihi, loihi2) or drop learning="
                )
            if proj.post.neuron.synapse_format != "weights":
                raise MappingError(
                    f"projection {proj.name!r} is plastic but {proj.post.neuron.model} stores "
                    f"its synapses as {proj.post.neuron.synapse_format!r}; the learning engine "
                    "updates weight mantissas (the 'weights' format)"
                )


def synapse_views(
    net: Network, chip: ChipProfile, shift: dict[int, int] | None = None
) -> dict[str, list[SynapseView]]:
    """Synapse views per post population; projection ``k`` stores its delays plus
    ``shift[k]`` (:func:`spikemesh.mapping.latency.solve`: splitters' latency made uniform)."""
    shift = shift or {}
    by_post: dict[str, list[SynapseView]] = {name: [] for name in net.populations}
    for k, proj in enumerate(net.projections):
        by_post[proj.post.name].append(_format(proj).build(k, proj, chip, shift.get(k, 0)))
    return by_post
