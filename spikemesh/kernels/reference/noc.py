"""NumPy twin of ``_noc.pyx``: one timestep of the mesh timing model."""

from __future__ import annotations

import numpy as np

from ._common import _I64

__all__ = ["KERNELS", "Routes", "link_order", "noc_run", "noc_step"]

KERNELS = ("noc_step", "noc_run", "Routes")
"""The names ``_noc.pyx`` also defines."""

# ---------------------------------------------------------------- network-on-chip engine


class Routes:
    """A route table as the engine reads it: route r's hops are ``ptr[r] <= q < ptr[r+1]``
    with directed link ``link[q]``, head latency ``lat[q]`` and flit time ``ft[q]``;
    ``maxft[r]`` is the slowest hop's flit time (time units); ``fpm`` flits per spike message
    and ``syn_op`` time units per synaptic event. Built once per table
    (:class:`spikemesh.noc.RouteTable`)."""

    def __init__(self, ptr, link, lat, ft, maxft, fpm, syn_op, n_links):
        if len(ptr) < 1 or len(maxft) != len(ptr) - 1:
            raise ValueError("Routes: ptr must have one entry more than maxft")
        if not len(link) == len(lat) == len(ft) == int(ptr[-1]):
            raise ValueError("Routes: link, lat and ft must hold ptr[-1] hops")
        bad = np.flatnonzero((np.asarray(link) < 0) | (np.asarray(link) >= n_links))
        if bad.size:
            raise ValueError(f"Routes: hop {bad[0]} uses link {link[bad[0]]} (links: {n_links})")
        self.ptr, self.link, self.lat, self.ft, self.maxft = ptr, link, lat, ft, maxft
        self.fpm, self.syn_op, self.n_routes = int(fpm), int(syn_op), len(maxft)
        self.n_links = int(n_links)
        self._order = link_order(np.asarray(ptr), np.asarray(link), self.n_links)
        self.acyclic = self._order is not None

    def link_order(self):
        """The links in a topological order of the routes' hops (None: they form a cycle).
        The compiled engine times a step one link at a time in this order when there is one;
        this twin always runs the event queue (the same numbers)."""
        return None if self._order is None else self._order.copy()


