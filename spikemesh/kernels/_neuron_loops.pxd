# The neuron update loops, written once as inline C (no GIL, no exceptions) over raw pointers.
# ``_neurons.pyx`` wraps them for Python (one group per call); ``_step.pyx``'s ``NetStep``
# calls them for every group of a network inside its compiled step loop. Specification and
# equations: ``reference/neurons.py`` (same names without ``_loop``).

from ._types cimport acc_t, state_t, weight_t, int64_t, uint64_t
from ._fixed cimport clip64, decay12, prn32, sgn64, wrap_signed
from cpython.pycapsule cimport PyCapsule_New
from libc.string cimport memcpy

cdef enum:
    STREAM_LEAK = 1
    STREAM_THRESHOLD = 2


cdef struct Tally:
    int64_t changed
    int64_t spikes
    int64_t overflows


cdef inline int64_t cuba_current(int64_t u_old, int64_t q_raw, int64_t bias, int64_t fu,
                                 int64_t* un, int64_t* wraps) noexcept nogil:
    """A CUBA compartment's current: ``un`` = wrap24(decay(u) + wrap22(q)), returns
    wrap24(un + bias); the wraps are added to ``wraps``."""
    cdef int64_t q = wrap_signed(q_raw, 22)
    cdef int64_t un_raw = decay12(u_old, fu) + q
    cdef int64_t u2_raw
    un[0] = wrap_signed(un_raw, 24)
    u2_raw = un[0] + bias
    cdef int64_t u2 = wrap_signed(u2_raw, 24)
    wraps[0] += (q != q_raw) + (un[0] != un_raw) + (u2 != u2_raw)
    return u2


cdef inline Tally cuba_lif_loop(const acc_t* inp, state_t* u, state_t* v, state_t* ref,
                                const int64_t* bias, Py_ssize_t n, int64_t du, int64_t dv,
                                int64_t vth, int64_t refract_delay, int64_t vmin, int64_t vmax,
                                state_t* spikes) noexcept nogil:
    """Loihi CUBA LIF, one step. See ``reference.cuba_lif_update``."""
    cdef Py_ssize_t i
    cdef int64_t un, u2, vn, u_old, v_old, r
    cdef int64_t fu = 4096 - (du + 1), fv = 4096 - dv, thr = vth << 6
    cdef int64_t changed = 0, nspk = 0, wraps = 0
    cdef int64_t s
    cdef Tally out
    for i in range(n):
        u_old = u[i]
        v_old = v[i]
        r = ref[i]
        u2 = cuba_current(u_old, inp[i], bias[i], fu, &un, &wraps)
        vn = clip64(decay12(v_old, fv) + u2, vmin, vmax)
        # branch-free (spikes and refractory state are data-dependent): masks, not ifs
        vn = vn & -(<int64_t>(r <= 0))   # refractory hold: v = 0 while ref > 0
        s = vn > thr                     # strict threshold
        vn = vn & (s - 1)                # reset to 0 on a spike
        r = r - (r > 0)                  # count down, floor 0
        ref[i] = <state_t>(r + s * (refract_delay - 1 - r))
        changed += (un != u_old) | (vn != v_old)
        nspk += s
        u[i] = <state_t>un
        v[i] = <state_t>vn
        spikes[i] = <state_t>s
    out.changed = changed
    out.spikes = nspk
    out.overflows = wraps
    return out


cdef inline Tally cuba_lif_subtract_loop(const acc_t* inp, state_t* u, state_t* v,
                                         const int64_t* bias, Py_ssize_t n, int64_t du,
                                         int64_t dv, int64_t vth, int64_t vmin, int64_t vmax,
                                         state_t* spikes) noexcept nogil:
    """CUBA LIF with snnTorch's reset by subtraction, one step. See
    ``reference.cuba_lif_subtract_update``."""
    cdef Py_ssize_t i
    cdef int64_t un, u2, vn, u_old, v_old, s
    cdef int64_t fu = 4096 - (du + 1), fv = 4096 - dv, thr = vth << 6
    cdef int64_t changed = 0, nspk = 0, wraps = 0
    cdef Tally out
    for i in range(n):
        u_old = u[i]
        v_old = v[i]
        u2 = cuba_current(u_old, inp[i], bias[i], fu, &un, &wraps)
        vn = clip64(decay12(v_old, fv) + u2 - thr * (v_old > thr), vmin, vmax)
        s = vn > thr
        changed += (un != u_old) | (vn != v_old)
        nspk += s
        u[i] = <state_t>un
        v[i] = <state_t>vn
        spikes[i] = <state_t>s
    out.changed = changed
    out.spikes = nspk
    out.overflows = wraps
    return out


