"""Neural decoding for implantable brain-machine interfaces (docs/bmi.md).

A seeded synthetic motor-cortex recording, decoded by a converted spiking network, its output
low-pass filtered on the host (Bessel and Butterworth, ``scipy.signal``).

**The generator** (:func:`synthetic_reach`). Hand velocity ``v(t)`` in m/s, two components, is
white Gaussian noise through a 2nd-order Butterworth low-pass (0.5 Hz), scaled to a standard
deviation of 0.15 m/s per component, sampled per bin (``bin_s``, default 50 ms). Each of
``n_neurons`` units is cosine-tuned (Georgopoulos 1982): a preferred direction ``d_i`` uniform
on the circle, a baseline ``b_i ~ U(10, 30)`` spikes/s and a depth ``k_i ~ U(50, 150)``
spikes/s per m/s, so its rate is ``r_i(t) = max(0, b_i + k_i (d_i . v(t)))``; its count in a
bin is Poisson with mean ``r_i(t) * bin_s`` (a Poisson process binned, the rate constant within
the bin). All draws come from ``numpy.random.default_rng(seed)``.

**The decoder** (:func:`train_decoder`): features are the counts of the current bin and the
``history - 1`` bins before it; a scikit-learn ``MLPRegressor`` (one ReLU hidden layer) maps
them to the two velocity components. ``sm.convert`` quantizes and converts it exactly (the SNN's
outputs equal the quantized ANN's), so its R^2 is the quantized decoder's.

**The filters** (:func:`filters`): causal (``sosfilt``, as an implant would run them), cutoff
``cutoff_hz`` at the bin rate, Bessel (flat group delay) and Butterworth (flat magnitude) of
the same order; their cost is ``5 x order / 2`` multiply-accumulates per output per component
(second-order sections, direct form II transposed), priced on the host at the ANN model's MAC
energy (:func:`filter_energy`).
"""

from __future__ import annotations

import numpy as np

from .._validate import check_int, check_number, float_array
from ..energy import E_SRAM_BIT, PJ, SYNOPS_PRESETS
from ..exceptions import ParameterError, SpikemeshError

__all__ = ["apply", "filter_energy", "filter_macs", "filters", "r2", "synthetic_reach",
           "train_decoder", "windows"]  # fmt: skip


def _scipy_signal():
    try:
        import scipy.signal as signal
    except ImportError:
        raise SpikemeshError(
            "the BMI study needs scipy (scipy.signal): pip install 'spikemesh[demo]'"
        ) from None
    return signal


def synthetic_reach(seconds: float = 300.0, n_neurons: int = 96, bin_s: float = 0.05,
                    seed: int = 0) -> dict:  # fmt: skip
    """A seeded recording (module docstring): ``counts`` (bins, n_neurons) int, ``velocity``
    (bins, 2) m/s, the tuning (``preferred`` directions (n, 2), ``baseline``, ``depth`` in
    spikes/s) and ``bin_s``."""
    seconds = check_number("synthetic_reach", "seconds", seconds, 1.0, 1e6)
    n_neurons = check_int("synthetic_reach", "n_neurons", n_neurons, 1, 100_000)
    bin_s = check_number("synthetic_reach", "bin_s", bin_s, 1e-4, 1.0)
    seed = check_int("synthetic_reach", "seed", seed, 0)
    signal = _scipy_signal()
    rng = np.random.default_rng(seed)
    bins = round(seconds / bin_s)
    sos = signal.butter(2, 0.5, fs=1.0 / bin_s, output="sos")
    v = signal.sosfilt(sos, rng.standard_normal((bins + 400, 2)), axis=0)[400:]  # settle
    v *= 0.15 / v.std(axis=0)
    angle = rng.uniform(0, 2 * np.pi, n_neurons)
    d = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    base = rng.uniform(10, 30, n_neurons)
    depth = rng.uniform(50, 150, n_neurons)
    rate = np.maximum(0.0, base + depth * (v @ d.T))  # (bins, n) spikes/s
    counts = rng.poisson(rate * bin_s)
    return {"counts": counts.astype(np.int64), "velocity": v, "preferred": d,
            "baseline": base, "depth": depth, "bin_s": bin_s}  # fmt: skip


