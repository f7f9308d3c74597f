# Shared C types of the kernels: one place to change a width.
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint64_t

ctypedef int32_t state_t     # neuron state registers (u, v, ref), spike payloads
ctypedef int64_t acc_t       # synaptic accumulators (exact; models wrap to their own width)
ctypedef int16_t weight_t    # stored weight mantissa
ctypedef uint8_t delay_t     # synaptic delay in steps
ctypedef int8_t exp_t        # weight exponent
ctypedef int32_t index_t     # neuron / axon / core index
ctypedef int64_t ptr_t       # CSR offsets


# a read hint for memory the loop will need soon (no-op where the compiler has none)
cdef extern from *:
    """
    #if defined(__GNUC__)
    #define SPIKEMESH_PREFETCH(p) __builtin_prefetch((p))
    #else
    #define SPIKEMESH_PREFETCH(p) ((void)0)
    #endif
    """
    void prefetch "SPIKEMESH_PREFETCH"(const void* p) noexcept nogil
