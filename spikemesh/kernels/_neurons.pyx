# cython: language_level=3
"""Compiled neuron updates, one group per call. The loops are in ``_neuron_loops.pxd`` (shared
with the compiled step loop); specification and equations: ``reference/neurons.py`` (same names)."""

from ._types cimport acc_t, state_t, weight_t, int64_t, uint64_t
from ._fixed cimport clip64
from ._neuron_loops cimport (Tally, adaptive_lif_loop, cuba_lif_loop, cuba_lif_subtract_loop,
                             if_loop, prod_neuron_loop, resonate_fire_loop, sigma_delta_loop,
                             smooth_if_loop,
                             truenorth_loop)


def cuba_lif_update(const acc_t[::1] inp, state_t[::1] u, state_t[::1] v, state_t[::1] ref,
                    const int64_t[::1] bias, int64_t du, int64_t dv, int64_t vth,
                    int64_t refract_delay, int64_t vmin, int64_t vmax, state_t[::1] spikes):
    """Loihi CUBA LIF, one step. See ``reference.cuba_lif_update``."""
    cdef Py_ssize_t n = v.shape[0]
    cdef Tally r
    if n == 0:
        return 0, 0, 0
    with nogil:
        r = cuba_lif_loop(&inp[0], &u[0], &v[0], &ref[0], &bias[0], n, du, dv, vth,
                          refract_delay, vmin, vmax, &spikes[0])
    return r.changed, r.spikes, r.overflows


def if_update(const acc_t[::1] inp, state_t[::1] v, const int64_t[::1] bias, int64_t vth,
              int64_t vmin, int64_t vmax, int64_t leak, int64_t cap, int bipolar,
              int reset_zero, int64_t rmin, state_t[::1] spikes):
    """Integrate-and-fire with graded spikes, one step. See ``reference.if_update``."""
    cdef Py_ssize_t n = v.shape[0]
    cdef Tally r
    if n == 0:
        return 0, 0, 0
    with nogil:
        r = if_loop(&inp[0], &v[0], &bias[0], n, vth, vmin, vmax, leak, cap, bipolar,
                    reset_zero, rmin, &spikes[0])
    return r.changed, r.spikes, r.overflows


def truenorth_update(const acc_t[:, ::1] counts, state_t[::1] v, const weight_t[:, ::1] weights,
                     int64_t leak, int leak_reversal, int stochastic_leak,
                     int stochastic_synapse_mask, int64_t alpha, int64_t beta,
                     int negative_reset, int reset_mode, int64_t reset_value,
                     int64_t threshold_mask, uint64_t seed, uint64_t step, uint64_t id_offset,
                     state_t[::1] spikes):
    """TrueNorth neuron, one tick. See ``reference.truenorth_update``."""
    cdef Py_ssize_t n = v.shape[0]
    cdef Tally r
    if n == 0:
        return 0, 0, 0
    with nogil:
        r = truenorth_loop(&counts[0, 0], &v[0], &weights[0, 0], n, leak, leak_reversal,
                           stochastic_leak, stochastic_synapse_mask, alpha, beta,
                           negative_reset, reset_mode, reset_value, threshold_mask, seed, step,
                           id_offset, &spikes[0])
    return r.changed, r.spikes, r.overflows


def smooth_if_update(const acc_t[::1] inp, state_t[::1] v, state_t[::1] vbar,
                     const int64_t[::1] bias, int64_t vth, int64_t vmin, int64_t vmax,
                     int64_t leak, int64_t cap, int bipolar, int reset_zero, int64_t alpha,
                     state_t[::1] spikes):
    """IF whose spike decision reads a smoothed membrane. See ``reference.smooth_if_update``."""
    cdef Py_ssize_t n = v.shape[0]
    cdef Tally r
    if n == 0:
        return 0, 0, 0
    with nogil:
        r = smooth_if_loop(&inp[0], &v[0], &vbar[0], &bias[0], n, vth, vmin, vmax, leak, cap,
                           bipolar, reset_zero, alpha, &spikes[0])
    return r.changed, r.spikes, r.overflows


