"""Property-based tests of whole networks and files (Hypothesis):

- a generated network mapped onto a tiny-core profile (its populations split over many cores)
  spikes exactly as on Loihi's large cores;
- save -> load round-trips a generated network exactly;
- generated malformed chip profiles and network files always give a spikemesh error (or load).
"""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from tests._cases import CASES

pytest.importorskip("hypothesis")
from hypothesis import given
from hypothesis import strategies as st

TINY = sm.chips.override("loihi", {"core.neurons": 4, "core.input_axons": 64,
                                   "core.output_axons": 64}, name="tiny")  # fmt: skip


@st.composite
def networks(draw):
    """A random network: 1 input, 1-3 CubaLIF populations, random sparse projections (loops
    allowed), delays 1..4, biases; plus its input spike trains."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    net = sm.Network("gen")
    n_in = draw(st.integers(1, 8))
    srcs = [net.input(n_in, name="x")]
    for k in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 10))
        spec = sm.CubaLIF(du=draw(st.integers(0, 4095)), dv=draw(st.integers(0, 4095)),
                          vth=draw(st.integers(0, 400)),
                          bias_mant=rng.integers(-20, 60, n) if draw(st.booleans()) else 0,
                          refract_delay=draw(st.integers(1, 3)))  # fmt: skip
        srcs.append(net.population(n, spec, name=f"p{k}"))
    pops = srcs[1:]
    for post in pops:
        for pre in srcs:
            if pre is not srcs[0] and not draw(st.booleans()):
                continue
            w = rng.integers(-60, 120, (pre.n, post.n)) * (rng.random((pre.n, post.n)) < 0.6)
            if not w.any():
                continue
            net.connect(pre, post, w, delay=rng.integers(1, 5, (pre.n, post.n)),
                        weight_exp=draw(st.integers(-2, 3)))  # fmt: skip
    steps = draw(st.integers(5, 40))
    x = (rng.random((steps, n_in)) < draw(st.floats(0.05, 0.9))).astype(np.int32)
    return net, x


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SpikemeshWarning)
        return fn(*args, **kw)


@given(case=networks())
def test_tiny_cores_spike_like_large_cores(case):
    net, x = case
    big = _quiet(sm.map_network, net, "loihi")
    tiny = _quiet(sm.map_network, net, TINY)
    assert tiny.n_cores >= math.ceil(sum(p.n for p in net.populations.values()) / 4)
    r1 = sm.Simulator(big).run(len(x), inputs={"x": x})
    r2 = sm.Simulator(tiny).run(len(x), inputs={"x": x})
    for name in net.populations:
        assert_array_equal(r1.spikes[name], r2.spikes[name], err_msg=name)
    CASES["tiny cores == large cores (neuron-steps)"] += len(x) * sum(
        p.n for p in net.populations.values()
    )


@given(case=networks())
def test_save_load_round_trips_exactly(case):
    net, x = case
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "n.npz"
        net.save(path)
        back = sm.Network.load(path)
    assert list(back.populations) == list(net.populations)
    for a, b in zip(net.projections, back.projections, strict=True):
        for f in ("pre_idx", "post_idx", "weight", "delay"):
            assert_array_equal(getattr(a, f), getattr(b, f))
        assert (a.weight_exp, a.weight_bits, a.name) == (b.weight_exp, b.weight_bits, b.name)
    for k, p in net.populations.items():
        assert p.neuron == back.populations[k].neuron
    r1 = sm.Simulator(_quiet(sm.map_network, net, "loihi")).run(len(x), inputs={"x": x})
    r2 = sm.Simulator(_quiet(sm.map_network, back, "loihi")).run(len(x), inputs={"x": x})
    for name in net.populations:
        assert_array_equal(r1.spikes[name], r2.spikes[name])
    CASES["save/load round trips (networks)"] += 1


# ------------------------------------------------------------------ malformed files
LOIHI_LINES = (Path(sm.chips.PROFILE_DIR) / "loihi.toml").read_text().splitlines()
junk_values = st.one_of(
    st.integers(-(2**70), 2**70).map(str), st.floats(allow_nan=True).map(repr),
    st.sampled_from(["inf", "-inf", "nan", "true", "[]", "[1, 'a']", '""', "{}", "'x'", "[[1]]",
                     "1e400", "0", "-1", "{a = 1}"]),
    st.text(max_size=12).map(json.dumps),
)  # fmt: skip


@given(edits=st.lists(st.tuples(st.integers(0, len(LOIHI_LINES) - 1),
                                st.one_of(st.none(), junk_values)), min_size=1, max_size=4),
       prefix=st.binary(max_size=4))  # fmt: skip
def test_malformed_profiles_give_a_spikemesh_error(edits, prefix):
    lines = list(LOIHI_LINES)
    for i, value in edits:
        key = lines[i].split("=", 1)[0].strip() if "=" in lines[i] else None
        if value is None:
            lines[i] = ""  # a deleted line
        elif key:
            lines[i] = f"{key} = {value}"
        else:
            lines[i] = value  # a section header replaced by junk
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "p.toml"
        path.write_bytes(prefix + "\n".join(lines).encode())
        try:
            sm.chips.load(path)
        except sm.SpikemeshError:
            pass
    CASES["malformed profiles (files)"] += 1


def _saved(tmp):
    net = sm.Network("f")
    x = net.input(3, name="x")
    p = net.population(4, sm.CubaLIF(du=5, dv=7, vth=9, bias_mant=np.arange(4)), name="p")
    net.connect(x, p, np.arange(12).reshape(3, 4), delay=2)
    net.connect(p, p, -np.eye(4, dtype=int) * 3)
    net.probe(p, "v")
    path = Path(tmp) / "net.npz"
    net.save(path)
    return path


def _paths(obj, here=()):
    yield here
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*here, k))
    elif isinstance(obj, list):
        for k, v in enumerate(obj):
            yield from _paths(v, (*here, k))


json_junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**66), 2**66), st.floats(),
              st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=6,
)  # fmt: skip


@given(
    pick=st.integers(0, 10**6), value=json_junk, flips=st.lists(st.integers(0, 10**6), max_size=3)
)
def test_malformed_network_files_give_a_spikemesh_error(pick, value, flips):
    with tempfile.TemporaryDirectory() as d:
        path = _saved(d)
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays["__meta__"]))
        paths = list(_paths(meta))[1:]
        target = paths[pick % len(paths)]
        node = meta
        for k in target[:-1]:
            node = node[k]
        node[target[-1]] = value
        arrays["__meta__"] = np.array(json.dumps(meta))
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)
        if flips:  # and some flipped bytes in the archive itself
            raw = bytearray(path.read_bytes())
            for f in flips:
                raw[f % len(raw)] ^= 0xFF
            path.write_bytes(bytes(raw))
        try:
            sm.Network.load(path)
        except sm.SpikemeshError:
            pass
    CASES["malformed network files (files)"] += 1