def link_order(ptr, link, n_links):
    """A topological order of the links the routes use (edges: each route's consecutive hops),
    or None when they have a cycle (Kahn's algorithm)."""
    if link.size == 0:
        return np.zeros(0, np.int64)
    ptr = np.asarray(ptr, np.int64)
    link = np.asarray(link, np.int64)
    has_next = np.ones(link.size, bool)
    has_next[ptr[1:][np.diff(ptr) > 0] - 1] = False  # a route's last hop has no successor
    q = np.flatnonzero(has_next)
    e = np.unique(link[q] * max(int(n_links), 1) + link[q + 1])  # distinct (from, to) edges
    edges = np.stack([e // max(int(n_links), 1), e % max(int(n_links), 1)], axis=1)
    used = np.unique(link)
    indeg = np.zeros(n_links, np.int64)
    np.add.at(indeg, edges[:, 1], 1)
    order_e = np.argsort(edges[:, 0], kind="stable")
    src = edges[order_e, 0]
    dst = edges[order_e, 1]
    start = np.searchsorted(src, np.arange(n_links + 1))
    ready = [int(x) for x in used if indeg[x] == 0]
    out = []
    while ready:
        x = ready.pop()
        out.append(x)
        for y in dst[start[x] : start[x + 1]].tolist():
            indeg[y] -= 1
            if indeg[y] == 0:
                ready.append(y)
    if len(out) != used.size:
        return None
    return np.array(out, np.int64)


def noc_step(cycle, updates, active, costs, packets, ready_in, route, routes, link_flits):
    """One timestep of the mesh timing model (twin of the SimPy model in
    :mod:`spikemesh.emulator.timing`, which is its readable specification).

    Parameters
    ----------
    cycle : int
        1: link contention (every directed link carries one flit per cycle; batches that share
        a link queue FIFO by head arrival, ties by scheduling order); 0: contention-free.
    updates, active : float64[n_cores]
        Neuron updates and active updates of each core this step.
    costs : int64[3]
        ``neuron_update_active, neuron_update_inactive, spike_out`` in time units (1/RES cycle).
    packets : int64[P, 4]
        Message batches ``(src, dst, messages, synaptic events)``: source (index into the
        sources: cores first, then inputs), destination core.
    ready_in : int64[P] or int64[0]
        When each batch leaves; empty: at its core's update time ``U[src]`` (0 for inputs).
    route : int64[P]
        Each batch's route in the route table.
    routes : Routes
        The route table (:class:`Routes`: hops, latencies, flit times; flits per message and
        time units per synaptic event).
    link_flits : int64[n_links]
        Flits per directed link; added to.

    Returns
    -------
    (U, arrival, finish, last, busy, events)
        Each core's update time ``U = a x active + (n - a) x inactive + messages sent x
        spike_out``; the arrival (tail) time of every batch; per core the finish time, the index
        of the last batch it processed (-1: none) and its busy time (update + synaptic work);
        the number of hop events processed (cycle mode; 0 otherwise).

    Notes
    -----
    A batch of ``m`` messages is ``f = m * fpm`` flits and follows its route. Each hop: the head
    reaches the link's router, enters when the link is free, holds it ``flit_time * f``, and
    reaches the next router ``latency`` later; the tail arrives ``max(flit_time) * f`` after
    the head's last hop (cut-through). Link-free times start at 0 every step. At the
    destination, after the core's own update, batches are processed in (arrival, index) order,
    each taking ``syn * syn_op``.
    """
    import heapq

    if routes.n_links != len(link_flits):
        raise ValueError(
            f"noc: the route table is for {routes.n_links} links, link_flits has {len(link_flits)}"
        )
    fpm, syn_op = routes.fpm, routes.syn_op
    r_ptr, r_link, r_lat, r_ft, r_maxft = (
        routes.ptr,
        routes.link,
        routes.lat,
        routes.ft,
        routes.maxft,
    )
    n = updates.shape[0]
    packets = np.asarray(packets, _I64).reshape(-1, 4)
    src, dst, msgs, syn = (packets[:, j] for j in range(4))
    P = src.shape[0]
    if len(route) != P:
        raise ValueError(f"noc: route has {len(route)} entries for {P} batches")
    for k in range(P):
        if not 0 <= int(route[k]) < routes.n_routes:
            raise ValueError(f"noc: batch {k} has route {int(route[k])}, not in the table")
    ua, ui, so = (float(c) for c in costs)
    sent = np.zeros(n)
    for k in range(P):
        if src[k] < n:
            sent[src[k]] += float(msgs[k])
    U = np.array([int(active[c] * ua + (updates[c] - active[c]) * ui + sent[c] * so)
                  for c in range(n)], _I64).reshape(n)  # fmt: skip
    if len(ready_in):
        ready = [int(r) for r in ready_in]
    else:
        ready = [int(U[s]) if s < n else 0 for s in src.tolist()]
    arrival = np.zeros(P, _I64)
    paths = []
    for k in range(P):
        r = int(route[k])
        hops = [(int(r_link[q]), int(r_lat[q]), int(r_ft[q]))
                for q in range(int(r_ptr[r]), int(r_ptr[r + 1]))]  # fmt: skip
        paths.append((hops, int(r_maxft[r])))
    events = 0
    if not cycle:
        for k, (hops, maxft) in enumerate(paths):
            f = int(msgs[k]) * fpm
            a = ready[k]
            if hops:
                a += sum(h[1] for h in hops) + maxft * f
                for link, _, _ in hops:
                    link_flits[link] += f
            arrival[k] = a
    else:
        free: dict = {}
        heap: list = []
        seq = 0
        for k, (hops, _) in enumerate(paths):
            if hops:
                heap.append((ready[k], seq, k, 0))
                seq += 1
            else:
                arrival[k] = ready[k]
        heapq.heapify(heap)
        while heap:
            now, _, k, h = heapq.heappop(heap)
            events += 1
            hops, maxft = paths[k]
            link, lat, ft = hops[h]
            f = int(msgs[k]) * fpm
            start = max(now, free.get(link, 0))
            free[link] = start + ft * f
            link_flits[link] += f
            if h + 1 < len(hops):
                heapq.heappush(heap, (start + lat, seq, k, h + 1))
                seq += 1
            else:
                arrival[k] = start + lat + maxft * f
    finish = U.copy()
    busy = U.copy()
    last = np.full(n, -1, _I64)
    for k in np.argsort(arrival, kind="stable").tolist():  # (arrival, index) order
        d = int(dst[k])
        work = int(syn[k]) * syn_op
        finish[d] = max(int(arrival[k]), int(finish[d])) + work
        busy[d] += work
        last[d] = k
    return U, arrival, finish, last, busy, events


def noc_run(cycle, updates, active, costs, packets, per_step, route, routes, link_flits,
            threads=1):  # fmt: skip
    """Every step of a run: step i is :func:`noc_step` over ``updates[i]``, ``active[i]`` and
    its ``per_step[i]`` batches (in order in ``packets`` / ``route``), each leaving at its
    core's update time. Returns ``(ends, busy, events)``: per step the largest finish time of
    any core (time units), every core's busy time ``(steps, n_cores)`` and the hop events
    processed in all. ``threads`` only shares the steps among threads in the compiled kernel
    (steps are independent: the NoC is empty at every barrier); the numbers do not change."""
    steps, n = updates.shape
    per_step = np.asarray(per_step, _I64)
    if active.shape != updates.shape or per_step.shape[0] != steps:
        raise ValueError("noc_run: updates, active and per_step must cover the same steps")
    if (per_step < 0).any() or int(per_step.sum()) != len(packets):
        raise ValueError(
            f"noc_run: per_step sums to {int(per_step.sum())} for {len(packets)} batches"
        )
    ends = np.zeros(steps, _I64)
    busy = np.zeros((steps, n), _I64)
    events, off, none = 0, 0, np.zeros(0, _I64)
    for i in range(steps):
        j = off + int(per_step[i])
        _, _, finish, _, b, e = noc_step(cycle, updates[i], active[i], costs, packets[off:j],
                                         none, route[off:j], routes, link_flits)  # fmt: skip
        ends[i] = int(finish.max()) if n else 0
        busy[i] = b
        events += e
        off = j
    return ends, busy, events
