"""NIR import: graphs built in code run spike for spike like a NumPy model of NIR's semantics,
shifted by the lag the mapper reports."""

from __future__ import annotations

import re

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm

nir = pytest.importorskip("nir")
from spikemesh.convert.nir import from_nir  # noqa: E402


def _run(net, x, extra=4):
    m = sm.map_network(net, "loihi", strict=True)
    pad = np.zeros((extra, x.shape[1]), np.int32)
    return m, sm.Simulator(m).run(len(x) + extra, inputs={"in": np.r_[x, pad]})


def _lif_graph(rng, n_in=10, n_h=12, n_o=4):
    w1 = rng.integers(-8, 24, (n_h, n_in)) / 16  # dyadic weights k/16: exact on the chip
    w2 = rng.integers(-8, 24, (n_o, n_h)) / 16
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([n_in])),
        "fc1": nir.Affine(weight=w1, bias=np.zeros(n_h)),
        "lif1": nir.LIF(tau=np.full(n_h, 8.0), r=np.ones(n_h), v_leak=np.zeros(n_h),
                        v_threshold=np.ones(n_h)),
        "fc2": nir.Linear(weight=w2),
        "lif2": nir.LIF(tau=np.full(n_o, 4.0), r=np.full(n_o, 2.0), v_leak=np.zeros(n_o),
                        v_threshold=np.full(n_o, 1.5)),
        "out": nir.Output(output_type=np.array([n_o]))},
        edges=[("in", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"),
               ("lif2", "out")])  # fmt: skip
    return g, w1, w2


def test_mlp_with_lif_is_spike_for_spike_after_the_lag(rng):
    g, w1, w2 = _lif_graph(rng)
    net = from_nir(g)
    assert set(net.populations) == {"lif1", "lif2"} and net.nir.errors == {"lif1": 0.0, "lif2": 0.0}
    x = (rng.random((80, 10)) < 0.3).astype(np.int32)
    m, res = _run(net, x)
    assert m.latency == {"lif1": 1, "lif2": 2}
    v1, v2 = np.zeros(12), np.zeros(4)
    for t in range(80):  # NIR: forward Euler, strict threshold, reset in the step, same-step edges
        v1 = v1 + (1 / 8) * (-v1 + w1 @ x[t])
        z1 = v1 > 1
        v1[z1] = 0
        v2 = v2 + (1 / 4) * (-v2 + 2 * (w2 @ z1))
        z2 = v2 > 1.5
        v2[z2] = 0
        assert_array_equal(res.spikes["lif1"][t + 1], z1, err_msg=f"t={t}")
        assert_array_equal(res.spikes["lif2"][t + 2], z2, err_msg=f"t={t}")
    assert res.spikes["lif1"].sum() > 20 and res.spikes["lif2"].sum() > 5


