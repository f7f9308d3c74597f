"""The model registry: the one table joining neuron spec types to their kernels.

A *binder* packs a spec's parameters once and returns ``update(inp, step) -> (changed, spikes,
overflows)``, a closure over the kernel and its arguments that advances ``n`` neurons one step
(the state arrays and the spike buffer are updated in place). Adding a neuron model is: its
spec (:mod:`spikemesh.neurons`), its kernel and NumPy twin (:mod:`spikemesh.kernels`), and one
:func:`register` line.

Binder signature: ``binder(spec, n, state, spikes, kernels, seed, id_offset)`` where ``state``
maps each of ``spec.state_vars`` to an int32 array of length ``n``, ``spikes`` is the int32
output buffer and ``kernels`` the backend's kernel namespace (:func:`spikemesh.kernels.get`).

A *native* descriptor (:class:`Native`) lets the simulator's compiled step loop
(``kernels.NetStep``) run the model for every core in one call: the kernel's name, its layout
(the names of its arrays and parameters, in the order its adapter in ``_neuron_loops.pxd`` and
its twin adapter read them) and ``pack(spec, n, state, spikes, seed, id_offset) -> (arrays,
params)``. A model registered with a native descriptor needs no binder: its per-step closure is
``kernels.GroupStep`` over the same slots (the compiled adapter, or the twin adapter where the
kernel has no compiled one). A model with only a binder runs through its closure, one Python
call per core and step.

A *locator* (optional, for ``Simulator(overflow="raise")``) says which registers of which
neurons wrap or saturate in the next update: ``locator(spec, n, state, inp, step, seed,
id_offset) -> {register: bool mask}``, computed with the NumPy twins (bit-identical to the
compiled kernels) from the state before the update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..exceptions import ParameterError
from ..kernels import reference as ref
from ..neurons import (
    IF,
    AdaptiveLIF,
    CubaLIF,
    CubaLIFSubtract,
    NeuronSpec,
    ProdNeuron,
    ResonateFire,
    SigmaDelta,
    SmoothIF,
    TrueNorthNeuron,
)

__all__ = ["BINDERS", "LOCATORS", "NATIVE", "Native", "bind", "native", "register"]


@dataclass(frozen=True)
class Native:
    """How the compiled step runs a model: kernel ``kernel``, its slots ``arrays`` (state
    registers and per-neuron arrays in order, the spike buffer last) and ``params`` (integer
    parameters in order), and ``pack(spec, n, state, spikes, seed, id_offset) -> (arrays,
    params)`` filling them."""

    kernel: str
    arrays: tuple[str, ...]
    params: tuple[str, ...]
    pack: Callable

    def __call__(self, spec, n, state, spikes, seed, id_offset) -> tuple:
        arrays, params = self.pack(spec, n, state, spikes, seed, id_offset)
        if len(arrays) != len(self.arrays) or len(params) != len(self.params):
            raise ParameterError(
                f"{type(spec).__name__}: its native descriptor packed {len(arrays)} arrays and "
                f"{len(params)} parameters; its layout names {len(self.arrays)} "
                f"({', '.join(self.arrays)}) and {len(self.params)} ({', '.join(self.params)})"
            )
        return self.kernel, tuple(arrays), tuple(params)


BINDERS: dict[type, Callable] = {}
LOCATORS: dict[type, Callable] = {}
NATIVE: dict[type, Native] = {}


def register(spec_type: type, binder: Callable | None = None, locator: Callable | None = None,
             *, native: Native | None = None) -> None:  # fmt: skip
    """Join ``spec_type`` (a :class:`NeuronSpec` subclass) to the kernels ``binder`` binds (or
    the ``native`` descriptor names) and, optionally, to its overflow ``locator``."""
    if not (isinstance(spec_type, type) and issubclass(spec_type, NeuronSpec)):
        raise ParameterError(f"register: {spec_type!r} is not a NeuronSpec subclass")
    if binder is None and native is None:
        raise ParameterError(
            f"register({spec_type.__name__}): give a binder or a native descriptor"
        )
    if native is not None:
        if not isinstance(native, Native):
            raise ParameterError(f"register({spec_type.__name__}): native must be a Native")
        NATIVE[spec_type] = native
        if binder is None:
            binder = _binder_of(native)
    BINDERS[spec_type] = binder
    if locator is not None:
        LOCATORS[spec_type] = locator


def _binder_of(desc: Native) -> Callable:
    def binder(spec, n, state, spikes, k, seed, id_offset):
        fns = k if desc.kernel in k.step_models() else ref  # no compiled adapter: its twin
        return fns.GroupStep(*desc(spec, n, state, spikes, seed, id_offset))

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


IF_RESET = {"subtract": 0, "zero": 1, "step": 2}
"""IF reset modes as the kernels' ``reset_zero`` code."""


