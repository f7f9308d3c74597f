# cython: language_level=3
"""Compiled synaptic delivery and spike emission. Specification: ``reference.py``."""

from ._types cimport (acc_t, delay_t, exp_t, index_t, ptr_t, state_t, weight_t, int64_t)
from ._fixed cimport shift_floor


cdef int64_t _deliver(const index_t[::1] axons, const state_t[::1] payloads,
                      const ptr_t[::1] indptr, const index_t[::1] targets,
                      const weight_t[::1] weights, const delay_t[::1] delays,
                      const exp_t[::1] row_exp, int acc_shift, acc_t[:, ::1] ring,
                      int64_t slot0) noexcept:
    cdef Py_ssize_t m = axons.shape[0], D = ring.shape[0], e, j, j0, j1
    cdef index_t a
    cdef int64_t p, scale, events = 0, w, slot
    cdef int ex
    cdef acc_t* base = &ring[0, 0] if ring.shape[0] * ring.shape[1] > 0 else NULL
    cdef Py_ssize_t stride = ring.shape[1]
    with nogil:
        for e in range(m):
            p = payloads[e]
            if p == 0:
                continue
            a = axons[e]
            j0 = indptr[a]
            j1 = indptr[a + 1]
            events += j1 - j0
            ex = row_exp[a]
            if ex == 0 and D == 1:
                scale = p * (<int64_t>1 << acc_shift)
                for j in range(j0, j1):
                    base[targets[j]] += weights[j] * scale
            elif ex == 0:
                scale = p * (<int64_t>1 << acc_shift)
                for j in range(j0, j1):
                    slot = slot0 + delays[j]
                    if slot >= D:
                        slot = slot % D
                    base[slot * stride + targets[j]] += weights[j] * scale
            else:
                for j in range(j0, j1):
                    w = shift_floor(weights[j], ex) * (<int64_t>1 << acc_shift)
                    slot = (slot0 + delays[j]) % D
                    base[slot * stride + targets[j]] += w * p
    return events




def deliver(const index_t[::1] axons, const state_t[::1] payloads, const ptr_t[::1] indptr,
            const index_t[::1] targets, const weight_t[::1] weights, const delay_t[::1] delays,
            const exp_t[::1] row_exp, int acc_shift, acc_t[:, ::1] ring, int64_t slot0):
    """Fan axon events out into the delay ring. See ``reference.deliver``."""
    return _deliver(axons, payloads, indptr, targets, weights, delays, row_exp, acc_shift, ring, slot0)


cdef class BoundDeliver:
    """``deliver`` with the synapse table and ring bound once (cheap per-step calls).

    ``BoundDeliver(indptr, targets, weights, delays, row_exp, acc_shift, ring)(axons, payloads,
    slot0)`` equals ``deliver(axons, payloads, indptr, ..., ring, slot0)``.
    """
    cdef const ptr_t[::1] indptr
    cdef const index_t[::1] targets
    cdef const weight_t[::1] weights
    cdef const delay_t[::1] delays
    cdef const exp_t[::1] row_exp
    cdef int acc_shift
    cdef acc_t[:, ::1] ring

    def __init__(self, const ptr_t[::1] indptr, const index_t[::1] targets,
                 const weight_t[::1] weights, const delay_t[::1] delays,
                 const exp_t[::1] row_exp, int acc_shift, acc_t[:, ::1] ring):
        self.indptr = indptr
        self.targets = targets
        self.weights = weights
        self.delays = delays
        self.row_exp = row_exp
        self.acc_shift = acc_shift
        self.ring = ring

    def __call__(self, const index_t[::1] axons, const state_t[::1] payloads, int64_t slot0):
        return _deliver(axons, payloads, self.indptr, self.targets, self.weights, self.delays,
                        self.row_exp, self.acc_shift, self.ring, slot0)


cdef void _emit(const state_t[::1] spikes, const ptr_t[::1] rt_indptr,
                const index_t[::1] rt_dest, const index_t[::1] rt_axon, ptr_t[::1] dest_ptr,
                index_t[::1] out_axon, state_t[::1] out_payload, int64_t* out) noexcept:
    cdef Py_ssize_t n = spikes.shape[0], n_dest = dest_ptr.shape[0] - 1, i, j, d, pos
    cdef int64_t packets = 0, events = 0, acc = 0, cnt
    cdef state_t p
    with nogil:
        for d in range(n_dest + 1):
            dest_ptr[d] = 0
        # pass 1: events per destination (stored one slot ahead)
        for i in range(n):
            if spikes[i] != 0:
                for j in range(rt_indptr[i], rt_indptr[i + 1]):
                    dest_ptr[rt_dest[j] + 1] += 1
        # exclusive prefix sum: dest_ptr[d] = start of d
        for d in range(n_dest):
            cnt = dest_ptr[d + 1]
            packets += cnt > 0
            dest_ptr[d + 1] = acc
            acc += cnt
        events = acc
        # pass 2: fill, using dest_ptr[d + 1] as the write cursor of d
        for i in range(n):
            p = spikes[i]
            if p != 0:
                for j in range(rt_indptr[i], rt_indptr[i + 1]):
                    d = rt_dest[j]
                    pos = dest_ptr[d + 1]
                    out_axon[pos] = rt_axon[j]
                    out_payload[pos] = p
                    dest_ptr[d + 1] = pos + 1
    out[0] = packets
    out[1] = events


def emit_spikes(const state_t[::1] spikes, const ptr_t[::1] rt_indptr,
                const index_t[::1] rt_dest, const index_t[::1] rt_axon, ptr_t[::1] dest_ptr,
                index_t[::1] out_axon, state_t[::1] out_payload):
    """Spikes to per-destination axon event lists. See ``reference.emit_spikes``."""
    cdef int64_t out[2]
    _emit(spikes, rt_indptr, rt_dest, rt_axon, dest_ptr, out_axon, out_payload, out)
    return out[0], out[1]


cdef class BoundEmit:
    """``emit_spikes`` with the routing table and output buffers bound once.

    ``BoundEmit(rt_indptr, rt_dest, rt_axon, dest_ptr, out_axon, out_payload)(spikes)`` equals
    ``emit_spikes(spikes, rt_indptr, ..., out_payload)``.
    """
    cdef const ptr_t[::1] rt_indptr
    cdef const index_t[::1] rt_dest
    cdef const index_t[::1] rt_axon
    cdef ptr_t[::1] dest_ptr
    cdef index_t[::1] out_axon
    cdef state_t[::1] out_payload

    def __init__(self, const ptr_t[::1] rt_indptr, const index_t[::1] rt_dest,
                 const index_t[::1] rt_axon, ptr_t[::1] dest_ptr, index_t[::1] out_axon,
                 state_t[::1] out_payload):
        self.rt_indptr = rt_indptr
        self.rt_dest = rt_dest
        self.rt_axon = rt_axon
        self.dest_ptr = dest_ptr
        self.out_axon = out_axon
        self.out_payload = out_payload

    def __call__(self, const state_t[::1] spikes):
        cdef int64_t out[2]
        _emit(spikes, self.rt_indptr, self.rt_dest, self.rt_axon, self.dest_ptr, self.out_axon,
              self.out_payload, out)
        return out[0], out[1]
