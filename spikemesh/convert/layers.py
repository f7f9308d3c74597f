"""Layer descriptions of a trained ANN (float NumPy arrays) and their float forward pass.

A network is a list of layers applied in order; every layer but the last is followed by ReLU
(the quantized network clips activations to ``0 .. 2**spike_bits - 1``). Shapes are
channel-major (``(C, H, W)``), flattened like a NCHW tensor, as in :class:`spikemesh.conv2d`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import float_array
from ..exceptions import ParameterError, ShapeError

__all__ = [
    "AvgPool2d",
    "Conv2d",
    "Dense",
    "Flatten",
    "Recurrent",
    "SumPool2d",
    "float_forward",
    "from_mlp",
]


def _float_array(owner: str, field: str, value, ndim: int) -> np.ndarray:
    return float_array(owner, field, value, ndim)


def _bias(owner: str, value, n: int) -> np.ndarray:
    """A layer's bias: zeros when None, else a finite (n,) vector."""
    b = np.zeros(n) if value is None else _float_array(owner, "bias", value, 1)
    if b.shape != (n,):
        raise ShapeError(f"{owner}.bias: must have shape ({n},) (got {b.shape})")
    return b


@dataclass(frozen=True, eq=False)
class Dense:
    """``y = x @ weight + bias``; ``weight`` is (n_in, n_out), like scikit-learn's ``coefs_``."""

    weight: np.ndarray
    bias: np.ndarray | None = None

    def __post_init__(self) -> None:
        w = _float_array("Dense", "weight", self.weight, 2)
        b = _bias("Dense", self.bias, w.shape[1])
        object.__setattr__(self, "weight", w)
        object.__setattr__(self, "bias", b)

    def out_shape(self, in_shape: tuple) -> tuple:
        if int(np.prod(in_shape)) != self.weight.shape[0]:
            raise ShapeError(
                f"Dense: weight has {self.weight.shape[0]} inputs; the layer below gives "
                f"{int(np.prod(in_shape))} (shape {in_shape})"
            )
        return (self.weight.shape[1],)


@dataclass(frozen=True, eq=False)
class Conv2d:
    """2-D convolution: ``kernel`` (C_out, C_in, kh, kw), ``bias`` (C_out,), zero padding."""

    kernel: np.ndarray
    bias: np.ndarray | None = None
    stride: int = 1
    padding: int = 0

    def __post_init__(self) -> None:
        k = _float_array("Conv2d", "kernel", self.kernel, 4)
        b = _bias("Conv2d", self.bias, k.shape[0])
        object.__setattr__(self, "kernel", k)
        object.__setattr__(self, "bias", b)

    def out_shape(self, in_shape: tuple) -> tuple:
        if len(in_shape) != 3 or in_shape[0] != self.kernel.shape[1]:
            raise ShapeError(
                f"Conv2d: kernel expects ({self.kernel.shape[1]}, H, W) inputs (got {in_shape})"
            )
        _, h, w = in_shape
        kh, kw = self.kernel.shape[2:]
        oh = (h + 2 * self.padding - kh) // self.stride + 1
        ow = (w + 2 * self.padding - kw) // self.stride + 1
        if oh < 1 or ow < 1:
            raise ShapeError(f"Conv2d: a {kh}x{kw} kernel does not fit a {h}x{w} input")
        return (self.kernel.shape[0], oh, ow)


