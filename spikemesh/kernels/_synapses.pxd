# Declarations of the compiled delivery that the compiled step (_step.pyx) needs.
from ._types cimport (acc_t, delay_t, exp_t, index_t, ptr_t, state_t, weight_t, int64_t,
                      int32_t, int16_t)


cdef struct CoreTab:
    const ptr_t* indptr
    const index_t* targets
    const weight_t* weights
    const delay_t* delays
    const exp_t* row_exp
    int acc_shift
    int64_t acc_mul        # 1 << acc_shift (a multiply: exact for negative weights too)
    acc_t* ring
    int64_t depth
    int64_t stride
    int64_t size           # depth * stride
    int64_t base           # this step's ring offset: (t % depth) * stride
    int owner              # thread that delivers into (and updates) this core


cdef struct SrcTab:
    const ptr_t* indptr
    const index_t* dest
    const index_t* axon
    const index_t* targets
    int64_t n_targets
    int64_t n              # neurons (lines) of the source
    const state_t* payload # core spike buffer, or the input array's first row (NULL: silent)
    int64_t row_stride     # 0 for cores; n for inputs
    int64_t slot0          # first (source, destination) slot of this source


cdef struct Msg:
    int32_t dst            # destination core
    int32_t slot           # (source, destination) slot: its batch of this step
    int32_t nsyn           # synapses of the destination axon


cdef struct Pend:           # a message of this step waiting for delivery
    int64_t z              # its first synapse
    int32_t m              # the message
    int32_t p              # the payload


cdef struct PendBuf:        # one thread part's pending messages (grown as needed, kept)
    Pend* a
    Pend* b                # the same, grouped by destination core
    Py_ssize_t cap
    int64_t* cnt           # per destination core (n_cores + 1)


cdef class NetDeliver:
    cdef PendBuf* pbuf
    cdef Py_ssize_t n_pbuf
    cdef readonly bint group  # deliver grouped by destination core (messages are long enough)
    cdef public int prefetch_ahead  # grouped delivery: messages ahead whose runs are prefetched
    cdef CoreTab* cores
    cdef SrcTab* srcs
    cdef Py_ssize_t n_cores, n_src
    # per (source, destination) pair k: its slot qslot[k]; per slot j, this step's messages
    # sc[2j] and synaptic events sc[2j + 1]. Slots are grouped by the owner thread of the
    # destination (one cache line apart) so that no two threads write the same line.
    cdef const int64_t* qslot
    cdef int64_t* sc
    cdef int syn_col, pkt_col, axn_col
    cdef list _keep, _runs, _inputs   # owners of the memory the pointers below read
    cdef public int64_t capacity
    cdef public int threads
    # resolved fan-out: neuron (s, i) -> messages nptr[noff[s] + i] .. nptr[noff[s] + i + 1]
    # and synapses zptr[noff[s] + i] .. (message m's run follows message m - 1's)
    cdef const int64_t* noff
    cdef const int64_t* nptr
    cdef const int64_t* zptr
    cdef const Msg* msgs
    cdef const int32_t* soff
    # resolved weight of each synapse, shift_floor(w, row exponent), without the core's
    # accumulator shift (applied per message): int16 when every one fits (6 bytes a synapse
    # with its offset), else int32
    cdef const int16_t* sw16
    cdef const int32_t* sw32
    cdef bint narrow
    # with track: per core d and table synapse k, its run index zof[zbase[d] + k] (-1: never
    # reached), so that refresh_at rewrites single resolved weights
    cdef public bint track
    cdef object _zof
    cdef object _zbase

    cdef void _begin(self, int64_t t) noexcept nogil
    cdef void _deliver(self, int64_t row, int part, int parts) noexcept nogil
    cdef int _grow_pending(self, PendBuf* pb, Py_ssize_t need) noexcept nogil
    cdef void _free_pending(self) noexcept
    cdef Py_ssize_t _flush(self, int64_t* counters, Py_ssize_t ncol,
                           int64_t* packets) noexcept nogil
