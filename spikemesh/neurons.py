"""Neuron model specifications: *what* a core computes, not how.

Each spec is a frozen dataclass that validates its parameters on construction; the kernels in
:mod:`spikemesh.kernels` implement them (NumPy twins in :mod:`spikemesh.kernels.reference` hold
the same equations). Parameters that may differ per neuron accept an array; its length is checked
against the population size when it is added to a network (:meth:`NeuronSpec.check_size`).

A spec also declares the facts the rest of the package reads instead of testing its class
(:class:`NeuronSpec`); :mod:`spikemesh.emulator.models` joins each spec type to its kernels.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validate import (
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_sequence,
    float_array,
    int_array,
    show,
)
from .exceptions import ParameterError, QuantizationWarning, ShapeError, SilentPopulationWarning

__all__ = [
    "IF",
    "MODELS",
    "AdaptiveLIF",
    "CubaLIF",
    "CubaLIFSubtract",
    "NeuronSpec",
    "ProdNeuron",
    "ResonateFire",
    "SigmaDelta",
    "SmoothIF",
    "TrueNorthNeuron",
]

# Loihi register widths (Davies et al. 2018; nengo-loihi's emulator).
LOIHI_DECAY_MAX = 4095  # du, dv: 12-bit unsigned
LOIHI_DECAY_ONE = 4096  # du, dv are fractions of 2**12: a decay multiplies by (4096 - d) >> 12
LOIHI_VTH_SHIFT = 6  # the threshold and the weights sit 6 bits up in v (v > vth << 6)
LOIHI_VTH_MAX = 2**17 - 1  # 17-bit threshold mantissa
LOIHI_BIAS_MANT = (-(2**12), 2**12 - 1)  # 13-bit signed
LOIHI_BIAS_EXP = (0, 7)  # 3-bit
LOIHI_V_MAX = 2**23 - 1  # 24-bit signed membrane
LOIHI_REFRACT_MAX = 63

# TrueNorth register widths (Cassidy et al. 2013; Akopyan et al. 2015).
TN_V_BITS = 20
TN_WEIGHT = (-256, 255)  # signed 9-bit
TN_LEAK = (-256, 255)  # signed 9-bit
TN_THRESH_MAX = 2**18 - 1  # 18-bit unsigned alpha, beta
TN_RESET = (-(2**17), 2**17 - 1)  # signed 18-bit reset potential
TN_MASK_BITS_MAX = 17


MODELS: dict[str, type] = {}
"""Neuron model name (as chip profiles list it in ``neuron_models``) -> spec class. Every
:class:`NeuronSpec` subclass registers itself here by its class name."""


class NeuronSpec:
    """Base class of neuron specs: the facts a model owns, read by mapping, simulator and energy.

    Class attributes (a subclass overrides what differs):

    ``per_neuron``
        Fields that may be arrays with one value per neuron.
    ``state_vars``
        State registers a probe can record (and ``initial=`` can set).
    ``accumulators``
        Synaptic input accumulators per neuron: 1, or 4 on TrueNorth (one per axon type).
    ``input_shift``
        Left shift from a stored weight to accumulator units (Loihi CubaLIF: ``<< 6``).
    ``synapse_format``
        How the mapper stores a projection onto this model: ``"weights"`` (a weight per
        synapse, Loihi-style) or ``"typed_axons"`` (TrueNorth's binary crossbar with axon types).
    ``saturating``
        Registers that saturate (clip) when they overflow; the others wrap (messages of
        ``Simulator(overflow="raise")`` say which the chip would do).
    ``input_ports``
        Names of a multi-input model's accumulators in order (resonate-and-fire: ``("real",
        "imag")``): ``Network.connect(..., port=name)`` picks one. Empty for one input.
    ``program``
        What kind of core runs the model (the mapper's refusal names it): empty for the
        fixed Loihi / TrueNorth pipelines, else e.g. "a Loihi 2 programmable-neuron program".

    Properties: ``model`` (the registry name), ``payload_bits`` (spike payload width, magnitude
    plus one sign bit for bipolar neurons), ``registers`` (register name -> bits, checked
    against a chip profile's ``[formats]``), ``state_bits`` (bits of state read and written per
    update, for energy), ``shift_invariant`` (input delayed by L steps gives output delayed by
    L steps: the mapper relies on it when splitters add latency), :meth:`never_fires` (why
    these parameters can never fire, or None: ``Network.population`` warns), :meth:`state_range`,
    :meth:`slice`, :meth:`check_size`.
    """

    __slots__ = ()
    per_neuron: tuple[str, ...] = ()
    state_vars: tuple[str, ...] = ()
    accumulators: int = 1
    input_shift: int = 0
    synapse_format: str = "weights"
    saturating: tuple[str, ...] = ()  # registers that saturate (clip) on overflow; others wrap
    input_ports: tuple[str, ...] = ()  # names of the accumulators (``connect(..., port=)``)
    program: str = ""  # what a chip needs to run it, for the mapper's refusal

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        MODELS[cls.__name__] = cls  # dataclass(slots=True) re-creates the class: last one wins

    @property
    def model(self) -> str:
        return type(self).__name__

    @property
    def payload_bits(self) -> int:
        return 1

    @property
    def registers(self) -> dict[str, int]:
        return {}

    @property
    def state_bits(self) -> int:
        return sum(self.registers.get(v, 0) for v in self.state_vars)

    @property
    def shift_invariant(self) -> bool:
        """True when delaying every input by L steps delays the spike train by exactly L steps:
        from the zero state, with no input, the neuron stays at zero and silent (no bias, no
        leak drive) and it draws no random numbers (draws are keyed by the step). The base
        class cannot know: False."""
        return False

    def never_fires(self) -> str | None:
        """Why neurons of these parameters can never fire (their threshold lies beyond what the
        membrane can hold), or None. The base class knows no such case."""
        return None

    def resting(self, name: str) -> int:
        """The value state register ``name`` starts from when ``initial=`` does not set it:
        0, except where the model rests elsewhere (AdaptiveLIF's threshold)."""
        return 0

    def state_range(self, name: str) -> tuple[int, int]:
        """Allowed values of state register ``name`` (for ``initial=``)."""
        bits = self.registers[name]
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def per_neuron_values(self, name: str, n: int) -> np.ndarray:
        """Return field ``name`` broadcast to ``n`` neurons (checks an array's length)."""
        value = np.asarray(getattr(self, name))
        if value.ndim == 0:
            return np.full(n, value, dtype=np.int64)
        if value.shape[0] != n:
            raise ShapeError(
                f"{type(self).__name__}.{name}: per-neuron array has {value.shape[0]} values "
                f"but the population has {n} neurons"
            )
        return np.array(value, dtype=np.int64)

    def _is_per_neuron_array(self, name: str) -> bool:
        value = getattr(self, name)
        return isinstance(value, np.ndarray) and value.ndim >= 1

    def check_size(self, n: int) -> None:
        """Raise ShapeError unless every per-neuron array has ``n`` entries."""
        for name in self.per_neuron:
            self.per_neuron_values(name, n)

    def slice(self, lo: int, hi: int) -> NeuronSpec:
        """The spec of neurons ``lo:hi`` (per-neuron arrays cut to the slice)."""
        changes = {
            name: getattr(self, name)[lo:hi]
            for name in self.per_neuron
            if self._is_per_neuron_array(name)
        }
        return dataclasses.replace(self, **changes) if changes else self

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, f.name), getattr(other, f.name))
            for f in dataclasses.fields(self)
        )

    def __hash__(self) -> int:
        parts = [np.asarray(getattr(self, f.name)).tobytes() for f in dataclasses.fields(self)]
        return hash((type(self).__name__, *parts))


