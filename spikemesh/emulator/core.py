"""One core's state and program: a :class:`NeuronGroup` and its :class:`SynapseTable`.

These join neuron specs (:mod:`spikemesh.neurons`) to kernels (:mod:`spikemesh.kernels`):
validation and parameter packing happen once, in the constructors; the per-step methods
(:meth:`NeuronGroup.update`, :meth:`SynapseTable.deliver`) call the kernels directly.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .._validate import check_int, int_array
from ..exceptions import ParameterError, ShapeError
from ..fixedpoint import check_weight_exp, quantize_weights
from ..neurons import IF, CubaLIF, NeuronSpec, TrueNorthNeuron

__all__ = ["NeuronGroup", "SynapseTable"]

MAX_DELAY = 255  # uint8 delay field; chip profiles set tighter limits (Loihi: 62)


class NeuronGroup:
    """State of ``n`` neurons of one model and the kernel that advances them.

    Parameters
    ----------
    spec : NeuronSpec
        :class:`~spikemesh.neurons.CubaLIF`, :class:`~spikemesh.neurons.IF` or
        :class:`~spikemesh.neurons.TrueNorthNeuron`.
    n : int
        Number of neurons.
    initial : dict, optional
        Initial state, e.g. ``{"u": 0, "v": array}``; keys from ``spec.state_vars``.
    seed : int
        Key of the counter-based PRNG (TrueNorth stochastic modes).
    id_offset : int
        Index of this group's first neuron in its population (keys the PRNG, so a population
        split over cores draws the same numbers as an unsplit one).
    backend : {"cython", "numpy"}, optional
        Kernel backend; default the active one (:data:`spikemesh.kernels.BACKEND`).

    Attributes
    ----------
    state : dict of int32 arrays
        The registers (``u``, ``v``, ``ref`` for CubaLIF; ``v`` otherwise).
    spikes : int32 array
        Payloads emitted by the last update (0 = no spike).
    input_size : int
        Length of the synaptic input an update reads: ``n`` (``4 n`` for TrueNorth, one
        accumulator per neuron and axon type).
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
        if not isinstance(spec, (CubaLIF, IF, TrueNorthNeuron)):
            raise ParameterError(
                "NeuronGroup.spec: must be CubaLIF, IF or TrueNorthNeuron "
                f"(got {type(spec).__name__})"
            )
        self.spec = spec
        self.n = check_int("NeuronGroup", "n", n, 1, None)
        self.seed = check_int("NeuronGroup", "seed", seed, 0, 2**64 - 1)
        self.id_offset = check_int("NeuronGroup", "id_offset", id_offset, 0, 2**63 - 1)
        self._k = kernels.get(backend)
        self.backend = backend or kernels.BACKEND
        self.step_index = 0
        self.spikes = np.zeros(self.n, dtype=np.int32)
        self.state = {name: np.zeros(self.n, dtype=np.int32) for name in spec.state_vars}
        self.totals = dict.fromkeys(("steps", "updates", "changed", "spikes", "overflows"), 0)
        self._pack_params()
        self._bind()
        self._initial = self._check_initial(initial or {})
        self.reset()

    # -- construction ------------------------------------------------------------------
    def _pack_params(self) -> None:
        spec, n = self.spec, self.n
        if isinstance(spec, CubaLIF):
            self._bias = np.ascontiguousarray(spec.bias(n), dtype=np.int64)
            self.input_size = n
        elif isinstance(spec, IF):
            self._bias = np.ascontiguousarray(spec.per_neuron_values("bias", n), dtype=np.int64)
            self.input_size = n
        else:
            self._weights = np.ascontiguousarray(spec.weight_table(n))
            self.input_size = 4 * n
            self._tmask = (1 << spec.threshold_mask_bits) - 1

    def _state_range(self, name: str) -> tuple[int, int]:
        spec = self.spec
        if name == "ref":
            return 0, spec.refract_delay - 1
        if name == "u":
            return -(2**23), 2**23 - 1
        return spec.vmin, spec.vmax

    def _check_initial(self, initial: dict) -> dict:
        out = {}
        for name, value in initial.items():
            if name not in self.spec.state_vars:
                raise ParameterError(
                    f"NeuronGroup.initial: {type(self.spec).__name__} has state "
                    f"{', '.join(self.spec.state_vars)} (got {name!r})"
                )
            lo, hi = self._state_range(name)
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

    def reset(self) -> None:
        """Restore the initial state and the step counter; clear the totals."""
        for name, arr in self.state.items():
            arr[:] = self._initial.get(name, 0)
        self.spikes[:] = 0
        self.step_index = 0
        for key in self.totals:
            self.totals[key] = 0

    # -- stepping ----------------------------------------------------------------------
    def _bind(self) -> None:
        """Pack the kernel and every argument after ``inp`` once (the state arrays are
        updated in place, so the tuple stays valid); TrueNorth also passes the step index."""
        spec, st, k = self.spec, self.state, self._k
        if isinstance(spec, CubaLIF):
            self._fn = k.cuba_lif_update
            self._args = (
                st["u"], st["v"], st["ref"], self._bias, spec.du, spec.dv, spec.vth,
                spec.refract_delay, spec.vmin, spec.vmax, self.spikes,
            )  # fmt: skip
        elif isinstance(spec, IF):
            self._fn = k.if_update
            self._args = (
                st["v"], self._bias, spec.vth, spec.vmin, spec.vmax, spec.leak, spec.payload_cap,
                int(spec.bipolar), int(spec.reset == "zero"), self.spikes,
            )  # fmt: skip
        else:
            self._fn = None
            self._tn_args = (
                st["v"], self._weights, spec.leak, int(spec.leak_reversal),
                int(spec.stochastic_leak), spec.stochastic_synapse_mask, spec.alpha, spec.beta,
                int(spec.negative_mode == "reset"), spec.reset_mode, spec.reset_value,
                self._tmask, self.seed,
            )  # fmt: skip

    def use_spike_buffer(self, buf: np.ndarray) -> None:
        """Write spikes into ``buf`` (an int32 view of length n, e.g. part of a core's array)."""
        if buf.shape != (self.n,) or buf.dtype != np.int32:
            raise ShapeError(f"NeuronGroup.use_spike_buffer: needs int32 of shape ({self.n},)")
        self.spikes = buf
        self._bind()

    def update(self, inp: np.ndarray) -> tuple[int, int, int]:
        """Advance one step with synaptic input ``inp`` (int64, C-contiguous, ``input_size``).

        No checks: this is the hot path. Returns ``(changed, spikes, overflows)`` and adds
        them to :attr:`totals`.
        """
        if self._fn is not None:
            counts = self._fn(inp, *self._args)
        else:
            counts = self._k.truenorth_update(
                inp.reshape(self.n, 4), *self._tn_args, self.step_index, self.id_offset, self.spikes
            )
        self.step_index += 1
        t = self.totals
        t["steps"] += 1
        t["updates"] += self.n
        t["changed"] += counts[0]
        t["spikes"] += counts[1]
        t["overflows"] += counts[2]
        return counts

    def step(self, inp=None) -> np.ndarray:
        """Checked single step: ``inp`` is integer synaptic input of length ``input_size``
        (``(n, 4)`` per-type event counts also accepted for TrueNorth). Returns the spikes.
        """
        if inp is None:
            arr = np.zeros(self.input_size, dtype=np.int64)
        else:
            arr = int_array("NeuronGroup.step", "inp", inp)
            if arr.size != self.input_size or (arr.ndim != 1 and arr.shape != (self.n, 4)):
                raise ShapeError(
                    f"NeuronGroup.step.inp: must have {self.input_size} values "
                    f"(got shape {arr.shape})"
                )
            arr = np.ascontiguousarray(arr.reshape(-1), dtype=np.int64)
        self.update(arr)
        return self.spikes.copy()


