"""A spiking Legendre Memory Unit (docs/lmu.md): the LMU's linear memory (order ``d``, window
``theta``) held by populations of spiking neurons, the task reconstructing the input
``theta`` steps ago.

**The memory.** The LMU (Voelker et al., NeurIPS 2019) is ``theta m'(t) = A m(t) + B u(t)``
with ``A_ij = (2i+1) (-1 if i < j else (-1)^(i-j+1))``, ``B_i = (2i+1) (-1)^i``; discretized by
zero-order hold at one step (``scipy.signal.cont2discrete``): ``m[t+1] = Ab m[t] + Bb u[t]``.
A linear readout of ``m[t]`` fitted by least squares on the first half of the signal
reconstructs ``u[t - theta]`` on the second half; the error is the normalised RMS error
(NRMSE, 0 = perfect, 1 = no better than the mean).

**The spiking version** (L2MU-style: the memory redesigned with populations of LIF neurons, as
Leto et al., NICE 2025, but built, not trained). Each memory dimension is a population of
``n_per`` neurons with encoders +-1, intercepts ``U(-0.5, 0.5)`` and peak rates ``U(0.2,
0.5)`` spikes per step; their tuning curves are computed from the chip's own fixed-point
update (:func:`tuning`), decoders by ridge regression on them. The recurrence follows the
Neural Engineering Framework's discrete rule for a synapse that low-pass filters with
``x[t+1] = (1 - a) x[t] + a y[t]``: recurrent map ``(Ab - (1 - a) I) / a``, input map
``Bb / a``; the weights are encoder x gain x map x decoder.

- ``neuron="cubalif"``: Loihi CUBA compartments; the synaptic current *is* the filter,
  ``a = (du + 1) / 4096``, the membrane a LIF (``dv``).
- ``neuron="lif"``: current-free LIF (``du = 4095``, ``a = 1``): the recurrence must work from
  each step's spikes alone.

The input reaches the chip as two host lines (positive, negative) of sigma-delta spikes of
``u`` (one spike per line per step at most, so ``|u| <= 1``), the biases through a third,
always-on line into the current (Loihi's bias register tops at ``4095 << 7``). The weights are
8-bit mantissas, at ``weight_bits``, in magnitude classes, each its own projection with its own
exponent (>= 0: a negative exponent floors each mantissa on the chip). The states are decoded
on the host from the spikes (the same filter), then read out as above.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from .. import chips as _chips
from .._validate import check_choice, check_int
from ..emulator import Simulator
from ..exceptions import OverflowWarning, ParameterError, SpikemeshError
from ..mapping import map_network
from ..network import Network
from ..neurons import CubaLIF

__all__ = ["lmu_matrices", "nrmse", "reference", "run", "sigma_delta", "signal", "spiking_lmu",
           "truenorth_lmu", "tuning"]  # fmt: skip


def _scipy():
    try:
        import scipy.signal as s
    except ImportError:
        raise SpikemeshError("the LMU study needs scipy: pip install 'spikemesh[demo]'") from None
    return s


def lmu_matrices(d: int, theta: float):
    """``(Ab, Bb)``: the LMU of order ``d`` and window ``theta`` steps, zero-order hold at 1."""
    d = check_int("lmu_matrices", "d", d, 1, 64)
    q = np.arange(d)
    r = (2 * q + 1)[:, None] / float(theta)
    j, i = np.meshgrid(q, q)
    a = np.where(i < j, -1, (-1.0) ** (i - j + 1)) * r
    b = ((-1.0) ** q)[:, None] * r
    ab, bb, *_ = _scipy().cont2discrete((a, b, np.eye(d), np.zeros((d, 1))), dt=1.0, method="zoh")
    return ab, bb[:, 0]


def signal(steps: int, seed: int = 0, cutoff: float = 0.02) -> np.ndarray:
    """A seeded band-limited random signal in [-0.95, 0.95]: white noise through a 4th-order
    Butterworth low-pass at ``cutoff`` cycles per step."""
    s = _scipy()
    steps = check_int("signal", "steps", steps, 1)
    rng = np.random.default_rng(check_int("signal", "seed", seed, 0))
    u = s.sosfilt(s.butter(4, cutoff, output="sos"), rng.standard_normal(steps + 200))[200:]
    return u / np.abs(u).max() * 0.95


def reference(u, d: int, theta: float) -> np.ndarray:
    """The float LMU's states (steps, d) for input ``u``."""
    ab, bb = lmu_matrices(d, theta)
    m, out = np.zeros(d), np.zeros((len(u), d))
    for t, ut in enumerate(u):
        m = ab @ m + bb * ut
        out[t] = m
    return out


