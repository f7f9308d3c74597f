"""NumPy twins of ``_neurons.pyx`` (and of the loops in ``_neuron_loops.pxd``): the neuron
updates, bit-identical to the compiled ones, and their overflow locators."""

from __future__ import annotations

import numpy as np

from ._common import _I64, _U64, STREAM_LEAK, STREAM_THRESHOLD, _decay12, _wrap, prn32  # noqa: F401

__all__ = [
    "KERNELS",
    "STEP_ADAPTERS",
    "cuba_lif_overflows",
    "cuba_lif_subtract_update",
    "cuba_lif_update",
    "if_overflows",
    "if_update",
    "plain_adapter",
    "smooth_if_update",
    "truenorth_overflows",
    "truenorth_update",
]

KERNELS = (
    "cuba_lif_update",
    "cuba_lif_subtract_update",
    "if_update",
    "smooth_if_update",
    "truenorth_update",
)
"""The names ``_neurons.pyx`` also defines (``KERNEL_NAMES`` is built from these tuples)."""

# ---------------------------------------------------------------- neuron updates


def cuba_lif_update(inp, u, v, ref, bias, du, dv, vth, refract_delay, vmin, vmax, spikes):
    """Loihi CUBA LIF compartments, one timestep, bit-exact (docs/hardware.md §1).

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


# ---------------------------------------------------------------- the step's adapters
# Twin of the adapters in ``_neuron_loops.pxd``: per kernel, how a group's generic slots (the
# arrays and parameters of its native descriptor, ``emulator/models.py``) call the loop.
# ``adapter(arrays, params) -> update(inp, step)``, where ``inp`` is the ring row from the
# group's first accumulator on.


def plain_adapter(fn):
    """The adapter of a loop called as ``fn(inp[:n], *state, *params, spikes)`` (one
    accumulator per neuron; the spike buffer is the last array)."""

    def adapter(arrays, params):
        *state, spikes = arrays
        n = spikes.shape[0]
        args = (*state, *params, spikes)

        def update(inp, step):
            return fn(inp[:n], *args)

        return update

    return adapter


def _truenorth_adapter(arrays, params):
    v, weights, spikes = arrays
    head, (seed, id_offset) = tuple(params[:10]), params[10:]
    n = v.shape[0]

    def update(inp, step):  # four accumulators per neuron; the PRN is keyed by (seed, step, neuron)
        return truenorth_update(inp[: 4 * n].reshape(n, 4), v, weights, *head, seed, step,
                                id_offset, spikes)  # fmt: skip

    return update


STEP_ADAPTERS = {
    "cuba_lif_update": plain_adapter(cuba_lif_update),
    "cuba_lif_subtract_update": plain_adapter(cuba_lif_subtract_update),
    "if_update": plain_adapter(if_update),
    "smooth_if_update": plain_adapter(smooth_if_update),
    "truenorth_update": _truenorth_adapter,
}
"""Kernel name -> twin adapter (the compiled table: ``builtin_adapters`` in
``_neuron_loops.pxd``)."""
