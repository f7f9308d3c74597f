# cython: language_level=3
"""Compiled network-on-chip engine. Specification: ``reference.noc_step`` (itself the twin of
the SimPy model in ``spikemesh.emulator.timing``): same events, same FIFO-by-head-arrival rule
(ties in scheduling order), same integer time units."""

import numpy as np

from libc.stdint cimport int64_t


from libc.stdlib cimport malloc, free


cdef struct Ev:
    int64_t t      # time the head reaches the router
    int64_t s      # scheduling order (ties: first scheduled first, as in SimPy)
    int64_t k      # batch
    int64_t h      # hop


cdef inline bint _before(Ev* a, Ev* b) noexcept nogil:
    return a.t < b.t or (a.t == b.t and a.s < b.s)


cdef inline void _push(Ev* heap, Py_ssize_t* size, Ev e) noexcept nogil:
    """4-ary min-heap on (t, s)."""
    cdef Py_ssize_t i = size[0], p
    size[0] += 1
    while i > 0:
        p = (i - 1) >> 2
        if _before(&e, &heap[p]):
            heap[i] = heap[p]
            i = p
        else:
            break
    heap[i] = e


cdef inline void _pop(Ev* heap, Py_ssize_t* size) noexcept nogil:
    """Remove the root (the caller has read it)."""
    cdef Py_ssize_t n = size[0] - 1, i = 0, c, best, last
    cdef Ev e = heap[n]
    size[0] = n
    while True:
        c = 4 * i + 1
        if c >= n:
            break
        best = c
        last = c + 4 if c + 4 <= n else n
        for c in range(c + 1, last):
            if _before(&heap[c], &heap[best]):
                best = c
        if _before(&heap[best], &e):
            heap[i] = heap[best]
            i = best
        else:
            break
    if n > 0:
        heap[i] = e


cdef class Routes:
    """A route table as the engine reads it (see ``reference.Routes``): built once per table,
    so a step passes one object instead of five arrays."""
    cdef const int64_t[::1] ptr, link, lat, ft, maxft
    cdef readonly int64_t fpm, syn_op, n_routes

    def __init__(self, const int64_t[::1] ptr, const int64_t[::1] link, const int64_t[::1] lat,
                 const int64_t[::1] ft, const int64_t[::1] maxft, int64_t fpm, int64_t syn_op):
        if ptr.shape[0] < 1 or maxft.shape[0] != ptr.shape[0] - 1:
            raise ValueError("Routes: ptr must have one entry more than maxft")
        if link.shape[0] != ptr[ptr.shape[0] - 1] or lat.shape[0] != link.shape[0] or ft.shape[0] != link.shape[0]:
            raise ValueError("Routes: link, lat and ft must hold ptr[-1] hops")
        self.ptr, self.link, self.lat, self.ft, self.maxft = ptr, link, lat, ft, maxft
        self.fpm, self.syn_op, self.n_routes = fpm, syn_op, maxft.shape[0]


