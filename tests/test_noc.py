"""Routes as arrays: one route table per mapping, read by both timing engines and the hop
counts; the routing rule and the host tile come from the profile."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh import noc
from spikemesh.exceptions import ParameterError, ProfileError
from tests.networks import deep_net, make_profile


def walk_xy(mesh, src, dst):
    """An independent XY walker (tile by tile), the specification of the table's rows."""
    m = mesh.chip.mesh
    (x, y), (x1, y1) = mesh.positions[src], mesh.positions[dst]
    links, cross = [], 0
    while (x, y) != (x1, y1):
        if x != x1:
            d, nx, ny = (noc.EAST, x + 1, y) if x1 > x else (noc.WEST, x - 1, y)
        else:
            d, nx, ny = (noc.NORTH, x, y + 1) if y1 > y else (noc.SOUTH, x, y - 1)
        links.append(mesh.link_id(x, y, d))
        cross += (nx // m.tiles_x != x // m.tiles_x) or (ny // m.tiles_y != y // m.tiles_y)
        x, y = nx, ny
    return links, cross


def test_route_table_equals_a_tile_by_tile_xy_walk_on_a_board(rng):
    chip = sm.chips.get("loihi_board")
    w, h = chip.mesh.tiles_x * chip.mesh.chips_x, chip.mesh.tiles_y * chip.mesh.chips_y
    pos = [(int(rng.integers(w)), int(rng.integers(h))) for _ in range(60)]
    mesh = noc.Mesh(chip, pos)
    src, dst = rng.integers(0, 60, 400), rng.integers(0, 60, 400)
    ids = mesh.route_ids(src, dst)
    t = mesh.table
    assert t.n_pairs == len(set(zip(src.tolist(), dst.tolist(), strict=True)))
    for k in range(400):
        links, cross = walk_xy(mesh, int(src[k]), int(dst[k]))
        r = ids[k]
        assert t.link[t.ptr[r] : t.ptr[r + 1]].tolist() == links
        assert t.crossings[r] == cross and t.ew[r] + t.ns[r] == len(links)
        lat = t.latency[t.ptr[r] : t.ptr[r + 1]]
        ft = t.flit_time[t.ptr[r] : t.ptr[r + 1]]
        assert (lat == mesh.chip_link_latency).sum() >= cross
        assert t.max_flit_time[r] == (ft.max() if len(links) else 0)
    assert not t.link.flags.writeable and not t.ptr.flags.writeable


def test_the_mapping_routes_its_pairs_once_and_hops_read_the_table(rng, tmp_path):
    net = deep_net(rng)
    m = sm.map_network(net, make_profile(tmp_path, neurons=4, input_axons=40))
    mesh = m.mesh()
    src, dst = m.pairs()
    assert mesh.table.n_pairs == len(src) > 0
    before = mesh.table
    mesh.route_ids(src, dst)  # every pair is there: the table is not rebuilt
    assert mesh.table is before
    pos = np.array([s.position for s in m.sources])
    manhattan = sum(
        int(np.abs(pos[r.dest] - pos[s.index]).sum())
        for s, r in zip(m.sources, m.routes(), strict=True)
    )
    assert m.hops()["total"] == manhattan  # XY routes are shortest


def yx_profile():
    return sm.chips.override("loihi", {"mesh.routing": "yx"}, name="loihi-yx")


def test_yx_routing_from_the_profile_changes_links_not_spikes(rng, tmp_path):
    net = deep_net(rng)
    small = make_profile(
        tmp_path, neurons=4, input_axons=40, tiles_x=4, tiles_y=8, cores_per_tile=1
    )
    X = rng.integers(0, 2, (40, 30)) * (rng.random((40, 30)) < 0.4)
    runs = {}
    for chip in (small, sm.chips.override(small, {"mesh.routing": "yx"}, name="loihi-yx")):
        m = sm.map_network(net, chip, allocator="sequential")
        runs[m.chip.name] = {
            eng: sm.Simulator(m, timing="cycle", noc=eng).run(40, inputs={"x": X})
            for eng in ("engine", "simpy")
        }
    xy, yx = runs["custom"], runs["loihi-yx"]
    for r in (xy, yx):  # both engines walk the same table
        assert_array_equal(r["engine"].cycles, r["simpy"].cycles)
        assert r["engine"].timing.link_flits == r["simpy"].timing.link_flits
    for name in net.populations:
        assert_array_equal(xy["engine"].spikes[name], yx["engine"].spikes[name])
    assert xy["engine"].timing.link_flits != yx["engine"].timing.link_flits
    assert sum(xy["engine"].timing.link_flits.values()) == sum(
        yx["engine"].timing.link_flits.values()
    )  # same hop count per route: both are shortest paths
    mesh = noc.Mesh(yx_profile(), [(0, 0), (2, 3)])
    assert [mesh.link_name(k) for k in mesh.path(0, 1).links] == [
        "(0,0)->N", "(0,1)->N", "(0,2)->N", "(0,3)->E", "(1,3)->E",
    ]  # fmt: skip


def test_host_tile_is_a_profile_key(rng):
    net = deep_net(rng)
    chip = sm.chips.override("loihi", {"mesh.host_tile": [7, 3]}, name="host-far")
    m0 = sm.map_network(net, "loihi", allocator="sequential")
    m1 = sm.map_network(net, chip, allocator="sequential")
    assert m1.input_source("x").position == (7, 3) and m0.input_source("x").position == (0, 0)
    assert m1.hops()["input x"] > m0.hops()["input x"]
    assert sm.chips.get("loihi").mesh.host_tile == (0, 0)
    assert chip.to_dict()["mesh"]["host_tile"] == [7, 3]


@pytest.mark.parametrize(
    "key,value,says",
    [
        ("mesh.host_tile", [8, 0], "must be a tile of the 8 x 4 mesh"),
        ("mesh.host_tile", [1], "must be [x, y]"),
        ("mesh.host_tile", "0,0", "must be [x, y]"),
        ("mesh.routing", "zigzag", "unknown routing rule; registered: xy, yx"),
        ("mesh.routing", 3, "must be a string"),
    ],
)
def test_bad_mesh_keys_are_named(key, value, says):
    with pytest.raises(ProfileError, match=r"\[mesh\] " + key.split(".")[1]) as e:
        sm.chips.override("loihi", {key: value})
    assert says in str(e.value)


def test_a_registered_router_is_one_function_and_a_profile_line():
    """docs/extending.md, "A routing rule": a rule that goes x first, except that it takes y
    first on odd source rows (west-first style turn restrictions are the same few lines)."""

    def odd_rows_yx(x0, y0, x1, y1):
        """x first on even rows, y first on odd ones."""
        pxy, dxy = noc.route_xy(x0, y0, x1, y1)
        _, dyx = noc.route_yx(x0, y0, x1, y1)
        odd = np.repeat(y0 % 2 == 1, np.diff(pxy))
        return pxy, np.where(odd, dyx, dxy)

    noc.register_router("odd_rows_yx", odd_rows_yx)
    try:
        chip = sm.chips.override("loihi", {"mesh.routing": "odd_rows_yx"})
        mesh = noc.Mesh(chip, [(0, 0), (0, 1), (2, 3)])
        assert mesh.link_name(mesh.path(0, 2).links[0]) == "(0,0)->E"
        assert mesh.link_name(mesh.path(1, 2).links[0]) == "(0,1)->N"
    finally:
        noc.ROUTERS.pop("odd_rows_yx")
        sm.chips.ROUTINGS.pop("odd_rows_yx")


def test_a_router_that_leaves_the_mesh_is_refused():
    noc.register_router("bad", lambda x0, y0, x1, y1: (np.array([0, 1]), np.array([1])))
    try:
        chip = sm.chips.override("loihi", {"mesh.routing": "bad"})
        mesh = noc.Mesh(chip, [(0, 0), (1, 0)])
        with pytest.raises(ParameterError, match="routing rule 'bad' leaves the mesh"):
            mesh.route_ids([0], [1])
    finally:
        noc.ROUTERS.pop("bad")
        sm.chips.ROUTINGS.pop("bad")
    with pytest.raises(ParameterError, match=r"must be in 0\.\.1"):
        noc.Mesh(sm.chips.get("loihi"), [(0, 0), (1, 0)]).route_ids([0], [5])
