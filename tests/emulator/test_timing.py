"""Timing models: function never depends on timing; the NoC model's cycle accounting."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh.emulator.timing import TimingModel
from spikemesh.noc import Mesh
from tests.networks import deep_net, make_profile


@pytest.mark.parametrize("chip,model", [("loihi", "CubaLIF"), ("loihi2", "IF")])
def test_spikes_and_states_identical_in_every_timing_mode(rng, tmp_path, chip, model):
    net = deep_net(rng, model)  # feed-forward + recurrent with delays (+ graded bipolar on loihi2)
    hi = 7 if model == "IF" else 1
    X = rng.integers(0, hi + 1, (60, 30)) * (rng.random((60, 30)) < 0.35)
    m = sm.map_network(net, make_profile(tmp_path, base=chip, neurons=4, input_axons=40))
    assert m.n_cores > 15
    res = {
        mode: sm.Simulator(m, timing=mode).run(60, inputs={"x": X})
        for mode in ("none", "analytic", "cycle")
    }
    for mode in ("analytic", "cycle"):
        for name in net.populations:
            assert_array_equal(res[mode].spikes[name], res["none"].spikes[name])
            assert_array_equal(res[mode].probes[name]["v"], res["none"].probes[name]["v"])
        for key in res["none"].counters:
            assert_array_equal(res[mode].counters[key], res["none"].counters[key])
    assert not res["none"].cycles.any()
    a, c = res["analytic"], res["cycle"]
    assert (a.cycles > 0).all() and (a.cycles <= c.cycles).all()
    assert res["none"].timing is None
    ta, tc = a.timing, c.timing
    assert tc.events > 0 and ta.link_flits == tc.link_flits  # same flits, different waiting
    assert tc.critical_path["core"] in range(m.n_cores) and tc.latency_total_s > 0


def small_mapping(tmp_path, allocator="sequential", **profile):
    """16 one-neuron cores, one per tile on a 4 x 4 mesh, core k at tile (k % 4, k // 4)."""
    net = sm.Network("grid")
    for k in range(16):
        net.population(1, sm.CubaLIF(du=1, dv=1, vth=1), name=f"p{k}")
    chip = make_profile(tmp_path, neurons=1, tiles_x=4, tiles_y=4, cores_per_tile=1, **profile)
    return sm.map_network(net, chip, allocator=allocator)


def test_xy_routes_and_hop_counts(tmp_path):
    m = small_mapping(tmp_path)
    mesh = Mesh(m.chip, [s.position for s in m.sources] + [(0, 0)])  # + a host input at 16
    p = mesh.path(0, 14)  # (0,0) -> (2,3): two hops east, then three north
    links, lat = p.links, p.latency
    assert (p.ew, p.ns, p.hops) == (2, 3, 5)
    assert [mesh.link_name(k) for k in links] == [
        "(0,0)->E",
        "(1,0)->E",
        "(2,0)->N",
        "(2,1)->N",
        "(2,2)->N",
    ]
    assert lat == (
        4100,
        4100,
        6500,
        6500,
        6500,
    )  # loihi: E-W 4.1 ns, N-S 6.5 ns (1/1000 cycle units)
    links = mesh.path(15, 0).links  # (3,3) -> (0,0): west first, then south
    assert [mesh.link_name(k) for k in links] == [
        "(3,3)->W",
        "(2,3)->W",
        "(1,3)->W",
        "(0,3)->S",
        "(0,2)->S",
        "(0,1)->S",
    ]
    pairs = [(0, 5), (3, 12), (7, 7), (16, 10)]
    ew, ns, cross = mesh.hop_counts([s for s, _ in pairs], [d for _, d in pairs])
    for k, (src, dst) in enumerate(pairs):
        x0, y0 = (src % 4, src // 4) if src < 16 else (0, 0)
        x1, y1 = dst % 4, dst // 4
        assert mesh.path(src, dst).hops == abs(x1 - x0) + abs(y1 - y0) == ew[k] + ns[k]
        assert cross[k] == 0


def test_analytic_equals_cycle_on_disjoint_routes(tmp_path):
    m = small_mapping(tmp_path)
    packets = [(0, 3, 40, 100), (4, 7, 25, 60), (8, 11, 7, 3), (12, 15, 64, 10)]  # one per row
    ready = [10_000, 0, 5_000, 30_000]
    a = TimingModel(m, "analytic").packet_arrivals(packets, ready)
    c = TimingModel(m, "cycle").packet_arrivals(packets, ready)
    assert a == c
    assert a[0] == 10_000 + 3 * 4_100 + 40 * 1_000  # ready + hops x latency + flits (1 per cycle)


def test_two_packets_on_one_link_serialize_by_their_flits(tmp_path):
    m = small_mapping(tmp_path)
    packets = [(0, 1, 30, 0), (0, 2, 12, 0)]  # both start on link (0,0)->E at the same time
    a = TimingModel(m, "analytic").packet_arrivals(packets, [0, 0])
    c = TimingModel(m, "cycle").packet_arrivals(packets, [0, 0])
    assert c[0] == a[0] == 4_100 + 30_000
    assert c[1] - a[1] == 30_000  # waited exactly for the first packet's 30 flits
    assert a[1] == 2 * 4_100 + 12_000


def test_simpy_events_do_not_grow_with_spikes(tmp_path):
    m = small_mapping(tmp_path)
    base = [(0, 15, 10, 50), (5, 10, 3, 9), (12, 3, 8, 8), (6, 6, 4, 4)]
    counts = []
    for scale in (1, 10):
        tm = TimingModel(m, "cycle")
        tm.step(
            np.ones(16), np.ones(16), [(s, d, ev * scale, syn * scale) for s, d, ev, syn in base]
        )
        counts.append(tm.events)
    assert counts[0] == counts[1] > 0


def test_barrier_follows_the_profile_table(tmp_path):
    tm = TimingModel(small_mapping(tmp_path), "analytic")
    assert tm.barrier_cycles(1) == 113.0 and tm.barrier_cycles(32) == 465.0
    assert tm.barrier_cycles(16) == pytest.approx(113 + (465 - 113) * 15 / 31)
    assert tm.n_tiles == 16 and tm.barrier == round((113 + (465 - 113) * 15 / 31) * 1000)


def test_step_cycles_hand_computed(tmp_path):
    tm = TimingModel(small_mapping(tmp_path), "cycle")
    upd = np.ones(16)
    active = np.zeros(16)
    active[0] = 1
    # core 0: 8.4 (active update) + 2.1 (one message out) = 10.5; to core 1: 1 hop E, 1 flit
    st = tm.step(upd, active, [(0, 1, 1, 5)])
    arrival = 10_500 + 4_100 + 1_000
    end = max(arrival, 5_300) + 5 * 3_500  # core 1 finished its own update (5.3) long before
    assert st.cycles == -(-(end + tm.barrier) // 1000)
    assert st.critical["last_packet"]["arrival_cycles"] == arrival / 1000
    assert st.critical["core"] == 1 and st.critical["last_packet"]["hops"] == 1


def test_board_links_between_chips(tmp_path):
    net = sm.Network("board")
    for k in range(8):
        net.population(1, sm.CubaLIF(du=1, dv=1, vth=1), name=f"p{k}")
    chip = make_profile(tmp_path, neurons=1, tiles_x=2, tiles_y=2, cores_per_tile=1, chips_x=2)
    text = (
        open(chip)
        .read()
        .replace(
            "flit_bits = 32", "flit_bits = 32\nchip_link_ns = 50.0\nchip_link_cycles_per_flit = 4.0"
        )
    )
    open(chip, "w").write(text)
    m = sm.map_network(net, chip, allocator="sequential")
    tm = TimingModel(m, "analytic")
    # core 1 is tile (1,0) of chip 0, core 4 is tile (2,0) = tile (0,0) of chip 1
    p = tm.mesh.path(1, 4)
    assert len(p.links) == 1 and p.latency == (50_000,) and p.flit_time == (4_000,)
    assert p.crossings == 1 and tm.mesh.hop_counts([1], [4])[2][0] == 1
    assert tm.packet_arrivals([(1, 4, 10, 0)], [0]) == [50_000 + 4_000 * 10]


def test_ticked_chip_reports_overruns(rng, tmp_path):
    from tests.networks import chain_net

    net = chain_net(rng)[0]
    X = (rng.random((20, 40)) < 0.3).astype(int)
    ok = sm.Simulator(sm.map_network(net, "truenorth"), timing="analytic").run(20, inputs={"x": X})
    t = ok.timing
    assert t.tick_overruns.size == 0 and (t.latency_s == 1e-3).all() and (t.active_s > 0).all()
    chip = make_profile(tmp_path, base="truenorth", tick_s="1.0e-7")
    bad = sm.Simulator(sm.map_network(net, chip), timing="cycle").run(20, inputs={"x": X})
    over = np.flatnonzero(bad.timing.active_s > 1e-7)
    assert over.size > 0
    assert_array_equal(bad.timing.tick_overruns, over)


def test_network_larger_than_a_chip_maps_onto_the_board():
    net = sm.Network("big")
    a = net.population(128 * 1024 + 1, sm.CubaLIF(du=1, dv=1, vth=1), name="a")
    b = net.population(1, sm.CubaLIF(du=1, dv=1, vth=1), name="b")
    net.connect(a, b, weights=sp_single(a.n, 0, 1, 7))
    with pytest.raises(sm.MappingError, match=r"needs 129 cores; loihi has 128 \(over by 1\)"):
        sm.map_network(net, "loihi")
    m = sm.map_network(net, "loihi_board", allocator="sequential")
    assert m.n_cores == 129 and m.chip.mesh.n_chips == 4
    tm = TimingModel(m, "analytic")
    p = tm.mesh.path(0, 128)  # chip 0 tile (0,0) -> chip 1 tile (8,0)
    assert len(p.links) == 8 and p.latency[-1] == 100_000 and p.flit_time[-1] == 8_000
    assert p.latency[0] == 4_100 and p.crossings == 1
    res = sm.Simulator(m, timing="cycle").run(2)
    assert res.cycles.min() > 0


def sp_single(n_pre, i, n_post, w):
    import scipy.sparse as sparse

    return sparse.coo_matrix(([w], ([i], [0])), shape=(n_pre, n_post))


def _east_of_origin_net(target_model=None):
    """Issue 9 item 1's reproducer: 1024 input lines, all firing every step, feed a population
    placed one tile east of (0, 0) by four 1024-neuron fillers (sequential allocator)."""
    net = sm.Network("east")
    for k in range(4):
        net.population(1024, sm.CubaLIF(du=1, dv=1, vth=1), name=f"filler{k}")
    x = net.input(1024, name="x")
    tgt = net.population(1024, sm.CubaLIF(du=4095, dv=4095, vth=100), name="target")
    net.connect(x, tgt, weights=np.eye(1024, dtype=int) * 3)
    return net


@pytest.mark.parametrize("backend", ["numpy", None])
def test_cycle_mode_starts_every_step_with_an_empty_noc(backend):
    m = sm.map_network(_east_of_origin_net(), "loihi", allocator="sequential")
    assert m.sources[m.slices["target"][0].core].position == (1, 0)
    X = np.ones((40, 1024), int)
    a = sm.Simulator(m, timing="analytic", backend=backend).run(40, inputs={"x": X})
    c = sm.Simulator(m, timing="cycle", backend=backend).run(40, inputs={"x": X})
    assert_array_equal(c.cycles, a.cycles)  # one link, no contention: the models agree
    assert len(set(c.cycles[2:].tolist())) == 1  # steady input, steady steps: no queue carries over
    assert_array_equal(c.timing.latency_s, a.timing.latency_s)
    e_a, e_c = a.energy(), c.energy()
    assert e_c.components("chip")["static"] == pytest.approx(e_a.components("chip")["static"])


@pytest.mark.parametrize("seed", range(4))
def test_cycle_equals_analytic_on_disjoint_routes_and_bounds_it_on_shared_ones(tmp_path, seed):
    """Many steps through one TimingModel each (state must not leak from step to step)."""
    rng = np.random.default_rng(seed)
    m = small_mapping(tmp_path)
    models = {mode: TimingModel(m, mode) for mode in ("analytic", "cycle")}
    ones, act = np.ones(16), np.zeros(16)
    for _ in range(50):
        # disjoint: within each row, core 4r sends east to core 4r + 3 (row r's links only)
        disjoint = [(4 * r, 4 * r + 3, int(rng.integers(1, 200)), 5) for r in range(4)]
        c = {k: tm.step(ones, act, disjoint).cycles for k, tm in models.items()}
        assert c["analytic"] == c["cycle"]
        shared = [(int(rng.integers(0, 16)), int(rng.integers(0, 16)), int(rng.integers(1, 200)),
                   int(rng.integers(0, 50))) for _ in range(12)]  # fmt: skip
        c = {k: tm.step(ones, act, shared).cycles for k, tm in models.items()}
        assert c["analytic"] <= c["cycle"]