def _scalar_or_array(owner: str, name: str, value, lo: int, hi: int, ndim_max: int = 1):
    if isinstance(value, (numbers.Number, np.generic)) or value is None:
        return check_int(owner, name, value, lo, hi)
    arr = int_array(owner, name, value, lo, hi)
    if arr.ndim > ndim_max:
        raise ShapeError(
            f"{owner}.{name}: must be a scalar or 1-D per-neuron array (got {arr.shape})"
        )
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class CubaLIF(NeuronSpec):
    r"""Loihi's current-based leaky integrate-and-fire compartment, bit-exact.

    Parameters
    ----------
    du, dv : int
        Current and voltage decay, 12-bit unsigned (0..4095).
    vth : int
        Threshold mantissa, 0..131071; the compartment fires when ``v > vth << 6``.
    bias_mant : int or array
        Bias mantissa, 13-bit signed (-4096..4095), scalar or one value per neuron.
    bias_exp : int or array
        Bias exponent, 0..7, scalar or per neuron; the bias is ``bias_mant << bias_exp``.
    refract_delay : int
        1..63. After a spike ``v`` is held at 0 for ``refract_delay - 1`` further steps
        (1 = no hold).
    vmin, vmax : int, optional
        Membrane clip limits; default ``-(2**23 - 1)`` and ``2**23 - 1``.

    Notes
    -----
    One timestep, per compartment, in integer arithmetic (docs/hardware.md §1)::

        q   = wrap22( sum_k w_k * payload_k )        # w_k = shift(Wq, weight_exp) << 6
        u   = wrap24( sgn(u) * ((|u| * (4096 - (du + 1))) >> 12) + q )
        u2  = wrap24( u + (bias_mant << bias_exp) )
        v   = clip( sgn(v) * ((|v| * (4096 - dv)) >> 12) + u2, vmin, vmax )
        v   = 0 where ref > 0
        s   = v > (vth << 6);  v = 0 where s
        ref = max(where(s, refract_delay, ref) - 1, 0)

    ``wrapB(x) = ((x + 2^(B-1)) mod 2^B) - 2^(B-1)``. Decay truncates the magnitude toward zero.
    """

    du: int
    dv: int
    vth: int
    bias_mant: int | np.ndarray = 0
    bias_exp: int | np.ndarray = 0
    refract_delay: int = 1
    vmin: int | None = None
    vmax: int | None = None

    per_neuron = ("bias_mant", "bias_exp")
    state_vars = ("u", "v", "ref")
    input_shift = LOIHI_VTH_SHIFT  # q = sum(w << 6): the mantissa sits 6 bits up in the accumulator

    def __post_init__(self) -> None:
        o = "CubaLIF"
        s = object.__setattr__
        s(self, "du", check_int(o, "du", self.du, 0, LOIHI_DECAY_MAX))
        s(self, "dv", check_int(o, "dv", self.dv, 0, LOIHI_DECAY_MAX))
        s(self, "vth", check_int(o, "vth", self.vth, 0, LOIHI_VTH_MAX))
        s(self, "bias_mant", _scalar_or_array(o, "bias_mant", self.bias_mant, *LOIHI_BIAS_MANT))
        s(self, "bias_exp", _scalar_or_array(o, "bias_exp", self.bias_exp, *LOIHI_BIAS_EXP))
        s(
            self,
            "refract_delay",
            check_int(o, "refract_delay", self.refract_delay, 1, LOIHI_REFRACT_MAX),
        )
        vmin = -LOIHI_V_MAX if self.vmin is None else check_int(o, "vmin", self.vmin, -(2**23), 0)
        vmax = LOIHI_V_MAX if self.vmax is None else check_int(o, "vmax", self.vmax, 0, LOIHI_V_MAX)
        s(self, "vmin", vmin)
        s(self, "vmax", vmax)

    def never_fires(self) -> str | None:
        if (self.vth << 6) >= self.vmax:
            return (f"{self.model} fires when v > vth << 6 = {self.vth << 6}, but v is clipped at "
                    f"vmax = {self.vmax}: it can never fire (fine for a read-out whose v you probe)")  # fmt: skip
        return None

    @property
    def registers(self) -> dict[str, int]:
        return {"q": 22, "u": 24, "v": 24}  # dendritic accumulator, current, voltage

    @property
    def state_bits(self) -> int:
        return 48  # u + v; the refractory counter is not counted

    def state_range(self, name: str) -> tuple[int, int]:
        if name == "ref":
            return 0, self.refract_delay - 1
        if name == "v":
            return self.vmin, self.vmax
        return NeuronSpec.state_range(self, name)  # slots dataclass: no zero-arg super()

    @property
    def shift_invariant(self) -> bool:
        """No bias: from u = v = 0 with no input nothing moves (vth >= 0, strict compare)."""
        return not np.any(self.bias_mant)

    def bias(self, n: int) -> np.ndarray:
        """Per-neuron bias ``bias_mant << bias_exp`` as int64 (length ``n``)."""
        return self.per_neuron_values("bias_mant", n) << self.per_neuron_values("bias_exp", n)


