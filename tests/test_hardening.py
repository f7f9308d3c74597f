"""Bad input named at the boundary (issue 13's battery, by cluster), warnings for legal but
unintended results, and nothing lost: interrupted runs, result files."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm


def _net():
    net = sm.Network("n")
    x = net.input(4, name="x")
    p = net.population(3, sm.CubaLIF(du=0, dv=0, vth=10), name="p")
    net.connect(x, p, np.full((4, 3), 100))
    net.probe(p, "v")
    return net


@pytest.fixture
def sim():
    return sm.Simulator(sm.map_network(_net(), "loihi"), timing="analytic")


# ------------------------------------------------------------------ raw exceptions, named
def test_run_inputs_must_be_a_dict_and_sizes_are_checked_before_allocating(sim, monkeypatch):
    with pytest.raises(sm.DTypeError, match=r"Simulator.run.inputs: must be a dict of name -> "
                       r"value \(got an array of shape \(5, 4\) and dtype float64"):  # fmt: skip
        sim.run(5, inputs=np.zeros((5, 4)))
    with pytest.raises(sm.ParameterError, match=r"recording 1,000,000,000,000 steps would need "
                       r"[\d.,]+ TiB, above the limit of"):  # fmt: skip
        sim.run(10**12)
    monkeypatch.setenv("SPIKEMESH_MAX_BYTES", "1000")
    with pytest.raises(
        sm.ParameterError, match=r"would need [\d.]+ KiB, above the limit of 1000 B"
    ):
        sim.run(10)
    assert sim.t == 0  # refused before anything moved


def test_boolean_spike_arrays_are_zero_and_one(sim):
    rng = np.random.default_rng(1)
    x = rng.random((20, 4)) < 0.5
    a = sim.run(20, inputs={"x": x})
    sim.reset()
    b = sim.run(20, inputs={"x": x.astype(np.int32)})
    assert_array_equal(a.spikes["p"], b.spikes["p"])


def test_values_in_messages_are_plain_numbers():
    with pytest.raises(sm.DTypeError, match=r"\(got 0\.5 of type float64\)"):
        sm.CubaLIF(du=np.float64(0.5), dv=0, vth=1)
    with pytest.raises(sm.DTypeError, match=r"stochastic_synapse: must be 4 values \(a list or "
                       r"tuple\) \(got None of type NoneType\)"):  # fmt: skip
        sm.TrueNorthNeuron(stochastic_synapse=None)


def test_profiles_that_are_directories_or_not_utf8(tmp_path):
    with pytest.raises(sm.ProfileError, match=r"is a directory, not a chip profile file"):
        sm.chips.get(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe[chip]\nname = 'x'\n")
    with pytest.raises(
        sm.ProfileError, match=r"bad\.toml is not UTF-8 text \(byte 0xff at offset 0\)"
    ):
        sm.chips.get(bad)
    big = tmp_path / "big.toml"
    big.write_text('base = "loihi"\n[mesh]\ntiles_x = 20000\ntiles_y = 20000\n')
    with pytest.raises(sm.ProfileError, match=r"at most 1,048,576 cores per profile"):
        sm.chips.get(big)


def test_energy_rejects_non_finite_counts_and_non_callable_formulas(sim):
    with pytest.raises(sm.ParameterError, match=r"must be a finite number >= 0 \(got inf\)"):
        sm.energy.estimate("loihi", {"synaptic_events": float("inf")}, steps=3)
    res = sim.run(3)
    with pytest.raises(sm.ParameterError, match=r"energy.formula: must be a callable"):
        res.energy(formula=123)


def test_network_load_names_what_the_file_is(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(sm.SpikemeshError, match=r"a\.npy is not a spikemesh network file .*: it "
                       r"holds a single array$"):  # fmt: skip
        sm.Network.load(tmp_path / "a.npy")
    np.savez(tmp_path / "obj.npz", __meta__=np.array([{"x": 1}], dtype=object))
    with pytest.raises(
        sm.SpikemeshError, match=r"pickled \(object\) arrays, which spikemesh never"
    ):
        sm.Network.load(tmp_path / "obj.npz")
    with pytest.raises(sm.SpikemeshError) as err:
        sm.Network.load(tmp_path / "obj.npz")
    assert "allow_pickle" not in str(err.value)


# ------------------------------------------------------------------ warnings
def test_a_projection_quantized_to_zero_warns():
    net = sm.Network()
    a, b = net.input(2), net.population(2, sm.CubaLIF(du=0, dv=0, vth=1))
    with pytest.warns(sm.QuantizationWarning, match=r"every weight quantizes to 0 at "
                      r"weight_bits=1, weight_exp=0 \(largest \|weight\| 100\)"):  # fmt: skip
        net.connect(a, b, np.full((2, 2), 100), weight_bits=1)
    with pytest.warns(sm.QuantizationWarning, match=r"weight_exp=-3"):
        net.connect(a, b, np.full((2, 2), 7), weight_exp=-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.connect(a, b, np.full((2, 2), 8), weight_exp=-3)  # 8 >> 3 = 1: no warning


def test_populations_that_can_never_fire_warn():
    net = sm.Network()
    with pytest.warns(
        sm.SilentPopulationWarning, match=r"v is clipped at vmax = 1000: it can never"
    ):
        net.population(2, sm.CubaLIF(du=0, dv=0, vth=100, vmax=1000))
    net.population(2, sm.CubaLIF(du=0, dv=0, vth=1), name="alone")
    with pytest.warns(sm.SilentPopulationWarning, match=r"'alone' receive no projection"):
        sm.map_network(net, "loihi")
    with warnings.catch_warnings():  # a user can promote them to errors
        warnings.simplefilter("error", sm.SpikemeshWarning)
        with pytest.raises(sm.SilentPopulationWarning):
            sm.map_network(net, "loihi")


# ------------------------------------------------------------------ nothing lost
@pytest.mark.parametrize("backend", ["cython", "numpy"])
def test_an_interrupted_run_raises_cleanly_and_reset_recovers(backend, monkeypatch):
    net = _net()
    m = sm.map_network(net, "loihi")
    x = (np.random.default_rng(2).random((30, 4)) < 0.4).astype(np.int32)
    fresh = sm.Simulator(m, timing="analytic", backend=backend).run(30, inputs={"x": x})
    sim = sm.Simulator(m, timing="analytic", backend=backend)
    sim.run(5, inputs={"x": x[:5]})
    real = sim._timing.steps

    def interrupt(*args, **kw):  # Ctrl-C while the timing model prices the steps
        raise KeyboardInterrupt

    monkeypatch.setattr(sim._timing, "steps", interrupt)
    with pytest.raises(KeyboardInterrupt):
        sim.run(10, inputs={"x": x[5:15]})
    monkeypatch.setattr(sim._timing, "steps", real)
    with pytest.raises(
        sm.SpikemeshError, match=r"stopped partway through step \d+ .* call reset\(\)"
    ):
        sim.run(1)
    sim.reset()
    again = sim.run(30, inputs={"x": x})
    assert_array_equal(again.spikes["p"], fresh.spikes["p"])
    assert_array_equal(again.probes["p"]["v"], fresh.probes["p"]["v"])


def test_bad_inputs_leave_the_simulator_where_it_was(sim):
    x = np.ones((5, 4), np.int32)
    a = sim.run(5, inputs={"x": x})
    with pytest.raises(sm.ShapeError):
        sim.run(5, inputs={"x": np.ones((4, 4), np.int32)})
    b = sim.run(5, inputs={"x": x})  # continues: the refused call changed nothing
    assert b.t0 == 5 and a.t0 == 0


def test_results_round_trip_through_files(sim, tmp_path):
    x = (np.random.default_rng(3).random((25, 4)) < 0.5).astype(np.int32)
    res = sim.run(25, inputs={"x": x})
    res.save(tmp_path / "r.npz")
    back = sm.SimulationResult.load(tmp_path / "r.npz", sim.mapping)
    assert_array_equal(back.spikes["p"], res.spikes["p"])
    assert_array_equal(back.probes["p"]["v"], res.probes["p"]["v"])
    for k in res.counters:
        assert_array_equal(back.counters[k], res.counters[k])
    assert_array_equal(back.cycles, res.cycles)
    assert back.timing.latency_total_s == res.timing.latency_total_s
    assert back.energy().to_dict() == res.energy().to_dict()
    other = sm.map_network(_net(), "loihi2")
    with pytest.raises(
        sm.SpikemeshError, match=r"was recorded on another mapping \('n' on 'loihi'"
    ):
        sm.SimulationResult.load(tmp_path / "r.npz", other)
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 junk")
    with pytest.raises(sm.SpikemeshError, match=r"junk\.npz is not a spikemesh result file"):
        sm.SimulationResult.load(tmp_path / "junk.npz", sim.mapping)


def test_any_legal_name_round_trips_and_result_files_are_checked(tmp_path):
    """A population named 'a/b' (legal) keeps its probes; a file whose arrays do not fit the
    mapping, or with an unknown timing mode, is refused naming the array."""
    import json as _json

    net = sm.Network("slash")
    x = net.input(3, name="in/put")
    p = net.population(4, sm.CubaLIF(du=100, dv=200, vth=5), name="a/b")
    q = net.population(2, sm.CubaLIF(du=100, dv=200, vth=5), name="a")
    net.connect(x, p, weights=np.full((3, 4), 90))
    net.connect(p, q, weights=np.full((4, 2), 90))
    net.probe(p, "v")
    net.probe(q, "u")
    m = sm.map_network(net, "loihi")
    xs = (np.random.default_rng(1).random((12, 3)) < 0.5).astype(np.int32)
    res = sm.Simulator(m, timing="analytic").run(12, inputs={"in/put": xs})
    res.save(tmp_path / "r.npz")
    back = sm.SimulationResult.load(tmp_path / "r.npz", m)
    assert_array_equal(back.probes["a/b"]["v"], res.probes["a/b"]["v"])
    assert_array_equal(back.probes["a"]["u"], res.probes["a"]["u"])
    assert_array_equal(back.inputs["in/put"], xs) and set(back.spikes) == {"a/b", "a"}

    def tamper(fn):
        z = dict(np.load(tmp_path / "r.npz", allow_pickle=False))
        fn(z)
        np.savez(tmp_path / "t.npz", **z)
        return tmp_path / "t.npz"

    def meta(z, change):
        d = _json.loads(str(z["__meta__"]))
        change(d)
        z["__meta__"] = np.array(_json.dumps(d))

    cases = [
        (lambda z: z.__setitem__("spikes/0", z["spikes/0"][:5]), r"spikes\['a/b'\] is int32\[5, 4\]"),
        (lambda z: z.__setitem__("cycles", z["cycles"].astype(float)), r"cycles is float64"),
        (lambda z: meta(z, lambda d: d["timing"].__setitem__("mode", "warp")), r"timing mode 'warp'"),
        (lambda z: meta(z, lambda d: d.__setitem__("spikes", ["a/b", "zz"])), r"spike trains are of"),
        (lambda z: z.pop("counters/spikes"), r"its counters are"),
        (lambda z: meta(z, lambda d: d.__setitem__("version", 1)), r"format version 1"),
    ]  # fmt: skip
    for fn, msg in cases:
        with pytest.raises(sm.SpikemeshError, match=msg):
            sm.SimulationResult.load(tamper(fn), m)


def test_a_mapping_of_a_network_edited_afterwards_is_refused():
    net = sm.Network("n")
    x = net.input(3, name="x")
    a = net.population(4, sm.CubaLIF(du=100, dv=100, vth=10), name="a")
    net.connect(x, a, weights=np.full((3, 4), 50))
    m = sm.map_network(net, "loihi")
    sim = sm.Simulator(m)
    sim.run(3)
    a.neuron = sm.CubaLIF(du=1, dv=1, vth=1)
    with pytest.raises(sm.MappingError, match=r"network 'n' changed after it was mapped "
                       r"\(population 'a' changed\).*map it again"):  # fmt: skip
        sm.Simulator(m)
    a.neuron = sm.CubaLIF(du=100, dv=100, vth=10)
    sm.Simulator(m).run(2)  # as it was: fine
    net.population(2, sm.CubaLIF(du=1, dv=1, vth=1), name="b")
    with pytest.raises(sm.MappingError, match=r"population 'b' added"):
        sim.run(2)