cdef inline int64_t _if_integrate(int64_t x, int64_t leak) noexcept nogil:
    """x - sgn(x) * min(|x|, leak): linear leak toward zero, never past it (branch-free)."""
    cdef int64_t m = x >> 63                  # sign mask: 0 or -1
    cdef int64_t a = (x ^ m) - m              # |x|
    a = a if a < leak else leak
    return x - ((a ^ m) - m)


cdef inline Tally if_loop(const acc_t* inp, state_t* v, const int64_t* bias, Py_ssize_t n,
                          int64_t vth, int64_t vmin, int64_t vmax, int64_t leak, int64_t cap,
                          int64_t bipolar, int64_t reset_zero, int64_t rmin,
                          state_t* spikes) noexcept nogil:
    """Integrate-and-fire with graded spikes, one step. See ``reference.if_update``. ``vmin``
    is the floor ``v`` is clamped to; only a value beyond the register (below ``rmin`` or
    above ``vmax``) counts as a saturation.

    Branch-free so the loop vectorizes. The payload ``floor(|v| / vth)`` is computed in double
    precision, which is exact here: |v| < 2**32 and vth >= 1, so a quotient just below an
    integer m differs from m by at least 1/vth > m * 2**-53 (rounding cannot reach m).
    """
    cdef Py_ssize_t i
    cdef int64_t x, vn, vi, k, a, m, v_old, fire
    cdef int64_t changed = 0, nspk = 0, sats = 0
    cdef double dvth = <double>vth
    cdef Tally out
    for i in range(n):
        v_old = v[i]
        x = _if_integrate(v_old + inp[i] + bias[i], leak)
        vn = clip64(x, vmin, vmax)
        sats += (x > vmax) | (x < rmin)
        vi = vn                           # the integrated membrane (a step-reset neuron's update)
        m = vn >> 63                      # sign mask: 0 or -1
        a = (vn ^ m) - m                  # |v|
        fire = (a >= vth) & ((m == 0) | (bipolar != 0))
        k = <int64_t>(<double>a / dvth)   # floor(|v| / vth), exact (see docstring)
        k = k if k < cap else cap
        k = k * fire
        k = (k ^ m) - m                   # negative payload for negative spikes
        vn = (vn & (fire - 1)) if reset_zero == 1 else vn - k * vth
        vn = 0 if reset_zero == 2 else vn
        nspk += fire
        changed += (vi != v_old) if reset_zero == 2 else (vn != v_old)
        v[i] = <state_t>vn
        spikes[i] = <state_t>k
    out.changed = changed
    out.spikes = nspk
    out.overflows = sats
    return out


cdef struct TNReset:
    # V' = a * V + b + e * eta, for a positive (p) and a negative (n) threshold crossing;
    # loop-invariant coefficients so the per-neuron reset has no control flow.
    int64_t ap, bp, ep, an, bn, en, thr_neg_eta


cdef inline TNReset _tn_reset_coefficients(int64_t alpha, int64_t beta, int64_t negative_reset,
                                           int64_t reset_mode,
                                           int64_t reset_value) noexcept nogil:
    cdef TNReset r
    r.ap = reset_mode != 0
    r.bp = reset_value if reset_mode == 0 else (-alpha if reset_mode == 1 else 0)
    r.ep = -1 if reset_mode == 1 else 0
    if negative_reset:
        r.an = reset_mode != 0
        r.bn = -reset_value if reset_mode == 0 else (beta if reset_mode == 1 else 0)
        r.en = 1 if reset_mode == 1 else 0
        r.thr_neg_eta = 1                   # the negative threshold is -(beta + eta)
    else:                                   # saturate at -beta
        r.an = 0
        r.bn = -beta
        r.en = 0
        r.thr_neg_eta = 0
    return r


