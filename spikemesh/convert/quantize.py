"""Quantize a float ANN into an integer network that IF neurons compute exactly.

Every weighted layer (Dense, Conv2d) gets signed ``weight_bits`` weights (symmetric, one scale
per layer) stored as a Loihi-style mantissa ``q * 2**(9 - weight_bits)`` (exact in every sign
mode, see :func:`spikemesh.quantize_weights`), an integer bias and an integer threshold ``s``
from threshold balancing (the 99.9th percentile of the layer's float activations on
calibration data maps to the top level). A hidden layer's activation is::

    z = W @ a + b;   a' = clip(floor(z / s), 0, cap),   cap = timesteps * (2**spike_bits - 1)

(the bias carries ``s // 2``, so the floor rounds to nearest): an activation is what a neuron
sends in ``timesteps`` steps of ``spike_bits`` payloads (binary spikes over T steps: T + 1
levels, ceil(log2(T + 1)) bits). Average pooling is ``floor(sum / size**2)``, sum pooling
``min(sum, cap)``; Flatten changes nothing. The last layer's ``z`` are the logits. Inputs are
encoded as ``clip(round(x / scale), 0, input_cap)``, ``input_cap = timesteps *
(2**input_bits - 1)``.
This integer network *is* the quantized ANN: the converted SNN must reproduce it exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_int, check_number, check_sequence, float_array
from ..exceptions import ParameterError, ShapeError
from ..fixedpoint import WEIGHT_MANTISSA_BITS
from ..network import conv2d, pool2d
from .layers import (
    AvgPool2d,
    Conv2d,
    Dense,
    Flatten,
    Recurrent,
    SumPool2d,
    conv2d_batch,
    float_forward,
    is_sequential,
    pool_batch,
)

__all__ = [
    "RULES",
    "QLayer",
    "QuantizedANN",
    "Rule",
    "Site",
    "quantize",
    "recurrent_levels",
    "register",
    "weight_scale",
]

V_LIMIT = 2**23 - 2  # |z| bound: IF's 24-bit membrane holds it and the readout never fires


@dataclass(frozen=True, eq=False)
class QLayer:
    """One quantized layer. ``kind`` is "dense", "conv", "pool", "flatten" or "recurrent"
    (``z_t = a_t @ weight + h_{t-1} @ weight_rec + bias``); ``weight`` holds
    stored mantissas ((n_in, n_out) for dense, (C_out, C_in, kh, kw) for conv); ``threshold``
    is 0 for the output layer (logits) and for flatten; ``in_shape`` / ``out_shape`` are the
    layer's shapes."""

    kind: str
    in_shape: tuple
    out_shape: tuple
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    threshold: int = 0
    weight_bits: int = 8
    stride: int = 1
    padding: int = 0
    size: int = 0
    scale: float = 1.0  # float value of one activation level (of one logit unit when output)
    weight_rec: np.ndarray | None = None  # recurrent layers: (n, n) stored mantissas
    signed: bool = (
        False  # activation sgn(z) * min(|z| // s, cap) (bipolar), else clip(z // s, 0, cap)
    )

    def synapses(self, unit: int = 1):
        """The layer's feed-forward synapses as ``Network.connect`` takes them, weights divided
        by ``unit`` (dense/recurrent: the matrix; conv, pool: a connector; pool weights 1)."""
        if self.kind in ("dense", "recurrent"):
            return self.weight // unit
        if self.kind == "conv":
            return conv2d(self.in_shape, self.weight // unit, self.stride, self.padding)
        return pool2d(self.in_shape, self.size)

    def neuron_bias(self) -> np.ndarray:
        """The bias of every output neuron (conv: repeated over positions; 0 for pooling)."""
        n = int(np.prod(self.out_shape))
        if self.bias is None:
            return np.zeros(n, np.int64)
        b = np.asarray(self.bias, np.int64)
        return np.repeat(b, n // b.size) if self.kind == "conv" else b


@dataclass(frozen=True, eq=False)
class QuantizedANN:
    """The integer network: layers, widths, input encoding scale."""

    layers: tuple[QLayer, ...]
    in_shape: tuple
    weight_bits: int
    spike_bits: int
    input_bits: int
    input_scale: float
    notes: dict = field(default_factory=dict)
    timesteps: int = 1

    @property
    def cap(self) -> int:
        """The largest activation level: ``timesteps`` payloads of ``spike_bits``."""
        return self.timesteps * (2**self.spike_bits - 1)

    @property
    def input_cap(self) -> int:
        return self.timesteps * (2**self.input_bits - 1)

    @property
    def sequential(self) -> bool:
        """True when a recurrent layer makes inputs sequences (B, S, *in_shape)."""
        return any(ly.kind == "recurrent" for ly in self.layers)

    def ann_counts(self) -> dict:
        """What one inference of this integer network costs as an ANN, as
        :class:`~spikemesh.counts.Counts` keys: ``dense_synapses`` = its MACs (pooling windows
        count as one add per input), ``neurons_and_inputs`` = inputs plus every layer's outputs,
        ``weight_bits``. Priced by :class:`spikemesh.energy.AnnModel` (per element for
        sequences)."""
        macs, acts = 0, int(np.prod(self.in_shape))
        for ly in self.layers:
            if ly.kind == "flatten":
                continue
            n_out = int(np.prod(ly.out_shape))
            acts += n_out
            if ly.kind == "conv":
                macs += n_out * int(np.prod(ly.weight.shape[1:]))
            elif ly.kind == "pool":
                macs += n_out * ly.size**2
            else:
                macs += ly.weight.size + (0 if ly.weight_rec is None else ly.weight_rec.size)
        return {"dense_synapses": macs, "neurons_and_inputs": acts,
                "weight_bits": float(self.weight_bits)}  # fmt: skip

    def encode(self, x) -> np.ndarray:
        """Direct input encoding: integer levels ``0 .. input_cap``, shaped (B, n), or
        (B, S, n) for sequences (:meth:`trains` spreads them over the timesteps)."""
        x = np.asarray(x, np.float64)
        n = int(np.prod(self.in_shape))
        lead = 2 if self.sequential else 1
        if lead == 1 and x.ndim == 1 and x.size == n:
            x = x[None]
        short = x.ndim <= lead if self.sequential else x.ndim <= lead - 1
        if short or int(np.prod(x.shape[lead:])) != n:
            want = "(B, S, ...)" if self.sequential else "(B, ...)"
            hint = (" (one sequence: x[None]; the feature axis too when there is one input: "
                    "x[..., None])" if self.sequential else "")  # fmt: skip
            raise ShapeError(f"QuantizedANN.encode: samples must be {want} with {n} features "
                             f"each (got {x.shape}){hint}")  # fmt: skip
        q = np.rint(x.reshape(*x.shape[:lead], n) / self.input_scale)
        return np.clip(q, 0, self.input_cap).astype(np.int64)

    def trains(
        self,
        x,
        encoding: str = "direct",
        seed: int = 0,
        *,
        levels: bool = False,
    ):
        """Input payloads over the ``timesteps`` steps of a sample, (B, T, n); of every element
        of a sequence (recurrent networks), (B, S, T, n).

        "direct": the level ``k`` of :meth:`encode` sent as full ``2**input_bits - 1``
        payloads first (binary inputs: a spike in each of the first ``k`` steps), exact.
        "rate": each step draws ``Binomial(2**input_bits - 1, p)`` (binary inputs: a Bernoulli
        spike) with ``p = level / input_cap``, from ``numpy.random.default_rng(seed)``; the
        sample's level is what was drawn (``trains(...).sum(axis=1)``), so
        :meth:`forward` of those sums is what the SNN computes."""
        if encoding not in ("direct", "rate"):
            raise ParameterError(
                f"QuantizedANN.trains: encoding must be 'direct' or 'rate' (got {encoding!r})"
            )
        lv = np.asarray(x, np.int64) if levels else self.encode(x)
        if not self.sequential:
            return self._trains(lv.reshape(lv.shape[0], -1), encoding, seed, levels)
        if lv.ndim < 3:
            raise ShapeError(f"QuantizedANN.trains: sequence levels must be (B, S, n) (got "
                             f"{lv.shape})")  # fmt: skip
        b, n_el = lv.shape[:2]
        flat = self._trains(lv.reshape(b * n_el, -1), encoding, seed, levels)
        return flat.reshape(b, n_el, self.timesteps, -1)

    def _trains(self, lv: np.ndarray, encoding: str, seed: int, levels: bool) -> np.ndarray:
        """:meth:`trains` of levels ``lv`` (B, n): (B, T, n)."""
        if levels and (lv.min(initial=0) < 0 or lv.max(initial=0) > self.input_cap):
            raise ParameterError(
                f"QuantizedANN.trains: levels must be in 0..{self.input_cap} "
                f"(got {lv.min()}..{lv.max()})"
            )
        per = 2**self.input_bits - 1
        t = np.arange(self.timesteps)[None, :, None]
        if encoding == "direct":
            return np.clip(lv[:, None, :] - t * per, 0, per)
        rng = np.random.default_rng(seed)
        p = lv / self.input_cap
        return rng.binomial(per, np.broadcast_to(p[:, None, :], (lv.shape[0], self.timesteps,
                                                                 lv.shape[1])))  # fmt: skip

    def forward(self, levels: np.ndarray) -> list[np.ndarray]:
        """Integer activations after each layer for encoded inputs ``levels`` (B, n), or
        (B, S, n) with every output (B, S, ...) for sequences; the last entry is the logits.
        Independent of the SNN code: plain integer NumPy."""
        a = np.asarray(levels, np.int64)
        if not self.sequential:
            return self._step(a.reshape((-1, *self.in_shape)), {})
        states: dict = {}
        per = [self._step(a[:, t].reshape((-1, *self.in_shape)), states) for t in range(a.shape[1])]
        return [np.stack([p[i] for p in per], axis=1) for i in range(len(self.layers))]

    def _step(self, a: np.ndarray, states: dict) -> list[np.ndarray]:
        out = []
        for i, ly in enumerate(self.layers):
            last = i == len(self.layers) - 1
            if ly.kind == "flatten":
                a = a.reshape(a.shape[0], -1)
                out.append(a)
                continue
            if ly.kind == "dense":
                z = a.reshape(a.shape[0], -1) @ ly.weight + ly.bias
            elif ly.kind == "recurrent":
                prev = states.get(i, np.zeros((a.shape[0], ly.weight_rec.shape[0]), np.int64))
                z = a.reshape(a.shape[0], -1) @ ly.weight + prev @ ly.weight_rec + ly.bias
            elif ly.kind == "conv":
                z = conv2d_batch(a, ly.weight, ly.stride, ly.padding) + ly.bias[None, :, None, None]
            else:  # pool: window sums
                z = pool_batch(a, ly.size)
            if last:
                a = z
            elif ly.signed:  # truncation toward zero, as a bipolar IF's floor(|v| / vth)
                a = np.sign(z) * np.minimum(np.abs(z) // ly.threshold, self.cap)
            else:
                a = np.clip(z // ly.threshold, 0, self.cap)
            if ly.kind == "recurrent":
                states[i] = a
            out.append(a)
        return out

    def predict(self, x) -> np.ndarray:
        """Class per sample (argmax of the logits; per element for sequences)."""
        logits = self.forward(self.encode(x))[-1]
        lead = 2 if self.sequential else 1
        return np.argmax(logits.reshape(*logits.shape[:lead], -1), axis=-1)


def weight_scale(w: np.ndarray, bits: int) -> tuple[np.ndarray, float]:
    """The weight rule :func:`quantize` applies (public for quantization-aware training that
    must round weights as the converter will): symmetric levels ``-top..top`` and the scale
    that minimizes the squared error ``|w - alpha * q|**2`` over clipping points from 5 % to
    100 % of ``max |w|`` (max scaling alone zeroes most weights at 2 bits: ternary levels then
    need the ~0.7 mean |w| dead zone of ternary weight networks, which this search finds)."""
    top = 2 ** (bits - 1) - 1
    m = float(np.abs(w).max())
    if m == 0:
        return np.zeros(w.shape, np.int64), 1.0
    flat = w.ravel()[:: max(1, w.size >> 16)]  # a strided sample bounds the search's cost
    alphas = (m / top) * np.geomspace(0.05, 1.0, 96)
    q = np.clip(np.rint(flat[None, :] / alphas[:, None]), -top, top)
    alpha = float(alphas[np.argmin(((flat[None, :] - alphas[:, None] * q) ** 2).sum(axis=1))])
    return np.clip(np.rint(w / alpha), -top, top).astype(np.int64), alpha


def recurrent_levels(w_in, w_rec, sigma_in: float, sigma_h: float, bits: int
                     ) -> tuple[np.ndarray, np.ndarray, float]:  # fmt: skip
    """A recurrent layer's weight levels as :func:`quantize` takes them: ``(q_in, q_rec,
    alpha)``, ``q = clip(rint(w * sigma / alpha), -top, top)`` with one ``alpha`` (the float
    value of one weight level in ``z``) for both matrices: :func:`weight_scale`'s
    least-squares clipping point over ``w_in`` times the input's level value ``sigma_in`` and
    ``w_rec`` times the layer's own ``sigma_h``."""
    w_in, w_rec = np.asarray(w_in, float), np.asarray(w_rec, float)
    both = np.concatenate([(w_in * sigma_in).ravel(), (w_rec * sigma_h).ravel()])
    alpha = max(weight_scale(both, bits)[1], 1e-30)
    top = 2 ** (bits - 1) - 1
    q_in = np.clip(np.rint(w_in * sigma_in / alpha), -top, top).astype(np.int64)
    q_rec = np.clip(np.rint(w_rec * sigma_h / alpha), -top, top).astype(np.int64)
    return q_in, q_rec, alpha


def _act_scale(h: np.ndarray, cap: int, percentile: float, top: float | None = None) -> float:
    if top is not None:
        return top / cap
    pos = h[h > 0]
    top = float(np.percentile(pos, percentile)) if pos.size else 1.0
    return max(top, 1e-12) / cap


def _check_range(o: str, i: int, ly, z_max: int) -> None:
    if z_max > V_LIMIT:
        raise ParameterError(
            f"{o}: layer {i} ({type(ly).__name__}) can reach |z| = {z_max:,}, beyond the IF "
            f"membrane's {V_LIMIT:,}; use fewer weight_bits or spike_bits"
        )


def quantize(layers, calibration, in_shape=None, *, weight_bits: int = 8, spike_bits: int = 4,
             input_bits: int | None = None, timesteps: int = 1,
             percentile: float = 99.9, tops=None) -> QuantizedANN:  # fmt: skip
    """Quantize float ``layers`` (:mod:`spikemesh.convert.layers`) using ``calibration`` inputs
    (B, ...) for the input scale and threshold balancing.

    Parameters
    ----------
    weight_bits : int
        Signed weight width, 2..8 (symmetric levels ``-(2**(b-1)-1) .. 2**(b-1)-1``).
    spike_bits : int
        Activation (graded spike payload) width, 1..24.
    input_bits : int, optional
        Input payload width (default ``spike_bits``).
    timesteps : int
        Steps per sample, 1..64: an activation is the sum of ``timesteps`` payloads
        (``timesteps * (2**spike_bits - 1)`` levels).
    percentile : float
        Threshold balancing: this percentile of a layer's positive float activations maps to
        the top activation level.
    tops : sequence, optional
        Per layer, the float activation that maps to the top level, overriding the
        percentile (None entries keep it): the clipping range a quantization-aware training
        used, so that the integer network computes what it trained.
    """
    o = "convert.quantize"
    weight_bits = check_int(o, "weight_bits", weight_bits, 2, 8)
    spike_bits = check_int(o, "spike_bits", spike_bits, 1, 24)
    input_bits = check_int(o, "input_bits", spike_bits if input_bits is None else input_bits, 1, 24)
    timesteps = check_int(o, "timesteps", timesteps, 1, 64)
    layers = list(layers)
    if not layers or not all(_rule(ly) is not None for ly in layers):
        raise ParameterError(
            f"{o}.layers: must be a non-empty list of {', '.join(c.__name__ for c in RULES)}"
        )
    if not _rule(layers[-1]).logits:
        allowed = " or ".join(c.__name__ for c, r in RULES.items() if r.logits)
        raise ParameterError(f"{o}.layers: the last layer must be {allowed} (the logits)")
    calib = float_array(o, "calibration", calibration)
    lead = 2 if is_sequential(layers) else 1  # sequences: (B, S, ...)
    if calib.ndim <= lead:
        raise ShapeError(
            f"{o}.calibration: must be (B, {'S, ' if lead == 2 else ''}...) (got {calib.shape})"
        )
    in_shape = tuple(in_shape) if in_shape is not None else (int(np.prod(calib.shape[lead:])),)
    if int(np.prod(calib.shape[lead:])) != int(np.prod(in_shape)):
        raise ShapeError(
            f"{o}.calibration: samples must have shape {in_shape} (got {calib.shape[lead:]})"
        )
    cap, in_cap = timesteps * (2**spike_bits - 1), timesteps * (2**input_bits - 1)
    if tops is None:
        tops = [None] * len(layers)
    else:
        tops = list(check_sequence(o, "tops", tops, len(layers)))
        tops = [None if t is None else check_number(o, "tops", t, 1e-300) for t in tops]
    shape = in_shape
    for ly in layers:  # every layer takes what the one before gives (ShapeError names it)
        shape = ly.out_shape(shape)
    acts = float_forward(layers, calib, in_shape)
    in_top = float(calib.max())
    in_scale = (in_top if in_top > 0 else 1.0) / in_cap
    sigma, shape = in_scale, in_shape
    out, bound = [], in_cap  # bound: largest activation level entering the layer
    for i, ly in enumerate(layers):
        at = Site(o, i, i == len(layers) - 1, shape, ly.out_shape(shape), sigma, bound, cap,
                  weight_bits, acts[i], percentile, tops[i])  # fmt: skip
        q, sigma, bound = _rule(ly).quantize(ly, at)
        out.append(q)
        shape = at.out_shape
    return QuantizedANN(tuple(out), in_shape, weight_bits, spike_bits, input_bits, in_scale,
                        timesteps=timesteps)  # fmt: skip


# ---------------------------------------------------------------- one rule per layer type
@dataclass(frozen=True)
class Site:
    """Where a layer is quantized: the caller's name ``o``, its index, whether it is the
    logits layer, its shapes, the float value ``sigma`` of one input level, the largest
    input level ``bound``, the activation cap, the weight width, its float calibration
    activations and the balancing percentile."""

    o: str
    index: int
    last: bool
    in_shape: tuple
    out_shape: tuple
    sigma: float
    bound: int
    cap: int
    weight_bits: int
    acts: np.ndarray
    percentile: float
    top: float | None = None

    @property
    def unit_w(self) -> int:
        """Stored mantissa per quantized weight level: weights fill Loihi's 8-bit mantissa."""
        return 2 ** (WEIGHT_MANTISSA_BITS - self.weight_bits)


@dataclass(frozen=True)
class Rule:
    """How a layer type is quantized: ``quantize(layer, site) -> (QLayer, sigma, bound)`` (the
    float value of one output level and the largest output level); ``logits``: the type may
    be the last layer."""

    quantize: Callable
    logits: bool = False


RULES: dict[type, Rule] = {}
"""Layer type -> its :class:`Rule` (subclasses use their nearest registered base)."""


def register(layer_type: type, quantize_fn: Callable, *, logits: bool = False) -> None:
    """Quantize layers of ``layer_type`` with ``quantize_fn`` (:class:`Rule`)."""
    if not isinstance(layer_type, type) or not callable(quantize_fn):
        raise ParameterError("convert.quantize.register: needs a layer class and a function")
    if layer_type in RULES:
        raise ParameterError(f"convert.quantize.register: {layer_type.__name__} already has a "
                             "rule (RULES.pop it first to replace it)")  # fmt: skip
    RULES[layer_type] = Rule(quantize_fn, logits)


def _rule(layer) -> Rule | None:
    for cls in type(layer).__mro__:
        if cls in RULES:
            return RULES[cls]
    return None


def _flatten(ly, at: Site):
    return QLayer("flatten", at.in_shape, at.out_shape, scale=at.sigma), at.sigma, at.bound


def _pool(ly, at: Site):
    s = ly.size**2 if isinstance(ly, AvgPool2d) else 1
    z_max = at.bound * ly.size**2
    q = QLayer("pool", at.in_shape, at.out_shape, threshold=s, size=ly.size, scale=at.sigma)
    return q, at.sigma, min(z_max // s, at.cap)


def _recurrent(ly, at: Site):
    if at.last:
        raise ParameterError(f"{at.o}.layers: a Recurrent layer cannot be the logits layer")
    sigma, unit_w, cap = at.sigma, at.unit_w, at.cap
    signed = ly.activation == "hardtanh"
    new_sigma = _act_scale(np.abs(at.acts) if signed else at.acts, cap, at.percentile, at.top)
    # one unit of z for both paths: the clipping point with the least squared error over both
    # (the dense layers' rule), so narrow weights are not all rounded to 0 by the largest one
    q_in, q_rec, alpha = recurrent_levels(ly.w_in, ly.w_rec, sigma, new_sigma, at.weight_bits)
    unit = alpha / unit_w
    s = max(1, round(new_sigma / unit))
    # rounding to the nearest level by a bias of s/2 (ReLU); signed levels truncate toward 0
    b = np.rint(ly.bias / unit).astype(np.int64) + (0 if signed else s // 2)
    stored, rec = q_in * unit_w, q_rec * unit_w
    fan_in, fan_rec = np.abs(stored).sum(axis=0), np.abs(rec).sum(axis=0)
    z_max = int((fan_in * at.bound + fan_rec * cap).max()) + int(np.abs(b).max(initial=0))
    _check_range(at.o, at.index, ly, z_max)
    q = QLayer("recurrent", at.in_shape, at.out_shape, stored, b, s, at.weight_bits,
               scale=unit * s, weight_rec=rec, signed=signed)  # fmt: skip
    return q, unit * s, cap


def _weighted(kind: str):
    def quantize_layer(ly, at: Site):
        w = ly.weight if kind == "dense" else ly.kernel
        q, alpha = weight_scale(w, at.weight_bits)
        stored = q * at.unit_w
        unit = alpha * at.sigma / at.unit_w  # float value of one unit of z
        new_sigma = unit if at.last else _act_scale(at.acts, at.cap, at.percentile, at.top)
        s = 0 if at.last else max(1, round(new_sigma / unit))
        b = np.rint(ly.bias / unit).astype(np.int64) + s // 2
        fan = (np.abs(stored).reshape(stored.shape[0], -1).sum(axis=1) if kind == "conv"
               else np.abs(stored).sum(axis=0))  # fmt: skip
        z_max = int(fan.max()) * at.bound + int(np.abs(b).max(initial=0))
        _check_range(at.o, at.index, ly, z_max)
        extra = {} if kind == "dense" else {"stride": ly.stride, "padding": ly.padding}
        ql = QLayer(kind, at.in_shape, at.out_shape, stored, b, s, at.weight_bits,
                    scale=unit if at.last else unit * s, **extra)  # fmt: skip
        return ql, (unit * s if s else unit), at.cap

    return quantize_layer


register(Dense, _weighted("dense"), logits=True)
register(Conv2d, _weighted("conv"), logits=True)
register(SumPool2d, _pool)
register(Flatten, _flatten)
register(Recurrent, _recurrent)
