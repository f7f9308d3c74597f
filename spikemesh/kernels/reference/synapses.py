"""NumPy twins of ``_synapses.pyx``'s delivery, emission and grouping kernels."""

from __future__ import annotations

import numpy as np

from ._common import _I64

__all__ = [
    "KERNELS",
    "BoundDeliver",
    "BoundEmit",
    "NetDeliver",
    "deliver",
    "emit_spikes",
    "group_order",
]

KERNELS = ("deliver", "emit_spikes", "BoundDeliver", "BoundEmit", "NetDeliver", "group_order")
"""The names ``_synapses.pyx`` also defines."""

# ---------------------------------------------------------------- synapses and routing


def _expand(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(starts[i], starts[i] + lens[i])`` for all i."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=_I64)
    offsets = np.cumsum(lens) - lens
    return np.repeat(starts - offsets, lens) + np.arange(total, dtype=_I64)


def deliver(axons, payloads, indptr, targets, weights, delays, row_exp, acc_shift, ring, slot0):
    """Fan incoming axon events out through a CSR synapse table into the delay ring.

    Parameters
    ----------
    axons : int32[m]
        Input axon (row) of each event.
    payloads : int32[m]
        Event payload (1 for binary spikes; graded spikes carry an integer; 0 = no event).
    indptr : int64[n_axons + 1]; targets : int32[nnz]; weights : int16[nnz]; delays : uint8[nnz]
        CSR synapse table: synapse j of axon a (``indptr[a] <= j < indptr[a+1]``) adds to
        accumulator ``targets[j]`` after ``delays[j]`` (>= 1) steps.
    row_exp : int8[n_axons]
        Weight exponent per axon (Loihi's per-synapse-group exponent, -8..7).
    acc_shift : int
        Fixed left shift of every weight into accumulator units (6 on Loihi, 0 elsewhere).
    ring : int64[D, n_acc]
        Delay ring, updated in place.
    slot0 : int
        ``t_emit % D``: synapse j writes to slot ``(slot0 + delays[j]) % D``.

    Returns
    -------
    int
        Synaptic events (synapses visited for events with non-zero payload).

    Notes
    -----
    ``ring[(slot0 + d_j) % D, targets[j]] += (shift(W_j, e_a) << acc_shift) * payload`` with
    ``shift(W, e) = W << e`` for e >= 0 and ``floor(W / 2**-e)`` for e < 0, per synapse.
    """
    axons = np.asarray(axons)
    payloads = np.asarray(payloads)
    active = payloads != 0
    a = axons[active].astype(_I64)
    p = payloads[active].astype(_I64)
    starts = indptr[a]
    lens = indptr[a + 1] - starts
    idx = _expand(starts, lens)
    if idx.size == 0:
        return 0
    e = np.repeat(row_exp[a].astype(_I64), lens)
    w = weights[idx].astype(_I64)
    w = np.where(e >= 0, w << np.maximum(e, 0), w >> np.maximum(-e, 0)) << _I64(acc_shift)
    slots = (slot0 + delays[idx].astype(_I64)) % ring.shape[0]
    np.add.at(ring, (slots, targets[idx]), w * np.repeat(p, lens))
    return int(idx.size)


def emit_spikes(spikes, rt_indptr, rt_dest, rt_axon, dest_ptr, out_axon, out_payload):
    """Turn spiking neurons into per-destination-core axon event lists (one packet each).

    Parameters
    ----------
    spikes : int32[n]
        Payload per neuron (0 = no spike).
    rt_indptr : int64[n + 1]; rt_dest : int32[nr]; rt_axon : int32[nr]
        CSR routing table: neuron i sends to (core ``rt_dest[j]``, axon ``rt_axon[j]``) for
        ``rt_indptr[i] <= j < rt_indptr[i+1]``.
    dest_ptr : int64[n_dest + 1]
        Output: events for destination d are ``out_*[dest_ptr[d]:dest_ptr[d+1]]``.
    out_axon, out_payload : int32[>= nr]
        Output event lists, grouped by destination, in (neuron, route) order within each.

    Returns
    -------
    (n_packets, n_events)
        Destinations that receive at least one event, and events written.
    """
    n_dest = dest_ptr.shape[0] - 1
    src = np.flatnonzero(spikes)
    starts = rt_indptr[src]
    lens = rt_indptr[src + 1] - starts
    idx = _expand(starts, lens)
    d = rt_dest[idx]
    order = np.argsort(d, kind="stable")
    per_dest = np.bincount(d, minlength=n_dest)
    dest_ptr[0] = 0
    np.cumsum(per_dest, out=dest_ptr[1:])
    m = idx.size
    out_axon[:m] = rt_axon[idx][order]
    out_payload[:m] = np.repeat(spikes[src], lens)[order]
    return int(np.count_nonzero(per_dest)), int(m)


def group_order(keys, n_groups):
    """Group indices by key, stably: the mapper's post-major synapse order.

    Parameters
    ----------
    keys : int64[n]
        Keys in ``0..n_groups - 1`` (e.g. each synapse's post neuron).
    n_groups : int

    Returns
    -------
    (indptr, order) : int64[n_groups + 1], int32[n]
        ``order[indptr[k]:indptr[k+1]]`` are the indices ``i`` with ``keys[i] == k``, ascending.
    """
    keys = np.asarray(keys, np.int64)
    if keys.size >= 2**31:
        raise ValueError("group_order: at most 2**31 - 1 keys")
    bad = np.flatnonzero((keys < 0) | (keys >= n_groups))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"group_order: key {int(keys[i])} at {i} is outside 0..{n_groups - 1}")
    indptr = np.zeros(n_groups + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=n_groups), out=indptr[1:])
    return indptr, np.argsort(keys, kind="stable").astype(np.int32)