@dataclass(frozen=True, slots=True, eq=False)
class CubaLIFSubtract(CubaLIF):
    r"""A CUBA LIF compartment that resets by subtraction the way snnTorch does (``Leaky``,
    ``RLeaky``, ``Synaptic`` with their default ``reset_mechanism="subtract"``): the threshold
    is taken off *after* the next step's decay and input, not at the spike. Loihi 1's
    compartments cannot do this (they reset v to 0); a programmable-neuron program on Loihi
    2-like cores can: profiles list it as ``"CubaLIFSubtract"`` (its cost is priced as a CubaLIF
    update and marked unverified).

    Parameters are :class:`CubaLIF`'s (``refract_delay`` must stay 1: snnTorch has no
    refractory hold). ``v`` holds snnTorch's ``mem``: the membrane before the reset.

    Notes
    -----
    One timestep, per compartment (``reference.cuba_lif_subtract_update``)::

        r   = v > (vth << 6)                          # last step's spike, read off v
        q, u, u2 as CubaLIF's
        v   = clip( sgn(v) * ((|v| * (4096 - dv)) >> 12) + u2 - r * (vth << 6), vmin, vmax )
        s   = v > (vth << 6)                          # v is kept: the reset comes next step

    which is snnTorch's ``mem = beta * mem + input - reset * threshold`` with ``reset =
    H(mem_prev - threshold)`` (its ``reset_delay=True`` default).
    """

    state_vars = ("u", "v")

    def __post_init__(self) -> None:
        CubaLIF.__post_init__(self)
        if self.refract_delay != 1:
            raise ParameterError(
                f"CubaLIFSubtract.refract_delay: must be 1 (got {self.refract_delay}); a "
                "refractory hold is CubaLIF's (reset to 0)"
            )

    @property
    def shift_invariant(self) -> bool:
        return not np.any(self.bias_mant)


@dataclass(frozen=True, slots=True, eq=False)
class IF(NeuronSpec):
    r"""Integrate-and-fire core with a saturating membrane and graded (multi-bit) spikes.

    Parameters
    ----------
    vth : int
        Threshold, 1 .. 2**(v_bits-1) - 1.
    reset : {"subtract", "zero", "step"}
        After a spike of payload ``p``: ``v -= p * vth`` (soft reset) or ``v = 0``; "step"
        clears ``v`` after every step, spike or not (a stateless graded neuron, the ReLU unit of
        Loihi 2's graded-spike cores: each step's payload depends on that step's input only).
    v_bits : int
        Membrane width, 2..32; ``v`` saturates at ``-2**(v_bits-1)`` and ``2**(v_bits-1) - 1``.
    spike_bits : int
        Payload magnitude bits, 1..24. A neuron with ``v >= k * vth`` emits ``min(k, 2**b - 1)``.
        ``spike_bits=1`` gives ordinary binary spikes.
    bipolar : bool
        Also fire negative spikes when ``v <= -vth`` (symmetric threshold), with payload
        ``-min(k, 2**b - 1)`` where ``-v >= k * vth`` (the bipolar IF of CRNN/ANN→SNN conversion).
        Payloads then need ``spike_bits + 1`` bits.
    leak : int
        Linear leak toward zero, ``>= 0``: ``|v|`` shrinks by ``leak`` per step, never past 0.
    bias : int or array
        Constant input added every step, scalar or one value per neuron.
    floor : int, optional
        The lowest membrane value, ``-2**(v_bits-1) .. 0`` (default: the register's lowest):
        ``v`` is clamped there by design, as a Loihi compartment clips ``v`` at ``vmin``, and a
        clamp at the floor is not a saturation (a value below the register still is). A
        strong negative input then clears any membrane to exactly ``floor``.

    Notes
    -----
    One timestep, per neuron::

        x = v + I + bias                         # I: summed synaptic input (weights x payloads)
        x = x - sgn(x) * min(|x|, leak)          # leak toward zero
        v = clip(x, floor, 2^(v_bits-1) - 1)     # floor: -2^(v_bits-1) unless given
        k = floor(v / vth) if v >= vth; -floor(-v / vth) if bipolar and v <= -vth; else 0
        p = sgn(k) * min(|k|, 2^spike_bits - 1)
        v = v - p * vth   (subtract)   |   v = 0 where p != 0   (zero)   |   v = 0   (step)
    """

    vth: int
    reset: str = "subtract"
    v_bits: int = 24
    spike_bits: int = 1
    bipolar: bool = False
    leak: int = 0
    bias: int | np.ndarray = 0
    floor: int | None = None

    per_neuron = ("bias",)
    state_vars = ("v",)
    saturating = ("v",)  # the membrane clips at vmin / vmax

    def __post_init__(self) -> None:
        o = "IF"
        s = object.__setattr__
        s(self, "v_bits", check_int(o, "v_bits", self.v_bits, 2, 32))
        vmax = 2 ** (self.v_bits - 1) - 1
        s(self, "vth", check_int(o, "vth", self.vth, 1, vmax))
        s(self, "reset", check_choice(o, "reset", self.reset, ("subtract", "zero", "step")))
        s(self, "spike_bits", check_int(o, "spike_bits", self.spike_bits, 1, 24))
        s(self, "bipolar", check_bool(o, "bipolar", self.bipolar))
        s(self, "leak", check_int(o, "leak", self.leak, 0, vmax))
        s(self, "bias", _scalar_or_array(o, "bias", self.bias, -vmax - 1, vmax))
        if self.floor is not None:
            s(self, "floor", check_int(o, "floor", self.floor, -vmax - 1, 0))

    @property
    def payload_bits(self) -> int:
        return self.spike_bits + int(self.bipolar)

    @property
    def registers(self) -> dict[str, int]:
        return {"v": self.v_bits}

    @property
    def shift_invariant(self) -> bool:
        """No bias: from v = 0 with no input v stays 0 (the leak pulls toward 0, vth > 0)."""
        return not np.any(self.bias)

    @property
    def payload_cap(self) -> int:
        return 2**self.spike_bits - 1

    @property
    def vmin(self) -> int:
        """The membrane's lowest value: ``floor`` when given, else the register's."""
        return self.register_min if self.floor is None else self.floor

    @property
    def register_min(self) -> int:
        return -(2 ** (self.v_bits - 1))

    @property
    def vmax(self) -> int:
        return 2 ** (self.v_bits - 1) - 1


