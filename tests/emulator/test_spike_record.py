"""The spike record: events (step, neuron, payload) read as dense arrays, the same on every
path (compiled step, NumPy twins, the per-step loop of overflow='raise'), across continued runs
and through save / load."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh.emulator import SpikeRecord
from tests.networks import deep_net, make_profile


def _run(net, chip, backend, steps, X, **kw):
    sim = sm.Simulator(sm.map_network(net, chip), backend=backend, **kw)
    return sim, sim.run(steps, inputs={"x": X})


@pytest.mark.parametrize("model", ["CubaLIF", "IF"])
def test_every_path_records_the_same_events(tmp_path, rng, model):
    net = deep_net(rng, model)
    chip = make_profile(tmp_path, "loihi2" if model == "IF" else "loihi", neurons=8)
    steps = 40
    if model == "IF":  # graded, signed payloads
        X = rng.integers(0, 8, (steps, 30)).astype(np.int32)
    else:
        X = (rng.random((steps, 30)) < 0.3).astype(np.int32)
    runs = [_run(net, chip, b, steps, X)[1] for b in ("cython", "numpy")]
    runs.append(_run(net, chip, "cython", steps, X, overflow="raise")[1])  # per-step loop
    assert sum(runs[0].spikes.count(p) for p in "abc") > 50  # the case is not silent
    if model == "IF":
        assert min(int(runs[0].spikes[p].min()) for p in "abc") < 0  # negative payloads too
    for res in runs:
        assert isinstance(res.spikes, SpikeRecord) and list(res.spikes) == ["a", "b", "c"]
        for p in "abc":
            dense = res.spikes[p]
            assert dense.shape == (steps, net.populations[p].n) and dense.dtype == np.int32
            assert res.spikes[p] is dense  # built once, kept
            assert_array_equal(dense, runs[0].spikes[p])
            t, i, v = res.spikes.events(p)
            assert_array_equal(np.lexsort((i, t)), np.arange(t.size))  # sorted (step, neuron)
            want_t, want_i = np.nonzero(dense)
            assert_array_equal(t, want_t)
            assert_array_equal(i, want_i)
            assert_array_equal(v, dense[want_t, want_i])
            assert res.spikes.count(p) == np.count_nonzero(dense)
        assert res.spikes.count() == sum(np.count_nonzero(res.spikes[p]) for p in "abc")


def test_counts_without_building_dense_arrays_and_continued_runs(rng):
    net = deep_net(rng)
    sim = sm.Simulator(sm.map_network(net, "loihi"))
    X = (rng.random((30, 30)) < 0.4).astype(np.int32)
    first = sim.run(30, inputs={"x": X})
    second = sim.run(30, inputs={"x": X})
    whole = sm.Simulator(sm.map_network(net, "loihi")).run(60, inputs={"x": np.vstack([X, X])})
    n = first.spikes.count() + second.spikes.count()
    assert n == whole.spikes.count() > 0 and not first.spikes._dense  # nothing densified
    assert repr(first.spikes).startswith("SpikeRecord(30 steps; spikes {'a': ")
    for p in "abc":
        t2, i2, v2 = second.spikes.events(p)  # steps count from the run's own first step
        t, i, v = whole.spikes.events(p)
        late = t >= 30
        assert_array_equal(t2, t[late] - 30)
        assert_array_equal(i2, i[late])
        assert_array_equal(v2, v[late])
    with pytest.raises(KeyError):
        first.spikes["nope"]
    assert "nope" not in first.spikes and len(first.spikes) == 3


def test_save_load_keeps_the_record(tmp_path, rng):
    net = deep_net(rng)
    m = sm.map_network(net, "loihi")
    X = (rng.random((25, 30)) < 0.4).astype(np.int32)
    res = sm.Simulator(m).run(25, inputs={"x": X})
    res.save(tmp_path / "r.npz")
    back = sm.SimulationResult.load(tmp_path / "r.npz", m)
    assert isinstance(back.spikes, SpikeRecord) and back.spikes.steps == 25
    for p in "abc":
        assert_array_equal(back.spikes[p], res.spikes[p])
        for a, b in zip(back.spikes.events(p), res.spikes.events(p), strict=True):
            assert_array_equal(a, b)
    assert back.spikes.count() == res.spikes.count()
