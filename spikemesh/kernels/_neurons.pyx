# cython: language_level=3
"""Compiled neuron updates, one group per call. The loops are in ``_neuron_loops.pxd`` (shared
with the compiled step loop); specification and equations: ``reference/neurons.py`` (same names)."""

from ._types cimport acc_t, state_t, weight_t, int64_t, uint64_t
from ._fixed cimport clip64
from ._neuron_loops cimport (Tally, cuba_lif_loop, cuba_lif_subtract_loop, if_loop,
                             smooth_if_loop, truenorth_loop)


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
              int reset_zero, state_t[::1] spikes):
    """Integrate-and-fire with graded spikes, one step. See ``reference.if_update``."""
    cdef Py_ssize_t n = v.shape[0]
    cdef Tally r
    if n == 0:
        return 0, 0, 0
    with nogil:
        r = if_loop(&inp[0], &v[0], &bias[0], n, vth, vmin, vmax, leak, cap, bipolar,
                    reset_zero, &spikes[0])
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