@dataclass(frozen=True, slots=True, eq=False)
class SmoothIF(IF):
    r"""An :class:`IF` neuron whose spike decision reads its membrane smoothed across timesteps
    (membrane-potential smoothing, the "ensemble" view of SNNs: each timestep's output is a
    vote, and smoothing shrinks the disagreement between early and late votes). A programmable
    neuron (Loihi 2-like cores): profiles list it as ``"SmoothIF"``.

    Parameters
    ----------
    alpha : int
        Smoothing factor as a 12-bit fraction, 0..4095 (of 4096): ``alpha = 0`` is :class:`IF`
        exactly; 2048 weighs the last smoothed value and the new membrane equally.
    (the other parameters as :class:`IF`)

    Notes
    -----
    One timestep, per neuron (``reference.smooth_if_update``)::

        x = v + I + bias;  x -= sgn(x) * min(|x|, leak);  v = clip(x, vmin, vmax)
        vbar = (alpha * vbar + (4096 - alpha) * v) >> 12       # floor
        p = payload of vbar (as IF's of v)
        subtract: v = clip(v - p * vth, vmin, vmax), vbar -= p * vth;  zero: both 0 where
        p != 0;  step: both 0 after every step
    """

    alpha: int = 2048

    state_vars = ("v", "vbar")

    def __post_init__(self) -> None:
        IF.__post_init__(self)
        object.__setattr__(self, "alpha", check_int("SmoothIF", "alpha", self.alpha, 0, 4095))
        if self.floor is not None:
            raise ParameterError(f"SmoothIF.floor: not supported (got {self.floor}); the "
                                 "smoothed membrane clamps at the register's limits")  # fmt: skip

    @property
    def registers(self) -> dict[str, int]:
        return {"v": self.v_bits, "vbar": self.v_bits}


