"""A toy study (docs/extending.md, recipe 6): build a network per grid point, evaluate it."""

from __future__ import annotations

import numpy as np

import spikemesh as sm

GRID = {"chip": ["loihi", "loihi2"], "vth": [5, 40]}


def build(point):
    rng = np.random.default_rng(0)
    net = sm.Network("toy")
    x = net.input(16, name="x")
    p = net.population(32, sm.CubaLIF(du=200, dv=200, vth=point["vth"]), name="p")
    net.connect(x, p, weights=rng.integers(0, 80, (16, 32)))
    return sm.map_network(net, sm.study.chip_of(point))


def evaluate(mapping, point):
    X = (np.random.default_rng(1).random((30, 16)) < 0.3).astype(int)
    res = sm.Simulator(mapping, timing="analytic").run(30, inputs={"x": X})
    return {"spikes": int(res.total("spikes")), "nJ": res.energy().total("chip") * 1e9}