class SynapseTable:
    """CSR synapse table of one core: input axons → neuron accumulators, with delays.

    Build it with :meth:`from_dense` (Loihi-style quantized weights, or plain integer weights)
    or :meth:`from_crossbar` (TrueNorth). :meth:`deliver` fans events into a delay ring made by
    :meth:`make_ring`.
    """

    def __init__(
        self, indptr, targets, weights, delays, row_exp, n_targets, acc_shift=0, backend=None
    ):
        self.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        self.targets = np.ascontiguousarray(targets, dtype=np.int32)
        self.weights = np.ascontiguousarray(weights, dtype=np.int16)
        self.delays = np.ascontiguousarray(delays, dtype=np.uint8)
        self.row_exp = np.ascontiguousarray(row_exp, dtype=np.int8)
        self.n_axons = self.indptr.shape[0] - 1
        self.n_targets = int(n_targets)
        self.acc_shift = int(acc_shift)
        nnz = int(self.indptr[-1])
        if not (self.targets.shape == self.weights.shape == self.delays.shape == (nnz,)):
            raise ShapeError(
                "SynapseTable: targets, weights and delays must each have indptr[-1] entries"
            )
        if self.row_exp.shape != (self.n_axons,):
            raise ShapeError(f"SynapseTable.row_exp: must have {self.n_axons} entries")
        if nnz and (self.targets.min() < 0 or self.targets.max() >= self.n_targets):
            raise ParameterError(f"SynapseTable.targets: must be in 0..{self.n_targets - 1}")
        if nnz and self.delays.min() < 1:
            raise ParameterError("SynapseTable.delays: must be >= 1")
        self.max_delay = int(self.delays.max()) if nnz else 1
        self._k = kernels.get(backend)

    @property
    def n_synapses(self) -> int:
        return int(self.indptr[-1])

    @classmethod
    def from_dense(
        cls,
        weights,
        *,
        delay=1,
        weight_exp: int = 0,
        weight_bits: int | None = 8,
        mode: str | None = None,
        clip: bool = False,
        acc_shift: int = 6,
        backend: str | None = None,
    ) -> SynapseTable:
        """Table from a dense ``(n_axons, n_targets)`` integer matrix; 0 = no synapse.

        Parameters
        ----------
        weights : int array (n_axons, n_targets)
            Weight mantissas.
        delay : int or int array of the same shape
            Synaptic delay in steps, 1..255.
        weight_exp : int
            Loihi weight exponent, -8..7.
        weight_bits : int or None
            Quantize to Loihi's ``weight_bits`` format (1..8, sign mode ``mode`` or inferred);
            None keeps the integers as given (they must fit int16), for IF/TrueNorth cores.
        clip : bool
            Clip out-of-range weights when quantizing instead of raising.
        acc_shift : int
            Left shift into accumulator units: 6 for Loihi CubaLIF, 0 for IF cores.
        backend : {"cython", "numpy"}, optional
            Kernel backend for :meth:`deliver`; default the active one.
        """
        owner = "SynapseTable.from_dense"
        w = int_array(owner, "weights", weights, ndim=2)
        weight_exp = check_weight_exp(owner, weight_exp)
        acc_shift = check_int(owner, "acc_shift", acc_shift, 0, 16)
        rows, cols = np.nonzero(w)
        present = w[rows, cols]
        if weight_bits is None:
            if present.size and (present.min() < -(2**15) or present.max() > 2**15 - 1):
                raise ParameterError(
                    f"{owner}.weights: unquantized weights must fit int16 (-32768..32767)"
                )
            stored = present.astype(np.int16)
        else:
            stored = quantize_weights(present, weight_bits, mode, clip=clip, owner=owner)
        if np.ndim(delay) == 0:
            d = check_int(owner, "delay", delay, 1, MAX_DELAY)
            delays = np.full(rows.shape, d, dtype=np.uint8)
        else:
            darr = int_array(owner, "delay", delay, 1, MAX_DELAY, shape=w.shape)
            delays = darr[rows, cols].astype(np.uint8)
        indptr = np.zeros(w.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=w.shape[0]), out=indptr[1:])
        row_exp = np.full(w.shape[0], weight_exp, dtype=np.int8)
        return cls(indptr, cols, stored, delays, row_exp, w.shape[1], acc_shift, backend)

    @classmethod
    def from_crossbar(cls, connected, axon_types, *, delay=1, backend=None) -> SynapseTable:
        """TrueNorth core: binary crossbar ``(n_axons, n_neurons)`` and axon types (0..3).

        Accumulator ``4 * j + G`` counts events on type-G axons connected to neuron j, which
        is what :func:`~spikemesh.kernels.reference.truenorth_update` reads.
        """
        owner = "SynapseTable.from_crossbar"
        c = np.asarray(connected)
        if c.dtype != bool:
            c = int_array(owner, "connected", c, 0, 1, ndim=2).astype(bool)
        if c.ndim != 2:
            raise ShapeError(f"{owner}.connected: must be 2-D (got shape {c.shape})")
        g = int_array(owner, "axon_types", axon_types, 0, 3, shape=(c.shape[0],))
        d = check_int(owner, "delay", delay, 1, 15)  # TrueNorth: 1..15 ticks
        rows, cols = np.nonzero(c)
        indptr = np.zeros(c.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=c.shape[0]), out=indptr[1:])
        targets = cols * 4 + g[rows]
        return cls(
            indptr, targets, np.ones(rows.size, np.int16), np.full(rows.size, d, np.uint8),
            np.zeros(c.shape[0], np.int8), 4 * c.shape[1], acc_shift=0, backend=backend,
        )  # fmt: skip

    def make_ring(self) -> np.ndarray:
        """A zeroed delay ring ``(max_delay, n_targets)`` of int64 accumulators."""
        return np.zeros((self.max_delay, self.n_targets), dtype=np.int64)

    def deliver(
        self, axons: np.ndarray, payloads: np.ndarray, ring: np.ndarray, t_emit: int
    ) -> int:
        """Deliver events emitted at step ``t_emit`` (int32 axon ids and payloads)."""
        return self._k.deliver(
            axons, payloads, self.indptr, self.targets, self.weights, self.delays, self.row_exp,
            self.acc_shift, ring, t_emit % ring.shape[0],
        )  # fmt: skip


