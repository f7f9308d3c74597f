"""Quantized ANN -> SNN conversion: the SNN reproduces the integer network exactly."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh import convert


def _check_exact(q, snn, x, **kw):
    out = snn.infer(x, **kw)
    ref = q.forward(out.activations["x"] if "x" in out.activations else q.encode(x))
    assert_array_equal(out.logits, ref[-1].reshape(len(x), -1))
    k = 0
    for ly, a in zip(q.layers[:-1], ref[:-1], strict=True):
        if ly.kind == "flatten":
            continue
        name = snn.layer_names[k]
        assert_array_equal(out.activations[name], a.reshape(len(x), -1), err_msg=name)
        k += 1
    return ref, out


@pytest.mark.parametrize(("weight_bits", "spike_bits"), [(8, 4), (4, 2), (2, 1), (6, 8)])
def test_mlp_conversion_is_exact(rng, weight_bits, spike_bits):
    layers = [convert.Dense(rng.normal(0, 0.3, (20, 32)), rng.normal(0, 0.5, 32)),
              convert.Dense(rng.normal(0, 0.3, (32, 16)), rng.normal(0, 0.5, 16)),
              convert.Dense(rng.normal(0, 0.3, (16, 5)), rng.normal(0, 0.2, 5))]  # fmt: skip
    x = rng.random((60, 20)) * 3
    q = convert.quantize(layers, x, weight_bits=weight_bits, spike_bits=spike_bits)
    snn = convert.to_snn(q, "loihi2")
    ref, out = _check_exact(q, snn, x[:25])
    assert snn.latency == {"l0": 1, "l1": 2, "out": 3} and snn.depth == 3
    assert ref[0].max() >= q.cap // 2  # activations use the range
    assert out.predictions.shape == (25,)


def test_cnn_conversion_is_exact(rng):
    layers = [convert.Conv2d(rng.normal(0, 0.4, (4, 1, 3, 3)), rng.normal(0, 0.3, 4), padding=1),
              convert.AvgPool2d(2),
              convert.Conv2d(rng.normal(0, 0.4, (6, 4, 3, 3)), rng.normal(0, 0.3, 6)),
              convert.SumPool2d(1),
              convert.Flatten(),
              convert.Dense(rng.normal(0, 0.3, (6 * 2 * 2, 10)), rng.normal(0, 0.2, 10))]  # fmt: skip
    x = rng.random((40, 1, 8, 8)) * 2
    q = convert.quantize(layers, x, (1, 8, 8), weight_bits=5, spike_bits=3)
    snn = convert.to_snn(q, "loihi2")
    _check_exact(q, snn, x[:12])
    assert [ly.kind for ly in q.layers] == ["conv", "pool", "conv", "pool", "flatten", "dense"]
    assert snn.latency["out"] == 5


@pytest.mark.parametrize(
    ("chip", "spike_bits", "timesteps"),
    [("loihi", 1, 1), ("loihi", 1, 3), ("loihi", 1, 8), ("loihi2", 2, 3)],
)
def test_window_scheme_is_exact_over_timesteps(rng, chip, spike_bits, timesteps):
    """Binary (or narrow graded) spikes over T steps per sample, gated layers: every layer's
    spike count over its window equals the quantized activation (T*(2**s-1) levels), the
    logits equal z, for direct and seeded rate encodings; no spike leaves its window."""
    layers = [convert.Dense(rng.normal(0, 0.3, (20, 32)), rng.normal(0, 0.5, 32)),
              convert.Dense(rng.normal(0, 0.3, (32, 16)), rng.normal(0, 0.5, 16)),
              convert.Dense(rng.normal(0, 0.3, (16, 5)), rng.normal(0, 0.2, 5))]  # fmt: skip
    x = rng.random((60, 20)) * 3
    q = convert.quantize(layers, x, weight_bits=4, spike_bits=spike_bits, timesteps=timesteps)
    assert q.cap == timesteps * (2**spike_bits - 1)
    snn = convert.to_snn(q, chip)
    assert snn.scheme == "window" and snn.depth == 3 * timesteps
    assert snn.latency == {"l0": timesteps, "l1": 2 * timesteps, "out": 3 * timesteps}
    out = _check_exact(q, snn, x[:15])[1]
    assert_array_equal(out.activations["x"], q.encode(x[:15]))
    full = q.forward(q.encode(x))[0]
    assert full.max() == q.cap and full.min() == 0  # the clip and the floor both bite
    for k, res in enumerate(out.results):  # every spike inside its layer's window
        for name in ("l0", "l1"):
            assert res.spikes[name].sum() == out.activations[name][k].sum()
    rate = _check_exact(q, snn, x[:15], encoding="rate", seed=7)[1]
    again = snn.infer(x[:15], encoding="rate", seed=7, keep=False)
    assert_array_equal(rate.logits, again.logits)  # same seed, same spikes
    if timesteps > 1:
        assert not np.array_equal(rate.activations["x"], out.activations["x"])


@pytest.mark.parametrize(("weight_bits", "timesteps"), [(2, 1), (3, 2), (4, 1), (2, 4)])
def test_truenorth_copies_scheme_is_exact(rng, weight_bits, timesteps):
    """TrueNorth: weights as subsets of 4 axon-type weights, every layer decided in one tick by
    T thermometer copies; spike counts equal the quantized activations, the logits equal z,
    for direct and seeded rate encodings, also where splitters relay the copies."""
    layers = [convert.Dense(rng.normal(0, 0.3, (12, 16)), rng.normal(0, 0.5, 16)),
              convert.Dense(rng.normal(0, 0.3, (16, 10)), rng.normal(0, 0.5, 10)),
              convert.Dense(rng.normal(0, 0.3, (10, 4)), rng.normal(0, 0.2, 4))]  # fmt: skip
    x = rng.random((60, 12)) * 3
    q = convert.quantize(layers, x, weight_bits=weight_bits, spike_bits=1, timesteps=timesteps)
    snn = convert.to_snn(q, "truenorth")
    assert snn.scheme == "copies"
    assert len(snn.populations_of("l0")) == q.cap and snn.hidden_neurons == 26
    assert not snn.mapping.fidelity
    top = np.argsort(-q.forward(q.encode(x))[0].max(axis=1), kind="stable")
    x = x[np.sort(np.r_[top[:6], top[-6:]])]  # samples that reach the cap and that do not
    ref, out = _check_exact(q, snn, x)
    assert ref[0].max() == q.cap and ref[0].min() == 0  # the clip and the floor both bite
    assert (ref[1] > 0).any() and (ref[1] < q.cap).any()
    for k, res in enumerate(out.results):  # each copy fires once at most, in its tick
        spikes = sum(res.spikes[p].sum() for h in ("l0", "l1") for p in snn.populations_of(h))
        assert spikes == out.activations["l0"][k].sum() + out.activations["l1"][k].sum()
        assert spikes == snn.hidden_spikes(res)
    rate = _check_exact(q, snn, x, encoding="rate", seed=3)[1]
    assert_array_equal(rate.logits, snn.infer(x, encoding="rate", seed=3).logits)
    if timesteps > 1:
        assert snn.mapping.splitters  # copies fan out to T populations: relayed
        assert not np.array_equal(rate.activations["x"], out.activations["x"])


def test_truenorth_cnn_and_fan_in_limit(rng):
    layers = [convert.Conv2d(rng.normal(0, 0.4, (3, 1, 3, 3)), rng.normal(0, 0.3, 3), padding=1),
              convert.AvgPool2d(2), convert.Flatten(),
              convert.Dense(rng.normal(0, 0.3, (3 * 3 * 3, 5)), rng.normal(0, 0.2, 5))]  # fmt: skip
    x = rng.random((30, 1, 6, 6)) * 2
    q = convert.quantize(layers, x, (1, 6, 6), weight_bits=3, spike_bits=1, timesteps=2)
    snn = convert.to_snn(q, "truenorth")
    _check_exact(q, snn, x[:8])
    wide = [convert.Dense(rng.normal(0, 0.3, (200, 8))), convert.Dense(rng.normal(0, 0.3, (8, 2)))]
    qw = convert.quantize(wide, rng.random((20, 200)), weight_bits=4, spike_bits=1, timesteps=2)
    with pytest.raises(sm.MappingError, match=r"population 'l0\.1': neuron \d+ alone needs \d+ "
                       r"input axons; truenorth cores have 256"):  # fmt: skip
        convert.to_snn(qw, "truenorth")
    assert convert.limits("truenorth") == {"weight_bits": 4, "spike_bits": 1}
    assert convert.limits("loihi2") == {"weight_bits": 8, "spike_bits": 24}


def test_cnn_window_scheme_on_binary_spikes(rng):
    layers = [convert.Conv2d(rng.normal(0, 0.4, (4, 1, 3, 3)), rng.normal(0, 0.3, 4), padding=1),
              convert.AvgPool2d(2), convert.SumPool2d(1), convert.Flatten(),
              convert.Dense(rng.normal(0, 0.3, (4 * 4 * 4, 10)), rng.normal(0, 0.2, 10))]  # fmt: skip
    x = rng.random((30, 1, 8, 8)) * 2
    q = convert.quantize(layers, x, (1, 8, 8), weight_bits=4, spike_bits=1, timesteps=4)
    snn = convert.to_snn(q, "loihi")
    _check_exact(q, snn, x[:6])
    assert snn.scheme == "window" and snn.latency["out"] == 16


@pytest.mark.parametrize("spike_bits", [3, 8])
def test_recurrent_conversion_is_exact_on_every_element(rng, spike_bits):
    """Elman layer -> stateless recurrent IF population (its own spikes, delay 1, meet the next
    element); then a dense readout per element. Sequences run from a reset state."""
    n_in, n_h = 6, 12
    layers = [convert.Recurrent(rng.normal(0, 0.5, (n_in, n_h)), rng.normal(0, 0.3, (n_h, n_h)),
                                rng.normal(0, 0.2, n_h)),
              convert.Dense(rng.normal(0, 0.4, (n_h, 3)), rng.normal(0, 0.1, 3))]  # fmt: skip
    x = rng.random((30, 9, n_in))
    q = convert.quantize(layers, x, weight_bits=6, spike_bits=spike_bits)
    assert q.sequential and [ly.kind for ly in q.layers] == ["recurrent", "dense"]
    snn = convert.to_snn(q, "loihi2")
    ref = q.forward(q.encode(x[:5]))
    out = snn.infer(x[:5])
    assert out.logits.shape == (5, 9, 3)
    assert_array_equal(out.activations["l0"], ref[0])
    assert_array_equal(out.logits, ref[1])
    assert (ref[0][:, 1:] != 0).any() and ref[0].max() > 1  # the recurrence is doing work
    # a recurrent state carried across elements: element 2 differs from a fresh start on it
    fresh = q.forward(q.encode(x[:5, 2:3]))[0][:, 0]
    assert (fresh != ref[0][:, 2]).any()
    with pytest.raises(sm.ShapeError, match=r"\(B, S, \.\.\.\)"):
        q.encode(x[0, 0])


def test_float_recurrent_forward_matches_a_plain_loop(rng):
    w_in, w_rec, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    x = rng.normal(size=(2, 5, 3))
    h = np.zeros((2, 4))
    got = convert.float_forward([convert.Recurrent(w_in, w_rec, b),
                                 convert.Dense(np.eye(4))], x, (3,))  # fmt: skip
    for t in range(5):
        h = np.maximum(x[:, t] @ w_in + h @ w_rec + b, 0)
        np.testing.assert_allclose(got[0][:, t], h)
        np.testing.assert_allclose(got[1][:, t], h)


def test_quantized_ann_tracks_the_float_ann(rng):
    """8-bit weights and activations: the integer network's logits are the float ones, scaled."""
    layers = [convert.Dense(rng.normal(0, 0.3, (10, 24)), rng.normal(0, 0.3, 24)),
              convert.Dense(rng.normal(0, 0.3, (24, 4)), rng.normal(0, 0.3, 4))]  # fmt: skip
    x = rng.random((200, 10))
    q = convert.quantize(layers, x, weight_bits=8, spike_bits=8, percentile=100)
    logits = q.forward(q.encode(x))[-1] * q.layers[-1].scale
    ref = convert.float_forward(layers, x, (10,))[-1]
    assert np.abs(logits - ref).max() < 0.05 * np.abs(ref).max()
    assert (np.argmax(logits, 1) == np.argmax(ref, 1)).mean() > 0.95


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")
def test_sklearn_mlp_adapter_and_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    nn = pytest.importorskip("sklearn.neural_network")
    X, y = datasets.load_digits(return_X_y=True)
    clf = nn.MLPClassifier((32,), max_iter=200, random_state=0).fit(X[:1200], y[:1200])
    q = convert.quantize(convert.from_mlp(clf), X[:1200], weight_bits=8, spike_bits=4)
    assert (q.predict(X[1200:]) == y[1200:]).mean() > clf.score(X[1200:], y[1200:]) - 0.03
    snn = convert.to_snn(q, "loihi2")
    _check_exact(q, snn, X[1200:1240])