cdef inline int64_t _tn_fire(int64_t V, int64_t pos, int64_t eta, int64_t beta,
                             TNReset r) noexcept nogil:
    """Reset of one TrueNorth neuron after the threshold test ``pos = V >= alpha + eta``."""
    cdef int64_t neg = (pos == 0) & (V < -(beta + r.thr_neg_eta * eta))
    cdef int64_t vpos = r.ap * V + r.bp + r.ep * eta
    cdef int64_t vneg = r.an * V + r.bn + r.en * eta
    return vpos if pos else (vneg if neg else V)


cdef inline Tally truenorth_loop(const acc_t* cnt, state_t* v, const weight_t* wt, Py_ssize_t n,
                                 int64_t leak, int64_t leak_reversal, int64_t stochastic_leak,
                                 int64_t stochastic_synapse_mask, int64_t alpha, int64_t beta,
                                 int64_t negative_reset, int64_t reset_mode, int64_t reset_value,
                                 int64_t threshold_mask, uint64_t seed, uint64_t step,
                                 uint64_t id_offset, state_t* spikes) noexcept nogil:
    """TrueNorth neuron, one tick (``cnt`` and ``wt``: n rows of 4). See
    ``reference.truenorth_update``. Deterministic configurations take a loop without random
    draws (it vectorizes)."""
    cdef Py_ssize_t i
    cdef int g
    cdef int64_t V, v_old, S, c, k, mag, sg, omega, eta, Vc, pos
    cdef int64_t lo = -(1 << 19), hi = (1 << 19) - 1
    cdef int64_t leak_mag = leak if leak >= 0 else -leak
    cdef int64_t changed = 0, nspk = 0, sats = 0
    cdef uint64_t nid
    cdef TNReset rc = _tn_reset_coefficients(alpha, beta, negative_reset, reset_mode, reset_value)
    cdef int64_t lrev = leak_reversal != 0
    cdef int64_t sl = stochastic_leak != 0, leak_sign = sgn64(leak), dl
    cdef Tally out
    if stochastic_synapse_mask == 0 and not stochastic_leak and threshold_mask == 0:
        for i in range(n):
            V = v[i]
            v_old = V
            V += (cnt[4 * i] * wt[4 * i] + cnt[4 * i + 1] * wt[4 * i + 1]
                  + cnt[4 * i + 2] * wt[4 * i + 2] + cnt[4 * i + 3] * wt[4 * i + 3])
            omega = 1 + lrev * (sgn64(V) - 1)   # sgn(V) with leak reversal, else 1
            V += omega * leak
            Vc = clip64(V, lo, hi)
            sats += Vc != V
            pos = Vc >= alpha
            V = _tn_fire(Vc, pos, 0, beta, rc)
            spikes[i] = <state_t>pos
            nspk += pos
            changed += V != v_old
            v[i] = <state_t>V
    elif stochastic_synapse_mask == 0:
        # stochastic leak and/or threshold only: both draws every neuron, no branches (it
        # vectorizes); the flags select the terms
        for i in range(n):
            nid = id_offset + <uint64_t>i
            V = v[i]
            v_old = V
            V += (cnt[4 * i] * wt[4 * i] + cnt[4 * i + 1] * wt[4 * i + 1]
                  + cnt[4 * i + 2] * wt[4 * i + 2] + cnt[4 * i + 3] * wt[4 * i + 3])
            omega = 1 + lrev * (sgn64(V) - 1)
            dl = prn32(seed, step, nid, STREAM_LEAK) & 255
            V += omega * (sl * leak_sign * (leak_mag >= dl) + (1 - sl) * leak)
            Vc = clip64(V, lo, hi)
            sats += Vc != V
            eta = prn32(seed, step, nid, STREAM_THRESHOLD) & threshold_mask
            pos = Vc >= alpha + eta
            V = _tn_fire(Vc, pos, eta, beta, rc)
            spikes[i] = <state_t>pos
            nspk += pos
            changed += V != v_old
            v[i] = <state_t>V
    else:
        for i in range(n):
            nid = id_offset + <uint64_t>i
            V = v[i]
            v_old = V
            for g in range(4):
                c = cnt[4 * i + g]
                if c == 0:
                    continue
                S = wt[4 * i + g]
                if (stochastic_synapse_mask >> g) & 1:
                    mag = S if S >= 0 else -S
                    sg = sgn64(S)
                    for k in range(c):
                        if mag >= (prn32(seed, step, nid,
                                         ((<uint64_t>(g + 1)) << 32) | <uint64_t>k) & 255):
                            V += sg
                else:
                    V += c * S
            omega = sgn64(V) if leak_reversal else 1
            if stochastic_leak:
                if leak_mag >= (prn32(seed, step, nid, STREAM_LEAK) & 255):
                    V += omega * sgn64(leak)
            else:
                V += omega * leak
            Vc = clip64(V, lo, hi)
            sats += Vc != V
            eta = 0
            if threshold_mask:
                eta = prn32(seed, step, nid, STREAM_THRESHOLD) & threshold_mask
            pos = Vc >= alpha + eta
            V = _tn_fire(Vc, pos, eta, beta, rc)
            spikes[i] = <state_t>pos
            nspk += pos
            changed += V != v_old
            v[i] = <state_t>V
    out.changed = changed
    out.spikes = nspk
    out.overflows = sats
    return out


