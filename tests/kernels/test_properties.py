"""Property-based parity: every compiled kernel equals its NumPy twin on parameters and states
drawn by Hypothesis across the full register ranges (docs/hardware.md §1, §2), edge values mixed
in. Each example checks a batch of neurons (or synapses, keys) for several steps; the cases are
counted and printed at the end of the run. Short by default ("ci" profile); the long run:

    python -m pytest tests/kernels/test_properties.py --hypothesis-profile=long
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from tests._cases import CASES
from tests.kernels.test_parity import (
    DELIVER_ORDER,
    EMIT_ORDER,
    IF_ORDER,
    LIF_ORDER,
    TN_ORDER,
    run_both,
)

hyp = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

I32, I64 = np.int32, np.int64
N = 2000  # neurons per example
STEPS = 3
seeds = st.integers(0, 2**32 - 1)


def _mix(rng, a, edges, frac):
    """Replace a fraction ``frac`` of ``a`` by values drawn from ``edges``."""
    if frac and len(edges):
        k = rng.random(a.size) < frac
        a[k] = rng.choice(np.asarray(edges, a.dtype), int(k.sum()))
    return a


# ------------------------------------------------------------------ CubaLIF (Loihi)
@given(du=st.integers(0, 4095), dv=st.integers(0, 4095), vth=st.integers(0, 131071),
       rd=st.integers(1, 63), vmin=st.integers(-(2**23), 0), vmax=st.integers(0, 2**23 - 1),
       inp_bits=st.integers(0, 42), edge=st.sampled_from([0.0, 0.05, 0.5]), seed=seeds)  # fmt: skip
def test_cuba_lif_kernels_agree(compiled, twin, du, dv, vth, rd, vmin, vmax, inp_bits, edge, seed):
    rng = np.random.default_rng(seed)
    top = 2**inp_bits
    e24 = [0, 1, -1, 2**23 - 1, -(2**23), 2**22, -(2**22), vth << 6, (vth << 6) + 1, vmin, vmax]
    arrays = {
        "inp": _mix(rng, rng.integers(-top, top + 1, N).astype(I64),
                    [top, -top, 2**21, -(2**21), 2**21 - 1, 0], edge),
        "u": _mix(rng, rng.integers(-(2**23), 2**23, N).astype(I32), e24, edge),
        "v": _mix(rng, rng.integers(vmin, vmax + 1, N).astype(I32), [0, vmin, vmax], edge),
        "ref": rng.integers(0, rd, N).astype(I32),
        "bias": (rng.integers(-4096, 4096, N) << rng.integers(0, 8, N)).astype(I64),
        "spikes": np.zeros(N, I32),
    }  # fmt: skip
    scalars = dict(du=du, dv=dv, vth=vth, refract_delay=rd, vmin=vmin, vmax=vmax)
    for _ in range(STEPS):
        _, arrays = run_both(compiled, twin, "cuba_lif_update", arrays, scalars, LIF_ORDER)
        arrays["inp"] = rng.integers(-top, top + 1, N).astype(I64)
    CASES["cuba_lif_update (neuron-steps)"] += N * STEPS


# ------------------------------------------------------------------ IF (graded, bipolar)
@st.composite
def if_params(draw):
    v_bits = draw(st.integers(2, 32))
    vmax = 2 ** (v_bits - 1) - 1
    return dict(
        v_bits=v_bits, vth=draw(st.integers(1, vmax)), spike_bits=draw(st.integers(1, 24)),
        leak=draw(st.one_of(st.just(0), st.integers(0, vmax))),
        bipolar=draw(st.integers(0, 1)), reset_zero=draw(st.integers(0, 2)),
    )  # fmt: skip


def _if_case(rng, p, inp_bits, edge):
    """Arrays and scalars of an IF-family kernel call drawn across the register ranges."""
    vmin, vmax = -(2 ** (p["v_bits"] - 1)), 2 ** (p["v_bits"] - 1) - 1
    top, vth = 2**inp_bits, p["vth"]
    arrays = {
        "inp": _mix(rng, rng.integers(-top, top + 1, N).astype(I64), [top, -top, vth, -vth], edge),
        "v": _mix(rng, rng.integers(vmin, vmax, N, endpoint=True).astype(I32),
                  [vmin, vmax, 0, vth, -vth, vth - 1], edge),
        "bias": rng.integers(vmin, vmax, N, endpoint=True).astype(I64) // 4,
        "spikes": np.zeros(N, I32),
    }  # fmt: skip
    scalars = dict(vth=vth, vmin=vmin, vmax=vmax, leak=p["leak"], cap=2 ** p["spike_bits"] - 1,
                   bipolar=p["bipolar"], reset_zero=p["reset_zero"])  # fmt: skip
    return arrays, scalars, top


def _with_floor(rng, arrays, scalars):
    """The IF case with a floor above the register (IF(floor=...)): clamps there are not
    saturations; the membrane starts at or above it."""
    floor = int(rng.integers(scalars["vmin"], 1))
    arrays = {**arrays, "v": np.maximum(arrays["v"], floor).astype(I32)}
    return arrays, {**scalars, "rmin": scalars["vmin"], "vmin": floor}


@given(p=if_params(), inp_bits=st.integers(0, 40), edge=st.sampled_from([0.0, 0.1]), seed=seeds)
def test_if_kernels_agree(compiled, twin, p, inp_bits, edge, seed):
    rng = np.random.default_rng(seed)
    arrays, scalars, top = _if_case(rng, p, inp_bits, edge)
    if rng.random() < 0.5:
        arrays, scalars = _with_floor(rng, arrays, scalars)
    else:
        scalars["rmin"] = scalars["vmin"]
    for _ in range(STEPS):
        _, arrays = run_both(compiled, twin, "if_update", arrays, scalars, IF_ORDER)
        arrays["inp"] = rng.integers(-top, top + 1, N).astype(I64)
    CASES["if_update (neuron-steps)"] += N * STEPS


# ------------------------------------------------------------------ TrueNorth
@given(leak=st.integers(-256, 255), leak_rev=st.integers(0, 1), stoch_leak=st.integers(0, 1),
       stoch_mask=st.integers(0, 15), alpha=st.integers(0, 2**18 - 1),
       beta=st.integers(0, 2**18 - 1), negative_reset=st.integers(0, 1),
       reset_mode=st.integers(0, 2), reset_value=st.integers(-(2**17), 2**17 - 1),
       mask_bits=st.integers(0, 17), tn_seed=st.integers(0, 2**63 - 1),
       id_offset=st.integers(0, 2**31 - 1), seed=seeds)  # fmt: skip
def test_truenorth_kernels_agree(compiled, twin, leak, leak_rev, stoch_leak, stoch_mask, alpha,
                                 beta, negative_reset, reset_mode, reset_value, mask_bits,
                                 tn_seed, id_offset, seed):  # fmt: skip
    rng = np.random.default_rng(seed)
    arrays = {
        "counts": rng.integers(0, 256, (N, 4)).astype(I64),
        "v": _mix(rng, rng.integers(-(2**19), 2**19, N).astype(I32),
                  [2**19 - 1, -(2**19), 0, alpha, -beta], 0.05),
        "weights": rng.integers(-256, 256, (N, 4)).astype(np.int16),
        "spikes": np.zeros(N, I32),
    }  # fmt: skip
    arrays["counts"][rng.random(N) < 0.5] = 0  # many quiet neurons
    scalars = dict(leak=leak, leak_reversal=leak_rev, stochastic_leak=stoch_leak,
                   stochastic_synapse_mask=stoch_mask, alpha=alpha, beta=beta,
                   negative_reset=negative_reset, reset_mode=reset_mode, reset_value=reset_value,
                   threshold_mask=2**mask_bits - 1, seed=tn_seed, step=0, id_offset=id_offset)  # fmt: skip
    for t in range(STEPS):
        scalars["step"] = t
        _, arrays = run_both(compiled, twin, "truenorth_update", arrays, scalars, TN_ORDER)
        arrays["counts"] = rng.integers(0, 8, (N, 4)).astype(I64)
    CASES["truenorth_update (neuron-steps)"] += N * STEPS


# ------------------------------------------------------------------ synaptic delivery
@given(n_axons=st.integers(1, 400), n_targets=st.integers(1, 600),
       density=st.floats(0.0, 0.3), max_delay=st.integers(1, 62), acc_shift=st.sampled_from([0, 6]),
       payload_bits=st.integers(1, 24), seed=seeds)  # fmt: skip
def test_deliver_kernels_agree(compiled, twin, n_axons, n_targets, density, max_delay, acc_shift,
                               payload_bits, seed):  # fmt: skip
    rng = np.random.default_rng(seed)
    counts = rng.binomial(n_targets, density, n_axons)
    indptr = np.r_[0, np.cumsum(counts)].astype(I64)
    nnz = int(indptr[-1])
    top = 2 ** (payload_bits - 1)
    m = int(rng.integers(0, 2 * n_axons + 1))
    arrays = dict(
        axons=rng.integers(0, n_axons, m).astype(I32),
        payloads=rng.integers(-top, top + 1, m).astype(I32),
        indptr=indptr, targets=rng.integers(0, n_targets, nnz).astype(I32),
        weights=rng.integers(-256, 256, nnz).astype(np.int16),
        delays=rng.integers(1, max_delay + 1, nnz).astype(np.uint8),
        row_exp=rng.integers(-8, 8, n_axons).astype(np.int8),
        ring=rng.integers(-(2**20), 2**20, (max_delay, n_targets)).astype(I64),
    )  # fmt: skip
    slot0 = int(rng.integers(0, max_delay))
    events, _ = run_both(compiled, twin, "deliver", arrays, dict(acc_shift=acc_shift, slot0=slot0),
                         DELIVER_ORDER)  # fmt: skip
    CASES["deliver (synapse events)"] += max(events, 1)


# ------------------------------------------------------------------ spike emission
@given(n=st.integers(1, 5000), n_dest=st.integers(1, 200), rate=st.floats(0, 1),
       max_fan=st.integers(0, 6), seed=seeds)  # fmt: skip
def test_emit_kernels_agree(compiled, twin, n, n_dest, rate, max_fan, seed):
    rng = np.random.default_rng(seed)
    fan = rng.integers(0, max_fan + 1, n)
    rt_indptr = np.r_[0, np.cumsum(fan)].astype(I64)
    nr = int(rt_indptr[-1])
    tables = dict(rt_indptr=rt_indptr, rt_dest=rng.integers(0, n_dest, nr).astype(I32),
                  rt_axon=rng.integers(0, 2**20, nr).astype(I32))  # fmt: skip
    for _ in range(4):  # four steps of spikes through the same routing tables
        spikes = np.where(rng.random(n) < rate, rng.integers(-(2**23), 2**23, n), 0)
        arrays = dict(spikes=spikes.astype(I32), **tables, dest_ptr=np.zeros(n_dest + 1, I64),
                      out_axon=np.zeros(nr, I32), out_payload=np.zeros(nr, I32))  # fmt: skip
        run_both(compiled, twin, "emit_spikes", arrays, {}, EMIT_ORDER)
    CASES["emit_spikes (neuron-steps)"] += 4 * n


# ------------------------------------------------------------------ the mapper's grouping
@given(n_groups=st.integers(1, 5000), size=st.integers(0, 20000), seed=seeds)
def test_group_order_kernels_agree(compiled, twin, n_groups, size, seed):
    keys = np.random.default_rng(seed).integers(0, n_groups, size)
    (p1, o1), (p2, o2) = compiled.group_order(keys, n_groups), twin.group_order(keys, n_groups)
    assert_array_equal(p1, p2)
    assert_array_equal(o1, o2)
    CASES["group_order (keys)"] += max(size, 1)


# ------------------------------------------------------------------ SmoothIF (membrane smoothing)
SMOOTH_ORDER = ["inp", "v", "vbar", "bias", "vth", "vmin", "vmax", "leak", "cap", "bipolar",
                "reset_zero", "alpha", "spikes"]  # fmt: skip


@given(p=if_params(), alpha=st.integers(0, 4095), inp_bits=st.integers(0, 40),
       edge=st.sampled_from([0.0, 0.1]), seed=seeds)  # fmt: skip
def test_smooth_if_kernels_agree(compiled, twin, p, alpha, inp_bits, edge, seed):
    rng = np.random.default_rng(seed)
    arrays, scalars, top = _if_case(rng, p, inp_bits, edge)
    vmin, vmax, vth = scalars["vmin"], scalars["vmax"], scalars["vth"]
    arrays["vbar"] = _mix(rng, rng.integers(vmin, vmax, N, endpoint=True).astype(I32),
                          [vmin, vmax, 0, vth - 1], edge)  # fmt: skip
    scalars["alpha"] = alpha
    for _ in range(STEPS):
        _, arrays = run_both(compiled, twin, "smooth_if_update", arrays, scalars, SMOOTH_ORDER)
        assert arrays["vbar"].min() >= vmin and arrays["v"].min() >= vmin
        arrays["inp"] = rng.integers(-top, top + 1, N).astype(I64)
    CASES["smooth_if_update (neuron-steps)"] += N * STEPS


@given(p=if_params(), seed=seeds)
def test_smooth_if_with_alpha_zero_is_if(twin, p, seed):
    """alpha = 0: vbar = v, and the update is IF's exactly (NumPy twins; the compiled ones
    equal them by the properties above)."""
    rng = np.random.default_rng(seed)
    vmin, vmax = -(2 ** (p["v_bits"] - 1)), 2 ** (p["v_bits"] - 1) - 1
    v = rng.integers(vmin, vmax, N, endpoint=True).astype(I32)
    inp = rng.integers(-(2**20), 2**20, N).astype(I64)
    bias = np.zeros(N, I64)
    args = (
        p["vth"],
        vmin,
        vmax,
        p["leak"],
        2 ** p["spike_bits"] - 1,
        p["bipolar"],
        p["reset_zero"],
    )
    v1, s1 = v.copy(), np.zeros(N, I32)
    v2, b2, s2 = v.copy(), v.copy(), np.zeros(N, I32)
    twin.if_update(inp, v1, bias, *args, vmin, s1)
    twin.smooth_if_update(inp, v2, b2, bias, *args, 0, s2)
    assert_array_equal(s1, s2)
    assert_array_equal(v1, v2)
    CASES["smooth_if alpha=0 == if (neuron-steps)"] += N


# ------------------------------------------------------------------ CubaLIFSubtract (snnTorch)
SUB_ORDER = ["inp", "u", "v", "bias", "du", "dv", "vth", "vmin", "vmax", "spikes"]


@given(du=st.integers(0, 4095), dv=st.integers(0, 4095), vth=st.integers(0, 131071),
       vmin=st.integers(-(2**23), 0), vmax=st.integers(0, 2**23 - 1),
       inp_bits=st.integers(0, 42), edge=st.sampled_from([0.0, 0.05, 0.5]), seed=seeds)  # fmt: skip
def test_cuba_lif_subtract_kernels_agree(compiled, twin, du, dv, vth, vmin, vmax, inp_bits,
                                         edge, seed):  # fmt: skip
    rng = np.random.default_rng(seed)
    top = 2**inp_bits
    e24 = [0, 1, -1, 2**23 - 1, -(2**23), vth << 6, (vth << 6) + 1, vmin, vmax]
    arrays = {
        "inp": _mix(rng, rng.integers(-top, top + 1, N).astype(I64), [top, -top, 2**21, 0], edge),
        "u": _mix(rng, rng.integers(-(2**23), 2**23, N).astype(I32), e24, edge),
        "v": _mix(rng, rng.integers(vmin, vmax + 1, N).astype(I32),
                  [0, vmin, vmax, vth << 6, (vth << 6) + 1], edge),
        "bias": (rng.integers(-4096, 4096, N) << rng.integers(0, 8, N)).astype(I64),
        "spikes": np.zeros(N, I32),
    }  # fmt: skip
    scalars = dict(du=du, dv=dv, vth=vth, vmin=vmin, vmax=vmax)
    for _ in range(STEPS):
        _, arrays = run_both(compiled, twin, "cuba_lif_subtract_update", arrays, scalars,
                             SUB_ORDER)  # fmt: skip
        assert arrays["v"].min() >= vmin and arrays["v"].max() <= vmax
        arrays["inp"] = rng.integers(-top, top + 1, N).astype(I64)
    CASES["cuba_lif_subtract_update (neuron-steps)"] += N * STEPS


# ------------------------------------------------------------------ Loihi 2 programs (Lava)
def _i32(rng, n, edge, extra=()):
    e32 = [0, 1, -1, 2**31 - 1, -(2**31), 2**23 - 1, -(2**23), 2**23, *extra]
    return _mix(rng, rng.integers(-(2**31), 2**31, n).astype(I32), e32, edge)


SD_ORDER = ["inp", "sigma", "act", "residue", "error", "bias", "vth", "relu", "cum_error",
            "state_exp", "spikes"]  # fmt: skip


@given(vth=st.integers(0, 2**23 - 1), relu=st.integers(0, 1), cum=st.integers(0, 1),
       state_exp=st.integers(0, 7), inp_bits=st.integers(0, 42),
       edge=st.sampled_from([0.0, 0.05, 0.5]), seed=seeds)  # fmt: skip
def test_sigma_delta_kernels_agree(compiled, twin, vth, relu, cum, state_exp, inp_bits, edge,
                                   seed):  # fmt: skip
    rng = np.random.default_rng(seed)
    top = 2**inp_bits
    arrays = {
        "inp": _mix(rng, rng.integers(-top, top + 1, N).astype(I64), [top, -top, vth, -vth], edge),
        "sigma": _i32(rng, N, edge), "act": _i32(rng, N, edge, [vth]),
        "residue": _i32(rng, N, edge, [vth, -vth]), "error": _i32(rng, N, edge, [vth, -vth]),
        "bias": rng.integers(-(2**23), 2**23, N).astype(I64), "spikes": np.zeros(N, I32),
    }  # fmt: skip
    scalars = dict(vth=vth, relu=relu, cum_error=cum, state_exp=state_exp)
    for _ in range(STEPS):
        _, arrays = run_both(compiled, twin, "sigma_delta_update", arrays, scalars, SD_ORDER)
        arrays["inp"] = rng.integers(-top, top + 1, N).astype(I64)
    CASES["sigma_delta_update (neuron-steps)"] += N * STEPS


RF_ORDER = ["inp", "real", "imag", "sin_decay", "cos_decay", "decay_bits", "state_exp", "vth",
            "spikes"]  # fmt: skip


@given(sin=st.integers(-4096, 4096), cos=st.integers(-4096, 4096), decay_bits=st.integers(0, 12),
       state_exp=st.integers(0, 7), vth=st.integers(-(2**23) + 1, 2**23 - 1),
       inp_bits=st.integers(0, 42), edge=st.sampled_from([0.0, 0.05, 0.5]), seed=seeds)  # fmt: skip
def test_resonate_fire_kernels_agree(compiled, twin, sin, cos, decay_bits, state_exp, vth,
                                     inp_bits, edge, seed):  # fmt: skip
    rng = np.random.default_rng(seed)
    top = 2**inp_bits
    lim = 2**23 - 1
    e = [0, 1, -1, lim, -lim, vth, vth - 1]
    arrays = {
        "inp": _mix(rng, rng.integers(-top, top + 1, 2 * N).astype(I64), [top, -top, 0], edge),
        "real": _mix(rng, rng.integers(-lim, lim + 1, N).astype(I32), e, edge),
        "imag": _mix(rng, rng.integers(-lim, lim + 1, N).astype(I32), e, edge),
        "spikes": np.zeros(N, I32),
    }  # fmt: skip
    scalars = dict(sin_decay=sin, cos_decay=cos, decay_bits=decay_bits, state_exp=state_exp,
                   vth=vth)  # fmt: skip
    for _ in range(STEPS):
        _, arrays = run_both(compiled, twin, "resonate_fire_update", arrays, scalars, RF_ORDER)
        assert np.abs(arrays["real"]).max() <= lim and np.abs(arrays["imag"]).max() <= lim
        arrays["inp"] = rng.integers(-top, top + 1, 2 * N).astype(I64)
    CASES["resonate_fire_update (neuron-steps)"] += N * STEPS


ALIF_ORDER = ["inp", "i", "v", "theta", "r", "bias", "fac_i", "fac_v", "fac_theta", "fac_r",
              "theta_0", "theta_step", "spikes"]  # fmt: skip
deltas = st.one_of(st.sampled_from([0.0, 1.0, 0.5, 1 / 4096]), st.floats(0, 1))


@given(di=deltas, dv=deltas, dt=deltas, dr=deltas, theta_0=st.floats(0, 4095.99),
       theta_step=st.floats(0, 4095.99), inp_bits=st.integers(0, 42),
       edge=st.sampled_from([0.0, 0.05, 0.5]), seed=seeds)  # fmt: skip
def test_adaptive_lif_kernels_agree(compiled, twin, di, dv, dt, dr, theta_0, theta_step,
                                    inp_bits, edge, seed):  # fmt: skip
    import spikemesh as sm

    spec = sm.AdaptiveLIF(delta_i=di, delta_v=dv, delta_theta=dt, delta_r=dr, theta_0=theta_0,
                          theta_step=theta_step)  # fmt: skip
    rng = np.random.default_rng(seed)
    top = 2**inp_bits
    t0 = spec.theta_0_register
    arrays = {
        "inp": _mix(rng, rng.integers(-top, top + 1, N).astype(I64), [top, -top, 2**25], edge),
        "i": _i32(rng, N, edge), "v": _i32(rng, N, edge), "theta": _i32(rng, N, edge, [t0]),
        "r": _i32(rng, N, edge),
        "bias": (rng.integers(-4096, 4096, N) << rng.integers(0, 8, N)).astype(I64),
        "spikes": np.zeros(N, I32),
    }  # fmt: skip
    fv, ft, fr = spec.factors
    scalars = dict(fac_i=spec.fac_i, fac_v=fv, fac_theta=ft, fac_r=fr, theta_0=t0,
                   theta_step=spec.theta_step_register)  # fmt: skip
    for _ in range(STEPS):
        _, arrays = run_both(compiled, twin, "adaptive_lif_update", arrays, scalars, ALIF_ORDER)
        arrays["inp"] = rng.integers(-top, top + 1, N).astype(I64)
    CASES["adaptive_lif_update (neuron-steps)"] += N * STEPS


PROD_ORDER = ["inp", "v", "vth", "exp", "spikes"]


@given(vth=st.integers(0, 2**23 - 1), exp=st.integers(0, 23), inp_bits=st.integers(0, 42),
       edge=st.sampled_from([0.0, 0.05, 0.5]), seed=seeds)  # fmt: skip
def test_prod_neuron_kernels_agree(compiled, twin, vth, exp, inp_bits, edge, seed):
    rng = np.random.default_rng(seed)
    top = 2**inp_bits
    arrays = {
        "inp": _mix(rng, rng.integers(-top, top + 1, 2 * N).astype(I64),
                    [top, -top, 0, 1, -1, 2**31, -(2**31), 2**16], edge),
        "v": _i32(rng, N, edge), "spikes": np.zeros(N, I32),
    }  # fmt: skip
    for _ in range(STEPS):
        _, arrays = run_both(compiled, twin, "prod_neuron_update", arrays, dict(vth=vth, exp=exp),
                             PROD_ORDER)  # fmt: skip
        arrays["inp"] = rng.integers(-top, top + 1, 2 * N).astype(I64)
    CASES["prod_neuron_update (neuron-steps)"] += N * STEPS
