"""The model registry: the one table joining neuron spec types to their kernels.

A *binder* packs a spec's parameters once and returns ``update(inp, step) -> (changed, spikes,
overflows)``, a closure over the kernel and its arguments that advances ``n`` neurons one step
(the state arrays and the spike buffer are updated in place). Adding a neuron model is: its
spec (:mod:`spikemesh.neurons`), its kernel and NumPy twin (:mod:`spikemesh.kernels`), and one
:func:`register` line.

Binder signature: ``binder(spec, n, state, spikes, kernels, seed, id_offset)`` where ``state``
maps each of ``spec.state_vars`` to an int32 array of length ``n``, ``spikes`` is the int32
output buffer and ``kernels`` the backend's kernel namespace (:func:`spikemesh.kernels.get`).

A *native* descriptor (the built-in models) lets the simulator's compiled step loop
(``kernels.NetStep``) run the model for every core in one call: ``native(spec, n, state,
spikes, seed, id_offset) -> (kernel name, arrays, params)`` in the layout
``kernels.reference.NATIVE_LAYOUT`` gives for that kernel. A model registered with a native
descriptor needs no binder (its closure is built from the descriptor); a model with only a
binder runs through its closure, one Python call per core and step.

A *locator* (optional, for ``Simulator(overflow="raise")``) says which registers of which
neurons wrap or saturate in the next update: ``locator(spec, n, state, inp, step, seed,
id_offset) -> {register: bool mask}``, computed with the NumPy twins (bit-identical to the
compiled kernels) from the state before the update.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..exceptions import ParameterError
from ..kernels import reference as ref
from ..neurons import IF, CubaLIF, CubaLIFSubtract, NeuronSpec, SmoothIF, TrueNorthNeuron

__all__ = ["BINDERS", "LOCATORS", "NATIVE", "bind", "native", "register"]

BINDERS: dict[type, Callable] = {}
LOCATORS: dict[type, Callable] = {}
NATIVE: dict[type, Callable] = {}


def register(spec_type: type, binder: Callable | None = None, locator: Callable | None = None,
             *, native: Callable | None = None) -> None:  # fmt: skip
    """Join ``spec_type`` (a :class:`NeuronSpec` subclass) to the kernels ``binder`` binds (or
    the ``native`` descriptor names) and, optionally, to its overflow ``locator``."""
    if not (isinstance(spec_type, type) and issubclass(spec_type, NeuronSpec)):
        raise ParameterError(f"register: {spec_type!r} is not a NeuronSpec subclass")
    if binder is None and native is None:
        raise ParameterError(
            f"register({spec_type.__name__}): give a binder or a native descriptor"
        )
    if native is not None:
        NATIVE[spec_type] = native
        if binder is None:
            binder = _binder_of(native)
    BINDERS[spec_type] = binder
    if locator is not None:
        LOCATORS[spec_type] = locator


def _binder_of(native_fn: Callable) -> Callable:
    def binder(spec, n, state, spikes, k, seed, id_offset):
        return ref.native_update(k, *native_fn(spec, n, state, spikes, seed, id_offset))

    return binder


def bind(spec: NeuronSpec, n: int, state: dict, spikes: np.ndarray, kernels, seed: int,
         id_offset: int) -> Callable:  # fmt: skip
    """The ``update(inp, step)`` closure of ``n`` neurons of ``spec``."""
    binder = BINDERS.get(type(spec))
    if binder is None:
        raise ParameterError(
            f"{type(spec).__name__}: no kernels registered for this neuron model; registered: "
            f"{', '.join(t.__name__ for t in BINDERS)} (spikemesh.emulator.models.register)"
        )
    return binder(spec, n, state, spikes, kernels, seed, id_offset)


def native(spec: NeuronSpec, n: int, state: dict, spikes: np.ndarray, seed: int,
           id_offset: int) -> tuple | None:  # fmt: skip
    """The native descriptor ``(kernel name, arrays, params)`` of ``n`` neurons of ``spec``, or
    None when the model has none (it then runs through its binder's closure)."""
    fn = NATIVE.get(type(spec))
    return None if fn is None else fn(spec, n, state, spikes, seed, id_offset)


def _native_cuba_lif(spec: CubaLIF, n, state, spikes, seed, id_offset):
    arrays = (state["u"], state["v"], state["ref"], np.ascontiguousarray(spec.bias(n)), spikes)
    return "cuba_lif_update", arrays, (spec.du, spec.dv, spec.vth, spec.refract_delay,
                                       spec.vmin, spec.vmax)  # fmt: skip


IF_RESET = {"subtract": 0, "zero": 1, "step": 2}
"""IF reset modes as the kernels' ``reset_zero`` code."""


def _native_if(spec: IF, n, state, spikes, seed, id_offset):
    arrays = (state["v"], np.ascontiguousarray(spec.per_neuron_values("bias", n)), spikes)
    return "if_update", arrays, (spec.vth, spec.vmin, spec.vmax, spec.leak, spec.payload_cap,
                                 int(spec.bipolar), IF_RESET[spec.reset])  # fmt: skip


def _native_truenorth(spec: TrueNorthNeuron, n, state, spikes, seed, id_offset):
    arrays = (state["v"], np.ascontiguousarray(spec.weight_table(n)), spikes)
    params = (spec.leak, int(spec.leak_reversal), int(spec.stochastic_leak),
              spec.stochastic_synapse_mask, spec.alpha, spec.beta,
              int(spec.negative_mode == "reset"), spec.reset_mode, spec.reset_value,
              (1 << spec.threshold_mask_bits) - 1, seed, id_offset)  # fmt: skip
    return "truenorth_update", arrays, params


def _locate_cuba_lif(spec: CubaLIF, n, state, inp, step, seed, id_offset):
    return ref.cuba_lif_overflows(inp, state["u"], spec.bias(n), spec.du)


def _locate_if(spec: IF, n, state, inp, step, seed, id_offset):
    return ref.if_overflows(inp, state["v"], spec.per_neuron_values("bias", n), spec.leak,
                            spec.vmin, spec.vmax)  # fmt: skip


def _locate_truenorth(spec: TrueNorthNeuron, n, state, inp, step, seed, id_offset):
    return ref.truenorth_overflows(
        np.asarray(inp).reshape(n, 4), state["v"], spec.weight_table(n), spec.leak,
        int(spec.leak_reversal), int(spec.stochastic_leak), spec.stochastic_synapse_mask, seed,
        step, id_offset,
    )  # fmt: skip


def _native_smooth_if(spec: SmoothIF, n, state, spikes, seed, id_offset):
    arrays = (state["v"], state["vbar"], np.ascontiguousarray(spec.per_neuron_values("bias", n)),
              spikes)  # fmt: skip
    return "smooth_if_update", arrays, (spec.vth, spec.vmin, spec.vmax, spec.leak,
                                        spec.payload_cap, int(spec.bipolar),
                                        IF_RESET[spec.reset], spec.alpha)  # fmt: skip


def _native_cuba_lif_subtract(spec: CubaLIFSubtract, n, state, spikes, seed, id_offset):
    arrays = (state["u"], state["v"], np.ascontiguousarray(spec.bias(n)), spikes)
    return "cuba_lif_subtract_update", arrays, (spec.du, spec.dv, spec.vth, spec.vmin, spec.vmax)


register(CubaLIF, locator=_locate_cuba_lif, native=_native_cuba_lif)
register(CubaLIFSubtract, locator=_locate_cuba_lif, native=_native_cuba_lif_subtract)
register(SmoothIF, locator=_locate_if, native=_native_smooth_if)
register(IF, locator=_locate_if, native=_native_if)
register(TrueNorthNeuron, locator=_locate_truenorth, native=_native_truenorth)