def run_core(
    table: SynapseTable,
    group: NeuronGroup,
    inputs,
    *,
    probes: tuple[str, ...] = ("v",),
) -> dict[str, np.ndarray]:
    """Drive one core (a synapse table feeding a neuron group) with input events.

    The phases of every step ``t``: deliver the input events of step ``t - 1`` (so an input in
    step t reaches the neurons in step ``t + delay``), update the neurons from ring slot
    ``t % D``, clear that slot, record.

    Parameters
    ----------
    table : SynapseTable
        Its accumulators must match ``group.input_size``.
    group : NeuronGroup
        Advanced in place (call ``group.reset()`` to start over).
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
        (steps,) synaptic events delivered.
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
                f"{owner}.probes: {type(group.spec).__name__} has state "
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
    ring = table.make_ring()
    D = ring.shape[0]
    t0 = group.step_index
    for i in range(steps):
        t = t0 + i
        if i > 0:
            axons = np.flatnonzero(x[i - 1]).astype(np.int32)
            out["events"][i] = table.deliver(axons, x[i - 1, axons], ring, t - 1)
        slot = ring[t % D]
        group.update(slot)
        slot[:] = 0
        out["spikes"][i] = group.spikes
        for name in probes:
            out[name][i] = group.state[name]
    return out
