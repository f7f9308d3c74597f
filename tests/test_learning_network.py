"""Plastic projections in a mapped, running network (issue 29): the simulator's learn phase
equals the learning engine fed the run's own spikes, on both backends and across cores; the
new weights are what the cores deliver next; counts, timing, energy and files carry them."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sps

import spikemesh as sm
from spikemesh import kernels
from spikemesh.exceptions import MappingError, ParameterError, ShapeError, SpikemeshError
from spikemesh.fixedpoint import quantize_weights
from spikemesh.learning import STDP, LearningRule, Plasticity

BACKENDS = ["numpy"] + (["cython"] if kernels.compiled is not None else [])
STEPS = 60


def _stdp(t_epoch=2, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return STDP(learning_rate=1, A_plus=2, A_minus=-2, tau_plus=8, tau_minus=8,
                    t_epoch=t_epoch, **kw)  # fmt: skip


def _net(rule, n_in=12, n_h=10, n_o=6, sparse=False, sign_mode=None, seed=0):
    rng = np.random.default_rng(seed)
    net = sm.Network("plastic")
    x = net.input(n_in, name="x")
    h = net.population(n_h, sm.CubaLIF(du=1024, dv=512, vth=300), name="h")
    o = net.population(n_o, sm.CubaLIF(du=1024, dv=512, vth=300), name="o")
    w1 = rng.integers(0, 120, (n_in, n_h))
    if sparse:
        w1 = sps.random(n_in, n_h, density=0.5, random_state=seed, format="csr",
                        data_rvs=lambda k: rng.integers(1, 120, k))  # fmt: skip
    p1 = net.connect(x, h, weights=w1, learning=rule, weight_exp=2, sign_mode=sign_mode)
    p2 = net.connect(h, o, weights=rng.integers(-60, 120, (n_h, n_o)), learning=rule,
                     weight_exp=2, name="h->o")  # fmt: skip
    net.probe(p1, "weights")
    return net, p1, p2, rng


def _replay(proj, rule, pre, post, seed=0):
    """The learning engine alone, fed the run's recorded spikes."""
    mode = proj.sign_mode
    eng = Plasticity(rule, proj.pre_idx, proj.post_idx, proj.pre.n, proj.post.n,
                     quantize_weights(proj.weight, 8, mode), sign_mode=mode, rng_seed=seed)  # fmt: skip
    hist = []
    for t in range(pre.shape[0]):
        if eng.step(pre[t] != 0, post[t] != 0):
            w = np.zeros((proj.pre.n, proj.post.n), np.int64)
            w[proj.pre_idx, proj.post_idx] = eng.vars["weights"]
            hist.append(w)
    return hist, eng


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sparse", [False, True])
def test_run_equals_the_engine_fed_its_spikes(backend, sparse):
    rule = _stdp(t_epoch=3)
    net, p1, p2, rng = _net(rule, sparse=sparse)
    # two neurons per core: both plastic projections span several cores
    chip = sm.chips.override("loihi", {"core.neurons": 2})
    m = sm.map_network(net, chip)
    assert m.n_cores > 4
    assert "plastic: 'x->h' learns by STDP" in m.report()
    x = (rng.random((STEPS, 12)) < 0.4).astype(np.int32)
    res = sm.Simulator(m, backend=backend, seed=5).run(STEPS, {"x": x})
    hist1, _ = _replay(p1, rule, x, res.spikes["h"], seed=5)
    hist2, _ = _replay(p2, rule, res.spikes["h"], res.spikes["o"], seed=5)
    np.testing.assert_array_equal(res.weights[p1], hist1[-1])
    np.testing.assert_array_equal(res.weights["h->o"], hist2[-1])
    np.testing.assert_array_equal(res.weight_history[p1.name], np.stack(hist1))
    assert res.weight_steps[p1.name].tolist() == list(range(2, STEPS, 3))
    assert not np.array_equal(hist1[-1], hist1[0]), "the rule must have moved some weight"
    epochs = STEPS // 3
    assert res.total("synaptic_updates") == (p1.n_synapses + p2.n_synapses) * epochs
    per_step = res.counters["synaptic_updates"].sum(axis=1)
    assert set(np.flatnonzero(per_step).tolist()) == set(range(2, STEPS, 3))


