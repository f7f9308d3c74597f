"""NIR import: graphs built in code run spike for spike like a NumPy model of NIR's semantics,
shifted by the lag the mapper reports."""

from __future__ import annotations

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
                             "out": nir.Output(output_type=np.array([3]))},
                      edges=[("in", "li"), ("li", "out")])  # fmt: skip
    with pytest.raises(sm.SpikemeshError, match=r"node 'li' is a LI: not supported yet"):
        from_nir(g2)


def test_cycles_without_neurons_and_foreign_chips_are_named(rng):
    g, *_ = _lif_graph(rng)
    with pytest.raises(sm.SpikemeshError, match=r"builds CubaLIF populations; truenorth runs"):
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
