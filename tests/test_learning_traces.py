"""The learning engine's traces against Lava 0.10's fixed-point learning model (issue 29, first
piece): ``tests/data/lava_learning.npz``, made by ``benchmarks/peers/make_lava_learning_traces.py``
in Lava's own virtualenv (no Lava here). Every trace after every step, for STDPLoihi and general
Loihi2FLearningRule cases (epochs 1-4, decays 4-40, fractional impulses, tau = 0 traces)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from spikemesh import kernels, learning
from spikemesh.exceptions import ParameterError
from spikemesh.learning import TRACE_MAX, Traces

DATA = np.load(Path(__file__).resolve().parent / "data" / "lava_learning.npz")
META = json.loads(bytes(DATA["meta"]).decode())
CASES = [c["name"] for c in META["cases"]]


def traces_of(case: dict, n_pre: int, n_post: int, kern=None) -> Traces:
    p = dict(case["params"])
    if case["rule"] == "stdp":  # STDPLoihi: x1 <- tau_plus, y1 <- tau_minus, impulses 16
        p = dict(x1_impulse=p.get("x1_impulse", 16), x1_tau=p["tau_plus"],
                 y1_impulse=p.get("y1_impulse", 16), y1_tau=p["tau_minus"],
                 t_epoch=p.get("t_epoch", 1), rng_seed=p["rng_seed"])  # fmt: skip
    g = p.get
    return Traces(n_pre, n_post, x_impulses=(g("x1_impulse", 0), g("x2_impulse", 0)),
                  x_taus=(g("x1_tau", 0), g("x2_tau", 0)),
                  y_impulses=(g("y1_impulse", 0), g("y2_impulse", 0), g("y3_impulse", 0)),
                  y_taus=(g("y1_tau", 0), g("y2_tau", 0), g("y3_tau", 0)),
                  t_epoch=g("t_epoch", 1), rng_seed=p["rng_seed"], kernels=kern)  # fmt: skip


def test_fixtures_come_from_lavas_fixed_point_learning_model():
    assert META["lava_version"] == "0.10.0"
    assert {c["model"] for c in META["cases"]} == {"PyLearningDenseModelBitApproximate"}
    assert len(CASES) >= 8


@pytest.mark.parametrize("name", CASES)
def test_traces_equal_lavas_every_step(name, backend):
    case = next(c for c in META["cases"] if c["name"] == name)
    pre, post = DATA[f"{name}/pre"], DATA[f"{name}/post"]
    tr = traces_of(case, pre.shape[1], post.shape[1], kernels.get(backend))
    for t in range(pre.shape[0]):
        tr.step(pre[t], post[t])
        for k, key in enumerate(("x1", "x2")):
            assert_array_equal(tr.x[k], DATA[f"{name}/{key}"][t], err_msg=f"{key}, step {t + 1}")
        for k, key in enumerate(("y1", "y2", "y3")):
            assert_array_equal(tr.y[k], DATA[f"{name}/{key}"][t], err_msg=f"{key}, step {t + 1}")
    assert tr.x.max() <= TRACE_MAX and tr.y.max() <= TRACE_MAX


def test_the_fixtures_exercise_what_they_claim():
    # tau = 0 traces hold one impulse (or two: a second spike in the epoch), x2's 40.5 rounded
    # with the pre side's random number 0 (always up), y3's 33.25 stochastically both ways
    assert set(np.unique(DATA["rule_tau0/x2"])) == {0, 41, 82}
    assert set(np.unique(DATA["rule_tau0/y3"])) == {0, 33, 34}
    assert DATA["stdp_epoch4/x1"].max() > 0 and DATA["rule_triplet/y2"].max() > 0


def test_bad_arguments_are_named():
    with pytest.raises(ParameterError, match="x_impulses and x_taus take 2 values"):
        Traces(2, 2, x_impulses=(1,))
    with pytest.raises(ParameterError, match=r"t_epoch"):
        Traces(2, 2, t_epoch=0)
    with pytest.raises(ParameterError, match=r"impulse\[0\]"):
        Traces(2, 2, x_impulses=(200, 0))
    with pytest.raises(ParameterError, match="spikes must have shapes"):
        Traces(2, 3).step(np.zeros(3), np.zeros(3))


def test_compiled_trace_kernels_equal_their_twins(compiled):
    """Random trace sets, spike times, decay factors (kept and not), impulses and draws: the
    compiled kernels write exactly what the NumPy twins write."""
    rng = np.random.default_rng(29)
    for _ in range(300):
        K, n, T = int(rng.integers(1, 4)), int(rng.integers(1, 40)), int(rng.integers(1, 64))
        tr = rng.integers(0, TRACE_MAX + 1, (K, n)).astype(np.int64)
        times = rng.integers(0, T + 1, n).astype(np.int64)
        spikes = (rng.random(n) < 0.4).astype(np.uint8)
        whole = rng.integers(0, 128, K).astype(np.int64)
        frac = rng.integers(0, 257, K).astype(np.int64)
        kept = (rng.random(K) < 0.7).astype(np.uint8)
        factors = np.array([float(np.exp(-1 / t)) for t in rng.uniform(0.3, 60, K)]) * kept
        r_int, r_dec = int(rng.integers(0, 128)), float(rng.random())
        a, ta, b, tb = tr.copy(), times.copy(), tr.copy(), times.copy()
        within = int(rng.integers(1, T + 1))
        learning.trace_step(a, ta, spikes, within, whole, frac, r_int)
        compiled.trace_step(b, tb, spikes, within, whole, frac, r_int)
        assert_array_equal(a, b)
        assert_array_equal(ta, tb)
        ha = np.empty((T + 1, K, n), np.int64)
        hb = np.empty((T + 1, K, n), np.int64)
        learning.trace_replay(tr, times, factors, kept, r_dec, r_int, whole, frac, ha)
        compiled.trace_replay(tr, times, factors, kept, r_dec, r_int, whole, frac, hb)
        assert_array_equal(ha, hb)
    with pytest.raises(ValueError, match="trace_replay"):
        compiled.trace_replay(tr, times[:-1] if n > 1 else times[:0], factors, kept, 0.5, 0,
                              whole, frac, hb)  # fmt: skip
