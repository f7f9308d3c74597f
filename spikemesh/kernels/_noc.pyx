# cython: language_level=3
"""Compiled network-on-chip engine. Specification: ``reference.noc_step`` (itself the twin of
the SimPy model in ``spikemesh.emulator.timing``): same events, same FIFO-by-head-arrival rule
(ties in scheduling order), same integer time units.

``noc_run`` times every step of a run in one call (no Python per step; work arrays allocated
once); ``noc_step`` times one step (with given ready times). When the route table's links form
no cycle, cycle mode times a step link by link in a topological order (``_links_pass``, see
"link by link" below); otherwise pending hop events sit in a calendar queue: a ring of 4,096 buckets, each 32 shortest hop latencies wide (each a 4-ary heap on (time,
scheduling order)) covering the next ``NB`` buckets, and an overflow heap beyond it, so a push
or a pop touches one small bucket instead of a heap over every batch in flight."""

import numpy as np

from .reference.noc import link_order  # (plain NumPy, run once per route table)

from libc.stdint cimport int64_t, int32_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, calloc, realloc, free, qsort
from libc.string cimport memset
from cython.parallel cimport prange
from ._types cimport prefetch


cdef struct Ev:
    int64_t t      # time the head reaches the router
    int32_t s      # scheduling order (ties: first scheduled first, as in SimPy)
    int32_t k      # batch
    int32_t q      # hop (index into the route table's hops)
    int32_t qend   # one past the batch's last hop
    int32_t f      # flits of the batch
    int32_t maxft  # the route's slowest flit time (the tail's lag behind the head)
    int32_t link   # hop q's link, latency and flit time, carried (read when the event is made,
    int32_t lat    # off the critical path, not when it is processed)
    int32_t ft
    int32_t pad


cdef struct HopKind:
    int32_t lat    # head latency (time units)
    int32_t ft     # time units per flit


# A hop is 4 bytes: its link (upper 24 bits) and the index of its (latency, flit time) pair in
# the route table's small kind table (lower 8 bits): a board's hops fit the L2 cache.
cdef inline int32_t _hop_link(uint32_t h) noexcept nogil:
    return <int32_t>(h >> 8)


cdef inline uint32_t _hop_kind(uint32_t h) noexcept nogil:
    return h & 255


cdef struct Key:
    int64_t key
    int64_t k


cdef inline bint _before(const Ev* a, const Ev* b) noexcept nogil:
    return a.t < b.t or (a.t == b.t and a.s < b.s)


cdef int _cmp_key(const void* a, const void* b) noexcept nogil:
    cdef const Key* x = <const Key*>a
    cdef const Key* y = <const Key*>b
    if x.key != y.key:
        return -1 if x.key < y.key else 1
    return -1 if x.k < y.k else (1 if x.k > y.k else 0)


cdef void _sort_keys(Key* a, Key* tmp, Py_ssize_t n) noexcept nogil:
    """Sort ``a`` by (key, k), stably: an LSD radix sort on key - min(key), 11 bits a pass,
    only as many passes as the range needs (qsort below 512 entries). Every k is distinct and
    ``a`` is in k order on entry, so stability gives the (key, k) order."""
    cdef Py_ssize_t i, p
    cdef int64_t lo, hi, shift
    cdef Py_ssize_t cnt[2048]
    cdef Py_ssize_t acc, c
    cdef Key* src = a
    cdef Key* dst = tmp
    cdef Key* sw
    cdef int passes = 0
    if n < 512:
        qsort(a, n, sizeof(Key), _cmp_key)
        return
    lo = a[0].key
    hi = a[0].key
    for i in range(1, n):
        if a[i].key < lo:
            lo = a[i].key
        if a[i].key > hi:
            hi = a[i].key
    shift = 0
    while shift < 64 and ((<uint64_t>(hi - lo)) >> shift) != 0:
        memset(cnt, 0, sizeof(cnt))
        for i in range(n):
            cnt[((<uint64_t>(src[i].key - lo)) >> shift) & 2047] += 1
        acc = 0
        for c in range(2048):
            p = cnt[c]
            cnt[c] = acc
            acc += p
        for i in range(n):
            c = ((<uint64_t>(src[i].key - lo)) >> shift) & 2047
            dst[cnt[c]] = src[i]
            cnt[c] += 1
        sw = src
        src = dst
        dst = sw
        shift += 11
        passes += 1
    if passes & 1:
        for i in range(n):
            a[i] = src[i]


cdef inline void _hpush(Ev* heap, Py_ssize_t* size, Ev e) noexcept nogil:
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


