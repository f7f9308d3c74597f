"""NumPy twin of ``_step.pyx``: ``NetStep``: every core's update, emission, delivery and
record for many steps in one call."""

from __future__ import annotations

import numpy as np

from . import neurons as _neurons

__all__ = ["ADAPTERS", "KERNELS", "GroupStep", "NetStep", "register_step", "step_models"]

KERNELS = ("NetStep", "GroupStep", "register_step", "step_models")
"""The names the compiled step module also defines."""

ADAPTERS = dict(_neurons.STEP_ADAPTERS)
"""Kernel name -> twin adapter ``adapter(arrays, params) -> update(inp, step)``: the table the
step dispatches over (the built-ins from :data:`.neurons.STEP_ADAPTERS`, others through
``kernels.register_step``)."""


def register_step(name, adapter):
    """Make ``adapter`` the twin adapter of kernel ``name``."""
    if not callable(adapter):
        raise TypeError(f"register_step({name!r}): the adapter must be callable")
    ADAPTERS[name] = adapter


def step_models():
    """Kernel names a :class:`NetStep` group may use."""
    return tuple(ADAPTERS)


def _adapter(name):
    fn = ADAPTERS.get(name)
    if fn is None:
        raise ValueError(
            f"NetStep: no compiled loop for {name!r}; registered: {', '.join(ADAPTERS)}"
        )
    return fn


def GroupStep(name, arrays, params):
    """``update(inp, step) -> (changed, spikes, overflows)`` of one group (its native
    descriptor's kernel ``name``, ``arrays`` and ``params``) through its adapter."""
    return _adapter(name)(arrays, params)


class NetStep:
    """A whole timestep of every core in one call, and many steps in one call.

    ``NetStep(net, groups, columns)``: ``net`` a :class:`NetDeliver` over the same cores' rings
    and spike buffers; ``groups[g] = (core, acc_offset, name, arrays, params)``, a group of
    neurons of core ``core`` reading accumulators ``acc_offset ..`` of its ring row, updated by
    kernel ``name`` through its adapter (:data:`ADAPTERS`); ``columns`` = the counter-table columns
    ``(changed, spikes, overflows)``.

    One step t (table row i): every group reads ring slot ``t % depth`` of its core and
    updates (core order, then group order); each core's changed / spikes / overflows are set
    to its groups' sums; every core's slot is cleared; ``net(t, i, ...)`` emits and delivers;
    the record copies each ``src`` into ``out[i, lo:lo + n]`` (:meth:`set_record`).
    ``run(t0, i0, steps, table, batches, used, per_step)`` runs steps ``t0 ..`` into rows
    ``i0 ..`` of ``table`` (steps, n_cores, ncol), appending batches to ``batches`` from row
    ``used`` and stopping early when fewer than ``capacity`` rows are left; returns ``(steps
    done, rows used)``.
    """

    def __init__(self, net, groups, columns):
        self.net = net
        self.columns = tuple(columns)
        self.groups = []
        for core, acc_off, name, arrays, params in groups:
            fn = GroupStep(name, arrays, params)
            self.groups.append((core, acc_off, net.tables[core][6], fn))
        self.records = []
        self.spike_items, self.spike_bufs = [], []

    def set_record(self, items):
        self.records = list(items)

    def set_spike_record(self, items, n_pops):
        """Record spikes as events: ``items`` are ``(pop, lo, src)``; each step i appends
        ``(i, lo + j, src[j])`` for every nonzero ``src[j]`` to population ``pop``'s buffer.
        Empties the buffers."""
        items = [it for it in items if it[2].shape[0]]
        for pop, lo, src in items:
            if not 0 <= pop < n_pops or lo < 0 or lo > 2**31 - 1 - src.shape[0]:
                raise ValueError("NetStep.set_spike_record: population or slice out of range")
        self.spike_items = items
        self.spike_bufs = [[] for _ in range(n_pops)]

    def spike_events(self, pop):
        """Population ``pop``'s recorded events: int32 ``(n, 3)`` rows ``(step, neuron,
        payload)``, in record order."""
        if not 0 <= pop < len(self.spike_bufs):
            raise ValueError(f"NetStep.spike_events: no population {pop}")
        parts = self.spike_bufs[pop]
        return np.concatenate(parts) if parts else np.zeros((0, 3), np.int32)

    def _record_spikes(self, i):
        for pop, lo, src in self.spike_items:
            j = np.flatnonzero(src)
            if j.size:
                ev = np.empty((j.size, 3), np.int32)
                ev[:, 0] = i
                ev[:, 1] = lo + j
                ev[:, 2] = src[j]
                self.spike_bufs[pop].append(ev)

    def _update(self, t, counters):
        chg, spk, ovf = self.columns
        counters[:, [chg, spk, ovf]] = 0
        for core, a, ring, fn in self.groups:
            r = fn(ring[t % ring.shape[0], a:], t)
            counters[core, chg] += r[0]
            counters[core, spk] += r[1]
            counters[core, ovf] += r[2]
        for table in self.net.tables:
            ring = table[6]
            ring[t % ring.shape[0]] = 0

    def run(self, t0, i0, steps, table, batches, used, per_step):
        cap = self.net.capacity
        k = 0
        while k < steps and used + cap <= batches.shape[0]:
            t, i = t0 + k, i0 + k
            self._update(t, table[i])
            P = self.net(t, i, table[i], batches[used : used + cap])
            per_step[i] = P
            used += P
            for out, lo, src in self.records:
                out[i, lo : lo + src.shape[0]] = src
            self._record_spikes(i)
            k += 1
        return k, used
