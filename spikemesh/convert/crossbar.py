"""The quantized ANN on a TrueNorth-like chip: binary crossbar, 4 axon types, binary spikes.

A TrueNorth neuron adds ``S[G]`` for every spike on an axon of type ``G`` (4 types, one signed
9-bit weight per type and neuron) and fires when its membrane reaches ``alpha``, a threshold
shared by the population. A weight is the sum of a subset of the neuron's four ``S``; the
mapper connects one axon copy per type of the subset. With ``weight_bits`` signed levels
``q`` (``-(2**(b-1)-1) .. 2**(b-1)-1``, b <= 4) every weight has such a subset:

    b <= 2: S = (1, -1, 2, -2)    b = 3: S = (1, 2, -1, -2)    b = 4: S = (1, 2, 4, -8)

(8-bit weights have no subset of 4 types: at most 16 distinct weights per neuron.)

**Thermometer copies (scheme "copies").** A neuron cannot hold a decision until inputs spread
over several ticks have arrived (there is no spare axon type for a gate), so every layer
decides in *one* tick and the ``cap = T * (2**spike_bits - 1)`` levels of an activation are
spent in space instead of time: hidden layer ``j`` is ``cap`` populations, copy ``k`` firing
iff ``z + b >= k * s`` (threshold ``s``), so the copies that fire *are* the activation
``clip(floor((z + b) / s), 0, cap)`` -- the same spike count a T-step binary rate code sends,
in one tick. With weights stored in units ``u = 2**(9 - b)`` of the quantized ANN's mantissas,
copy ``k`` of neuron ``i`` fires iff ``sum q a >= t_ik = ceil((k s - b_i) / u)``: the copy
population's ``alpha_k`` minus a per-neuron offset ``alpha_k - t_ik`` that *bias lines* (a
control input firing in the decision tick) add. Inputs are thermometer lines too: input line
``(k, i)`` fires iff the input level of ``i`` is at least ``k`` (a rate-encoded sample's level
is its spike count). Pooling is copies with thresholds ``k * size**2`` (average) or ``k``
(sum). The logits layer never fires; its membrane, read in its decision tick, is ``sum q a``,
and the logits are ``u * v + b`` (the output bias is added on the host: the 4 types leave no
per-neuron bias finer than ``u``). Each sample runs from a reset state for ``L + 1`` ticks
(plus the splitter lag the mapper reports). Exact for signed weights and any ``T``; the price
is ``cap`` copies per neuron and a fan-in of ``cap * n_in`` lines, which TrueNorth's 256 axons
per core bound (the mapper names the population that does not fit).

**Sequences** (recurrent layers, :func:`build_seq`): element ``k`` owns a frame of ``F`` ticks.
The hidden copies are *stateless* threshold units (a leak of ``-lam`` and ``beta = 0``: V is 0
after every tick, whatever the input was; thresholds up to 512), so nothing of one element
stays for the next but the spikes a recurrent layer's copies send to themselves, one frame
later; the logits membrane is cleared after it is read by a pulse onto its negative
saturation ``-beta`` and raised back to 0 by exactly ``beta``.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..exceptions import MappingError
from ..fixedpoint import WEIGHT_MANTISSA_BITS
from ..mapping import map_network
from ..network import Connector, Network
from ..neurons import TN_LEAK, TN_THRESH_MAX, TrueNorthNeuron

__all__ = ["AXON_TYPE_WEIGHTS", "MAX_WEIGHT_BITS", "build", "build_seq"]

AXON_TYPE_WEIGHTS = {2: (1, -1, 2, -2), 3: (1, 2, -1, -2), 4: (1, 2, 4, -8)}
MAX_WEIGHT_BITS = 4
POOL_TYPES = (1, 2, 4, -8)


def _sums(types) -> tuple[int, int]:
    """(lo, hi) of the subset sums of ``types``; every integer between is one (checked)."""
    sums = {sum(c) for r in range(5) for c in itertools.combinations(types, r)}
    lo, hi = min(sums), max(sums)
    assert sums == set(range(lo, hi + 1)), types
    return lo, hi


def _split(c: np.ndarray, lo: int, hi: int, k: int) -> np.ndarray:
    """(k, n) rows of values in lo..hi that add up to ``c`` per column."""
    pos, neg = np.maximum(c, 0), np.maximum(-c, 0)
    rows = np.arange(k)[:, None]
    return np.clip(pos[None] - rows * hi, 0, hi) - np.clip(neg[None] + rows * lo, 0, -lo)


def _thresholds(ly, u: int, cap: int) -> np.ndarray:
    """(cap, n) integer thresholds on ``sum q a`` per copy and neuron."""
    k = np.arange(1, cap + 1)[:, None]
    return -((ly.neuron_bias()[None, :] - k * ly.threshold) // u)  # ceil((k s - b) / u)


class _Negated(Connector):
    """A connector's synapses with their weights negated."""

    def __init__(self, base: Connector) -> None:
        self.base, self.n_pre, self.n_post = base, base.n_pre, base.n_post

    def build(self):
        pre, post, weight = self.base.build()
        return pre, post, -np.asarray(weight, np.int64)


