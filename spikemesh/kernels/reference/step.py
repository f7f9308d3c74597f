"""NumPy twin of ``NetStep`` (``_synapses.pyx``): every core's update, emission, delivery and
record for many steps in one call."""

from __future__ import annotations

from . import neurons as _neurons

__all__ = ["KERNELS", "NATIVE_LAYOUT", "NATIVE_MODELS", "NetStep", "native_update"]

KERNELS = ("NetStep",)
"""The names the compiled step module also defines."""

# ---------------------------------------------------------------- the whole step loop

NATIVE_LAYOUT = {
    "cuba_lif_update": (("u", "v", "ref", "bias", "spikes"),
                        ("du", "dv", "vth", "refract_delay", "vmin", "vmax")),
    "cuba_lif_subtract_update": (("u", "v", "bias", "spikes"), ("du", "dv", "vth", "vmin", "vmax")),
    "if_update": (("v", "bias", "spikes"),
                  ("vth", "vmin", "vmax", "leak", "cap", "bipolar", "reset_zero")),
    "smooth_if_update": (("v", "vbar", "bias", "spikes"),
                         ("vth", "vmin", "vmax", "leak", "cap", "bipolar", "reset_zero", "alpha")),
    "truenorth_update": (("v", "weights", "spikes"),
                         ("leak", "leak_reversal", "stochastic_leak", "stochastic_synapse_mask",
                          "alpha", "beta", "negative_reset", "reset_mode", "reset_value",
                          "threshold_mask", "seed", "id_offset")),
}  # fmt: skip
"""Per neuron kernel a :class:`NetStep` group may use: the arrays (int32 state and spike
buffers of length n, ``bias`` int64, TrueNorth ``weights`` int16 (n, 4)) and the integer
parameters of its group descriptor, in order (the kernel's own argument order)."""

NATIVE_MODELS = tuple(NATIVE_LAYOUT)


def native_update(fns, name, arrays, params):
    """``update(inp, step) -> (changed, spikes, overflows)`` of one group descriptor
    (:data:`NATIVE_LAYOUT`), calling kernel ``name`` from the namespace ``fns``."""
    fn = getattr(fns, name)
    if name == "truenorth_update":
        v, weights, spikes = arrays
        head, (seed, id_offset) = tuple(params[:10]), params[10:]
        n = v.shape[0]

        def update(inp, step):  # the PRN is keyed by (seed, step, neuron)
            return fn(inp.reshape(n, 4), v, weights, *head, seed, step, id_offset, spikes)

        return update
    *state, spikes = arrays
    args = (*state, *params, spikes)

    def update(inp, step):
        return fn(inp, *args)

    return update


class NetStep:
    """A whole timestep of every core in one call, and many steps in one call.

    ``NetStep(net, groups, columns)``: ``net`` a :class:`NetDeliver` over the same cores' rings
    and spike buffers; ``groups[g] = (core, acc_offset, name, arrays, params)``, a group of
    neurons of core ``core`` reading accumulators ``acc_offset ..`` of its ring row, updated by
    kernel ``name`` (:data:`NATIVE_LAYOUT`); ``columns`` = the counter-table columns
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
            if name not in NATIVE_LAYOUT:
                raise ValueError(f"NetStep: no compiled loop for {name!r}")
            n = arrays[-1].shape[0]
            width = 4 if name == "truenorth_update" else 1
            ring = net.tables[core][6]
            fn = native_update(_neurons, name, arrays, params)
            self.groups.append((core, acc_off, acc_off + n * width, ring, fn))
        self.records = []

    def set_record(self, items):
        self.records = list(items)

    def _update(self, t, counters):
        chg, spk, ovf = self.columns
        counters[:, [chg, spk, ovf]] = 0
        for core, a, b, ring, fn in self.groups:
            r = fn(ring[t % ring.shape[0], a:b], t)
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
            k += 1
        return k, used
