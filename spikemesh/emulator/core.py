"""The runtime of one core: kernels bound to a synapse table and neuron groups.

:class:`NeuronGroup` holds the state of ``n`` neurons of one model and the kernel that advances
them (bound through :mod:`spikemesh.emulator.models`). :class:`Core` joins a
:class:`~spikemesh.program.SynapseTable` (plain data) to groups: a delay ring of accumulators,
one spike buffer, a bound delivery kernel. Both :func:`run_core` and the
:class:`~spikemesh.Simulator` step cores with the same two calls, in this order:

``Core.update(t)``
    every group reads ring slot ``t % depth`` (the input arriving in step t), updates, and the
    slot is cleared;
``Core.deliver(axons, payloads, t)``
    events emitted in step t (spikes of this step, or external inputs given for step t) are
    added to slots ``t + delay`` -- all in the future, since delays are >= 1.

So an event emitted in step t reaches its neurons in step t + delay, whatever the order in which
cores are visited within a step.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .._validate import check_int, int_array
from ..exceptions import ParameterError, ShapeError
from ..neurons import MODELS, NeuronSpec
from ..program import CoreProgram, SynapseTable
from .models import BINDERS, LOCATORS, bind, native

__all__ = ["Core", "NeuronGroup", "SynapseTable", "run_core"]


class NeuronGroup:
    """State of ``n`` neurons of one model and the kernel that advances them.

    Parameters
    ----------
    spec : NeuronSpec
        A registered neuron spec (:class:`~spikemesh.neurons.CubaLIF`,
        :class:`~spikemesh.neurons.IF`, :class:`~spikemesh.neurons.TrueNorthNeuron`, ...).
    n : int
        Number of neurons.
    initial : dict, optional
        Initial state, e.g. ``{"u": 0, "v": array}``; keys from ``spec.state_vars``.
    seed : int
        Key of the counter-based PRNG (TrueNorth stochastic modes).
    id_offset : int
        Global id of this group's first neuron (keys the PRNG): in a simulation,
        ``Population.neuron_id_base`` + the index of the first neuron in its population, so a
        population split over cores draws the same numbers as an unsplit one and two
        populations draw independent ones.
    backend : {"cython", "numpy"}, optional
        Kernel backend; default the active one (:data:`spikemesh.kernels.BACKEND`).

    Attributes
    ----------
    state : dict of int32 arrays
        The registers (``spec.state_vars``).
    spikes : int32 array
        Payloads emitted by the last update (0 = no spike).
    input_size : int
        Length of the synaptic input an update reads: ``n * spec.accumulators``.
    totals : dict
        Running counts: ``updates``, ``changed``, ``spikes``, ``overflows``, ``steps``.
    """

    def __init__(
        self,
        spec: NeuronSpec,
        n: int,
        *,
        initial: dict | None = None,
        seed: int = 0,
        id_offset: int = 0,
        backend: str | None = None,
    ) -> None:
        if not isinstance(spec, NeuronSpec) or type(spec) not in BINDERS:
            raise ParameterError(
                f"NeuronGroup.spec: must be a registered neuron spec ({', '.join(MODELS)}) "
                f"(got {type(spec).__name__})"
            )
        self.spec = spec
        self.n = check_int("NeuronGroup", "n", n, 1, None)
        self.seed = check_int("NeuronGroup", "seed", seed, 0, 2**64 - 1)
        self.id_offset = check_int("NeuronGroup", "id_offset", id_offset, 0, 2**63 - 1)
        self._k = kernels.get(backend)
        self.backend = backend or kernels.BACKEND
        spec.check_size(self.n)
        self.input_size = self.n * spec.accumulators
        self.step_index = 0
        self.spikes = np.zeros(self.n, dtype=np.int32)
        self.state = {name: np.zeros(self.n, dtype=np.int32) for name in spec.state_vars}
        self.totals = dict.fromkeys(("steps", "updates", "changed", "spikes", "overflows"), 0)
        self._initial = self._check_initial(initial or {})
        self._bind()
        self.reset()

    def _check_initial(self, initial: dict) -> dict:
        out = {}
        for name, value in initial.items():
            if name not in self.spec.state_vars:
                raise ParameterError(
                    f"NeuronGroup.initial: {self.spec.model} has state "
                    f"{', '.join(self.spec.state_vars)} (got {name!r})"
                )
            lo, hi = self.spec.state_range(name)
            arr = int_array("NeuronGroup", f"initial[{name!r}]", value, lo, hi)
            if arr.ndim == 0:
                arr = np.full(self.n, int(arr), dtype=np.int64)
            elif arr.shape != (self.n,):
                raise ShapeError(
                    f"NeuronGroup.initial[{name!r}]: must be a scalar or have shape ({self.n},) "
                    f"(got {arr.shape})"
                )
            out[name] = arr.astype(np.int32)
        return out

    def _bind(self) -> None:
        self.kernel = bind(self.spec, self.n, self.state, self.spikes, self._k, self.seed,
                           self.id_offset)  # fmt: skip
        """``kernel(inp, step) -> (changed, spikes, overflows)``: the hot path, no checks."""

    def native(self) -> tuple | None:
        """``(kernel name, arrays, params)`` for the compiled step loop, or None when the
        model has no native descriptor (:mod:`spikemesh.emulator.models`)."""
        return native(self.spec, self.n, self.state, self.spikes, self.seed, self.id_offset)

    def reset(self) -> None:
        """Restore the initial state and the step counter; clear the totals."""
        for name, arr in self.state.items():
            arr[:] = self._initial.get(name, self.spec.resting(name))
        self.spikes[:] = 0
        self.step_index = 0
        for key in self.totals:
            self.totals[key] = 0

    def use_spike_buffer(self, buf: np.ndarray) -> None:
        """Write spikes into ``buf`` (an int32 view of length n, e.g. part of a core's array)."""
        if buf.shape != (self.n,) or buf.dtype != np.int32:
            raise ShapeError(f"NeuronGroup.use_spike_buffer: needs int32 of shape ({self.n},)")
        self.spikes = buf
        self._bind()

    def account(self, counts) -> None:
        """Add one step's kernel counts to :attr:`totals` and advance the step counter."""
        self.step_index += 1
        t = self.totals
        t["steps"] += 1
        t["updates"] += self.n
        t["changed"] += counts[0]
        t["spikes"] += counts[1]
        t["overflows"] += counts[2]

    def update(self, inp: np.ndarray) -> tuple[int, int, int]:
        """Advance one step with synaptic input ``inp`` (int64, C-contiguous, ``input_size``).

        No checks: this is the hot path. Returns ``(changed, spikes, overflows)`` and adds
        them to :attr:`totals`.
        """
        counts = self.kernel(inp, self.step_index)
        self.account(counts)
        return counts

    def step(self, inp=None) -> np.ndarray:
        """Checked single step: ``inp`` is integer synaptic input of length ``input_size``
        (``(n, accumulators)`` also accepted). Returns the spikes.
        """
        if inp is None:
            arr = np.zeros(self.input_size, dtype=np.int64)
        else:
            arr = int_array("NeuronGroup.step", "inp", inp)
            acc = self.spec.accumulators
            if arr.size != self.input_size or (arr.ndim != 1 and arr.shape != (self.n, acc)):
                raise ShapeError(
                    f"NeuronGroup.step.inp: must have {self.input_size} values "
                    f"(got shape {arr.shape})"
                )
            arr = np.ascontiguousarray(arr.reshape(-1), dtype=np.int64)
        self.update(arr)
        return self.spikes.copy()


class Core:
    """One core at run time: ``table`` feeding ``groups`` (each ``(NeuronGroup, offset)``, the
    offset in neurons within the core), bound to ``backend``'s kernels.

    Attributes: ``spikes`` (int32, one array for the core; groups write views of it), ``ring``
    ``(depth, accumulators)`` int64, ``n`` neurons. See the module docstring for the step rule.
    """

    def __init__(self, table: SynapseTable, groups: list, backend: str | None = None) -> None:
        self.n = sum(g.n for g, _ in groups)
        self.width = groups[0][0].spec.accumulators if groups else 1
        if table.n_targets != self.n * self.width:
            raise ShapeError(
                f"Core: the synapse table has {table.n_targets} accumulators but the neuron "
                f"groups read {self.n * self.width}"
            )
        self.table = table
        self.spikes = np.zeros(self.n, np.int32)
        self.ring = np.zeros((table.max_delay, table.n_targets), np.int64)
        self.depth = self.ring.shape[0]
        self.rows = list(self.ring)  # ring slots as row views
        self.groups = [g for g, _ in groups]
        self.calls = []  # per group: (kernel, its input view in every ring slot)
        for g, off in groups:
            g.use_spike_buffer(self.spikes[off : off + g.n])
            a, b = off * self.width, (off + g.n) * self.width
            self.calls.append((g.kernel, [self.ring[k, a:b] for k in range(self.depth)]))
        t = table
        self.deliver_kernel = kernels.get(backend).BoundDeliver(
            t.indptr, t.targets, t.weights, t.delays, t.row_exp, t.acc_shift, self.ring
        )

    @classmethod
    def from_program(cls, prog: CoreProgram, seed: int, backend: str | None = None) -> Core:
        """The runtime of a mapped core program: one group per slice, its per-neuron
        parameters and initial state cut to the slice, its PRN keyed by global neuron id."""
        groups = []
        for s in prog.slices:
            init = {
                k: (np.asarray(v)[s.lo : s.hi] if np.ndim(v) else v)
                for k, v in s.pop.initial.items()
            }
            g = NeuronGroup(s.pop.neuron.slice(s.lo, s.hi), s.n, initial=init, seed=seed,
                            id_offset=s.pop.neuron_id_base + s.lo, backend=backend)  # fmt: skip
            groups.append((g, s.offset))
        return cls(prog.table, groups, backend)

    def update(self, t: int) -> tuple[int, int, int]:
        """Phase *update* of step ``t``: returns (state changes, spikes, overflows)."""
        k = t % self.depth
        ch = nsp = ov = 0
        for kernel, views in self.calls:
            r = kernel(views[k], t)
            ch += r[0]
            nsp += r[1]
            ov += r[2]
        self.rows[k].fill(0)
        return ch, nsp, ov

    def update_checked(self, t: int) -> tuple[int, int, int, tuple | None]:
        """:meth:`update` that also says where the first overflow happened: ``(changed,
        spikes, overflows, where)`` with ``where = (group index, register, neuron index in
        the group)`` or None. Slower (the state is copied before each update): used by
        ``Simulator(overflow="raise")``."""
        k = t % self.depth
        ch = nsp = ov = 0
        where = None
        for gi, (g, (kernel, views)) in enumerate(zip(self.groups, self.calls, strict=True)):
            before = {name: arr.copy() for name, arr in g.state.items()}
            inp = views[k].copy()
            r = kernel(views[k], t)
            ch += r[0]
            nsp += r[1]
            ov += r[2]
            if r[2] and where is None:
                where = (gi, *self._locate(g, before, inp, t))
        self.rows[k].fill(0)
        return ch, nsp, ov, where

    @staticmethod
    def _locate(g: NeuronGroup, before: dict, inp: np.ndarray, t: int) -> tuple[str, int]:
        locator = LOCATORS.get(type(g.spec))
        if locator is None:
            return "(a register)", -1
        masks = locator(g.spec, g.n, before, inp, t, g.seed, g.id_offset)
        firsts = [(int(np.argmax(m)), name) for name, m in masks.items() if m.any()]
        if not firsts:
            return "(a register)", -1
        i, name = min(firsts)
        return name, i

    def deliver(self, axons: np.ndarray, payloads: np.ndarray, t: int) -> int:
        """Events emitted in step ``t`` (int32 axon ids and payloads) into slots t + delay;
        returns the synaptic events."""
        return self.deliver_kernel(axons, payloads, t % self.depth)


def run_core(
    table: SynapseTable,
    group: NeuronGroup,
    inputs,
    *,
    probes: tuple[str, ...] = ("v",),
) -> dict[str, np.ndarray]:
    """Drive one core (a synapse table feeding a neuron group) with input events.

    Every step ``t`` runs the simulator's step rule (module docstring): update from ring slot
    ``t``, record, then deliver the input events of step ``t`` -- so an input in step t reaches
    the neurons in step ``t + delay``.

    Parameters
    ----------
    table : SynapseTable
        Its accumulators must match ``group.input_size``.
    group : NeuronGroup
        Advanced in place (call ``group.reset()`` to start over); its backend delivers too.
    inputs : int array (steps, table.n_axons)
        Payload per input axon and step (0 = no event; 1 for binary spikes).
    probes : tuple of str
        State variables to record each step.

    Notes
    -----
    Each call starts from an empty delay ring: events still in flight when a call ends are
    not carried into the next call (the ``Simulator`` keeps its rings across ``run`` calls).

    Returns
    -------
    dict
        ``"spikes"`` (steps, n) payloads, one ``(steps, n)`` array per probe, and ``"events"``
        (steps,) synaptic events of the inputs given in each step.
    """
    owner = "run_core"
    if table.n_targets != group.input_size:
        raise ShapeError(
            f"{owner}: the synapse table has {table.n_targets} accumulators but the neuron group "
            f"reads {group.input_size}"
        )
    for name in probes:
        if name not in group.state:
            raise ParameterError(
                f"{owner}.probes: {group.spec.model} has state "
                f"{', '.join(group.state)} (got {name!r})"
            )
    x = int_array(owner, "inputs", inputs, -(2**31), 2**31 - 1, ndim=2)
    if x.shape[1] != table.n_axons:
        raise ShapeError(
            f"{owner}.inputs: must have shape (steps, {table.n_axons}) (got {x.shape})"
        )
    steps = x.shape[0]
    x = x.astype(np.int32)
    out = {"spikes": np.zeros((steps, group.n), np.int32), "events": np.zeros(steps, np.int64)}
    for name in probes:
        out[name] = np.zeros((steps, group.n), np.int32)
    core = Core(table, [(group, 0)], group.backend)
    for i in range(steps):
        t = group.step_index
        group.account(core.update(t))
        out["spikes"][i] = core.spikes
        for name in probes:
            out[name][i] = group.state[name]
        axons = np.flatnonzero(x[i]).astype(np.int32)
        out["events"][i] = core.deliver(axons, x[i, axons], t)
    return out
