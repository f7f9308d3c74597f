# cython: language_level=3
"""The compiled step: every core's update, emission, delivery and record, many steps per call.
Specification: ``reference/step.py``.

NetStep names no neuron model: each group carries generic slots and a pointer to its model's
adapter, looked up by kernel name in :data:`ADAPTERS` (built from ``_neuron_loops.pxd``'s
``builtin_adapters`` and :func:`register_step`). What it needs from delivery (``NetDeliver``'s
cores and its emit/deliver/flush phases) is declared in ``_synapses.pxd``."""

from ._types cimport acc_t, state_t, weight_t, int64_t
from ._neuron_loops cimport (GroupTab, Tally, adapter_t, builtin_adapters, ADAPTER_CAPSULE)
from ._synapses cimport NetDeliver, CoreTab
from cpython.pycapsule cimport PyCapsule_IsValid, PyCapsule_GetPointer
from libc.stdlib cimport free, calloc, realloc
from libc.stdint cimport int32_t
from libc.string cimport memcpy, memset
from cython.parallel cimport prange

import numpy as np


MAX_PARAMS = 12
MAX_REGS = 4

ADAPTERS = {}
"""Kernel name -> adapter capsule: the compiled step's table of function pointers, one per
model (the built-ins from ``_neuron_loops.pxd``; others via :func:`register_step`)."""


def register_step(str name, capsule):
    """Make ``capsule`` (a PyCapsule named ``"spikemesh.step_adapter"`` holding an
    ``adapter_t``, see ``_neuron_loops.pxd``) the compiled adapter of kernel ``name``."""
    if not PyCapsule_IsValid(capsule, ADAPTER_CAPSULE):
        raise TypeError(f"register_step({name!r}): not a {ADAPTER_CAPSULE!r} capsule")
    ADAPTERS[name] = capsule


def step_models():
    """Kernel names a :class:`NetStep` group may use."""
    return tuple(ADAPTERS)


for _name, _cap in builtin_adapters():
    register_step(_name, _cap)


cdef adapter_t _adapter(str name) except? NULL:
    cap = ADAPTERS.get(name)
    if cap is None:
        raise ValueError(f"NetStep: no compiled loop for {name!r}; registered: "
                         f"{', '.join(ADAPTERS)}")
    return <adapter_t>PyCapsule_GetPointer(cap, ADAPTER_CAPSULE)


cdef int _fill_group(GroupTab* gt, Py_ssize_t core, int64_t acc_off, str name, arrays,
                     params) except -1:
    """One group's slots from its native descriptor (``emulator/models.py``): int32 registers
    in order, one int64 array, one int16 table, the parameters; the spike buffer last."""
    cdef state_t[::1] a
    cdef const int64_t[::1] b
    cdef const weight_t[:, ::1] w
    cdef Py_ssize_t k, nr = 0
    gt.fn = _adapter(name)
    gt.core = core
    gt.acc_off = acc_off
    if len(params) > MAX_PARAMS:
        raise ValueError(f"NetStep: {name!r} has {len(params)} parameters (at most {MAX_PARAMS})")
    for k in range(len(params)):  # uint64 values (the seed) as their int64 bits
        gt.p[k] = params[k] - (1 << 64) if params[k] >= (1 << 63) else params[k]
    *state, spikes = arrays
    for arr in state:
        if arr.ndim == 2:
            w = arr
            gt.arrw = &w[0, 0]
        elif arr.dtype == np.int64:
            b = arr
            gt.arr64 = &b[0]
        else:
            if nr == MAX_REGS:
                raise ValueError(f"NetStep: {name!r} has more than {MAX_REGS} state registers")
            a = arr
            gt.regs[nr] = &a[0]
            nr += 1
    a = spikes
    gt.spikes = &a[0]
    gt.n = a.shape[0]
    return 0


