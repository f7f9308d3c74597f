"""TrueNorth-like mapping: typed-axon crossbars, splitter neurons and their latency."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from tests.golden import truenorth_chain
from tests.networks import SPEC_A, SPEC_B, chain_net, make_profile


def test_mapped_chain_matches_the_unmapped_reference_after_the_reported_latency(rng):
    net, Wa, Wb = chain_net(rng)
    X = (rng.random((120, 40)) < 0.3).astype(int)
    m = sm.map_network(net, "truenorth")
    # a's neurons reach several typed axons: splitters relay a, so b (delay 1) lags one step
    assert m.latency == {"a": 0, "b": 1} and m.fidelity == ()
    assert "a" in m.splitters and m.splitters["a"].n > net.populations["a"].n
    assert "+1 step" in m.report()
    res = sm.Simulator(m).run(120, inputs={"x": X})
    ref_a, ref_b = truenorth_chain([Wa.tolist(), Wb.tolist()], [SPEC_A, SPEC_B], X.tolist())
    assert_array_equal(res.spikes["a"], ref_a)  # inputs reach a directly
    lat = m.latency["b"]
    assert_array_equal(res.spikes["b"][lat:], np.array(ref_b)[:-lat])
    assert not res.spikes["b"][:lat].any()
    assert np.array(ref_b).sum() > 20 and np.array(ref_a).sum() > 20


def test_delays_longer_than_one_absorb_the_splitter_latency(rng):
    net, Wa, Wb = chain_net(rng)
    net2 = sm.Network("tn2")
    x = net2.input(40, name="x")
    a = net2.population(30, net.populations["a"].neuron, name="a")
    b = net2.population(20, net.populations["b"].neuron, name="b")
    net2.connect(x, a, weights=Wa, delay=2)
    net2.connect(a, b, weights=Wb, delay=3)
    X = (rng.random((100, 40)) < 0.3).astype(int)
    m = sm.map_network(net2, "truenorth")
    res = sm.Simulator(m).run(100, inputs={"x": X})
    ref_a, ref_b = truenorth_chain(
        [Wa.tolist(), Wb.tolist()], [SPEC_A, SPEC_B], X.tolist(), delays=[2, 3]
    )
    assert_array_equal(res.spikes["a"], ref_a)
    assert_array_equal(res.spikes["b"], ref_b)  # exact: the axon delay became 2, +1 splitter


def test_typed_axons_count_against_the_256_axon_limit(rng):
    net = sm.Network("wide")
    x = net.input(200, name="x")
    a = net.population(10, sm.TrueNorthNeuron(weights=(1, 2, 4, -8), alpha=5), name="a")
    net.connect(x, a, weights=np.full((200, 10), 7))  # 7 = 1 + 2 + 4: three typed copies per line
    with pytest.raises(
        sm.MappingError,
        match=r"neuron 0 alone needs 600 input axons; truenorth cores have 256 \(over by 344\)",
    ):
        sm.map_network(net, "truenorth")
    net2 = sm.Network("ok")
    x2 = net2.input(80, name="x")
    a2 = net2.population(10, sm.TrueNorthNeuron(weights=(1, 2, 4, -8), alpha=5), name="a")
    net2.connect(x2, a2, weights=np.full((80, 10), 7))
    m = sm.map_network(net2, "truenorth")
    assert m.cores[0].n_axons_in == 240 and m.cores[0].table.n_synapses == 2400


def test_unrepresentable_weight_names_the_synapse():
    net = sm.Network("bad")
    x = net.input(3, name="x")
    a = net.population(2, sm.TrueNorthNeuron(weights=(2, 4, 0, 0), alpha=5), name="a")
    w = np.zeros((3, 2), int)
    w[1, 0] = 3
    net.connect(x, a, weights=w)
    with pytest.raises(
        sm.MappingError,
        match=r"weight 3 from x\[1\] to a\[0\] is not a sum of that neuron's axon-type weights \[2, 4, 0, 0\]",
    ):
        sm.map_network(net, "truenorth")


def test_fanout_beyond_one_splitter_core_is_reported(tmp_path):
    net = sm.Network("fan")
    a = net.population(1, sm.TrueNorthNeuron(alpha=1), name="a")
    b = net.population(300, sm.TrueNorthNeuron(alpha=1), name="b")
    net.connect(a, b, weights=np.ones((1, 300), int))
    chip = make_profile(tmp_path, base="truenorth", neurons=100)
    m = sm.map_network(net, chip)  # 3 cores of b: one splitter neuron per core
    assert m.splitters["a"].n == 3 and m.latency == {"a": 0, "b": 1}
    chip2 = make_profile(tmp_path, base="truenorth", name="tiny", neurons=2)
    with pytest.raises(
        sm.MappingError,
        match=r"population 'a': a neuron must reach 150 axons; one splitter core relays at most 2",
    ):
        sm.map_network(net, chip2)


def test_cubalif_does_not_run_on_truenorth():
    net = sm.Network("n")
    net.population(4, sm.CubaLIF(du=1, dv=1, vth=1), name="lif")
    with pytest.raises(
        sm.MappingError, match=r"population 'lif' uses CubaLIF; truenorth cores run TrueNorthNeuron"
    ):
        sm.map_network(net, "truenorth")


def test_stochastic_neurons_draw_the_same_numbers_however_they_are_mapped(rng, tmp_path):
    net = sm.Network("stoch")
    x = net.input(30, name="x")
    a = net.population(40, sm.TrueNorthNeuron(
        weights=(60, 0, 0, 0), alpha=20, leak=-3, threshold_mask_bits=4,
        stochastic_synapse=(True, False, False, False), stochastic_leak=True), name="a")  # fmt: skip
    w = (rng.random((30, 40)) < 0.4).astype(int) * 60
    net.connect(x, a, weights=w)
    X = (rng.random((50, 30)) < 0.3).astype(int)
    whole = sm.map_network(net, "truenorth")
    tiny = sm.map_network(net, make_profile(tmp_path, base="truenorth", neurons=7))
    assert tiny.n_cores >= 6
    runs = [
        sm.Simulator(m, seed=11, timing=t, backend=b).run(50, inputs={"x": X})
        for m, t, b in (
            (whole, "none", "cython"),
            (tiny, "cycle", "numpy"),
            (tiny, "analytic", "cython"),
        )
    ]
    for r in runs[1:]:
        assert_array_equal(r.spikes["a"], runs[0].spikes["a"])
    other = sm.Simulator(whole, seed=12).run(50, inputs={"x": X})
    assert not np.array_equal(other.spikes["a"], runs[0].spikes["a"])
    assert runs[0].spikes["a"].any()


@pytest.mark.parametrize("backend", ["numpy", "cython"])
def test_identical_stochastic_populations_draw_independent_numbers(backend, tmp_path):
    """Issue 9 item 4: the PRN is keyed by a global neuron id, not the index in a population."""
    spec = sm.TrueNorthNeuron(weights=(1, 0, 0, 0), alpha=1, leak=40, stochastic_leak=True,
                              threshold_mask_bits=2)  # fmt: skip
    net = sm.Network("twins")
    a = net.population(64, spec, name="a")
    b = net.population(64, spec, name="b")
    assert a.neuron_id_base != b.neuron_id_base
    res = sm.Simulator(sm.map_network(net, "truenorth"), seed=3, backend=backend).run(40)
    assert res.spikes["a"].any() and res.spikes["b"].any()
    assert not np.array_equal(res.spikes["a"], res.spikes["b"])
    # the same population (by name) in another network, split over 8-neuron cores, another
    # allocator: the same bits
    other = sm.Network("other")
    other.population(5, sm.TrueNorthNeuron(weights=(1, 0, 0, 0), alpha=3), name="first")
    other.population(64, spec, name="b")
    chip = make_profile(tmp_path, base="truenorth", neurons=8)
    m2 = sm.map_network(other, chip, allocator="sequential")
    again = sm.Simulator(m2, seed=3, backend="numpy").run(40)
    assert_array_equal(again.spikes["b"], res.spikes["b"])


# ------------------------------------------------------------------ issue 9 item 3: uniform lag
TN = dict(weights=(1, 2, 4, -8), alpha=5, reset_mode=0)


def _unlimited(tmp_path):
    """TrueNorth cores whose neurons reach any number of axons: no splitters, no added
    latency -- the unmapped network's timing on the same neuron kernels."""
    return make_profile(tmp_path, base="truenorth", name="unlimited", fanout_cores=0)


