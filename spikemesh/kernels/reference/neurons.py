"""NumPy twins of ``_neurons.pyx`` (and of the loops in ``_neuron_loops.pxd``): the neuron
updates, bit-identical to the compiled ones, and their overflow locators."""

from __future__ import annotations

import numpy as np

from ._common import _I64, _U64, STREAM_LEAK, STREAM_THRESHOLD, _decay12, _wrap, prn32  # noqa: F401

__all__ = [
    "KERNELS",
    "STEP_ADAPTERS",
    "adaptive_lif_update",
    "cuba_lif_overflows",
    "cuba_lif_subtract_update",
    "cuba_lif_update",
    "double_bits",
    "if_overflows",
    "if_update",
    "plain_adapter",
    "prod_neuron_update",
    "resonate_fire_update",
    "sigma_delta_update",
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
    "sigma_delta_update",
    "resonate_fire_update",
    "adaptive_lif_update",
    "prod_neuron_update",
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


def if_update(inp, v, bias, vth, vmin, vmax, leak, cap, bipolar, reset_zero, rmin, spikes):
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
        Threshold (> 0), membrane limits (``vmin``: the floor ``v`` is clamped to), linear
        leak toward 0 (>= 0), payload cap ``2**spike_bits - 1``.
    bipolar : int (0/1)
        Negative spikes at ``v <= -vth``.
    reset_zero : int (0/1/2)
        0: subtract ``p * vth`` after a spike; 1: reset to zero after a spike; 2: clear ``v`` to
        zero after every step (a stateless graded neuron: each step's payload depends on that
        step's input only).
    rmin : int
        The register's lowest value (``<= vmin``): a value below it, or above ``vmax``, counts
        as a saturation; a clamp at a floor ``vmin > rmin`` is the neuron's design (Loihi's
        vmin, REFERENCE.md), not one.
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
        saturations: x > vmax or x < rmin
        k = v' // vth if v' >= vth;  -((-v') // vth) if bipolar and v' <= -vth;  else 0
        p = sgn(k) * min(|k|, cap)
        v' = 0 where p != 0 (reset_zero 1)  or  v' - p * vth (subtract, 0)  or  0 (step, 2)
    """
    v_old = v.astype(_I64)
    x = _if_integrate(inp, v_old, bias, leak)
    vn = np.clip(x, vmin, vmax)
    sats = np.count_nonzero((x > vmax) | (x < rmin))
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


# ---------------------------------------------------------------- Loihi 2 neuron programs
# Lava 0.10's fixed-point CPU models hold every register in an int32 NumPy array: a sum or
# product that leaves int32 wraps there (two's complement). The twins below do the same, in
# int64 with an explicit ``_wrap(x, 32)`` where Lava's int32 arithmetic would wrap, and count
# each wrap as an overflow.


def _abs32(x):
    """``np.abs`` of an int32 value: |x|, except that -2**31 stays -2**31 (int32's abs)."""
    return np.where(x == -(2**31), x, np.abs(x))


def sigma_delta_update(inp, sigma, act, residue, error, bias, vth, relu, cum_error, state_exp,
                       spikes):  # fmt: skip
    """Lava's sigma-delta neuron (``lava.proc.sdn.SigmaDelta``, fixed point), one timestep.

    Parameters
    ----------
    inp : int64[n]
        Summed synaptic input (weights x graded payloads), Lava's ``a_in``.
    sigma, act, residue, error : int32[n]
        The sigma accumulator, the last activation, the delta residue and the cumulative error;
        updated in place.
    bias : int64[n]
        ``bias << (spike_exp + state_exp)`` per neuron.
    vth : int
        ``vth << (spike_exp + state_exp)``.
    relu, cum_error : 0 or 1
        ReLU activation (else the identity, Lava's ``UNIT``); threshold the cumulative error.
    state_exp : int
        The graded output is ``s >> state_exp``.
    spikes : int32[n]
        Output: the graded payload (0 = no message).

    Returns ``(changed, n_messages, n_wraps)`` (int32 wraps of the sums).

    Notes
    -----
    As ``PySigmaDeltaModelFixed.run_spk`` (all int32)::

        sigma = sigma + a_in
        a     = sigma + bias;  a = max(a, 0) if relu
        delta = a - act + residue
        cum_error:  error += delta;  s = delta where |error| >= vth;  error = 0 where s != 0
        else:       s = delta where |delta| >= vth
        residue = delta - s;  act = a;  out = s >> state_exp
    """
    x_raw = np.asarray(inp, _I64)
    x = _wrap(x_raw, 32)
    wraps = np.count_nonzero(x != x_raw)
    old = [a.astype(_I64) for a in (sigma, act, residue, error)]
    sg_raw = old[0] + x
    sg = _wrap(sg_raw, 32)
    a_raw = sg + np.asarray(bias, _I64)
    a = _wrap(a_raw, 32)
    wraps += np.count_nonzero(sg != sg_raw) + np.count_nonzero(a != a_raw)
    if relu:
        a = np.maximum(a, 0)
    d1 = a - old[1]
    d2_raw = _wrap(d1, 32) + old[2]
    delta = _wrap(d2_raw, 32)
    wraps += np.count_nonzero(_wrap(d1, 32) != d1) + np.count_nonzero(delta != d2_raw)
    err = old[3]
    if cum_error:
        e_raw = err + delta
        err = _wrap(e_raw, 32)
        wraps += np.count_nonzero(err != e_raw)
        s = np.where(_abs32(err) >= vth, delta, 0)
        err = np.where(_abs32(s) > 0, 0, err)
    else:
        s = np.where(_abs32(delta) >= vth, delta, 0)
    r_raw = delta - s
    res = _wrap(r_raw, 32)
    wraps += np.count_nonzero(res != r_raw)
    out = s >> state_exp
    changed = np.count_nonzero((sg != old[0]) | (a != old[1]) | (res != old[2]) | (err != old[3]))
    sigma[:] = sg
    act[:] = a
    residue[:] = res
    error[:] = err
    spikes[:] = out
    return int(changed), int(np.count_nonzero(out)), int(wraps)


RF_LIMIT = 2**23 - 1  # Lava's PyRFModelFixed clips real and imag to +-(2**23 - 1)


def _scale_volt(x, decay_bits):
    return np.sign(x) * (np.abs(x) >> decay_bits)


def resonate_fire_update(inp, real, imag, sin_decay, cos_decay, decay_bits, state_exp, vth,
                         spikes):  # fmt: skip
    """Lava's resonate-and-fire neuron (``lava.proc.rf.RF``, fixed point), one timestep.

    Parameters
    ----------
    inp : int64[2n]
        Two accumulators per neuron, interleaved: the real input, then the imaginary one.
    real, imag : int32[n]
        The resonator's real and imaginary parts; updated in place.
    sin_decay, cos_decay : int
        ``int((1 - alpha) * sin(2 pi / period) * 2**decay_bits)`` and the cosine's.
    decay_bits, state_exp : int
        Precision of the rotation; the inputs are ``<< state_exp``.
    vth : int
        Integer threshold on the real part (``int(vth * 2**state_exp)``; ``ceil(vth)`` when
        ``state_exp == 0``).
    spikes : int32[n]
        Output: 1 where the neuron fired.

    Returns ``(changed, n_spikes, n_saturations)``.

    Notes
    -----
    As ``PyRFModelFixed.run_spk``, with ``scale(x) = sgn(x) * (|x| >> decay_bits)``::

        re' = clip(scale(cos * re) - scale(sin * im) + (a_re << state_exp), +-(2**23 - 1))
        im' = clip(scale(sin * re) + scale(cos * im) + (a_im << state_exp), +-(2**23 - 1))
        s   = (re' >= vth) & (im' >= 0) & (im < 0)
    """
    x = np.asarray(inp, _I64).reshape(-1, 2)
    re_in = _wrap(_wrap(x[:, 0], 32) << state_exp, 32)  # Lava: int32 left shift
    im_in = _wrap(_wrap(x[:, 1], 32) << state_exp, 32)
    re0 = real.astype(_I64)
    im0 = imag.astype(_I64)
    c, s_ = _I64(cos_decay), _I64(sin_decay)
    nr = _scale_volt(c * re0, decay_bits) - _scale_volt(s_ * im0, decay_bits) + re_in
    ni = _scale_volt(s_ * re0, decay_bits) + _scale_volt(c * im0, decay_bits) + im_in
    cr = np.clip(nr, -RF_LIMIT, RF_LIMIT)
    ci = np.clip(ni, -RF_LIMIT, RF_LIMIT)
    sats = np.count_nonzero(cr != nr) + np.count_nonzero(ci != ni)
    fire = (cr >= vth) & (ci >= 0) & (im0 < 0)
    changed = np.count_nonzero((cr != re0) | (ci != im0))
    real[:] = cr
    imag[:] = ci
    spikes[:] = fire
    return int(changed), int(np.count_nonzero(fire)), int(sats)


ALIF_LIMIT = 2**23  # Lava's PyATRLIFModelFixed: 24-bit i and v


def adaptive_lif_update(inp, i, v, theta, r, bias, fac_i, fac_v, fac_theta, fac_r, theta_0,
                        theta_step, spikes):  # fmt: skip
    """Lava's adaptive-threshold, adaptive-refractoriness LIF neuron (``lava.proc.atrlif.ATRLIF``,
    fixed point), one timestep.

    Parameters
    ----------
    inp : int64[n]
        Summed synaptic input, Lava's ``a_in`` (it enters the current ``<< 6``).
    i, v, theta, r : int32[n]
        Current, voltage, threshold and refractory state; updated in place.
    bias : int64[n]
        ``bias_mant << bias_exp`` (``>> -bias_exp`` for a negative exponent).
    fac_i : float
        ``4096 - (delta_i * 4096 + 1)``, the current's decay factor as Lava computes it (a
        float: Lava multiplies ``i`` by it in double precision, then truncates).
    fac_v, fac_theta, fac_r : int
        ``int(4096 - delta * 4096)`` (truncated) for v, theta and r.
    theta_0, theta_step : int
        ``int(theta_0 * 64)``, ``int(theta_step * 64)``.
    spikes : int32[n]
        Output: 1 where the neuron fired.

    Returns ``(changed, n_spikes, n_overflows)`` (wraps of i, clips of v, int32 wraps).

    Notes
    -----
    As ``PyATRLIFModelFixed.run_spk``, with ``dec(x, f) = sgn(x * f) * (|x * f| >> 12)``::

        i     = wrap32(dec(i, fac_i) + wrap32(a_in * 64))   # then Lava's one-sided 24-bit wrap:
        i     = i - 2**24 if i > 2**23;  i + 2**24 if i <= -2**23
        v     = clip(wrap32(dec(v, fac_v) + i + bias), -(2**23 - 1), 2**23 - 1)
        theta = wrap32(dec(wrap32(theta - theta_0), fac_theta) + theta_0)
        r     = dec(r, fac_r)
        s     = wrap32(v - r) >= theta
        r     = wrap32(r + 2 * theta) where s;  theta = wrap32(theta + theta_step) where s
    """
    old = [a.astype(_I64) for a in (i, v, theta, r)]
    a_raw = np.asarray(inp, _I64)
    a32 = _wrap(a_raw, 32)
    act_raw = a32 * 64
    act = _wrap(act_raw, 32)
    ovf = np.count_nonzero(a32 != a_raw) + np.count_nonzero(act != act_raw)
    prod = (old[0].astype(np.float64) * np.float64(fac_i)).astype(_I64)
    idec = np.sign(prod) * (np.abs(prod) >> 12)
    iu_raw = idec + act
    iu = _wrap(iu_raw, 32)
    ni = np.where(iu > ALIF_LIMIT, iu - 2 * ALIF_LIMIT, iu)
    ni = np.where(ni <= -ALIF_LIMIT, iu + 2 * ALIF_LIMIT, ni)
    ovf += np.count_nonzero(iu != iu_raw) + np.count_nonzero(ni != iu)
    vp = old[1] * _I64(fac_v)
    vu_raw = np.sign(vp) * (np.abs(vp) >> 12) + ni + np.asarray(bias, _I64)
    vu = _wrap(vu_raw, 32)
    nv = np.clip(vu, -(ALIF_LIMIT - 1), ALIF_LIMIT - 1)
    ovf += np.count_nonzero(vu != vu_raw) + np.count_nonzero(nv != vu)
    td = _wrap(old[2] - theta_0, 32) * _I64(fac_theta)
    nt = _wrap(_wrap(np.sign(td) * (np.abs(td) >> 12), 32) + theta_0, 32)
    rp = old[3] * _I64(fac_r)
    nr = _wrap(np.sign(rp) * (np.abs(rp) >> 12), 32)
    fire = _wrap(nv - nr, 32) >= nt
    nr = np.where(fire, _wrap(nr + _wrap(2 * nt, 32), 32), nr)
    nt = np.where(fire, _wrap(nt + theta_step, 32), nt)
    changed = np.count_nonzero((ni != old[0]) | (nv != old[1]) | (nt != old[2]) | (nr != old[3]))
    i[:] = ni
    v[:] = nv
    theta[:] = nt
    r[:] = nr
    spikes[:] = fire
    return int(changed), int(np.count_nonzero(fire)), int(ovf)


def prod_neuron_update(inp, v, vth, exp, spikes):
    """Lava's product neuron (``lava.proc.prodneuron.ProdNeuron``, fixed point), one timestep.

    ``inp``: int64[2n], two accumulators per neuron interleaved (``a_in1``, ``a_in2``); ``v``:
    int32[n], the product after the shift (a probe register); ``spikes``: the graded payload.
    Returns ``(changed, n_messages, n_wraps)``. As ``PyProdNeuronModelFixed.run_spk`` (int32)::

        v = wrap32(a_in1 * a_in2) >> exp;   out = v where |v| > vth else 0
    """
    x = np.asarray(inp, _I64).reshape(-1, 2)
    a = _wrap(x[:, 0], 32)
    b = _wrap(x[:, 1], 32)
    p_raw = a * b  # |a|, |b| <= 2**31: the product fits int64
    p = _wrap(p_raw, 32)
    wraps = np.count_nonzero(a != x[:, 0]) + np.count_nonzero(b != x[:, 1])
    wraps += np.count_nonzero(p != p_raw)
    vn = p >> exp
    out = np.where(_abs32(vn) > vth, vn, 0)
    changed = np.count_nonzero(vn != v)
    v[:] = vn
    spikes[:] = out
    return int(changed), int(np.count_nonzero(out)), int(wraps)


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


def _pairs_adapter(fn):
    """The adapter of a loop that reads two accumulators per neuron (``inp[:2n]``)."""

    def adapter(arrays, params):
        *state, spikes = arrays
        n = spikes.shape[0]

        def update(inp, step):
            return fn(inp[: 2 * n], *state, *params, spikes)

        return update

    return adapter


def _resonate_fire_adapter(arrays, params):
    real, imag, spikes = arrays
    n = spikes.shape[0]

    def update(inp, step):  # two accumulators per neuron: real, imaginary
        return resonate_fire_update(inp[: 2 * n], real, imag, *params, spikes)

    return update


def _adaptive_lif_adapter(arrays, params):
    i, v, theta, r, bias, spikes = arrays
    fac_i = _as_double(params[0])
    rest = params[1:]
    n = spikes.shape[0]

    def update(inp, step):
        return adaptive_lif_update(inp[:n], i, v, theta, r, bias, fac_i, *rest, spikes)

    return update


def _as_double(bits: int) -> float:
    """The float64 whose bits are the int64 ``bits`` (how a float parameter rides in the
    step's integer parameter slots)."""
    return float(np.array([bits], np.int64).view(np.float64)[0])


def double_bits(x: float) -> int:
    """The int64 bits of float64 ``x`` (inverse of :func:`_as_double`)."""
    return int(np.array([x], np.float64).view(np.int64)[0])


STEP_ADAPTERS = {
    "cuba_lif_update": plain_adapter(cuba_lif_update),
    "cuba_lif_subtract_update": plain_adapter(cuba_lif_subtract_update),
    "if_update": plain_adapter(if_update),
    "smooth_if_update": plain_adapter(smooth_if_update),
    "truenorth_update": _truenorth_adapter,
    "sigma_delta_update": plain_adapter(sigma_delta_update),
    "resonate_fire_update": _resonate_fire_adapter,
    "adaptive_lif_update": _adaptive_lif_adapter,
    "prod_neuron_update": _pairs_adapter(prod_neuron_update),
}
"""Kernel name -> twin adapter (the compiled table: ``builtin_adapters`` in
``_neuron_loops.pxd``)."""