cdef class GroupStep:
    """``update(inp, step) -> (changed, spikes, overflows)`` of one group through its compiled
    adapter: the per-step path of a model that has a native descriptor (twin:
    ``reference.group_step``)."""
    cdef GroupTab gt
    cdef list _keep

    def __init__(self, str name, arrays, params):
        self._keep = [arrays, params]
        memset(&self.gt, 0, sizeof(GroupTab))
        _fill_group(&self.gt, 0, 0, name, arrays, params)

    def __call__(self, const acc_t[::1] inp, int64_t step):
        cdef Tally r
        cdef const acc_t* p = &inp[0] if inp.shape[0] else NULL
        with nogil:
            r = self.gt.fn(<void*>&self.gt, p, step)
        return r.changed, r.spikes, r.overflows


cdef struct RecTab:
    state_t* out           # (steps, width) int32, row-major
    int64_t width
    int64_t lo
    Py_ssize_t n
    const state_t* src


cdef struct SpkTab:
    Py_ssize_t pop         # index of the population's event buffer
    int32_t lo             # the slice's first neuron in its population
    Py_ssize_t n
    const state_t* src


cdef struct SpkBuf:
    int32_t* ev            # (step, neuron, payload) triples
    Py_ssize_t n           # triples held
    Py_ssize_t cap


cdef int _spk_room(SpkBuf* b, Py_ssize_t more) noexcept nogil:
    """Room for ``more`` triples (doubling). -1: out of memory (the buffer is kept)."""
    cdef Py_ssize_t c = b.cap if b.cap else 64
    cdef int32_t* p
    if b.n + more <= b.cap:
        return 0
    while c < b.n + more:
        c *= 2
    p = <int32_t*>realloc(b.ev, c * 3 * sizeof(int32_t))
    if p == NULL:
        return -1
    b.ev = p
    b.cap = c
    return 0