def windows(counts, history: int = 2) -> np.ndarray:
    """Features per bin: its counts and those of the ``history - 1`` bins before it (zeros
    before the start), (bins, n x history), the current bin first."""
    counts = float_array("windows", "counts", counts, 2)
    history = check_int("windows", "history", history, 1, 100)
    lagged = [np.roll(counts, k, axis=0) for k in range(history)]
    for k in range(1, history):
        lagged[k][:k] = 0
    return np.concatenate(lagged, axis=1)


def train_decoder(x, y, hidden: int = 64, seed: int = 0):
    """A fitted scikit-learn ``MLPRegressor`` (one ReLU layer of ``hidden`` units) from
    features ``x`` to velocities ``y``."""
    try:
        from sklearn.neural_network import MLPRegressor
    except ImportError:
        raise SpikemeshError(
            "the BMI study needs scikit-learn: pip install 'spikemesh[demo]'"
        ) from None
    import warnings

    reg = MLPRegressor(hidden_layer_sizes=(check_int("train_decoder", "hidden", hidden, 1),), max_iter=300,
                       random_state=seed, early_stopping=True)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
        reg.fit(float_array("train_decoder", "x", x, 2), float_array("train_decoder", "y", y, 2))
    return reg


def filters(bin_s: float, cutoff_hz: float = 2.0, order: int = 4) -> dict:
    """Second-order sections of the causal low-pass filters compared: ``{"none": None,
    "bessel": sos, "butterworth": sos}`` at the bin rate ``1 / bin_s``."""
    signal = _scipy_signal()
    fs = 1.0 / check_number("filters", "bin_s", bin_s, 1e-6)
    cutoff_hz = check_number("filters", "cutoff_hz", cutoff_hz, 1e-6)
    order = check_int("filters", "order", order, 1, 12)
    if cutoff_hz >= fs / 2:
        raise ParameterError(
            f"filters.cutoff_hz: must be below the Nyquist rate {fs / 2:g} Hz (got {cutoff_hz:g})"
        )
    return {
        "none": None,
        "bessel": signal.bessel(order, cutoff_hz, fs=fs, output="sos", norm="delay"),
        "butterworth": signal.butter(order, cutoff_hz, fs=fs, output="sos"),
    }


def apply(sos, y) -> np.ndarray:
    """``y`` (bins, k) through the filter, causally, per column (``sos`` None: unchanged)."""
    y = float_array("apply", "y", y, 2)
    return y if sos is None else _scipy_signal().sosfilt(sos, y, axis=0)


def r2(y_true, y_pred) -> float:
    """Coefficient of determination over both velocity components (1 - SSE / SST, the
    components pooled after removing each one's mean)."""
    t, p = float_array("r2", "y_true", y_true, 2), float_array("r2", "y_pred", y_pred, 2)
    if t.shape != p.shape:
        raise ParameterError(f"r2: shapes differ ({t.shape} vs {p.shape})")
    sst = float(((t - t.mean(axis=0)) ** 2).sum())
    return 1.0 - float(((t - p) ** 2).sum()) / sst if sst else float("nan")


def filter_macs(sos, components: int = 2) -> int:
    """Multiply-accumulates per output sample: 5 per second-order section per component."""
    return (
        0 if sos is None else 5 * len(sos) * check_int("filter_macs", "components", components, 1)
    )


def filter_energy(sos, components: int = 2, precision: str = "fp32") -> float:
    """Joules per output sample of the filter on the host: its MACs at ``precision`` (the ANN
    model's Horowitz 2014 figures) plus reading its coefficients and state from SRAM."""
    if precision not in SYNOPS_PRESETS:
        raise ParameterError(f"filter_energy.precision: one of {', '.join(SYNOPS_PRESETS)}")
    macs = filter_macs(sos, components)
    bits = SYNOPS_PRESETS[precision]["bits"]
    return macs * (SYNOPS_PRESETS[precision]["mac"] * PJ + 2 * bits * E_SRAM_BIT * PJ)
