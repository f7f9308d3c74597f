# cython: language_level=3
"""Compiled synaptic delivery and spike emission. Specification: ``reference/synapses.py``.

``NetDeliver``'s fields and the structs it walks are declared in ``_synapses.pxd``, which the
compiled step (``_step.pyx``) cimports."""

from ._types cimport (acc_t, delay_t, exp_t, index_t, ptr_t, state_t, weight_t, int64_t,
                      int32_t, int16_t, uint8_t, uint64_t, prefetch)
from ._fixed cimport shift_floor

import numpy as np


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


def group_order(const int64_t[::1] keys, Py_ssize_t n_groups):
    """Stable counting sort by small integer keys. See ``reference.group_order``."""
    cdef Py_ssize_t n = keys.shape[0], i, k
    if n >= 2**31:
        raise ValueError("group_order: at most 2**31 - 1 keys")
    indptr_a = np.zeros(n_groups + 1, np.int64)
    order_a = np.empty(n, np.int32)
    cdef int64_t[::1] indptr = indptr_a
    cdef int32_t[::1] order = order_a
    cdef int64_t[::1] fill
    with nogil:
        for i in range(n):
            k = keys[i]
            if k < 0 or k >= n_groups:
                with gil:
                    raise ValueError(f"group_order: key {k} at {i} is outside 0..{n_groups - 1}")
            indptr[k + 1] += 1
        for k in range(n_groups):
            indptr[k + 1] += indptr[k]
    fill_a = indptr_a[:-1].copy()
    fill = fill_a
    with nogil:
        for i in range(n):
            k = keys[i]
            order[fill[k]] = <int32_t>i
            fill[k] += 1
    return indptr_a, order_a


from libc.stdlib cimport free, calloc, realloc


GROUP_MIN_SYNAPSES = 16
"""Synapses per message (over the whole table) from which delivery groups a step's messages by
destination core (see ``NetDeliver._deliver``)."""


cdef inline void _deliver_msg(CoreTab* c, const int32_t* soff, const int16_t* sw16,
                              const int32_t* sw32, Py_ssize_t z, Py_ssize_t nsyn,
                              int64_t p) noexcept nogil:
    """One message: its ``nsyn`` synapses from ``z`` on, weights times the payload into the
    destination core's ring (``sw16`` when the weights are narrow, else ``sw32``)."""
    cdef acc_t* ring = c.ring
    cdef int64_t size = c.size, a
    cdef int64_t pm = p * c.acc_mul  # the payload times the core's accumulator shift
    cdef Py_ssize_t z1 = z + nsyn
    if sw16 != NULL:
        while z < z1:
            a = c.base + soff[z]  # delays <= depth: one wrap at most
            if a >= size:
                a -= size
            ring[a] += sw16[z] * pm
            z += 1
    else:
        while z < z1:
            a = c.base + soff[z]
            if a >= size:
                a -= size
            ring[a] += sw32[z] * pm
            z += 1


cdef inline bint _silent16(const state_t* p) noexcept nogil:
    """True when 16 payloads in a row are all 0 (the OR vectorizes)."""
    cdef state_t acc = 0
    cdef int j
    for j in range(16):
        acc |= p[j]
    return acc == 0