@dataclass(frozen=True, eq=False)
class SumPool2d:
    """Sum of each ``size`` x ``size`` window per channel (stride ``size``)."""

    size: int

    def out_shape(self, in_shape: tuple) -> tuple:
        if len(in_shape) != 3 or in_shape[1] < self.size or in_shape[2] < self.size:
            raise ShapeError(f"{type(self).__name__}: needs (C, H, W) with H, W >= {self.size}")
        return (in_shape[0], in_shape[1] // self.size, in_shape[2] // self.size)


@dataclass(frozen=True, eq=False)
class AvgPool2d(SumPool2d):
    """Mean of each ``size`` x ``size`` window per channel (stride ``size``)."""


@dataclass(frozen=True, eq=False)
class Flatten:
    """(C, H, W) -> (C * H * W,), channel-major. Changes no value."""

    def out_shape(self, in_shape: tuple) -> tuple:
        return (int(np.prod(in_shape)),)


@dataclass(frozen=True, eq=False)
class Recurrent:
    """Elman layer over a sequence: ``h_t = f(x_t @ w_in + h_{t-1} @ w_rec + bias)``,
    ``h_{-1} = 0``; ``w_in`` (n_in, n), ``w_rec`` (n, n). Inputs are then (B, S, n_in).
    ``activation``: "relu" (default), or "hardtanh" (``clip(z, -1, 1)``: signed activations,
    which the quantized network keeps symmetric and the converted one sends as bipolar spikes,
    the seed's RBIFSNN)."""

    w_in: np.ndarray
    w_rec: np.ndarray
    bias: np.ndarray | None = None
    activation: str = "relu"

    def __post_init__(self) -> None:
        if self.activation not in ("relu", "hardtanh"):
            raise ParameterError(f"Recurrent.activation: must be 'relu' or 'hardtanh' (got "
                                 f"{self.activation!r})")  # fmt: skip
        wi = _float_array("Recurrent", "w_in", self.w_in, 2)
        wr = _float_array("Recurrent", "w_rec", self.w_rec, 2)
        n = wi.shape[1]
        if wr.shape != (n, n):
            raise ShapeError(f"Recurrent.w_rec: must have shape ({n}, {n}) (got {wr.shape})")
        b = _bias("Recurrent", self.bias, n)
        object.__setattr__(self, "w_in", wi)
        object.__setattr__(self, "w_rec", wr)
        object.__setattr__(self, "bias", b)

    def out_shape(self, in_shape: tuple) -> tuple:
        if int(np.prod(in_shape)) != self.w_in.shape[0]:
            raise ShapeError(
                f"Recurrent: w_in has {self.w_in.shape[0]} inputs; the layer below gives "
                f"{int(np.prod(in_shape))}"
            )
        return (self.w_in.shape[1],)


LAYERS = (Dense, Conv2d, SumPool2d, AvgPool2d, Flatten, Recurrent)


def conv2d_batch(x: np.ndarray, kernel: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """Direct convolution of a batch ``(B, C, H, W)`` (any dtype; integer stays integer)."""
    b, _, h, w = x.shape
    o, _, kh, kw = kernel.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
    out = np.zeros((b, o, oh, ow), np.result_type(x, kernel))
    for dy in range(kh):
        for dx in range(kw):
            patch = xp[:, :, dy : dy + stride * oh : stride, dx : dx + stride * ow : stride]
            out += np.einsum("bchw,oc->bohw", patch, kernel[:, :, dy, dx])
    return out


def pool_batch(x: np.ndarray, size: int) -> np.ndarray:
    """Window sums of a batch ``(B, C, H, W)``."""
    b, c, h, w = x.shape
    oh, ow = h // size, w // size
    return x[:, :, : oh * size, : ow * size].reshape(b, c, oh, size, ow, size).sum(axis=(3, 5))


def is_sequential(layers) -> bool:
    return any(isinstance(ly, Recurrent) for ly in layers)


def float_forward(layers: list, x: np.ndarray, in_shape: tuple) -> list[np.ndarray]:
    """Float activations after each layer (ReLU after all but the last), batch first. With a
    :class:`Recurrent` layer, ``x`` is (B, S, *in_shape) and every output (B, S, ...)."""
    if is_sequential(layers):
        x = np.asarray(x, np.float64)
        b, t = x.shape[:2]
        per = []  # per step: the activations of every layer
        state = [None] * len(layers)
        for k in range(t):
            h = x[:, k].reshape((b, *in_shape))
            outs = []
            for i, layer in enumerate(layers):
                if isinstance(layer, Recurrent):
                    prev = state[i] if state[i] is not None else np.zeros((b, layer.w_rec.shape[0]))
                    h = h.reshape(b, -1) @ layer.w_in + prev @ layer.w_rec + layer.bias
                    act = (np.clip(h, -1.0, 1.0) if layer.activation == "hardtanh"
                           else np.maximum(h, 0.0))  # fmt: skip
                    h = act if i < len(layers) - 1 else h
                    state[i] = act
                else:
                    h = float_forward([layer], h, h.shape[1:])[0]
                    if i < len(layers) - 1 and not isinstance(layer, (Flatten, SumPool2d)):
                        h = np.maximum(h, 0.0)
                outs.append(h)
            per.append(outs)
        return [np.stack([p[i] for p in per], axis=1) for i in range(len(layers))]
    h = np.asarray(x, np.float64).reshape((-1, *in_shape))
    out = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Dense):
            h = h.reshape(h.shape[0], -1) @ layer.weight + layer.bias
        elif isinstance(layer, Conv2d):
            h = conv2d_batch(h, layer.kernel, layer.stride, layer.padding)
            h = h + layer.bias[None, :, None, None]
        elif isinstance(layer, SumPool2d):
            h = pool_batch(h, layer.size) / (layer.size**2 if isinstance(layer, AvgPool2d) else 1)
        elif isinstance(layer, Flatten):
            h = h.reshape(h.shape[0], -1)
        if i < len(layers) - 1 and not isinstance(layer, (Flatten, SumPool2d)):
            h = np.maximum(h, 0.0)
        out.append(h)
    return out


def from_mlp(clf) -> list[Dense]:
    """Dense layers of a fitted scikit-learn ``MLPClassifier`` / ``MLPRegressor`` with ReLU
    hidden units (its ``coefs_`` and ``intercepts_``)."""
    if not hasattr(clf, "coefs_"):
        raise ParameterError(
            f"from_mlp: expects a fitted scikit-learn MLP (got {type(clf).__name__} without coefs_)"
        )
    if getattr(clf, "activation", "relu") != "relu":
        raise ParameterError(
            f"from_mlp: hidden activation must be 'relu' to convert to IF neurons "
            f"(got {clf.activation!r})"
        )
    return [Dense(w, b) for w, b in zip(clf.coefs_, clf.intercepts_, strict=True)]