def _assert_lagged_exactly(m, ref, X, steps):
    res = sm.Simulator(m).run(steps, inputs={"x": X} if X is not None else None)
    for name, r in ref.spikes.items():
        L = m.latency[name]
        assert_array_equal(res.spikes[name][L:], r[: steps - L], err_msg=name)
        assert not res.spikes[name][:L].any()
    return res


def test_targets_at_delays_one_and_two_from_a_relayed_population_stay_exact(rng, tmp_path):
    net = sm.Network("mixed")
    x = net.input(20, name="x")
    a = net.population(16, sm.TrueNorthNeuron(**TN, leak=0), name="a")
    b = net.population(12, sm.TrueNorthNeuron(**TN), name="b")
    c = net.population(8, sm.TrueNorthNeuron(**TN), name="c")
    net.connect(x, a, weights=rng.integers(0, 8, (20, 16)) * (rng.random((20, 16)) < 0.5))
    wb = rng.integers(1, 8, (16, 12)) * (rng.random((16, 12)) < 0.6)
    net.connect(a, b, weights=wb, delay=rng.integers(1, 3, (16, 12)))  # delays 1 and 2
    net.connect(b, c, weights=rng.integers(1, 8, (12, 8)) * (rng.random((12, 8)) < 0.6))
    net.connect(x, c, weights=rng.integers(0, 4, (20, 8)) * (rng.random((20, 8)) < 0.3))
    X = (rng.random((80, 20)) < 0.3).astype(int)
    ref = sm.Simulator(sm.map_network(net, _unlimited(tmp_path))).run(80, inputs={"x": X})
    m = sm.map_network(net, "truenorth", strict=True)  # strict: exact or an error
    assert "a" in m.splitters and m.latency["b"] == 1 and m.latency["a"] == 0
    # c hears b (one step late) and x: x's delay grows by one so both arrive together
    assert m.latency["c"] == 1 + int("b" in m.splitters)
    res = _assert_lagged_exactly(m, ref, X, 80)
    assert all(res.spikes[k].sum() > 10 for k in ("a", "b", "c"))