cdef class NetDeliver:
    """A whole step's emission and delivery for every spike source, in one compiled call.
    See ``reference.NetDeliver`` (the specification).

    Layout for locality: at construction every source neuron's fan-out is resolved into one
    contiguous run of messages (destination core, batch slot, synapse count) and of synapses
    (ring offset = delay x row length + accumulator, effective weight = the stored weight with
    its exponent and the accumulator shift applied), in the order emission walks them; a spike
    then reads its own run sequentially and writes only the destination rings.

    With ``set_threads(T)`` (T > 1) the destination cores are shared among T threads (balanced
    by stored synapses); every thread walks every spike and delivers only into its own cores,
    so each ring, counter and batch slot has one writer and the result is the sequential one.
    """
    def __cinit__(self):
        self.cores = NULL
        self.srcs = NULL
        self.pbuf = NULL
        self.n_pbuf = 0
        self.threads = 1
        self.prefetch_ahead = 8
        self.track = False

    def __init__(self, tables, routes, spikes, columns):
        cdef Py_ssize_t d, s
        cdef const ptr_t[::1] ip
        cdef const index_t[::1] tg
        cdef const weight_t[::1] w
        cdef const delay_t[::1] dl
        cdef const exp_t[::1] rx
        cdef acc_t[:, ::1] ring
        cdef const index_t[::1] rd
        cdef const index_t[::1] ra
        cdef const index_t[::1] rt
        cdef const state_t[::1] sp
        tables = list(tables)
        routes = list(routes)
        self.n_cores = len(tables)
        self.n_src = len(routes)
        self._keep = [tables, routes, list(spikes)]
        self.cores = <CoreTab*>calloc(max(self.n_cores, 1), sizeof(CoreTab))
        self.srcs = <SrcTab*>calloc(max(self.n_src, 1), sizeof(SrcTab))
        if not (self.cores and self.srcs):
            raise MemoryError("NetDeliver: out of memory")
        self.syn_col, self.pkt_col, self.axn_col = columns
        for d in range(self.n_cores):
            ip, tg, w, dl, rx, shift, ring = tables[d]
            self.cores[d].indptr = &ip[0]
            self.cores[d].targets = &tg[0] if tg.shape[0] else NULL
            self.cores[d].weights = &w[0] if w.shape[0] else NULL
            self.cores[d].delays = &dl[0] if dl.shape[0] else NULL
            self.cores[d].row_exp = &rx[0] if rx.shape[0] else NULL
            self.cores[d].acc_shift = shift
            self.cores[d].acc_mul = (<int64_t>1) << shift
            self.cores[d].depth = ring.shape[0]
            self.cores[d].stride = ring.shape[1]
            self.cores[d].size = ring.shape[0] * ring.shape[1]
            if self.cores[d].size >= 2**31:
                raise ValueError(f"NetDeliver: core {d}'s delay ring has >= 2**31 accumulators")
            self.cores[d].ring = &ring[0, 0] if ring.shape[0] * ring.shape[1] else NULL
        self.capacity = 0
        for s in range(self.n_src):
            ip, rd, ra, targets = routes[s]
            rt = np.ascontiguousarray(targets, dtype=np.int32)
            self._keep.append(rt)
            self.srcs[s].indptr = &ip[0]
            self.srcs[s].dest = &rd[0] if rd.shape[0] else NULL
            self.srcs[s].axon = &ra[0] if ra.shape[0] else NULL
            self.srcs[s].targets = &rt[0] if rt.shape[0] else NULL
            self.srcs[s].n_targets = rt.shape[0]
            self.srcs[s].n = ip.shape[0] - 1
            self.srcs[s].slot0 = self.capacity
            self.capacity += rt.shape[0]
            if s < self.n_cores:
                sp = spikes[s]
                self.srcs[s].payload = &sp[0] if sp.shape[0] else NULL
                self.srcs[s].row_stride = 0
        if self.capacity >= 2**31:
            raise ValueError("NetDeliver: more than 2**31 (source, destination) pairs")
        self.set_threads(1)

    def _resolve(self):
        """Build the contiguous fan-out runs (class docstring): per source neuron and thread
        part (cores[d].owner), one run of messages and one of their synapses."""
        cdef Py_ssize_t s, i, d, q
        cdef ptr_t j, k
        cdef int64_t n_msg = 0, n_syn = 0, n_neur = 0, m = 0, z = 0, a, row = 0, e
        cdef int part, T = self.threads
        cdef CoreTab* c
        cdef SrcTab* src
        for s in range(self.n_src):
            src = &self.srcs[s]
            n_neur += src.n
            n_msg += src.indptr[src.n]
            for j in range(src.indptr[src.n]):
                c = &self.cores[src.dest[j]]
                a = src.axon[j]
                n_syn += c.indptr[a + 1] - c.indptr[a]
        noff_a = np.zeros(self.n_src + 1, np.int64)
        nptr_a = np.zeros(n_neur * T + 1, np.int64)
        zptr_a = np.zeros(n_neur * T + 1, np.int64)
        msgs_a = np.zeros((max(n_msg, 1), 3), np.int32)
        soff_a = np.zeros(max(n_syn, 1), np.int32)
        sw_a = np.zeros(max(n_syn, 1), np.int32)
        pos_a = np.zeros(max(self.n_cores, 1), np.int64)
        owners = np.array([self.cores[d].owner for d in range(self.n_cores)], np.int64)
        pair_owner = owners[np.concatenate([np.asarray(r[3], np.int64) for r in self._keep[1]]
                                           + [np.zeros(0, np.int64)])]  # fmt: skip
        order = np.argsort(pair_owner, kind="stable")
        qslot_a = np.zeros(max(self.capacity, 1), np.int64)
        qslot_a[order] = np.arange(self.capacity) + 8 * pair_owner[order]
        sc_a = np.zeros(2 * (self.capacity + 8 * T), np.int64)
        cdef int64_t[::1] qs = qslot_a, scv = sc_a
        cdef int64_t[::1] noff = noff_a, nptr = nptr_a, zptr = zptr_a, pos = pos_a
        cdef int32_t[::1] sw = sw_a
        cdef int64_t v, vmax = 0
        cdef int32_t[:, ::1] msgs = msgs_a
        cdef int32_t[::1] soff = soff_a
        cdef bint track = self.track
        sizes = np.array([len(self._keep[0][d][1]) for d in range(self.n_cores)], np.int64)
        zbase_a = np.zeros(self.n_cores + 1, np.int64)
        np.cumsum(sizes, out=zbase_a[1:])
        zof_a = np.full(max(int(zbase_a[-1]), 1) if track else 1, -1, np.int64)
        cdef int64_t[::1] zof = zof_a, zbase = zbase_a
        with nogil:
            for s in range(self.n_src):
                src = &self.srcs[s]
                noff[s] = row
                for q in range(src.n_targets):
                    pos[src.targets[q]] = qs[src.slot0 + q]
                for i in range(src.n):
                    for part in range(T):
                        nptr[row] = m
                        zptr[row] = z
                        row += 1
                        for j in range(src.indptr[i], src.indptr[i + 1]):
                            d = src.dest[j]
                            c = &self.cores[d]
                            if c.owner != part:
                                continue
                            a = src.axon[j]
                            msgs[m, 0] = <int32_t>d
                            msgs[m, 1] = <int32_t>pos[d]
                            msgs[m, 2] = <int32_t>(c.indptr[a + 1] - c.indptr[a])
                            for k in range(c.indptr[a], c.indptr[a + 1]):
                                e = c.delays[k] * c.stride + c.targets[k]
                                soff[z] = <int32_t>e
                                if track:
                                    zof[zbase[d] + k] = z
                                v = shift_floor(c.weights[k], c.row_exp[a])
                                sw[z] = <int32_t>v
                                if v > vmax:
                                    vmax = v
                                elif -v > vmax:
                                    vmax = -v
                                z += 1
                            m += 1
            noff[self.n_src] = row
            nptr[row] = m
            zptr[row] = z
        self.narrow = vmax <= 32767
        # grouping the step's messages by destination core costs a few ns a message and saves
        # cache misses on the rings: it pays when a message carries many synapses (at chip
        # scale with local fan-out, 26 a message), not when fan-out is spread thin over many
        # cores (the 241-core board: ~1.2 a message)
        self.group = self.n_cores > 1 and n_syn >= GROUP_MIN_SYNAPSES * n_msg
        if self.narrow:
            sw_a = sw_a.astype(np.int16)
        self._runs = [noff_a, nptr_a, zptr_a, msgs_a, soff_a, sw_a, qslot_a, sc_a]
        self._zof = zof_a if track else None
        self._zbase = zbase_a
        self.qslot = &qs[0]
        self.sc = &scv[0]
        self.noff = &noff[0]
        self.nptr = &nptr[0]
        self.zptr = &zptr[0]
        self.msgs = <const Msg*>&msgs[0, 0]
        self.soff = &soff[0]
        cdef int16_t[::1] w16
        cdef int32_t[::1] w32
        if self.narrow:
            w16 = sw_a
            self.sw16 = &w16[0]
            self.sw32 = NULL
        else:
            w32 = sw_a
            self.sw32 = &w32[0]
            self.sw16 = NULL

    def refresh(self):
        """Read the tables' weights again (a learning engine rewrote them in place, between
        steps): the effective weights of the fan-out runs are rebuilt from them."""
        self._resolve()

    def refresh_at(self, Py_ssize_t d, const int64_t[::1] pos, const int64_t[::1] axon):
        """Re-read the weights of core ``d``'s table synapses ``pos`` (input axon ``axon`` of
        each) into their resolved runs, in time linear in ``pos`` (built with ``track``).
        Returns False, writing nothing, when that cannot be done (not tracked, or a weight no
        longer fits the runs' int16 format): call :meth:`refresh` then."""
        cdef Py_ssize_t j, n = pos.shape[0]
        cdef int64_t k, z, v
        cdef CoreTab* c
        if self._zof is None or not 0 <= d < self.n_cores or axon.shape[0] != n:
            return False
        cdef const int64_t[::1] zof = self._zof
        cdef int64_t base = int(self._zbase[d])
        c = &self.cores[d]
        if self.narrow:
            for j in range(n):
                v = shift_floor(c.weights[pos[j]], c.row_exp[axon[j]])
                if v > 32767 or v < -32767:
                    return False
        with nogil:
            for j in range(n):
                k = pos[j]
                z = zof[base + k]
                if z < 0:
                    continue
                v = shift_floor(c.weights[k], c.row_exp[axon[j]])
                if self.narrow:
                    (<int16_t*>self.sw16)[z] = <int16_t>v
                else:
                    (<int32_t*>self.sw32)[z] = <int32_t>v
        return True

    def set_threads(self, int threads):
        """Share the destination cores among ``threads`` threads (class docstring)."""
        cdef Py_ssize_t d, k
        if threads < 1:
            raise ValueError(f"NetDeliver.set_threads: threads must be >= 1 (got {threads})")
        self.threads = threads
        load = np.zeros(threads, np.int64)
        sizes = np.array([len(self._keep[0][d][1]) + 1 for d in range(self.n_cores)], np.int64)
        for d in np.argsort(-sizes, kind="stable"):  # largest first to the least loaded
            k = int(np.argmin(load))
            self.cores[d].owner = <int>k
            load[k] += sizes[d]
        self._resolve()
        self._free_pending()
        self.pbuf = <PendBuf*>calloc(threads, sizeof(PendBuf))
        if self.pbuf == NULL:
            raise MemoryError("NetDeliver: out of memory")
        self.n_pbuf = threads
        for k in range(threads):
            self.pbuf[k].cnt = <int64_t*>calloc(self.n_cores + 1, sizeof(int64_t))
            if self.pbuf[k].cnt == NULL:
                raise MemoryError("NetDeliver: out of memory")

    cdef void _free_pending(self) noexcept:
        cdef Py_ssize_t k
        for k in range(self.n_pbuf):
            free(self.pbuf[k].a)
            free(self.pbuf[k].b)
            free(self.pbuf[k].cnt)
        free(self.pbuf)
        self.pbuf = NULL
        self.n_pbuf = 0

    def __dealloc__(self):
        free(self.cores)
        free(self.srcs)
        self._free_pending()

    def set_inputs(self, inputs):
        """Per external input (source n_cores + k): a C-contiguous int32 (steps, n) array or
        None (silent)."""
        cdef Py_ssize_t k, s
        cdef const state_t[:, ::1] x
        inputs = list(inputs)
        self._inputs = [a for a in inputs if a is not None]
        for k in range(self.n_src - self.n_cores):
            s = self.n_cores + k
            if inputs[k] is None or inputs[k].shape[0] == 0:
                self.srcs[s].payload = NULL
                continue
            x = inputs[k]
            self.srcs[s].payload = &x[0, 0]
            self.srcs[s].row_stride = x.shape[1]

    def __call__(self, int64_t t, int64_t row, int64_t[:, ::1] counters, int64_t[:, ::1] packets):
        cdef Py_ssize_t P
        cdef int part
        if packets.shape[0] < self.capacity or packets.shape[1] != 4:
            raise ValueError(f"NetDeliver: packets must be ({self.capacity}, 4)")
        if counters.shape[0] != self.n_cores:
            raise ValueError(f"NetDeliver: counters must have {self.n_cores} rows")
        if self.capacity == 0 or self.n_cores == 0:
            return 0
        with nogil:
            self._begin(t)
            for part in range(self.threads):  # one after the other (the runs are per part)
                self._deliver(row, part, self.threads)
            P = self._flush(&counters[0, 0], counters.shape[1], &packets[0, 0])
        return P

    cdef void _begin(self, int64_t t) noexcept nogil:
        """This step's ring row of every core (slot t)."""
        cdef Py_ssize_t d
        for d in range(self.n_cores):
            if self.cores[d].depth:
                self.cores[d].base = (t % self.cores[d].depth) * self.cores[d].stride

    cdef void _deliver(self, int64_t row, int part, int parts) noexcept nogil:
        """Deliver every spike of this step (input row ``row``) into the cores of thread
        ``part`` (``parts`` = the thread count the runs were built for); count messages and
        synaptic events per batch slot.

        When messages are long (``group``: at least ``GROUP_MIN_SYNAPSES`` synapses a message
        over the table), the step's messages are first listed in emission order, then grouped
        by destination core (a counting sort) and delivered core by core, so that each core's
        ring is written while it is in cache (at chip scale the rings of all cores do not fit
        it); otherwise each is delivered as it is read. Integer adds: the rings hold the same
        sums in any order."""
        cdef Py_ssize_t s, i, z, n_p = 0, q, c_i
        cdef int64_t p, m, m0, m1, r, acc, t
        cdef SrcTab* src
        cdef const state_t* pay
        cdef const Msg* g
        cdef PendBuf* pb = &self.pbuf[part]
        cdef Pend* e
        for s in range(self.n_src):
            src = &self.srcs[s]
            if src.payload == NULL:
                continue
            pay = src.payload + row * src.row_stride
            i = 0
            while i < src.n:
                if i + 16 <= src.n and _silent16(pay + i):  # skip silent lines 16 at a time
                    i += 16
                    continue
                p = pay[i]
                if p == 0:
                    i += 1
                    continue
                r = self.noff[s] + i * parts + part
                z = self.zptr[r]
                m0 = self.nptr[r]
                m1 = self.nptr[r + 1]
                if not self.group or (n_p + (m1 - m0) > pb.cap
                                      and self._grow_pending(pb, n_p + (m1 - m0))):
                    for m in range(m0, m1):  # not grouped (or no memory for the list): at once
                        g = &self.msgs[m]
                        self.sc[2 * g.slot] += 1
                        self.sc[2 * g.slot + 1] += g.nsyn
                        _deliver_msg(&self.cores[g.dst], self.soff, self.sw16, self.sw32, z,
                                     g.nsyn, p)
                        z += g.nsyn
                    i += 1
                    continue
                for m in range(m0, m1):
                    g = &self.msgs[m]
                    self.sc[2 * g.slot] += 1
                    self.sc[2 * g.slot + 1] += g.nsyn
                    e = &pb.a[n_p]
                    e.z = z
                    e.m = <int32_t>m
                    e.p = <int32_t>p
                    pb.cnt[g.dst] += 1
                    n_p += 1
                    z += g.nsyn
                i += 1
        if n_p == 0:
            return
        acc = 0
        for c_i in range(self.n_cores):  # start of each destination's group
            t = pb.cnt[c_i]
            pb.cnt[c_i] = acc
            acc += t
        for q in range(n_p):
            c_i = self.msgs[pb.a[q].m].dst
            pb.b[pb.cnt[c_i]] = pb.a[q]
            pb.cnt[c_i] += 1
        for c_i in range(self.n_cores):
            pb.cnt[c_i] = 0
        cdef Py_ssize_t ahead = self.prefetch_ahead
        for q in range(n_p):
            if ahead and q + ahead < n_p:  # the synapse runs of a message a few ahead
                e = &pb.b[q + ahead]
                prefetch(&self.soff[e.z])
                prefetch(&self.soff[e.z + 16])
                if self.sw16 != NULL:
                    prefetch(&self.sw16[e.z])
                else:
                    prefetch(&self.sw32[e.z])
                prefetch(&self.msgs[e.m])
            e = &pb.b[q]
            g = &self.msgs[e.m]
            _deliver_msg(&self.cores[g.dst], self.soff, self.sw16, self.sw32, e.z, g.nsyn, e.p)

    cdef int _grow_pending(self, PendBuf* pb, Py_ssize_t need) noexcept nogil:
        """Room for ``need`` pending messages (doubling; kept across steps). -1: no memory."""
        cdef Py_ssize_t c = pb.cap * 2 if pb.cap else 256
        cdef Pend* a
        cdef Pend* b
        while c < need:
            c *= 2
        a = <Pend*>realloc(pb.a, c * sizeof(Pend))
        if a == NULL:
            return -1
        pb.a = a
        b = <Pend*>realloc(pb.b, c * sizeof(Pend))
        if b == NULL:
            return -1
        pb.b = b
        pb.cap = c
        return 0

    cdef Py_ssize_t _flush(self, int64_t* counters, Py_ssize_t ncol,
                           int64_t* packets) noexcept nogil:
        """This step's batches, in source order and per source in ascending destination
        order, into ``packets`` (capacity, 4); the counters (``__call__``); slots cleared."""
        cdef Py_ssize_t s, q, P = 0
        cdef int64_t d, n_p, n_e, k, ev
        cdef SrcTab* src
        for s in range(self.n_src):
            src = &self.srcs[s]
            n_p = 0
            n_e = 0
            for q in range(src.n_targets):
                k = 2 * self.qslot[src.slot0 + q]
                if self.sc[k] == 0:
                    continue
                d = src.targets[q]
                ev = self.sc[k + 1]
                counters[d * ncol + self.syn_col] += ev
                packets[4 * P] = s
                packets[4 * P + 1] = d
                packets[4 * P + 2] = self.sc[k]
                packets[4 * P + 3] = ev
                P += 1
                n_p += 1
                n_e += self.sc[k]
                self.sc[k] = 0
                self.sc[k + 1] = 0
            if s < self.n_cores and n_e:
                counters[s * ncol + self.pkt_col] = n_p
                counters[s * ncol + self.axn_col] = n_e
        return P