def _rnn(rng, nested: bool):
    n_in, n = 6, 8
    w_in = rng.integers(0, 32, (n, n_in)) / 32
    w_rec = rng.integers(-16, 16, (n, n)) / 64
    cuba = nir.CubaLIF(tau_syn=np.full(n, 2.0), tau_mem=np.full(n, 4.0), r=np.ones(n),
                       v_leak=np.zeros(n), v_threshold=np.full(n, 0.5))  # fmt: skip
    if nested:
        inner = nir.NIRGraph(nodes={
            "input": nir.Input(input_type=np.array([n])), "lif": cuba,
            "w_rec": nir.Linear(weight=w_rec), "output": nir.Output(output_type=np.array([n]))},
            edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")])  # fmt: skip
        nodes = {"in": nir.Input(input_type=np.array([n_in])), "fc": nir.Linear(weight=w_in),
                 "rnn": inner, "out": nir.Output(output_type=np.array([n]))}  # fmt: skip
        edges = [("in", "fc"), ("fc", "rnn"), ("rnn", "out")]
    else:
        nodes = {"in": nir.Input(input_type=np.array([n_in])), "fc": nir.Linear(weight=w_in),
                 "lif": cuba, "w_rec": nir.Linear(weight=w_rec),
                 "out": nir.Output(output_type=np.array([n]))}  # fmt: skip
        edges = [("in", "fc"), ("fc", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "out")]
    return nir.NIRGraph(nodes=nodes, edges=edges), w_in, w_rec


@pytest.mark.parametrize("nested", [False, True])
def test_recurrent_cubalif_flat_and_nested(rng, nested):
    g, w_in, w_rec = _rnn(rng, nested)
    net = from_nir(g)
    name = "rnn.lif" if nested else "lif"
    assert list(net.populations) == [name] and net.nir.errors[name] == 0.0
    x = (rng.random((100, 6)) < 0.3).astype(np.int32)
    m, res = _run(net, x)
    assert m.latency == {name: 1}
    i = v = np.zeros(8)
    z = np.zeros(8, bool)
    for t in range(100):  # the recurrent edge closes a cycle: last step's spikes
        i = i + 0.5 * (-i + w_in @ x[t] + w_rec @ z)
        v = v + 0.25 * (-v + i)
        z = v > 0.5
        v = np.where(z, 0, v)
        assert_array_equal(res.spikes[name][t + 1], z, err_msg=f"t={t}")
    assert res.spikes[name].sum() > 30


def test_file_round_trip_and_errors(rng, tmp_path):
    g, *_ = _lif_graph(rng)
    path = tmp_path / "mlp.nir"
    nir.write(path, g)
    a, b = from_nir(path), from_nir(g)
    assert [p.weight.tolist() for p in a.projections] == [p.weight.tolist() for p in b.projections]
    bad = tmp_path / "bad.nir"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(sm.SpikemeshError, match=r"cannot read .*bad\.nir as a NIR graph"):
        from_nir(bad)
    with pytest.raises(sm.ParameterError, match="is not a NIR file"):
        from_nir(tmp_path)
    g2 = nir.NIRGraph(nodes={"in": nir.Input(input_type=np.array([3])),
                             "li": nir.LI(tau=np.ones(3), r=np.ones(3), v_leak=np.zeros(3)),
                             "lif": nir.IF(r=np.ones(3), v_threshold=np.ones(3)),
                             "out": nir.Output(output_type=np.array([3]))},
                      edges=[("in", "li"), ("li", "lif"), ("lif", "out")])  # fmt: skip
    with pytest.raises(
        sm.SpikemeshError, match=r"node 'li' \(LI\) drives 'lif': its output is a real"
    ):
        from_nir(g2)


def test_cycles_without_neurons_and_foreign_chips_are_named(rng):
    g, *_ = _lif_graph(rng)
    with pytest.raises(
        sm.SpikemeshError, match=r"become Loihi CUBA compartments \(CubaLIF\); truenorth runs"
    ):
        from_nir(g, chip="truenorth")
    assert set(from_nir(g, chip="loihi").populations) == {"lif1", "lif2"}
    loop = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([3])), "a": nir.Linear(weight=np.eye(3)),
        "b": nir.Linear(weight=np.eye(3)),
        "lif": nir.IF(r=np.ones(3), v_threshold=np.ones(3)),
        "out": nir.Output(output_type=np.array([3]))},
        edges=[("in", "a"), ("a", "b"), ("b", "a"), ("b", "lif"), ("lif", "out")],
        type_check=False)  # fmt: skip
    with pytest.raises(sm.SpikemeshError, match=r"node '\w' is on a cycle that passes no neuron"):
        from_nir(loop)


# ---------------------------------------------------------------- a NumPy reference of NIR
def _conv_ref(x, w, b, stride, pad, dil=1, groups=1):
    """PyTorch-style cross-correlation of one sample x (C, *spatial), written as loops."""
    nd = x.ndim - 1
    x = np.pad(x, [(0, 0)] + [(pad, pad)] * nd)
    co, cig, *k = w.shape
    out_sp = [(x.shape[1 + i] - dil * (k[i] - 1) - 1) // stride + 1 for i in range(nd)]
    y = np.zeros((co, *out_sp))
    for o in range(co):
        g = o // (co // groups)
        for pos in np.ndindex(*out_sp):
            acc = 0.0
            for ic in range(cig):
                for kp in np.ndindex(*k):
                    idx = tuple(pos[i] * stride + kp[i] * dil for i in range(nd))
                    acc += w[(o, ic, *kp)] * x[(g * cig + ic, *idx)]
            y[(o, *pos)] = acc + (b[o] if b is not None else 0.0)
    return y


def _sumpool_ref(x, k):
    c, h, w = x.shape
    return x[:, : h // k * k, : w // k * k].reshape(c, h // k, k, w // k, k).sum(axis=(2, 4))


def _step_lif(v, x, a, theta, leak=0.0):
    v = v + a * (leak - v + x)
    z = v > theta
    return np.where(z, 0.0, v), z


def _dyadic(rng, shape, lo, hi, m):
    return rng.integers(lo, hi, shape) / 2**m


def _conv_stack(rng):
    """Conv2d (bias, padding 1) -> IF -> SumPool2d -> Flatten -> Affine (bias) -> LIF."""
    w1 = _dyadic(rng, (3, 2, 3, 3), -4, 9, 3)
    b1 = _dyadic(rng, (3,), -2, 3, 3)
    w2 = _dyadic(rng, (5, 3 * 3 * 3), -6, 10, 3)
    b2 = _dyadic(rng, (5,), 0, 4, 4)
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([2, 6, 6])),
        "conv": nir.Conv2d(input_shape=(6, 6), weight=w1, stride=1, padding=1, dilation=1,
                           groups=1, bias=b1),
        "if1": nir.IF(r=np.ones((3, 6, 6)), v_threshold=np.full((3, 6, 6), 1.0)),
        "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                              padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type={"input": np.array([3, 3, 3])}, start_dim=0),
        "fc": nir.Affine(weight=w2, bias=b2),
        "lif": nir.LIF(tau=np.full(5, 4.0), r=np.full(5, 4.0), v_leak=np.zeros(5),
                       v_threshold=np.full(5, 2.0)),
        "out": nir.Output(output_type=np.array([5]))},
        edges=[("in", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "flat"),
               ("flat", "fc"), ("fc", "lif"), ("lif", "out")])  # fmt: skip
    return g, (w1, b1, w2, b2)