def noc_step(int cycle, const double[::1] updates, const double[::1] active,
             const int64_t[::1] costs, const int64_t[:, ::1] packets,
             const int64_t[::1] ready_in, const int64_t[::1] route, Routes routes,
             int64_t[::1] link_flits):
    """One timestep of the mesh timing model. See ``reference.noc_step``."""
    cdef Py_ssize_t n = updates.shape[0], P = packets.shape[0], k, h, q, nw = 0
    cdef const int64_t[:, ::1] pk = packets
    cdef double ua = <double>costs[0], ui = <double>costs[1], so = <double>costs[2]
    cdef int64_t f, start, now, seq = 0, events = 0, r, sumlat, d
    cdef const int64_t[::1] r_ptr = routes.ptr, r_link = routes.link, r_lat = routes.lat
    cdef const int64_t[::1] r_ft = routes.ft, r_maxft = routes.maxft
    cdef int64_t fpm = routes.fpm, syn_op = routes.syn_op, n_routes = routes.n_routes

    if route.shape[0] != P:
        raise ValueError(f"noc_step: route has {route.shape[0]} entries for {P} batches")
    for k in range(P):
        r = route[k]
        if r < 0 or r >= n_routes:
            raise ValueError(f"noc_step: batch {k} has route {r}, not in the table")
    # each core's update time: a x active + (n - a) x inactive + messages sent x spike_out
    sent_a = np.zeros(n, np.float64)
    cdef double[::1] sent = sent_a
    U_a = np.empty(n, np.int64)
    cdef int64_t[::1] U = U_a
    for k in range(P):
        if pk[k, 0] < n:
            sent[pk[k, 0]] += <double>pk[k, 2]
    for k in range(n):
        U[k] = <int64_t>(active[k] * ua + (updates[k] - active[k]) * ui + sent[k] * so)
    ready_a = np.empty(P, np.int64)
    cdef int64_t[::1] ready = ready_a
    for k in range(P):
        if ready_in.shape[0]:
            ready[k] = ready_in[k]
        else:
            ready[k] = U[pk[k, 0]] if pk[k, 0] < n else 0
    arrival_a = np.zeros(P, np.int64)
    cdef int64_t[::1] arrival = arrival_a
    finish_a = U_a.copy()
    busy_a = U_a.copy()
    last_a = np.empty(n, np.int64)
    cdef int64_t[::1] finish = finish_a, busy = busy_a, last = last_a
    for k in range(n):
        last[k] = -1
    # heap of pending hop events (one per batch at most)
    cdef Ev* heap = <Ev*>malloc(max(P, 1) * sizeof(Ev))
    cdef Ev ev
    cdef Py_ssize_t hsize = 0
    if heap == NULL:
        raise MemoryError("noc_step: out of memory")
    # first hops in (ready, batch) order: batch order is their scheduling order
    with_hops = np.empty(P if cycle else 0, np.int64)
    cdef int64_t[::1] wh = with_hops
    if cycle:
        for k in range(P):
            r = route[k]
            if r_ptr[r + 1] > r_ptr[r]:
                wh[nw] = k
                nw += 1
        with_hops = with_hops[:nw]
    perm = np.argsort(ready_a[with_hops], kind="stable") if cycle else np.zeros(0, np.int64)
    cdef const int64_t[::1] init = with_hops[perm].astype(np.int64) if cycle else perm
    cdef const int64_t[::1] iseq = perm.astype(np.int64, copy=False)
    cdef Py_ssize_t ii = 0, n_init = init.shape[0]
    cdef int64_t n_links = link_flits.shape[0]
    free_a = np.zeros(n_links if cycle else 1, np.int64)  # link-free times (cycle mode)
    cdef int64_t[::1] link_free = free_a

    with nogil:
        if not cycle:
            for k in range(P):
                f = pk[k, 2] * fpm
                r = route[k]
                now = ready[k]
                if r_ptr[r + 1] > r_ptr[r]:
                    sumlat = 0
                    for q in range(r_ptr[r], r_ptr[r + 1]):
                        sumlat += r_lat[q]
                        link_flits[r_link[q]] += f
                    now += sumlat + r_maxft[r] * f
                arrival[k] = now
        else:
            # link-free times start at 0 every step: the NoC is empty at the barrier. First hops
            # come from the pre-sorted list (scheduling order = batch order), later hops from
            # the heap; the next event is the smaller (time, scheduling order) of the two.
            for k in range(P):
                r = route[k]
                if r_ptr[r + 1] == r_ptr[r]:
                    arrival[k] = ready[k]
            seq = n_init
            while hsize > 0 or ii < n_init:
                if ii < n_init and (hsize == 0 or ready[init[ii]] < heap[0].t or (
                        ready[init[ii]] == heap[0].t and iseq[ii] < heap[0].s)):
                    k = init[ii]
                    now = ready[k]
                    h = 0
                    ii += 1
                else:
                    now = heap[0].t
                    k = heap[0].k
                    h = heap[0].h
                    _pop(heap, &hsize)
                events += 1
                r = route[k]
                q = r_ptr[r] + h
                f = pk[k, 2] * fpm
                start = now if now > link_free[r_link[q]] else link_free[r_link[q]]
                link_free[r_link[q]] = start + r_ft[q] * f
                link_flits[r_link[q]] += f
                if q + 1 < r_ptr[r + 1]:
                    ev.t = start + r_lat[q]
                    ev.s = seq
                    ev.k = k
                    ev.h = h + 1
                    _push(heap, &hsize, ev)
                    seq += 1
                else:
                    arrival[k] = start + r_lat[q] + r_maxft[r] * f

    free(heap)
    if P > 1:
        order = np.argsort(arrival_a, kind="stable")  # (arrival, index) order
    else:
        order = np.arange(P, dtype=np.int64)
    cdef const int64_t[::1] od = order.astype(np.int64, copy=False)
    with nogil:
        for q in range(P):
            k = od[q]
            d = pk[k, 1]
            f = pk[k, 3] * syn_op
            start = arrival[k] if arrival[k] > finish[d] else finish[d]
            finish[d] = start + f
            busy[d] += f
            last[d] = k
    return U_a, arrival_a, finish_a, last_a, busy_a, int(events)