def negated(w):
    """``-w`` for a weight matrix or a connector (a signed layer's ``-z`` half reads its inputs
    through it)."""
    return -w if isinstance(w, np.ndarray) else _Negated(w)


def _wire_ctrl(net, blocks, n_ctrl: int, name) -> None:
    """The control input ``ctrl`` of ``n_ctrl`` lines, and per block ``(populations, rows,
    lines)`` the synapses from its ``lines`` (one row of weights per population)."""
    ctrl = net.input(n_ctrl, name="ctrl")
    for group, offsets, lines in blocks:
        for post, rows in zip(group, offsets, strict=True):
            full = np.zeros((n_ctrl, post.n), np.int64)
            full[lines] = rows
            if np.any(full):
                net.connect(ctrl, post, weights=full, name=name(lines, post))


def _check_widths(qann, chip) -> int:
    """The weight bits, once they and the spike width fit the crossbar."""
    wb = qann.weight_bits
    if wb > MAX_WEIGHT_BITS:
        raise MappingError(
            f"to_snn: {chip.name} stores a weight as a subset of a neuron's 4 axon-type weights "
            f"(at most 16 distinct weights, {MAX_WEIGHT_BITS}-bit); weight_bits={wb} (quantize "
            f"with weight_bits <= {MAX_WEIGHT_BITS})"
        )
    if qann.spike_bits > chip.core.payload_bits:
        raise MappingError(
            f"to_snn: {chip.name} carries {chip.core.payload_bits}-bit spikes; spike_bits="
            f"{qann.spike_bits} (quantize with spike_bits=1: timesteps buy the levels)"
        )
    return wb