@pytest.mark.parametrize("chip", ["loihi", "loihi2"])
def test_conv2d_if_pool_stack_with_biases(rng, chip):
    g, (w1, b1, w2, b2) = _conv_stack(rng)
    net = from_nir(g, chip=chip)
    assert net.nir.errors == {"if1": 0.0, "lif": 0.0} and net.nir.bias is not None
    steps = 40
    x = (rng.random((steps, 2, 6, 6)) < 0.4).astype(np.int32)  # (steps, *input_shape)
    m = sm.map_network(net, chip, strict=True)
    res = sm.Simulator(m).run(steps + 3, inputs={"in": np.r_[x, np.zeros((3, 2, 6, 6), np.int32)]})
    out = net.nir.outputs(res, m)
    assert m.latency["if1"] == 1 and m.latency["lif"] == 2
    assert out["if1"].shape == (steps + 1, 3, 6, 6) and out["lif"].shape == (steps + 1, 5)
    v1, v2 = np.zeros((3, 6, 6)), np.zeros(5)
    for t in range(steps):
        v1 = v1 + _conv_ref(x[t].astype(float), w1, b1, 1, 1)
        z1 = v1 > 1.0
        v1[z1] = 0
        v2, z2 = _step_lif(
            v2, 4.0 * (w2 @ _sumpool_ref(z1.astype(float), 2).ravel() + b2), 0.25, 2.0
        )
        assert_array_equal(out["if1"][t], z1, err_msg=f"t={t}")
        assert_array_equal(out["lif"][t], z2, err_msg=f"t={t}")
    assert out["if1"].sum() > 50 and out["lif"].sum() > 5


def test_conv1d_with_stride_dilation_groups_into_lif(rng):
    w = _dyadic(rng, (4, 1, 3), 0, 9, 2)  # groups=2: 2 input channels, 4 outputs
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([2, 16])),
        "conv": nir.Conv1d(input_shape=16, weight=w, stride=2, padding=2, dilation=2,
                           groups=2, bias=np.zeros(4)),
        "lif": nir.LIF(tau=np.full((4, 8), 2.0), r=np.ones((4, 8)), v_leak=np.zeros((4, 8)),
                       v_threshold=np.full((4, 8), 1.25)),
        "out": nir.Output(output_type=np.array([4, 8]))},
        edges=[("in", "conv"), ("conv", "lif"), ("lif", "out")],
        type_check=False)  # nir 1.0's type check takes C_in/groups for the input channels  # fmt: skip
    net = from_nir(g)
    assert net.populations["lif"].n == 32 and net.nir.errors["lif"] == 0.0
    x = (rng.random((60, 2, 16)) < 0.5).astype(np.int32)
    m = sm.map_network(net, "loihi", strict=True)
    res = sm.Simulator(m).run(61, inputs={"in": np.r_[x, np.zeros((1, 2, 16), np.int32)]})
    out = net.nir.outputs(res, m)["lif"]
    v = np.zeros((4, 8))
    for t in range(60):
        v, z = _step_lif(
            v, _conv_ref(x[t].astype(float), w, None, 2, 2, dil=2, groups=2), 0.5, 1.25
        )
        assert_array_equal(out[t], z, err_msg=f"t={t}")
    assert out.sum() > 40


def _delay_threshold_chain(rng):
    """in -> Delay(2 dt) -> Affine -> Threshold -> Linear -> Delay(1 dt) -> IF -> out, dt=0.5."""
    w1 = _dyadic(rng, (6, 4), -4, 12, 2)
    b1 = _dyadic(rng, (6,), -2, 3, 2)
    w2 = _dyadic(rng, (3, 6), 0, 8, 2)
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([4])),
        "d1": nir.Delay(delay=np.full(4, 1.0)),
        "fc": nir.Affine(weight=w1, bias=b1),
        "thr": nir.Threshold(threshold=np.full(6, 1.5)),
        "fc2": nir.Linear(weight=w2),
        "d2": nir.Delay(delay=np.full(3, 0.5)),
        "if": nir.IF(r=np.full(3, 2.0), v_threshold=np.full(3, 2.0)),  # dt r = 1: v += I
        "out": nir.Output(output_type=np.array([3]))},
        edges=[("in", "d1"), ("d1", "fc"), ("fc", "thr"), ("thr", "fc2"), ("fc2", "d2"),
               ("d2", "if"), ("if", "out")],
        metadata={"dt": 0.5})  # fmt: skip
    return g, w1, b1, w2


