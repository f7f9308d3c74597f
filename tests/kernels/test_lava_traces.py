"""Replay reference traces recorded from Lava 0.10's fixed-point CPU models of Loihi 2's neuron
programs: ``lava.proc.sdn`` SigmaDelta (``PySigmaDeltaModelFixed``), ``lava.proc.rf`` RF
(``PyRFModelFixed``) and ``lava.proc.atrlif`` ATRLIF (``PyATRLIFModelFixed``).

The traces (``tests/data/lava_neurons.npz``) were made by
``benchmarks/peers/make_lava_neuron_traces.py`` in a Python 3.10 virtualenv with lava-nc 0.10.0;
Lava is not needed here. Each case is 8 neurons for 40 steps, with Lava's own keyword arguments
(passed to spikemesh's specs unchanged), int32 inputs straight into the neuron's input port,
every state register and the output port after every step.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh import emulator as emu
from spikemesh.exceptions import (
    FixedPointOverflowError,
    MappingError,
    OverflowWarning,
    ParameterError,
    SilentPopulationWarning,
)

DATA = np.load(Path(__file__).resolve().parents[1] / "data" / "lava_neurons.npz")
META = json.loads(bytes(DATA["meta"]).decode())
LAVA_MODELS = {"sigma_delta": "PySigmaDeltaModelFixed", "rf": "PyRFModelFixed",
               "atrlif": "PyATRLIFModelFixed", "prod": "PyProdNeuronModelFixed"}  # fmt: skip
SPECS = {"sigma_delta": sm.SigmaDelta, "rf": sm.ResonateFire, "atrlif": sm.AdaptiveLIF,
         "prod": sm.ProdNeuron}  # fmt: skip
STATES = {"sigma_delta": ("sigma", "act", "residue", "error"), "rf": ("real", "imag"),
          "atrlif": ("i", "v", "theta", "r"), "prod": ()}  # fmt: skip
# (Lava's ProdNeuron computes v as a local, its v Var stays 0: only its output is compared)
PORTS = {"rf": ("a_real_in", "a_imag_in"), "prod": ("a_in1", "a_in2")}
CASES = [(kind, k) for kind in LAVA_MODELS for k in range(len(META[kind]))]


def spec_of(kind: str, k: int):
    params = dict(META[kind][k]["params"])
    return SPECS[kind](**params)  # Lava's keyword arguments, unchanged


def inputs_of(kind: str, k: int) -> np.ndarray:
    """(T, input_size) int64: one accumulator per neuron, or (real, imag) pairs for RF."""
    key = f"{kind}_{k}/in/"
    if kind in PORTS:
        a, b = (DATA[key + p] for p in PORTS[kind])
        return np.stack([a, b], axis=2).reshape(a.shape[0], -1)
    return DATA[key + "a_in"]


def test_traces_were_recorded_with_lava_fixed_point_models():
    assert META["lava_version"] == "0.10.0"
    for kind, model in LAVA_MODELS.items():
        assert len(META[kind]) >= (4 if kind == "prod" else 5)
        assert {c["model"] for c in META[kind]} == {model}  # the model that ran, per case


@pytest.mark.parametrize(("kind", "k"), CASES)
def test_matches_lava(backend, kind, k):
    spec = spec_of(kind, k)
    x = inputs_of(kind, k)
    T, n = DATA[f"{kind}_{k}/out"].shape
    g = emu.NeuronGroup(spec, n, backend=backend)
    for t in range(T):
        out = g.step(x[t])
        for s in STATES[kind]:
            assert_array_equal(
                g.state[s], DATA[f"{kind}_{k}/state/{s}"][t], err_msg=f"{s}, step {t}"
            )
        assert_array_equal(out, DATA[f"{kind}_{k}/out"][t], err_msg=f"output, step {t}")


def test_rf_rotation_registers_are_lavas():
    for k, c in enumerate(META["rf"]):
        spec = spec_of("rf", k)
        assert (spec.sin_decay, spec.cos_decay) == (c["sin_decay"], c["cos_decay"])


def test_the_traces_reach_the_edges():
    """Thresholds hit exactly, negative drive, and wraps / clips happen in the recorded runs."""
    # sigma-delta: a |delta| equal to the threshold sends (>=, not >)
    sd0 = spec_of("sigma_delta", 0)
    out = DATA["sigma_delta_0/out"]
    assert np.any(np.abs(out) == sd0.vth_register)
    assert np.any(out < 0)
    # the product neuron sends where |v| > vth (strict): 100 << 3 x 1 >> 3 = 100 = vth is not sent
    assert_array_equal(DATA["prod_2/out"][0, :3], [0, 101, 0])
    # int32 wrap of sigma (case 2), clip of RF's parts (case 2), v's clip in ATRLIF (case 3)
    assert np.any(np.diff(DATA["sigma_delta_2/state/sigma"].astype(np.int64), axis=0) < -(2**31))
    lim = 2**23 - 1
    assert np.abs(DATA["rf_2/state/real"]).max() == lim
    assert np.abs(DATA["rf_2/state/imag"]).max() == lim
    assert np.abs(DATA["atrlif_3/state/v"]).max() == lim
    # ATRLIF's 24-bit current wraps the way Lava wraps it (case 3 drives it past 2**23)
    assert np.any(np.abs(np.diff(DATA["atrlif_3/state/i"].astype(np.int64), axis=0)) > 2**23)


@pytest.mark.parametrize(("kind", "k"), CASES)
def test_overflows_are_counted(backend, kind, k):
    spec = spec_of(kind, k)
    x = inputs_of(kind, k)
    n = DATA[f"{kind}_{k}/out"].shape[1]
    g = emu.NeuronGroup(spec, n, backend=backend)
    for row in x:
        g.step(row)
    edge = (kind, k) in {("sigma_delta", 2), ("rf", 2), ("atrlif", 3), ("prod", 3)}
    assert (g.totals["overflows"] > 0) == edge  # the edge cases wrap or clip, the others never


@pytest.mark.parametrize("kind", list(LAVA_MODELS))
def test_compiled_equals_twin_on_hostile_inputs(compiled, twin, rng, kind):
    """Random inputs over the whole int32 range and beyond, random start states."""
    for k in range(len(META[kind])):
        spec = spec_of(kind, k)
        n = 8  # the cases' per-neuron arrays have 8 entries
        a = emu.NeuronGroup(spec, n, backend="cython")
        b = emu.NeuronGroup(spec, n, backend="numpy")
        for s in spec.state_vars:
            lo, hi = spec.state_range(s)
            init = rng.integers(lo, hi, size=n, endpoint=True).astype(np.int32)
            a.state[s][:] = init
            b.state[s][:] = init
        for t in range(200):
            scale = [2**4, 2**20, 2**31, 2**40][t % 4]
            x = rng.integers(-scale, scale, size=a.input_size)
            ra = a.update(np.ascontiguousarray(x, np.int64))
            rb = b.update(np.ascontiguousarray(x, np.int64))
            assert ra == rb
            for s in spec.state_vars:
                assert_array_equal(a.state[s], b.state[s])
            assert_array_equal(a.spikes, b.spikes)


def _one_layer(spec, n, port=None):
    net = sm.Network("lava_case")
    src = net.input(n, "x", payload_bits=24, signed=True)
    pop = net.population(n, spec, "p")
    net.connect(src, pop, np.eye(n, dtype=np.int64), port=port)
    return net


@pytest.mark.parametrize(("kind", "k"), [("sigma_delta", 0), ("sigma_delta", 4), ("atrlif", 0),
                                         ("atrlif", 3), ("rf", 1), ("rf", 2)])  # fmt: skip
def test_network_on_loihi2_runs_the_trace(backend, kind, k):
    """Through a network on loihi2 (one-to-one unit weights, delay 1: Lava's input of step t
    arrives from the input row t - 1), the compiled step gives Lava's trace. Bias-free cases:
    the extra first step the delay adds leaves them at rest."""
    spec = spec_of(kind, k)
    T, n = DATA[f"{kind}_{k}/out"].shape
    if kind == "rf":
        net = sm.Network("rf_case")
        re = net.input(n, "re", payload_bits=24, signed=True)
        im = net.input(n, "im", payload_bits=24, signed=True)
        pop = net.population(n, spec, "p")
        net.connect(re, pop, np.eye(n, dtype=np.int64), port="real")
        net.connect(im, pop, np.eye(n, dtype=np.int64), port="imag")
        feeds = {"re": DATA[f"rf_{k}/in/a_real_in"], "im": DATA[f"rf_{k}/in/a_imag_in"]}
    else:
        net = _one_layer(spec, n)
        feeds = {"x": DATA[f"{kind}_{k}/in/a_in"]}
    for _name, arr in feeds.items():
        assert np.abs(arr).max() < 2**23  # fits a 24-bit payload
    for s in STATES[kind]:
        net.probe(net.populations["p"], s)
    m = sm.map_network(net, "loihi2")
    sim = sm.Simulator(m, backend=backend)
    shifted = {name: np.vstack([arr, np.zeros((1, n), arr.dtype)]) for name, arr in feeds.items()}
    if (kind, k) in {("atrlif", 3), ("rf", 2)}:  # the cases that drive registers to their edges
        with pytest.warns(OverflowWarning, match="register overflows"):
            res = sim.run(T + 1, shifted)
    else:
        res = sim.run(T + 1, shifted)
    for s in STATES[kind]:
        assert_array_equal(res.probes["p"][s][1:], DATA[f"{kind}_{k}/state/{s}"])
    assert_array_equal(res.spikes["p"][1:], DATA[f"{kind}_{k}/out"])


@pytest.mark.parametrize("chip", ["loihi", "truenorth"])
@pytest.mark.parametrize("kind", list(LAVA_MODELS))
def test_refused_on_fixed_pipeline_chips_with_the_reason(chip, kind):
    net = _one_layer(spec_of(kind, 0), 8)
    with pytest.raises(MappingError, match="programmable-neuron program"):
        sm.map_network(net, chip)


def test_bad_parameters_name_field_value_and_range():
    with pytest.raises(ParameterError, match=r"SigmaDelta\.vth.*2\*\*6"):
        sm.SigmaDelta(vth=2**20, state_exp=6)
    with pytest.raises(ParameterError, match=r"SigmaDelta\.act_mode"):
        sm.SigmaDelta(vth=1, act_mode="tanh")
    with pytest.raises(ParameterError, match=r"SigmaDelta\.state_exp"):
        sm.SigmaDelta(vth=1, state_exp=9)
    with pytest.raises(ParameterError, match=r"ResonateFire\.period"):
        sm.ResonateFire(period=0, alpha=0.1)
    with pytest.raises(ParameterError, match=r"ResonateFire\.alpha"):
        sm.ResonateFire(period=10, alpha=1.5)
    with pytest.raises(ParameterError, match=r"ResonateFire\.decay_bits"):
        sm.ResonateFire(period=10, alpha=0.1, decay_bits=13)
    with pytest.raises(ParameterError, match=r"AdaptiveLIF\.delta_v"):
        sm.AdaptiveLIF(delta_v=-0.1)
    with pytest.raises(ParameterError, match=r"AdaptiveLIF\.theta_0"):
        sm.AdaptiveLIF(theta_0=5000)
    with pytest.raises(ParameterError, match=r"AdaptiveLIF\.bias_exp"):
        sm.AdaptiveLIF(bias_exp=8)


def test_lava_default_decay_bits_warns_that_rf_does_not_resonate():
    with pytest.warns(SilentPopulationWarning, match="does not resonate"):
        sm.ResonateFire(period=10, alpha=0.07)  # Lava's default decay_bits = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sm.ResonateFire(period=10, alpha=0.07, decay_bits=12)


def test_ports():
    net = sm.Network("ports")
    src = net.input(4, "x")
    rf = net.population(4, sm.ResonateFire(period=8, alpha=0.1, decay_bits=12), "rf")
    sd = net.population(4, sm.SigmaDelta(vth=1), "sd")
    with pytest.raises(ParameterError, match=r"inputs 'real', 'imag' \(got 'phase'\)"):
        net.connect(src, rf, np.eye(4, dtype=np.int64), port="phase")
    with pytest.raises(ParameterError, match="has one input"):
        net.connect(src, sd, np.eye(4, dtype=np.int64), port="imag")
    assert net.connect(src, rf, np.eye(4, dtype=np.int64), port="imag").port == 1


def test_save_and_load_keep_models_and_ports(tmp_path):
    net = sm.Network("keep")
    src = net.input(4, "x", payload_bits=8)
    rf = net.population(4, sm.ResonateFire(period=8.5, alpha=0.1, vth=2.5, decay_bits=12), "rf")
    al = net.population(4, sm.AdaptiveLIF(bias_mant=[1, 2, 3, 4], bias_exp=-1), "al")
    sd = net.population(4, sm.SigmaDelta(vth=0.5, bias=[0.25, 0, 1, 2], state_exp=3,
                                         act_mode="unit", cum_error=True), "sd")  # fmt: skip
    net.connect(src, rf, np.eye(4, dtype=np.int64), port="imag")
    net.connect(src, al, np.eye(4, dtype=np.int64))
    net.connect(sd, sd, 2 * np.eye(4, dtype=np.int64))
    net.save(tmp_path / "n.npz")
    back = sm.Network.load(tmp_path / "n.npz")
    assert back.populations["rf"].neuron == rf.neuron
    assert back.populations["al"].neuron == al.neuron
    assert back.populations["sd"].neuron == sd.neuron
    assert [p.port for p in back.projections] == [1, 0, 0]


def test_adaptive_lif_rests_at_its_baseline_threshold(backend):
    spec = sm.AdaptiveLIF(theta_0=7.5)
    g = emu.NeuronGroup(spec, 3, backend=backend)
    assert_array_equal(g.state["theta"], [480, 480, 480])
    g2 = emu.NeuronGroup(spec, 3, backend=backend, initial={"theta": 100})
    assert_array_equal(g2.state["theta"], [100, 100, 100])


def test_strict_overflow_names_population_neuron_and_registers():
    spec = spec_of("rf", 2)
    net = sm.Network("strict")
    re = net.input(8, "re", payload_bits=24, signed=True)
    pop = net.population(8, spec, "p")
    net.connect(re, pop, np.eye(8, dtype=np.int64), port="real")
    sim = sm.Simulator(sm.map_network(net, "loihi2"), overflow="raise")
    x = np.zeros((12, 8), np.int64)
    x[:, 1] = 2**21  # neuron 1's real part saturates in step 4 or so
    with pytest.raises(
        FixedPointOverflowError,
        match=r"'p', neuron 1 \(ResonateFire\): register "
        r"'real or imag'.*saturate",
    ):
        sim.run(12, {"re": x})


def test_energy_report_names_what_is_unverified():
    net = _one_layer(spec_of("sigma_delta", 0), 8)
    res = sm.Simulator(sm.map_network(net, "loihi2")).run(
        40, {"x": np.vstack([DATA["sigma_delta_0/in/a_in"]])}
    )
    rep = res.energy()
    assert any("SigmaDelta updates priced as the profile's neuron update" in u
               for u in rep.unverified)  # fmt: skip
    assert "unverified (no published figure):" in str(rep)
    assert rep.to_dict()["unverified"] == list(rep.unverified)
    lif = sm.Network("plain")
    x = lif.input(4, "x")
    p = lif.population(4, sm.CubaLIF(du=0, dv=0, vth=1), "p")
    lif.connect(x, p, np.eye(4, dtype=np.int64))
    plain = sm.Simulator(sm.map_network(lif, "loihi")).run(5).energy()
    assert not any("priced as" in u for u in plain.unverified)


def test_graded_delta_encoder_feeds_a_sigma_delta_layer_that_tracks_the_signal(backend):
    """sm.encode.delta(graded=True) -> signed graded input -> SigmaDelta(vth=0, unit): its
    sigma is the decoded signal (within one threshold of x), and it sends only on change."""
    rng = np.random.default_rng(3)
    steps, n = 60, 6
    x = np.cumsum(rng.normal(0, 3, (steps, n)), axis=0)
    x[20:35] = x[20]  # a still stretch: no messages
    msgs = sm.encode.delta(x, threshold=0.5, graded=True, bits=12)
    assert msgs.dtype == np.int32 and np.all(msgs[21:35] == 0)
    assert np.all(np.abs(np.cumsum(msgs, axis=0) * 0.5 - x) <= 0.5)
    net = sm.Network("enc")
    src = net.input(n, "x", payload_bits=12, signed=True)
    sd = net.population(n, sm.SigmaDelta(vth=0, act_mode="unit"), "sd")
    net.connect(src, sd, np.eye(n, dtype=np.int64))
    net.probe(sd, "sigma")
    res = sm.Simulator(sm.map_network(net, "loihi2"), backend=backend).run(
        steps + 1, {"x": np.vstack([msgs, np.zeros((1, n), np.int32)])}
    )
    assert_array_equal(res.probes["sd"]["sigma"][1:], np.cumsum(msgs, axis=0))
    out = res.spikes["sd"][1:]
    assert_array_equal(out, msgs)  # vth = 0, unit: the layer re-sends exactly its input deltas


def test_graded_delta_encoder_warns_when_messages_clip():
    with pytest.warns(sm.QuantizationWarning, match="clipped at 4-bit"):
        sm.encode.delta(np.array([[0.0], [100.0]]), threshold=1, graded=True, bits=4)
    with pytest.raises(ParameterError, match=r"encode\.delta\.bits"):
        sm.encode.delta(np.zeros((3, 2)), threshold=1, graded=True, bits=1)


def test_a_threshold_the_register_truncates_warns():
    """Lava truncates vth x 2**exp into its int32 register silently; spikemesh does the same
    (the traces above match) and says so."""
    with pytest.warns(sm.QuantizationWarning, match=r"vth x 2\*\*0 = 2.5 is not whole; the "
                      r"register keeps 2"):  # fmt: skip
        spec_of("rf", 4)
    with pytest.warns(sm.QuantizationWarning, match=r"SigmaDelta\.bias"):
        sm.SigmaDelta(vth=1, bias=[0.25, 1.0], state_exp=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sm.SigmaDelta(vth=0.5, state_exp=3)  # 4: whole
        spec_of("rf", 0)