def test_backends_agree_and_learning_changes_what_is_delivered():
    if len(BACKENDS) < 2:
        pytest.skip("compiled kernels not built")
    rule = _stdp(t_epoch=1)
    net, p1, _, rng = _net(rule, seed=3)
    net.probe(net.populations["o"], "u")
    m = sm.map_network(net, "loihi")
    x = (rng.random((STEPS, 12)) < 0.5).astype(np.int32)
    runs = [sm.Simulator(m, backend=b).run(STEPS, {"x": x}) for b in BACKENDS]
    for name in ("h", "o"):
        np.testing.assert_array_equal(runs[0].spikes[name], runs[1].spikes[name])
    np.testing.assert_array_equal(runs[0].probes["o"]["u"], runs[1].probes["o"]["u"])
    np.testing.assert_array_equal(runs[0].weights[p1], runs[1].weights[p1])
    # the same network without learning delivers other currents: the new weights are used
    static = sm.Network("static")
    xs = static.input(12, name="x")
    hs = static.population(10, net.populations["h"].neuron, name="h")
    os_ = static.population(6, net.populations["o"].neuron, name="o")
    static.connect(xs, hs, weights=p1.dense(), weight_exp=2, sign_mode=None)
    static.connect(hs, os_, weights=net.projections[1].dense(), weight_exp=2)
    static.probe(os_, "u")
    ms = sm.map_network(static, "loihi")
    rs = sm.Simulator(ms).run(STEPS, {"x": x})
    assert not np.array_equal(rs.probes["o"]["u"], runs[0].probes["o"]["u"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_weights_written_are_delivered_from_the_next_step(backend):
    """A rule that only depresses: after the first epoch every weight is its old value minus
    the rule's step; the post current of the step after shows the new weights."""
    rule = LearningRule(dw="-2^2 * u0", t_epoch=4)
    net = sm.Network("dep")
    x = net.input(3, name="x")
    h = net.population(2, sm.CubaLIF(du=4095, dv=0, vth=131071), name="h")
    w = np.array([[40, 20], [10, 0], [100, 60]])
    p = net.connect(x, h, weights=w, learning=rule)
    net.probe(h, "u")
    m = sm.map_network(net, "loihi")
    spikes = np.zeros((12, 3), np.int32)
    spikes[:, 0] = 1  # axon 0 fires every step
    res = sm.Simulator(m, backend=backend).run(12, {"x": spikes})
    # epochs end at steps 3, 7, 11; u0 holds every epoch: weights drop by 4 each time
    stored = quantize_weights(w, 8, "mixed")
    np.testing.assert_array_equal(res.weights[p], stored - 4 * 3)
    u = res.probes["h"]["u"]
    # du=4095 keeps ~nothing of the old current: u[t] is the weight row 0 delivered at t-1
    scale = u[1, 0] // stored[0, 0]
    assert u[4, 0] == scale * stored[0, 0]  # sent in step 3 (epoch end): still old weights
    assert u[5, 0] == scale * (stored[0, 0] - 4)  # sent in step 4: the new weights


def test_timing_and_energy_price_the_updates():
    rule = _stdp(t_epoch=5)
    net, p1, p2, rng = _net(rule)
    m = sm.map_network(net, "loihi")
    x = (rng.random((20, 12)) < 0.4).astype(np.int32)
    with_t = sm.Simulator(m, timing="analytic").run(20, {"x": x})
    chip = sm.chips.get("loihi")
    # the same run priced without the learning phase: the epoch-end steps are longer by the
    # busiest core's updates x synaptic_update_ns (1 cycle = 1 ns on loihi)
    upd = with_t.counters["synaptic_updates"]
    busiest = upd.max(axis=1)
    ns = chip.timing["synaptic_update_ns"]
    from spikemesh.emulator.timing import replay

    base = replay(m, "analytic", with_t.counters["neuron_updates"],
                  with_t.counters["state_changes"], with_t.counters["spikes"], with_t.packets)  # fmt: skip
    extra = with_t.cycles - base.cycles
    assert extra.tolist() == [math.ceil(b * ns) for b in busiest]
    assert busiest[4] == p1.n_synapses + p2.n_synapses  # one core holds both
    rep = with_t.energy()
    n_upd = with_t.total("synaptic_updates")
    assert n_upd == (p1.n_synapses + p2.n_synapses) * 4
    assert rep.components("chip")["learning"] == pytest.approx(n_upd * 120e-12)
    assert set(rep.left_out) == {"synops", "bitbudget", "ann"}
    assert f"learning: {n_upd:,} synaptic updates, not priced by synops" in str(rep)
    # an energy set without the figure says so
    rep2 = with_t.energy(energy_set="sanafe_silicon")
    assert "chip" in rep2.left_out and rep2.components("chip")["learning"] == 0
    # estimate() takes the count too
    est = sm.energy.estimate("loihi", {"synaptic_updates": 1000, "synaptic_events": 10,
                                       "neuron_updates": 10, "elapsed_s": 1e-6}, 1)  # fmt: skip
    assert est.components("chip")["learning"] == pytest.approx(1000 * 120e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_critical_path_is_the_slowest_step_with_its_learning_phase(backend):
    """Epoch ends are the slowest steps once their learning phase is added: the critical path
    names that step (its spike phase replayed), the learning cycles and the busiest core;
    the per-step and compiled paths agree."""
    rule = _stdp(t_epoch=5)
    net, _, _, rng = _net(rule)
    x = (rng.random((20, 12)) < 0.4).astype(np.int32)
    res = sm.Simulator(sm.map_network(net, "loihi"), timing="analytic", backend=backend).run(
        20, {"x": x})  # fmt: skip
    cp = res.timing.critical_path
    assert cp["step"] == int(np.argmax(res.cycles))
    upd = res.counters["synaptic_updates"][cp["step"]]
    ns = sm.chips.get("loihi").timing["synaptic_update_ns"]
    assert cp["learning_cycles"] == math.ceil(upd.max() * ns) > 0
    assert cp["learning_core"] == int(np.argmax(upd))
    assert {"core", "finish_cycles", "barrier_cycles"} <= set(cp)  # the spike phase's path
    strict = sm.Simulator(
        sm.map_network(net, "loihi"), timing="analytic", backend=backend, overflow="raise"
    ).run(20, {"x": x})  # fmt: skip (the per-step path)
    assert strict.timing.critical_path == cp


def test_no_timing_run_prices_the_learning_phase_in_its_elapsed_time():
    rule = _stdp(t_epoch=5)
    net, *_ = _net(rule)
    m = sm.map_network(net, "loihi")
    x = np.ones((10, 12), np.int32)
    a = sm.Simulator(m, timing="analytic").run(10, {"x": x})
    b = sm.Simulator(m).run(10, {"x": x})
    assert a.counts().elapsed_s == pytest.approx(b.counts().elapsed_s)


def test_files_round_trip(tmp_path):
    rule = _stdp(t_epoch=2, rng_seed=9)
    net, p1, _, rng = _net(rule, sign_mode="excitatory")
    net.save(tmp_path / "n.npz")
    back = sm.Network.load(tmp_path / "n.npz")
    q = back.projections[0]
    assert q.learning == rule and q.sign_mode == "excitatory"
    assert [p.name for p in back.weight_probes] == [p1.name]
    for a, b in zip(net.projections, back.projections, strict=True):
        assert (a.name, a.learning, a.sign_mode) == (b.name, b.learning, b.sign_mode)
        np.testing.assert_array_equal(a.weight, b.weight)
    m = sm.map_network(net, "loihi")
    x = (rng.random((10, 12)) < 0.5).astype(np.int32)
    res = sm.Simulator(m).run(10, {"x": x})
    res.save(tmp_path / "r.npz")
    got = sm.SimulationResult.load(tmp_path / "r.npz", m)
    np.testing.assert_array_equal(got.weights[p1], res.weights[p1])
    np.testing.assert_array_equal(got.weight_history[p1.name], res.weight_history[p1.name])
    assert got.counts().synaptic_updates == res.counts().synaptic_updates
    assert (res.weights[p1] >= 0).all()  # excitatory synapses saturate at 0


def test_same_seed_same_weights_and_reset():
    rule = _stdp(t_epoch=2)
    net, p1, _, rng = _net(rule)
    m = sm.map_network(net, "loihi")
    x = (rng.random((30, 12)) < 0.5).astype(np.int32)
    sim = sm.Simulator(m, seed=3)
    a = sim.run(30, {"x": x}).weights[p1]
    sim.reset()
    b = sim.run(30, {"x": x}).weights[p1]
    np.testing.assert_array_equal(a, b)
    # a run continued in two calls learns what one call learns
    sim.reset()
    sim.run(13, {"x": x[:13]})
    c = sim.run(17, {"x": x[13:]}).weights[p1]
    np.testing.assert_array_equal(a, c)
    # the mapping's tables are never written
    assert not any(core.table.weights.flags.writeable for core in m.cores)


def test_refusals_name_the_problem():
    rule = _stdp()
    net = sm.Network("bad")
    x = net.input(3, name="x")
    h = net.population(2, sm.CubaLIF(du=1, dv=1, vth=10), name="h")
    with pytest.raises(ParameterError, match="8-bit weights"):
        net.connect(x, h, weights=np.ones((3, 2), int), learning=rule, weight_bits=6)
    with pytest.raises(ParameterError, match="sign_mode: must be one of"):
        net.connect(x, h, weights=np.ones((3, 2), int), learning=rule, sign_mode="both")
    with pytest.raises(ParameterError, match="only a plastic projection"):
        net.connect(x, h, weights=np.ones((3, 2), int), sign_mode="mixed")
    with pytest.raises(ParameterError, match="excitatory plastic synapse group holds"):
        net.connect(x, h, weights=-np.ones((3, 2), int), learning=rule, sign_mode="excitatory")
    with pytest.raises(ParameterError, match="must be a LearningRule or STDP"):
        net.connect(x, h, weights=np.ones((3, 2), int), learning="stdp")
    with pytest.raises(ShapeError, match=r"must have shape \(3, 2\)"):
        net.connect(x, h, weights=np.ones((2, 2), int), learning=rule)
    static = net.connect(x, h, weights=np.ones((3, 2), int), name="s")
    with pytest.raises(ParameterError, match="another projection is called 's'"):
        net.connect(x, h, weights=np.ones((3, 2), int), learning=rule, name="s")
    with pytest.raises(ParameterError, match="records 'weights', of a plastic projection"):
        net.probe(static, "weights")
    p = net.connect(x, h, weights=np.zeros((3, 2), int), learning=rule)
    assert p.n_synapses == 6  # every pair of a dense array is a synapse
    with pytest.raises(ParameterError, match="records 'weights'"):
        net.probe(p, "v")
    with pytest.raises(MappingError, match="truenorth has no learning engine"):
        tn = sm.Network("tn")
        a = tn.input(2, name="a")
        b = tn.population(2, sm.TrueNorthNeuron(weights=(1, 0, 0, 0)), name="b")
        tn.connect(a, b, weights=np.ones((2, 2), int), learning=rule)
        sm.map_network(tn, "truenorth")
    res = sm.Simulator(sm.map_network(net, "loihi")).run(3)
    with pytest.raises(KeyError, match="no plastic projection 's'"):
        res.weights["s"]


def test_load_refuses_a_damaged_rule(tmp_path):
    import json
    import zipfile

    rule = _stdp()
    net, *_ = _net(rule)
    net.save(tmp_path / "n.npz")
    with np.load(tmp_path / "n.npz") as z:
        data = {k: z[k] for k in z.files}
    meta = json.loads(str(data["__meta__"]))
    meta["projections"][0]["learning"] = {"kind": "Hebb", "args": {}}
    data["__meta__"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "bad.npz", **data)
    assert zipfile.is_zipfile(tmp_path / "bad.npz")
    with pytest.raises(SpikemeshError, match="kind"):
        sm.Network.load(tmp_path / "bad.npz")


def test_a_weight_that_outgrows_the_compact_runs_is_still_delivered():
    """Depression to -256 at weight_exp 7 gives an effective weight of -32768, outside the
    compiled delivery's int16 runs: it rebuilds them (refresh) instead of rewriting single
    weights (refresh_at), and both backends agree step by step."""
    if len(BACKENDS) < 2:
        pytest.skip("compiled kernels not built")
    rule = LearningRule(dw="-2^3 * u0", t_epoch=1)
    net = sm.Network("deep")
    x = net.input(4, name="x")
    h = net.population(3, sm.CubaLIF(du=4095, dv=0, vth=131071), name="h")
    p = net.connect(x, h, weights=np.full((4, 3), 100), weight_exp=7, learning=rule)
    net.probe(h, "u")
    m = sm.map_network(net, "loihi")
    x_in = np.ones((60, 4), np.int32)
    runs = [sm.Simulator(m, backend=b, overflow="wrap").run(60, {"x": x_in}) for b in BACKENDS]
    assert runs[0].weights[p].min() == -256
    np.testing.assert_array_equal(runs[0].weights[p], runs[1].weights[p])
    np.testing.assert_array_equal(runs[0].probes["h"]["u"], runs[1].probes["h"]["u"])


def test_docs_learning_snippet_prints_what_the_page_says():
    """docs/learning.md's plastic-projection example runs and prints the output pasted below
    it (same seed, same result)."""
    import contextlib
    import io
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "learning.md").read_text()
    code = re.search(r"## Plastic projections\n\n```python\n(.*?)```", page, re.S).group(1)
    shown = re.search(r"## Plastic projections.*?prints \(.*?\):\n\n```\n(.*?)```", page, re.S)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "docs/learning.md", "exec"), {})
    assert buf.getvalue().strip() == shown.group(1).strip()


def test_a_seed_beyond_the_trace_range_is_folded_with_a_warning():
    net, _, _, rng = _net(_stdp(t_epoch=5))
    m = sm.map_network(net, "loihi")
    big = 2**63 - 4 + 7
    with pytest.warns(sm.SpikemeshWarning, match="folded to 7"):
        a = sm.Simulator(m, seed=big)
    x = (rng.random((10, 12)) < 0.4).astype(np.int32)
    b = sm.Simulator(m, seed=7)
    np.testing.assert_array_equal(
        a.run(10, {"x": x}).weights["x->h"], b.run(10, {"x": x}).weights["x->h"]
    )