def build(qann, chip, allocator="greedy"):
    """The copies-scheme network of ``qann`` mapped onto ``chip`` (strictly: exact or raise).
    Returns (network, mapping, layer pops, decision ticks, control, readout)."""
    wb = _check_widths(qann, chip)
    types = AXON_TYPE_WEIGHTS[max(wb, 2)]
    u = 2 ** (WEIGHT_MANTISSA_BITS - wb)
    cap = qann.cap
    net = Network("converted")
    n_in = int(np.prod(qann.in_shape))
    sources = [net.input(n_in, name=f"x.{k}") for k in range(1, qann.input_cap + 1)]
    pops, ticks, plans = {}, {}, []
    j = 0
    layers = qann.layers
    for i, ly in enumerate(layers):
        if ly.kind == "flatten":
            continue
        j += 1
        last = i == len(layers) - 1
        kind_types = POOL_TYPES if ly.kind == "pool" else types
        uu = 1 if ly.kind == "pool" else u
        w = ly.synapses(uu)
        name = "out" if last else f"l{i}"
        if last:
            spec = TrueNorthNeuron(weights=kind_types, alpha=TN_THRESH_MAX, reset_mode=0,
                                   beta=TN_THRESH_MAX)  # fmt: skip
            group = [net.population(int(np.prod(ly.out_shape)), spec, name=name)]
            offsets = None
        else:
            t = _thresholds(ly, uu, cap)
            lo, hi = _sums(kind_types)
            alphas, offsets = [], []
            for row in t:
                tmin, tmax = int(row.min()), int(row.max())
                a = (tmin * -lo + tmax * hi) // (hi - lo)
                alphas.append(min(max(a, 1), TN_THRESH_MAX))
                offsets.append(alphas[-1] - row)
            n_lines = max(max(-(-int(c.max(initial=0)) // hi), -(-int(-c.min(initial=0)) // -lo))
                          for c in offsets)  # fmt: skip
            group = [
                net.population(int(np.prod(ly.out_shape)),
                               TrueNorthNeuron(weights=kind_types, alpha=a, reset_mode=0,
                                               beta=TN_THRESH_MAX),
                               name=f"{name}.{k}")
                for k, a in enumerate(alphas, start=1)
            ]  # fmt: skip
            offsets = [(_split(c, lo, hi, n_lines) if n_lines else None) for c in offsets]
        for post in group:
            for src in sources:
                net.connect(src, post, weights=w, name=f"{src.name}->{post.name}")
        pops[name] = tuple(p.name for p in group)
        ticks[name] = j
        plans.append((group, offsets, j))
        sources = group
    # bias lines: one control block per layer, firing the tick before the layer decides
    control, n_ctrl, blocks = [], 0, []
    for group, offsets, jj in plans:
        if not offsets or offsets[0] is None:
            continue
        k = offsets[0].shape[0]
        lines = np.arange(n_ctrl, n_ctrl + k)
        n_ctrl += k
        control.append((lines, jj - 1))
        blocks.append((group, offsets, lines))
    if n_ctrl:
        _wire_ctrl(net, blocks, n_ctrl, lambda lines, post: f"bias->{post.name}")
    out = plans[-1][0][0]
    net.probe(out, "v")
    _check_range(net)
    mapping = map_network(net, chip, allocator=allocator, strict=True)
    # every population decides in its tick plus the lag its splitters add
    lag = mapping.latency
    decide = {p: ticks[name] + lag.get(p, 0) for name, ps in pops.items() for p in ps}
    readout = (1 if layers[-1].kind == "pool" else u, layers[-1].neuron_bias())
    return net, mapping, pops, decide, tuple(control), readout


def _check_range(net: Network) -> None:
    """Every source line spikes at most once per sample, so ``|v| <= sum |w|`` over a neuron's
    synapses: it must stay below the logits' never-reached threshold and the negative
    saturation ``-beta`` (both ``2**18 - 1``)."""
    for pop in net.populations.values():
        total = np.zeros(pop.n, np.int64)
        for proj in net.projections:
            if proj.post is pop:
                np.add.at(total, proj.post_idx, np.abs(proj.weight))
        if total.max(initial=0) >= TN_THRESH_MAX:
            raise MappingError(
                f"to_snn: population {pop.name!r} can reach |v| = {int(total.max()):,}, beyond "
                f"the {TN_THRESH_MAX:,} the TrueNorth thresholds allow; use fewer weight_bits "
                "or timesteps"
            )


# ---------------------------------------------------------------- sequences (recurrent layers)
def _stateless(theta: int) -> tuple[int, int]:
    """(alpha, leak) of a TrueNorth neuron (``beta = 0``, reset to 0) that fires iff this tick's
    input reaches ``theta`` and keeps nothing: the leak ``-lam`` is applied in the tick (so
    ``input - lam >= alpha`` iff ``input >= theta``), a negative V saturates back to 0 and a
    residual below ``alpha <= lam`` leaks below 0 in the next tick."""
    if theta <= 1:
        return 1, 0
    lam = -(-theta // 2)
    return theta - lam, lam


STATELESS_MAX = 2 * -TN_LEAK[0]  # the largest theta: alpha <= lam <= 256


def build_seq(qann, chip, allocator="greedy"):
    """The copies scheme for sequences (recurrent layers) on ``chip``: element ``k`` owns frame
    ``k`` of ``F`` ticks. Returns (network, mapping, layer pops, decision ticks, control per
    frame, readout, F).

    Hidden layer ``j`` decides in frame tick ``j`` as in :func:`build`, but its copies are
    *stateless* (:func:`_stateless`: a threshold of at most 512 on the tick's input, leak and
    ``beta = 0`` leave V at 0 after every tick), so nothing of element ``k-1`` stays in a
    membrane; a recurrent layer's copies reach the next element's decision through synapses of
    delay ``F``. The logits layer keeps its membrane (it is read): after its decision tick a
    clear pulse spread over ``m`` ticks drives it onto its negative saturation ``-B`` (``beta =
    B``, exact whatever it held) and a raise pulse of exactly ``B`` over ``m`` more ticks
    brings it back to 0, so ``F = L + 1 + 2m`` within the chip's ``max_delay``."""
    wb = _check_widths(qann, chip)
    types = AXON_TYPE_WEIGHTS[max(wb, 2)]
    lo_t, hi_t = _sums(types)
    up = max(types)  # the largest single positive type: one axon per raise line
    u = 2 ** (WEIGHT_MANTISSA_BITS - wb)
    cap = qann.cap
    layers = [(i, ly) for i, ly in enumerate(qann.layers) if ly.kind != "flatten"]
    L = len(layers)
    m = max(1, (chip.core.max_delay - L - 1) // 2)
    m = min(m, 4)
    F = L + 1 + 2 * m
    if F > chip.core.max_delay:
        raise MappingError(
            f"to_snn: a recurrent network of {L} layers needs frames of {F} ticks on "
            f"{chip.name} (its recurrent synapses delay one frame); the chip delays at most "
            f"{chip.core.max_delay}: use fewer layers"
        )
    net = Network("converted")
    n_in = int(np.prod(qann.in_shape))
    # the populations a layer reads, each with the sign of the levels it carries
    sources = [(net.input(n_in, name=f"x.{k}"), 1) for k in range(1, qann.input_cap + 1)]
    pops, ticks, plans, signs = {}, {}, [], {}
    bound = qann.input_cap
    for j, (i, ly) in enumerate(layers, start=1):
        last = j == L
        kind_types = POOL_TYPES if ly.kind == "pool" else types
        uu = 1 if ly.kind == "pool" else u
        w = ly.synapses(uu)
        name = "out" if last else f"l{i}"
        if last:
            zp = np.zeros(int(np.prod(ly.out_shape)), np.int64)
            zn = np.zeros(zp.size, np.int64)
            for ssign in sorted({sg for _, sg in sources}):  # a thermometer's copies sum to <= cap
                probe = Network("fan")
                src = probe.input(int(np.prod(ly.in_shape)), name="s")
                dst = probe.population(zp.size, TrueNorthNeuron(weights=types), name="d")
                pr = probe.connect(src, dst, weights=w)
                np.add.at(zp, pr.post_idx, np.maximum(ssign * pr.weight, 0) * bound)
                np.add.at(zn, pr.post_idx, np.maximum(-ssign * pr.weight, 0) * bound)
            B = -(-max(int(zn.max(initial=0)), 1) // up) * up  # >= any negative z, a multiple
            A = int(zp.max(initial=0)) + 1  # above any positive z: it never fires
            if A + B >= TN_THRESH_MAX:
                raise MappingError(f"to_snn: the logits layer can reach {A + B:,} units, beyond "
                                   f"the TrueNorth thresholds' {TN_THRESH_MAX:,}")  # fmt: skip
            spec = TrueNorthNeuron(weights=kind_types, alpha=A, reset_mode=0, beta=B)
            group = [(net.population(zp.size, spec, name=name), 1)]
            offsets, clear = None, (A - 1 + B, B)
        else:
            # a signed layer: copies of z's positive part and of -z's (negated weights, bias)
            parts = [(name, 1), (f"{name}.neg", -1)] if ly.signed else [(name, 1)]
            group, offsets = [], []
            for pname, psign in parts:
                k = np.arange(1, cap + 1)[:, None]
                t = -((psign * ly.neuron_bias()[None, :] - k * ly.threshold) // uu)
                for kk, row in enumerate(t, start=1):
                    theta = int(min(max((int(row.min()) + int(row.max())) // 2, 1),
                                    STATELESS_MAX))  # fmt: skip
                    alpha, lam = _stateless(theta)
                    pop = net.population(
                        int(np.prod(ly.out_shape)),
                        TrueNorthNeuron(weights=kind_types, alpha=alpha, leak=-lam, reset_mode=0,
                                        beta=0),
                        name=f"{pname}.{kk}")  # fmt: skip
                    group.append((pop, psign))
                    signs[pop.name] = psign
                    offsets.append(theta - row)
            n_lines = max(max(-(-int(c.max(initial=0)) // hi_t), -(-int(-c.min(initial=0)) // -lo_t))
                          for c in offsets)  # fmt: skip
            offsets = [(_split(c, lo_t, hi_t, n_lines) if n_lines else None) for c in offsets]
            clear = None
        for post, psign in group:
            for src, ssign in sources:
                wt = w if psign * ssign == 1 else negated(w)
                net.connect(src, post, weights=wt, name=f"{src.name}->{post.name}")
            if ly.kind == "recurrent":
                for pre, ssign in group:
                    net.connect(pre, post, weights=(ly.weight_rec // uu) * (psign * ssign),
                                delay=F, name=f"{pre.name}->{post.name}")  # fmt: skip
        pops[name] = tuple(p.name for p, _ in group)
        ticks[name] = j
        plans.append(([p for p, _ in group], offsets, j, clear))
        sources = group
        bound = cap
    control, n_ctrl, blocks = [], 0, []
    for group, offsets, jj, clear in plans:
        if offsets and offsets[0] is not None:
            k = offsets[0].shape[0]
            lines = np.arange(n_ctrl, n_ctrl + k)
            n_ctrl += k
            control.append((lines, jj - 1))  # bias lines: the tick before the decision
            blocks.append((group, offsets, lines))
        if clear is not None:
            total, B = clear
            n_clear = -(-total // (-lo_t * m))
            lines = np.arange(n_ctrl, n_ctrl + n_clear)
            n_ctrl += n_clear
            for t in range(m):  # arriving in ticks L+1 .. L+m
                control.append((lines, jj + t))
            blocks.append((group, [np.full((n_clear, group[0].n), lo_t)], lines))
            per_tick = -(-(B // up) // m)
            lines = np.arange(n_ctrl, n_ctrl + per_tick)
            n_ctrl += per_tick
            left = B // up
            for t in range(m):  # exactly B in all, arriving in ticks L+m+1 .. L+2m
                now = min(per_tick, left)
                if now:
                    control.append((lines[:now], jj + m + t))
                left -= now
            blocks.append((group, [np.full((per_tick, group[0].n), up)], lines))
    _wire_ctrl(net, blocks, n_ctrl, lambda lines, post: f"ctrl{lines[0]}->{post.name}")
    out = plans[-1][0][0]
    net.probe(out, "v")
    mapping = map_network(net, chip, allocator=allocator, strict=True)
    lag = mapping.latency
    decide = {p: ticks[name] + lag.get(p, 0) for name, ps in pops.items() for p in ps}
    readout = (1 if layers[-1][1].kind == "pool" else u, layers[-1][1].neuron_bias())
    return net, mapping, pops, decide, tuple(control), readout, F, signs
