"""SmoothIF in networks, and the rate-coded network of the smoothing study."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh.study import smoothing


def test_even_trains_spread_the_levels():
    tr = smoothing.even_trains(np.array([[0, 1, 3, 8]]), 8)
    assert tr.shape == (1, 8, 4) and tr.sum(axis=1).tolist() == [[0, 1, 3, 8]]
    assert tr[0, :, 2].tolist() == [0, 0, 1, 0, 0, 1, 0, 1]
    with pytest.raises(sm.ParameterError, match=r"levels must be in 0\.\.8"):
        smoothing.even_trains(np.array([[9]]), 8)


@pytest.mark.parametrize("backend", ["cython", "numpy"])
def test_smooth_if_alpha_zero_network_equals_if(backend, rng):
    net, w = {}, rng.integers(-10, 30, (6, 5))
    for kind in ("if", "smooth"):
        n = sm.Network(kind)
        x = n.input(6, name="x")
        spec = (sm.IF(vth=40, reset="subtract", bias=3) if kind == "if"
                else sm.SmoothIF(vth=40, reset="subtract", bias=3, alpha=0))  # fmt: skip
        p = n.population(5, spec, name="p")
        n.connect(x, p, w)
        net[kind] = n
    x = (rng.random((40, 6)) < 0.5).astype(np.int32)
    r = {k: sm.Simulator(sm.map_network(n, "loihi2"), backend=backend).run(40, inputs={"x": x})
         for k, n in net.items()}  # fmt: skip
    assert_array_equal(r["if"].spikes["p"], r["smooth"].spikes["p"])
    assert r["if"].spikes["p"].sum() > 10


def test_smooth_if_needs_a_programmable_chip_and_checks_alpha():
    with pytest.raises(sm.ParameterError, match=r"SmoothIF.alpha: must be an integer in 0\.\.4095"):
        sm.SmoothIF(vth=1, alpha=4096)
    net = sm.Network()
    x = net.input(1)
    p = net.population(1, sm.SmoothIF(vth=1), name="s")
    net.connect(x, p, np.ones((1, 1), int))
    with pytest.raises(sm.MappingError, match=r"population 's' uses SmoothIF; loihi cores run"):
        sm.map_network(net, "loihi")
    net.save(path := __import__("pathlib").Path(__import__("tempfile").mkdtemp()) / "s.npz")
    assert sm.Network.load(path).populations["s"].neuron.alpha == 2048
