"""Compiled kernels == NumPy twins (assert_array_equal), on seeded random and edge inputs."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm

I32, I64 = np.int32, np.int64


def run_both(compiled, twin, name, arrays, scalars, order):
    """Call kernel ``name`` on copies of ``arrays`` with both backends; compare everything."""
    out = []
    for ns in (compiled, twin):
        arrs = {k: a.copy() for k, a in arrays.items()}
        args = [arrs[k] if k in arrs else scalars[k] for k in order]
        counts = getattr(ns, name)(*args)
        out.append((counts, arrs))
    (c1, a1), (c2, a2) = out
    assert tuple(c1) == tuple(c2) if isinstance(c1, tuple) else c1 == c2
    for k in a1:
        assert_array_equal(a1[k], a2[k], err_msg=f"{name}: array {k} differs")
    return c1, a1


# ------------------------------------------------------------------ CubaLIF

LIF_ORDER = [
    "inp",
    "u",
    "v",
    "ref",
    "bias",
    "du",
    "dv",
    "vth",
    "refract_delay",
    "vmin",
    "vmax",
    "spikes",
]


def lif_arrays(rng, n, inp_scale):
    return {
        "inp": rng.integers(-inp_scale, inp_scale, n).astype(I64),
        "u": rng.integers(-(2**23), 2**23, n).astype(I32),
        "v": rng.integers(-(2**23) + 1, 2**23, n).astype(I32),
        "ref": rng.integers(0, 3, n).astype(I32),
        "bias": (rng.integers(-4096, 4096, n) << rng.integers(0, 8, n)).astype(I64),
        "spikes": np.zeros(n, I32),
    }


@pytest.mark.parametrize("inp_scale", [2**10, 2**21, 2**23, 2**40])
@pytest.mark.parametrize(
    "du,dv,vth,rd,vmin,vmax",
    [
        (0, 0, 0, 1, -(2**23 - 1), 2**23 - 1),
        (4095, 4095, 131071, 1, -(2**23 - 1), 2**23 - 1),
        (410, 205, 100, 3, -(2**23 - 1), 2**23 - 1),
        (1, 4094, 7, 63, 0, 2**23 - 1),
        (2048, 2048, 50000, 2, -(2**23), 1000),
    ],
)
def test_cuba_lif_parity(compiled, twin, rng, inp_scale, du, dv, vth, rd, vmin, vmax):
    arrays = lif_arrays(rng, 2000, inp_scale)
    scalars = dict(du=du, dv=dv, vth=vth, refract_delay=rd, vmin=vmin, vmax=vmax)
    for _ in range(5):  # several steps, state carried over
        counts, arrays = run_both(compiled, twin, "cuba_lif_update", arrays, scalars, LIF_ORDER)
        arrays["inp"] = rng.integers(-inp_scale, inp_scale, 2000).astype(I64)
    assert counts[0] > 0


def test_cuba_lif_parity_edges(compiled, twin):
    edge = np.array([0, 1, -1, 63, 64, 65, 2**21 - 1, 2**21, -(2**21), 2**22, 2**23 - 1, -(2**23)])
    n = edge.size
    for u0 in (0, 2**23 - 1, -(2**23)):
        arrays = {
            "inp": edge.astype(I64), "u": np.full(n, u0, I32), "v": np.full(n, 64, I32),
            "ref": np.array([0, 1, 2] * (n // 3), I32), "bias": np.full(n, 4095 << 7, I64),
            "spikes": np.zeros(n, I32),
        }  # fmt: skip
        scalars = dict(du=0, dv=0, vth=1, refract_delay=2, vmin=-(2**23 - 1), vmax=2**23 - 1)
        run_both(compiled, twin, "cuba_lif_update", arrays, scalars, LIF_ORDER)


# ------------------------------------------------------------------ IF

IF_ORDER = [
    "inp",
    "v",
    "bias",
    "vth",
    "vmin",
    "vmax",
    "leak",
    "cap",
    "bipolar",
    "reset_zero",
    "rmin",
    "spikes",
]


@pytest.mark.parametrize("bipolar", [0, 1])
@pytest.mark.parametrize("reset_zero", [0, 1, 2])
@pytest.mark.parametrize(
    "v_bits,spike_bits,vth,leak", [(24, 1, 100, 0), (8, 3, 10, 2), (16, 4, 1, 5), (32, 8, 1000, 0)]
)
def test_if_parity(compiled, twin, rng, bipolar, reset_zero, v_bits, spike_bits, vth, leak):
    n = 3000
    vmin, vmax = -(2 ** (v_bits - 1)), 2 ** (v_bits - 1) - 1
    arrays = {
        "inp": rng.integers(-4 * vth * 2**spike_bits, 4 * vth * 2**spike_bits, n).astype(I64),
        "v": rng.integers(vmin, vmax, n, endpoint=True).astype(I32),
        "bias": rng.integers(-vth, vth, n).astype(I64),
        "spikes": np.zeros(n, I32),
    }
    scalars = dict(vth=vth, vmin=vmin, vmax=vmax, leak=leak, cap=2**spike_bits - 1,
                   bipolar=bipolar, reset_zero=reset_zero, rmin=vmin)  # fmt: skip
    for _ in range(4):
        counts, arrays = run_both(compiled, twin, "if_update", arrays, scalars, IF_ORDER)
        arrays["inp"] = rng.integers(-3 * vth - leak, 3 * vth + leak, n).astype(I64)
    assert counts[1] > 0


# ------------------------------------------------------------------ TrueNorth

TN_ORDER = [
    "counts", "v", "weights", "leak", "leak_reversal", "stochastic_leak",
    "stochastic_synapse_mask", "alpha", "beta", "negative_reset", "reset_mode", "reset_value",
    "threshold_mask", "seed", "step", "id_offset", "spikes",
]  # fmt: skip


@pytest.mark.parametrize("reset_mode", [0, 1, 2])
@pytest.mark.parametrize("negative_reset", [0, 1])
@pytest.mark.parametrize(
    "stoch_mask,stoch_leak,tmask,leak_rev",
    [(0, 0, 0, 0), (0b1010, 1, 0, 1), (0b1111, 0, 255, 0), (0, 1, 2**17 - 1, 1)],
)
def test_truenorth_parity(
    compiled, twin, rng, reset_mode, negative_reset, stoch_mask, stoch_leak, tmask, leak_rev
):
    n = 1500
    arrays = {
        "counts": rng.integers(0, 6, (n, 4)).astype(I64),
        "v": rng.integers(-(2**19), 2**19, n).astype(I32),
        "weights": rng.integers(-256, 256, (n, 4)).astype(np.int16),
        "spikes": np.zeros(n, I32),
    }
    arrays["v"][:10] = [2**19 - 1, -(2**19), 0, 1, -1, 500, -500, 1000, -1000, 2**18]
    scalars = dict(
        leak=-37, leak_reversal=leak_rev, stochastic_leak=stoch_leak,
        stochastic_synapse_mask=stoch_mask, alpha=400, beta=300, negative_reset=negative_reset,
        reset_mode=reset_mode, reset_value=17, threshold_mask=tmask, seed=12345, step=0,
        id_offset=1000,
    )  # fmt: skip
    for t in range(4):
        scalars["step"] = t
        counts, arrays = run_both(compiled, twin, "truenorth_update", arrays, scalars, TN_ORDER)
        arrays["counts"] = rng.integers(0, 6, (n, 4)).astype(I64)
    assert counts[0] > 0


def test_truenorth_saturation_parity(compiled, twin):
    n = 4
    arrays = {
        "counts": np.array([[255, 0, 0, 0], [0, 255, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]], I64),
        "v": np.array([2**19 - 1, -(2**19), 0, 3], I32),
        "weights": np.array([[255] * 4, [-256] * 4, [0] * 4, [1, -1, 2, -2]], np.int16),
        "spikes": np.zeros(n, I32),
    }
    scalars = dict(leak=0, leak_reversal=0, stochastic_leak=0, stochastic_synapse_mask=0,
                   alpha=2**18 - 1, beta=2**18 - 1, negative_reset=1, reset_mode=2, reset_value=0,
                   threshold_mask=0, seed=0, step=0, id_offset=0)  # fmt: skip
    counts, arrays = run_both(compiled, twin, "truenorth_update", arrays, scalars, TN_ORDER)
    assert counts[2] == 2  # both extremes saturated


def test_prn_matches_between_backends(compiled, twin):
    # the stochastic leak fires exactly where the shared PRN says |leak| >= prn & 255
    from spikemesh.kernels.reference import prn32

    n = 4096
    v = np.zeros(n, I32)
    arrays = {"counts": np.zeros((n, 4), I64), "v": v, "weights": np.zeros((n, 4), np.int16),
              "spikes": np.zeros(n, I32)}  # fmt: skip
    scalars = dict(leak=100, leak_reversal=0, stochastic_leak=1, stochastic_synapse_mask=0,
                   alpha=1, beta=0, negative_reset=0, reset_mode=2, reset_value=0,
                   threshold_mask=0, seed=7, step=3, id_offset=50)  # fmt: skip
    _, arrays = run_both(compiled, twin, "truenorth_update", arrays, scalars, TN_ORDER)
    expected = (100 >= (prn32(7, 3, np.arange(n) + 50, 1) & 255)).astype(I32)
    assert_array_equal(arrays["v"], expected)
    assert abs(expected.mean() - 101 / 256) < 0.03


# ------------------------------------------------------------------ delivery


def random_csr(rng, n_axons, n_targets, density, max_delay):
    counts = rng.binomial(n_targets, density, n_axons)
    indptr = np.zeros(n_axons + 1, I64)
    np.cumsum(counts, out=indptr[1:])
    nnz = int(indptr[-1])
    return dict(
        indptr=indptr,
        targets=rng.integers(0, n_targets, nnz).astype(I32),  # repeats allowed (several synapses)
        weights=rng.integers(-256, 256, nnz).astype(np.int16),
        delays=rng.integers(1, max_delay + 1, nnz).astype(np.uint8),
        row_exp=rng.integers(-8, 8, n_axons).astype(np.int8),
    )


DELIVER_ORDER = [
    "axons",
    "payloads",
    "indptr",
    "targets",
    "weights",
    "delays",
    "row_exp",
    "acc_shift",
    "ring",
    "slot0",
]


@pytest.mark.parametrize("max_delay", [1, 2, 16, 62])
@pytest.mark.parametrize("acc_shift", [0, 6])
@pytest.mark.parametrize("graded", [False, True])
def test_deliver_parity(compiled, twin, rng, max_delay, acc_shift, graded):
    n_axons, n_targets = 300, 500
    tab = random_csr(rng, n_axons, n_targets, 0.1, max_delay)
    if max_delay == 1:
        tab["row_exp"][: n_axons // 2] = 0  # exercise the fast paths too
    m = 400
    axons = rng.integers(0, n_axons, m).astype(I32)
    payloads = (rng.integers(-255, 256, m) if graded else (rng.random(m) < 0.7).astype(int)).astype(
        I32
    )
    arrays = {"ring": rng.integers(-1000, 1000, (max_delay, n_targets)).astype(I64)}
    arrays.update(axons=axons, payloads=payloads, **{k: v for k, v in tab.items()})
    for slot0 in {0, max_delay - 1, max_delay // 2}:
        events, _ = run_both(
            compiled, twin, "deliver", arrays, dict(acc_shift=acc_shift, slot0=slot0), DELIVER_ORDER
        )
        lens = np.diff(tab["indptr"])
        assert events == int(lens[axons[payloads != 0]].sum())


def test_deliver_weight_exponent_floor(compiled, twin):
    # one synapse of weight -37 with exponent -2: floor(-37 / 4) = -10, << 6 = -640
    tab = dict(indptr=np.array([0, 1], I64), targets=np.array([0], I32),
               weights=np.array([-37], np.int16), delays=np.array([1], np.uint8),
               row_exp=np.array([-2], np.int8))  # fmt: skip
    arrays = dict(axons=np.array([0], I32), payloads=np.array([3], I32),
                  ring=np.zeros((1, 1), I64), **tab)  # fmt: skip
    _, out = run_both(compiled, twin, "deliver", arrays, dict(acc_shift=6, slot0=0), DELIVER_ORDER)
    assert out["ring"][0, 0] == -640 * 3


def test_deliver_empty(compiled, twin):
    tab = dict(indptr=np.zeros(3, I64), targets=np.zeros(0, I32), weights=np.zeros(0, np.int16),
               delays=np.zeros(0, np.uint8), row_exp=np.zeros(2, np.int8))  # fmt: skip
    arrays = dict(axons=np.array([0, 1], I32), payloads=np.array([1, 1], I32),
                  ring=np.zeros((1, 4), I64), **tab)  # fmt: skip
    events, _ = run_both(
        compiled, twin, "deliver", arrays, dict(acc_shift=0, slot0=0), DELIVER_ORDER
    )
    assert events == 0


# ------------------------------------------------------------------ emission

EMIT_ORDER = ["spikes", "rt_indptr", "rt_dest", "rt_axon", "dest_ptr", "out_axon", "out_payload"]


@pytest.mark.parametrize("n_dest", [1, 7, 128])
@pytest.mark.parametrize("rate", [0.0, 0.05, 1.0])
def test_emit_parity(compiled, twin, rng, n_dest, rate):
    n = 1024
    fan = rng.integers(0, 4, n)
    rt_indptr = np.zeros(n + 1, I64)
    np.cumsum(fan, out=rt_indptr[1:])
    nr = int(rt_indptr[-1])
    spikes = np.where(rng.random(n) < rate, rng.integers(-7, 8, n), 0).astype(I32)
    arrays = dict(
        spikes=spikes, rt_indptr=rt_indptr,
        rt_dest=rng.integers(0, n_dest, nr).astype(I32),
        rt_axon=rng.integers(0, 4096, nr).astype(I32),
        dest_ptr=np.full(n_dest + 1, -5, I64), out_axon=np.full(nr, -1, I32),
        out_payload=np.full(nr, -1, I32),
    )  # fmt: skip
    (packets, events), out = run_both(compiled, twin, "emit_spikes", arrays, {}, EMIT_ORDER)
    # invariants: events = sum of fan-out of spiking neurons; packets = destinations reached
    spk = spikes != 0
    assert events == int(fan[spk].sum())
    assert out["dest_ptr"][0] == 0 and out["dest_ptr"][-1] == events
    dest_of = np.repeat(np.arange(n), fan)  # route j belongs to neuron dest_of[j]
    reached = np.unique(arrays["rt_dest"][spk[dest_of]])
    assert packets == reached.size
    assert_array_equal(
        np.diff(out["dest_ptr"]), np.bincount(arrays["rt_dest"][spk[dest_of]], minlength=n_dest)
    )


def test_bound_kernels_equal_the_plain_kernels(compiled, twin, rng):
    tab = random_csr(rng, 200, 300, 0.1, 8)
    axons = rng.integers(0, 200, 150).astype(I32)
    payloads = rng.integers(-3, 4, 150).astype(I32)
    rings = [np.zeros((8, 300), I64) for _ in range(3)]
    args = (tab["indptr"], tab["targets"], tab["weights"], tab["delays"], tab["row_exp"], 6)
    ev = [
        compiled.BoundDeliver(*args, rings[0])(axons, payloads, 5),
        twin.BoundDeliver(*args, rings[1])(axons, payloads, 5),
        compiled.deliver(axons, payloads, *args, rings[2], 5),
    ]
    assert ev[0] == ev[1] == ev[2] > 0
    assert_array_equal(rings[0], rings[1])
    assert_array_equal(rings[0], rings[2])
    n, n_dest = 500, 9
    fan = rng.integers(0, 3, n)
    rt_indptr = np.r_[0, np.cumsum(fan)].astype(I64)
    nr = int(rt_indptr[-1])
    rt = (rt_indptr, rng.integers(0, n_dest, nr).astype(I32), rng.integers(0, 99, nr).astype(I32))
    spikes = (rng.random(n) < 0.3).astype(I32)
    outs = [(np.zeros(n_dest + 1, I64), np.zeros(nr, I32), np.zeros(nr, I32)) for _ in range(3)]
    res = [
        compiled.BoundEmit(*rt, *outs[0])(spikes),
        twin.BoundEmit(*rt, *outs[1])(spikes),
        compiled.emit_spikes(spikes, *rt, *outs[2]),
    ]
    assert tuple(res[0]) == tuple(res[1]) == tuple(res[2])
    for k in range(3):
        assert_array_equal(outs[0][k], outs[1][k])
        assert_array_equal(outs[0][k], outs[2][k])


@pytest.mark.parametrize("vth", [1, 3, 7, 49, 12345, 98765, 2**30 + 1, 2**31 - 1])
def test_if_payload_division_is_exact_at_the_extremes(compiled, twin, rng, vth):
    # 32-bit membrane, 24-bit payloads: |v| up to 2**31, quotients just below integers
    vmin, vmax = -(2**31), 2**31 - 1
    n = 4000
    k = rng.integers(0, 2**24, n)
    near = np.clip(k * vth + rng.integers(-2, 3, n), vmin, vmax)  # around multiples of vth
    v = np.concatenate([near, -near, [vmin, vmax, vmin + 1, vth - 1, vth, -vth, 0]])
    m = v.size
    arrays = {
        "inp": np.zeros(m, I64),
        "v": v.astype(I32),
        "bias": np.zeros(m, I64),
        "spikes": np.zeros(m, I32),
    }
    for cap in (1, 7, 2**24 - 1):
        for reset_zero in (0, 1):
            scalars = dict(vth=vth, vmin=vmin, vmax=vmax, leak=0, cap=cap, bipolar=1,
                           reset_zero=reset_zero, rmin=vmin)  # fmt: skip
            _, out = run_both(compiled, twin, "if_update", arrays, scalars, IF_ORDER)
    assert np.abs(out["spikes"]).max() > 1 or vth > 2**30


# ------------------------------------------------------------------ group_order (the mapper's)


@pytest.mark.parametrize("n_groups", [1, 5, 1000])
@pytest.mark.parametrize("size", [0, 1, 10_000])
def test_group_order_parity(compiled, twin, rng, n_groups, size):
    keys = rng.integers(0, n_groups, size)
    (p1, o1), (p2, o2) = compiled.group_order(keys, n_groups), twin.group_order(keys, n_groups)
    assert o1.dtype == o2.dtype == np.int32 and p1.dtype == p2.dtype == np.int64
    assert_array_equal(p1, p2)
    assert_array_equal(o1, o2)
    for k in range(min(n_groups, 5)):  # group k: the indices of key k, ascending
        assert_array_equal(o1[p1[k] : p1[k + 1]], np.flatnonzero(keys == k))


@pytest.mark.parametrize("bad", [-1, 3])
def test_group_order_rejects_keys_out_of_range(compiled, twin, bad):
    for ns in (compiled, twin):
        with pytest.raises(ValueError, match=f"key {bad} at 1 is outside 0..2"):
            ns.group_order(np.array([0, bad, 1]), 3)


@pytest.mark.skipif(sm.kernels.compiled is None, reason="compiled kernels not built")
@pytest.mark.parametrize("wmax", [255, 32767])
def test_delivery_tables_narrow_and_wide_give_the_twins_result(wmax):
    """NetDeliver stores resolved weights as int16 when every shift_floor(w, exp) fits (6 bytes
    a synapse with its ring offset; every table the mapper makes: |w| <= 255, exp <= 7) and as
    int32 otherwise (a hand-built table with 15-bit mantissas); both equal the NumPy twin's
    rings, counters and batches, step for step, with negative exponents and accumulator
    shifts."""
    rng = np.random.default_rng(wmax)
    n_axons, n_acc, depth = 30, 50, 4
    per_axon = rng.integers(0, 12, n_axons)
    indptr = np.concatenate(([0], np.cumsum(per_axon))).astype(np.int64)
    nnz = int(indptr[-1])
    targets = rng.integers(0, n_acc, nnz).astype(np.int32)
    weights = rng.integers(-wmax, wmax + 1, nnz).astype(np.int16)
    delays = rng.integers(0, depth, nnz).astype(np.uint8)
    row_exp = rng.integers(-8, 8, n_axons).astype(np.int8)
    n_in = 20
    src = rng.integers(0, n_in, 60)
    axon = rng.integers(0, n_axons, 60)
    order = np.lexsort((axon, src))
    X = (rng.integers(-3, 4, (8, n_in)) * (rng.random((8, n_in)) < 0.5)).astype(np.int32)
    out = []
    for k in (sm.kernels.reference, sm.kernels.compiled):
        ring = np.zeros((depth, n_acc), np.int64)
        tables = [(indptr, targets, weights, delays, row_exp, 6, ring)]
        rindptr = np.zeros(n_in + 1, np.int64)
        np.cumsum(np.bincount(src, minlength=n_in), out=rindptr[1:])
        routes = [(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32),
                   np.zeros(0, np.int32)),
                  (rindptr, np.zeros(60, np.int32), axon[order].astype(np.int32),
                   np.array([0], np.int32))]  # fmt: skip
        net = k.NetDeliver(tables, routes, [np.zeros(0, np.int32)], (0, 1, 2))
        net.set_inputs([X])
        rows = []
        for t in range(8):
            counters = np.zeros((1, 4), np.int64)
            packets = np.zeros((max(net.capacity, 1), 4), np.int64)
            P = net(t, t, counters, packets)
            rows.append((ring.copy(), counters.copy(), packets[:P].copy()))
            ring[t % depth] = 0
        out.append(rows)
    for a, b in zip(*out, strict=True):
        for x, y in zip(a, b, strict=True):
            assert_array_equal(x, y)
    assert np.abs(out[0][-1][0]).max() > 0
