"""The compiled NoC engine is a twin of the SimPy model: same cycles, flits, critical paths and
event counts, on random networks and on contention cases (issue 10 item 2)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh import kernels
from spikemesh.emulator.timing import TimingModel
from tests.networks import deep_net, make_profile

ENGINES = [("simpy", None), ("engine", "numpy")] + (
    [("engine", "cython")] if kernels.compiled is not None else []
)


def _same_timing(results):
    ref = results[0].timing
    for r in results[1:]:
        t = r.timing
        assert_array_equal(t.cycles, ref.cycles)
        assert_array_equal(t.core_busy, ref.core_busy)
        assert t.link_flits == ref.link_flits
        assert t.critical_path == ref.critical_path
        assert t.events == ref.events


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("mode", ["analytic", "cycle"])
def test_engines_agree_on_random_networks(tmp_path, seed, mode):
    rng = np.random.default_rng(seed)
    chip = make_profile(tmp_path, neurons=int(rng.integers(3, 7)), input_axons=40, tiles_x=5,
                        tiles_y=5, cores_per_tile=int(rng.integers(1, 3)))  # fmt: skip
    m = sm.map_network(deep_net(rng), chip, allocator=["greedy", "sequential"][seed % 2])
    X = (rng.random((40, 30)) < 0.4).astype(int)
    runs = [
        sm.Simulator(m, timing=mode, noc=noc, backend=b).run(40, inputs={"x": X})
        for noc, b in ENGINES
    ]
    assert runs[0].timing.link_flits  # messages do cross links
    if mode == "cycle":
        assert runs[0].timing.events > 0
    _same_timing(runs)


def test_engines_agree_on_a_board_with_chip_links():
    net = sm.Network("board")
    a = net.population(128 * 1024 + 1, sm.CubaLIF(du=1, dv=1, vth=1), name="a")
    b = net.population(3, sm.CubaLIF(du=4095, dv=4095, vth=1), name="b")
    x = net.input(40, name="x")
    net.connect(x, b, weights=np.ones((40, 3), int))
    net.connect(x, a, weights=np.ones((40, a.n), int) * (np.arange(a.n) % 997 == 0))
    m = sm.map_network(net, "loihi_board", allocator="sequential")
    X = np.ones((4, 40), int)
    _same_timing([sm.Simulator(m, timing="cycle", noc=noc, backend=bk).run(4, inputs={"x": X})
                  for noc, bk in ENGINES])  # fmt: skip


def small_mapping(tmp_path):
    net = sm.Network("grid")
    for k in range(16):
        net.population(1, sm.CubaLIF(du=1, dv=1, vth=1), name=f"p{k}")
    chip = make_profile(tmp_path, neurons=1, tiles_x=4, tiles_y=4, cores_per_tile=1)
    return sm.map_network(net, chip, allocator="sequential")


@pytest.mark.parametrize("seed", range(20))
def test_engines_agree_on_contention(tmp_path, seed):
    """Random batches on a 4 x 4 mesh, many sharing links, equal ready times (ties), batches
    to the sending core itself; 30 steps through one model each."""
    rng = np.random.default_rng(seed)
    m = small_mapping(tmp_path)
    models = [TimingModel(m, "cycle", noc, b) for noc, b in ENGINES]
    for _ in range(30):
        P = int(rng.integers(0, 25))
        packets = [(int(rng.integers(0, 16)), int(rng.integers(0, 16)), int(rng.integers(1, 40)),
                    int(rng.integers(0, 30))) for _ in range(P)]  # fmt: skip
        upd = np.full(16, 1.0)
        active = (rng.random(16) < 0.5).astype(float)
        steps = [tm.step(upd, active, packets) for tm in models]
        for st in steps[1:]:
            assert st.cycles == steps[0].cycles
            assert_array_equal(st.busy, steps[0].busy)
            assert st.critical == steps[0].critical
    res = [tm.result(np.zeros(1, np.int64), np.zeros((1, 16)), {}) for tm in models]
    for r in res[1:]:
        assert r.link_flits == res[0].link_flits and r.events == res[0].events


def test_engine_arrivals_match_hand_computed_contention(tmp_path):
    m = small_mapping(tmp_path)
    for noc, b in ENGINES:
        tm = TimingModel(m, "cycle", noc, b)
        a = tm.packet_arrivals([(0, 1, 30, 0), (0, 2, 12, 0)], [0, 0])
        assert a == [4_100 + 30_000, 30_000 + 2 * 4_100 + 12_000], noc


def test_bad_engine_name():
    m = sm.map_network(deep_net(np.random.default_rng(0)), "loihi")
    with pytest.raises(sm.ParameterError, match=r"noc: must be one of 'engine', 'simpy'"):
        sm.Simulator(m, timing="cycle", noc="booksim")


@pytest.mark.skipif(kernels.compiled is None, reason="compiled kernels not built")
@pytest.mark.parametrize("seed", range(16))
def test_calendar_queue_equals_the_heapq_twin_far_beyond_its_window(seed):
    """Random route tables and batches whose link waits reach millions of cycles (far past the
    calendar's 4096-bucket window, so events go through the overflow heap), zero-latency hops
    and hop-less batches: noc_step and noc_run give the twin's arrivals, finishes, busy times,
    link flits and event counts."""
    rng = np.random.default_rng(seed)
    n, n_links, n_routes = int(rng.integers(1, 7)), 12, int(rng.integers(1, 9))
    hops = rng.integers(0, 5, n_routes)
    ptr = np.concatenate(([0], np.cumsum(hops))).astype(np.int64)
    H = int(ptr[-1])
    link = rng.integers(0, 3 if seed % 2 else n_links, H).astype(np.int64)  # shared links
    lat = (rng.integers(0, 3, H) * rng.choice([0, 1, 4100, 77], H)).astype(np.int64)
    ft = rng.choice([1000, 8000, 3], H).astype(np.int64)
    maxft = np.array([ft[a:b].max() if b > a else 0 for a, b in itertools.pairwise(ptr)],
                     np.int64)  # fmt: skip
    steps = 6
    # seeds >= 12: thousands of batches per step (the radix sort of arrivals), many ties
    per_step = rng.integers(0, 40 if seed < 12 else 3000, steps).astype(np.int64)
    P = int(per_step.sum())
    src = rng.integers(0, n + 2, P)
    pk = np.stack([src, rng.integers(0, n, P), rng.integers(1, 3000, P), rng.integers(0, 500, P)],
                  axis=1).astype(np.int64)  # fmt: skip
    route = rng.integers(0, n_routes, P).astype(np.int64)
    upd = rng.integers(0, 50, (steps, n)).astype(float)
    act = np.floor(upd * rng.random((steps, n)))
    costs = np.array([rng.integers(0, 9000), rng.integers(0, 900), rng.integers(0, 500)], np.int64)
    fpm, syn_op = int(rng.integers(1, 4)), int(rng.integers(0, 3000))
    lo, hi = int(per_step[:2].sum()), int(per_step[:3].sum())
    ready = rng.integers(0, 10**7, hi - lo).astype(np.int64)
    out = {}
    for name, k in (("twin", kernels.reference), ("compiled", kernels.compiled)):
        routes = k.Routes(ptr, link, lat, ft, maxft, fpm, syn_op, n_links)
        for cycle in (0, 1):
            flits = np.zeros(n_links, np.int64)
            run = k.noc_run(cycle, upd, act, costs, pk, per_step, route, routes, flits)
            flits1 = np.zeros(n_links, np.int64)
            one = k.noc_step(cycle, upd[2], act[2], costs, pk[lo:hi], ready, route[lo:hi], routes,
                             flits1)  # fmt: skip
            out[name, cycle] = (run, flits, one, flits1)
            if name == "compiled":  # steps shared among 3 threads: the same numbers
                flits3 = np.zeros(n_links, np.int64)
                run3 = k.noc_run(cycle, upd, act, costs, pk, per_step, route, routes, flits3, 3)
                for a, b in zip(run3, run, strict=True):
                    assert_array_equal(a, b)
                assert_array_equal(flits3, flits)
    for cycle in (0, 1):
        (e0, b0, ev0), f0, one0, g0 = out["twin", cycle]
        (e1, b1, ev1), f1, one1, g1 = out["compiled", cycle]
        assert_array_equal(e0, e1)
        assert_array_equal(b0, b1)
        assert ev0 == ev1 and (ev0 > 0) == (cycle == 1 and bool((hops[route] > 0).any()))
        assert_array_equal(f0, f1)
        for a, b in zip(one0, one1, strict=True):
            assert_array_equal(a, b)
        assert_array_equal(g0, g1)


def _direct_run(k, ptr, link, lat, ft, pk, route, per_step, upd, act, n_links):
    maxft = np.array([ft[a:b].max() if b > a else 0 for a, b in itertools.pairwise(ptr)],
                     np.int64)  # fmt: skip
    routes = k.Routes(ptr, link, lat, ft, maxft, 2, 7, n_links)
    flits = np.zeros(n_links, np.int64)
    costs = np.array([300, 20, 5], np.int64)
    out = k.noc_run(1, upd, act, costs, pk, per_step, route, routes, flits)
    return routes, out, flits


@pytest.mark.skipif(kernels.compiled is None, reason="compiled kernels not built")
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("cyclic", [False, True])
def test_link_by_link_pass_and_calendar_queue_equal_the_twin(seed, cyclic):
    """Routes over a layered graph of links (acyclic: the compiled engine times one link at a
    time in a topological order) and the same routes with one route reversed, which closes a
    cycle (the calendar queue): arrivals, busy times, flits and events equal the heapq twin's.
    Equal ready times and equal latencies make many heads reach a link at the same time, so the
    order of ties (first hops by batch, later hops by the order of their previous hops) is what
    is tested."""
    rng = np.random.default_rng(seed)
    layers, width = 5, 3  # link id = layer * width + position
    n_links, n_routes = layers * width, 10
    ptr, link = [0], []
    for _ in range(n_routes):
        a = int(rng.integers(0, layers - 1))
        b = int(rng.integers(a + 1, layers + 1))
        link += [lay * width + int(rng.integers(0, width)) for lay in range(a, b)]
        ptr.append(len(link))
    ptr, link = np.array(ptr, np.int64), np.array(link, np.int64)
    if cyclic:  # a route of >= 2 hops added again, reversed: its links now form a cycle
        r = int(np.argmax(np.diff(ptr)))
        back = link[ptr[r] : ptr[r + 1]][::-1]
        link = np.concatenate([link, back])
        ptr = np.append(ptr, link.size)
        n_routes += 1
    H = link.size
    lat = rng.choice([100, 100, 250], H).astype(np.int64)
    ft = rng.choice([10, 40], H).astype(np.int64)
    steps, n = 4, 4
    per_step = rng.integers(20, 60, steps).astype(np.int64)
    P = int(per_step.sum())
    pk = np.stack([rng.integers(0, n, P), rng.integers(0, n, P), rng.integers(1, 6, P),
                   rng.integers(0, 9, P)], axis=1).astype(np.int64)  # fmt: skip
    route = rng.integers(0, n_routes, P).astype(np.int64)
    upd = np.full((steps, n), 10.0)  # equal update times on every core: ties everywhere
    act = np.zeros((steps, n))
    got = {}
    for name, k in (("twin", kernels.reference), ("compiled", kernels.compiled)):
        routes, out, flits = _direct_run(k, ptr, link, lat, ft, pk, route, per_step, upd, act,
                                         n_links)  # fmt: skip
        got[name] = (out, flits)
        # both kernel sets say whether the links have a cycle, and give a topological order
        if cyclic:
            assert not routes.acyclic and routes.link_order() is None
        else:
            assert routes.acyclic
            pos = {int(x): i for i, x in enumerate(routes.link_order())}
            for a, b in itertools.pairwise(ptr):  # every route goes forward in the order
                assert all(pos[int(x)] < pos[int(y)] for x, y in
                           itertools.pairwise(link[a:b]))  # fmt: skip
    (e0, b0, ev0), f0 = got["twin"]
    (e1, b1, ev1), f1 = got["compiled"]
    assert ev0 == ev1 > 0
    assert_array_equal(e0, e1)
    assert_array_equal(b0, b1)
    assert_array_equal(f0, f1)
