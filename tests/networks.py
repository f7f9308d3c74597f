"""Networks and profiles shared by the tests (imported by test modules; holds no tests)."""

from __future__ import annotations

import re

import numpy as np

import spikemesh as sm
from spikemesh.chips import PROFILE_DIR

SPEC_A = dict(alpha=6, leak=-1, reset_mode=0, reset_value=0)
SPEC_B = dict(alpha=9, leak=0, reset_mode=1)


def make_profile(tmp_path, base: str = "loihi", name: str = "custom", **core_or_mesh):
    """Write a copy of a shipped profile with some ``key = value`` lines replaced."""
    text = (PROFILE_DIR / f"{base}.toml").read_text()
    text = re.sub(r'^name = ".*"', f'name = "{name}"', text, count=1, flags=re.M)
    for key, value in core_or_mesh.items():
        text, n = re.subn(rf"^{key} = [^#\n]*", f"{key} = {value}", text, count=1, flags=re.M)
        assert n == 1, key
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return str(path)


def deep_net(rng, model="CubaLIF"):
    """Input -> a -> b (recurrent, delays) -> c, with mixed and single-sign projections."""
    net = sm.Network("deep")
    if model == "CubaLIF":
        mk = lambda n, **k: sm.CubaLIF(du=200, dv=100, vth=30, **k)  # noqa: E731
        x = net.input(30, name="x")
    else:  # graded IF on loihi2
        mk = lambda n, **k: sm.IF(vth=40, spike_bits=3, bipolar=True)  # noqa: E731
        x = net.input(30, name="x", payload_bits=3)
    a = net.population(25, mk(25), name="a")
    b = net.population(33, mk(33), name="b")
    c = net.population(11, mk(11), name="c")

    def w(n_pre, n_post, lo, hi, p):
        m = rng.integers(lo, hi, (n_pre, n_post))
        m[rng.random(m.shape) > p] = 0
        return m

    net.connect(x, a, weights=w(30, 25, -60, 120, 0.5))
    net.connect(a, b, weights=w(25, 33, 0, 100, 0.4), delay=rng.integers(1, 4, (25, 33)))
    net.connect(b, b, weights=w(33, 33, -80, 0, 0.2), delay=2)
    net.connect(b, c, weights=w(33, 11, -50, 100, 0.6), weight_exp=1)
    net.connect(x, c, weights=w(30, 11, 0, 30, 0.2))
    for p in (a, b, c):
        net.probe(p, "v")
    return net


def chain_net(rng, n_in=40, n_a=30, n_b=20):
    """x -> a -> b. a's neurons use the 4-bit two's-complement weight set (1, 2, 4, -8), so any
    integer weight in -8..7 maps exactly; b's neurons have their own per-neuron sets."""
    net = sm.Network("tn")
    x = net.input(n_in, name="x")
    a = net.population(n_a, sm.TrueNorthNeuron(weights=(1, 2, 4, -8), **SPEC_A), name="a")
    Sb = np.stack([rng.permutation([5, -3, 2, 1]) for _ in range(n_b)])
    b = net.population(n_b, sm.TrueNorthNeuron(weights=Sb, **SPEC_B), name="b")
    Wa = rng.integers(-8, 8, (n_in, n_a))
    Wa[rng.random(Wa.shape) < 0.6] = 0
    # b's weights: random subset sums of each post neuron's own set
    masks = rng.integers(0, 16, (n_a, n_b))
    Wb = np.zeros((n_a, n_b), np.int64)
    for g in range(4):
        Wb += ((masks >> g) & 1) * Sb[None, :, g]
    Wb[rng.random(Wb.shape) < 0.5] = 0
    net.connect(x, a, weights=Wa)
    net.connect(a, b, weights=Wb)
    return net, Wa, Wb
