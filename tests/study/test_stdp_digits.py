"""The on-chip learning study (docs/learning.md, "The digits study"): the training network
spikes only where the teacher says, the learned weights follow the rule's float model, the
inference network computes exactly the integer scores it claims, the costs are the counts
times the profile's figures, and bad input is named."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh.exceptions import ParameterError, SpikemeshError

pytest.importorskip("sklearn")
from spikemesh.study import digits
from spikemesh.study import stdp_digits as S

P = S.PRESENT


@pytest.fixture(scope="module")
def d():
    return digits.data(0)


@pytest.fixture(scope="module")
def trained(d):
    x, y = d["x_train"][:240], d["y_train"][:240]
    return S.train_on_chip(x, y, 4, checkpoints=[80], seed=3)


def _float_ema(x, y, seed, rate_exp=S.RATE_EXP, w0=S.INITIAL_WEIGHT):
    """The rule in float on the same spike trains: at each digit's last step (its neuron's
    spike), w_c += 2^-r (2 x1 - w_c); x1 the float trace of the inputs."""
    s = S.input_trains(x, seed).reshape(len(x), P, S.N_IN)
    a = 2.0**-rate_exp
    x1 = np.zeros(S.N_IN)
    w = np.full((S.N_IN, S.N_CLASSES), float(w0))
    for k in range(len(x)):
        for t in range(P):
            x1 = np.minimum(x1 * math.exp(-1 / S.X1_TAU) + S.X1_IMPULSE * s[k, t], 127.0)
        w[:, y[k]] += a * (2 * x1 - w[:, y[k]])
    return w


def test_outputs_spike_only_when_the_teacher_says_and_weights_follow_the_float_rule(d):
    """t_epoch 1 (the trace read at the post spike's step): the learned integer weights stay
    within the stochastic rounding's reach of the rule's float model (Lava's trace rounds
    stochastically too); every column moved away from its start."""
    x, y = d["x_train"][:200], d["y_train"][:200]
    tr = S.train_on_chip(x, y, 1, seed=5)
    want = _float_ema(x, y, 5)
    diff = tr["weights"] - want
    # measured: 1.28 mean, 4.4 largest; the float rule on another seed's trains is 2.4 away,
    # at rate 2^-4 or 2^-6 14-19 away
    assert np.abs(diff).mean() < 2.0, np.abs(diff).mean()
    assert np.abs(diff).max() < 8, np.abs(diff).max()
    for c in range(S.N_CLASSES):
        assert np.corrcoef(tr["weights"][:, c], want[:, c])[0, 1] > 0.98
        assert np.any(tr["weights"][:, c] != S.INITIAL_WEIGHT)
    assert tr["overflows"] == 0


def test_a_neuron_that_fires_without_its_teacher_is_refused(d, monkeypatch):
    """If the inputs alone can drive an output over threshold the study's premise breaks:
    the run says so instead of learning from the wrong spikes."""
    monkeypatch.setattr(S, "VTH", 2000)
    with pytest.raises(SpikemeshError, match="did not spike exactly when the teacher said"):
        S.train_on_chip(d["x_train"][:30], d["y_train"][:30], 4)


def test_costs_are_the_counts_times_the_profile(trained):
    chip = sm.chips.get("loihi")
    syn = S.N_IN * S.N_CLASSES
    assert trained["synaptic_updates_per_sample"] == syn * P / 4
    assert trained["epochs"] == 240 * P // 4
    pj = chip.energy["davies2018"]["synaptic_update_pj"]
    assert trained["learning_J_per_sample"] == pytest.approx(syn * P / 4 * pj * 1e-12, rel=1e-12)
    assert trained["learning_ns_per_epoch"] == pytest.approx(
        syn * chip.timing["synaptic_update_ns"]
    )
    # an epoch's cycles hold its steps and the learning phase (1 cycle = 1 ns on loihi)
    assert trained["cycles_per_epoch"] > trained["learning_ns_per_epoch"]
    assert (
        trained["chip_J_per_sample"]
        > trained["chip_dynamic_J_per_sample"]
        > trained["learning_J_per_sample"]
    )
    assert 0 < trained["synops_J_per_sample"] < trained["learning_J_per_sample"]


def test_checkpoints_change_nothing_the_run_computes(d, trained):
    x, y = d["x_train"][:240], d["y_train"][:240]
    first = S.train_on_chip(x[:80], y[:80], 4, seed=3)
    assert_array_equal(trained["snapshots"][80], first["weights"])
    whole = S.train_on_chip(x, y, 4, seed=3)
    assert_array_equal(whole["weights"], trained["weights"])
    assert whole["chip_J_per_sample"] == pytest.approx(trained["chip_J_per_sample"], rel=1e-12)
    assert whole["cycles_per_epoch"] == trained["cycles_per_epoch"]


def test_same_seed_same_weights_other_seed_other_weights(d, trained):
    x, y = d["x_train"][:240], d["y_train"][:240]
    again = S.train_on_chip(x, y, 4, checkpoints=[80], seed=3)
    assert_array_equal(again["weights"], trained["weights"])
    other = S.train_on_chip(x, y, 4, seed=4)
    assert not np.array_equal(other["weights"], trained["weights"])


def test_inference_network_computes_the_integer_scores_exactly(d):
    """v after the sample = counts @ W + (PRESENT + 1) b, the prediction its argmax (lowest
    class on ties): logistic weights (signed, with bias) and learned-style weights."""
    x, y = d["x_test"][:40], d["y_test"][:40]
    W, b = S.logistic_weights(d["x_train"][:300], d["y_train"][:300])
    assert np.abs(W).max() == 255
    ev = S.evaluate(W, x, y, b, timing="none", seed=7)
    counts = S.input_trains(x, 7).reshape(len(x), P, S.N_IN).sum(axis=1)
    scores = counts @ W + (P + 1) * b
    assert_array_equal(ev["predictions"], np.argmax(scores, axis=1))
    assert ev["accuracy"] == np.mean(np.argmax(scores, axis=1) == y)
    assert ev["ties"] == 0


def test_ties_are_counted_and_warned(d):
    x, y = d["x_test"][:10], d["y_test"][:10]
    W = np.full((S.N_IN, S.N_CLASSES), 10)
    with pytest.warns(UserWarning, match="10 of 10 samples tie"):
        ev = S.evaluate(W, x, y, timing="none")
    assert ev["ties"] == 10 and np.all(ev["predictions"] == 0)


def test_rule_targets_are_the_float_class_means(d):
    """Each class's mean of 2 x1 at its digits' last step, the trace run on across digits,
    computed here step by step (independently of the function)."""
    x, y = d["x_train"][:100], d["y_train"][:100]
    w = S.rule_targets(x, y, seed=2)
    assert w.shape == (64, 10) and w.min() >= 0 and w.max() <= 255
    s = S.input_trains(x, 2).reshape(len(x), P, S.N_IN)
    x1, ends = np.zeros(S.N_IN), []
    for k in range(len(x)):
        for t in range(P):
            x1 = np.minimum(x1 * math.exp(-1 / S.X1_TAU) + S.X1_IMPULSE * s[k, t], 127.0)
        ends.append(x1.copy())
    ends = np.array(ends)
    for c in range(10):
        assert_array_equal(w[:, c], np.clip(np.rint(2 * ends[y == c].mean(axis=0)), 0, 255))
    assert np.all(w[0] == 0)  # the ink-free corner has no trace


def test_run_table_on_a_small_sample(d):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = S.run(train=160, test=60, t_epochs=(4, 16), checkpoints=(80,), wta_epochs=(4,),
                     wta_neurons=12)  # fmt: skip
    assert [r["training"] for r in rows] == [
        "teacher-forced, on chip (loihi)", "teacher-forced, on chip (loihi)",
        "teacher-forced, offline: the rule's fixed point in float", "offline: logistic regression",
        "unsupervised WTA (12), on chip (loihi)",
        "unsupervised WTA (12): its imprinted start, no learning", "offline: k-means (12 centroids)"]  # fmt: skip
    for r in rows[:2]:
        assert set(r["accuracy_after"]) == {80, 160}
        assert r["accuracy_after"][160] == r["accuracy"]
        assert r["synaptic_updates_per_sample"] == 640 * P / r["t_epoch"]
    assert rows[0]["learning_J_per_sample"] == 4 * rows[1]["learning_J_per_sample"]
    assert rows[4]["synaptic_updates_per_sample"] == 128 * 12 * P / 4
    for r in rows:
        assert 0.0 <= r["accuracy"] <= 1.0 and r["inference_J_per_sample"] > 0
        assert r["eval_overflows"] == 0 and r["overflows"] == 0
    assert rows[3]["accuracy"] > 0.8  # logistic regression, 160 digits


def test_wta_learns_without_labels_and_competes(d):
    """The winner-take-all: the bias is calibrated from the templates alone; a few outputs
    fire per digit (the interneuron clears the rest); the weights that fired move towards the
    traces; labels never enter training (shuffled labels, same weights)."""
    x = d["x_train"][:200]
    tr = S.train_wta(x, 1, n=12, seed=2)
    assert tr["bias"] == S.calibrate_bias(S.imprint(x, 12, 2), x, 4)
    assert 0.5 < tr["winners_per_digit"] < 6 and tr["silent_digits"] < 0.2
    assert np.any(tr["weights"] != tr["initial"])
    assert tr["weights"].shape == (128, 12) and tr["weights"].max() <= 255
    assert tr["synaptic_updates_per_sample"] == 128 * 12 * P
    again = S.train_wta(x, 1, n=12, seed=2)
    assert_array_equal(again["weights"], tr["weights"])


def test_wta_templates_and_labels(d):
    x, y = d["x_train"][:300], d["y_train"][:300]
    w0 = S.imprint(x, 20, seed=1)
    assert w0.shape == (128, 20) and 0 <= w0.min() and w0.max() <= 254
    # every column is one training digit (distinct ones) as the rule's weights would hold it
    all_digits = np.minimum(np.rint(2 * S.TRACE_GAIN * S.complement(x)), 254)
    which = [np.flatnonzero((all_digits == w0[:, j]).all(axis=1)) for j in range(20)]
    assert all(len(k) >= 1 for k in which)
    assert len({int(k[0]) for k in which}) == 20
    labels = S.assign_labels(w0, x, y)
    counts = S.input_trains(x, 3, complement=True).reshape(len(x), P, 128).sum(axis=1)
    win = np.argmax(counts @ w0, axis=1)
    for j in np.unique(win):
        assert labels[j] == np.bincount(y[win == j], minlength=10).argmax()
    assert np.all(labels[np.setdiff1d(np.arange(20), win)] == -1)
    ev = S.evaluate(w0, d["x_test"][:30], d["y_test"][:30], labels=labels, timing="none", seed=7)
    test_counts = S.input_trains(d["x_test"][:30], 7, complement=True).reshape(30, P, 128).sum(1)
    assert_array_equal(ev["predictions"], labels[np.argmax(test_counts @ w0, axis=1)])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda d: S.train_on_chip(d["x_train"][:5], d["y_train"][:5], 3), "t_epoch: must divide"),
        (
            lambda d: S.train_on_chip(d["x_train"][:5], d["y_train"][:5], 4, chip="truenorth"),
            "'truenorth' has no learning engine",
        ),
        (
            lambda d: S.train_on_chip(d["x_train"][:5] * 16, d["y_train"][:5]),
            r"x: pixel values are spike probabilities in \[0, 1\]",
        ),
        (lambda d: S.train_on_chip(d["x_train"][:5], d["y_train"][:5] + 10), "labels must be 0..9"),
        (lambda d: S.train_on_chip(d["x_train"][:5], d["y_train"][:4]), r"needs x \(B, 64\)"),
        (
            lambda d: S.train_on_chip(d["x_train"][:5], d["y_train"][:5], checkpoints=[9]),
            "checkpoints",
        ),
        (
            lambda d: S.evaluate(np.zeros((63, 9)), d["x_test"][:2], d["y_test"][:2]),
            r"weights: must be \(64 or 128, n_out\)",
        ),
        (
            lambda d: S.evaluate(
                np.zeros((64, 9)), d["x_test"][:2], d["y_test"][:2], labels=[0] * 8
            ),
            "labels: one class per output",
        ),
        (lambda d: S.wta_network(np.zeros((64, 5))), r"templates: must be \(128, n\)"),
        (lambda d: S.wta_network(np.zeros((128, 5)), bias=-5000), "bias"),
        (lambda d: S.train_wta(d["x_train"][:5], n=6), "n"),
        (lambda d: S.train_on_chip("digits", [1]), "x: must be an array of numbers"),
        (lambda d: S.calibrate_bias(np.zeros((128, 3)), d["x_train"], fraction=-1), "fraction"),
        (lambda d: S.kmeans_templates(d["x_train"][:5], 10), r"kmeans_templates.n"),
        (lambda d: S.run(wta_epochs=[5]), "t_epoch: must divide"),
        (lambda d: S.rule(8), "rate_exp"),
        (lambda d: S.train_network(initial_weight=300), "initial_weight"),
        (lambda d: S.run(train=0), "train"),
    ],
)
def test_bad_input_is_named(d, call, match):
    with pytest.raises((ParameterError, SpikemeshError), match=match):
        call(d)