def test_conversion_errors(rng):
    dense = convert.Dense(rng.normal(size=(4, 3)))
    with pytest.raises(sm.ParameterError, match=r"weight_bits: must be an integer in 2..8"):
        convert.quantize([dense], rng.random((5, 4)), weight_bits=1)
    with pytest.raises(sm.ShapeError, match=r"samples must have shape"):
        convert.quantize([dense], rng.random((5, 7)), (4,))
    with pytest.raises(sm.ShapeError, match=r"Dense.bias: must have shape"):
        convert.Dense(np.ones((4, 3)), np.ones(4))
    with pytest.raises(sm.ParameterError, match="must be finite"):
        convert.Dense(np.full((2, 2), np.nan))
    with pytest.raises(sm.ParameterError, match="last layer must be Dense or Conv2d"):
        convert.quantize([dense, convert.Flatten()], rng.random((5, 4)))
    q = convert.quantize([dense], rng.random((5, 4)))
    with pytest.raises(sm.MappingError, match=r"need 4-bit spikes; loihi carries 1-bit spikes"):
        convert.to_snn(q, "loihi")
    with pytest.raises(sm.MappingError, match=r"stream scheme needs 24-bit spikes .*loihi carr"):
        convert.to_snn(q, "loihi", scheme="stream")
    with pytest.raises(sm.MappingError, match="window scheme builds IF neurons; truenorth runs"):
        convert.to_snn(q, "truenorth", scheme="window")
    with pytest.raises(sm.MappingError, match=r"truenorth carries 1-bit spikes; spike_bits=4"):
        convert.to_snn(convert.quantize([dense], rng.random((5, 4)), weight_bits=4), "truenorth")
    q4 = convert.quantize([dense], rng.random((5, 4)), weight_bits=8, spike_bits=1)
    with pytest.raises(
        sm.MappingError, match=r"at most 16 distinct weights, 4-bit\); weight_bits=8"
    ):
        convert.to_snn(q4, "truenorth")
    with pytest.raises(sm.MappingError, match="copies scheme builds TrueNorthNeuron"):
        convert.to_snn(q4, "loihi", scheme="copies")
    with pytest.raises(sm.ParameterError, match="scheme: must be 'auto'"):
        convert.to_snn(q, "loihi2", scheme="pipelined")
    with pytest.raises(sm.ParameterError, match="encoding 'rate' needs the window scheme"):
        convert.to_snn(q, "loihi2").infer(rng.random((2, 4)), encoding="rate")
    q3 = convert.quantize([dense], rng.random((5, 4)), spike_bits=1, timesteps=3)
    with pytest.raises(sm.MappingError, match=r"has timesteps=3 .*scheme='window'"):
        convert.to_snn(q3, "loihi2", scheme="stream")
    with pytest.raises(sm.ParameterError, match="encoding must be 'direct' or 'rate'"):
        q3.trains(rng.random((2, 4)), "poisson")
    with pytest.raises(sm.ParameterError, match=r"levels must be in 0..3 \(got 0..4\)"):
        q3.trains(np.array([[0, 4, 1, 1]]), levels=True)
    with pytest.raises(sm.ParameterError, match=r"timesteps: must be an integer in 1..64"):
        convert.quantize([dense], rng.random((5, 4)), timesteps=0)
    big = convert.Dense(np.ones((600, 2)))
    with pytest.raises(sm.ParameterError, match="beyond the IF membrane"):
        convert.quantize([convert.Dense(np.ones((4, 600))), big], rng.random((5, 4)),
                         weight_bits=8, spike_bits=12)  # fmt: skip
    with pytest.raises(sm.ParameterError, match="from_mlp: expects a fitted"):
        convert.from_mlp(object())
