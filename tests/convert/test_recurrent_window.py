"""Recurrent layers with binary spikes (issue 30, items 1-2): the window scheme (loihi, loihi2)
runs a sequence element by element in frames of ``L*T + 1`` steps, each layer cleared onto its
membrane floor between elements; the copies scheme (truenorth) decides each element in one
tick per layer with stateless copies and clears the read-out membrane onto its saturation; a
recurrent layer's spikes reach the next element through synapses of one frame's delay. Every
element's activations and logits equal ``QuantizedANN.forward``, on both backends, at 64 and
784 elements."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh import convert
from spikemesh.exceptions import MappingError, ParameterError


def _elman(rng, n_in=1, n_h=16, n_out=10):
    return [convert.Recurrent(rng.normal(0, 1.0, (n_in, n_h)), rng.normal(0, 0.25, (n_h, n_h)),
                              rng.normal(0, 0.1, n_h)),
            convert.Dense(rng.normal(0, 0.4, (n_h, n_out)), rng.normal(0, 0.1, n_out))]  # fmt: skip


# ------------------------------------------------------------------ the IF floor
def test_if_floor_clamps_by_design_and_counts_only_beyond_the_register(backend):
    """IF(floor=f): a strong negative input clears any membrane to exactly f without a
    saturation; one beyond the 24-bit register still counts (and clamps at f)."""
    net = sm.Network("floor")
    x = net.input(1, "x")
    p = net.population(3, sm.IF(vth=1000, floor=-5000, reset="subtract"), "p")
    net.connect(x, p, np.array([[-255, -255, -255]]), weight_exp=7)  # -32640 a spike
    net.probe(p, "v")
    sim = sm.Simulator(sm.map_network(net, "loihi"), backend=backend)
    res = sim.run(4, {"x": np.array([[0], [1], [0], [0]])})  # row t arrives in step t + 1
    assert_array_equal(res.probes["p"]["v"][:, 0], [0, 0, -5000, -5000])
    assert res.overflows == 0
    deep = sm.Network("deep")
    x = deep.input(300, "x")
    p = deep.population(1, sm.IF(vth=1000, floor=-5000), "p")
    deep.connect(x, p, np.full((300, 1), -255), weight_exp=7)  # 300 x -32640 < -2**23
    deep.probe(p, "v")
    with pytest.warns(sm.OverflowWarning):
        res = sm.Simulator(sm.map_network(deep, "loihi2"), backend=backend).run(
            2, {"x": np.ones((2, 300), np.int32)}
        )
    assert res.overflows > 0 and res.probes["p"]["v"][-1, 0] == -5000


def test_if_floor_is_checked():
    with pytest.raises(ParameterError, match=r"IF\.floor"):
        sm.IF(vth=10, floor=5)
    with pytest.raises(ParameterError, match=r"IF\.floor"):
        sm.IF(vth=10, v_bits=8, floor=-129)
    with pytest.raises(ParameterError, match=r"SmoothIF\.floor"):
        sm.SmoothIF(vth=10, floor=-10)
    assert sm.IF(vth=10, v_bits=8, floor=-128).vmin == -128
    assert sm.IF(vth=10, v_bits=8).vmin == -128


# ------------------------------------------------------------------ exact sequences
@pytest.mark.parametrize("T", [1, 2, 4])
@pytest.mark.parametrize("length", [64, 784])
def test_elman_rnn_exact_with_binary_spikes_on_loihi(backend, T, length):
    rng = np.random.default_rng(1)  # a network whose hidden layer stays active (asserted)
    layers = _elman(rng)
    x = rng.random((6, length, 1))
    q = convert.quantize(layers, x, weight_bits=8, spike_bits=1, input_bits=1, timesteps=T)
    snn = convert.to_snn(q, "loihi")  # auto: the window scheme (binary spikes, T steps)
    assert snn.scheme == "window" and snn.frame == 2 * T + 1
    out = snn.infer(x[:2], backend=backend)
    ref = q.forward(out.activations["x"])
    assert out.logits.shape == (2, length, 10)
    assert_array_equal(out.activations["l0"], ref[0])
    assert_array_equal(out.logits, ref[1])
    assert out.results[0].steps == 1 + length * snn.frame
    assert all(r.overflows == 0 for r in out.results)
    # the recurrence carries state: the hidden layer is active well after the first element
    assert (ref[0][:, length // 2 :] > 0).mean() > 0.05


def test_graded_spikes_and_rate_inputs_on_loihi2(backend, rng):
    layers = _elman(rng, n_in=3, n_h=10, n_out=4)
    x = rng.random((5, 12, 3))
    q = convert.quantize(layers, x, weight_bits=6, spike_bits=2, input_bits=2, timesteps=3)
    snn = convert.to_snn(q, "loihi2", scheme="window")
    out = snn.infer(x, encoding="rate", seed=4, backend=backend)
    ref = q.forward(out.activations["x"])
    assert_array_equal(out.activations["l0"], ref[0])
    assert_array_equal(out.logits, ref[1])
    assert ref[0].max() > 3  # graded payloads: more than one level per step


def test_state_is_carried_and_each_sequence_starts_fresh(rng):
    layers = _elman(rng, n_in=2, n_h=8, n_out=3)
    x = rng.random((3, 10, 2))
    q = convert.quantize(layers, x, weight_bits=8, spike_bits=1, input_bits=1, timesteps=2)
    snn = convert.to_snn(q, "loihi")
    both = snn.infer(x[:2])
    alone = snn.infer(x[1:2])
    assert_array_equal(both.logits[1], alone.logits[0])  # runs do not leak into each other
    tail = snn.infer(x[:2, 4:])
    assert (tail.activations["l0"] != both.activations["l0"][:, 4:]).any()  # history matters


def test_a_feed_forward_layer_before_and_after_the_recurrent_one(backend, rng):
    """Dense -> Recurrent -> Dense -> Dense: every layer is cleared per element; only the
    recurrent one carries anything across."""
    layers = [convert.Dense(rng.normal(0, 0.6, (4, 8)), rng.normal(0, 0.1, 8)),
              convert.Recurrent(rng.normal(0, 0.5, (8, 8)), rng.normal(0, 0.3, (8, 8))),
              convert.Dense(rng.normal(0, 0.5, (8, 6)), rng.normal(0, 0.1, 6)),
              convert.Dense(rng.normal(0, 0.5, (6, 3)))]  # fmt: skip
    x = rng.random((4, 15, 4))
    q = convert.quantize(layers, x, weight_bits=8, spike_bits=1, input_bits=1, timesteps=2)
    snn = convert.to_snn(q, "loihi")
    out = snn.infer(x[:2], backend=backend)
    ref = q.forward(out.activations["x"])
    for name, r in zip(snn.layer_names[:-1], ref[:-1], strict=True):
        assert_array_equal(out.activations[name], r)
    assert_array_equal(out.logits, ref[-1])


def test_conv_feeding_a_recurrent_layer(rng):
    """CNN-Morph into RNN-Morph: a conv layer per element (a 1 x 6 x 6 frame), flattened into
    the Elman layer."""
    conv = convert.Conv2d(rng.normal(0, 0.5, (2, 1, 3, 3)), rng.normal(0, 0.1, 2), stride=1,
                          padding=0)  # fmt: skip
    layers = [conv, convert.Flatten(), convert.Recurrent(rng.normal(0, 0.3, (32, 8)),
                                                         rng.normal(0, 0.3, (8, 8))),
              convert.Dense(rng.normal(0, 0.5, (8, 3)))]  # fmt: skip
    x = rng.random((3, 5, 1, 6, 6))
    q = convert.quantize(layers, x, (1, 6, 6), weight_bits=8, spike_bits=1, input_bits=1,
                         timesteps=2)  # fmt: skip
    snn = convert.to_snn(q, "loihi")
    out = snn.infer(x[:2])
    ref = q.forward(out.activations["x"])
    assert_array_equal(out.activations[snn.layer_names[0]].reshape(ref[0].shape), ref[0])
    assert_array_equal(out.logits, ref[-1])


def test_a_recurrent_delay_beyond_the_chip_is_named(rng):
    q = convert.quantize(_elman(rng, n_h=4, n_out=2), rng.random((2, 3, 1)), weight_bits=8,
                         spike_bits=1, input_bits=1, timesteps=64)  # fmt: skip
    with pytest.raises(MappingError, match=r"wait 66 steps .* at most 62 .* timesteps <= 60"):
        convert.to_snn(q, "loihi")


# ------------------------------------------------------------------ TrueNorth: the copies scheme
def _tn_elman(rng, n_in=1, n_h=8, n_out=4):
    return [convert.Recurrent(rng.normal(0, 1.0, (n_in, n_h)), rng.normal(0, 0.3, (n_h, n_h)),
                              rng.normal(0.3, 0.1, n_h)),
            convert.Dense(rng.normal(0, 0.4, (n_h, n_out)), rng.normal(0, 0.1, n_out))]  # fmt: skip


@pytest.mark.parametrize("T", [1, 2, 4])
@pytest.mark.parametrize("length", [64, 784])
def test_elman_rnn_exact_on_truenorth(backend, T, length):
    rng = np.random.default_rng(0)  # hidden layer active throughout (asserted)
    layers = _tn_elman(rng)
    x = rng.random((4, length, 1))
    q = convert.quantize(layers, x, weight_bits=4, spike_bits=1, input_bits=1, timesteps=T)
    snn = convert.to_snn(q, "truenorth")
    assert snn.scheme == "copies" and snn.frame <= sm.chips.get("truenorth").core.max_delay
    out = snn.infer(x[:1], backend=backend)
    ref = q.forward(out.activations["x"])
    assert_array_equal(out.activations["l0"], ref[0])
    assert_array_equal(out.logits, ref[1])
    assert out.results[0].overflows == 0
    assert (ref[0][:, length // 2 :] > 0).mean() > 0.1
    if T > 1:
        assert snn.mapping.splitters  # the copies fan out: relayed, and still exact


def test_truenorth_sequences_with_rate_inputs_and_two_inputs(rng):
    layers = _tn_elman(rng, n_in=3, n_h=6, n_out=3)
    x = rng.random((3, 20, 3))
    q = convert.quantize(layers, x, weight_bits=3, spike_bits=1, input_bits=1, timesteps=3)
    snn = convert.to_snn(q, "truenorth")
    out = snn.infer(x, encoding="rate", seed=2)
    ref = q.forward(out.activations["x"])
    assert_array_equal(out.activations["l0"], ref[0])
    assert_array_equal(out.logits, ref[1])


def test_truenorth_fan_in_beyond_256_axons_is_the_mappers_reason(rng):
    layers = _tn_elman(rng, n_in=8, n_h=32)
    q = convert.quantize(layers, rng.random((3, 5, 8)), weight_bits=4, spike_bits=1,
                         input_bits=1, timesteps=4)  # fmt: skip
    with pytest.raises(MappingError, match=r"needs \d+ input axons; truenorth cores have 256"):
        convert.to_snn(q, "truenorth")


def test_truenorth_refuses_wide_weights_for_sequences(rng):
    q = convert.quantize(_tn_elman(rng), rng.random((2, 4, 1)), weight_bits=8, spike_bits=1,
                         input_bits=1, timesteps=2)  # fmt: skip
    with pytest.raises(MappingError, match="weight_bits=8"):
        convert.to_snn(q, "truenorth")


# ------------------------------------------------------------------ signed (bipolar) activations
def _signed_elman(rng, n_in=2, n_h=10, n_out=3):
    return [convert.Recurrent(rng.normal(0, 1.0, (n_in, n_h)), rng.normal(0, 0.4, (n_h, n_h)),
                              rng.normal(0, 0.2, n_h), activation="hardtanh"),
            convert.Dense(rng.normal(0, 0.4, (n_h, n_out)), rng.normal(0, 0.1, n_out))]  # fmt: skip


def test_signed_activations_truncate_toward_zero_in_the_quantized_rnn(rng):
    q = convert.quantize(_signed_elman(rng), rng.random((4, 6, 2)), weight_bits=8, spike_bits=1,
                         input_bits=1, timesteps=4)  # fmt: skip
    ly = q.layers[0]
    assert ly.signed
    lv = q.encode(rng.random((3, 6, 2)))
    a = q.forward(lv)[0]
    assert a.min() < 0 < a.max() and np.abs(a).max() <= q.cap
    # element 0 by hand: no state yet
    z = lv[:, 0] @ ly.weight + ly.bias
    assert_array_equal(a[:, 0], np.sign(z) * np.minimum(np.abs(z) // ly.threshold, q.cap))
    with pytest.raises(ParameterError, match="activation"):
        convert.Recurrent(np.ones((1, 2)), np.ones((2, 2)), activation="tanh")


@pytest.mark.parametrize(("chip", "T", "sb", "scheme"), [
    ("loihi2", 1, 4, "stream"), ("loihi", 1, 1, "window"), ("loihi", 2, 1, "window"),
    ("loihi", 4, 1, "window"), ("loihi2", 3, 2, "window"), ("truenorth", 2, 1, "copies")])  # fmt: skip
def test_signed_rnn_exact_in_every_scheme(backend, chip, T, sb, scheme):
    """Bipolar IF neurons in the stream scheme; on binary-spike chips a signed layer is a pair
    of populations (z's positive part and -z's), downstream weights +W / -W."""
    rng = np.random.default_rng(3)
    layers = _signed_elman(rng)
    x = rng.random((6, 40, 2))
    q = convert.quantize(layers, x, weight_bits=4 if chip == "truenorth" else 8, spike_bits=sb,
                         input_bits=sb, timesteps=T)  # fmt: skip
    snn = convert.to_snn(q, chip, scheme=scheme)
    out = snn.infer(x[:2], backend=backend)
    ref = q.forward(out.activations["x"] if "x" in out.activations else q.encode(x[:2]))
    assert_array_equal(out.activations["l0"], ref[0])
    assert_array_equal(out.logits, ref[1])
    assert (ref[0] < 0).mean() > 0.1 and (ref[0] > 0).mean() > 0.1
    if scheme == "stream":
        assert snn.network.populations["l0"].neuron.bipolar
    else:
        assert len(snn.populations_of("l0")) >= 2  # the pair (and its copies)


def test_signed_rnn_exact_at_784_elements_on_loihi(backend):
    rng = np.random.default_rng(4)
    layers = _signed_elman(rng, n_in=1, n_h=12)
    x = rng.random((2, 784, 1))
    q = convert.quantize(layers, x, weight_bits=8, spike_bits=1, input_bits=1, timesteps=2)
    out = convert.to_snn(q, "loihi").infer(x[:1], backend=backend)
    ref = q.forward(out.activations["x"])
    assert_array_equal(out.activations["l0"], ref[0])
    assert_array_equal(out.logits, ref[1])
    assert (ref[0][:, 400:] != 0).mean() > 0.1


def test_truenorth_logits_clear_is_sized_by_the_true_bound(rng):
    """The logits' saturation -beta covers the most negative z and no more (a thermometer's
    copies sum to at most cap: counting every copy at cap once made the clear pulse, and the
    axons it needs, cap times too large)."""
    for act in ("relu", "hardtanh"):
        layers = _tn_elman(rng, n_h=8)
        if act == "hardtanh":
            layers[0] = convert.Recurrent(layers[0].w_in, layers[0].w_rec, layers[0].bias,
                                          activation="hardtanh")  # fmt: skip
        q = convert.quantize(layers, rng.random((3, 6, 1)), weight_bits=2, spike_bits=1,
                             input_bits=1, timesteps=4)  # fmt: skip
        snn = convert.to_snn(q, "truenorth")
        out_w = q.layers[-1].weight // 2 ** (9 - 2)
        zn = np.maximum(-out_w, 0).sum(axis=0) * q.cap
        if act == "hardtanh":  # signed levels: either sign of a weight can pull z down
            zn = np.abs(out_w).sum(axis=0) * q.cap
        beta = snn.network.populations["out"].neuron.beta
        assert int(zn.max()) <= beta <= int(zn.max()) + 2


def test_narrow_recurrent_weights_take_the_least_squares_clipping_point(rng):
    """2-bit (ternary) recurrent weights: one outlier no longer rounds every other weight to 0
    (max scaling did); the clipping point is the least-squares one over both matrices."""
    from spikemesh.convert.quantize import recurrent_levels, weight_scale

    w_in, w_rec = rng.normal(size=(6, 16)), rng.normal(size=(16, 16)) * 0.5
    w_in[0, 0] = 12.0
    layers = [convert.Recurrent(w_in, w_rec, np.zeros(16)), convert.Dense(rng.normal(size=(16, 3)))]
    q = convert.quantize(layers, rng.random((40, 5, 6)), weight_bits=2, spike_bits=1,
                         timesteps=4)  # fmt: skip
    ly = q.layers[0]
    levels = np.concatenate([ly.weight.ravel(), ly.weight_rec.ravel()])
    assert np.count_nonzero(levels) > 0.3 * levels.size
    both = np.concatenate([w_in.ravel() * 0.1, w_rec.ravel() * 0.3])
    _, alpha = weight_scale(both, 2)
    assert recurrent_levels(w_in, w_rec, 0.1, 0.3, 2)[2] == alpha < np.abs(both).max()


@pytest.mark.parametrize("chip", ["loihi", "truenorth"])
def test_keeping_every_runs_record_warns_when_it_would_be_large(rng, monkeypatch, chip):
    """keep=True holds each sequence's full record; past KEEP_WARN_BYTES (projected from the
    first run) infer says how much and what to do; keep=False returns the same logits."""
    from spikemesh.convert import snn as snn_mod

    layers = _elman(rng, n_in=2, n_h=6, n_out=3)
    x = rng.random((3, 5, 2))
    q = convert.quantize(layers, x, weight_bits=4, spike_bits=1, input_bits=1, timesteps=2)
    net = convert.to_snn(q, chip)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.SpikemeshWarning)
        kept = net.infer(x)  # far below the default limit: silent
    one = snn_mod._record_bytes(kept.results[0])
    assert one > 0
    monkeypatch.setattr(snn_mod, "KEEP_WARN_BYTES", 2 * one)
    with pytest.warns(sm.SpikemeshWarning, match=r"keep=True holds every run's record: 3 runs"):
        net.infer(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.SpikemeshWarning)
        lean = net.infer(x, keep=False)
    assert lean.results == [] and np.array_equal(lean.logits, kept.logits)