@pytest.mark.parametrize("chip", ["loihi", "loihi2"])
def test_delay_threshold_chain(rng, chip):
    g, w1, b1, w2 = _delay_threshold_chain(rng)
    net = from_nir(g, chip=chip)
    model = {"loihi": "CubaLIF", "loihi2": "IF"}[chip]  # Loihi 2: a stateless IF core
    assert net.populations["thr"].neuron.model == model and net.nir.errors["thr"] == 0.0
    steps = 50
    x = (rng.random((steps, 4)) < 0.5).astype(np.int32)
    m = sm.map_network(net, chip, strict=True)
    res = sm.Simulator(m).run(steps + 8, inputs={"in": np.r_[x, np.zeros((8, 4), np.int32)]})
    out = net.nir.outputs(res, m)
    xs = np.r_[np.zeros((2, 4)), x]  # Delay 1.0 at dt 0.5: two steps
    zs, v = [np.zeros(6, bool)], np.zeros(3)
    for t in range(steps):
        z = (w1 @ xs[t] + b1) > 1.5
        zs.append(z)
        v = v + w2 @ zs[t]  # Delay 0.5: one step
        zi = v > 2.0
        v[zi] = 0
        assert_array_equal(out["thr"][t], z, err_msg=f"t={t}")
        assert_array_equal(out["if"][t], zi, err_msg=f"t={t}")
    assert out["thr"].sum() > 30 and out["if"].sum() > 10


def test_li_readout_follows_the_membrane(rng):
    w1 = _dyadic(rng, (8, 5), 0, 16, 3)
    w2 = _dyadic(rng, (3, 8), -8, 16, 3)
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([5])),
        "fc1": nir.Linear(weight=w1),
        "lif": nir.LIF(tau=np.full(8, 2.0), r=np.ones(8), v_leak=np.zeros(8),
                       v_threshold=np.ones(8)),
        "fc2": nir.Linear(weight=w2),
        "li": nir.LI(tau=np.full(3, 8.0), r=np.ones(3), v_leak=np.zeros(3)),
        "out": nir.Output(output_type=np.array([3]))},
        edges=[("in", "fc1"), ("fc1", "lif"), ("lif", "fc2"), ("fc2", "li"), ("li", "out")])  # fmt: skip
    net = from_nir(g)
    assert net.nir.readouts == ("li",)
    x = (rng.random((80, 5)) < 0.4).astype(np.int32)
    m = sm.map_network(net, "loihi", strict=True)
    res = sm.Simulator(m).run(82, inputs={"in": np.r_[x, np.zeros((2, 5), np.int32)]})
    out = net.nir.outputs(res, m)
    assert res.spikes["li"].sum() == 0
    v1, v2, vs = np.zeros(8), np.zeros(3), []
    for t in range(80):
        v1, z1 = _step_lif(v1, w1 @ x[t], 0.5, 1.0)
        assert_array_equal(out["lif"][t], z1)
        v2 = v2 + 0.125 * (-v2 + w2 @ z1)
        vs.append(v2)
    # Loihi truncates the decayed |v| toward zero: at most 1/sigma per step, decaying by 7/8
    tol = 8 / net.nir.sigma["li"]
    np.testing.assert_allclose(out["li"][:80], np.array(vs), rtol=0, atol=tol)
    assert np.abs(np.array(vs)).max() > 0.5


@pytest.mark.parametrize("nested", [False, True])
def test_to_nir_round_trip_keeps_registers_and_spikes(rng, tmp_path, nested):
    g, *_ = _rnn(rng, nested)
    g2, *_ = _conv_stack(rng)
    for graph, name, shape in ((g, "in", (6,)), (g2, "in", (2, 6, 6))):
        a = from_nir(graph)
        path = tmp_path / "rt.nir"
        sm.convert.to_nir(a, path)
        b = from_nir(path)
        assert set(a.populations) == set(b.populations)
        for k in a.populations:
            assert a.populations[k].neuron == b.populations[k].neuron, k
        x = (rng.random((30, *shape)) < 0.4).astype(np.int32)
        ra = sm.Simulator(sm.map_network(a, "loihi", strict=True)).run(30, inputs={name: x})
        rb = sm.Simulator(sm.map_network(b, "loihi", strict=True)).run(30, inputs={name: x})
        for k in a.populations:
            assert_array_equal(ra.spikes[k], rb.spikes[k], err_msg=k)


