# cython: language_level=3
"""Compiled trace kernels of the learning engine. Specification: ``spikemesh.learning``'s
``trace_step`` and ``trace_replay`` (the NumPy twins, which follow Lava 0.10's fixed-point
learning model): same arrays written in place, the same integers."""

from libc.math cimport floor
from libc.stdint cimport int64_t, uint8_t

DEF TRACE_MAX = 127


def trace_step(int64_t[:, ::1] tr, int64_t[::1] times, const uint8_t[::1] spikes,
               int64_t within, const int64_t[::1] whole, const int64_t[::1] frac,
               int64_t random):
    """See ``spikemesh.learning.trace_step``."""
    cdef Py_ssize_t k, i, K = tr.shape[0], n = tr.shape[1]
    cdef int64_t v
    if times.shape[0] != n or spikes.shape[0] != n or whole.shape[0] != K or frac.shape[0] != K:
        raise ValueError("trace_step: tr (K, n), times (n,), spikes (n,), whole and frac (K,)")
    with nogil:
        for i in range(n):
            if not spikes[i]:
                continue
            if times[i] > 0:
                for k in range(K):
                    v = tr[k, i] + whole[k] + (1 if random < frac[k] else 0)
                    tr[k, i] = 0 if v < 0 else (TRACE_MAX if v > TRACE_MAX else v)
            times[i] = within


def trace_replay(const int64_t[:, ::1] tr, const int64_t[::1] times, const double[::1] factors,
                 const uint8_t[::1] kept, double decay_random, int64_t impulse_random,
                 const int64_t[::1] whole, const int64_t[::1] frac, int64_t[:, :, ::1] history):
    """See ``spikemesh.learning.trace_replay``."""
    cdef Py_ssize_t k, i, t, K = tr.shape[0], n = tr.shape[1], T = history.shape[0]
    cdef double x, fl
    cdef int64_t v
    if (history.shape[1] != K or history.shape[2] != n or times.shape[0] != n
            or factors.shape[0] != K or kept.shape[0] != K or whole.shape[0] != K
            or frac.shape[0] != K):
        raise ValueError("trace_replay: tr (K, n), history (T, K, n), times (n,), "
                         "factors, kept, whole and frac (K,)")
    with nogil:
        for k in range(K):
            for i in range(n):
                history[0, k, i] = tr[k, i]
        for t in range(1, T):
            for k in range(K):
                for i in range(n):
                    if kept[k]:
                        x = factors[k] * <double>history[t - 1, k, i]
                        fl = floor(x)
                        v = <int64_t>fl + (1 if decay_random < x - fl else 0)
                    else:
                        v = 0
                    if times[i] == t:
                        v = v + whole[k] + (1 if impulse_random < frac[k] else 0)
                        v = 0 if v < 0 else (TRACE_MAX if v > TRACE_MAX else v)
                    history[t, k, i] = v