cdef inline Tally smooth_if_loop(const acc_t* inp, state_t* v, state_t* vbar, const int64_t* bias,
                                 Py_ssize_t n, int64_t vth, int64_t vmin, int64_t vmax,
                                 int64_t leak, int64_t cap, int64_t bipolar, int64_t reset_zero,
                                 int64_t alpha, state_t* spikes) noexcept nogil:
    """IF whose spike decision reads a smoothed membrane. See ``reference.smooth_if_update``."""
    cdef Py_ssize_t i
    cdef int64_t x, vn, bn, vi, bi, m, a, k, fire, v_old, b_old, xa, lk
    cdef int64_t changed = 0, nspk = 0, sats = 0
    cdef int64_t beta = 4096 - alpha
    cdef Tally out
    for i in range(n):
        v_old = v[i]
        b_old = vbar[i]
        x = v_old + inp[i] + bias[i]
        xa = -x if x < 0 else x
        lk = xa if xa < leak else leak
        x = x - lk if x >= 0 else x + lk
        vn = clip64(x, vmin, vmax)
        sats += vn != x
        bn = (alpha * b_old + beta * vn) >> 12
        m = bn >> 63
        a = (bn ^ m) - m
        fire = (a >= vth) & ((m == 0) | (bipolar != 0))
        k = a // vth if fire else 0
        k = k if k < cap else cap
        k = (k ^ m) - m
        vi = vn
        bi = bn
        if reset_zero == 1:
            if fire:
                vn = 0
                bn = 0
        else:
            vn = clip64(vn - k * vth, vmin, vmax)
            bn = bn - k * vth
        if reset_zero == 2:
            vn = 0
            bn = 0
            changed += (vi != v_old) | (bi != b_old)
        else:
            changed += (vn != v_old) | (bn != b_old)
        nspk += fire
        v[i] = <state_t>vn
        vbar[i] = <state_t>bn
        spikes[i] = <state_t>k
    out.changed = changed
    out.spikes = nspk
    out.overflows = sats
    return out


# ---------------------------------------------------------------- Loihi 2 neuron programs
# Lava 0.10's fixed-point models keep every register in int32: w32 wraps where they wrap.

cdef inline int64_t w32(int64_t x) noexcept nogil:
    return wrap_signed(x, 32)


cdef inline int64_t abs32(int64_t x) noexcept nogil:
    """int32's abs (numpy's): -2**31 stays -2**31."""
    return x if x == -2147483648 else (-x if x < 0 else x)


cdef inline int64_t sshr(int64_t p, int64_t k) noexcept nogil:
    """sgn(p) * (|p| >> k): a shift that truncates the magnitude toward zero."""
    cdef int64_t m = p >> 63
    cdef int64_t r = ((p ^ m) - m) >> k
    return (r ^ m) - m


cdef inline int64_t abs32_nb(int64_t x) noexcept nogil:
    """abs32 without a branch: |x|, and -2**31 for -2**31 (int32's abs)."""
    cdef int64_t m = x >> 63
    return ((x ^ m) - m) - ((<int64_t>(x == -2147483648)) << 32)