@dataclass(frozen=True, slots=True, eq=False)
class TrueNorthNeuron(NeuronSpec):
    r"""IBM TrueNorth's digital neuron (Cassidy et al., IJCNN 2013), bit-exact to that model.

    Parameters
    ----------
    weights : 4 ints or (n, 4) array
        Signed 9-bit synaptic weight ``S[G]`` per axon type ``G`` (-256..255), shared by the
        population or one row per neuron.
    alpha : int
        Positive threshold, 0..262143 (18-bit unsigned). Fires when ``V >= alpha + eta``.
    leak : int
        Leak ``lambda``, signed 9-bit (-256..255), added every tick.
    leak_reversal : bool
        ``epsilon``: the leak is multiplied by ``sgn(V)`` so a negative leak pulls V toward 0.
    beta : int
        Negative threshold magnitude, 0..262143.
    negative_mode : {"saturate", "reset"}
        ``kappa``: "saturate" holds V at ``-beta``; "reset" resets it (by ``reset_mode``) once
        ``V < -(beta + eta)``.
    reset_mode : {0, 1, 2}
        ``gamma``: 0 sets ``V = reset_value``, 1 (linear) subtracts ``alpha + eta``, 2 leaves V.
    reset_value : int
        ``R``, signed 18-bit.
    threshold_mask_bits : int
        ``TM`` 0..17; the threshold adds ``eta = prn & (2**TM - 1)`` (0 = deterministic).
    stochastic_synapse : 4 bools
        Per axon type: each synaptic event adds ``sgn(S)`` with probability ``|S| / 256``
        (``|S| >= prn8``) instead of ``S``.
    stochastic_leak : bool
        The leak adds ``Omega * sgn(lambda)`` when ``|lambda| >= prn8``, instead of
        ``Omega * lambda``.

    Notes
    -----
    One tick (the order of the hardware: integrate, leak, threshold/fire/reset)::

        V += sum_G count_G * S[G]                        # or the stochastic draws per event
        V += Omega * lambda,  Omega = 1 or sgn(V)        # leak, leak reversal
        V  = clip(V, -2^19, 2^19 - 1)                    # 20-bit saturating membrane
        eta = prn & (2^TM - 1)
        if V >= alpha + eta:   spike; V = R | V - (alpha + eta) | V     (gamma 0 | 1 | 2)
        elif V < -(beta [+ eta if reset]):
            saturate: V = -beta;  reset: V = -R | V + (beta + eta) | V

    Pseudo-random numbers come from a counter-based generator keyed by (seed, tick, neuron,
    stream), so every backend and every mapping draws the same numbers.
    """

    weights: tuple | np.ndarray = (1, 1, 1, 1)
    alpha: int = 1
    leak: int = 0
    leak_reversal: bool = False
    beta: int = 0
    negative_mode: str = "saturate"
    reset_mode: int = 0
    reset_value: int = 0
    threshold_mask_bits: int = 0
    stochastic_synapse: tuple = field(default=(False, False, False, False))
    stochastic_leak: bool = False

    per_neuron = ("weights",)
    state_vars = ("v",)
    saturating = ("v",)  # the 20-bit membrane clips
    accumulators = 4  # one event counter per axon type G
    synapse_format = "typed_axons"

    def __post_init__(self) -> None:
        o = "TrueNorthNeuron"
        s = object.__setattr__
        w = int_array(o, "weights", self.weights, *TN_WEIGHT)
        if w.ndim not in (1, 2) or w.shape[-1] != 4:
            raise ShapeError(
                f"{o}.weights: must have 4 values (one per axon type) or shape (n, 4) "
                f"(got shape {w.shape})"
            )
        s(self, "weights", w)
        s(self, "alpha", check_int(o, "alpha", self.alpha, 0, TN_THRESH_MAX))
        s(self, "leak", check_int(o, "leak", self.leak, *TN_LEAK))
        s(self, "leak_reversal", check_bool(o, "leak_reversal", self.leak_reversal))
        s(self, "beta", check_int(o, "beta", self.beta, 0, TN_THRESH_MAX))
        s(
            self,
            "negative_mode",
            check_choice(o, "negative_mode", self.negative_mode, ("saturate", "reset")),
        )
        s(self, "reset_mode", check_int(o, "reset_mode", self.reset_mode, 0, 2))
        s(self, "reset_value", check_int(o, "reset_value", self.reset_value, *TN_RESET))
        s(
            self,
            "threshold_mask_bits",
            check_int(o, "threshold_mask_bits", self.threshold_mask_bits, 0, TN_MASK_BITS_MAX),
        )
        stoch = check_sequence(
            o, "stochastic_synapse", self.stochastic_synapse, 4
        )  # 1 per axon type
        s(
            self,
            "stochastic_synapse",
            tuple(check_bool(o, f"stochastic_synapse[{g}]", b) for g, b in enumerate(stoch)),
        )
        s(self, "stochastic_leak", check_bool(o, "stochastic_leak", self.stochastic_leak))

    def weight_table(self, n: int) -> np.ndarray:
        """Per-neuron weights as an ``(n, 4)`` int16 array."""
        if self.weights.ndim == 1:
            return np.tile(self.weights.astype(np.int16), (n, 1))
        if self.weights.shape[0] != n:
            raise ShapeError(
                f"TrueNorthNeuron.weights: has {self.weights.shape[0]} rows but the population "
                f"has {n} neurons"
            )
        return np.array(self.weights, dtype=np.int16)

    @property
    def registers(self) -> dict[str, int]:
        return {"v": TN_V_BITS}

    def _is_per_neuron_array(self, name: str) -> bool:
        return name == "weights" and self.weights.ndim == 2  # (4,) is shared by every neuron

    def check_size(self, n: int) -> None:
        self.weight_table(n)

    @property
    def shift_invariant(self) -> bool:
        """From V = 0 with no input V stays 0 and silent: no leak drive (``leak == 0``, leak
        reversal, or a negative leak saturated back to 0 by ``beta = 0``), ``alpha > 0``; and
        no random draws keyed by the step (stochastic synapses, threshold or a non-zero
        stochastic leak)."""
        v = 0 if self.leak_reversal else self.leak
        if v < -self.beta and self.negative_mode == "saturate":
            v = -self.beta
        return (
            v == 0
            and self.alpha > 0
            and self.threshold_mask_bits == 0
            and not any(self.stochastic_synapse)
            and not (self.stochastic_leak and self.leak != 0)
        )

    @property
    def stochastic_synapse_mask(self) -> int:
        return sum(1 << g for g, b in enumerate(self.stochastic_synapse) if b)

    @property
    def vmin(self) -> int:
        return -(2 ** (TN_V_BITS - 1))

    @property
    def vmax(self) -> int:
        return 2 ** (TN_V_BITS - 1) - 1


# ---------------------------------------------------------------- Loihi 2 neuron programs
# Parameters carry the names and meanings of Lava 0.10's processes (lava.proc.sdn SigmaDelta,
# lava.proc.rf RF, lava.proc.atrlif ATRLIF) so a Lava user's keyword arguments pass unchanged
# (minus ``shape``); the register values are derived from them the way Lava's fixed-point
# models derive theirs (docs/models/*.md). Lava declares these fields' precisions (3-bit
# exponents, 12-bit decays, 24-bit states); spikemesh enforces them.

LOIHI2_PROGRAM = ("a Loihi 2 programmable-neuron program (microcode); Loihi 1 and TrueNorth "
                  "cores have fixed neuron pipelines")  # fmt: skip
LAVA_EXP = (0, 7)  # spike_exp, state_exp: Lava declares them 3-bit
LOIHI2_STATE_MAX = 2**23 - 1  # 24-bit state registers


def _trunc_array(owner: str, name: str, value, scale: int, lo: int, hi: int):
    """``int(value * scale)`` truncated toward zero (Lava casting a float into an int32 Var),
    scalar or per-neuron 1-D array, checked to lie in ``lo..hi``."""
    arr = float_array(owner, name, value)
    if arr.ndim > 1:
        raise ShapeError(f"{owner}.{name}: must be a scalar or 1-D per-neuron array "
                         f"(got {arr.shape})")  # fmt: skip
    reg = np.trunc(arr * scale)
    if reg.size and (reg.min() < lo or reg.max() > hi):
        bad = reg.min() if reg.min() < lo else reg.max()
        raise ParameterError(
            f"{owner}.{name}: {name} x 2**{int(np.log2(scale))} = {bad:.0f} does not fit its "
            f"register ({lo}..{hi}); got {show(value)}"
        )
    return reg.astype(np.int64)


def _warn_if_truncated(owner: str, name: str, value, scale: int) -> None:
    """QuantizationWarning when ``value * scale`` is not whole: Lava's int32 register keeps
    ``int(value * scale)`` (toward zero), which may not be what the value meant."""
    x = np.asarray(value, np.float64) * scale
    lost = x != np.trunc(x)
    if np.any(lost):
        v = float(np.ravel(x)[np.argmax(np.ravel(lost))])
        warnings.warn(
            f"{owner}.{name}: {name} x 2**{int(np.log2(scale))} = {v:g} is not whole; the "
            f"register keeps {int(np.trunc(v))} (truncated toward zero, as Lava's fixed-point "
            "model does): raise the exponent for more precision",
            QuantizationWarning,
            stacklevel=4,
        )


