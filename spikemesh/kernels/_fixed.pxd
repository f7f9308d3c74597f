# Fixed-point rules, each written once (cdef inline, no exceptions, no GIL).
from libc.stdint cimport int64_t, uint64_t


cdef inline int64_t wrap_signed(int64_t x, int bits) noexcept nogil:
    """Two's-complement wrap into ``bits`` signed bits."""
    cdef int64_t half = (<int64_t>1) << (bits - 1)
    return ((x + half) & (2 * half - 1)) - half


cdef inline int64_t clip64(int64_t x, int64_t lo, int64_t hi) noexcept nogil:
    x = lo if x < lo else x
    return hi if x > hi else x


cdef inline int64_t sgn64(int64_t x) noexcept nogil:
    return (x > 0) - (x < 0)


cdef inline int64_t decay12(int64_t x, int64_t factor) noexcept nogil:
    """sgn(x) * ((|x| * factor) >> 12): truncation of the magnitude toward zero (branch-free)."""
    cdef int64_t m = x >> 63            # 0 or -1
    cdef int64_t r = (((x ^ m) - m) * factor) >> 12
    return (r ^ m) - m


cdef inline int64_t shift_floor(int64_t w, int e) noexcept nogil:
    """w << e for e >= 0, floor(w / 2**-e) for e < 0 (arithmetic shift)."""
    if e >= 0:
        return w * ((<int64_t>1) << e)
    return w >> (-e)


cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    """SplitMix64 finalizer."""
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline int64_t prn32(uint64_t seed, uint64_t step, uint64_t neuron, uint64_t stream) noexcept nogil:
    """Counter-based PRN in 0..2**32-1; same as reference.prn32."""
    cdef uint64_t h = mix64(neuron + <uint64_t>0x9E3779B97F4A7C15ULL)
    h = mix64(h ^ step)
    h = mix64(h ^ stream)
    h = mix64(h ^ seed)
    return <int64_t>(h >> 32)
