# cython: language_level=3, boundscheck=False, wraparound=False
# A toy neuron loop and its adapter, compiled outside spikemesh (docs/extending.md, recipe 1).
# Built by tests/test_extending.py into a temporary folder.
from spikemesh.kernels._neuron_loops cimport GroupTab, Tally
from spikemesh.kernels._types cimport acc_t, state_t, int64_t
from cpython.pycapsule cimport PyCapsule_New


cdef Tally shift_leak_step(void* g_, const acc_t* inp, int64_t t) noexcept nogil:
    cdef GroupTab* g = <GroupTab*>g_
    cdef Tally r
    cdef Py_ssize_t i
    cdef int64_t v, x, vth = g.p[0], sh = g.p[1], vmin = g.p[2], vmax = g.p[3]
    r.changed = 0
    r.spikes = 0
    r.overflows = 0
    for i in range(g.n):
        v = g.regs[0][i]
        x = v + inp[i] - (v >> sh)
        if x > vmax:
            x = vmax
            r.overflows += 1
        elif x < vmin:
            x = vmin
            r.overflows += 1
        if x >= vth:
            x -= vth
            g.spikes[i] = 1
            r.spikes += 1
        else:
            g.spikes[i] = 0
        if x != v:
            r.changed += 1
        g.regs[0][i] = <state_t>x
    return r


def adapter():
    return PyCapsule_New(<void*>shift_leak_step, "spikemesh.step_adapter", NULL)