cdef inline Tally sigma_delta_loop(const acc_t* inp, state_t* sigma, state_t* act,
                                   state_t* residue, state_t* error, const int64_t* bias,
                                   Py_ssize_t n, int64_t vth, int64_t relu, int64_t cum_error,
                                   int64_t state_exp, state_t* spikes) noexcept nogil:
    """Lava's fixed-point sigma-delta neuron, one step. See ``reference.sigma_delta_update``.
    Branch-free (masks, not ifs) so the loop vectorizes; the flags select the terms."""
    cdef Py_ssize_t i
    cdef int64_t x, sg, a, d1, d, e, en, s, res, o0, o1, o2, o3, raw, fire, test
    cdef int64_t changed = 0, nmsg = 0, wraps = 0
    cdef int64_t cum = -(cum_error != 0), rl = relu != 0
    cdef Tally out
    for i in range(n):
        o0 = sigma[i]
        o1 = act[i]
        o2 = residue[i]
        o3 = error[i]
        x = w32(inp[i])
        wraps += x != inp[i]
        raw = o0 + x
        sg = w32(raw)
        wraps += sg != raw
        raw = sg + bias[i]
        a = w32(raw)
        wraps += a != raw
        a = a - rl * (a & (a >> 63))           # relu: clear a negative a
        raw = a - o1
        d1 = w32(raw)
        wraps += d1 != raw
        raw = d1 + o2
        d = w32(raw)
        wraps += d != raw
        raw = o3 + d
        en = w32(raw)                          # the cumulative error, if it is kept
        wraps += (en != raw) & cum
        test = (en & cum) | (d & ~cum)         # cum_error: |error| >= vth, else |delta|
        fire = abs32_nb(test) >= vth
        s = d & -fire
        e = (en & -(abs32_nb(s) <= 0)) & cum | (o3 & ~cum)
        raw = d - s
        res = w32(raw)
        wraps += res != raw
        s = s >> state_exp
        changed += (sg != o0) | (a != o1) | (res != o2) | (e != o3)
        nmsg += s != 0
        sigma[i] = <state_t>sg
        act[i] = <state_t>a
        residue[i] = <state_t>res
        error[i] = <state_t>e
        spikes[i] = <state_t>s
    out.changed = changed
    out.spikes = nmsg
    out.overflows = wraps
    return out


cdef inline Tally resonate_fire_loop(const acc_t* inp, state_t* real, state_t* imag,
                                     Py_ssize_t n, int64_t sin_decay, int64_t cos_decay,
                                     int64_t decay_bits, int64_t state_exp, int64_t vth,
                                     state_t* spikes) noexcept nogil:
    """Lava's fixed-point resonate-and-fire neuron, one step (``inp``: n pairs real,
    imaginary). See ``reference.resonate_fire_update``."""
    cdef Py_ssize_t i
    cdef int64_t re, im, nr, ni, cr, ci, xr, xi, fire
    cdef int64_t lim = (1 << 23) - 1
    cdef int64_t changed = 0, nspk = 0, sats = 0
    cdef Tally out
    for i in range(n):
        re = real[i]
        im = imag[i]
        xr = w32(w32(inp[2 * i]) << state_exp)
        xi = w32(w32(inp[2 * i + 1]) << state_exp)
        nr = sshr(cos_decay * re, decay_bits) - sshr(sin_decay * im, decay_bits) + xr
        ni = sshr(sin_decay * re, decay_bits) + sshr(cos_decay * im, decay_bits) + xi
        cr = clip64(nr, -lim, lim)
        ci = clip64(ni, -lim, lim)
        sats += (cr != nr) + (ci != ni)
        fire = (cr >= vth) & (ci >= 0) & (im < 0)
        changed += (cr != re) | (ci != im)
        nspk += fire
        real[i] = <state_t>cr
        imag[i] = <state_t>ci
        spikes[i] = <state_t>fire
    out.changed = changed
    out.spikes = nspk
    out.overflows = sats
    return out