def nrmse(states, u, theta: int) -> float:
    """Least-squares readout of ``u[t - theta]`` from ``states`` fitted on the first half,
    its normalised RMS error on the second half."""
    y = np.r_[np.zeros(theta), np.asarray(u)[: len(u) - theta]]
    h = len(u) // 2
    c = np.linalg.lstsq(states[:h], y[:h], rcond=None)[0]
    return float(np.sqrt(np.mean((states[h:] @ c - y[h:]) ** 2)) / np.std(y[h:]))


def tuning(drive, dv: int, threshold: int, steps: int = 600) -> np.ndarray:
    """Spikes per step of a CUBA compartment whose membrane receives ``drive`` every step
    (the current's steady value), by its own fixed-point rule (docs/hardware.md §1)."""
    j = np.asarray(drive, np.int64)
    v, n = np.zeros_like(j), np.zeros_like(j)
    for _ in range(steps):
        v = np.sign(v) * ((np.abs(v) * (4096 - dv)) >> 12) + j
        s = v > threshold
        n += s
        v = np.where(s, 0, v)
    return n / steps


def _classes(w, weight_bits: int, classes: int):
    """(mantissas, exponent) projections covering ``w`` (accumulator units), split by
    magnitude so each class keeps its bits."""
    w = w / 64.0
    mag = np.abs(w)
    nz = mag > 0
    if not nz.any():
        return []
    edges = np.quantile(mag[nz], np.linspace(0, 1, classes + 1))
    edges[0], edges[-1] = 0.0, np.inf
    drop = 8 - weight_bits + 1  # mixed signs keep even mantissas; fewer bits drop more
    out = []
    for lo, hi in itertools.pairwise(edges):
        sel = nz & (mag > lo) & (mag <= hi)
        if not sel.any():
            continue
        exp = int(np.clip(np.ceil(np.log2(mag[sel].max() / 254)), 0, 7))
        m = np.clip(np.where(sel, np.rint(w / 2.0 ** (exp + drop)) * 2**drop, 0), -256, 254)
        out.append((m.astype(np.int64), exp))
    return out