cdef inline void _hpop(Ev* heap, Py_ssize_t* size) noexcept nogil:
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


# ---------------------------------------------------------------- the calendar queue
cdef enum:
    NB = 4096  # buckets in the ring (a power of two)


cdef struct Bucket:
    Ev* a
    Py_ssize_t n
    Py_ssize_t cap


cdef struct Cal:
    Bucket* ring
    int64_t width      # time units per bucket
    int64_t cur        # bucket number of the earliest pending event (ring holds [cur, cur+NB))
    Py_ssize_t count   # events in the ring
    Ev* over           # overflow heap: events at or beyond bucket cur + NB
    Py_ssize_t n_over
    Py_ssize_t cap_over
    int failed         # out of memory while moving overflow events in (the step must fail)


cdef int _grow(Ev** a, Py_ssize_t* cap, Py_ssize_t need) noexcept nogil:
    cdef Py_ssize_t c = cap[0] if cap[0] else 4
    cdef Ev* p
    if need <= cap[0]:
        return 0
    while c < need:
        c *= 2
    p = <Ev*>realloc(a[0], c * sizeof(Ev))
    if p == NULL:
        return -1
    a[0] = p
    cap[0] = c
    return 0


cdef int _cal_push(Cal* q, const Ev* ep) noexcept nogil:
    """Add ``*ep`` (its time is at or after the earliest pending event's bucket). -1: no
    memory."""
    cdef Ev e = ep[0]
    cdef int64_t b = e.t // q.width
    cdef Bucket* bk
    if b < q.cur + NB:
        bk = &q.ring[b & (NB - 1)]
        if _grow(&bk.a, &bk.cap, bk.n + 1):
            return -1
        _hpush(bk.a, &bk.n, e)
        q.count += 1
    else:
        if _grow(&q.over, &q.cap_over, q.n_over + 1):
            return -1
        _hpush(q.over, &q.n_over, e)
    return 0