def test_plain_network_exports_with_its_delays(rng):
    net = sm.Network("plain")
    inp = net.input(4, name="x")
    a = net.population(5, sm.CubaLIF(du=4095, dv=256, vth=10), name="a")
    b = net.population(3, sm.CubaLIF(du=1024, dv=0, vth=8, bias_mant=3), name="b")
    net.connect(inp, a, rng.integers(0, 40, (4, 5)), delay=1)
    net.connect(a, b, rng.integers(-30, 60, (5, 3)), delay=3)
    net.connect(b, a, rng.integers(0, 50, (3, 5)), delay=1)
    with pytest.raises(sm.SpikemeshError, match=r"population 'b': dv=0 with a bias"):
        sm.convert.to_nir(net)
    net.populations["b"] = b2 = sm.network.Population(
        "b", 3, sm.CubaLIF(du=1024, dv=64, vth=8, bias_mant=3), {}
    )
    for p in net.projections:
        if p.post.name == "b":
            p.post = b2
        if p.pre.name == "b":
            p.pre = b2
    g = sm.convert.to_nir(net)
    assert {k: type(v).__name__ for k, v in g.nodes.items() if k in ("a", "b")} == {
        "a": "LIF",
        "b": "CubaLIF",
    }
    back = from_nir(g)
    x = (rng.random((40, 4)) < 0.5).astype(np.int32)
    r1 = sm.Simulator(sm.map_network(net, "loihi")).run(40, inputs={"x": x})
    m2 = sm.map_network(back, "loihi", strict=True)
    assert m2.latency == {"a": 0, "b": 0}
    r2 = sm.Simulator(m2).run(40, inputs={"x": x})
    for k in ("a", "b"):
        assert_array_equal(r1.spikes[k], r2.spikes[k], err_msg=k)
    assert r1.spikes["a"].sum() > 10


def test_import_errors_name_the_node(rng):
    g, *_ = _lif_graph(rng)
    g.nodes["lif1"].tau = np.full(12, 8e-4)
    with pytest.raises(
        sm.ParameterError, match=r"node 'lif1' \(LIF\): dt/tau_mem = 1250 at dt=1.*snnTorch"
    ):
        from_nir(g)
    assert from_nir(g, dt=1e-4).populations["lif1"].neuron.dv == 512
    g, *_ = _lif_graph(rng)
    g.nodes["lif2"].v_reset = np.full(4, 0.25)
    with pytest.raises(sm.SpikemeshError, match=r"node 'lif2': v_reset = 0.25 != 0"):
        from_nir(g)
    g, *_ = _lif_graph(rng)
    g.nodes["fc2"] = nir.Linear(weight=np.ones((4, 7)))
    with pytest.raises(
        sm.SpikemeshError, match=r"node 'fc2' \(Linear\) takes 7 inputs but receives 12"
    ):
        from_nir(g)
    pool_first = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([16])),
        "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                              padding=np.array([0, 0])),
        "lif": nir.IF(r=np.ones(4), v_threshold=np.ones(4)),
        "out": nir.Output(output_type=np.array([4]))},
        edges=[("in", "pool"), ("pool", "lif"), ("lif", "out")], type_check=False)  # fmt: skip
    with pytest.raises(
        sm.SpikemeshError,
        match=r"node 'pool' \(SumPool2d\) needs its input as \(channels, height, width\)",
    ):
        from_nir(pool_first)


def test_inexact_parameters_are_reported(rng):
    g, *_ = _lif_graph(rng)
    g.nodes["lif1"].tau = np.full(12, 10.0)  # dt/tau = 0.1: dv = 409.6 -> 410
    net = from_nir(g)
    assert net.nir.errors["lif2"] == 0.0
    # dv 409.6 -> 410 and weights 0.1 * k/16 on 8-bit mantissas: within half a step of 2/254
    assert 0.4 / 4096 <= net.nir.errors["lif1"] <= 1 / 127


def test_recordings_export_as_nir_data(rng, tmp_path):
    g, *_ = _rnn(rng, nested=True)
    net = from_nir(g)
    m = sm.map_network(net, "loihi", strict=True)
    res = sm.Simulator(m).run(20, inputs={"in": (rng.random((20, 6)) < 0.4).astype(np.int32)})
    path = tmp_path / "rec.h5"
    net.nir.to_nir_data(res, m, path)
    back = nir.read_data(path)
    rec = back.nodes["rnn.lif"].observables["spikes"]
    assert rec.dt == 1.0 and rec.data.shape == (1, 19, 8)
    assert_array_equal(rec.data[0], res.spikes["rnn.lif"][1:])


