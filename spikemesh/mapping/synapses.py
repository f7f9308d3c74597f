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
from dataclasses import dataclass

import numpy as np

from ..chips import ChipProfile
from ..exceptions import MappingError
from ..fixedpoint import quantize_weights, sign_mode, weight_range
from ..network import Network, Projection

__all__ = ["FORMATS", "SynapseView", "check_network", "synapse_views"]


def _count_unique(a: np.ndarray) -> int:
    s = np.sort(a)
    return 1 + int(np.count_nonzero(s[1:] != s[:-1])) if s.size else 0


@dataclass(frozen=True, slots=True, eq=False)
class SynapseView:
    """The synapses of one projection as the chip stores them.

    An input axon of a core is (projection, ``pre``, ``key``); ``key`` is 0 in the weights
    format and ``G * 16 + delay`` for typed axons. Synapse j adds ``weight[j] * payload`` to
    accumulator ``acc[j]`` of neuron ``post[j]`` after ``delay[j]`` steps. ``bits`` is synapse
    memory per synapse; ``weight_bits`` the stored weight's width (1: a crossbar bit).
    ``post_sorted`` / ``axon_sorted`` (by post neuron) answer :meth:`usage` quickly;
    ``by_post`` is that order (:meth:`in_range` returns index ranges of it).
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
    bits: int
    weight_bits: int
    post_sorted: np.ndarray
    axon_sorted: np.ndarray
    by_post: np.ndarray

    @classmethod
    def build(cls, index, proj, pre, post, key, acc, weight, delay, exp, bits, weight_bits):
        order = np.argsort(post, kind="stable")
        return cls(index, proj, pre, post, key, acc, weight, delay, exp, bits, weight_bits,
                   post[order], (pre * 256 + key)[order], order)  # fmt: skip

    def usage(self, lo: int, hi: int) -> tuple[int, int]:
        """(input axons, synapse bits) needed by post neurons lo:hi."""
        a, z = np.searchsorted(self.post_sorted, [lo, hi])
        if z <= a:
            return 0, 0
        return _count_unique(self.axon_sorted[a:z]), int(z - a) * self.bits

    def in_range(self, lo: int, hi: int) -> np.ndarray:
        """Indices of the synapses onto post neurons lo:hi, in ascending order (a binary search
        of the post-sorted order and a sort of that range: the cost grows with the range, not
        with the projection)."""
        a, z = np.searchsorted(self.post_sorted, [lo, hi])
        return np.sort(self.by_post[a:z])


def _subset_table(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per neuron, the 15 non-empty axon-type subsets (fewest types first) and their sums."""
    masks = sorted(range(1, 16), key=lambda m: (bin(m).count("1"), m))
    bits = np.array([[(m >> g) & 1 for g in range(4)] for m in masks], np.int64)  # (15, 4)
    return np.array(masks, np.int64), S.astype(np.int64) @ bits.T  # (n, 15)


def _shifted(delay: np.ndarray, shift: int) -> np.ndarray:
    """Stored delays: the projection's delays plus its shift from :mod:`.latency` (which keeps
    them in 1..max_delay; the clip only guards that contract)."""
    return np.maximum(delay.astype(np.int64) + shift, 1)


def _typed_axons(index: int, proj: Projection, chip: ChipProfile, delay_shift: int) -> SynapseView:
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
    d = _shifted(proj.delay[rows], delay_shift)
    return SynapseView.build(
        index, proj, proj.pre_idx[rows], proj.post_idx[rows], types * 16 + d, types,
        np.ones(rows.size, np.int16), d, 0, 1, 1,
    )  # fmt: skip


def _weights(index: int, proj: Projection, chip: ChipProfile, delay_shift: int) -> SynapseView:
    q = quantize_weights(
        proj.weight, proj.weight_bits, sign_mode(proj.weight), owner=f"projection {proj.name!r}"
    )
    d = _shifted(proj.delay, delay_shift)
    delay_bits = math.ceil(math.log2(chip.core.max_delay + 1)) if d.size and d.max() > 1 else 0
    n = proj.pre_idx.size
    return SynapseView.build(
        index, proj, proj.pre_idx, proj.post_idx, np.zeros(n, np.int64), np.zeros(n, np.int64),
        q, d, proj.weight_exp,
        proj.weight_bits + chip.core.synapse_index_bits + delay_bits, proj.weight_bits,
    )  # fmt: skip


def _check_weights(proj: Projection, chip: ChipProfile) -> None:
    lim = chip.core
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
            raise MappingError(
                f"population {pop.name!r} uses {spec.model}; {chip.name} cores run "
                f"{', '.join(lim.neuron_models)}"
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