class BoundDeliver:
    """:func:`deliver` with the synapse table and ring bound once (same results)."""

    def __init__(self, indptr, targets, weights, delays, row_exp, acc_shift, ring):
        self._args = (indptr, targets, weights, delays, row_exp, acc_shift, ring)

    def __call__(self, axons, payloads, slot0):
        return deliver(axons, payloads, *self._args, slot0)


class BoundEmit:
    """:func:`emit_spikes` with the routing table and output buffers bound once."""

    def __init__(self, rt_indptr, rt_dest, rt_axon, dest_ptr, out_axon, out_payload):
        self._args = (rt_indptr, rt_dest, rt_axon, dest_ptr, out_axon, out_payload)

    def __call__(self, spikes):
        return emit_spikes(spikes, *self._args)


class NetDeliver:
    """A whole step's emission and delivery for every spike source of a network, in one call.

    ``NetDeliver(tables, routes, spikes, columns)``:

    - ``tables[d]`` = ``(indptr, targets, weights, delays, row_exp, acc_shift, ring)`` of core
      program d (as :class:`BoundDeliver`);
    - ``routes[s]`` = ``(rt_indptr, rt_dest, rt_axon, targets)`` of source s (core programs
      first, then external inputs; ``targets`` the destination cores in ascending order);
    - ``spikes[c]`` = the int32 spike buffer of core program c (read at each call);
    - ``columns`` = the counter-table columns ``(synaptic_events, packets, axon_events)``.

    ``set_inputs(inputs)`` binds, per external input source s (``n_cores + k``), a
    ``(steps, n)`` int32 payload array or None (silent). ``net(t, row, counters, packets)``
    emits the spikes of step ``t`` of every source (core spike buffers, input row ``row``),
    delivers them into the destination rings at slots ``t + delay`` and writes, in source order
    and per source in ascending destination order, one batch ``(src, dst, messages, synaptic
    events)`` per (source, destination) into ``packets`` (int64 ``(capacity, 4)``). Adds
    synaptic events to ``counters[dst, columns[0]]``, sets ``counters[c, columns[1]]`` (batches)
    and ``counters[c, columns[2]]`` (messages) for core sources. Returns the number of batches.
    """

    def __init__(self, tables, routes, spikes, columns):
        self.tables = list(tables)
        self.routes = list(routes)
        self.spikes = list(spikes)
        self.columns = tuple(columns)
        self.n_cores = len(self.tables)
        self.inputs = [None] * (len(self.routes) - self.n_cores)
        self.capacity = sum(len(r[3]) for r in self.routes)
        self.threads = 1
        self.track = False

    def set_inputs(self, inputs):
        self.inputs = list(inputs)

    def refresh(self):
        """The compiled kernel re-reads weights rewritten in place; the twin reads the tables
        at every call, so there is nothing to do."""

    def refresh_at(self, d, pos, axon):
        """The compiled kernel re-reads single weights (True when it could); the twin reads the
        tables at every call."""
        return True

    def set_threads(self, threads):
        """The compiled kernel's thread count; the twin always runs one thread (same result)."""
        if threads < 1:
            raise ValueError(f"NetDeliver.set_threads: threads must be >= 1 (got {threads})")
        self.threads = threads

    def __call__(self, t, row, counters, packets):
        n = self.n_cores
        syn_col, pkt_col, axn_col = self.columns
        P = 0
        for s, (rt_indptr, rt_dest, rt_axon, targets) in enumerate(self.routes):
            if s < n:
                payload = self.spikes[s]
            else:
                x = self.inputs[s - n]
                if x is None:
                    continue
                payload = x[row]
            if not payload.any():
                continue
            dest_ptr = np.zeros(n + 1, _I64)
            out_axon = np.zeros(rt_axon.size, np.int32)
            out_payload = np.zeros(rt_axon.size, np.int32)
            n_p, n_e = emit_spikes(payload, rt_indptr, rt_dest, rt_axon, dest_ptr, out_axon,
                                   out_payload)  # fmt: skip
            if s < n:
                counters[s, pkt_col] = n_p
                counters[s, axn_col] = n_e
            for d in targets:
                a, b = int(dest_ptr[d]), int(dest_ptr[d + 1])
                if b > a:
                    indptr, tg, w, dl, rexp, shift, ring = self.tables[d]
                    ev = deliver(out_axon[a:b], out_payload[a:b], indptr, tg, w, dl, rexp,
                                 shift, ring, t % ring.shape[0])  # fmt: skip
                    counters[d, syn_col] += ev
                    packets[P] = (s, d, b - a, ev)
                    P += 1
        return P