cdef class NetStep:
    """A whole timestep of every core -- update, emission and delivery, counters, spike and
    probe record -- in one compiled call, and many steps in one call. See ``reference.NetStep``
    (the specification)."""
    cdef NetDeliver net
    cdef GroupTab* groups
    cdef RecTab* recs
    cdef SpkTab* spk
    cdef SpkBuf* bufs
    cdef Py_ssize_t n_groups, n_recs, n_spk, n_bufs
    cdef int spk_failed
    cdef int chg_col, spk_col, ovf_col
    cdef list _keep
    cdef list _rec_keep

    def __cinit__(self):
        self.groups = NULL
        self.recs = NULL
        self.spk = NULL
        self.bufs = NULL
        self.n_spk = 0
        self.n_bufs = 0

    def __init__(self, NetDeliver net, groups, columns):
        cdef Py_ssize_t g
        groups = list(groups)
        self.net = net
        self.n_groups = len(groups)
        self.n_recs = 0
        self._keep = groups
        self._rec_keep = []
        self.chg_col, self.spk_col, self.ovf_col = columns
        self.groups = <GroupTab*>calloc(max(self.n_groups, 1), sizeof(GroupTab))
        if not self.groups:
            raise MemoryError("NetStep: out of memory")
        for g in range(self.n_groups):
            core, acc_off, name, arrays, params = groups[g]
            _fill_group(&self.groups[g], core, acc_off, name, arrays, params)

    def __dealloc__(self):
        free(self.groups)
        free(self.recs)
        self._free_spikes()

    cdef void _free_spikes(self) noexcept:
        cdef Py_ssize_t b
        for b in range(self.n_bufs):
            free(self.bufs[b].ev)
        free(self.bufs)
        free(self.spk)
        self.bufs = NULL
        self.spk = NULL
        self.n_bufs = 0
        self.n_spk = 0

    def set_spike_record(self, items, Py_ssize_t n_pops):
        """Record spikes as events: ``items`` are ``(pop, lo, src)``; each step i appends
        ``(i, lo + j, src[j])`` for every nonzero ``src[j]`` to population ``pop``'s buffer
        (``0 <= pop < n_pops``; items in order, j ascending). Empties the buffers."""
        cdef Py_ssize_t r
        cdef const state_t[::1] sv
        items = [it for it in items if it[2].shape[0]]
        self._free_spikes()
        self.spk = <SpkTab*>calloc(max(len(items), 1), sizeof(SpkTab))
        self.bufs = <SpkBuf*>calloc(max(n_pops, 1), sizeof(SpkBuf))
        if not self.spk or not self.bufs:
            raise MemoryError("NetStep: out of memory")
        self.n_bufs = n_pops
        self.n_spk = len(items)
        self.spk_failed = 0
        self._rec_keep = list(self._rec_keep) + items
        for r in range(self.n_spk):
            pop, lo, src = items[r]
            if not 0 <= pop < n_pops or lo < 0 or lo > 2**31 - 1 - src.shape[0]:
                raise ValueError("NetStep.set_spike_record: population or slice out of range")
            sv = src
            self.spk[r].pop = pop
            self.spk[r].lo = lo
            self.spk[r].n = sv.shape[0]
            self.spk[r].src = &sv[0]

    def spike_events(self, Py_ssize_t pop):
        """Population ``pop``'s recorded events: int32 ``(n, 3)`` rows ``(step, neuron,
        payload)``, in record order (a copy)."""
        if not 0 <= pop < self.n_bufs:
            raise ValueError(f"NetStep.spike_events: no population {pop}")
        cdef SpkBuf* b = &self.bufs[pop]
        out = np.empty((b.n, 3), np.int32)
        cdef int32_t[:, ::1] o = out
        if b.n:
            memcpy(&o[0, 0], b.ev, b.n * 3 * sizeof(int32_t))
        return out

    def set_record(self, items):
        """``items``: ``(out, lo, src)`` -- each step i copies ``src`` (int32, length n) into
        ``out[i, lo:lo + n]`` (``out`` C-contiguous int32 (steps, width))."""
        cdef Py_ssize_t r
        cdef state_t[:, ::1] o
        cdef const state_t[::1] sv
        items = [it for it in items if it[2].shape[0]]
        free(self.recs)
        self.recs = <RecTab*>calloc(max(len(items), 1), sizeof(RecTab))
        if not self.recs:
            raise MemoryError("NetStep: out of memory")
        self.n_recs = len(items)
        self._rec_keep = items
        for r in range(self.n_recs):
            out, lo, src = items[r]
            o = out
            sv = src
            if lo < 0 or lo + sv.shape[0] > o.shape[1]:
                raise ValueError("NetStep.set_record: slice out of range")
            self.recs[r].out = &o[0, 0] if o.shape[0] else NULL
            self.recs[r].width = o.shape[1]
            self.recs[r].lo = lo
            self.recs[r].n = sv.shape[0]
            self.recs[r].src = &sv[0]

    cdef void _update(self, int64_t t, int64_t* counters, Py_ssize_t ncol, int part,
                      int parts) noexcept nogil:
        """Update every group of the cores of thread ``part`` of ``parts`` (all when parts ==
        1) from ring slot t, set those cores' counters, clear their slot."""
        cdef Py_ssize_t g, c
        cdef GroupTab* gt
        cdef CoreTab* ct
        cdef Tally r
        cdef acc_t* inp
        cdef int64_t* row
        for c in range(self.net.n_cores):
            if parts == 1 or self.net.cores[c].owner == part:
                row = counters + c * ncol
                row[self.chg_col] = 0
                row[self.spk_col] = 0
                row[self.ovf_col] = 0
        for g in range(self.n_groups):
            gt = &self.groups[g]
            ct = &self.net.cores[gt.core]
            if parts > 1 and ct.owner != part:
                continue
            inp = ct.ring + (t % ct.depth) * ct.stride + gt.acc_off
            r = gt.fn(<void*>gt, inp, t)
            row = counters + gt.core * ncol
            row[self.chg_col] += r.changed
            row[self.spk_col] += r.spikes
            row[self.ovf_col] += r.overflows
        for c in range(self.net.n_cores):
            ct = &self.net.cores[c]
            if ct.ring != NULL and (parts == 1 or ct.owner == part):
                memset(ct.ring + (t % ct.depth) * ct.stride, 0, ct.stride * sizeof(acc_t))

    cdef void _record(self, int64_t i) noexcept nogil:
        cdef Py_ssize_t r, j, j0, m
        cdef RecTab* rt
        cdef SpkTab* st
        cdef SpkBuf* b
        cdef const state_t* v
        cdef int32_t* e
        cdef state_t any16
        for r in range(self.n_recs):
            rt = &self.recs[r]
            memcpy(rt.out + i * rt.width + rt.lo, rt.src, rt.n * sizeof(state_t))
        for r in range(self.n_spk):
            st = &self.spk[r]
            b = &self.bufs[st.pop]
            v = st.src
            j0 = 0
            while j0 < st.n:  # silent runs of 16 skipped with one OR (vectorized)
                m = st.n - j0 if st.n - j0 < 16 else 16
                any16 = 0
                for j in range(m):
                    any16 = any16 | v[j0 + j]
                if any16:
                    if _spk_room(b, m) < 0:
                        self.spk_failed = 1
                        return
                    e = b.ev + 3 * b.n
                    for j in range(j0, j0 + m):
                        if v[j] != 0:
                            e[0] = <int32_t>i
                            e[1] = st.lo + <int32_t>j
                            e[2] = v[j]
                            e += 3
                    b.n = (e - b.ev) // 3
                j0 += m

    def run(self, int64_t t0, int64_t i0, int64_t steps, int64_t[:, :, ::1] table,
            int64_t[:, ::1] batches, int64_t used, int64_t[::1] per_step):
        """Steps ``t0 .. t0 + steps - 1`` into rows ``i0 ..`` of ``table`` (steps, n_cores,
        ncol), the record (:meth:`set_record`) and ``per_step``; batches appended to
        ``batches`` from row ``used``. Stops early when ``batches`` has no room for another
        full step (``capacity`` rows). Returns ``(steps done, rows used)``."""
        cdef int64_t k, P, cap = self.net.capacity, rows = batches.shape[0]
        cdef Py_ssize_t ncol = table.shape[2]
        cdef int64_t* cnt
        cdef int64_t* pk
        if table.shape[1] != self.net.n_cores or batches.shape[1] != 4:
            raise ValueError("NetStep.run: table must be (steps, n_cores, ncol), batches (rows, 4)")
        if i0 < 0 or i0 + steps > table.shape[0] or i0 + steps > per_step.shape[0]:
            raise ValueError("NetStep.run: steps out of range of the table")
        cdef int T = self.net.threads, j
        k = 0
        with nogil:
            while k < steps and used + cap <= rows:
                cnt = &table[i0 + k, 0, 0] if self.net.n_cores else NULL
                self.net._begin(t0 + k)
                if T == 1:
                    self._update(t0 + k, cnt, ncol, 0, 1)
                    self.net._deliver(i0 + k, 0, 1)
                else:  # two parallel phases: every spike of step t exists before delivery
                    for j in prange(T, num_threads=T, schedule="static", chunksize=1):
                        self._update(t0 + k, cnt, ncol, j, T)
                    for j in prange(T, num_threads=T, schedule="static", chunksize=1):
                        self.net._deliver(i0 + k, j, T)
                P = self.net._flush(cnt, ncol, &batches[used, 0]) if cap else 0
                per_step[i0 + k] = P
                used += P
                self._record(i0 + k)
                k += 1
                if self.spk_failed:
                    break
        if self.spk_failed:
            raise MemoryError(f"NetStep.run: out of memory recording the spikes of step {t0 + k - 1}")
        return k, used
