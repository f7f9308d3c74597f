"""What mapping builds, as plain data: synapse tables, slices, core programs, routes, sources.

Nothing here runs or binds a kernel (like nengo-loihi's ``block.py``): every record is frozen
and built complete by the pass that returns it. The runtime (:mod:`spikemesh.emulator`) binds
kernels to these records; energy and timing read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import check_int, int_array
from .exceptions import ParameterError, ShapeError
from .fixedpoint import check_weight_exp, quantize_weights
from .network import MAX_DELAY, Population

__all__ = ["MAX_DELAY", "CoreProgram", "Route", "Slice", "Source", "SynapseTable"]

"""Largest synaptic delay a table can hold (uint8 delay field); profiles set tighter limits."""


def _frozen_array(value, dtype) -> np.ndarray:
    arr = np.ascontiguousarray(value, dtype=dtype)
    if arr is value:
        arr = arr.copy()
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class SynapseTable:
    """CSR synapse table of one core: input axons -> neuron accumulators, with delays.

    Input axon ``a`` reaches synapses ``indptr[a]:indptr[a+1]``; synapse ``j`` adds
    ``shift(weights[j], row_exp[a]) << acc_shift`` times the event's payload to accumulator
    ``targets[j]``, ``delays[j]`` steps after the event. Arrays only: the runtime binds a kernel
    backend to it (:class:`spikemesh.emulator.core.Core`).
    """

    indptr: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    delays: np.ndarray
    row_exp: np.ndarray
    n_targets: int
    acc_shift: int = 0

    def __post_init__(self) -> None:
        s = object.__setattr__
        for name, dtype in (("indptr", np.int64), ("targets", np.int32), ("weights", np.int16),
                            ("delays", np.uint8), ("row_exp", np.int8)):  # fmt: skip
            s(self, name, _frozen_array(getattr(self, name), dtype))
        s(self, "n_targets", int(self.n_targets))
        s(self, "acc_shift", int(self.acc_shift))
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

    @property
    def n_axons(self) -> int:
        return self.indptr.shape[0] - 1

    @property
    def n_synapses(self) -> int:
        return int(self.indptr[-1])

    @property
    def max_delay(self) -> int:
        """Depth of the delay ring this table needs (1 when it has no synapse)."""
        return int(self.delays.max()) if self.delays.size else 1

    @classmethod
    def empty(cls, n_targets: int, acc_shift: int = 0) -> SynapseTable:
        z = np.zeros(0, np.int64)
        return cls(np.zeros(1, np.int64), z, z, z, np.zeros(0, np.int8), n_targets, acc_shift)

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
            Left shift into accumulator units: ``CubaLIF.input_shift`` (6) for Loihi
            compartments, 0 for IF cores.
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
        return cls(indptr, cols, stored, delays, row_exp, w.shape[1], acc_shift)

    @classmethod
    def from_crossbar(cls, connected, axon_types, *, delay=1) -> SynapseTable:
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
            np.zeros(c.shape[0], np.int8), 4 * c.shape[1], acc_shift=0,
        )  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class Slice:
    """Neurons ``lo:hi`` of population ``pop``, at ``offset`` in core program ``core``."""

    pop: Population
    lo: int
    hi: int
    core: int
    offset: int

    @property
    def n(self) -> int:
        return self.hi - self.lo


@dataclass(frozen=True, slots=True, eq=False)
class CoreProgram:
    """Everything one core holds: its neurons (slices of one model), synapse table and usage.

    ``index`` numbers core programs in mapping order; ``core_id`` is the physical core on the
    mesh that placement chose. ``synapse_bits`` is synapse memory in the chip's format;
    ``weight_bits_total`` sums every synapse's stored weight bits (1 on a crossbar).
    """

    index: int
    core_id: int
    slices: tuple[Slice, ...]
    table: SynapseTable
    n_axons_out: int
    synapse_bits: int
    weight_bits_total: int

    @property
    def spec(self):
        """The neuron spec of the first slice (every slice on a core runs the same model)."""
        return self.slices[0].pop.neuron

    @property
    def model(self) -> str:
        return self.spec.model

    @property
    def n_neurons(self) -> int:
        return sum(s.n for s in self.slices)

    @property
    def n_axons_in(self) -> int:
        return self.table.n_axons

    @property
    def n_synapses(self) -> int:
        return self.table.n_synapses

    @property
    def max_delay(self) -> int:
        return self.table.max_delay

    @property
    def payload_bits(self) -> int:
        return max(s.pop.neuron.payload_bits for s in self.slices)


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """Routing table of one spike source (a core program, or an external input).

    Source neuron ``i`` reaches (core program ``dest[j]``, input axon ``axon[j]``) for
    ``indptr[i] <= j < indptr[i+1]``; ``targets`` lists the core programs reached at all.
    Build it with :meth:`build`.
    """

    indptr: np.ndarray
    dest: np.ndarray
    axon: np.ndarray
    n_dest: int
    targets: tuple[int, ...]

    @classmethod
    def build(cls, n_src: int, src, dest, axon, n_dest: int) -> Route:
        """From route entries (source neuron, destination program, axon) in any order."""
        src = np.asarray(src, np.int64)
        dest = np.asarray(dest, np.int32)
        axon = np.asarray(axon, np.int32)
        order = np.lexsort((axon, dest, src))
        indptr = np.zeros(n_src + 1, np.int64)
        np.cumsum(np.bincount(src, minlength=n_src), out=indptr[1:])
        return cls(
            _frozen_array(indptr, np.int64), _frozen_array(dest[order], np.int32),
            _frozen_array(axon[order], np.int32), n_dest, tuple(np.unique(dest).tolist()),
        )  # fmt: skip

    @property
    def n_entries(self) -> int:
        return int(self.dest.size)


@dataclass(frozen=True, slots=True)
class Source:
    """A spike source on the mesh: a core program or an external input (entering at the host
    tile). ``index`` is its position in :attr:`Mapping.sources` (cores first, then inputs)."""

    index: int
    kind: str  # "core" or "input"
    name: str  # core program index as text, or the input's name
    position: tuple[int, int]
    payload_bits: int
