"""Fixed-point helpers and the counter-based PRNG the twins share."""

from __future__ import annotations

import numpy as np

_I64 = np.int64
_U64 = np.uint64

# Streams of the counter-based PRNG (TrueNorth stochastic modes).
STREAM_LEAK = 1
STREAM_THRESHOLD = 2


def _wrap(x: np.ndarray, bits: int) -> np.ndarray:
    half = _I64(1 << (bits - 1))
    return ((x + half) & (2 * half - 1)) - half


def _decay12(x: np.ndarray, factor: int) -> np.ndarray:
    """``sgn(x) * ((|x| * factor) >> 12)``: scale by factor/4096, truncating toward zero."""
    return np.sign(x) * ((np.abs(x) * _I64(factor)) >> 12)


# ---------------------------------------------------------------- pseudo-random numbers


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finalizer (Steele et al. 2014), on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def prn32(seed: int, step: int, neuron: np.ndarray, stream: int) -> np.ndarray:
    """Counter-based pseudo-random uint32 per neuron, keyed by (seed, step, neuron, stream).

    ``h = mix(mix(mix(mix(neuron + G) ^ step) ^ stream) ^ seed) >> 32`` with SplitMix64's
    finalizer ``mix`` and ``G = 0x9E3779B97F4A7C15``. No state: any backend, order or mapping
    that asks for the same key gets the same number.
    """
    h = _mix64(np.asarray(neuron, dtype=_U64) + _U64(0x9E3779B97F4A7C15))
    h = _mix64(h ^ _U64(step & 0xFFFFFFFFFFFFFFFF))
    h = _mix64(h ^ _U64(stream & 0xFFFFFFFFFFFFFFFF))
    h = _mix64(h ^ _U64(seed & 0xFFFFFFFFFFFFFFFF))
    return (h >> _U64(32)).astype(np.int64)