def _number_or_array(owner: str, name: str, value):
    if isinstance(value, (numbers.Real, np.generic)) and not isinstance(value, (bool, np.bool_)):
        return check_number(owner, name, value)
    arr = float_array(owner, name, value)
    if arr.ndim != 1:
        raise ShapeError(f"{owner}.{name}: must be a scalar or 1-D per-neuron array "
                         f"(got shape {arr.shape})")  # fmt: skip
    return arr


SIGMA_DELTA_ACT = {"relu": "relu", "unit": "unit", 1: "relu", 0: "unit"}


@dataclass(frozen=True, slots=True, eq=False)
class SigmaDelta(NeuronSpec):
    r"""Lava's sigma-delta neuron (``lava.proc.sdn.SigmaDelta``), its fixed-point model bit for
    bit: it integrates its (graded) input, applies an activation and sends the *change* of
    the activation as a graded spike once the change, with what earlier sends left over,
    reaches the threshold. A Loihi 2 programmable-neuron program (profiles list it as
    ``"SigmaDelta"``).

    Parameters (Lava's names and meanings)
    --------------------------------------
    vth : number
        Threshold on the delta, in activation units; the register holds
        ``int(vth * 2**(spike_exp + state_exp))`` (24-bit, >= 0).
    bias : number or array
        Added to sigma before the activation; register ``int(bias * 2**(spike_exp +
        state_exp))``, scalar or per neuron.
    act_mode : "relu" or "unit" (or Lava's ``ActivationMode`` 1 / 0)
        ReLU or the identity.
    cum_error : bool
        Threshold the cumulative error instead of the delta.
    spike_exp, state_exp : int
        0..7 (3-bit in Lava). The graded output is ``s >> state_exp``.

    Notes
    -----
    One timestep (``reference.sigma_delta_update``; every register int32 as in Lava)::

        sigma += a_in;   a = act(sigma + bias);   delta = a - act_prev + residue
        s = delta where |delta| >= vth (or |error| >= vth with error += delta, cum_error)
        residue = delta - s;   act_prev = a;   payload = s >> state_exp

    Lava's input is the summed synaptic input: ``Network.connect`` weights times the
    sender's graded payloads. See docs/models/sigma_delta.md.
    """

    vth: float
    bias: float | np.ndarray = 0
    act_mode: str = "relu"
    cum_error: bool = False
    spike_exp: int = 0
    state_exp: int = 0

    per_neuron = ("bias",)
    state_vars = ("sigma", "act", "residue", "error")
    program = LOIHI2_PROGRAM

    def __post_init__(self) -> None:
        o = "SigmaDelta"
        s = object.__setattr__
        s(self, "spike_exp", check_int(o, "spike_exp", self.spike_exp, *LAVA_EXP))
        s(self, "state_exp", check_int(o, "state_exp", self.state_exp, *LAVA_EXP))
        s(self, "vth", check_number(o, "vth", self.vth, 0))
        mode = self.act_mode.lower() if isinstance(self.act_mode, str) else self.act_mode
        if not isinstance(mode, (str, numbers.Integral)) or isinstance(mode, (bool, np.bool_)) \
                or mode not in SIGMA_DELTA_ACT:  # fmt: skip
            raise ParameterError(f"{o}.act_mode: must be 'relu' or 'unit' (Lava's "
                                 f"ActivationMode.RELU / UNIT) (got {show(self.act_mode)})")  # fmt: skip
        s(self, "act_mode", SIGMA_DELTA_ACT[mode])
        s(self, "cum_error", check_bool(o, "cum_error", self.cum_error))
        s(self, "bias", _number_or_array(o, "bias", self.bias))
        _ = self.vth_register  # range checks
        _trunc_array(o, "bias", self.bias, self.scale, -(2**23), 2**23 - 1)
        _warn_if_truncated(o, "vth", self.vth, self.scale)
        _warn_if_truncated(o, "bias", self.bias, self.scale)

    @property
    def scale(self) -> int:
        return 1 << (self.spike_exp + self.state_exp)

    @property
    def vth_register(self) -> int:
        """``int(vth * 2**(spike_exp + state_exp))`` (Lava's scaled ``vth`` Var)."""
        return int(_trunc_array("SigmaDelta", "vth", self.vth, self.scale, 0, LOIHI2_STATE_MAX))

    def bias_register(self, n: int) -> np.ndarray:
        """Per-neuron ``int(bias * 2**(spike_exp + state_exp))`` (Lava's scaled ``bias``)."""
        reg = _trunc_array("SigmaDelta", "bias", self.bias, self.scale, -(2**23), 2**23 - 1)
        if reg.ndim == 0:
            return np.full(n, int(reg), np.int64)
        if reg.shape[0] != n:
            raise ShapeError(f"SigmaDelta.bias: per-neuron array has {reg.shape[0]} values but "
                             f"the population has {n} neurons")  # fmt: skip
        return np.ascontiguousarray(reg)

    def check_size(self, n: int) -> None:
        self.bias_register(n)

    def _is_per_neuron_array(self, name: str) -> bool:
        return name == "bias" and isinstance(self.bias, np.ndarray)

    @property
    def payload_bits(self) -> int:
        return 24  # Lava's s_out: 24-bit graded payloads

    @property
    def registers(self) -> dict[str, int]:
        return {"sigma": 32, "act": 32, "residue": 32, "error": 32}  # Lava: int32 arrays

    @property
    def state_bits(self) -> int:
        return 96 if not self.cum_error else 128  # sigma, act, residue (+ error)

    def state_range(self, name: str) -> tuple[int, int]:
        return -(2**31), 2**31 - 1

    @property
    def shift_invariant(self) -> bool:
        """No bias: from zero state with no input every register stays 0 and sends nothing."""
        return not np.any(np.trunc(np.asarray(self.bias) * self.scale))