def test_cli_maps_and_runs_a_nir_file(rng, tmp_path, capsys):
    from spikemesh.cli import main

    g, w1, w2 = _lif_graph(rng)
    path = tmp_path / "mlp.nir"
    nir.write(path, g)
    assert main(["map", str(path), "--chip", "loihi"]) == 0
    out = capsys.readouterr().out
    assert "NIR import (dt=1, default): lif1 -> CubaLIF[12], lif2 -> CubaLIF[4]" in out
    assert "exact (dyadic) in every node" in out and "+2 step" in out
    x = (rng.random((40, 10)) < 0.3).astype(np.int8)
    np.save(tmp_path / "x.npy", x)
    assert main(["run", str(path), "--steps", "40", "--input", str(tmp_path / "x.npy"),
                 "--timing", "none"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    v1, v2, n1, n2 = np.zeros(12), np.zeros(4), 0, 0
    for t in range(40):  # the counts printed are NIR's, shifted back by the lag
        v1, z1 = _step_lif(v1, w1 @ x[t], 1 / 8, 1.0)
        v2, z2 = _step_lif(v2, 2 * (w2 @ z1), 1 / 4, 1.5)
        n1, n2 = n1 + z1.sum(), n2 + z2.sum()
    assert re.search(rf"lif1\s+12\s+1\s+{n1}\s", out) and re.search(rf"lif2\s+4\s+2\s+{n2}\s", out)
    assert "Energy on loihi" in out and "ran 40 NIR steps (+2 for the mapping's lag)" in out
    np.save(tmp_path / "short.npy", x[:5])
    assert main(["run", str(path), "--steps", "40", "--input", str(tmp_path / "short.npy")]) == 2
    assert "needs at least --steps 40 rows (got shape (5, 10))" in capsys.readouterr().err
    (tmp_path / "x.npy").write_text("not numpy")
    assert main(["run", str(path), "--steps", "4", "--input", str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err
    assert "is not a NumPy .npy/.npz file of numbers" in err and "allow_pickle" not in err
    (tmp_path / "junk.nir").write_text("junk")
    assert main(["map", str(tmp_path / "junk.nir")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_linear_readout_into_an_output_is_computed_on_the_host(rng):
    g, *_ = _lif_graph(rng)
    w3, b3 = rng.normal(size=(3, 12)), rng.normal(size=3)
    g = nir.NIRGraph(nodes={**g.nodes, "fc3": nir.Affine(weight=w3, bias=b3),
                            "logits": nir.Output(output_type=np.array([3]))},
                     edges=[*g.edges, ("lif1", "fc3"), ("fc3", "logits")])  # fmt: skip
    net = from_nir(g)
    assert set(net.nir.host) == {"logits"} and "fc3" not in net.populations
    x = (rng.random((30, 10)) < 0.3).astype(np.int32)
    m, res = _run(net, x)
    out = net.nir.outputs(res, m)
    np.testing.assert_allclose(out["logits"], out["lif1"] @ w3.T + b3, rtol=1e-12)
    assert out["lif1"].sum() > 5


def test_snntorch_files_without_dt_take_it_from_r_equal_tau_over_dt(rng):
    """snnTorch's exporter writes tau = dt/(1 - beta), r = tau/dt with dt = 1e-4 and no dt in
    the file: at dt = 1 that is unstable, and tau/r names the dt it meant."""
    dt, beta = 1e-4, np.float32(0.875)
    tau = np.float32(dt) / (1 - beta)
    w = rng.integers(-8, 24, (6, 5)) / 16
    g = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([5])), "0": nir.Linear(weight=w),
        "1": nir.LIF(tau=np.full(6, tau, np.float32), r=np.full(6, tau / np.float32(dt), np.float32),
                     v_leak=np.zeros(6, np.float32), v_threshold=np.ones(6, np.float32)),
        "output": nir.Output(output_type=np.array([6]))},
        edges=[("input", "0"), ("0", "1"), ("1", "output")])  # fmt: skip
    net = from_nir(g)
    assert net.nir.dt == pytest.approx(dt) and net.nir.dt_source.startswith("r = tau/dt")
    assert net.populations["1"].neuron.dv == 512 and net.nir.errors["1"] < 1e-6
    x = (rng.random((50, 5)) < 0.4).astype(np.int32)
    m = sm.map_network(net, "loihi", strict=True)
    res = sm.Simulator(m).run(51, inputs={"input": np.r_[x, np.zeros((1, 5), np.int32)]})
    v = np.zeros(6)
    for t in range(50):  # v = beta v + W x: snnTorch's Leaky, reset to zero
        v, z = _step_lif(v, 8 * (w @ x[t]), 0.125, 1.0)
        assert_array_equal(res.spikes["1"][t + 1], z, err_msg=f"t={t}")


def test_a_batch_dimension_of_one_on_the_input_is_dropped(rng):
    g, _ = _conv_stack(rng)
    g.nodes["in"] = nir.Input(input_type=np.array([1, 2, 6, 6]))
    net = from_nir(g)
    assert net.nir.inputs["in"] == (1, 2, 6, 6) and net.populations["if1"].n == 108
    x = (rng.random((10, 1, 2, 6, 6)) < 0.4).astype(np.int32)
    res = sm.Simulator(sm.map_network(net, "loihi")).run(10, inputs={"in": x})
    assert res.spikes["if1"].shape == (10, 108)


def test_avgpool_scale_and_integrator_readouts(rng):
    """AvgPool2d -> Scale -> I (exact: no decay) and Linear -> CubaLI, read out as v."""
    s = _dyadic(rng, (4,), 1, 8, 2)
    wk = np.kron(_dyadic(rng, (3, 4), -4, 8, 2), np.ones((1, 4)))  # (3, 16)
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([1, 4, 4])),
        "pool": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                              padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type={"input": np.array([1, 2, 2])}, start_dim=0),
        "scale": nir.Scale(scale=s),
        "integ": nir.I(r=np.full(4, 0.5)),
        "lin": nir.Linear(weight=wk),
        "cuba": nir.CubaLI(tau_syn=np.full(3, 2.0), tau_mem=np.full(3, 4.0), r=np.ones(3),
                           v_leak=np.zeros(3)),
        "o1": nir.Output(output_type=np.array([4])), "o2": nir.Output(output_type=np.array([3]))},
        edges=[("in", "pool"), ("pool", "flat"), ("flat", "scale"), ("scale", "integ"),
               ("integ", "o1"), ("in", "lin"), ("lin", "cuba"), ("cuba", "o2")],
        type_check=False)  # fmt: skip
    net = from_nir(g)
    assert set(net.nir.readouts) == {"integ", "cuba"} and net.nir.errors["integ"] == 0.0
    x = (rng.random((40, 1, 4, 4)) < 0.5).astype(np.int32)
    m = sm.map_network(net, "loihi", strict=True)
    res = sm.Simulator(m).run(41, inputs={"in": np.r_[x, np.zeros((1, 1, 4, 4), np.int32)]})
    out = net.nir.outputs(res, m)
    vi, i, vc = np.zeros(4), np.zeros(3), np.zeros(3)
    for t in range(40):
        pooled = x[t, 0].reshape(2, 2, 2, 2).mean(axis=(1, 3)).ravel()
        vi = vi + 0.5 * s * pooled
        i = i + 0.5 * (-i + wk @ x[t].ravel())
        vc = vc + 0.25 * (-vc + i)
        assert_array_equal(out["integ"][t], vi, err_msg=f"t={t}")  # no decay: exact
        np.testing.assert_allclose(out["cuba"][t], vc, rtol=0, atol=16 / net.nir.sigma["cuba"])
    assert np.abs(vi).max() > 2 and np.abs(vc).max() > 0.5


