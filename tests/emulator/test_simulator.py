"""Network -> map_network -> Simulator, bit-exact against an independent plain loop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from tests.golden import loihi_layer
from tests.networks import deep_net, make_profile


def layer_net(rng, n_in=12, n=9, delays=False, weight_exp=0, weight_bits=8, recurrent=False,
              refract=1, u0=None, v0=None, bias=0):  # fmt: skip
    W = rng.integers(-256, 256, (n_in, n))
    W[rng.random(W.shape) < 0.3] = 0
    D = rng.integers(1, 6, (n_in, n)) if delays else 1
    R = (
        np.where(rng.random((n, n)) < 0.3, rng.integers(-120, 120, (n, n)), 0)
        if recurrent
        else None
    )
    net = sm.Network("layer")
    x = net.input(n_in, name="x")
    initial = {k: v for k, v in (("u", u0), ("v", v0)) if v is not None}
    h = net.population(n, sm.CubaLIF(du=300, dv=200, vth=60, refract_delay=refract,
                                     bias_mant=bias), name="h", initial=initial)  # fmt: skip
    net.connect(x, h, weights=W, delay=D, weight_exp=weight_exp, weight_bits=weight_bits)
    if recurrent:
        net.connect(h, h, weights=R)
    net.probe(h, "u")
    net.probe(h, "v")
    return net, W, D, R


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(delays=True),
        dict(weight_exp=3, weight_bits=6),
        dict(weight_exp=-4),
        dict(recurrent=True, refract=3),
        dict(u0="edge", v0="edge", bias=4000),
    ],
)
def test_simulator_matches_plain_loop(backend, rng, kw):
    n_in, n, steps = 12, 9, 60
    if kw.get("u0") == "edge":
        kw = dict(kw, u0=rng.integers(-(2**23), 2**23, n), v0=rng.integers(-(2**23) + 1, 2**23, n))
    net, W, D, R = layer_net(rng, n_in, n, **kw)
    X = (rng.random((steps, n_in)) < 0.3).astype(np.int32)
    res = sm.Simulator(sm.map_network(net, "loihi"), backend=backend).run(steps, inputs={"x": X})
    U, V, S = loihi_layer(
        W.tolist(), X.tolist(), 300, 200, 60, bias=kw.get("bias", 0),
        refract_delay=kw.get("refract", 1), weight_exp=kw.get("weight_exp", 0),
        weight_bits=kw.get("weight_bits", 8),
        u0=kw["u0"].tolist() if "u0" in kw else 0, v0=kw["v0"].tolist() if "v0" in kw else 0,
        delays=D.tolist() if isinstance(D, np.ndarray) else 1,
        recurrent=R.tolist() if R is not None else None,
    )  # fmt: skip
    assert_array_equal(res.probes["h"]["u"], U)
    assert_array_equal(res.probes["h"]["v"], V)
    assert_array_equal(res.spikes["h"], S)
    assert res.spikes["h"].sum() > 0


@pytest.mark.parametrize("chip,model", [("loihi", "CubaLIF"), ("loihi2", "IF")])
def test_splitting_over_tiny_cores_changes_no_spike(rng, tmp_path, chip, model):
    net = deep_net(rng, model)
    hi = 7 if model == "IF" else 1
    X = rng.integers(0, hi + 1, (80, 30)) * (rng.random((80, 30)) < 0.35)
    whole = sm.map_network(net, chip)
    tiny = sm.map_network(net, make_profile(tmp_path, base=chip, neurons=4, input_axons=40))
    assert whole.n_cores == 1 and tiny.n_cores > 15
    r1 = sm.Simulator(whole).run(80, inputs={"x": X})
    r2 = sm.Simulator(tiny).run(80, inputs={"x": X})
    for name in net.populations:
        assert_array_equal(r1.spikes[name], r2.spikes[name])
        assert_array_equal(r1.probes[name]["v"], r2.probes[name]["v"])
        assert r1.spikes[name].any()
    if model == "IF":
        assert (np.abs(r1.spikes["c"]) > 1).any() and (r1.spikes["c"] < 0).any()  # graded, bipolar
    # the same synaptic work, now spread over cores and crossing the mesh as packets
    assert r1.total("synaptic_events") == r2.total("synaptic_events")
    assert r2.total("packets") > r1.total("packets")


def test_synaptic_events_equal_spikes_times_fanout(rng):
    net = deep_net(rng)
    X = (rng.random((50, 30)) < 0.3).astype(int)
    res = sm.Simulator(sm.map_network(net, "loihi")).run(50, inputs={"x": X})
    expected = 0
    for proj in net.projections:
        fan = np.bincount(proj.pre_idx, minlength=proj.pre.n)
        spikes = X if proj.pre.name == "x" else res.spikes[proj.pre.name]
        # events are counted at the destination core in the step the spike was emitted
        # (delivered into the delay ring then, whatever the delay)
        expected += int(((spikes != 0).astype(int) @ fan).sum())
    assert res.total("synaptic_events") == expected


def test_run_continues_and_reset_restarts(rng):
    net = deep_net(rng)
    X = (rng.random((60, 30)) < 0.3).astype(int)
    sim = sm.Simulator(sm.map_network(net, "loihi"))
    full = sim.run(60, inputs={"x": X})
    sim.reset()
    part1 = sim.run(25, inputs={"x": X[:25]})
    part2 = sim.run(35, inputs={"x": X[25:]})
    assert part2.t0 == 25 and sim.t == 60
    for name in net.populations:
        assert_array_equal(np.vstack([part1.spikes[name], part2.spikes[name]]), full.spikes[name])
    sim.reset()
    again = sim.run(60, inputs={"x": X})
    assert_array_equal(again.spikes["c"], full.spikes["c"])


def test_backends_agree_exactly(rng):
    net = deep_net(rng, "IF")
    X = rng.integers(0, 8, (40, 30)) * (rng.random((40, 30)) < 0.3)
    m = sm.map_network(net, "loihi2")
    r = [sm.Simulator(m, backend=b).run(40, inputs={"x": X}) for b in ("cython", "numpy")]
    for name in net.populations:
        assert_array_equal(r[0].spikes[name], r[1].spikes[name])
    for key in r[0].counters:
        assert_array_equal(r[0].counters[key], r[1].counters[key])


def test_bad_inputs_fail_before_any_step(rng):
    net = deep_net(rng)
    sim = sm.Simulator(sm.map_network(net, "loihi"))
    with pytest.raises(sm.ParameterError, match=r"has no input 'y'; its inputs are: x"):
        sim.run(5, inputs={"y": np.zeros((5, 30))})
    with pytest.raises(
        sm.ShapeError,
        match=r"inputs\['x'\]: must have shape \(steps, n\) = \(5, 30\) or \(steps, \*shape\) with 30 values per step \(got \(5, 29\)\)",
    ):
        sim.run(5, inputs={"x": np.zeros((5, 29))})
    with pytest.raises(
        sm.ParameterError, match=r"inputs\['x'\].values: values must be in 0\.\.1 \(got 2\)"
    ):
        sim.run(5, inputs={"x": np.full((5, 30), 2)})
    with pytest.raises(sm.DTypeError, match=r"whole numbers"):
        sim.run(5, inputs={"x": np.full((5, 30), 0.5)})
    assert sim.t == 0
    with pytest.raises(
        sm.ParameterError,
        match=r"timing: must be one of 'none', 'analytic', 'cycle' \(got 'fast'\)",
    ):
        sm.Simulator(sim.mapping, timing="fast")


def test_same_seed_same_result(rng):
    net = deep_net(rng)
    X = (rng.random((30, 30)) < 0.3).astype(int)
    m = sm.map_network(net, "loihi")
    a = sm.Simulator(m, seed=5).run(30, inputs={"x": X})
    b = sm.Simulator(m, seed=5).run(30, inputs={"x": X})
    assert_array_equal(a.spikes["c"], b.spikes["c"])


# ------------------------------------------------------------------ issue 9 item 9: overflow modes
def _overflowing(model):
    net = sm.Network("ovf")
    x = net.input(8, name="x")
    if model == "CubaLIF":  # 8 inputs x 255 << 6 << 7 = 16.7 M > 2^21: q wraps (22 bits)
        p = net.population(3, sm.CubaLIF(du=0, dv=0, vth=131071), name="quiet")
        q = net.population(5, sm.CubaLIF(du=0, dv=0, vth=131071), name="loud")
        net.connect(x, q, weights=np.full((8, 5), 255), weight_exp=7)
        net.connect(x, p, weights=np.full((8, 3), 1))
        return net, "loud", "q"
    if model == "IF":  # inhibited, never fires: v saturates at -2^15 after 33 steps
        q = net.population(5, sm.IF(vth=32767, v_bits=16), name="loud")
        net.connect(x, q, weights=np.full((8, 5), -127))
        return net, "loud", "v"
    # no reset (reset_mode 2): V keeps climbing past alpha until the 20-bit register saturates
    spec = sm.TrueNorthNeuron(weights=(255, 0, 0, 0), alpha=1000, reset_mode=2)
    q = net.population(5, spec, name="loud")
    net.connect(x, q, weights=np.full((8, 5), 255))
    return net, "loud", "v"


@pytest.mark.parametrize("backend", ["numpy", "cython"])
@pytest.mark.parametrize("model,chip", [("CubaLIF", "loihi"), ("IF", "loihi2"),
                                        ("TrueNorthNeuron", "truenorth")])  # fmt: skip
def test_overflow_modes(model, chip, backend):
    import warnings

    net, pop, reg = _overflowing(model)
    m = sm.map_network(net, chip)
    X = np.zeros((400, 8), int)
    X[5:] = 1  # silent for five steps, then every line every step
    with pytest.warns(sm.OverflowWarning, match=rf"register overflows .* '{pop}'"):
        counted = sm.Simulator(m, backend=backend).run(400, inputs={"x": X})
    assert counted.overflows > 0 and counted.total("overflows") == counted.overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wrapped = sm.Simulator(m, backend=backend, overflow="wrap").run(400, inputs={"x": X})
    assert_array_equal(wrapped.spikes[pop], counted.spikes[pop])
    first = int(np.flatnonzero(counted.counters["overflows"].sum(axis=1))[0])
    with pytest.raises(sm.FixedPointOverflowError,
                       match=rf"population '{pop}', neuron 0 \({model}\): register '{reg}' "
                             rf"overflowed in step {first}"):  # fmt: skip
        sm.Simulator(m, backend=backend, overflow="raise").run(400, inputs={"x": X})
    with pytest.raises(
        sm.ParameterError, match=r"overflow: must be one of 'wrap', 'count', 'raise'"
    ):
        sm.Simulator(m, overflow="ignore")


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("chip,model", [("loihi", "CubaLIF"), ("loihi2", "IF")])
def test_whole_step_kernel_equals_its_twin(tmp_path, seed, chip, model):
    """kernels.NetDeliver (one call per step for every source) against its NumPy twin: spikes,
    probes, counters, every batch and the timing, on networks split over tiny cores, with one
    of two inputs silent."""
    from tests.networks import make_profile

    rng = np.random.default_rng(seed)
    net = deep_net(rng, model)
    net.input(5, name="quiet")  # an input that is never given
    p = make_profile(tmp_path, base=chip, neurons=int(rng.integers(3, 9)), input_axons=48)
    m = sm.map_network(net, p, allocator=["greedy", "sequential"][seed % 2])
    hi = 7 if model == "IF" else 1
    X = rng.integers(0, hi + 1, (50, 30)) * (rng.random((50, 30)) < 0.35)
    r = [sm.Simulator(m, backend=b, timing="cycle").run(50, inputs={"x": X})
         for b in ("cython", "numpy")]  # fmt: skip
    _assert_same_run(r, net, m, 0)
    assert len(r[0].packets) > 100 and r[0].total("synaptic_events") > 0


def _stochastic_truenorth_net(rng):
    net = sm.Network("tn_stochastic")
    x = net.input(30, name="x")
    a = net.population(25, sm.TrueNorthNeuron(weights=(3, -200, 200, -8), alpha=6, leak=-20,
                       stochastic_leak=True, threshold_mask_bits=2,
                       stochastic_synapse=(False, True, True, False)), name="a")  # fmt: skip
    b = net.population(14, sm.TrueNorthNeuron(weights=(1, 2, 4, -8), alpha=4, leak=-1,
                                              reset_mode=1), name="b")  # fmt: skip
    Wa = rng.choice([0, 3, -200, 200, -8], (30, 25), p=[0.4, 0.3, 0.1, 0.15, 0.05])
    net.connect(x, a, weights=Wa)
    net.connect(a, b, weights=rng.integers(-8, 8, (25, 14)) * (rng.random((25, 14)) < 0.4))
    net.probe(a, "v")
    return net


@pytest.mark.parametrize("backend", ["cython", "numpy"])
@pytest.mark.parametrize("timing", ["none", "cycle"])
@pytest.mark.parametrize("chip,model", [("loihi", "CubaLIF"), ("loihi2", "IF"),
                                        ("truenorth", "TrueNorthNeuron")])  # fmt: skip
def test_compiled_step_loop_equals_the_per_step_loop(tmp_path, backend, timing, chip, model):
    """kernels.NetStep (every core's update, emission and record, many steps per call; the
    timing model afterwards) against the simulator's per-step, per-core loop (the path of
    models without a native descriptor): spikes, probes, counters, batches, cycles, over two
    consecutive runs whose batch buffers grow several times; with 1 and 3 threads."""
    rng = np.random.default_rng(7)
    if model == "TrueNorthNeuron":
        net = _stochastic_truenorth_net(rng)
        prof = make_profile(tmp_path, base=chip, neurons=8)
        hi = 1
    else:
        net = deep_net(rng, model)
        prof = make_profile(tmp_path, base=chip, neurons=6, input_axons=48)
        hi = 7 if model == "IF" else 1
    m = sm.map_network(net, prof)
    X = rng.integers(0, hi + 1, (75, 30)) * (rng.random((75, 30)) < 0.4)
    with warnings.catch_warnings():  # 3 threads may be more than the machine's CPUs (warned)
        warnings.simplefilter("ignore", sm.SpikemeshWarning)
        sims = [sm.Simulator(m, backend=backend, timing=timing, seed=3, threads=th)
                for th in (1, 1, 3)]  # fmt: skip
    assert sims[1]._step is not None
    sims[0]._step = None  # white box: force the per-step loop
    for lo, hi_ in ((0, 30), (30, 75)):
        runs = [s.run(hi_ - lo, inputs={"x": X[lo:hi_]}) for s in sims]
        for r in (runs[:2], runs[::2]):
            _assert_same_run(r, net, m, lo)


def _assert_same_run(r, net, m, t0):
    assert r[0].t0 == r[1].t0 == t0
    for name in net.populations:
        assert_array_equal(r[0].spikes[name], r[1].spikes[name])
        for var in r[0].probes.get(name, {}):
            assert_array_equal(r[0].probes[name][var], r[1].probes[name][var])
    for key in r[0].counters:
        assert_array_equal(r[0].counters[key], r[1].counters[key])
    for f in ("step", "src", "dst", "events", "synaptic_events"):
        assert_array_equal(getattr(r[0].packets, f), getattr(r[1].packets, f))
    assert_array_equal(r[0].cycles, r[1].cycles)
    if r[0].timing is not None:  # the multi-step timing pass against the per-step one
        for f in ("core_busy", "latency_s"):
            assert_array_equal(getattr(r[0].timing, f), getattr(r[1].timing, f))
        assert r[0].timing.critical_path == r[1].timing.critical_path
        assert r[0].timing.link_flits == r[1].timing.link_flits
        assert r[0].timing.events == r[1].timing.events
    assert r[0].total("spikes") > 20 and len(r[0].packets) > 3 * m.n_cores


def test_the_step_loop_runs_the_named_phases_in_order(monkeypatch):
    """simulator.PHASES is the order the per-step loop calls its phases in (the compiled loop
    gives the same results: tests/kernels/test_parity.py and the backend tests)."""
    from spikemesh.emulator import simulator as simmod

    net = sm.Network("ph")
    x = net.input(2, name="x")
    p = net.population(3, sm.CubaLIF(du=100, dv=100, vth=5), name="p")
    net.connect(x, p, weights=np.full((2, 3), 90))
    sim = sm.Simulator(sm.map_network(net, "loihi"), timing="analytic", overflow="raise")
    calls = []
    for phase in simmod.PHASES:
        orig = getattr(sim, f"_{phase}")

        def wrapped(*a, _orig=orig, _phase=phase):
            calls.append(_phase)
            return _orig(*a)

        monkeypatch.setattr(sim, f"_{phase}", wrapped)
    sim.run(3, inputs={"x": np.ones((3, 2), np.int32)})
    assert calls == list(simmod.PHASES) * 3


def test_run_pauses_the_garbage_collector_and_restores_it(rng):
    """Simulator.run turns Python's cyclic GC off while it runs (issue 27, item 3) and leaves it
    as it found it, also when the run raises."""
    import gc

    net = deep_net(rng)
    sim = sm.Simulator(sm.map_network(net, "loihi"))
    seen = []
    real = sim._run_compiled

    def spy(run):
        seen.append(gc.isenabled())
        return real(run)

    sim._run_compiled = spy
    assert gc.isenabled()
    sim.run(3)
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        sim.run(2)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()

    def boom(run):
        raise KeyboardInterrupt

    sim._run_compiled = boom
    with pytest.raises(KeyboardInterrupt):
        sim.run(2)
    assert gc.isenabled()


def test_more_threads_than_cpus_warns(rng):
    from spikemesh.emulator.simulator import _usable_cpus

    m = sm.map_network(deep_net(rng), "loihi")
    n = _usable_cpus()
    with pytest.warns(sm.SpikemeshWarning, match=rf"threads={n + 1}\) on {n} CPU"):
        sm.Simulator(m, threads=n + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.SpikemeshWarning)
        sm.Simulator(m, threads=n)  # as many as the CPUs: no warning


@pytest.mark.skipif(sm.kernels.compiled is None, reason="compiled kernels not built")
@pytest.mark.parametrize("dense", [True, False])
def test_delivery_grouped_by_destination_core_equals_the_twin(rng, dense):
    """Long messages (dense fan-out into a population spread over 4 cores: >= 16 synapses a
    message) are delivered grouped by destination core, short ones as they are read; both
    give the twin's spikes, currents and counters, with and without prefetching."""
    net = sm.Network("fan")
    x = net.input(40, name="x")
    n = 200
    h = net.population(n, sm.CubaLIF(du=300, dv=200, vth=40), name="h")
    p = 1.0 if dense else 0.03
    W = rng.integers(-40, 90, (40, n)) * (rng.random((40, n)) < p)
    net.connect(x, h, weights=W, delay=rng.integers(1, 5, (40, n)))
    R = rng.integers(-60, 60, (n, n)) * (rng.random((n, n)) < (0.3 if dense else 0.02))
    net.connect(h, h, weights=R)
    net.probe(h, "u")
    m = sm.map_network(net, sm.chips.override("loihi", {"core.neurons": 50}))
    assert m.n_cores == 4
    X = (rng.random((60, 40)) < 0.3).astype(np.int32)
    sims = [sm.Simulator(m, backend=b) for b in ("cython", "cython", "numpy")]
    assert sims[0]._net.group == dense
    sims[1]._net.prefetch_ahead = 0
    runs = [s.run(60, inputs={"x": X}) for s in sims]
    assert runs[0].spikes.count() > 100
    for r in runs[1:]:
        assert_array_equal(r.spikes["h"], runs[0].spikes["h"])
        assert_array_equal(r.probes["h"]["u"], runs[0].probes["h"]["u"])
        for k in r.counters:
            assert_array_equal(r.counters[k], runs[0].counters[k])