@dataclass(frozen=True, slots=True, eq=False)
class ResonateFire(NeuronSpec):
    r"""Lava's resonate-and-fire neuron (``lava.proc.rf.RF``), its fixed-point model bit for
    bit: a damped complex oscillator (real and imaginary parts) that fires when the real part
    is at or over the threshold as the phase crosses zero upward. A Loihi 2 programmable-neuron
    program (profiles list it as ``"ResonateFire"``). It has two inputs, ``port="real"``
    (the default) and ``port="imag"`` of ``Network.connect``.

    Parameters (Lava's names and meanings)
    --------------------------------------
    period : float
        Resonator period in timesteps (> 0).
    alpha : float
        Decay per step, 0..1.
    vth : float
        Threshold on the real part; the register holds ``int(vth * 2**state_exp)``.
    state_exp : int
        0..7: inputs enter ``<< state_exp``.
    decay_bits : int
        0..12: the rotation ``(1 - alpha) (cos, sin)(2 pi / period)`` is held as integers of
        ``decay_bits`` fractional bits (Lava's default 0 rounds them to 0: spikemesh warns).

    Notes
    -----
    One timestep (``reference.resonate_fire_update``), ``scale(x) = sgn(x)(|x| >> decay_bits)``::

        re' = clip(scale(cos re) - scale(sin im) + (a_re << state_exp), +-(2**23 - 1))
        im' = clip(scale(sin re) + scale(cos im) + (a_im << state_exp), +-(2**23 - 1))
        s   = (re' >= vth) & (im' >= 0) & (im < 0)

    See docs/models/resonate_fire.md.
    """

    period: float
    alpha: float
    vth: float = 1
    state_exp: int = 0
    decay_bits: int = 0

    state_vars = ("real", "imag")
    saturating = ("real", "imag")
    accumulators = 2
    input_ports = ("real", "imag")
    program = LOIHI2_PROGRAM

    def __post_init__(self) -> None:
        o = "ResonateFire"
        s = object.__setattr__
        s(self, "period", check_number(o, "period", self.period))
        if not self.period > 0:
            raise ParameterError(
                f"{o}.period: must be a finite number > 0 (got {show(self.period)})"
            )
        s(self, "alpha", check_number(o, "alpha", self.alpha, 0, 1))
        s(self, "vth", check_number(o, "vth", self.vth))
        s(self, "state_exp", check_int(o, "state_exp", self.state_exp, *LAVA_EXP))
        s(self, "decay_bits", check_int(o, "decay_bits", self.decay_bits, 0, 12))
        _ = self.vth_register  # range check
        _warn_if_truncated(o, "vth", self.vth, 1 << self.state_exp)
        if self.sin_decay == 0 and self.cos_decay == 0:
            warnings.warn(
                f"{o}(period={self.period:g}, alpha={self.alpha:g}, decay_bits="
                f"{self.decay_bits}): the rotation (1 - alpha)(cos, sin)(2 pi / period) rounds "
                f"to 0 at {self.decay_bits} fractional bits, so the neuron does not resonate "
                "(its state is its last input); Lava's fixed-point model does the same. Raise "
                "decay_bits (12 keeps the most)",
                SilentPopulationWarning,
                stacklevel=3,
            )

    def _decay(self, fn) -> int:
        x = (1 - self.alpha) * fn(np.pi * 2 * 1 / self.period)  # Lava's expression, in order
        return int(np.int32(x * (1 << self.decay_bits)))  # truncation toward zero

    @property
    def sin_decay(self) -> int:
        """``int((1 - alpha) * sin(2 pi / period) * 2**decay_bits)`` (Lava's ``sin_decay``)."""
        return self._decay(np.sin)

    @property
    def cos_decay(self) -> int:
        """``int((1 - alpha) * cos(2 pi / period) * 2**decay_bits)`` (Lava's ``cos_decay``)."""
        return self._decay(np.cos)

    @property
    def vth_register(self) -> int:
        """``int(vth * 2**state_exp)`` (Lava's ``vth`` Var, truncated into int32)."""
        return int(_trunc_array("ResonateFire", "vth", self.vth, 1 << self.state_exp,
                                -LOIHI2_STATE_MAX, LOIHI2_STATE_MAX))  # fmt: skip

    @property
    def registers(self) -> dict[str, int]:
        return {"real": 24, "imag": 24}

    def state_range(self, name: str) -> tuple[int, int]:
        return -LOIHI2_STATE_MAX, LOIHI2_STATE_MAX

    @property
    def shift_invariant(self) -> bool:
        """From zero with no input both parts stay 0; a spike needs ``im < 0`` first."""
        return True