def cuba_lif_subtract_update(const acc_t[::1] inp, state_t[::1] u, state_t[::1] v,
                             const int64_t[::1] bias, int64_t du, int64_t dv, int64_t vth,
                             int64_t vmin, int64_t vmax, state_t[::1] spikes):
    """CUBA LIF with snnTorch's reset by subtraction, one step. See
    ``reference.cuba_lif_subtract_update``."""
    cdef Py_ssize_t n = v.shape[0]
    cdef Tally r
    if n == 0:
        return 0, 0, 0
    with nogil:
        r = cuba_lif_subtract_loop(&inp[0], &u[0], &v[0], &bias[0], n, du, dv, vth, vmin, vmax,
                                   &spikes[0])
    return r.changed, r.spikes, r.overflows


def sigma_delta_update(const acc_t[::1] inp, state_t[::1] sigma, state_t[::1] act,
                       state_t[::1] residue, state_t[::1] error, const int64_t[::1] bias,
                       int64_t vth, int64_t relu, int64_t cum_error, int64_t state_exp,
                       state_t[::1] spikes):
    """Lava's fixed-point sigma-delta neuron, one step. See ``reference.sigma_delta_update``."""
    cdef Py_ssize_t n = sigma.shape[0]
    cdef Tally r
    if n == 0:
        return 0, 0, 0
    with nogil:
        r = sigma_delta_loop(&inp[0], &sigma[0], &act[0], &residue[0], &error[0], &bias[0], n,
                             vth, relu, cum_error, state_exp, &spikes[0])
    return r.changed, r.spikes, r.overflows


def resonate_fire_update(const acc_t[::1] inp, state_t[::1] real, state_t[::1] imag,
                         int64_t sin_decay, int64_t cos_decay, int64_t decay_bits,
                         int64_t state_exp, int64_t vth, state_t[::1] spikes):
    """Lava's fixed-point resonate-and-fire neuron, one step (``inp``: 2n accumulators). See
    ``reference.resonate_fire_update``."""
    cdef Py_ssize_t n = real.shape[0]
    cdef Tally r
    if n == 0:
        return 0, 0, 0
    if inp.shape[0] < 2 * n:
        raise ValueError("resonate_fire_update: inp needs two accumulators per neuron")
    with nogil:
        r = resonate_fire_loop(&inp[0], &real[0], &imag[0], n, sin_decay, cos_decay, decay_bits,
                               state_exp, vth, &spikes[0])
    return r.changed, r.spikes, r.overflows


def adaptive_lif_update(const acc_t[::1] inp, state_t[::1] i, state_t[::1] v,
                        state_t[::1] theta, state_t[::1] r, const int64_t[::1] bias,
                        double fac_i, int64_t fac_v, int64_t fac_theta, int64_t fac_r,
                        int64_t theta_0, int64_t theta_step, state_t[::1] spikes):
    """Lava's fixed-point ATRLIF neuron, one step. See ``reference.adaptive_lif_update``."""
    cdef Py_ssize_t n = v.shape[0]
    cdef Tally t
    if n == 0:
        return 0, 0, 0
    with nogil:
        t = adaptive_lif_loop(&inp[0], &i[0], &v[0], &theta[0], &r[0], &bias[0], n, fac_i,
                              fac_v, fac_theta, fac_r, theta_0, theta_step, &spikes[0])
    return t.changed, t.spikes, t.overflows


def prod_neuron_update(const acc_t[::1] inp, state_t[::1] v, int64_t vth, int64_t exp,
                       state_t[::1] spikes):
    """Lava's fixed-point product neuron, one step (``inp``: 2n accumulators). See
    ``reference.prod_neuron_update``."""
    cdef Py_ssize_t n = v.shape[0]
    cdef Tally r
    if n == 0:
        return 0, 0, 0
    if inp.shape[0] < 2 * n:
        raise ValueError("prod_neuron_update: inp needs two accumulators per neuron")
    with nogil:
        r = prod_neuron_loop(&inp[0], &v[0], n, vth, exp, &spikes[0])
    return r.changed, r.spikes, r.overflows