@pytest.mark.parametrize("seed", range(6))
def test_random_truenorth_networks_lag_uniformly_and_exactly(seed, tmp_path):
    rng = np.random.default_rng(seed)
    net = sm.Network(f"rand{seed}")
    x = net.input(24, name="x")
    pops = [net.population(int(rng.integers(6, 20)), sm.TrueNorthNeuron(**TN), name=f"p{k}")
            for k in range(4)]  # fmt: skip
    net.connect(x, pops[0], weights=rng.integers(0, 8, (24, pops[0].n)) *
                (rng.random((24, pops[0].n)) < 0.5))  # fmt: skip
    for i, pre in enumerate(pops):
        for post in pops[i:]:
            if post is pre or rng.random() < 0.7:
                w = rng.integers(-8, 8, (pre.n, post.n)) * (rng.random((pre.n, post.n)) < 0.3)
                lo = 2 if post is pre or post is pops[i] else 1  # loops need delay >= 2
                net.connect(pre, post, weights=w, delay=rng.integers(lo, 4, (pre.n, post.n)))
    X = (rng.random((60, 24)) < 0.35).astype(int)
    ref = sm.Simulator(sm.map_network(net, _unlimited(tmp_path))).run(60, inputs={"x": X})
    m = sm.map_network(net, "truenorth", strict=True)
    assert m.splitters  # every random network here needs splitters
    _assert_lagged_exactly(m, ref, X, 60)