def spiking_lmu(d: int, theta: float, n_per: int = 128, neuron: str = "cubalif",
                weight_bits: int = 8, du: int = 255, dv: int = 512, vth: int = 25000,
                classes: int = 3, seed: int = 0):  # fmt: skip
    """``(network, info)``: the spiking LMU (module docstring). ``info`` holds the decoders,
    population of every neuron and the filter ``a`` the host uses to decode the states."""
    check_choice("spiking_lmu", "neuron", neuron, ("cubalif", "lif"))
    n_per = check_int("spiking_lmu", "n_per", n_per, 2)
    weight_bits = check_int("spiking_lmu", "weight_bits", weight_bits, 1, 8)
    if neuron == "lif":
        du = 4095
    rng = np.random.default_rng(check_int("spiking_lmu", "seed", seed, 0))
    big_v = vth * 64
    ab, bb = lmu_matrices(d, theta)
    a = (du + 1) / 4096
    rec, inp = (ab - (1 - a) * np.eye(d)) / a, bb / a
    grid = np.arange(0, 4 * big_v, max(1, big_v // 400))
    rates = tuning(grid, dv, big_v)
    if not rates.any():
        raise ParameterError("spiking_lmu: the neurons never fire at these dv, vth")
    j0 = grid[np.argmax(rates > 0)]
    n = d * n_per
    enc = np.tile(np.r_[np.ones(n_per // 2), -np.ones(n_per - n_per // 2)], d)
    icpt, peak = rng.uniform(-0.5, 0.5, n), rng.uniform(0.2, 0.5, n)
    gain = (np.interp(peak, rates, grid) - j0) / (1 - icpt)
    bias = j0 - gain * icpt
    xs = np.linspace(-1, 1, 401)
    act = np.interp(gain * enc * xs[:, None] + bias, grid, rates)  # (401, n)
    pop = np.repeat(np.arange(d), n_per)
    dec = np.zeros(n)
    for i in range(d):
        sel = pop == i
        ai = act[:, sel]
        lam = (0.05 * ai.max()) ** 2 * len(xs)
        dec[sel] = np.linalg.solve(ai.T @ ai + lam * np.eye(n_per), ai.T @ xs)
    w_rec = (a * gain * enc)[None, :] * rec[pop][:, pop].T * dec[:, None]  # (pre, post)
    w_in = np.vstack([a * gain * enc * inp[pop], -a * gain * enc * inp[pop], a * bias])
    net = Network(f"lmu-d{d}-{neuron}")
    src = net.input(3, name="u")  # u > 0, u < 0, always on (bias)
    mem = net.population(n, CubaLIF(du=du, dv=dv, vth=vth), name="memory")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a magnitude class may round to zero at few bits
        for m, e in _classes(w_in, 8, 1):
            net.connect(src, mem, m, weight_exp=e, name="input")
        for k, (m, e) in enumerate(_classes(w_rec, weight_bits, classes)):
            net.connect(mem, mem, m, weight_exp=e, weight_bits=8, name=f"recurrent{k}")
    return net, {"decoders": dec, "population": pop, "a": a, "d": d, "theta": theta}


def truenorth_lmu(d: int, theta: float, mask_bits: int = 6):
    """``(network, info)``: the LMU memory in TrueNorth neurons. Each dimension is a pair of
    neurons (``+m``, ``-m``) whose membrane *is* the memory, ``V = 2**mask_bits * m``: no reset
    (``reset_mode`` 2) and a stochastic threshold ``V >= 1 + eta``, ``eta`` uniform in
    ``0 .. 2**mask_bits - 1``, make each tick's spike a Bernoulli draw with probability
    ``clip(m, 0, 1)`` -- a rate code of the membrane that leaves it intact. The pairs feed back
    ``2**mask_bits (A_bar - I)`` and take ``2**mask_bits B_bar`` from the input lines; each
    neuron's 4 axon-type weights are ``c (1, 2, 4, -8)`` with ``c`` its row's largest weight / 8,
    so every synapse is a sum of axon-type copies (4-bit weights per neuron)."""
    from ..neurons import TrueNorthNeuron

    mask_bits = check_int("truenorth_lmu", "mask_bits", mask_bits, 1, 17)
    ab, bb = lmu_matrices(d, theta)
    sig = 2.0**mask_bits
    f = np.hstack([ab - np.eye(d), -(ab - np.eye(d))])  # post i from (+j, -j)
    rec = np.zeros((2 * d, 2 * d))
    rec[:d] = f
    rec[d:] = -f
    inp = np.zeros((2 * d, 3))
    inp[:d, 0], inp[:d, 1] = bb, -bb
    inp[d:, 0], inp[d:, 1] = -bb, bb
    full = sig * np.hstack([rec, inp])  # (post 2d, pre 2d + 3)
    c = np.maximum(np.abs(full).max(axis=1) / 8.0, 1.0)
    steps = np.clip(np.rint(full / c[:, None]), -8, 7).astype(np.int64)
    c = np.rint(c).astype(np.int64)
    table = np.stack([c, 2 * c, 4 * c, -8 * c], axis=1)
    if np.any(np.abs(table) > 255) or np.any(table[:, 3] < -256):
        raise ParameterError(
            f"truenorth_lmu: weights need more than TrueNorth's 9-bit axon-type weights at "
            f"mask_bits={mask_bits}; use fewer"
        )
    net = Network(f"lmu-d{d}-truenorth")
    src = net.input(3, name="u")
    mem = net.population(2 * d, TrueNorthNeuron(weights=table, alpha=1, beta=2**18 - 1,
                                                reset_mode=2, threshold_mask_bits=mask_bits),
                         name="memory")  # fmt: skip
    w = steps * c[:, None]
    # delay 2: a TrueNorth neuron reaches its targets through splitter neurons (one step), so
    # a delay-1 loop cannot be exact; with delay 2 the mapper absorbs the splitter and the
    # feedback is one step stale (small next to A_bar - I)
    net.connect(mem, mem, w[:, : 2 * d].T, delay=2)
    net.connect(src, mem, w[:, 2 * d :].T)
    net.probe(mem, "v")
    return net, {"sigma": sig, "d": d, "theta": theta}


def sigma_delta(u) -> np.ndarray:
    """Host spikes (steps, 3) for input ``u`` (|u| <= 1): sigma-delta on two lines (+, -) and
    the always-on bias line."""
    u = np.asarray(u, np.float64)
    if np.abs(u).max(initial=0) > 1:
        raise ParameterError("sigma_delta: |u| must be <= 1 (one spike per line per step)")
    s = np.zeros((len(u), 3), np.int32)
    s[:, 2] = 1
    acc = 0.0
    for t, ut in enumerate(u):
        acc += ut
        if acc >= 0.5:
            s[t, 0], acc = 1, acc - 1
        elif acc <= -0.5:
            s[t, 1], acc = 1, acc + 1
    return s


def run(d: int, theta: int = 50, steps: int = 3000, chip="loihi", seed: int = 0,
        timing: str = "analytic", **kw) -> dict:  # fmt: skip
    """Build, map and run the spiking LMU on ``chip`` with the seeded signal; the float
    reference's and the spiking memory's NRMSE, cores, cycles and energy per step."""
    u = signal(steps, seed)
    if not _chips.get(chip).supports("CubaLIF"):  # TrueNorth-like: the stochastic-threshold pairs
        return _run_truenorth(u, d, theta, chip, seed, timing, **kw)
    net, info = spiking_lmu(d, theta, seed=seed, **kw)
    m, res = _map_and_run(net, chip, timing, seed, u)
    spk = res.spikes["memory"].astype(np.float64)
    pop, dec, a = info["population"], info["decoders"], info["a"]
    y = np.stack([spk[:, pop == i] @ dec[pop == i] for i in range(d)], axis=1)
    x, z = np.zeros_like(y), np.zeros(d)
    for t in range(steps):
        z = (1 - a) * z + a * y[t]
        x[t] = z
    return _result(net, m, res, u, d, theta, x)


def _map_and_run(net, chip, timing, seed, u):
    """Map exactly (strict) and run on the sigma-delta input; register overflows are counted
    in the result, not warned."""
    m = map_network(net, chip, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverflowWarning)
        res = Simulator(m, timing=timing, seed=seed).run(len(u), inputs={"u": sigma_delta(u)})
    return m, res


def _result(net, m, res, u, d, theta, states) -> dict:
    """The row both constructions report: sizes, both NRMSEs, rate, cycles and energy."""
    spk = res.spikes["memory"]
    rep = res.energy()
    return {
        "d": d, "theta": theta, "chip": m.chip.name, "neurons": int(spk.shape[1]),
        "synapses": int(net.n_synapses), "cores": int(m.n_cores),
        "nrmse_float": nrmse(reference(u, d, theta), u, theta),
        "nrmse": nrmse(states, u, theta),
        "rate": float(spk.mean()), "cycles_per_step": float(np.mean(res.cycles)),
        "overflows": int(res.overflows),
        **{f"energy_{k}_J_per_step": rep.per_timestep(k) for k in ("chip", "synops", "bitbudget")},
    }  # fmt: skip


def _run_truenorth(u, d, theta, chip, seed, timing, mask_bits: int = 6, **other) -> dict:
    if other:
        raise ParameterError(
            f"study.lmu.run: {', '.join(sorted(other))} apply to the CubaLIF populations; the "
            "TrueNorth construction takes mask_bits only"
        )
    net, info = truenorth_lmu(d, theta, mask_bits=mask_bits)
    m, res = _map_and_run(net, chip, timing, seed, u)
    v = res.probes["memory"]["v"].astype(np.float64)
    x = (v[:, :d] - v[:, d:]) / (2 * info["sigma"])  # the two membranes hold +m and -m
    return _result(net, m, res, u, d, theta, x)
