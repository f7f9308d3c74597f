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


DEF ACC_HI = 32767      # the 16-bit accumulator: -(2**15) - 1 .. 2**15 - 1, as Lava clips it
DEF ACC_LO = -32769
DEF SYN_SHIFT = 7


cdef inline int64_t wrap32(int64_t x) noexcept nogil:
    cdef int64_t half = (<int64_t>1) << 31, mask = ((<int64_t>1) << 32) - 1
    return ((x + half) & mask) - half


cdef inline int64_t clip(int64_t x, int64_t lo, int64_t hi) noexcept nogil:
    return lo if x < lo else (hi if x > hi else x)


def apply_program(const int64_t[::1] prog, const int64_t[:, ::1] vals, int64_t[::1] acc,
                  int64_t u):
    """See ``spikemesh.learning.apply_program``."""
    cdef Py_ssize_t j, n = acc.shape[0], k, p, f, n_prod
    cdef int64_t a, r, v, dep, mant, ex, nf, rsh, row, const, sg, bits
    if vals.shape[1] != n or prog.shape[0] < 1:
        raise ValueError("apply_program: vals (rows, n) and acc (n,), a compiled program")
    n_prod = prog[0]
    # check the program once: every row it reads exists, every width is sane
    k = 1
    for p in range(n_prod):
        if k + 5 > prog.shape[0]:
            raise ValueError("apply_program: the program is truncated")
        dep, nf = prog[k], prog[k + 3]
        if dep >= vals.shape[0] or nf < 0 or k + 5 + 4 * nf > prog.shape[0]:
            raise ValueError("apply_program: the program names a row or factor it lacks")
        for f in range(nf):
            row, bits = prog[k + 5 + 4 * f], prog[k + 5 + 4 * f + 3]
            if not 0 <= row < vals.shape[0] or not 0 <= bits < 31:
                raise ValueError("apply_program: the program names a row or width out of range")
        if not 0 <= prog[k + 4] < 63 or not -SYN_SHIFT <= prog[k + 2] <= 16:
            raise ValueError("apply_program: a shift out of range")
        k += 5 + 4 * nf
    with nogil:
        for j in range(n):
            a = acc[j]
            k = 1
            for p in range(n_prod):
                dep = prog[k]
                mant = prog[k + 1]
                ex = prog[k + 2]
                nf = prog[k + 3]
                rsh = prog[k + 4]
                k += 5
                r = u if dep < 0 else vals[dep, j]
                for f in range(nf):
                    row = prog[k]
                    const = prog[k + 1]
                    sg = prog[k + 2]
                    bits = prog[k + 3]
                    k += 4
                    v = vals[row, j] + const
                    if sg:
                        v = (v > 0) - (v < 0)
                    r = wrap32(r * clip(v, -((<int64_t>1) << bits), ((<int64_t>1) << bits) - 1))
                r = wrap32(r * mant) >> rsh
                r = wrap32(r * ((<int64_t>1) << (ex + SYN_SHIFT)))
                a = clip(a + clip(r, ACC_LO, ACC_HI), ACC_LO, ACC_HI)
            acc[j] = a
