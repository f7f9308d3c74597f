"""``encode.s_analog``: a sequence's direct levels held over each element's steps, and the
exactness it is for -- an IF with threshold ``steps * s`` counts the clip-floor quantized
activation ``clip(c // s, 0, steps)`` from that constant input, run on the emulator (both
kernel backends)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm


def test_levels_are_held_for_each_elements_steps():
    x = np.array([[0.1, 0.5], [1.0, 0.0], [0.25, 0.75]])
    m, err = sm.encode.s_analog(x, 3, bits=4)
    q, derr = sm.encode.direct(x, 4)
    assert m.dtype == np.int32 and m.shape == (9, 2)
    for k in range(3):
        assert_array_equal(m[3 * k : 3 * k + 3], np.broadcast_to(q[k], (3, 2)))
    assert err == derr and err <= 0.5 / 15 + 1e-12


def test_signed_values_and_their_range():
    m, _ = sm.encode.s_analog([[-1.0], [0.5]], 2, bits=3, signed=True)
    assert_array_equal(m[:, 0], [-7, -7, 4, 4])
    with pytest.raises(sm.ParameterError, match=r"encode\.s_analog\.x.*\[0, 1\].*signed=True"):
        sm.encode.s_analog([[-0.5]], 2)
    with pytest.raises(sm.ParameterError, match=r"encode\.s_analog\.x.*\[-2, 2\]"):
        sm.encode.s_analog([[3.0]], 2, signed=True, x_max=2.0)


@pytest.mark.parametrize(
    "kwargs, field",
    [(dict(x=[], steps=2), "x"), (dict(x=0.5, steps=2), "x"), (dict(x=[0.5], steps=0), "steps"),
     (dict(x=[0.5], steps=2, bits=0), "bits"), (dict(x=[0.5], steps=2, bits=24, signed=True),
                                                "bits"),
     (dict(x=[0.5], steps=2, x_max=0.0), "x_max"), (dict(x=[np.nan], steps=2), "x"),
     (dict(x=[0.5], steps=2, signed="yes"), "signed"),
     (dict(x=np.zeros(3), steps=2**30), "outputs")],
)  # fmt: skip
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(sm.SpikemeshError, match=field):
        sm.encode.s_analog(**kwargs)


@pytest.mark.parametrize("T", [1, 2, 4, 8])
def test_an_if_layer_counts_the_quantized_activation_from_it(backend, rng, T):
    """Per element: c = level . W + b each step; IF(vth = T*s, soft reset) fires
    clip(c // s, 0, T) times in the element's T steps (its membrane starts at 0)."""
    S, n_in, n_out, bits, s = 6, 12, 20, 4, 37
    x = rng.random((S, n_in))
    msgs, _ = sm.encode.s_analog(x, T, bits=bits)
    levels = msgs[::T].astype(np.int64)
    # even weights: a signed 8-bit Loihi weight keeps 7 mantissa bits (REFERENCE.md)
    w = 2 * rng.integers(-5, 6, (n_in, n_out))
    b = 2 * rng.integers(-20, 21, n_out)
    net = sm.Network("s_analog")
    src = net.input(n_in, name="x", payload_bits=bits)
    one = net.input(1, name="one")  # the bias is input current too: b in each of the T steps
    pop = net.population(n_out, sm.IF(vth=T * s, reset="subtract"), name="h")
    net.connect(src, pop, weights=w, weight_bits=8)
    net.connect(one, pop, weights=b[None, :], weight_bits=8)
    sim = sm.Simulator(sm.map_network(net, "loihi2"), backend=backend)
    c = levels @ w + b
    want = np.clip(c // s, 0, T)
    for k in range(S):
        sim.reset()
        steps = T + 1  # a message sent in step t is integrated in step t + 1
        xin = np.zeros((steps, n_in), np.int32)
        xin[:T] = msgs[k * T : (k + 1) * T]
        on = np.zeros((steps, 1), np.int32)
        on[:T] = 1
        got = sim.run(steps, inputs={"x": xin, "one": on}).spikes["h"]
        assert not got[0].any()
        assert_array_equal(got.sum(axis=0), want[k], err_msg=f"element {k}")