def _bias(spec, n):
    return np.ascontiguousarray(spec.per_neuron_values("bias", n))


CUBA_LIF = Native(
    "cuba_lif_update", ("u", "v", "ref", "bias", "spikes"),
    ("du", "dv", "vth", "refract_delay", "vmin", "vmax"),
    lambda spec, n, state, spikes, seed, id_offset: (
        (state["u"], state["v"], state["ref"], np.ascontiguousarray(spec.bias(n)), spikes),
        (spec.du, spec.dv, spec.vth, spec.refract_delay, spec.vmin, spec.vmax)),
)  # fmt: skip

CUBA_LIF_SUBTRACT = Native(
    "cuba_lif_subtract_update", ("u", "v", "bias", "spikes"), ("du", "dv", "vth", "vmin", "vmax"),
    lambda spec, n, state, spikes, seed, id_offset: (
        (state["u"], state["v"], np.ascontiguousarray(spec.bias(n)), spikes),
        (spec.du, spec.dv, spec.vth, spec.vmin, spec.vmax)),
)  # fmt: skip

IF_NATIVE = Native(
    "if_update", ("v", "bias", "spikes"),
    ("vth", "vmin", "vmax", "leak", "cap", "bipolar", "reset_zero", "rmin"),
    lambda spec, n, state, spikes, seed, id_offset: (
        (state["v"], _bias(spec, n), spikes),
        (spec.vth, spec.vmin, spec.vmax, spec.leak, spec.payload_cap, int(spec.bipolar),
         IF_RESET[spec.reset], spec.register_min)),
)  # fmt: skip

SMOOTH_IF = Native(
    "smooth_if_update", ("v", "vbar", "bias", "spikes"),
    ("vth", "vmin", "vmax", "leak", "cap", "bipolar", "reset_zero", "alpha"),
    lambda spec, n, state, spikes, seed, id_offset: (
        (state["v"], state["vbar"], _bias(spec, n), spikes),
        (spec.vth, spec.vmin, spec.vmax, spec.leak, spec.payload_cap, int(spec.bipolar),
         IF_RESET[spec.reset], spec.alpha)),
)  # fmt: skip

TRUENORTH = Native(
    "truenorth_update", ("v", "weights", "spikes"),
    ("leak", "leak_reversal", "stochastic_leak", "stochastic_synapse_mask", "alpha", "beta",
     "negative_reset", "reset_mode", "reset_value", "threshold_mask", "seed", "id_offset"),
    lambda spec, n, state, spikes, seed, id_offset: (
        (state["v"], np.ascontiguousarray(spec.weight_table(n)), spikes),
        (spec.leak, int(spec.leak_reversal), int(spec.stochastic_leak),
         spec.stochastic_synapse_mask, spec.alpha, spec.beta, int(spec.negative_mode == "reset"),
         spec.reset_mode, spec.reset_value, (1 << spec.threshold_mask_bits) - 1, seed,
         id_offset)),
)  # fmt: skip

