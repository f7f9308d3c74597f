"""Network description: validation, connectivity helpers, save/load."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm


def small_net(rng):
    net = sm.Network("n")
    x = net.input(6, name="x", payload_bits=2)
    h = net.population(5, sm.CubaLIF(du=10, dv=20, vth=1, bias_mant=np.arange(5)), name="h",
                       initial={"v": np.arange(5) * 100})  # fmt: skip
    y = net.population(3, sm.IF(vth=7, spike_bits=2, bipolar=True), name="y")
    net.connect(
        x, h, weights=rng.integers(-3, 4, (6, 5)), delay=rng.integers(1, 4, (6, 5)), weight_exp=-2
    )
    net.connect(h, y, weights=rng.integers(0, 9, (5, 3)), weight_bits=5)
    net.connect(h, h, weights=sm.one_to_one(5, -4))
    net.probe(h, "u")
    return net


def test_describe_and_summarize(rng):
    net = small_net(rng)
    assert net.n_neurons == 8 and len(net.projections) == 3
    assert "3 projections" not in repr(net) and "8 neurons" in repr(net)
    proj = net.projections[0]
    assert np.all(np.diff(proj.pre_idx) >= 0)  # sorted by pre
    assert_array_equal(proj.dense()[proj.pre_idx, proj.post_idx], proj.weight)


def test_save_load_roundtrip(rng, tmp_path):
    net = small_net(rng)
    net.save(tmp_path / "net.npz")
    back = sm.Network.load(tmp_path / "net.npz")
    assert back.name == net.name and list(back.populations) == list(net.populations)
    assert back.populations["h"].neuron == net.populations["h"].neuron
    assert back.populations["y"].neuron == net.populations["y"].neuron
    assert_array_equal(back.populations["h"].initial["v"], net.populations["h"].initial["v"])
    for a, b in zip(net.projections, back.projections, strict=True):
        for f in ("pre_idx", "post_idx", "weight", "delay"):
            assert_array_equal(getattr(a, f), getattr(b, f))
        assert (a.weight_exp, a.weight_bits, a.name) == (b.weight_exp, b.weight_bits, b.name)
    assert [(p.target.name, p.var) for p in back.probes] == [("h", "u")]
    assert back.inputs["x"].payload_bits == 2


def test_load_rejects_other_files(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(sm.SpikemeshError, match=r"junk\.npz is not a spikemesh network file"):
        sm.Network.load(tmp_path / "junk.npz")
    np.savez(tmp_path / "other.npz", a=np.arange(3))
    with pytest.raises(sm.SpikemeshError, match=r"other\.npz is not a spikemesh network file"):
        sm.Network.load(tmp_path / "other.npz")


def test_bad_descriptions_raise():
    net = sm.Network("n")
    x = net.input(4, name="x")
    h = net.population(3, sm.CubaLIF(du=1, dv=1, vth=1), name="h")
    with pytest.raises(sm.ParameterError, match=r"the name 'x' is already used"):
        net.input(2, name="x")
    with pytest.raises(sm.ShapeError, match=r"weights: must have shape \(4, 3\) \(got \(3, 4\)\)"):
        net.connect(x, h, weights=np.ones((3, 4), int))
    with pytest.raises(
        sm.ParameterError, match=r"delay: must be an integer in 0\.\.255 \(got -1\)"
    ):
        net.connect(x, h, weights=np.ones((4, 3), int), delay=-1)
    with pytest.raises(
        sm.ShapeError, match=r"delay: must be a scalar, or have shape \(4, 3\) or \(12,\)"
    ):
        net.connect(x, h, weights=np.ones((4, 3), int), delay=[1, 2])
    with pytest.raises(
        sm.ParameterError, match=r"weight_exp: must be an integer in -8\.\.7 \(got 9\)"
    ):
        net.connect(x, h, weights=np.ones((4, 3), int), weight_exp=9)
    with pytest.raises(sm.ParameterError, match=r"post must be a population"):
        net.connect(h, x, weights=np.ones((3, 4), int))
    other = sm.Network("o").population(3, sm.CubaLIF(du=1, dv=1, vth=1), name="h")
    with pytest.raises(sm.ParameterError, match=r"post must be a population of network 'n'"):
        net.connect(x, other, weights=np.ones((4, 3), int))
    with pytest.raises(sm.ParameterError, match=r"IF has state v \(got 'u'\)"):
        net.population(2, sm.IF(vth=1), initial={"u": 0})
    with pytest.raises(sm.ShapeError, match=r"has 3 values but the population has 2"):
        net.population(2, sm.CubaLIF(du=1, dv=1, vth=1, bias_mant=[1, 2, 3]))
    with pytest.raises(sm.ParameterError, match=r"probe\('h', 'w'\): CubaLIF has state u, v, ref"):
        net.probe(h, "w")
    with pytest.raises(sm.DTypeError, match=r"whole numbers"):
        net.connect(x, h, weights=np.full((4, 3), 0.5))


def test_sparse_weights_and_per_synapse_delays():
    scipy_sparse = pytest.importorskip("scipy.sparse")
    net = sm.Network("s")
    x = net.input(3, name="x")
    h = net.population(2, sm.CubaLIF(du=1, dv=1, vth=1), name="h")
    m = scipy_sparse.coo_matrix(([5, 7, 2, 1], ([0, 2, 2, 0], [1, 0, 0, 1])), shape=(3, 2))
    proj = net.connect(x, h, weights=m)
    # duplicates are summed: (0,1) = 5 + 1, (2,0) = 7 + 2
    assert proj.pre_idx.tolist() == [0, 2] and proj.post_idx.tolist() == [1, 0]
    assert proj.weight.tolist() == [6, 9]
    with pytest.raises(
        sm.ShapeError, match=r"duplicate entries cannot take one delay per stored entry"
    ):
        net.connect(x, h, weights=m, delay=[3, 4, 5, 6])
    # one delay per stored entry follows the entries, whatever their storage order
    m2 = scipy_sparse.coo_matrix(([5, 7, 2], ([2, 0, 1], [1, 0, 1])), shape=(3, 2))
    proj = net.connect(x, h, weights=m2, delay=[3, 4, 5])
    got = {(int(a), int(b)): (int(w), int(d)) for a, b, w, d in
           zip(proj.pre_idx, proj.post_idx, proj.weight, proj.delay, strict=True)}  # fmt: skip
    assert got == {(2, 1): (5, 3), (0, 0): (7, 4), (1, 1): (2, 5)}
    dmat = np.array([[9, 1], [1, 8], [1, 7]])  # read at (0,0), (1,1), (2,1)
    proj = net.connect(x, h, weights=m2, delay=dmat)
    assert proj.delay.tolist() == [9, 8, 7]
    with pytest.raises(sm.ShapeError, match=r"weights: must have shape \(3, 2\)"):
        net.connect(x, h, weights=scipy_sparse.eye(3, dtype=int))


def test_conv2d_matches_direct_convolution(rng):
    kernel = rng.integers(-3, 4, (2, 3, 3, 3))
    conv = sm.conv2d((3, 6, 5), kernel, stride=2, padding=1)
    assert conv.out_shape == (2, 3, 3)
    pre, post, w = conv.build()
    dense = np.zeros((conv.n_pre, conv.n_post), np.int64)
    np.add.at(dense, (pre, post), w)
    x = rng.integers(0, 5, (3, 6, 5))
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    ref = np.zeros((2, 3, 3), np.int64)
    for o in range(2):
        for yy in range(3):
            for xx in range(3):
                ref[o, yy, xx] = (xp[:, 2 * yy : 2 * yy + 3, 2 * xx : 2 * xx + 3] * kernel[o]).sum()
    assert_array_equal(x.ravel() @ dense, ref.ravel())


def test_pool2d_sums_windows(rng):
    pool = sm.pool2d((2, 4, 4), 2, weight=3)
    pre, post, w = pool.build()
    dense = np.zeros((pool.n_pre, pool.n_post), np.int64)
    dense[pre, post] = w
    x = rng.integers(0, 5, (2, 4, 4))
    ref = 3 * x.reshape(2, 2, 2, 2, 2).sum(axis=(2, 4))
    assert_array_equal(x.ravel() @ dense, ref.ravel())
    net = sm.Network("p")
    a = net.input(32, name="a")
    b = net.population(7, sm.IF(vth=1), name="b")
    with pytest.raises(
        sm.ShapeError, match=r"pool2d connects 32 -> 8 neurons but pre has 32 and post has 7"
    ):
        net.connect(a, b, weights=pool)


def test_saved_network_runs_identically(rng, tmp_path):
    from tests.networks import chain_net

    for net, chip in ((small_net(rng), "loihi2"), (chain_net(rng)[0], "truenorth")):
        if chip == "loihi2":
            net.populations["h"].initial["u"] = np.arange(5) * 7
        path = tmp_path / f"{chip}.npz"
        net.save(path)
        back = sm.Network.load(path)
        name = next(iter(net.inputs))
        hi = 2 ** net.inputs[name].payload_bits - 1
        x = rng.integers(0, hi + 1, (40, net.inputs[name].n)) * (
            rng.random((40, net.inputs[name].n)) < 0.3
        )
        a = sm.Simulator(sm.map_network(net, chip), seed=4).run(40, inputs={name: x})
        b = sm.Simulator(sm.map_network(back, chip), seed=4).run(40, inputs={name: x})
        for pop in net.populations:
            assert_array_equal(a.spikes[pop], b.spikes[pop])
        assert all(np.count_nonzero(s) for s in a.spikes.values())
