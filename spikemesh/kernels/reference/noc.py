"""NumPy twin of ``_noc.pyx``: one timestep of the mesh timing model."""

from __future__ import annotations

import numpy as np

from ._common import _I64

__all__ = ["KERNELS", "noc_step"]

KERNELS = ("noc_step",)
"""The names ``_noc.pyx`` also defines."""

# ---------------------------------------------------------------- network-on-chip engine


def noc_step(cycle, updates, active, costs, packets, ready_in, pos_x, pos_y, geometry, link_flits):
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
    pos_x, pos_y : int64[n_sources]
        Tile of every source.
    geometry : int64[10]
        ``width, tiles_x, tiles_y, lat_ew, lat_ns, lat_chip, ft_chip, res, flits_per_message,
        syn_op`` (latencies and flit times in time units; a normal link's flit time is res).
    link_flits : int64[width * height * 4]
        Flits per directed link ``(y * width + x) * 4 + dir`` (E, W, N, S); added to.

    Returns
    -------
    (U, arrival, finish, last, busy, events)
        Each core's update time ``U = a x active + (n - a) x inactive + messages sent x
        spike_out``; the arrival (tail) time of every batch; per core the finish time, the index
        of the last batch it processed (-1: none) and its busy time (update + synaptic work);
        the number of hop events processed (cycle mode; 0 otherwise).

    Notes
    -----
    A batch of ``m`` messages is ``f = m * flits_per_message`` flits and is routed XY (x first).
    Each hop: the head reaches the link's router, enters when the link is free, holds it
    ``flit_time * f``, and reaches the next router ``latency`` later; the tail arrives
    ``max(flit_time) * f`` after the head's last hop (cut-through). Link-free times start at 0
    every step. At the destination, after the core's own update, batches are processed in
    (arrival, index) order, each taking ``syn * syn_op``.
    """
    import heapq

    width, tiles_x, tiles_y, lat_ew, lat_ns, lat_chip, ft_chip, res, fpm, syn_op = (
        int(g) for g in geometry
    )
    n = updates.shape[0]
    packets = np.asarray(packets, _I64).reshape(-1, 4)
    src, dst, msgs, syn = (packets[:, j] for j in range(4))
    P = src.shape[0]
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
        s, d = int(src[k]), int(dst[k])
        x, y, x1, y1 = int(pos_x[s]), int(pos_y[s]), int(pos_x[d]), int(pos_y[d])
        hops = []
        while x != x1 or y != y1:
            if x != x1:
                dr, nx, ny = (0, x + 1, y) if x1 > x else (1, x - 1, y)
                lat = lat_ew
            else:
                dr, nx, ny = (2, x, y + 1) if y1 > y else (3, x, y - 1)
                lat = lat_ns
            cross = nx // tiles_x != x // tiles_x or ny // tiles_y != y // tiles_y
            hops.append(((y * width + x) * 4 + dr, lat_chip if cross else lat,
                         ft_chip if cross else res))  # fmt: skip
            x, y = nx, ny
        paths.append(hops)
    events = 0
    if not cycle:
        for k, hops in enumerate(paths):
            f = int(msgs[k]) * fpm
            a = ready[k]
            if hops:
                a += sum(h[1] for h in hops) + max(h[2] for h in hops) * f
                for link, _, _ in hops:
                    link_flits[link] += f
            arrival[k] = a
    else:
        free: dict = {}
        heap: list = []
        seq = 0
        for k, hops in enumerate(paths):
            if hops:
                heap.append((ready[k], seq, k, 0))
                seq += 1
            else:
                arrival[k] = ready[k]
        heapq.heapify(heap)
        while heap:
            now, _, k, h = heapq.heappop(heap)
            events += 1
            hops = paths[k]
            link, lat, ft = hops[h]
            f = int(msgs[k]) * fpm
            start = max(now, free.get(link, 0))
            free[link] = start + ft * f
            link_flits[link] += f
            if h + 1 < len(hops):
                heapq.heappush(heap, (start + lat, seq, k, h + 1))
                seq += 1
            else:
                arrival[k] = start + lat + max(x[2] for x in hops) * f
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