def test_norse_style_graphs_without_dt_are_refused_with_the_hint(rng):
    """Norse 1.1 writes r = 1 and tau = dt_norse / tau_mem_inv (1e-5 for tau_mem_inv = 100 at
    its dt = 1e-3): tau / r says nothing about dt, so the import asks for it, and the hinted
    dt = dt_norse**2 = 1e-6 reproduces Norse's per-step decay dt_norse * tau_mem_inv = 0.1."""
    n = 4
    g = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([3])), "linear": nir.Linear(weight=np.ones((n, 3))),
        "lif": nir.LIF(tau=np.full(n, 1e-3 / 100), r=np.ones(n), v_leak=np.zeros(n),
                       v_threshold=np.ones(n)),
        "output": nir.Output(output_type=np.array([n]))},
        edges=[("input", "linear"), ("linear", "lif"), ("lif", "output")])  # fmt: skip
    with pytest.raises(sm.ParameterError, match=r"dt/tau_mem = 100000 at dt=1.*Norse 1\.1.*1e-6"):
        from_nir(g)
    with pytest.raises(sm.ParameterError, match=r"dt/tau_mem = 100 at dt=0.001"):
        from_nir(g, dt=1e-3)  # the dt Norse ran at is not the dt its file needs
    net = from_nir(g, dt=1e-6)
    assert net.nir.dt_source == "given" and net.populations["lif"].neuron.dv == 410