def test_delays_of_two_or_more_keep_every_population_on_time(rng, tmp_path):
    net = sm.Network("late")
    x = net.input(10, name="x")
    a = net.population(10, sm.TrueNorthNeuron(**TN), name="a")
    b = net.population(10, sm.TrueNorthNeuron(**TN), name="b")
    net.connect(x, a, weights=rng.integers(0, 8, (10, 10)))
    net.connect(a, b, weights=rng.integers(0, 8, (10, 10)), delay=2)
    net.connect(a, a, weights=-rng.integers(0, 3, (10, 10)), delay=3)
    m = sm.map_network(net, "truenorth", strict=True)
    assert m.splitters and set(m.latency.values()) == {0}
    X = (rng.random((50, 10)) < 0.3).astype(int)
    _assert_lagged_exactly(m, sm.Simulator(sm.map_network(net, _unlimited(tmp_path))).run(
        50, inputs={"x": X}), X, 50)  # fmt: skip


def test_a_delay_one_loop_through_a_splitter_is_named():
    net = sm.Network("loop")
    x = net.input(4, name="x")
    a = net.population(4, sm.TrueNorthNeuron(**TN), name="a")
    net.connect(x, a, weights=np.full((4, 4), 3))
    # delay 1; weight 3 = types 1 + 2: two typed axons per neuron, so a is relayed
    net.connect(a, a, weights=np.full((4, 4), -3), name="a_to_a")
    with pytest.warns(sm.FidelityWarning, match=r"'a_to_a' close a loop"):
        m = sm.map_network(net, "truenorth")
    assert m.fidelity[0].kind == "loop" and m.fidelity[0].names == ("a_to_a",)
    assert "not exact" in m.report()
    with pytest.raises(sm.MappingError, match=r"strict=True.*'a_to_a' close a loop"):
        sm.map_network(net, "truenorth", strict=True)


def test_a_lagged_population_whose_state_moves_is_named():
    net = sm.Network("leaky")
    x = net.input(4, name="x")
    a = net.population(4, sm.TrueNorthNeuron(**TN), name="a")
    b = net.population(4, sm.TrueNorthNeuron(**TN, leak=2), name="b")  # drifts without input
    net.connect(x, a, weights=np.full((4, 4), 3))
    net.connect(a, b, weights=np.full((4, 4), 3))  # two typed axons per neuron: relayed
    with pytest.warns(sm.FidelityWarning, match=r"population\(s\) 'b' lag .* state moves"):
        m = sm.map_network(net, "truenorth")
    assert m.latency["b"] == 1 and m.fidelity[0].kind == "not_shift_invariant"
    with pytest.raises(sm.MappingError, match="'b' lag"):
        sm.map_network(net, "truenorth", strict=True)


def _arrays(m):
    """Everything a mapping decides, as arrays: tables, slices, routes."""
    out = []
    for c in m.cores:
        t = c.table
        out += [t.indptr, t.targets, t.weights, t.delays, t.row_exp,
                np.array([c.core_id, c.n_axons_out, c.synapse_bits]
                         + [x for s in c.slices for x in (s.lo, s.hi, s.offset)])]  # fmt: skip
    for r in list(m.core_routes) + list(m.input_routes.values()):
        out += [r.indptr, r.dest, r.axon]
    return out


@pytest.mark.parametrize("chip", ["truenorth", "loihi"])
def test_the_mappers_fallbacks_give_the_same_mapping(rng, tmp_path, monkeypatch, chip):
    """Large id spaces sort windows instead of using a scratch array; many distinct weight rows
    match each synapse against its row's 15 subset sums instead of a lookup table. Both
    fallbacks must give the mapping the fast paths give, bit for bit."""
    from spikemesh.mapping import synapses

    if chip == "truenorth":
        net = chain_net(rng, n_in=60, n_a=50, n_b=40)[0]
        chip = make_profile(tmp_path, "truenorth", "small", neurons=64, input_axons=120)
    else:
        from tests.networks import deep_net

        net = deep_net(rng)
        chip = make_profile(tmp_path, "loihi", "small", neurons=8, input_axons=48)
    fast = _arrays(sm.map_network(net, chip))
    monkeypatch.setattr(synapses.Distinct, "LIMIT", 0)
    monkeypatch.setattr(synapses, "_LUT_BYTES", 0)
    monkeypatch.setattr(synapses, "_CHUNK", 7)
    slow = _arrays(sm.map_network(net, chip))
    assert len(fast) == len(slow) > 10
    for a, b in zip(fast, slow, strict=True):
        assert_array_equal(a, b)