@dataclass(frozen=True, slots=True, eq=False)
class AdaptiveLIF(NeuronSpec):
    r"""Lava's adaptive-threshold and adaptive-refractoriness LIF (``lava.proc.atrlif.ATRLIF``),
    its fixed-point model bit for bit ("bit-by-bit mimicking ... Loihi 2", Lava's docstring):
    a CUBA LIF whose threshold ``theta`` jumps by ``theta_step`` at each spike and relaxes to
    ``theta_0``, and whose refractory state ``r`` jumps by ``2 theta`` and decays. A Loihi 2
    programmable-neuron program (profiles list it as ``"AdaptiveLIF"``).

    Parameters (Lava's names, defaults and meanings)
    ------------------------------------------------
    delta_i, delta_v, delta_theta, delta_r : float
        Decay fractions per step of the current, voltage, threshold and refractory state,
        0..1.
    theta_0 : float
        Baseline threshold, 0 <= theta_0 < 4096 (register ``int(theta_0 * 64)``).
    theta_step : float
        Threshold increase per spike, 0 <= theta_step < 4096 (register ``int(theta_step * 64)``).
    bias_mant : int or array
        13-bit signed, scalar or per neuron.
    bias_exp : int or array
        -7..7: the bias is ``bias_mant << bias_exp`` (``>> -bias_exp`` when negative).

    Notes
    -----
    One timestep (``reference.adaptive_lif_update``)::

        i     = wrap(dec(i, 4096 - (4096 delta_i + 1)) + 64 a_in)      # Lava's 24-bit wrap
        v     = clip(dec(v, int(4096 (1 - delta_v))) + i + bias, +-(2**23 - 1))
        theta = dec(theta - theta_0, int(4096 (1 - delta_theta))) + theta_0
        r     = dec(r, int(4096 (1 - delta_r)))
        s     = v - r >= theta;   where s: r += 2 theta, theta += theta_step

    ``dec(x, f) = sgn(x f)(|x f| >> 12)``; the current's factor is a float in Lava (the
    product is taken in double precision and truncated), the others are truncated integers.
    See docs/models/adaptive_lif.md.
    """

    delta_i: float = 0.4
    delta_v: float = 0.4
    delta_theta: float = 0.2
    delta_r: float = 0.2
    theta_0: float = 5
    theta_step: float = 3.75
    bias_mant: int | np.ndarray = 0
    bias_exp: int | np.ndarray = 0

    per_neuron = ("bias_mant", "bias_exp")
    state_vars = ("i", "v", "theta", "r")
    saturating = ("v",)
    program = LOIHI2_PROGRAM

    def __post_init__(self) -> None:
        o = "AdaptiveLIF"
        s = object.__setattr__
        for name in ("delta_i", "delta_v", "delta_theta", "delta_r"):
            s(self, name, check_number(o, name, getattr(self, name), 0, 1))
        for name in ("theta_0", "theta_step"):
            value = check_number(o, name, getattr(self, name), 0)
            if value >= 4096:
                raise ParameterError(f"{o}.{name}: must be a finite number in 0 .. < 4096 "
                                     f"(12-bit in Lava) (got {show(value)})")  # fmt: skip
            s(self, name, value)
        s(self, "bias_mant", _scalar_or_array(o, "bias_mant", self.bias_mant, *LOIHI_BIAS_MANT))
        s(self, "bias_exp", _scalar_or_array(o, "bias_exp", self.bias_exp, -7, 7))

    @property
    def fac_i(self) -> float:
        """``4096 - (delta_i * 4096 + 1)``: the current's decay factor, a float as in Lava."""
        return 4096 - (self.delta_i * 4096 + 1)

    def _fac(self, delta: float) -> int:
        return int(np.int64(4096 - delta * 4096))

    @property
    def factors(self) -> tuple[int, int, int]:
        """Integer decay factors of v, theta and r: ``int(4096 - delta * 4096)``."""
        return self._fac(self.delta_v), self._fac(self.delta_theta), self._fac(self.delta_r)

    @property
    def theta_0_register(self) -> int:
        return int(np.int32(self.theta_0 * 64))

    @property
    def theta_step_register(self) -> int:
        return int(np.int32(self.theta_step * 64))

    def bias(self, n: int) -> np.ndarray:
        """Per-neuron ``bias_mant << bias_exp`` (``>> -bias_exp`` for negative exponents)."""
        m = self.per_neuron_values("bias_mant", n)
        e = self.per_neuron_values("bias_exp", n)
        return np.ascontiguousarray(np.where(e >= 0, m << np.maximum(e, 0), m >> np.maximum(-e, 0)))

    def resting(self, name: str) -> int:
        return self.theta_0_register if name == "theta" else 0

    @property
    def registers(self) -> dict[str, int]:
        return {"i": 24, "v": 24, "theta": 24, "r": 24}

    def state_range(self, name: str) -> tuple[int, int]:
        if name == "v":
            return -LOIHI2_STATE_MAX, LOIHI2_STATE_MAX
        return -(2**23), 2**23

    @property
    def shift_invariant(self) -> bool:
        """No bias and a positive baseline threshold: at rest v - r = 0 < theta_0."""
        return not np.any(self.bias_mant) and self.theta_0_register > 0


@dataclass(frozen=True, slots=True, eq=False)
class ProdNeuron(NeuronSpec):
    r"""Lava's product neuron (``lava.proc.prodneuron.ProdNeuron``), its fixed-point model bit
    for bit: it multiplies its two graded inputs (ports ``"a_in1"``, the default, and
    ``"a_in2"`` of ``Network.connect``) and sends the product as a graded spike where its
    magnitude exceeds the threshold. Stateless. The product compartment of spiking attention
    (``Q K^T``: a 1 on both inputs gives 1). A Loihi 2 programmable-neuron program (profiles
    list it as ``"ProdNeuron"``).

    Parameters (Lava's names and defaults)
    --------------------------------------
    vth : int
        0..2**23 - 1: sends where ``|v| > vth`` (strict, as Lava).
    exp : int
        0..23: ``v = (a_in1 * a_in2) >> exp``.

    Notes
    -----
    One timestep (``reference.prod_neuron_update``), int32 as Lava::

        v = wrap32(wrap32(a_in1) * wrap32(a_in2)) >> exp;   payload = v if |v| > vth else 0

    ``v`` is kept as a register for probes (Lava computes it as a local: its ``v`` Var stays 0).
    """

    vth: int = 1
    exp: int = 0

    state_vars = ("v",)
    accumulators = 2
    input_ports = ("a_in1", "a_in2")
    program = LOIHI2_PROGRAM

    def __post_init__(self) -> None:
        o = "ProdNeuron"
        object.__setattr__(self, "vth", check_int(o, "vth", self.vth, 0, LOIHI2_STATE_MAX))
        object.__setattr__(self, "exp", check_int(o, "exp", self.exp, 0, 23))

    @property
    def payload_bits(self) -> int:
        return 24

    @property
    def registers(self) -> dict[str, int]:
        return {"v": 24}  # Lava declares v 24-bit (its arithmetic is int32)

    @property
    def state_bits(self) -> int:
        return 0  # stateless: nothing is read or written between steps

    def state_range(self, name: str) -> tuple[int, int]:
        return -(2**31), 2**31 - 1

    @property
    def shift_invariant(self) -> bool:
        return True  # no input: v = 0, nothing sent
