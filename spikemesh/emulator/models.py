"""The model registry: the one table joining neuron spec types to their kernels.

A *binder* packs a spec's parameters once and returns ``update(inp, step) -> (changed, spikes,
overflows)``, a closure over the kernel and its arguments that advances ``n`` neurons one step
(the state arrays and the spike buffer are updated in place). Adding a neuron model is: its
spec (:mod:`spikemesh.neurons`), its kernel and NumPy twin (:mod:`spikemesh.kernels`), and one
:func:`register` line.

Binder signature: ``binder(spec, n, state, spikes, kernels, seed, id_offset)`` where ``state``
maps each of ``spec.state_vars`` to an int32 array of length ``n``, ``spikes`` is the int32
output buffer and ``kernels`` the backend's kernel namespace (:func:`spikemesh.kernels.get`).

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
from ..neurons import IF, CubaLIF, NeuronSpec, TrueNorthNeuron

__all__ = ["BINDERS", "LOCATORS", "bind", "register"]

BINDERS: dict[type, Callable] = {}
LOCATORS: dict[type, Callable] = {}


def register(spec_type: type, binder: Callable, locator: Callable | None = None) -> None:
    """Join ``spec_type`` (a :class:`NeuronSpec` subclass) to the kernels ``binder`` binds
    and, optionally, to its overflow ``locator``."""
    if not (isinstance(spec_type, type) and issubclass(spec_type, NeuronSpec)):
        raise ParameterError(f"register: {spec_type!r} is not a NeuronSpec subclass")
    BINDERS[spec_type] = binder
    if locator is not None:
        LOCATORS[spec_type] = locator


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


def _bind_cuba_lif(spec: CubaLIF, n, state, spikes, k, seed, id_offset):
    fn = k.cuba_lif_update
    args = (state["u"], state["v"], state["ref"], np.ascontiguousarray(spec.bias(n)), spec.du,
            spec.dv, spec.vth, spec.refract_delay, spec.vmin, spec.vmax, spikes)  # fmt: skip

    def update(inp, step):
        return fn(inp, *args)

    return update


def _bind_if(spec: IF, n, state, spikes, k, seed, id_offset):
    fn = k.if_update
    args = (state["v"], np.ascontiguousarray(spec.per_neuron_values("bias", n)), spec.vth,
            spec.vmin, spec.vmax, spec.leak, spec.payload_cap, int(spec.bipolar),
            int(spec.reset == "zero"), spikes)  # fmt: skip

    def update(inp, step):
        return fn(inp, *args)

    return update


def _bind_truenorth(spec: TrueNorthNeuron, n, state, spikes, k, seed, id_offset):
    fn = k.truenorth_update
    args = (state["v"], np.ascontiguousarray(spec.weight_table(n)), spec.leak,
            int(spec.leak_reversal), int(spec.stochastic_leak), spec.stochastic_synapse_mask,
            spec.alpha, spec.beta, int(spec.negative_mode == "reset"), spec.reset_mode,
            spec.reset_value, (1 << spec.threshold_mask_bits) - 1, seed)  # fmt: skip

    def update(inp, step):  # the PRN is keyed by (seed, step, neuron): the kernel takes both
        return fn(inp.reshape(n, 4), *args, step, id_offset, spikes)

    return update


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


register(CubaLIF, _bind_cuba_lif, _locate_cuba_lif)
register(IF, _bind_if, _locate_if)
register(TrueNorthNeuron, _bind_truenorth, _locate_truenorth)