cdef int _cal_migrate(Cal* q) noexcept nogil:
    """Move overflow events that now fall inside the ring's window into it."""
    cdef Ev e
    cdef Bucket* bk
    while q.n_over > 0 and q.over[0].t // q.width < q.cur + NB:
        e = q.over[0]
        _hpop(q.over, &q.n_over)
        bk = &q.ring[(e.t // q.width) & (NB - 1)]
        if _grow(&bk.a, &bk.cap, bk.n + 1):
            return -1
        _hpush(bk.a, &bk.n, e)
        q.count += 1
    return 0


cdef Ev* _cal_min(Cal* q) noexcept nogil:
    """The earliest pending event (it stays queued), or NULL when none is left (or, with
    ``q.failed`` set, when memory ran out)."""
    cdef Bucket* bk
    while True:
        bk = &q.ring[q.cur & (NB - 1)]
        if bk.n:
            return &bk.a[0]
        if q.count == 0:
            if q.n_over == 0:
                return NULL
            q.cur = q.over[0].t // q.width
        else:
            q.cur += 1
        if _cal_migrate(q):
            q.failed = 1
            return NULL


cdef inline void _cal_pop(Cal* q) noexcept nogil:
    """Remove the event _cal_min returned."""
    cdef Bucket* bk = &q.ring[q.cur & (NB - 1)]
    _hpop(bk.a, &bk.n)
    q.count -= 1


cdef void _cal_free(Cal* q) noexcept nogil:
    cdef Py_ssize_t b
    if q.ring != NULL:
        for b in range(NB):
            free(q.ring[b].a)
        free(q.ring)
    free(q.over)
    q.ring = NULL
    q.over = NULL


# ---------------------------------------------------------------- link by link
# When the route table's links form no cycle (each route's consecutive hops are the edges:
# XY and YX routing on a mesh never do), a step is timed one link at a time, in a topological
# order of the links: every head that will reach a link has arrived before the link serves
# any. Each link's heads are sorted by the event engine's own order -- head arrival, then
# scheduling order, which is the order in which their previous hops were processed (first hops
# first, by batch index) -- and served FIFO; each served head is appended to the next link's
# list. Same events, same FIFO rule, same integer times as the event queue, with sequential
# memory traffic instead of a priority queue.
cdef struct Hv:
    int64_t t      # time the head reaches the router
    int32_t k      # batch
    int32_t q      # hop (index into the route table's hops)
    int32_t qend   # one past the batch's last hop
    int32_t f      # flits
    int32_t maxft  # the route's slowest flit time
    int32_t lat    # this hop's latency and flit time
    int32_t ft
    int32_t plink  # the previous hop's link and its position there (-1: a first hop)
    int32_t ppos


cdef struct LinkVec:
    Hv* a
    Py_ssize_t n
    Py_ssize_t cap


cdef inline int _hv_cmp(const Hv* a, const Hv* b, const LinkVec* lv) noexcept nogil:
    """-1 when ``a`` comes first in the event engine's (time, scheduling order): by time; at
    equal times a first hop before any later hop, first hops by batch index, later hops in the
    order of their previous hops (compared the same way, back along both routes)."""
    while True:
        if a.t != b.t:
            return -1 if a.t < b.t else 1
        if a.plink < 0 or b.plink < 0:
            if a.plink >= 0:
                return 1
            if b.plink >= 0:
                return -1
            return -1 if a.k < b.k else (1 if a.k > b.k else 0)
        a = &lv[a.plink].a[a.ppos]
        b = &lv[b.plink].a[b.ppos]


cdef void _hv_sort(Hv* a, Hv* tmp, Py_ssize_t n, const LinkVec* lv) noexcept nogil:
    """Sort ``a`` by :func:`_hv_cmp`: a natural merge sort (a link's list is a few sorted runs,
    one per input port and injecting core)."""
    cdef Py_ssize_t i, j, m, e, x, y, o
    cdef Hv* src = a
    cdef Hv* dst = tmp
    cdef Hv* sw
    cdef int done
    if n < 2:
        return
    while True:
        i = 0
        done = 0
        while i < n:
            m = i + 1
            while m < n and _hv_cmp(&src[m - 1], &src[m], lv) <= 0:
                m += 1
            if i == 0 and m == n:
                done = 1
                break
            e = m
            if e < n:
                e = m + 1
                while e < n and _hv_cmp(&src[e - 1], &src[e], lv) <= 0:
                    e += 1
            x = i
            y = m
            o = i
            while x < m and y < e:
                if _hv_cmp(&src[y], &src[x], lv) < 0:
                    dst[o] = src[y]
                    y += 1
                else:
                    dst[o] = src[x]
                    x += 1
                o += 1
            while x < m:
                dst[o] = src[x]
                x += 1
                o += 1
            while y < e:
                dst[o] = src[y]
                y += 1
                o += 1
            i = e
        if done:
            break
        sw = src
        src = dst
        dst = sw
    if src != a:
        for j in range(n):
            a[j] = src[j]


cdef inline int _lv_push(LinkVec* v, const Hv* h) noexcept nogil:
    cdef Py_ssize_t c
    cdef Hv* p
    if v.n == v.cap:
        c = v.cap * 2 if v.cap else 16
        p = <Hv*>realloc(v.a, c * sizeof(Hv))
        if p == NULL:
            return -1
        v.a = p
        v.cap = c
    v.a[v.n] = h[0]
    v.n += 1
    return 0


# ---------------------------------------------------------------- one step
cdef struct Work:
    # per core
    double* sent
    int64_t* U
    int64_t* finish
    int64_t* busy
    int64_t* last
    # per batch (sized for the largest step)
    int64_t* ready
    int64_t* arrival
    Key* keys
    Key* keys_tmp
    # per link (cycle mode): free time, and the links touched this step (to clear them)
    int64_t* link_free
    char* touched
    int64_t* touched_list
    Py_ssize_t n_touched
    Cal cal
    # per link (link-by-link pass): the heads reaching it, and a merge buffer
    LinkVec* lv
    Py_ssize_t n_lv
    Hv* tmp
    Py_ssize_t cap_tmp


cdef int _work_alloc(Work* w, Py_ssize_t n, Py_ssize_t P, Py_ssize_t n_links,
                     int64_t width) noexcept nogil:
    memset(w, 0, sizeof(Work))
    w.sent = <double*>malloc((n + 1) * sizeof(double))
    w.U = <int64_t*>malloc((n + 1) * sizeof(int64_t))
    w.finish = <int64_t*>malloc((n + 1) * sizeof(int64_t))
    w.busy = <int64_t*>malloc((n + 1) * sizeof(int64_t))
    w.last = <int64_t*>malloc((n + 1) * sizeof(int64_t))
    w.ready = <int64_t*>malloc((P + 1) * sizeof(int64_t))
    w.arrival = <int64_t*>malloc((P + 1) * sizeof(int64_t))
    w.keys = <Key*>malloc((P + 1) * sizeof(Key))
    w.keys_tmp = <Key*>malloc((P + 1) * sizeof(Key))
    w.link_free = <int64_t*>calloc(n_links + 1, sizeof(int64_t))
    w.touched = <char*>calloc(n_links + 1, sizeof(char))
    w.touched_list = <int64_t*>malloc((n_links + 1) * sizeof(int64_t))
    w.cal.ring = <Bucket*>calloc(NB, sizeof(Bucket))
    w.cal.width = width
    w.lv = <LinkVec*>calloc(n_links + 1, sizeof(LinkVec))
    w.n_lv = n_links
    if not (w.sent and w.U and w.finish and w.busy and w.last and w.ready and w.arrival
            and w.keys and w.keys_tmp and w.link_free and w.touched and w.touched_list and w.cal.ring
            and w.lv):
        return -1
    return 0


cdef void _work_free(Work* w) noexcept nogil:
    free(w.sent)
    free(w.U)
    free(w.finish)
    free(w.busy)
    free(w.last)
    free(w.ready)
    free(w.arrival)
    free(w.keys)
    free(w.keys_tmp)
    free(w.link_free)
    free(w.touched)
    free(w.touched_list)
    _cal_free(&w.cal)
    cdef Py_ssize_t j
    if w.lv != NULL:
        for j in range(w.n_lv):
            free(w.lv[j].a)
        free(w.lv)
    free(w.tmp)
    w.lv = NULL
    w.tmp = NULL


cdef int64_t _links_pass(Work* w, Py_ssize_t P, const int64_t* pk, const int64_t* route,
                         const int64_t* r_ptr, const uint32_t* hops, const HopKind* kinds,
                         const int64_t* r_maxft, int64_t fpm, int64_t* link_flits,
                         const int32_t* topo, Py_ssize_t n_topo) noexcept nogil:
    """Cycle mode, one link at a time (see "link by link" above). Returns the hop events, -1
    when out of memory."""
    cdef Py_ssize_t k, i, j
    cdef int64_t r, start, lf, events = 0, fl
    cdef int32_t L, nl
    cdef uint32_t hp
    cdef Hv h
    cdef Hv* e
    cdef LinkVec* v
    cdef LinkVec* lv = w.lv
    cdef Hv* p
    for j in range(n_topo):
        lv[topo[j]].n = 0
    for k in range(P):  # first hops, in batch order
        r = route[k]
        if r_ptr[r + 1] == r_ptr[r]:
            w.arrival[k] = w.ready[k]
            continue
        hp = hops[r_ptr[r]]
        h.t = w.ready[k]
        h.k = <int32_t>k
        h.q = <int32_t>r_ptr[r]
        h.qend = <int32_t>r_ptr[r + 1]
        h.f = <int32_t>(pk[4 * k + 2] * fpm)
        h.maxft = <int32_t>r_maxft[r]
        h.lat = kinds[_hop_kind(hp)].lat
        h.ft = kinds[_hop_kind(hp)].ft
        h.plink = -1
        h.ppos = 0
        if _lv_push(&lv[_hop_link(hp)], &h):
            return -1
    for j in range(n_topo):
        L = topo[j]
        v = &lv[L]
        if v.n == 0:
            continue
        if v.n > w.cap_tmp:
            p = <Hv*>realloc(w.tmp, v.n * sizeof(Hv))
            if p == NULL:
                return -1
            w.tmp = p
            w.cap_tmp = v.n
        _hv_sort(v.a, w.tmp, v.n, lv)
        lf = 0
        fl = 0
        for i in range(v.n):
            e = &v.a[i]
            start = e.t if e.t > lf else lf
            lf = start + <int64_t>e.ft * e.f
            fl += e.f
            if e.q + 1 < e.qend:
                hp = hops[e.q + 1]
                h.t = start + e.lat
                h.k = e.k
                h.q = e.q + 1
                h.qend = e.qend
                h.f = e.f
                h.maxft = e.maxft
                h.lat = kinds[_hop_kind(hp)].lat
                h.ft = kinds[_hop_kind(hp)].ft
                h.plink = L
                h.ppos = <int32_t>i
                nl = _hop_link(hp)
                if _lv_push(&lv[nl], &h):  # (nl != L: the push never moves v's list)
                    return -1
            else:
                w.arrival[e.k] = start + e.lat + <int64_t>e.maxft * e.f
        events += v.n
        link_flits[L] += fl
    return events


cdef int64_t _step(Work* w, int cycle, Py_ssize_t n, const double* updates,
                   const double* active, const int64_t* costs, const int64_t* pk, Py_ssize_t P,
                   const int64_t* ready_in, const int64_t* route, const int64_t* r_ptr,
                   const uint32_t* hops, const HopKind* kinds, const int64_t* r_maxft,
                   int64_t fpm, int64_t syn_op,
                   int64_t* link_flits, const int32_t* topo, Py_ssize_t n_topo) noexcept nogil:
    """One step into ``w`` (U, arrival, finish, last, busy). Returns the hop events processed,
    -1 when out of memory, -2 when a step has 2**31 hop events or more. ``topo``: the links in
    a topological order (NULL: the links have a cycle; the calendar queue is used)."""
    cdef Py_ssize_t k, q, c
    cdef int64_t f, start, now, seq, events = 0, r, sumlat, d, link, lf
    cdef uint32_t hp
    cdef double ua = <double>costs[0], ui = <double>costs[1], so = <double>costs[2]
    cdef Ev ev
    cdef Ev* top
    cdef Cal* cal = &w.cal
    for c in range(n):
        w.sent[c] = 0.0
    for k in range(P):
        if pk[4 * k] < n:
            w.sent[pk[4 * k]] += <double>pk[4 * k + 2]
    for c in range(n):
        w.U[c] = <int64_t>(active[c] * ua + (updates[c] - active[c]) * ui + w.sent[c] * so)
        w.finish[c] = w.U[c]
        w.busy[c] = w.U[c]
        w.last[c] = -1
    for k in range(P):
        if ready_in != NULL:
            w.ready[k] = ready_in[k]
        else:
            w.ready[k] = w.U[pk[4 * k]] if pk[4 * k] < n else 0
    if not cycle:
        for k in range(P):
            f = pk[4 * k + 2] * fpm
            r = route[k]
            now = w.ready[k]
            if r_ptr[r + 1] > r_ptr[r]:
                sumlat = 0
                for q in range(r_ptr[r], r_ptr[r + 1]):
                    sumlat += kinds[_hop_kind(hops[q])].lat
                    link_flits[_hop_link(hops[q])] += f
                now += sumlat + r_maxft[r] * f
            w.arrival[k] = now
    elif topo != NULL:
        events = _links_pass(w, P, pk, route, r_ptr, hops, kinds, r_maxft, fpm, link_flits,
                             topo, n_topo)
        if events < 0:
            return events
    else:
        # every batch's first hop is queued at its ready time, its scheduling order its index
        # (later hops come after every first hop: seq >= P); link-free times start at 0 every
        # step (the NoC is empty at the barrier)
        cal.count = 0
        cal.n_over = 0
        cal.failed = 0
        cal.cur = -1
        for k in range(P):  # the window starts at the earliest first hop
            r = route[k]
            if r_ptr[r + 1] > r_ptr[r] and (cal.cur < 0 or w.ready[k] // cal.width < cal.cur):
                cal.cur = w.ready[k] // cal.width
        for k in range(P):
            r = route[k]
            if r_ptr[r + 1] == r_ptr[r]:
                w.arrival[k] = w.ready[k]
                continue
            ev.t = w.ready[k]
            ev.s = <int32_t>k
            ev.k = <int32_t>k
            ev.q = <int32_t>r_ptr[r]
            ev.qend = <int32_t>r_ptr[r + 1]
            ev.f = <int32_t>(pk[4 * k + 2] * fpm)
            ev.maxft = <int32_t>r_maxft[r]
            hp = hops[ev.q]
            ev.link = _hop_link(hp)
            ev.lat = kinds[_hop_kind(hp)].lat
            ev.ft = kinds[_hop_kind(hp)].ft
            if _cal_push(cal, &ev):
                return -1
        seq = P
        while True:
            top = _cal_min(cal)
            if top == NULL:
                if cal.failed:
                    return -1
                break
            ev = top[0]
            _cal_pop(cal)
            events += 1
            f = ev.f
            link = ev.link
            if not w.touched[link]:
                w.touched[link] = 1
                w.touched_list[w.n_touched] = link
                w.n_touched += 1
                w.link_free[link] = 0
            lf = w.link_free[link]
            start = ev.t if ev.t > lf else lf
            w.link_free[link] = start + <int64_t>ev.ft * f
            link_flits[link] += f
            if ev.q + 1 < ev.qend:
                if seq >= 2147483647:
                    return -2
                ev.t = start + ev.lat
                ev.s = <int32_t>seq
                ev.q += 1
                seq += 1
                hp = hops[ev.q]
                ev.link = _hop_link(hp)
                ev.lat = kinds[_hop_kind(hp)].lat
                ev.ft = kinds[_hop_kind(hp)].ft
                if ev.q + 1 < ev.qend:
                    prefetch(&hops[ev.q + 1])  # read when this event is processed
                if _cal_push(cal, &ev):
                    return -1
            else:
                w.arrival[ev.k] = start + ev.lat + <int64_t>ev.maxft * f
        for q in range(w.n_touched):
            w.touched[w.touched_list[q]] = 0
        w.n_touched = 0
    # destinations: their own update first, then batches in (arrival, index) order
    for k in range(P):
        w.keys[k].key = w.arrival[k]
        w.keys[k].k = k
    if P > 1:
        _sort_keys(w.keys, w.keys_tmp, P)
    for q in range(P):
        k = w.keys[q].k
        d = pk[4 * k + 1]
        f = pk[4 * k + 3] * syn_op
        start = w.arrival[k] if w.arrival[k] > w.finish[d] else w.finish[d]
        w.finish[d] = start + f
        w.busy[d] += f
        w.last[d] = k
    return events


cdef class Routes:
    """A route table as the engine reads it (see ``reference.Routes``): built once per table,
    so a step passes one object instead of five arrays."""
    cdef const int64_t[::1] ptr, link, lat, ft, maxft
    cdef readonly int64_t fpm, syn_op, n_routes, n_links, width
    cdef uint32_t* hops  # every hop: link << 8 | kind (4 bytes)
    cdef HopKind kinds[256]
    cdef readonly int n_kinds
    cdef int32_t* topo   # the links in a topological order (NULL: they have a cycle)
    cdef readonly Py_ssize_t n_topo
    cdef readonly bint acyclic

    def __cinit__(self):
        self.hops = NULL
        self.topo = NULL

    def __dealloc__(self):
        free(self.hops)
        free(self.topo)

    def __init__(self, const int64_t[::1] ptr, const int64_t[::1] link, const int64_t[::1] lat,
                 const int64_t[::1] ft, const int64_t[::1] maxft, int64_t fpm, int64_t syn_op,
                 int64_t n_links):
        cdef Py_ssize_t q
        cdef int64_t lo = 0
        if ptr.shape[0] < 1 or maxft.shape[0] != ptr.shape[0] - 1:
            raise ValueError("Routes: ptr must have one entry more than maxft")
        if link.shape[0] != ptr[ptr.shape[0] - 1] or lat.shape[0] != link.shape[0] or ft.shape[0] != link.shape[0]:
            raise ValueError("Routes: link, lat and ft must hold ptr[-1] hops")
        for q in range(link.shape[0]):
            if link[q] < 0 or link[q] >= n_links:
                raise ValueError(f"Routes: hop {q} uses link {link[q]} (links: {n_links})")
            if lat[q] > 0 and (lo == 0 or lat[q] < lo):
                lo = lat[q]
        self.ptr, self.link, self.lat, self.ft, self.maxft = ptr, link, lat, ft, maxft
        self.fpm, self.syn_op, self.n_routes = fpm, syn_op, maxft.shape[0]
        self.n_links = n_links
        # calendar buckets 32 shortest hop latencies wide: a board step spans ~1,700 of them
        # (the ring's headers stay in cache; a bucket holds a few hundred events, a small heap)
        self.width = (lo if lo > 0 else 1000) * 32
        if link.shape[0] >= 2**31 or n_links >= 2**24:
            raise ValueError(f"Routes: {link.shape[0]} hops over {n_links} links (the engine "
                             "holds at most 2**31 hops and 2**24 links)")
        self.hops = <uint32_t*>malloc((link.shape[0] + 1) * sizeof(uint32_t))
        if self.hops == NULL:
            raise MemoryError("Routes: out of memory")
        lat_a, ft_a = np.asarray(lat), np.asarray(ft)
        bad = np.flatnonzero((lat_a < 0) | (lat_a >= 2**31) | (ft_a < 0) | (ft_a >= 2**31))
        if bad.size:
            q = bad[0]
            raise ValueError(f"Routes: hop {q} has latency {lat[q]} or flit time {ft[q]} "
                             "outside 0..2**31-1 time units")
        uk, inv = np.unique(lat_a * 2**31 + ft_a, return_inverse=True)
        if uk.size > 256:
            raise ValueError("Routes: more than 256 distinct (latency, flit time) hops; "
                             "the engine packs a hop into 4 bytes")
        cdef int kd
        for kd in range(uk.size):
            self.kinds[kd].lat = <int32_t>(uk[kd] >> 31)
            self.kinds[kd].ft = <int32_t>(uk[kd] & (2**31 - 1))
        cdef const int64_t[::1] kv = np.ascontiguousarray(inv.reshape(-1), np.int64)
        for q in range(link.shape[0]):
            self.hops[q] = (<uint32_t>link[q] << 8) | <uint32_t>kv[q]
        self.n_kinds = uk.size
        order = link_order(np.asarray(ptr), np.asarray(link), n_links)
        self.acyclic = order is not None
        self.n_topo = 0
        if order is not None:
            self.topo = <int32_t*>malloc((len(order) + 1) * sizeof(int32_t))
            if self.topo == NULL:
                raise MemoryError("Routes: out of memory")
            for q in range(len(order)):
                self.topo[q] = <int32_t>order[q]
            self.n_topo = len(order)

    def link_order(self):
        """The links the engine times one at a time, in that order (None: the routes' links
        form a cycle, and the calendar queue times the steps)."""
        if not self.acyclic:
            return None
        return np.array([self.topo[q] for q in range(self.n_topo)], np.int64)


def noc_step(int cycle, const double[::1] updates, const double[::1] active,
             const int64_t[::1] costs, const int64_t[:, ::1] packets,
             const int64_t[::1] ready_in, const int64_t[::1] route, Routes routes,
             int64_t[::1] link_flits):
    """One timestep of the mesh timing model. See ``reference.noc_step``."""
    cdef Py_ssize_t n = updates.shape[0], P = packets.shape[0], k
    cdef Work w
    cdef int64_t events
    _check(P, route, routes, link_flits)
    _check_flits(packets, routes.fpm)
    if active.shape[0] != n or costs.shape[0] < 3 or (ready_in.shape[0] and ready_in.shape[0] != P):
        raise ValueError("noc_step: active, costs or ready_in has the wrong length")
    for k in range(P):
        if packets[k, 1] < 0 or packets[k, 1] >= n or packets[k, 0] < 0:
            raise ValueError(f"noc_step: batch {k} has destination {packets[k, 1]} (cores: {n})")
    if _work_alloc(&w, n, P, link_flits.shape[0], routes.width):
        _work_free(&w)
        raise MemoryError("noc_step: out of memory")
    with nogil:
        events = _step(&w, cycle, n, &updates[0] if n else NULL, &active[0] if n else NULL,
                       &costs[0], &packets[0, 0] if P else NULL, P,
                       &ready_in[0] if ready_in.shape[0] else NULL,
                       &route[0] if P else NULL, &routes.ptr[0], routes.hops,
                       routes.kinds, _p(routes.maxft), routes.fpm,
                       routes.syn_op, _pm(link_flits), routes.topo, routes.n_topo)
    U, arrival = _copy(w.U, n), _copy(w.arrival, P)
    finish, last, busy = _copy(w.finish, n), _copy(w.last, n), _copy(w.busy, n)
    _work_free(&w)
    _raise(events, "noc_step")
    return U, arrival, finish, last, busy, int(events)


def noc_run(int cycle, const double[:, ::1] updates, const double[:, ::1] active,
            const int64_t[::1] costs, const int64_t[:, ::1] packets,
            const int64_t[::1] per_step, const int64_t[::1] route, Routes routes,
            int64_t[::1] link_flits, int threads=1):
    """Every step of a run in one call. See ``reference.noc_run``.

    Steps are independent (the NoC is empty at every barrier), so with ``threads`` > 1 they are
    shared among threads (OpenMP), each with its own work arrays and link-flit counts, summed
    at the end: the same numbers for any thread count."""
    cdef Py_ssize_t steps = updates.shape[0], n = updates.shape[1], P = packets.shape[0]
    cdef Py_ssize_t i, k, c, off = 0, pmax = 0, L = link_flits.shape[0], j
    cdef int T = threads if threads > 1 else 1, tid
    cdef int64_t e, m, failed = 0
    _check(P, route, routes, link_flits)
    _check_flits(packets, routes.fpm)
    if active.shape[0] != steps or active.shape[1] != n or per_step.shape[0] != steps:
        raise ValueError("noc_run: updates, active and per_step must cover the same steps")
    offs_a = np.zeros(steps + 1, np.int64)
    cdef int64_t[::1] offs = offs_a
    for i in range(steps):
        if per_step[i] < 0:
            raise ValueError(f"noc_run: per_step[{i}] < 0")
        offs[i + 1] = offs[i] + per_step[i]
        if per_step[i] > pmax:
            pmax = per_step[i]
    if offs[steps] != P:
        raise ValueError(f"noc_run: per_step sums to {offs[steps]} for {P} batches")
    for k in range(P):
        if packets[k, 1] < 0 or packets[k, 1] >= n or packets[k, 0] < 0:
            raise ValueError(f"noc_run: batch {k} has destination {packets[k, 1]} (cores: {n})")
    if T > steps:
        T = <int>steps if steps > 0 else 1
    ends_a = np.zeros(steps, np.int64)
    busy_a = np.zeros((steps, n), np.int64)
    events_a = np.zeros(T, np.int64)
    fail_a = np.zeros(T, np.int64)  # per thread (a prange body's assignments are private)
    flits_a = np.zeros((T, L), np.int64)  # each thread's link flits
    cdef int64_t[::1] ends = ends_a, events = events_a, fail = fail_a
    cdef int64_t[:, ::1] busy = busy_a, flits = flits_a
    cdef Work* w = <Work*>calloc(T, sizeof(Work))
    if w == NULL:
        raise MemoryError("noc_run: out of memory")
    for tid in range(T):
        if _work_alloc(&w[tid], n, pmax, L, routes.width):
            failed = 1
    if not failed:
        with nogil:
            for tid in prange(T, num_threads=T, schedule="static", chunksize=1):
                i = tid
                while i < steps:
                    e = _step(&w[tid], cycle, n, &updates[i, 0] if n else NULL,
                              &active[i, 0] if n else NULL, &costs[0],
                              &packets[offs[i], 0] if per_step[i] else NULL, per_step[i], NULL,
                              &route[offs[i]] if per_step[i] else NULL, &routes.ptr[0],
                              routes.hops, routes.kinds, _p(routes.maxft), routes.fpm,
                              routes.syn_op,
                              &flits[tid, 0] if L else NULL, routes.topo, routes.n_topo)
                    if e < 0:
                        fail[tid] = e
                        break
                    events[tid] += e
                    m = 0
                    for c in range(n):
                        busy[i, c] = w[tid].busy[c]
                        if w[tid].finish[c] > m:
                            m = w[tid].finish[c]
                    ends[i] = m
                    i = i + T
    for tid in range(T):
        _work_free(&w[tid])
        if fail[tid] < 0:
            failed = fail[tid]
    free(w)
    if failed:
        _raise(-1 if failed > 0 else failed, "noc_run")
    for tid in range(T):
        for j in range(L):
            link_flits[j] += flits[tid, j]
    return ends_a, busy_a, int(events_a.sum())


cdef inline const int64_t* _p(const int64_t[::1] a) noexcept nogil:
    return &a[0] if a.shape[0] else NULL


cdef inline int64_t* _pm(int64_t[::1] a) noexcept nogil:
    return &a[0] if a.shape[0] else NULL


cdef int _raise(int64_t code, str who) except -1:
    if code == -1:
        raise MemoryError(f"{who}: out of memory")
    if code == -2:
        raise ValueError(f"{who}: a step has 2**31 hop events or more")
    return 0


cdef object _copy(const int64_t* p, Py_ssize_t n):
    out = np.empty(n, np.int64)
    cdef int64_t[::1] o = out
    cdef Py_ssize_t i
    for i in range(n):
        o[i] = p[i]
    return out


cdef int _check(Py_ssize_t P, const int64_t[::1] route, Routes routes,
                int64_t[::1] link_flits) except -1:
    cdef Py_ssize_t k
    cdef int64_t r
    if route.shape[0] != P:
        raise ValueError(f"noc: route has {route.shape[0]} entries for {P} batches")
    if routes.n_links != link_flits.shape[0]:
        raise ValueError(f"noc: the route table is for {routes.n_links} links, link_flits has "
                         f"{link_flits.shape[0]}")
    for k in range(P):
        r = route[k]
        if r < 0 or r >= routes.n_routes:
            raise ValueError(f"noc: batch {k} has route {r}, not in the table")
    if P >= 2**31:
        raise ValueError(f"noc: {P} batches in one call (at most 2**31 - 1)")
    return 0


cdef int _check_flits(const int64_t[:, ::1] packets, int64_t fpm) except -1:
    cdef Py_ssize_t k
    for k in range(packets.shape[0]):
        if packets[k, 2] < 0 or packets[k, 2] * fpm >= 2**31:
            raise ValueError(f"noc: batch {k} carries {packets[k, 2]} messages x {fpm} flits "
                             "(0 .. 2**31 - 1 flits per batch)")
    return 0