def test_small_weights_are_not_floored_away_by_a_negative_exponent(rng):
    """Weights far below the threshold's scale: the importer keeps weight_exp >= 0 (a negative
    exponent floors each mantissa on the chip, docs/hardware.md §1) and reports what rounding
    costs -- all of it when the weights are below one accumulator step."""

    def graph(wv):
        return nir.NIRGraph(nodes={
            "in": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=np.full((2, 3), wv)),
            "lif": nir.IF(r=np.ones(2), v_threshold=np.full(2, 100.0)),
            "out": nir.Output(output_type=np.array([2]))},
            edges=[("in", "fc"), ("fc", "lif"), ("lif", "out")])  # fmt: skip

    with pytest.warns(sm.QuantizationWarning):
        tiny = from_nir(graph(1 / 4096))  # sigma 2**14: 4 accumulator units, below one step (64)
    assert tiny.nir.errors["lif"] == 1.0
    ok = from_nir(graph(1 / 64))  # 256 units = mantissa 4 << 6: exact
    p = ok.projections[0]
    assert p.weight_exp == 0 and set(p.weight.tolist()) == {4} and ok.nir.errors["lif"] == 0.0


def _tiny(nodes, edges):
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def test_files_and_graphs_that_would_blow_memory_or_hold_no_numbers_are_refused(tmp_path):
    """Sizes a file declares are checked before anything is allocated for them; NaN, inf and
    empty kernels are named."""
    ifn = nir.IF(r=np.ones(1), v_threshold=np.ones(1))
    out = nir.Output(output_type=np.array([1]))
    big = _tiny({"in": nir.Input(input_type=np.array([2, 20000, 20000])),
                 "conv": nir.Conv2d(input_shape=(20000, 20000), weight=np.ones((8, 2, 3, 3)),
                                    stride=1, padding=1, dilation=1, groups=1, bias=np.zeros(8)),
                 "if": ifn, "out": out}, [("in", "conv"), ("conv", "if"), ("if", "out")])  # fmt: skip
    with pytest.raises(sm.ParameterError, match=r"node 'conv': unrolling the Conv2d into "
                       r"57,600,000,000 synapses would need 3\.4 TiB"):  # fmt: skip
        from_nir(big)
    huge_in = _tiny({"in": nir.Input(input_type=np.array([30000, 30000])), "if": ifn, "out": out},
                    [("in", "if"), ("if", "out")])  # fmt: skip
    with pytest.raises(sm.ParameterError, match=r"node 'in': 900,000,000 values"):
        from_nir(huge_in)
    for w, msg in ((np.array([[np.inf, 1.0, 1.0]]), r"'fc'\.weight: holds NaN or infinity"),
                   (np.ones((1, 0)), r"'fc'\.weight: has a zero-size dimension")):  # fmt: skip
        g = _tiny({"in": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=w),
                   "if": ifn, "out": out}, [("in", "fc"), ("fc", "if"), ("if", "out")])  # fmt: skip
        with pytest.raises(sm.SpikemeshError, match=msg):
            from_nir(g)
    import h5py

    g = _tiny({"in": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=np.ones((1, 3))),
               "if": ifn, "out": out}, [("in", "fc"), ("fc", "if"), ("if", "out")])  # fmt: skip
    path = tmp_path / "bomb.nir"
    nir.write(path, g)
    with h5py.File(path, "a") as f:  # a few KB on disk, 298 GiB when read
        f.create_dataset("node/extra", shape=(200000, 200000), dtype="f8", compression="gzip",
                         chunks=(1000, 1000))  # fmt: skip
    assert path.stat().st_size < 100_000
    with pytest.raises(sm.ParameterError, match=r"the arrays this file declares would need 298"):
        from_nir(path)


def test_sign_split_only_where_it_fits(rng):
    """A mixed-sign projection becomes an excitatory and an inhibitory one (8 bits each) where
    the node's inputs number at most half a core's axons; wider ones stay one projection."""

    def graph(n_in):
        w = rng.integers(-8, 9, (2, n_in)) / 8
        return _tiny({"in": nir.Input(input_type=np.array([n_in])), "fc": nir.Linear(weight=w),
                      "if": nir.IF(r=np.ones(2), v_threshold=np.full(2, 100.0)),
                      "out": nir.Output(output_type=np.array([2]))},
                     [("in", "fc"), ("fc", "if"), ("if", "out")])  # fmt: skip

    names = lambda net: sorted(p.name for p in net.projections)  # noqa: E731
    assert names(from_nir(graph(100), chip="loihi")) == ["in->if", "in->if(-)"]
    assert names(from_nir(graph(3000), chip="loihi")) == ["in->if"]  # 3000 > 4096 / 2
    assert names(from_nir(graph(3000), chip="loihi", split_signs=True)) == ["in->if", "in->if(-)"]
    assert names(from_nir(graph(100), split_signs=False)) == ["in->if"]
    with pytest.raises(sm.ParameterError, match=r"split_signs: must be True, False or 'auto'"):
        from_nir(graph(10), split_signs="yes")