cdef inline Tally adaptive_lif_loop(const acc_t* inp, state_t* cur, state_t* v, state_t* theta,
                                    state_t* r, const int64_t* bias, Py_ssize_t n, double fac_i,
                                    int64_t fac_v, int64_t fac_theta, int64_t fac_r,
                                    int64_t theta_0, int64_t theta_step,
                                    state_t* spikes) noexcept nogil:
    """Lava's fixed-point ATRLIF neuron, one step. See ``reference.adaptive_lif_update``."""
    cdef Py_ssize_t k
    cdef int64_t a32, act, p, iu, ni, vu, raw, nv, nt, nr, fire, o0, o1, o2, o3
    cdef int64_t lim = 1 << 23
    cdef int64_t changed = 0, nspk = 0, ovf = 0
    cdef Tally out
    for k in range(n):
        o0 = cur[k]
        o1 = v[k]
        o2 = theta[k]
        o3 = r[k]
        a32 = w32(inp[k])
        act = w32(a32 * 64)
        ovf += (a32 != inp[k]) + (act != a32 * 64)
        p = <int64_t>(<double>o0 * fac_i)     # Lava: float64 product, truncated
        raw = sshr(p, 12) + act
        iu = w32(raw)
        ni = iu - 2 * lim if iu > lim else (iu + 2 * lim if iu <= -lim else iu)
        ovf += (iu != raw) + (ni != iu)
        raw = sshr(o1 * fac_v, 12) + ni + bias[k]
        vu = w32(raw)
        nv = clip64(vu, -(lim - 1), lim - 1)
        ovf += (vu != raw) + (nv != vu)
        nt = w32(w32(sshr(w32(o2 - theta_0) * fac_theta, 12)) + theta_0)
        nr = w32(sshr(o3 * fac_r, 12))
        fire = w32(nv - nr) >= nt
        if fire:
            nr = w32(nr + w32(2 * nt))
            nt = w32(nt + theta_step)
        changed += (ni != o0) | (nv != o1) | (nt != o2) | (nr != o3)
        nspk += fire
        cur[k] = <state_t>ni
        v[k] = <state_t>nv
        theta[k] = <state_t>nt
        r[k] = <state_t>nr
        spikes[k] = <state_t>fire
    out.changed = changed
    out.spikes = nspk
    out.overflows = ovf
    return out



cdef inline Tally prod_neuron_loop(const acc_t* inp, state_t* v, Py_ssize_t n, int64_t vth,
                                   int64_t exp, state_t* spikes) noexcept nogil:
    """Lava's fixed-point product neuron, one step (``inp``: n pairs). See
    ``reference.prod_neuron_update``."""
    cdef Py_ssize_t i
    cdef int64_t a, b, p, vn, out
    cdef int64_t changed = 0, nmsg = 0, wraps = 0
    cdef Tally t
    for i in range(n):
        a = w32(inp[2 * i])
        b = w32(inp[2 * i + 1])
        wraps += (a != inp[2 * i]) + (b != inp[2 * i + 1])
        p = w32(a * b)
        wraps += p != a * b
        vn = p >> exp
        out = vn if abs32(vn) > vth else 0
        changed += vn != v[i]
        nmsg += out != 0
        v[i] = <state_t>vn
        spikes[i] = <state_t>out
    t.changed = changed
    t.spikes = nmsg
    t.overflows = wraps
    return t

# ---------------------------------------------------------------- the compiled step's table
# NetStep (_step.pyx) knows no model: each group carries generic slots (int32 registers in the
# descriptor's order, one int64 array, one int16 table, up to 12 parameters) and a pointer to
# its model's adapter below, which unpacks them for the model's loop. A model joins the fast
# path with its loop, an adapter and one line in builtin_adapters (and its descriptor and
# layout in emulator/models.py). A model compiled elsewhere (a plugin module that cimports
# this file) hands its adapter to kernels.register_step as a capsule named ADAPTER_CAPSULE.

ctypedef Tally (*adapter_t)(void* group, const acc_t* inp, int64_t t) noexcept nogil


cdef struct GroupTab:
    Py_ssize_t core
    int64_t acc_off        # first accumulator of the group in its core's ring row
    Py_ssize_t n
    state_t* regs[4]       # int32 state registers, in the descriptor's order
    const int64_t* arr64   # one int64 per-neuron array (bias)
    const weight_t* arrw   # one int16 table (TrueNorth's weights, n x 4)
    state_t* spikes
    int64_t p[12]
    adapter_t fn


cdef inline Tally _cuba_lif_step(void* g_, const acc_t* inp, int64_t t) noexcept nogil:
    cdef GroupTab* g = <GroupTab*>g_
    return cuba_lif_loop(inp, g.regs[0], g.regs[1], g.regs[2], g.arr64, g.n, g.p[0], g.p[1],
                         g.p[2], g.p[3], g.p[4], g.p[5], g.spikes)


cdef inline Tally _cuba_lif_subtract_step(void* g_, const acc_t* inp, int64_t t) noexcept nogil:
    cdef GroupTab* g = <GroupTab*>g_
    return cuba_lif_subtract_loop(inp, g.regs[0], g.regs[1], g.arr64, g.n, g.p[0], g.p[1],
                                  g.p[2], g.p[3], g.p[4], g.spikes)


