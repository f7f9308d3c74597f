"""The sigma-delta study (docs/sigma_delta.md): its networks compute what they claim, on the
digits stream, and the table's comparisons hold on a small sample."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm

pytest.importorskip("sklearn")
from spikemesh.study import digits, sigma_delta


@pytest.fixture(scope="module")
def qann():
    d = digits.data(0)
    q = sm.convert.quantize(d["layers"], d["x_train"], weight_bits=8, spike_bits=4,
                            input_bits=4, timesteps=1)  # fmt: skip
    return q, d


def test_sigma_delta_network_holds_the_exact_logits_of_relu(qann):
    """vth = 0: the output's act register is W_out relu(W_h x + b_h) + s b_out, frame by
    frame, from nothing but the input's changes."""
    q, d = qann
    x = d["x_test"][:12]
    net = sigma_delta.sigma_delta_network(q, vth=0)
    levels = q.encode(x)
    deltas = np.diff(levels, axis=0, prepend=0)
    depth = len(net.populations)
    inp = np.vstack([deltas, np.zeros((depth, deltas.shape[1]), np.int64)])
    res = sm.Simulator(sm.map_network(net, "loihi2")).run(len(inp), {"x": inp})
    h, o = (ly for ly in q.layers if ly.kind == "dense")
    z = np.maximum(levels @ h.weight + h.bias, 0)
    want = z @ o.weight + o.bias * h.threshold
    assert_array_equal(res.probes["out"]["act"][depth:], want)
    assert sigma_delta.output_scale(q) == h.threshold


def test_holding_a_frame_costs_sigma_delta_nothing_and_graded_if_every_frame(qann):
    q, d = qann
    x, y = d["x_test"][:20], d["y_test"][:20]
    sd1 = sigma_delta.run_sigma_delta(q, x, y, hold=1)
    sd4 = sigma_delta.run_sigma_delta(q, x, y, hold=4)
    g1 = sigma_delta.run_graded(q, x, y, hold=1)
    g4 = sigma_delta.run_graded(q, x, y, hold=4)
    assert sd4["hidden_messages_per_digit"] == sd1["hidden_messages_per_digit"]
    assert sd4["synaptic_events_per_digit"] == sd1["synaptic_events_per_digit"]
    assert g4["hidden_messages_per_digit"] == pytest.approx(4 * g1["hidden_messages_per_digit"])
    assert sd4["chip_dynamic_J"] < g4["chip_dynamic_J"] / 2
    assert sd1["accuracy"] > 0.85 and g1["accuracy"] > 0.85
    assert sd1["accuracy"] == sd4["accuracy"]


def test_a_higher_threshold_sends_fewer_messages(qann):
    q, d = qann
    x, y = d["x_test"][:20], d["y_test"][:20]
    s = q.layers[0].threshold
    a, b = (sigma_delta.run_sigma_delta(q, x, y, vth=v * s)["hidden_messages_per_digit"]
            for v in (0, 2))  # fmt: skip
    assert b < a


def test_cubalif_rate_version_runs_without_overflow():
    d = digits.data(0)
    qr = sm.convert.quantize(d["layers"], d["x_train"], weight_bits=8, spike_bits=1,
                             input_bits=1, timesteps=8)  # fmt: skip
    row = sigma_delta.run_rate(qr, d["x_test"][:30], d["y_test"][:30])
    assert row["accuracy"] > 0.85 and row["overflows"] == 0 and row["steps_per_digit"] == 10
    net = sigma_delta.rate_network(qr)
    assert net.populations["h0"].neuron.model == "CubaLIF"


def test_bad_arguments_are_named():
    with pytest.raises(sm.ParameterError, match="hold"):
        sigma_delta.frames(np.zeros((2, 3)), 0)
    with pytest.raises(sm.ParameterError, match="rate_network"):
        d = digits.data(0)
        q = sm.convert.quantize(d["layers"], d["x_train"], spike_bits=4, input_bits=4)
        sigma_delta.rate_network(q)
