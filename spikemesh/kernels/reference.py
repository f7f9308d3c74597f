"""NumPy twins of every compiled kernel: the specification and the pure-Python fallback.

Each function here has the same name and signature as its compiled counterpart in
``_neurons.pyx`` / ``_synapses.pyx``, mutates the same arrays in place and returns the same
counts. Tests require identical (not close) results. Equations are in each docstring.

Array conventions (all C-contiguous):

- neuron state ``u``, ``v``, ``ref``: int32, length n; spikes out: int32 payloads (0 = none);
- synaptic input ``inp``: int64, the ring slot for this step (exact sums; the neuron model
  applies its own accumulator width);
- delay ring: int64 ``(D, n_acc)``; an event emitted at step t through a synapse of delay d
  lands in slot ``(t + d) % D`` and is read by the update of step ``t + d``.
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = [
    "NATIVE_LAYOUT",
    "NATIVE_MODELS",
    "BoundDeliver",
    "BoundEmit",
    "NetDeliver",
    "NetStep",
    "cuba_lif_subtract_update",
    "cuba_lif_update",
    "deliver",
    "emit_spikes",
    "if_update",
    "native_update",
    "prn32",
    "smooth_if_update",
    "truenorth_update",
]

_I64 = np.int64
_U64 = np.uint64

# Streams of the counter-based PRNG (TrueNorth stochastic modes).
STREAM_LEAK = 1
STREAM_THRESHOLD = 2


def _wrap(x: np.ndarray, bits: int) -> np.ndarray:
    half = _I64(1 << (bits - 1))
    return ((x + half) & (2 * half - 1)) - half


def _decay12(x: np.ndarray, factor: int) -> np.ndarray:
    """``sgn(x) * ((|x| * factor) >> 12)``: scale by factor/4096, truncating toward zero."""
    return np.sign(x) * ((np.abs(x) * _I64(factor)) >> 12)


# ---------------------------------------------------------------- pseudo-random numbers


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finalizer (Steele et al. 2014), on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def prn32(seed: int, step: int, neuron: np.ndarray, stream: int) -> np.ndarray:
    """Counter-based pseudo-random uint32 per neuron, keyed by (seed, step, neuron, stream).

    ``h = mix(mix(mix(mix(neuron + G) ^ step) ^ stream) ^ seed) >> 32`` with SplitMix64's
    finalizer ``mix`` and ``G = 0x9E3779B97F4A7C15``. No state: any backend, order or mapping
    that asks for the same key gets the same number.
    """
    h = _mix64(np.asarray(neuron, dtype=_U64) + _U64(0x9E3779B97F4A7C15))
    h = _mix64(h ^ _U64(step & 0xFFFFFFFFFFFFFFFF))
    h = _mix64(h ^ _U64(stream & 0xFFFFFFFFFFFFFFFF))
    h = _mix64(h ^ _U64(seed & 0xFFFFFFFFFFFFFFFF))
    return (h >> _U64(32)).astype(np.int64)


# ---------------------------------------------------------------- neuron updates


def cuba_lif_update(inp, u, v, ref, bias, du, dv, vth, refract_delay, vmin, vmax, spikes):
    """Loihi CUBA LIF compartments, one timestep, bit-exact (REFERENCE.md §1).

    Parameters
    ----------
    inp : int64[n]
        Summed synaptic input ``sum_k (shift(Wq, weight_exp) << 6) * payload_k``.
    u, v, ref : int32[n]
        Current, voltage, refractory counter; updated in place.
    bias : int64[n]
        ``bias_mant << bias_exp`` per compartment.
    du, dv, vth, refract_delay, vmin, vmax : int
        Register values (``vth`` is the mantissa; the compare is against ``vth << 6``).
    spikes : int32[n]
        Output: 1 where the compartment fired, else 0.

    Returns
    -------
    (changed, n_spikes, n_wraps)
        Compartments whose u or v changed (NeuroBench membrane updates), spikes, and
        two's-complement wraps of q (22 bit), u (24 bit) and u + bias (24 bit).

    Notes
    -----
    ::

        q   = wrap22(inp)
        u'  = wrap24(sgn(u) * ((|u| * (4096 - (du + 1))) >> 12) + q)
        u2  = wrap24(u' + bias)
        v'  = clip(sgn(v) * ((|v| * (4096 - dv)) >> 12) + u2, vmin, vmax)
        v'  = 0 where ref > 0
        s   = v' > vth << 6;  v' = 0 where s
        ref = max(where(s, refract_delay, ref) - 1, 0)
    """
    u_old = u.astype(_I64)
    v_old = v.astype(_I64)
    un, u2, wrapped = _cuba_lif_current(inp, u_old, bias, du)
    wraps = sum(np.count_nonzero(m) for m in wrapped.values())
    vn = np.clip(_decay12(v_old, 4096 - dv) + u2, vmin, vmax)
    vn[ref > 0] = 0
    s = vn > (_I64(vth) << 6)
    vn[s] = 0
    ref_new = np.maximum(np.where(s, refract_delay, ref) - 1, 0)
    changed = np.count_nonzero((un != u_old) | (vn != v_old))
    u[:] = un
    v[:] = vn
    ref[:] = ref_new
    spikes[:] = s
    return int(changed), int(np.count_nonzero(s)), int(wraps)


def cuba_lif_subtract_update(inp, u, v, bias, du, dv, vth, vmin, vmax, spikes):
    """CUBA LIF with snnTorch's reset by subtraction, one timestep (a Loihi 2 program;
    :class:`~spikemesh.neurons.CubaLIFSubtract`). Arguments as :func:`cuba_lif_update` without
    the refractory state.

    Notes
    -----
    ::

        r   = v > vth << 6                       # the previous step's spike
        q, u', u2 as cuba_lif_update
        v'  = clip(sgn(v) * ((|v| * (4096 - dv)) >> 12) + u2 - r * (vth << 6), vmin, vmax)
        s   = v' > vth << 6                      # v' is kept (the reset is next step's)

    Returns ``(changed, n_spikes, n_wraps)`` as :func:`cuba_lif_update`.
    """
    u_old = u.astype(_I64)
    v_old = v.astype(_I64)
    thr = _I64(vth) << 6
    un, u2, wrapped = _cuba_lif_current(inp, u_old, bias, du)
    wraps = sum(np.count_nonzero(m) for m in wrapped.values())
    vn = np.clip(_decay12(v_old, 4096 - dv) + u2 - np.where(v_old > thr, thr, 0), vmin, vmax)
    s = vn > thr
    changed = np.count_nonzero((un != u_old) | (vn != v_old))
    u[:] = un
    v[:] = vn
    spikes[:] = s
    return int(changed), int(np.count_nonzero(s)), int(wraps)


def _cuba_lif_current(inp, u_old, bias, du):
    """q, u and u + bias with their 24/22-bit wraps: ``(u', u2, {register: wrapped mask})``."""
    q_raw = np.asarray(inp, dtype=_I64)
    q = _wrap(q_raw, 22)
    un_raw = _decay12(u_old, 4096 - (du + 1)) + q
    un = _wrap(un_raw, 24)
    u2_raw = un + bias
    u2 = _wrap(u2_raw, 24)
    return un, u2, {"q": q != q_raw, "u": un != un_raw, "u+bias": u2 != u2_raw}


def cuba_lif_overflows(inp, u, bias, du) -> dict:
    """Which compartments' registers wrap in the next :func:`cuba_lif_update` from current
    ``u`` with input ``inp``: ``{"q": mask, "u": mask, "u+bias": mask}``."""
    return _cuba_lif_current(inp, np.asarray(u, _I64), bias, du)[2]


def if_update(inp, v, bias, vth, vmin, vmax, leak, cap, bipolar, reset_zero, spikes):
    """Integrate-and-fire with saturating membrane and graded spikes, one timestep.

    Parameters
    ----------
    inp : int64[n]
        Summed synaptic input (weights x payloads).
    v : int32[n]
        Membrane, updated in place.
    bias : int64[n]
        Constant input per neuron.
    vth, vmin, vmax, leak, cap : int
        Threshold (> 0), membrane limits, linear leak toward 0 (>= 0), payload cap
        ``2**spike_bits - 1``.
    bipolar : int (0/1)
        Negative spikes at ``v <= -vth``.
    reset_zero : int (0/1/2)
        0: subtract ``p * vth`` after a spike; 1: reset to zero after a spike; 2: clear ``v`` to
        zero after every step (a stateless graded neuron: each step's payload depends on that
        step's input only).
    spikes : int32[n]
        Output payloads (0 = no spike; negative for bipolar negative spikes).

    Returns
    -------
    (changed, n_spikes, n_saturations)
        ``changed``: neurons whose membrane changed (with ``reset_zero`` 2, whose integrated
        membrane differs from the stored one: the update a stateless neuron did).

    Notes
    -----
    ::

        x = v + inp + bias;  x -= sgn(x) * min(|x|, leak);  v' = clip(x, vmin, vmax)
        k = v' // vth if v' >= vth;  -((-v') // vth) if bipolar and v' <= -vth;  else 0
        p = sgn(k) * min(|k|, cap)
        v' = 0 where p != 0 (reset_zero 1)  or  v' - p * vth (subtract, 0)  or  0 (step, 2)
    """
    v_old = v.astype(_I64)
    x = _if_integrate(inp, v_old, bias, leak)
    vn = np.clip(x, vmin, vmax)
    sats = np.count_nonzero(vn != x)
    p = np.where(vn >= vth, np.minimum(vn // vth, cap), 0)
    if bipolar:
        p = np.where(vn <= -vth, -np.minimum((-vn) // vth, cap), p)
    fired = p != 0
    vi = vn  # the integrated membrane: what a step-reset neuron updated
    vn = np.where(fired, 0, vn) if reset_zero == 1 else vn - p * _I64(vth)
    if reset_zero == 2:
        vn = np.zeros_like(vn)
    changed = np.count_nonzero((vi if reset_zero == 2 else vn) != v_old)
    v[:] = vn
    spikes[:] = p
    return int(changed), int(np.count_nonzero(fired)), int(sats)


def smooth_if_update(inp, v, vbar, bias, vth, vmin, vmax, leak, cap, bipolar, reset_zero, alpha,
                     spikes):  # fmt: skip
    """:func:`if_update` whose spike decision reads a smoothed membrane ``vbar`` (membrane
    smoothing across timesteps), one timestep.

    ``alpha`` is a 12-bit fraction (0..4095 of 4096); ``vbar`` (int32[n]) is updated in place.
    With ``alpha = 0``, ``vbar = v`` and this is :func:`if_update` exactly.

    Notes
    -----
    ::

        x = v + inp + bias;  x -= sgn(x) * min(|x|, leak);  v' = clip(x, vmin, vmax)
        vbar' = (alpha * vbar + (4096 - alpha) * v') >> 12          # floor, in [vmin, vmax]
        k = vbar' // vth if vbar' >= vth;  -((-vbar') // vth) if bipolar and vbar' <= -vth
        p = sgn(k) * min(|k|, cap)
        subtract (0): v' = clip(v' - p * vth, vmin, vmax), vbar' -= p * vth;
        zero (1): both 0 where p != 0;
        step (2): both 0 after every step

    ``changed`` counts neurons whose ``v`` or ``vbar`` changed (step: whose integrated ``v``
    or ``vbar`` differs from the stored one).
    """
    v_old, b_old = v.astype(_I64), vbar.astype(_I64)
    x = _if_integrate(inp, v_old, bias, leak)
    vn = np.clip(x, vmin, vmax)
    sats = np.count_nonzero(vn != x)
    bn = (_I64(alpha) * b_old + _I64(4096 - alpha) * vn) >> 12
    p = np.where(bn >= vth, np.minimum(bn // vth, cap), 0)
    if bipolar:
        p = np.where(bn <= -vth, -np.minimum((-bn) // vth, cap), p)
    fired = p != 0
    vi, bi = vn, bn
    if reset_zero == 1:
        vn, bn = np.where(fired, 0, vn), np.where(fired, 0, bn)
    else:  # v may lag vbar: its soft reset saturates at the membrane's limits
        vn, bn = np.clip(vn - p * _I64(vth), vmin, vmax), bn - p * _I64(vth)
    if reset_zero == 2:
        vn, bn = np.zeros_like(vn), np.zeros_like(bn)
    if reset_zero == 2:
        changed = np.count_nonzero((vi != v_old) | (bi != b_old))
    else:
        changed = np.count_nonzero((vn != v_old) | (bn != b_old))
    v[:] = vn
    vbar[:] = bn
    spikes[:] = p
    return int(changed), int(np.count_nonzero(fired)), int(sats)


def _if_integrate(inp, v_old, bias, leak):
    x = v_old + np.asarray(inp, dtype=_I64) + bias
    return x - np.sign(x) * np.minimum(np.abs(x), _I64(leak))


def if_overflows(inp, v, bias, leak, vmin, vmax) -> dict:
    """Which neurons' membrane saturates in the next :func:`if_update`: ``{"v": mask}``."""
    x = _if_integrate(inp, np.asarray(v, _I64), bias, leak)
    return {"v": (x < vmin) | (x > vmax)}


def truenorth_update(
    counts,
    v,
    weights,
    leak,
    leak_reversal,
    stochastic_leak,
    stochastic_synapse_mask,
    alpha,
    beta,
    negative_reset,
    reset_mode,
    reset_value,
    threshold_mask,
    seed,
    step,
    id_offset,
    spikes,
):
    """TrueNorth neurons, one tick (Cassidy et al. 2013).

    Parameters
    ----------
    counts : int64[n, 4]
        Active synaptic events per neuron and axon type this tick (axon fired and crossbar bit
        set).
    v : int32[n]
        Membrane potential, updated in place.
    weights : int16[n, 4]
        ``S[G]`` per neuron and axon type.
    leak, leak_reversal, stochastic_leak : int
        ``lambda``, ``epsilon`` (0/1), stochastic leak (0/1).
    stochastic_synapse_mask : int
        Bit G set: axon type G integrates stochastically.
    alpha, beta, negative_reset, reset_mode, reset_value, threshold_mask : int
        Thresholds, ``kappa`` (0 = saturate, 1 = reset), ``gamma``, ``R``, ``M``.
    seed, step, id_offset : int
        PRNG key: neuron ``i`` of this array has global id ``id_offset + i``
        (:attr:`spikemesh.network.Population.neuron_id_base` + its index).
    spikes : int32[n]
        Output: 1 where the neuron fired.

    Returns
    -------
    (changed, n_spikes, n_saturations)

    Notes
    -----
    Random draws (``prn32`` streams): synaptic event ``k`` (0-based, per neuron and type) of
    type G uses stream ``((G + 1) << 32) | k`` and compares ``|S| >= prn & 255``; the leak uses
    stream 1 (``|lambda| >= prn & 255``); the threshold uses stream 2 (``eta = prn & M``).
    V saturates to 20-bit signed after integration and leak.
    """
    n = v.shape[0]
    ids = np.arange(n, dtype=_I64) + _I64(id_offset)
    v_old = v.astype(_I64)
    V = _truenorth_integrate(counts, v_old, weights, leak, leak_reversal, stochastic_leak,
                             stochastic_synapse_mask, seed, step, ids)  # fmt: skip
    lo, hi = -(1 << 19), (1 << 19) - 1
    Vc = np.clip(V, lo, hi)
    sats = np.count_nonzero(Vc != V)
    V = Vc
    eta = (prn32(seed, step, ids, STREAM_THRESHOLD) & threshold_mask) if threshold_mask else 0
    eta = np.broadcast_to(np.asarray(eta, dtype=_I64), (n,))
    pos = V >= alpha + eta
    neg_thr = beta + eta if negative_reset else np.full(n, beta, dtype=_I64)
    neg = ~pos & (V < -neg_thr)
    if reset_mode == 0:
        vpos = np.full(n, reset_value, dtype=_I64)
        vneg = np.full(n, -reset_value, dtype=_I64)
    elif reset_mode == 1:
        vpos = V - (alpha + eta)
        vneg = V + (beta + eta)
    else:
        vpos = V
        vneg = V
    if not negative_reset:
        vneg = np.full(n, -beta, dtype=_I64)
    V = np.where(pos, vpos, np.where(neg, vneg, V))
    changed = np.count_nonzero(V != v_old)
    v[:] = V
    spikes[:] = pos
    return int(changed), int(np.count_nonzero(pos)), int(sats)


def _truenorth_integrate(counts, v_old, weights, leak, leak_reversal, stochastic_leak,
                         stochastic_synapse_mask, seed, step, ids):  # fmt: skip
    """V after synaptic integration and leak, before the 20-bit saturation."""
    n = v_old.shape[0]
    V = v_old.copy()
    counts = np.asarray(counts, dtype=_I64)
    S = weights.astype(_I64)
    for g in range(4):
        c = counts[:, g]
        if (stochastic_synapse_mask >> g) & 1:
            sg = np.sign(S[:, g])
            mag = np.abs(S[:, g])
            for k in range(int(c.max()) if n else 0):
                draw = prn32(seed, step, ids, ((g + 1) << 32) | k) & 255
                V += np.where((c > k) & (mag >= draw), sg, 0)
        else:
            V += c * S[:, g]
    omega = np.sign(V) if leak_reversal else np.ones(n, dtype=_I64)
    if stochastic_leak:
        draw = prn32(seed, step, ids, STREAM_LEAK) & 255
        V += omega * np.where(abs(leak) >= draw, np.sign(leak), 0)
    else:
        V += omega * _I64(leak)
    return V


def truenorth_overflows(counts, v, weights, leak, leak_reversal, stochastic_leak,
                        stochastic_synapse_mask, seed, step, id_offset) -> dict:  # fmt: skip
    """Which neurons' V saturates (20-bit) in the next :func:`truenorth_update`:
    ``{"v": mask}``."""
    n = np.asarray(v).shape[0]
    ids = np.arange(n, dtype=_I64) + _I64(id_offset)
    V = _truenorth_integrate(counts, np.asarray(v, _I64), weights, leak, leak_reversal,
                             stochastic_leak, stochastic_synapse_mask, seed, step, ids)  # fmt: skip
    return {"v": (V < -(1 << 19)) | (V > (1 << 19) - 1)}


# ---------------------------------------------------------------- synapses and routing


def _expand(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(starts[i], starts[i] + lens[i])`` for all i."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=_I64)
    offsets = np.cumsum(lens) - lens
    return np.repeat(starts - offsets, lens) + np.arange(total, dtype=_I64)


def deliver(axons, payloads, indptr, targets, weights, delays, row_exp, acc_shift, ring, slot0):
    """Fan incoming axon events out through a CSR synapse table into the delay ring.

    Parameters
    ----------
    axons : int32[m]
        Input axon (row) of each event.
    payloads : int32[m]
        Event payload (1 for binary spikes; graded spikes carry an integer; 0 = no event).
    indptr : int64[n_axons + 1]; targets : int32[nnz]; weights : int16[nnz]; delays : uint8[nnz]
        CSR synapse table: synapse j of axon a (``indptr[a] <= j < indptr[a+1]``) adds to
        accumulator ``targets[j]`` after ``delays[j]`` (>= 1) steps.
    row_exp : int8[n_axons]
        Weight exponent per axon (Loihi's per-synapse-group exponent, -8..7).
    acc_shift : int
        Fixed left shift of every weight into accumulator units (6 on Loihi, 0 elsewhere).
    ring : int64[D, n_acc]
        Delay ring, updated in place.
    slot0 : int
        ``t_emit % D``: synapse j writes to slot ``(slot0 + delays[j]) % D``.

    Returns
    -------
    int
        Synaptic events (synapses visited for events with non-zero payload).

    Notes
    -----
    ``ring[(slot0 + d_j) % D, targets[j]] += (shift(W_j, e_a) << acc_shift) * payload`` with
    ``shift(W, e) = W << e`` for e >= 0 and ``floor(W / 2**-e)`` for e < 0, per synapse.
    """
    axons = np.asarray(axons)
    payloads = np.asarray(payloads)
    active = payloads != 0
    a = axons[active].astype(_I64)
    p = payloads[active].astype(_I64)
    starts = indptr[a]
    lens = indptr[a + 1] - starts
    idx = _expand(starts, lens)
    if idx.size == 0:
        return 0
    e = np.repeat(row_exp[a].astype(_I64), lens)
    w = weights[idx].astype(_I64)
    w = np.where(e >= 0, w << np.maximum(e, 0), w >> np.maximum(-e, 0)) << _I64(acc_shift)
    slots = (slot0 + delays[idx].astype(_I64)) % ring.shape[0]
    np.add.at(ring, (slots, targets[idx]), w * np.repeat(p, lens))
    return int(idx.size)


def emit_spikes(spikes, rt_indptr, rt_dest, rt_axon, dest_ptr, out_axon, out_payload):
    """Turn spiking neurons into per-destination-core axon event lists (one packet each).

    Parameters
    ----------
    spikes : int32[n]
        Payload per neuron (0 = no spike).
    rt_indptr : int64[n + 1]; rt_dest : int32[nr]; rt_axon : int32[nr]
        CSR routing table: neuron i sends to (core ``rt_dest[j]``, axon ``rt_axon[j]``) for
        ``rt_indptr[i] <= j < rt_indptr[i+1]``.
    dest_ptr : int64[n_dest + 1]
        Output: events for destination d are ``out_*[dest_ptr[d]:dest_ptr[d+1]]``.
    out_axon, out_payload : int32[>= nr]
        Output event lists, grouped by destination, in (neuron, route) order within each.

    Returns
    -------
    (n_packets, n_events)
        Destinations that receive at least one event, and events written.
    """
    n_dest = dest_ptr.shape[0] - 1
    src = np.flatnonzero(spikes)
    starts = rt_indptr[src]
    lens = rt_indptr[src + 1] - starts
    idx = _expand(starts, lens)
    d = rt_dest[idx]
    order = np.argsort(d, kind="stable")
    per_dest = np.bincount(d, minlength=n_dest)
    dest_ptr[0] = 0
    np.cumsum(per_dest, out=dest_ptr[1:])
    m = idx.size
    out_axon[:m] = rt_axon[idx][order]
    out_payload[:m] = np.repeat(spikes[src], lens)[order]
    return int(np.count_nonzero(per_dest)), int(m)


def group_order(keys, n_groups):
    """Group indices by key, stably: the mapper's post-major synapse order.

    Parameters
    ----------
    keys : int64[n]
        Keys in ``0..n_groups - 1`` (e.g. each synapse's post neuron).
    n_groups : int

    Returns
    -------
    (indptr, order) : int64[n_groups + 1], int32[n]
        ``order[indptr[k]:indptr[k+1]]`` are the indices ``i`` with ``keys[i] == k``, ascending.
    """
    keys = np.asarray(keys, np.int64)
    if keys.size >= 2**31:
        raise ValueError("group_order: at most 2**31 - 1 keys")
    bad = np.flatnonzero((keys < 0) | (keys >= n_groups))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"group_order: key {int(keys[i])} at {i} is outside 0..{n_groups - 1}")
    indptr = np.zeros(n_groups + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=n_groups), out=indptr[1:])
    return indptr, np.argsort(keys, kind="stable").astype(np.int32)


class BoundDeliver:
    """:func:`deliver` with the synapse table and ring bound once (same results)."""

    def __init__(self, indptr, targets, weights, delays, row_exp, acc_shift, ring):
        self._args = (indptr, targets, weights, delays, row_exp, acc_shift, ring)

    def __call__(self, axons, payloads, slot0):
        return deliver(axons, payloads, *self._args, slot0)


class BoundEmit:
    """:func:`emit_spikes` with the routing table and output buffers bound once."""

    def __init__(self, rt_indptr, rt_dest, rt_axon, dest_ptr, out_axon, out_payload):
        self._args = (rt_indptr, rt_dest, rt_axon, dest_ptr, out_axon, out_payload)

    def __call__(self, spikes):
        return emit_spikes(spikes, *self._args)


class NetDeliver:
    """A whole step's emission and delivery for every spike source of a network, in one call.

    ``NetDeliver(tables, routes, spikes, columns)``:

    - ``tables[d]`` = ``(indptr, targets, weights, delays, row_exp, acc_shift, ring)`` of core
      program d (as :class:`BoundDeliver`);
    - ``routes[s]`` = ``(rt_indptr, rt_dest, rt_axon, targets)`` of source s (core programs
      first, then external inputs; ``targets`` the destination cores in ascending order);
    - ``spikes[c]`` = the int32 spike buffer of core program c (read at each call);
    - ``columns`` = the counter-table columns ``(synaptic_events, packets, axon_events)``.

    ``set_inputs(inputs)`` binds, per external input source s (``n_cores + k``), a
    ``(steps, n)`` int32 payload array or None (silent). ``net(t, row, counters, packets)``
    emits the spikes of step ``t`` of every source (core spike buffers, input row ``row``),
    delivers them into the destination rings at slots ``t + delay`` and writes, in source order
    and per source in ascending destination order, one batch ``(src, dst, messages, synaptic
    events)`` per (source, destination) into ``packets`` (int64 ``(capacity, 4)``). Adds
    synaptic events to ``counters[dst, columns[0]]``, sets ``counters[c, columns[1]]`` (batches)
    and ``counters[c, columns[2]]`` (messages) for core sources. Returns the number of batches.
    """

    def __init__(self, tables, routes, spikes, columns):
        self.tables = list(tables)
        self.routes = list(routes)
        self.spikes = list(spikes)
        self.columns = tuple(columns)
        self.n_cores = len(self.tables)
        self.inputs = [None] * (len(self.routes) - self.n_cores)
        self.capacity = sum(len(r[3]) for r in self.routes)
        self.threads = 1

    def set_inputs(self, inputs):
        self.inputs = list(inputs)

    def set_threads(self, threads):
        """The compiled kernel's thread count; the twin always runs one thread (same result)."""
        if threads < 1:
            raise ValueError(f"NetDeliver.set_threads: threads must be >= 1 (got {threads})")
        self.threads = threads

    def __call__(self, t, row, counters, packets):
        n = self.n_cores
        syn_col, pkt_col, axn_col = self.columns
        P = 0
        for s, (rt_indptr, rt_dest, rt_axon, targets) in enumerate(self.routes):
            if s < n:
                payload = self.spikes[s]
            else:
                x = self.inputs[s - n]
                if x is None:
                    continue
                payload = x[row]
            if not payload.any():
                continue
            dest_ptr = np.zeros(n + 1, _I64)
            out_axon = np.zeros(rt_axon.size, np.int32)
            out_payload = np.zeros(rt_axon.size, np.int32)
            n_p, n_e = emit_spikes(payload, rt_indptr, rt_dest, rt_axon, dest_ptr, out_axon,
                                   out_payload)  # fmt: skip
            if s < n:
                counters[s, pkt_col] = n_p
                counters[s, axn_col] = n_e
            for d in targets:
                a, b = int(dest_ptr[d]), int(dest_ptr[d + 1])
                if b > a:
                    indptr, tg, w, dl, rexp, shift, ring = self.tables[d]
                    ev = deliver(out_axon[a:b], out_payload[a:b], indptr, tg, w, dl, rexp,
                                 shift, ring, t % ring.shape[0])  # fmt: skip
                    counters[d, syn_col] += ev
                    packets[P] = (s, d, b - a, ev)
                    P += 1
        return P


# ---------------------------------------------------------------- the whole step loop

NATIVE_LAYOUT = {
    "cuba_lif_update": (("u", "v", "ref", "bias", "spikes"),
                        ("du", "dv", "vth", "refract_delay", "vmin", "vmax")),
    "if_update": (("v", "bias", "spikes"),
                  ("vth", "vmin", "vmax", "leak", "cap", "bipolar", "reset_zero")),
    "truenorth_update": (("v", "weights", "spikes"),
                         ("leak", "leak_reversal", "stochastic_leak", "stochastic_synapse_mask",
                          "alpha", "beta", "negative_reset", "reset_mode", "reset_value",
                          "threshold_mask", "seed", "id_offset")),
}  # fmt: skip
"""Per neuron kernel a :class:`NetStep` group may use: the arrays (int32 state and spike
buffers of length n, ``bias`` int64, TrueNorth ``weights`` int16 (n, 4)) and the integer
parameters of its group descriptor, in order (the kernel's own argument order)."""

NATIVE_MODELS = tuple(NATIVE_LAYOUT)


def native_update(fns, name, arrays, params):
    """``update(inp, step) -> (changed, spikes, overflows)`` of one group descriptor
    (:data:`NATIVE_LAYOUT`), calling kernel ``name`` from the namespace ``fns``."""
    fn = getattr(fns, name)
    if name == "truenorth_update":
        v, weights, spikes = arrays
        head, (seed, id_offset) = tuple(params[:10]), params[10:]
        n = v.shape[0]

        def update(inp, step):  # the PRN is keyed by (seed, step, neuron)
            return fn(inp.reshape(n, 4), v, weights, *head, seed, step, id_offset, spikes)

        return update
    *state, spikes = arrays
    args = (*state, *params, spikes)

    def update(inp, step):
        return fn(inp, *args)

    return update


class NetStep:
    """A whole timestep of every core in one call, and many steps in one call.

    ``NetStep(net, groups, columns)``: ``net`` a :class:`NetDeliver` over the same cores' rings
    and spike buffers; ``groups[g] = (core, acc_offset, name, arrays, params)``, a group of
    neurons of core ``core`` reading accumulators ``acc_offset ..`` of its ring row, updated by
    kernel ``name`` (:data:`NATIVE_LAYOUT`); ``columns`` = the counter-table columns
    ``(changed, spikes, overflows)``.

    One step t (table row i): every group reads ring slot ``t % depth`` of its core and
    updates (core order, then group order); each core's changed / spikes / overflows are set
    to its groups' sums; every core's slot is cleared; ``net(t, i, ...)`` emits and delivers;
    the record copies each ``src`` into ``out[i, lo:lo + n]`` (:meth:`set_record`).
    ``run(t0, i0, steps, table, batches, used, per_step)`` runs steps ``t0 ..`` into rows
    ``i0 ..`` of ``table`` (steps, n_cores, ncol), appending batches to ``batches`` from row
    ``used`` and stopping early when fewer than ``capacity`` rows are left; returns ``(steps
    done, rows used)``.
    """

    def __init__(self, net, groups, columns):
        self.net = net
        self.columns = tuple(columns)
        self.groups = []
        for core, acc_off, name, arrays, params in groups:
            if name not in NATIVE_LAYOUT:
                raise ValueError(f"NetStep: no compiled loop for {name!r}")
            n = arrays[-1].shape[0]
            width = 4 if name == "truenorth_update" else 1
            ring = net.tables[core][6]
            fn = native_update(sys.modules[__name__], name, arrays, params)
            self.groups.append((core, acc_off, acc_off + n * width, ring, fn))
        self.records = []

    def set_record(self, items):
        self.records = list(items)

    def _update(self, t, counters):
        chg, spk, ovf = self.columns
        counters[:, [chg, spk, ovf]] = 0
        for core, a, b, ring, fn in self.groups:
            r = fn(ring[t % ring.shape[0], a:b], t)
            counters[core, chg] += r[0]
            counters[core, spk] += r[1]
            counters[core, ovf] += r[2]
        for table in self.net.tables:
            ring = table[6]
            ring[t % ring.shape[0]] = 0

    def run(self, t0, i0, steps, table, batches, used, per_step):
        cap = self.net.capacity
        k = 0
        while k < steps and used + cap <= batches.shape[0]:
            t, i = t0 + k, i0 + k
            self._update(t, table[i])
            P = self.net(t, i, table[i], batches[used : used + cap])
            per_step[i] = P
            used += P
            for out, lo, src in self.records:
                out[i, lo : lo + src.shape[0]] = src
            k += 1
        return k, used


# ---------------------------------------------------------------- network-on-chip engine


def noc_step(cycle, updates, active, costs, packets, ready_in, pos_x, pos_y, geometry, link_flits):
    """One timestep of the mesh timing model (twin of the SimPy model in
    :mod:`spikemesh.emulator.timing`, which is its readable specification).

    Parameters
    ----------
    cycle : int
        1: link contention (every directed link carries one flit per cycle; batches that share
        a link queue FIFO by head arrival, ties by scheduling order); 0: contention-free.
    updates, active : float64[n_cores]
        Neuron updates and active updates of each core this step.
    costs : int64[3]
        ``neuron_update_active, neuron_update_inactive, spike_out`` in time units (1/RES cycle).
    packets : int64[P, 4]
        Message batches ``(src, dst, messages, synaptic events)``: source (index into the
        sources: cores first, then inputs), destination core.
    ready_in : int64[P] or int64[0]
        When each batch leaves; empty: at its core's update time ``U[src]`` (0 for inputs).
    pos_x, pos_y : int64[n_sources]
        Tile of every source.
    geometry : int64[10]
        ``width, tiles_x, tiles_y, lat_ew, lat_ns, lat_chip, ft_chip, res, flits_per_message,
        syn_op`` (latencies and flit times in time units; a normal link's flit time is res).
    link_flits : int64[width * height * 4]
        Flits per directed link ``(y * width + x) * 4 + dir`` (E, W, N, S); added to.

    Returns
    -------
    (U, arrival, finish, last, busy, events)
        Each core's update time ``U = a x active + (n - a) x inactive + messages sent x
        spike_out``; the arrival (tail) time of every batch; per core the finish time, the index
        of the last batch it processed (-1: none) and its busy time (update + synaptic work);
        the number of hop events processed (cycle mode; 0 otherwise).

    Notes
    -----
    A batch of ``m`` messages is ``f = m * flits_per_message`` flits and is routed XY (x first).
    Each hop: the head reaches the link's router, enters when the link is free, holds it
    ``flit_time * f``, and reaches the next router ``latency`` later; the tail arrives
    ``max(flit_time) * f`` after the head's last hop (cut-through). Link-free times start at 0
    every step. At the destination, after the core's own update, batches are processed in
    (arrival, index) order, each taking ``syn * syn_op``.
    """
    import heapq

    width, tiles_x, tiles_y, lat_ew, lat_ns, lat_chip, ft_chip, res, fpm, syn_op = (
        int(g) for g in geometry
    )
    n = updates.shape[0]
    packets = np.asarray(packets, _I64).reshape(-1, 4)
    src, dst, msgs, syn = (packets[:, j] for j in range(4))
    P = src.shape[0]
    ua, ui, so = (float(c) for c in costs)
    sent = np.zeros(n)
    for k in range(P):
        if src[k] < n:
            sent[src[k]] += float(msgs[k])
    U = np.array([int(active[c] * ua + (updates[c] - active[c]) * ui + sent[c] * so)
                  for c in range(n)], _I64).reshape(n)  # fmt: skip
    if len(ready_in):
        ready = [int(r) for r in ready_in]
    else:
        ready = [int(U[s]) if s < n else 0 for s in src.tolist()]
    arrival = np.zeros(P, _I64)
    paths = []
    for k in range(P):
        s, d = int(src[k]), int(dst[k])
        x, y, x1, y1 = int(pos_x[s]), int(pos_y[s]), int(pos_x[d]), int(pos_y[d])
        hops = []
        while x != x1 or y != y1:
            if x != x1:
                dr, nx, ny = (0, x + 1, y) if x1 > x else (1, x - 1, y)
                lat = lat_ew
            else:
                dr, nx, ny = (2, x, y + 1) if y1 > y else (3, x, y - 1)
                lat = lat_ns
            cross = nx // tiles_x != x // tiles_x or ny // tiles_y != y // tiles_y
            hops.append(((y * width + x) * 4 + dr, lat_chip if cross else lat,
                         ft_chip if cross else res))  # fmt: skip
            x, y = nx, ny
        paths.append(hops)
    events = 0
    if not cycle:
        for k, hops in enumerate(paths):
            f = int(msgs[k]) * fpm
            a = ready[k]
            if hops:
                a += sum(h[1] for h in hops) + max(h[2] for h in hops) * f
                for link, _, _ in hops:
                    link_flits[link] += f
            arrival[k] = a
    else:
        free: dict = {}
        heap: list = []
        seq = 0
        for k, hops in enumerate(paths):
            if hops:
                heap.append((ready[k], seq, k, 0))
                seq += 1
            else:
                arrival[k] = ready[k]
        heapq.heapify(heap)
        while heap:
            now, _, k, h = heapq.heappop(heap)
            events += 1
            hops = paths[k]
            link, lat, ft = hops[h]
            f = int(msgs[k]) * fpm
            start = max(now, free.get(link, 0))
            free[link] = start + ft * f
            link_flits[link] += f
            if h + 1 < len(hops):
                heapq.heappush(heap, (start + lat, seq, k, h + 1))
                seq += 1
            else:
                arrival[k] = start + lat + max(x[2] for x in hops) * f
    finish = U.copy()
    busy = U.copy()
    last = np.full(n, -1, _I64)
    for k in np.argsort(arrival, kind="stable").tolist():  # (arrival, index) order
        d = int(dst[k])
        work = int(syn[k]) * syn_op
        finish[d] = max(int(arrival[k]), int(finish[d])) + work
        busy[d] += work
        last[d] = k
    return U, arrival, finish, last, busy, events
