"""docs/extending.md: every recipe done by a test, through exactly the steps the page lists."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
import spikemesh.study
from spikemesh import kernels, noc
from spikemesh.convert import nir_nodes
from spikemesh.emulator import models

HERE = Path(__file__).parent / "extending"
ROOT = Path(sm.__file__).resolve().parent.parent


# ------------------------------------------------------------ recipe 1: a neuron model
def _build_plugin(tmp: Path):
    """Compile tests/extending/toy_shiftleak.pyx against the installed spikemesh's .pxd
    files (what a user's plugin does); None when Cython or a C compiler is missing."""
    if importlib.util.find_spec("Cython") is None or shutil.which("gcc") is None:
        return None
    shutil.copy(HERE / "toy_shiftleak.pyx", tmp)
    code = (
        "from setuptools import setup, Extension\n"
        "from Cython.Build import cythonize\n"
        f"setup(ext_modules=cythonize([Extension('toy_shiftleak', ['toy_shiftleak.pyx'])], "
        f"include_path=[{str(ROOT)!r}], quiet=True), script_args=['build_ext', '--inplace', '-q'])"
    )
    subprocess.run([sys.executable, "-c", code], cwd=tmp, check=True, capture_output=True)
    spec = importlib.util.spec_from_file_location(
        "toy_shiftleak", next(tmp.glob("toy_shiftleak*.so"))
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    from tests.extending import toy_model

    plugin = _build_plugin(tmp_path_factory.mktemp("plugin"))
    toy_model.install(plugin.adapter() if plugin and kernels.compiled else None)
    yield toy_model, plugin
    for table in (models.BINDERS, models.NATIVE, models.LOCATORS):
        table.pop(toy_model.ShiftLeakIF, None)
    kernels.reference.step.ADAPTERS.pop("shift_leak_update", None)
    if kernels.compiled is not None:
        from spikemesh.kernels import _step

        _step.ADAPTERS.pop("shift_leak_update", None)
    sm.neurons.MODELS.pop("ShiftLeakIF", None)


def _toy_net(toy_model, rng):
    net = sm.Network("toy")
    x = net.input(20, name="x")
    a = net.population(30, toy_model.ShiftLeakIF(vth=200, leak_shift=2), name="a")
    b = net.population(10, sm.CubaLIF(du=400, dv=300, vth=40), name="b")
    net.connect(x, a, weights=rng.integers(-20, 120, (20, 30)))
    net.connect(a, a, weights=rng.integers(-60, 10, (30, 30)) * (rng.random((30, 30)) < 0.2),
                delay=2)  # fmt: skip
    net.connect(a, b, weights=rng.integers(0, 100, (30, 10)))
    net.probe(a, "v")
    return net


def test_a_neuron_model_on_the_fast_path_in_two_user_files(toy, rng):
    toy_model, plugin = toy
    with pytest.raises(sm.ParameterError, match="already has an adapter"):
        kernels.register_step("cuba_lif_update", kernels.reference.plain_adapter(len))
    chip = sm.chips.override(
        "loihi2",
        {"core.neuron_models": [*sm.chips.get("loihi2").core.neuron_models, "ShiftLeakIF"]},
    )
    net = _toy_net(toy_model, rng)
    X = (rng.random((50, 20)) < 0.3).astype(int)
    m = sm.map_network(net, chip)
    runs = {}
    for backend in ("numpy", *(["cython"] if kernels.compiled else [])):
        sim = sm.Simulator(m, backend=backend, timing="cycle")
        runs[backend] = sim.run(50, inputs={"x": X})
        k = kernels.get(backend)
        assert (sim._step is not None) == ("shift_leak_update" in k.step_models())
    r = runs["numpy"]
    assert r.total("spikes") > 0 and r.spikes["a"].sum() > 0
    if "cython" in runs:
        c = runs["cython"]
        assert plugin is not None and "shift_leak_update" in kernels.compiled.step_models()
        for name in net.populations:
            assert_array_equal(c.spikes[name], r.spikes[name])
        assert_array_equal(c.probes["a"]["v"], r.probes["a"]["v"])
        assert_array_equal(c.cycles, r.cycles)
        # compiled loop == twin, on the full register range
        n = 4000
        v0 = rng.integers(-(2**23), 2**23, n).astype(np.int32)
        inp = rng.integers(-(2**23), 2**23, n).astype(np.int64)
        params = (5000, 3, -(2**23), 2**23 - 1)
        outs = []
        for k in (kernels.compiled, kernels.reference):
            vv, sp = v0.copy(), np.zeros(n, np.int32)
            got = k.GroupStep("shift_leak_update", (vv, sp), params)(inp, 0)
            outs.append((vv, sp, got))
        assert_array_equal(outs[0][0], outs[1][0])
        assert_array_equal(outs[0][1], outs[1][1])
        assert outs[0][2] == outs[1][2] and outs[0][2][2] > 0  # some clipped


def test_the_toy_model_is_refused_by_a_chip_that_does_not_list_it(toy, rng):
    toy_model, _ = toy
    with pytest.raises(sm.MappingError, match="ShiftLeakIF"):
        sm.map_network(_toy_net(toy_model, rng), "loihi2")


# ------------------------------------------------------------ recipe 2: a chip profile
def test_a_chip_profile_is_one_toml_file(tmp_path, rng):
    (tmp_path / "mychip.toml").write_text(
        'base = "loihi"\n\n[chip]\nname = "mychip"\nclock_hz = 2.0e8\n'
        'unverified = ["clock_hz"]\n\n[mesh]\ntiles_x = 2\ntiles_y = 2\nhost_tile = [1, 1]\n\n'
        "[core]\nneurons = 64\n"
    )
    chip = sm.chips.get(str(tmp_path / "mychip.toml"))
    assert (chip.name, chip.mesh.n_cores, chip.core.neurons) == ("mychip", 16, 64)
    net = sm.Network("n")
    x = net.input(10, name="x")
    net.connect(x, net.population(100, sm.CubaLIF(du=100, dv=100, vth=5), name="p"),
                weights=rng.integers(0, 60, (10, 100)))  # fmt: skip
    m = sm.map_network(net, chip)
    assert m.n_cores == 2 and m.input_source("x").position == (1, 1)
    res = sm.Simulator(m, timing="cycle").run(5, inputs={"x": np.ones((5, 10), int)})
    assert res.cycles.sum() > 0 and res.energy().total("chip") > 0


# ------------------------------------------------------------ recipe 3: an energy model
class PerMessage:
    """Recipe 3: price what the chip's model does not (a flat 2 pJ per spike message)."""

    name = "per_message"
    needs = ("messages",)

    def components(self, c):
        return {"messages": 2e-12 * c["messages"]}


def test_an_energy_model_is_one_class_and_one_line(rng):
    sm.energy.register(PerMessage)
    try:
        net = sm.Network("n")
        x = net.input(10, name="x")
        net.connect(x, net.population(20, sm.CubaLIF(du=100, dv=100, vth=5), name="p"),
                    weights=rng.integers(0, 60, (10, 20)))  # fmt: skip
        res = sm.Simulator(sm.map_network(net, "loihi")).run(5, inputs={"x": np.ones((5, 10), int)})
        rep = res.energy()
        assert rep.total("per_message") == pytest.approx(2e-12 * res.counts()["messages"])
        assert "per_message" in str(rep)
    finally:
        sm.energy.unregister("per_message")


# ------------------------------------------------------------ recipe 4: a routing rule
def test_a_routing_rule_is_one_function_and_a_profile_key(rng):
    def west_first(x0, y0, x1, y1):
        """West hops first, then y, then east (a turn-model rule: no E->W turn)."""
        dx = x1 - x0
        west = np.minimum(dx, 0)
        east = np.maximum(dx, 0)
        n = -west + np.abs(y1 - y0) + east
        ptr = np.concatenate(([0], np.cumsum(n))).astype(np.int64)
        dirs = np.concatenate([
            [noc.WEST] * int(-w) + [noc.NORTH if dy > 0 else noc.SOUTH] * abs(int(dy))
            + [noc.EAST] * int(e)
            for w, dy, e in zip(west, y1 - y0, east, strict=True)
        ] + [np.zeros(0)]).astype(np.int64)  # fmt: skip
        return ptr, dirs

    noc.register_router("west_first", west_first)
    try:
        with pytest.raises(sm.ParameterError, match="already registered"):
            noc.register_router("xy", west_first)  # a built-in name is not replaced silently
        chip = sm.chips.override("loihi", {"mesh.routing": "west_first"})
        mesh = noc.Mesh(chip, [(3, 0), (0, 2), (2, 3)])
        assert [mesh.link_name(k) for k in mesh.path(0, 1).links] == [
            "(3,0)->W", "(2,0)->W", "(1,0)->W", "(0,0)->N", "(0,1)->N",
        ]  # fmt: skip
        assert [mesh.link_name(k) for k in mesh.path(1, 2).links][:3] == [
            "(0,2)->N", "(0,3)->E", "(1,3)->E",
        ]  # fmt: skip
    finally:
        noc.ROUTERS.pop("west_first")
        sm.chips.ROUTINGS.pop("west_first")


# ------------------------------------------------------------ recipe 5: a NIR node
def test_a_nir_node_is_one_register_call(rng):
    nir = pytest.importorskip("nir")
    import scipy.sparse as sp

    @dataclass(eq=False)
    class Gain(nir.NIRNode):
        gain: np.ndarray

        def __post_init__(self):
            self.input_type = {"input": np.array(np.shape(self.gain))}
            self.output_type = {"output": np.array(np.shape(self.gain))}

    nir_nodes.register("Gain", nir_nodes.NodeRule(
        "linear", shape=nir_nodes.same_shape,
        op=lambda name, node, in_shape, dt: (
            sp.diags(np.broadcast_to(np.asarray(node.gain, float).ravel(),
                                     (nir_nodes.size(in_shape),))).tocsr(), None, 0),
    ))  # fmt: skip
    with pytest.raises(sm.ParameterError, match="already has a rule"):
        nir_nodes.register("Affine", nir_nodes.NODES["Gain"])
    try:
        w = rng.uniform(0, 4, (6, 8))
        g = np.full(6, 0.5)
        lif = dict(tau=np.full(6, 0.005), r=np.ones(6), v_leak=np.zeros(6),
                   v_threshold=np.ones(6), v_reset=np.zeros(6))  # fmt: skip

        def graph(with_gain):
            nodes = {"in": nir.Input(input_type=np.array([8])), "fc": nir.Linear(weight=w),
                     "lif": nir.LIF(**lif), "out": nir.Output(output_type=np.array([6]))}  # fmt: skip
            edges = [("in", "fc"), ("lif", "out")]
            if with_gain:
                nodes["fc"] = nir.Linear(weight=w)
                nodes["g"] = Gain(g)
                edges += [("fc", "g"), ("g", "lif")]
            else:
                nodes["fc"] = nir.Linear(weight=w * g[:, None])
                edges += [("fc", "lif")]
            return nir.NIRGraph(nodes=nodes, edges=edges)

        X = (rng.random((40, 8)) < 0.3).astype(int)
        outs = []
        for with_gain in (True, False):
            net = sm.convert.from_nir(graph(with_gain), "loihi", dt=1e-3)
            res = sm.Simulator(sm.map_network(net, "loihi")).run(40, inputs={"in": X})
            outs.append(res.spikes["lif"])
        assert_array_equal(outs[0], outs[1])
        assert outs[0].sum() > 0
    finally:
        nir_nodes.NODES.pop("Gain")
    with pytest.raises(sm.SpikemeshError, match="unsupported type Gain"):
        sm.convert.from_nir(graph(True), "loihi", dt=1e-3)


# ------------------------------------------------------------ recipe 6: a study
def test_a_study_is_a_build_an_evaluate_and_a_grid(tmp_path):
    from tests.extending import toy_study

    store = tmp_path / "study.sqlite"
    res = sm.study.sweep(toy_study.build, toy_study.GRID, toy_study.evaluate, store=store,
                         workers=1, progress=False)  # fmt: skip
    assert len(res.records) == 4 and all(r.get("error") is None for r in res.records)
    spikes = {(r["chip"], r["vth"]): r["spikes"] for r in res.records}
    assert spikes[("loihi", 5)] > spikes[("loihi", 40)] > 0
    again = sm.study.sweep(toy_study.build, toy_study.GRID, toy_study.evaluate, store=store,
                           workers=1, progress=False)  # fmt: skip
    assert [r["spikes"] for r in again.records] == [r["spikes"] for r in res.records]


def test_registries_refuse_to_replace_a_rule_silently():
    """A rule table keeps what it has: registering a taken name is an error, not a swap."""
    import importlib

    from spikemesh.convert import layers

    # the module (spikemesh.convert.quantize is also the name of the function it exports)
    quantize = importlib.import_module("spikemesh.convert.quantize")
    with pytest.raises(sm.ParameterError, match="Dense already has a rule"):
        quantize.register(layers.Dense, lambda ly, at: None)
    assert quantize.RULES[layers.Dense].logits