cdef inline Tally _if_step(void* g_, const acc_t* inp, int64_t t) noexcept nogil:
    cdef GroupTab* g = <GroupTab*>g_
    return if_loop(inp, g.regs[0], g.arr64, g.n, g.p[0], g.p[1], g.p[2], g.p[3], g.p[4],
                   g.p[5], g.p[6], g.p[7], g.spikes)


cdef inline Tally _smooth_if_step(void* g_, const acc_t* inp, int64_t t) noexcept nogil:
    cdef GroupTab* g = <GroupTab*>g_
    return smooth_if_loop(inp, g.regs[0], g.regs[1], g.arr64, g.n, g.p[0], g.p[1], g.p[2],
                          g.p[3], g.p[4], g.p[5], g.p[6], g.p[7], g.spikes)


cdef inline Tally _truenorth_step(void* g_, const acc_t* inp, int64_t t) noexcept nogil:
    cdef GroupTab* g = <GroupTab*>g_
    return truenorth_loop(inp, g.regs[0], g.arrw, g.n, g.p[0], g.p[1], g.p[2], g.p[3], g.p[4],
                          g.p[5], g.p[6], g.p[7], g.p[8], g.p[9], <uint64_t>g.p[10],
                          <uint64_t>t, <uint64_t>g.p[11], g.spikes)


cdef inline Tally _sigma_delta_step(void* g_, const acc_t* inp, int64_t t) noexcept nogil:
    cdef GroupTab* g = <GroupTab*>g_
    return sigma_delta_loop(inp, g.regs[0], g.regs[1], g.regs[2], g.regs[3], g.arr64, g.n,
                            g.p[0], g.p[1], g.p[2], g.p[3], g.spikes)


cdef inline Tally _resonate_fire_step(void* g_, const acc_t* inp, int64_t t) noexcept nogil:
    cdef GroupTab* g = <GroupTab*>g_
    return resonate_fire_loop(inp, g.regs[0], g.regs[1], g.n, g.p[0], g.p[1], g.p[2], g.p[3],
                              g.p[4], g.spikes)


cdef inline double as_double(int64_t bits) noexcept nogil:
    """The float64 whose bits are ``bits`` (a float parameter in the integer slots)."""
    cdef double x
    memcpy(&x, &bits, sizeof(double))
    return x


cdef inline Tally _adaptive_lif_step(void* g_, const acc_t* inp, int64_t t) noexcept nogil:
    cdef GroupTab* g = <GroupTab*>g_
    return adaptive_lif_loop(inp, g.regs[0], g.regs[1], g.regs[2], g.regs[3], g.arr64, g.n,
                             as_double(g.p[0]), g.p[1], g.p[2], g.p[3], g.p[4], g.p[5],
                             g.spikes)



cdef inline Tally _prod_neuron_step(void* g_, const acc_t* inp, int64_t t) noexcept nogil:
    cdef GroupTab* g = <GroupTab*>g_
    return prod_neuron_loop(inp, g.regs[0], g.n, g.p[0], g.p[1], g.spikes)


cdef extern from *:
    """
    #define SPIKEMESH_ADAPTER_CAPSULE "spikemesh.step_adapter"
    """
    const char* ADAPTER_CAPSULE "SPIKEMESH_ADAPTER_CAPSULE"  # every adapter capsule's name


cdef inline object _capsule(adapter_t fn):
    return PyCapsule_New(<void*>fn, ADAPTER_CAPSULE, NULL)


cdef inline list builtin_adapters():
    """(kernel name, adapter capsule) of every built-in model: the compiled step's table is
    built from this list (and from what ``kernels.register_step`` adds)."""
    return [("cuba_lif_update", _capsule(_cuba_lif_step)),
            ("cuba_lif_subtract_update", _capsule(_cuba_lif_subtract_step)),
            ("if_update", _capsule(_if_step)),
            ("smooth_if_update", _capsule(_smooth_if_step)),
            ("truenorth_update", _capsule(_truenorth_step)),
            ("sigma_delta_update", _capsule(_sigma_delta_step)),
            ("resonate_fire_update", _capsule(_resonate_fire_step)),
            ("adaptive_lif_update", _capsule(_adaptive_lif_step)),
            ("prod_neuron_update", _capsule(_prod_neuron_step))]
