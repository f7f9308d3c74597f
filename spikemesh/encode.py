"""Input encoders: real-valued data into the spike messages a chip takes.

``rate``, ``latency`` and ``delta`` give binary spikes (every chip); ``direct`` gives graded
messages (chips whose spike messages carry ``bits`` bits, e.g. loihi2). Each returns an integer
array shaped ``(steps, ...)`` for :meth:`spikemesh.Simulator.run` and is seeded where it draws.

=============  =============================================================================
``rate``       Bernoulli spikes with probability ``x`` per step (snnTorch ``spikegen.rate``)
``latency``    one spike per value at step ``round((1 - x) * (steps - 1))``, none for
               ``x = 0`` (time-to-first-spike, linear; snnTorch ``spikegen.latency(linear=True)``
               up to its rounding)
``delta``      sigma-delta of a sequence: an ON (channel 0) or OFF (channel 1) spike whenever
               the signal has moved ``threshold`` away from what was sent (the reference then
               follows by ``threshold``); shape ``(steps, 2, ...)``
``direct``     graded messages ``round(x / step)``, ``step = x_max / (2**bits - 1)``, with the
               largest quantization error (relative to ``x_max``)
``s_analog``   a sequence's elements as direct levels, each held for ``steps`` steps: the
               constant input current of the seed's analog/"s-analog" encoding (our reading,
               see :func:`s_analog`); an IF with threshold ``steps * s`` counts
               ``clip(z // s, 0, steps)`` spikes from it, the quantized activation, exactly
=============  =============================================================================
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validate import check_bool, check_int, check_number, float_array
from .exceptions import ParameterError, QuantizationWarning

__all__ = ["ENCODINGS", "delta", "direct", "latency", "rate", "s_analog"]

ENCODINGS = ("rate", "latency", "delta", "direct", "s_analog")


MAX_VALUES = 2**31 - 1  # an encoder's output: more values than this is refused, not attempted


def _fits(owner: str, steps: int, x: np.ndarray, itemsize: int) -> None:
    """Refuse an output of ``steps`` x ``x.size`` values past :data:`MAX_VALUES` before
    allocating it (a numpy MemoryError deep inside otherwise)."""
    n = steps * max(x.size, 1)
    if n > MAX_VALUES:
        raise ParameterError(
            f"{owner}: steps={steps:,} x {x.size:,} values is {n:,} outputs "
            f"({n * itemsize / 2**30:,.1f} GiB); at most {MAX_VALUES:,}: fewer steps or values"
        )


def _unit(owner, x):
    x = float_array(owner, "x", x, finite=False)
    owner = owner + ".x"
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1 or np.isnan(x).any()):
        bad = x[(x < 0) | (x > 1) | np.isnan(x)].ravel()[0]
        raise ParameterError(
            f"{owner}: values must lie in [0, 1] (got {bad:g}); scale the data first "
            "(e.g. x / x.max())"
        )
    return x


def rate(x, steps: int, seed: int = 0) -> np.ndarray:
    """Bernoulli spikes: ``(steps, *x.shape)`` uint8, 1 with probability ``x`` in [0, 1]."""
    x = _unit("encode.rate", x)
    steps = check_int("encode.rate", "steps", steps, 1, 2**31 - 1)
    _fits("encode.rate", steps, x, 8)
    seed = check_int("encode.rate", "seed", seed, 0, 2**63 - 1)
    rng = np.random.default_rng(seed)
    return (rng.random((steps, *x.shape)) < x).astype(np.uint8)


def latency(x, steps: int) -> np.ndarray:
    """One spike per value at ``round((1 - x) * (steps - 1))`` (larger values earlier), none
    where ``x == 0``: ``(steps, *x.shape)`` uint8."""
    x = _unit("encode.latency", x)
    steps = check_int("encode.latency", "steps", steps, 1, 2**31 - 1)
    _fits("encode.latency", steps, x, 1)
    flat = x.reshape(-1)
    t = np.rint((1.0 - flat) * (steps - 1)).astype(np.int64)
    out = np.zeros((steps, flat.size), np.uint8)
    fire = np.flatnonzero(flat > 0)
    out[t[fire], fire] = 1
    return out.reshape(steps, *x.shape)


def delta(x, threshold: float, graded: bool = False, bits: int = 24) -> np.ndarray:
    """Sigma-delta encoding of a sequence ``x`` shaped ``(steps, ...)``.

    Binary (default): ``(steps, 2, ...)`` uint8, channel 0 ON (the signal rose ``threshold``
    above the reference), channel 1 OFF (fell below it); at most one spike per value and
    step, the reference starting at 0 and moving by ``threshold`` per spike.

    ``graded=True``: ``(steps, ...)`` int32 signed graded messages, the input a
    :class:`~spikemesh.neurons.SigmaDelta` layer (or any integrator) sums back into the
    signal: where ``|x_t - ref| >= threshold`` the message is ``m = round((x_t - ref) /
    threshold)`` (clipped to ``bits``-bit two's complement, 2..24) and ``ref += m *
    threshold``; elsewhere 0. The running sum of the messages times ``threshold`` stays within
    ``threshold`` of ``x`` while no message clips (a clip warns)."""
    x = float_array("encode.delta", "x", x, finite=False)
    if x.ndim < 1 or not len(x):
        raise ParameterError(
            f"encode.delta.x: must be a sequence shaped (steps, ...) (got shape {x.shape})"
        )
    if not np.all(np.isfinite(x)):
        raise ParameterError("encode.delta.x: must be finite (got NaN or inf)")
    th = check_number("encode.delta", "threshold", threshold)
    if not th > 0:
        raise ParameterError(f"encode.delta.threshold: must be > 0 (got {threshold!r})")
    graded = check_bool("encode.delta", "graded", graded)
    ref = np.zeros(x.shape[1:])
    if graded:
        bits = check_int("encode.delta", "bits", bits, 2, 24)
        hi = 2 ** (bits - 1) - 1
        out = np.zeros(x.shape, np.int32)
        clipped = 0
        for t in range(len(x)):
            d = x[t] - ref
            m = np.where(np.abs(d) >= th, np.rint(d / th), 0)
            mc = np.clip(m, -hi - 1, hi)
            clipped += int(np.count_nonzero(mc != m))
            ref = ref + mc * th
            out[t] = mc
        if clipped:
            warnings.warn(
                f"encode.delta: {clipped} graded messages clipped at {bits}-bit payloads "
                f"(|message| > {hi}); the decoded signal lags x there: raise threshold or bits",
                QuantizationWarning,
                stacklevel=2,
            )
        return out
    out = np.zeros((len(x), 2, *x.shape[1:]), np.uint8)
    for t in range(len(x)):
        on = x[t] - ref >= th
        off = ref - x[t] >= th
        ref = ref + th * on - th * off
        out[t, 0], out[t, 1] = on, off
    return out


def direct(x, bits: int, x_max: float = 1.0) -> tuple[np.ndarray, float]:
    """Graded messages of real values ``x`` in ``[0, x_max]``: ``(round(x / step) as int32,
    largest |error| / x_max)`` with ``step = x_max / (2**bits - 1)``."""
    return _levels("encode.direct", x, bits, x_max, False)


def _levels(owner, x, bits, x_max, signed):
    x = float_array(owner, "x", x)
    bits = check_int(owner, "bits", bits, 1, 23 if signed else 24)
    x_max = check_number(owner, "x_max", x_max)
    if not x_max > 0:
        raise ParameterError(f"{owner}.x_max: must be > 0 (got {x_max!r})")
    lo = -x_max if signed else 0.0
    bad = (x < lo) | (x > x_max) | np.isnan(x)
    if np.any(bad):
        raise ParameterError(
            f"{owner}.x: values must lie in [{lo:g}, {x_max:g}] (got {x[bad].ravel()[0]:g})"
            + ("" if signed else "; a graded message is unsigned (signed=True for signed data)")
        )
    step = x_max / (2**bits - 1)
    q = np.rint(x / step)
    return q.astype(np.int32), float(np.abs(q * step - x).max(initial=0)) / x_max


def s_analog(x, steps: int, bits: int = 8, x_max: float = 1.0, signed: bool = False
             ) -> tuple[np.ndarray, float]:  # fmt: skip
    """Sequence-analog encoding of a sequence ``x`` shaped ``(S, ...)``: element ``k``'s
    direct level ``round(x_k / step)`` (``step = x_max / (2**bits - 1)``) sent in every one of
    steps ``k*steps .. (k+1)*steps - 1``. Returns ``(messages (S*steps, ...) int32, largest
    |error| / x_max)``; ``signed=True`` takes values in ``[-x_max, x_max]`` (messages then need
    ``bits + 1`` payload bits).

    This is the analog (constant-current) input of ANN->SNN conversion applied per sequence
    element, which is how we read the seed paper's "s-analog" encoding (Su et al. 2024, arXiv
    2408.09403; only its abstract was available to us, so the name is theirs and the
    definition ours). Its exactness: an IF neuron (soft reset, binary spikes, from ``v = 0``)
    driven by ``c = level . w + b`` in each of the element's ``steps`` steps and with threshold
    ``steps * s`` fires ``clip(c // s, 0, steps)`` times in them -- the clip-floor quantized
    activation with ``steps`` levels, no conversion error. Messages are graded: a chip whose
    input spikes are binary takes them only for ``bits = 1``."""
    owner = "encode.s_analog"
    steps = check_int(owner, "steps", steps, 1, 2**31 - 1)
    signed = check_bool(owner, "signed", signed)
    q, err = _levels(owner, x, bits, x_max, signed)
    if q.ndim < 1 or not len(q):
        raise ParameterError(
            f"{owner}.x: must be a sequence shaped (S, ...) with S >= 1 (got shape {q.shape})"
        )
    _fits(owner, steps, q, 4)
    return np.repeat(q, steps, axis=0), err
