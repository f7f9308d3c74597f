"""map_network: splitting, packing, placement, routing, and every way a network cannot fit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from tests.networks import make_profile


def chain(rng, sizes=(40, 30, 20, 10), density=0.5):
    net = sm.Network("chain")
    prev = net.input(sizes[0], name="x")
    for k, n in enumerate(sizes[1:]):
        pop = net.population(n, sm.CubaLIF(du=100, dv=100, vth=20), name=f"p{k}")
        w = rng.integers(1, 60, (prev.n, n))
        w[rng.random(w.shape) > density] = 0
        net.connect(prev, pop, weights=w)
        prev = pop
    return net


def test_single_core_when_it_fits(rng):
    m = sm.map_network(chain(rng), "loihi")
    assert m.n_cores == 1
    c = m.cores[0]
    assert c.n_neurons == 60 and [s.pop.name for s in c.slices] == ["p0", "p1", "p2"]
    assert c.n_axons_in == 40 + 30 + 20
    assert c.n_synapses == sum(p.n_synapses for p in m.network.projections)
    rep = m.report()
    assert "1 of 128 cores used" in rep and "p0[0:30], p1[0:20], p2[0:10]" in rep


def test_split_respects_every_core_limit(rng, tmp_path):
    net = chain(rng)
    chip = sm.chips.get(make_profile(tmp_path, neurons=7, input_axons=34, synapse_memory_bits=1500))
    m = sm.map_network(net, chip)
    for c in m.cores:
        assert c.n_neurons <= 7 and c.n_axons_in <= 34 and c.synapse_bits <= 1500
    for name, sl in m.slices.items():
        assert sl[0].lo == 0 and sl[-1].hi == net.populations[name].n
        assert all(a.hi == b.lo for a, b in itertools.pairwise(sl))
    assert m.n_cores >= 60 // 7
    # each limit is the binding one somewhere
    assert any(c.n_neurons == 7 for c in m.cores)
    assert any(c.n_axons_in >= 33 and c.n_neurons < 7 for c in m.cores)
    assert any(c.synapse_bits > 1400 and c.n_neurons < 7 for c in m.cores)


def test_greedy_placement_beats_sequential(rng, tmp_path):
    # populations are declared in an order unrelated to how they connect (a -> d -> b -> e -> c),
    # so filling cores in declaration order puts connected cores far apart
    net = sm.Network("shuffled")
    pops = {k: net.population(64, sm.CubaLIF(du=100, dv=100, vth=20), name=k) for k in "abcde"}
    for pre, post in ("ad", "db", "be", "ec"):
        w = rng.integers(1, 60, (64, 64))
        w[rng.random(w.shape) > 0.3] = 0
        net.connect(pops[pre], pops[post], weights=w)
    chip = sm.chips.get(make_profile(tmp_path, neurons=8))
    greedy = sm.map_network(net, chip, allocator="greedy")
    seq = sm.map_network(net, chip, allocator="sequential")
    assert greedy.n_cores == seq.n_cores == 40
    hg, hs = greedy.hops()["total"], seq.hops()["total"]
    assert hg < 0.8 * hs, (hg, hs)
    assert len({c.core_id for c in greedy.cores}) == greedy.n_cores  # distinct physical cores


def test_routing_tables_reach_every_synapse(rng, tmp_path):
    net = chain(rng)
    m = sm.map_network(net, sm.chips.get(make_profile(tmp_path, neurons=6)))
    # every synapse appears once: table rows are axons; each route entry names one axon
    n_syn = sum(c.table.n_synapses for c in m.cores)
    assert n_syn == net.n_synapses
    n_routes = sum(r.dest.size for r in m.core_routes) + sum(
        r.dest.size for r in m.input_routes.values()
    )
    assert n_routes == sum(c.n_axons_in for c in m.cores)


# ------------------------------------------------------------------ what does not fit


def test_unsupported_neuron_model():
    net = sm.Network("n")
    net.population(4, sm.IF(vth=3), name="relu")
    with pytest.raises(
        sm.MappingError, match=r"population 'relu' uses IF; truenorth cores run TrueNorthNeuron"
    ):
        sm.map_network(net, "truenorth")
    net2 = sm.Network("n2")
    net2.population(4, sm.TrueNorthNeuron(), name="tn")
    with pytest.raises(
        sm.MappingError, match=r"population 'tn' uses TrueNorthNeuron; loihi cores run CubaLIF, IF"
    ):
        sm.map_network(net2, "loihi")
    assert sm.map_network(net, "loihi2").n_cores == 1


def test_payload_too_wide():
    net = sm.Network("n")
    net.population(4, sm.IF(vth=3, spike_bits=4), name="g")
    x = net.input(2, name="x", payload_bits=3)
    net.connect(x, net.populations["g"], weights=np.ones((2, 4), int))
    with pytest.raises(
        sm.MappingError, match=r"population 'g' emits 4-bit spike payloads; .* 1-bit"
    ):
        sm.map_network(net, make_profile_inline("loihi2", payload_bits=1))


def make_profile_inline(base, **kw):
    import tempfile
    from pathlib import Path

    return make_profile(Path(tempfile.mkdtemp()), base=base, **kw)


def test_delay_too_long():
    net = sm.Network("n")
    x = net.input(2, name="x")
    h = net.population(2, sm.CubaLIF(du=1, dv=1, vth=1), name="h")
    net.connect(x, h, weights=np.ones((2, 2), int), delay=70)
    with pytest.raises(
        sm.MappingError,
        match=r"projection 'x->h' has a delay of 70 steps; loihi supports at most 62 \(by 8\)",
    ):
        sm.map_network(net, "loihi")


def test_neuron_needs_more_axons_than_a_core_has():
    net = sm.Network("n")
    x = net.input(5000, name="x")
    h = net.population(2, sm.CubaLIF(du=1, dv=1, vth=1), name="h")
    net.connect(x, h, weights=np.ones((5000, 2), int))
    with pytest.raises(
        sm.MappingError,
        match=r"population 'h': neuron 0 alone needs 5000 input axons; loihi cores have 4096 \(over by 904\)",
    ):
        sm.map_network(net, "loihi")


def test_neuron_needs_more_synapse_memory_than_a_core_has(tmp_path):
    net = sm.Network("n")
    x = net.input(100, name="x")
    h = net.population(2, sm.CubaLIF(du=1, dv=1, vth=1), name="h")
    net.connect(x, h, weights=np.ones((100, 2), int))
    chip = make_profile(tmp_path, synapse_memory_bits=1000)  # 100 synapses x 18 bits = 1800
    with pytest.raises(
        sm.MappingError,
        match=r"neuron 0 alone needs 1800 bits of synapse memory; custom cores have 1000 \(over by 800\)",
    ):
        sm.map_network(net, chip)


def test_network_larger_than_the_chip(tmp_path):
    net = sm.Network("n")
    net.population(200, sm.CubaLIF(du=1, dv=1, vth=1), name="big")
    chip = make_profile(tmp_path, neurons=10, tiles_x=2, tiles_y=2, cores_per_tile=4)
    with pytest.raises(
        sm.MappingError, match=r"the network needs 20 cores; custom has 16 \(over by 4\)"
    ):
        sm.map_network(net, chip)


def test_too_many_output_axons_splits_the_source(tmp_path):
    net = sm.Network("n")
    a = net.population(10, sm.CubaLIF(du=1, dv=1, vth=1), name="a")
    b = net.population(40, sm.CubaLIF(du=1, dv=1, vth=1), name="b")
    net.connect(a, b, weights=np.ones((10, 40), int))
    chip = make_profile(tmp_path, neurons=10, output_axons=30)  # each of a's 10 neurons -> 4 cores
    m = sm.map_network(net, chip)  # a: 7 + 3 neurons (28 + 12 output axons), on two cores
    assert [(s.lo, s.hi) for s in m.slices["a"]] == [(0, 7), (7, 10)]
    assert len({s.core for s in m.slices["a"]}) == 2
    assert max(c.n_axons_out for c in m.cores) == 28
    one = sm.Network("one")
    a1 = one.population(1, sm.CubaLIF(du=1, dv=1, vth=1), name="a")
    b1 = one.population(40, sm.CubaLIF(du=1, dv=1, vth=1), name="b")
    one.connect(a1, b1, weights=np.ones((1, 40), int))
    chip3 = make_profile(tmp_path, name="three", neurons=10, output_axons=3)
    with pytest.raises(
        sm.MappingError,
        match=r"population 'a': neuron 0 alone reaches 4 cores; three cores have 3 output axons "
        r"\(over by 1\)",
    ):
        sm.map_network(one, chip3)


def test_bad_arguments():
    net = sm.Network("n")
    net.population(4, sm.CubaLIF(du=1, dv=1, vth=1), name="a")
    with pytest.raises(
        sm.ParameterError,
        match=r"allocator: must be one of greedy, sequential or a placement policy \(got 'best'\)",
    ):
        sm.map_network(net, "loihi", allocator="best")
    with pytest.raises(sm.ProfileError, match=r"unknown chip 'spinnaker'"):
        sm.map_network(net, "spinnaker")
    with pytest.raises(sm.MappingError, match=r"has no populations"):
        sm.map_network(sm.Network("empty"), "loihi")


def test_issue9_a_population_reaching_five_loihi_cores_is_split_and_kept_apart():
    """1,024 neurons each reaching 5 cores = 5,120 output axons > 4,096: two 512-neuron halves
    fit, and first-fit packing must not put them back on one core."""
    net = sm.Network("wide")
    a = net.population(1024, sm.CubaLIF(du=1, dv=1, vth=1), name="a")
    b = net.population(5 * 1024, sm.CubaLIF(du=1, dv=1, vth=1), name="b")
    pre = np.repeat(np.arange(1024), 5)
    post = (np.arange(1024)[:, None] + 1024 * np.arange(5)[None, :]).ravel()
    import scipy.sparse as sparse

    net.connect(a, b, weights=sparse.coo_matrix((np.ones(pre.size, int), (pre, post)),
                                                shape=(1024, 5 * 1024)))  # fmt: skip
    m = sm.map_network(net, "loihi")
    cores_a = {s.core for s in m.slices["a"]}
    assert len(m.slices["a"]) == 2 and len(cores_a) == 2
    assert max(m.cores[c].n_axons_out for c in cores_a) <= 4096
    # the halves declared by hand fit too (pack keeps them apart)
    net2 = sm.Network("halves")
    h = [net2.population(512, sm.CubaLIF(du=1, dv=1, vth=1), name=f"a{k}") for k in range(2)]
    b2 = net2.population(5 * 1024, sm.CubaLIF(du=1, dv=1, vth=1), name="b")
    for k in range(2):
        sel = (pre >= 512 * k) & (pre < 512 * (k + 1))
        net2.connect(h[k], b2, weights=sparse.coo_matrix(
            (np.ones(sel.sum(), int), (pre[sel] - 512 * k, post[sel])), shape=(512, 5 * 1024)))  # fmt: skip
    m2 = sm.map_network(net2, "loihi")
    assert m2.slices["a0"][0].core != m2.slices["a1"][0].core


def test_same_step_projections_lag_their_targets():
    """delay=0 (NIR's feed-forward edge): each hop lags the post population one step, reported
    in Mapping.latency; the spikes are the same-step network's, shifted; a same-step loop of
    two populations cannot be exact and is reported."""
    rng = np.random.default_rng(1)
    net = sm.Network("ff")
    x = net.input(8, name="x")
    a = net.population(6, sm.CubaLIF(du=4095, dv=0, vth=10), name="a")
    b = net.population(4, sm.CubaLIF(du=4095, dv=0, vth=10), name="b")
    wa, wb = rng.integers(0, 60, (8, 6)), rng.integers(0, 60, (6, 4))
    net.connect(x, a, weights=wa, delay=0)
    net.connect(a, b, weights=wb, delay=0)
    m = sm.map_network(net, "loihi", strict=True)
    assert m.latency == {"a": 1, "b": 2}
    xs = (rng.random((30, 8)) < 0.4).astype(np.int32)
    res = sm.Simulator(m).run(32, inputs={"x": np.r_[xs, np.zeros((2, 8), np.int32)]})
    # same-step reference: v accumulates this step's input; fires when v > vth << 6; reset 0
    va, vb = np.zeros(6), np.zeros(4)
    for t in range(30):
        va += (xs[t] @ wa) * 64
        sa = va > 640
        va[sa] = 0
        vb += (sa @ wb) * 64
        sb = vb > 640
        vb[sb] = 0
        assert_array_equal(res.spikes["a"][t + 1], sa)
        assert_array_equal(res.spikes["b"][t + 2], sb)
    net.connect(b, a, weights=np.ones((4, 6), int), delay=1)  # a -> b same step, b -> a one
    with pytest.raises(sm.MappingError, match=r"close a loop whose delays are shorter"):
        sm.map_network(net, "loihi", strict=True)