SIGMA_DELTA = Native(
    "sigma_delta_update", ("sigma", "act", "residue", "error", "bias", "spikes"),
    ("vth", "relu", "cum_error", "state_exp"),
    lambda spec, n, state, spikes, seed, id_offset: (
        (state["sigma"], state["act"], state["residue"], state["error"], spec.bias_register(n),
         spikes),
        (spec.vth_register, int(spec.act_mode == "relu"), int(spec.cum_error), spec.state_exp)),
)  # fmt: skip

RESONATE_FIRE = Native(
    "resonate_fire_update", ("real", "imag", "spikes"),
    ("sin_decay", "cos_decay", "decay_bits", "state_exp", "vth"),
    lambda spec, n, state, spikes, seed, id_offset: (
        (state["real"], state["imag"], spikes),
        (spec.sin_decay, spec.cos_decay, spec.decay_bits, spec.state_exp, spec.vth_register)),
)  # fmt: skip

ADAPTIVE_LIF = Native(
    "adaptive_lif_update", ("i", "v", "theta", "r", "bias", "spikes"),
    ("fac_i (float64 bits)", "fac_v", "fac_theta", "fac_r", "theta_0", "theta_step"),
    lambda spec, n, state, spikes, seed, id_offset: (
        (state["i"], state["v"], state["theta"], state["r"], spec.bias(n), spikes),
        (ref.double_bits(spec.fac_i), *spec.factors, spec.theta_0_register,
         spec.theta_step_register)),
)  # fmt: skip

PROD_NEURON = Native(
    "prod_neuron_update", ("v", "spikes"), ("vth", "exp"),
    lambda spec, n, state, spikes, seed, id_offset: ((state["v"], spikes), (spec.vth, spec.exp)),
)  # fmt: skip


def _locate_cuba_lif(spec: CubaLIF, n, state, inp, step, seed, id_offset):
    return ref.cuba_lif_overflows(inp, state["u"], spec.bias(n), spec.du)


def _locate_if(spec: IF, n, state, inp, step, seed, id_offset):
    return ref.if_overflows(inp, state["v"], spec.per_neuron_values("bias", n), spec.leak,
                            spec.register_min, spec.vmax)  # fmt: skip


def _locate_truenorth(spec: TrueNorthNeuron, n, state, inp, step, seed, id_offset):
    return ref.truenorth_overflows(
        np.asarray(inp).reshape(n, 4), state["v"], spec.weight_table(n), spec.leak,
        int(spec.leak_reversal), int(spec.stochastic_leak), spec.stochastic_synapse_mask, seed,
        step, id_offset,
    )  # fmt: skip


def _locate_by_twin(spec, n, state, inp, step, seed, id_offset):
    """Which neurons' registers overflow in the next update: the twin run on copies of the
    state, one neuron at a time (these models count every wrap and clip; the mask is where
    that count is non-zero)."""
    kernel, arrays, params = native(spec, n, {k: v.copy() for k, v in state.items()},
                                    np.zeros(n, np.int32), seed, id_offset)  # fmt: skip
    width = spec.accumulators
    x = np.asarray(inp, np.int64)
    mask = np.zeros(n, bool)
    for j in range(n):
        one = [a[j : j + 1].copy() for a in arrays]
        update = ref.GroupStep(kernel, one, params)
        mask[j] = update(x[j * width : (j + 1) * width], step)[2] > 0
    return {" or ".join(spec.registers): mask}


register(CubaLIF, locator=_locate_cuba_lif, native=CUBA_LIF)
register(CubaLIFSubtract, locator=_locate_cuba_lif, native=CUBA_LIF_SUBTRACT)
register(SmoothIF, locator=_locate_if, native=SMOOTH_IF)
register(IF, locator=_locate_if, native=IF_NATIVE)
register(TrueNorthNeuron, locator=_locate_truenorth, native=TRUENORTH)
register(SigmaDelta, locator=_locate_by_twin, native=SIGMA_DELTA)
register(ResonateFire, locator=_locate_by_twin, native=RESONATE_FIRE)
register(AdaptiveLIF, locator=_locate_by_twin, native=ADAPTIVE_LIF)
register(ProdNeuron, locator=_locate_by_twin, native=PROD_NEURON)
