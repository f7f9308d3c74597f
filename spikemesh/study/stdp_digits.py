"""On-chip learning against offline training on one task (docs/learning.md, "The digits study").

The task: scikit-learn's 8x8 digits (1,400 training, 397 held-out, as
:func:`spikemesh.study.digits.data` splits them), each shown for :data:`PRESENT` steps as
Bernoulli rate-coded spikes (``sm.encode.rate``: pixel value = spike probability per step,
seeded). One layer of 10 output neurons, one per class, learns its 64 input weights:

- **on the chip** (:func:`train_network`): the 64 inputs reach 10 CubaLIF neurons through a
  plastic projection; a *teacher* input (one axon per class, weight 255 at ``weight_exp`` 7)
  makes the labelled class's neuron spike once, in the last step of each sample, and nothing
  else makes an output spike (``du = dv = 4095``: the membrane holds one step's input only;
  ``vth`` 16,300 lies between the teacher's 255 << 6 and the 64 x 254 that the rule's
  weights approach at most; every run checks that the outputs spiked exactly when the teacher
  said). The rule :func:`rule` (default ``dw = 2^-4 y0 x1 - 2^-5 y0 w``, ``rate_exp`` 5)
  moves a spiking neuron's weights 2^-rate_exp of the way towards twice the presynaptic trace
  ``x1`` (impulse 16, tau 8: about 136 x the pixel's spike rate, 7 bits) -- a supervised
  (teacher-forced) Hebbian rule whose fixed point is the class's mean trace, the instar form
  of STDP's potentiation with weight-dependent decay. Excitatory 8-bit weights, all 64 at the
  start (:data:`INITIAL_WEIGHT`: from 0, the columns of classes seen less often stay smaller
  while they fill in, and the heavy-inked 8 wins most digits for a while).
  The learning epoch ``t_epoch`` (steps) is the study's axis: the chip updates every synapse
  at every epoch's end, so short epochs cost updates, and long ones change what ``x1``
  holds (Lava's model keeps one spike time per neuron per epoch: docs/learning.md, "Long
  epochs");
- **offline** (no learning engine): (a) the same rule's fixed point computed in float from
  the same training spike trains (class means of ``2 x1`` at the teacher's steps, rounded to
  8 bits); (b) a logistic regression on the pixels (scikit-learn), quantized to signed 8-bit
  weights and an integer bias: what this layer can do when trained by gradient descent.

Every row's weights are then *run* on the same inference network (:func:`eval_network`): the
held-out digits rate-coded the same way (another seed), each from a reset state, the 10
outputs integrating ``sum_t W^T s_t`` (+ bias) in an ``IF`` membrane that never fires,
read after the sample: the prediction is the largest. Training costs come from the training
run (``timing="analytic"``): synaptic updates, the chip model's ``learning`` energy
(synaptic_update_pj each) and total energy per training sample, cycles per epoch and the
learning phase in it (busiest core's updates x ``synaptic_update_ns``); SynOps per training
sample is shown beside it because it does not price learning at all.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import chips as _chips
from .._validate import check_choice, check_int, check_sequence
from ..emulator import Simulator
from ..encode import rate
from ..exceptions import ParameterError, SpikemeshError
from ..learning import LearningRule
from ..mapping import map_network
from ..network import Network
from ..neurons import IF, CubaLIF
from . import digits

__all__ = [
    "PRESENT",
    "RATE_EXP",
    "eval_network",
    "evaluate",
    "input_trains",
    "logistic_weights",
    "rule",
    "rule_targets",
    "run",
    "teacher_trains",
    "train_network",
    "train_on_chip",
]  # fmt: skip

PRESENT = 16  # steps each digit is shown
RATE_EXP = 5  # w moves 2^-5 of the way per post spike
INITIAL_WEIGHT = 64  # every plastic weight at the start: no class favoured, columns comparable
X1_IMPULSE, X1_TAU = 16, 8
TEACHER_WEIGHT, TEACHER_EXP = 255, 6  # 16,320 > VTH: the labelled neuron fires
VTH = 16300  # > 64 x 254 = 16,256 (every pixel at twice the saturated trace): the inputs alone
# do not make an output fire; teacher + inputs stay within the 22-bit dendritic accumulator
N_IN, N_CLASSES = 64, 10
CHIPS = ("loihi", "loihi2")


def _owner(name: str) -> str:
    return f"study.stdp_digits.{name}"


def _data(x, y, owner: str):
    x = np.asarray(x, float)
    y = np.asarray(y)
    if x.ndim != 2 or x.shape[1] != N_IN or len(y) != len(x) or y.ndim != 1:
        raise ParameterError(f"{owner}: needs x (B, {N_IN}) and y (B,) (got x {x.shape}, "
                             f"y {y.shape})")  # fmt: skip
    if len(x) == 0:
        raise ParameterError(f"{owner}: needs at least one sample (got 0)")
    bad = ~np.isfinite(x) | (x < 0) | (x > 1)
    if bad.any():
        k, i = np.argwhere(bad)[0]
        raise ParameterError(f"{owner}.x: pixel values are spike probabilities in [0, 1] (got "
                             f"{x[k, i]:g} at sample {k}, pixel {i}; scale the digits, e.g. / 16)")  # fmt: skip
    if not np.isin(y, np.arange(N_CLASSES)).all():
        raise ParameterError(f"{owner}.y: labels must be 0..{N_CLASSES - 1} (got "
                             f"{sorted(set(np.unique(y).tolist()) - set(range(N_CLASSES)))[:3]})")  # fmt: skip
    return x, y.astype(np.int64)


def _t_epoch(owner: str, t_epoch) -> int:
    t = check_int(owner, "t_epoch", t_epoch, 1, 63)
    if PRESENT % t:
        raise ParameterError(f"{owner}.t_epoch: must divide the {PRESENT} steps a digit is shown "
                             f"(1, 2, 4, 8 or 16: an epoch never spans two digits; got {t})")  # fmt: skip
    return t


def _chip(owner: str, chip):
    c = _chips.get(chip)
    if not c.core.learning:
        raise ParameterError(f"{owner}.chip: {c.name!r} has no learning engine ([core] learning "
                             f"= false); the study runs on {' or '.join(CHIPS)}")  # fmt: skip
    return c


def input_trains(x, seed: int) -> np.ndarray:
    """Rate-coded digits: (B x PRESENT, 64) Bernoulli spikes, one row per step."""
    return rate(np.repeat(np.asarray(x, float), PRESENT, axis=0), 1, seed=seed)[0].astype(np.int32)


def teacher_trains(y) -> np.ndarray:
    """(B x PRESENT, 10): class ``y[k]``'s teacher axon spikes in step ``PRESENT - 2`` of sample
    k, so its neuron fires in the sample's last step (delay 1)."""
    y = np.asarray(y, np.int64)
    out = np.zeros((len(y) * PRESENT, N_CLASSES), np.int32)
    out[np.arange(len(y)) * PRESENT + PRESENT - 2, y] = 1
    return out


def rule(rate_exp: int = RATE_EXP) -> str:
    """The teacher-forced rule: ``dw = 2^-(r-1) y0 x1 - 2^-r y0 w`` (``r = rate_exp``, 1..7:
    Loihi's scale exponents reach 2^-7): at every epoch in which the neuron fired, ``w`` moves
    ``2^-r`` of the way towards ``2 x1``."""
    r = check_int(_owner("rule"), "rate_exp", rate_exp, 1, 7)
    return f"2^-{r - 1}*y0*x1 - 2^-{r}*y0*w"


def train_network(t_epoch: int = 1, rate_exp: int = RATE_EXP, rng_seed: int | None = None,
                  initial_weight: int = INITIAL_WEIGHT):  # fmt: skip
    """The training network (module docstring): inputs ``"x"`` (64) and ``"teacher"`` (10),
    outputs ``"out"`` (10 CubaLIF), the plastic projection ``"x->out"`` (returned with the
    network, every weight ``initial_weight`` at the start) learning by :func:`rule` every
    ``t_epoch`` steps."""
    t_epoch = _t_epoch(_owner("train_network"), t_epoch)
    w0 = check_int(_owner("train_network"), "initial_weight", initial_weight, 0, 255)
    net = Network("stdp-digits-train")
    x = net.input(N_IN, "x")
    teacher = net.input(N_CLASSES, "teacher")
    out = net.population(N_CLASSES, CubaLIF(du=4095, dv=4095, vth=VTH, vmin=0), "out")
    net.connect(teacher, out, np.eye(N_CLASSES, dtype=np.int64) * TEACHER_WEIGHT,
                weight_exp=TEACHER_EXP)  # fmt: skip
    lr = LearningRule(dw=rule(rate_exp), x1_impulse=X1_IMPULSE, x1_tau=X1_TAU, t_epoch=t_epoch,
                        rng_seed=rng_seed)  # fmt: skip
    proj = net.connect(x, out, np.full((N_IN, N_CLASSES), w0, np.int64), learning=lr,
                       sign_mode="excitatory")  # fmt: skip
    return net, proj


def eval_network(weights, bias=None) -> Network:
    """The inference network: inputs ``"x"`` (64) into 10 integrating ``IF`` neurons (``vth``
    2^23 - 1: they never fire) through static 8-bit ``weights`` (64, 10), ``bias`` (10,)
    added every step; ``v`` probed."""
    w = np.asarray(weights)
    if w.shape != (N_IN, N_CLASSES):
        raise ParameterError(f"{_owner('eval_network')}.weights: must be ({N_IN}, {N_CLASSES}) "
                             f"(got {w.shape})")  # fmt: skip
    net = Network("stdp-digits-eval")
    x = net.input(N_IN, "x")
    b = np.zeros(N_CLASSES, np.int64) if bias is None else np.asarray(bias, np.int64)
    out = net.population(N_CLASSES, IF(vth=2**23 - 1, v_bits=24, bias=b), "out")
    net.connect(x, out, w)
    net.probe(out, "v")
    return net


def _energy(res) -> dict:
    rep = res.energy()
    comps = rep.components("chip")
    return {"chip": rep.total("chip"), "learning": comps.get("learning", 0.0),
            "dynamic": rep.total("chip") - comps.get("static", 0.0),
            "synops": rep.total("synops"), "chip_time_s": float(rep.counts["elapsed_s"])}  # fmt: skip


def train_on_chip(x, y, t_epoch: int = 1, chip="loihi", seed: int = 0, timing: str = "analytic",
                  checkpoints=(), rate_exp: int = RATE_EXP) -> dict:  # fmt: skip
    """Train the teacher-forced layer on ``chip``: one pass over ``x``, ``y`` in order. Returns
    the learned weights (64, 10), the weights after the first ``k`` samples for each ``k`` in
    ``checkpoints`` (``"snapshots"``: the run is split there and continued, which changes
    nothing it computes) and the run's costs per training sample."""
    o = _owner("train_on_chip")
    x, y = _data(x, y, o)
    t_epoch = _t_epoch(o, t_epoch)
    c = _chip(o, chip)
    seed = check_int(o, "seed", seed, 0, 2**31 - 1)
    timing = check_choice(o, "timing", timing, ("analytic", "cycle"))
    cuts = sorted({check_int(o, "checkpoints", k, 1, len(x)) for k in
                   check_sequence(o, "checkpoints", checkpoints)} | {len(x)})  # fmt: skip
    net, proj = train_network(t_epoch, rate_exp)
    sim = Simulator(map_network(net, c), timing=timing, seed=seed)
    teach = teacher_trains(y)
    trains = input_trains(x, seed)
    fired, upd, cycles, snaps = [], [], [], {}
    e = dict.fromkeys(("chip", "learning", "dynamic", "synops", "chip_time_s"), 0.0)
    updates = overflows = 0
    done = 0
    for k in cuts:
        rows = slice(done * PRESENT, k * PRESENT)
        res = sim.run(k * PRESENT - done * PRESENT, {"x": trains[rows], "teacher": teach[rows]})
        done = k
        snaps[k] = res.weights[proj]
        fired.append(np.asarray(res.spikes["out"]))
        upd.append(res.counters["synaptic_updates"])
        cycles.append(res.cycles)
        for key, v in _energy(res).items():
            e[key] += v
        updates += res.total("synaptic_updates")
        overflows += res.overflows
    fired = np.concatenate(fired)
    want = np.zeros_like(fired)
    want[1:] = teach[:-1]
    if not np.array_equal(fired, want):
        bad = int(np.flatnonzero(np.any(fired != want, axis=1))[0])
        raise SpikemeshError(f"{o}: the output neurons did not spike exactly when the teacher "
                             f"said (first at step {bad}); chip {c.name!r} does not run this "
                             "network's neuron as the loihi profile does")  # fmt: skip
    upd, cycles = np.concatenate(upd), np.concatenate(cycles)
    ends = np.flatnonzero(upd.sum(axis=1))
    starts = np.concatenate([[0], ends[:-1] + 1])
    per_epoch = [int(cycles[a : b + 1].sum()) for a, b in zip(starts, ends, strict=True)]
    n = len(x)
    return {
        "weights": snaps[n],
        "snapshots": {k: w for k, w in snaps.items() if k in set(checkpoints)},
        "synaptic_updates_per_sample": updates / n,
        "learning_J_per_sample": e["learning"] / n,
        "chip_dynamic_J_per_sample": e["dynamic"] / n,
        "chip_J_per_sample": e["chip"] / n,
        "synops_J_per_sample": e["synops"] / n,
        "chip_time_s_per_sample": e["chip_time_s"] / n,
        "cycles_per_epoch": float(np.mean(per_epoch)) if per_epoch else 0.0,
        "learning_ns_per_epoch": float(upd[ends].max(axis=1).mean() * c.timing["synaptic_update_ns"])
        if len(ends) else 0.0,
        "epochs": len(ends),
        "overflows": overflows,
    }  # fmt: skip


def rule_targets(x, y, seed: int = 0) -> np.ndarray:
    """The rule's fixed point computed offline in float: per class, the mean over its samples
    of ``2 x1`` in the step its neuron fires (the trace of the same spike trains the chip
    learns from: ``x1 <- min(x1 e^(-1/tau) + 16 s, 127)``), rounded to 0..255."""
    o = _owner("rule_targets")
    x, y = _data(x, y, o)
    s = input_trains(x, check_int(o, "seed", seed, 0, 2**31 - 1)).reshape(len(x), PRESENT, N_IN)
    decay = math.exp(-1.0 / X1_TAU)
    x1 = np.zeros(N_IN)
    at = np.zeros((len(x), N_IN))
    for k in range(len(x)):  # the trace runs on across samples, as on the chip
        for t in range(PRESENT):
            x1 = np.minimum(x1 * decay + X1_IMPULSE * s[k, t], 127.0)
        at[k] = x1
    w = np.zeros((N_IN, N_CLASSES))
    for cls in range(N_CLASSES):
        if np.any(y == cls):
            w[:, cls] = 2 * at[y == cls].mean(axis=0)
    return np.clip(np.rint(w), 0, 255).astype(np.int64)


def logistic_weights(x, y, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A logistic regression on the pixels (scikit-learn, seeded), as the inference network's
    signed 8-bit weights (largest magnitude 255) and integer bias: scores ``x W + b`` become
    ``counts W' + (PRESENT + 1) b'`` with ``counts`` ~ ``PRESENT x``."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise SpikemeshError("the learning study needs scikit-learn: pip install "
                             "'spikemesh[demo]'") from None  # fmt: skip
    x, y = _data(x, y, _owner("logistic_weights"))
    clf = LogisticRegression(max_iter=2000, random_state=seed).fit(x, y)
    W = np.zeros((N_IN, N_CLASSES))
    b = np.zeros(N_CLASSES)
    W[:, clf.classes_] = clf.coef_.T
    b[clf.classes_] = clf.intercept_
    s = 255 / np.abs(W).max()
    return np.rint(W * s).astype(np.int64), np.rint(b * s * PRESENT / (PRESENT + 1)).astype(
        np.int64
    )


def evaluate(weights, x, y, bias=None, chip="loihi", seed: int = 1, timing: str = "analytic",
             warn: bool = True) -> dict:  # fmt: skip
    """Run :func:`eval_network` on each of ``x`` from a reset state (``PRESENT`` steps and the
    one its spikes take to arrive): accuracy, the chip's energy per sample and ``ties``
    (samples whose largest membrane is shared: the lowest class is taken, and a warning says
    how many unless ``warn=False``)."""
    o = _owner("evaluate")
    x, y = _data(x, y, o)
    seed = check_int(o, "seed", seed, 0, 2**31 - 1)
    timing = check_choice(o, "timing", timing, ("analytic", "cycle", "none"))
    net = eval_network(weights, bias)
    sim = Simulator(map_network(net, _chips.get(chip)), timing=timing, seed=seed)
    trains = input_trains(x, seed).reshape(len(x), PRESENT, N_IN)
    inp = np.zeros((PRESENT + 1, N_IN), np.int32)
    pred = np.zeros(len(x), np.int64)
    tot = dict.fromkeys(("chip", "dynamic", "synops"), 0.0)
    overflows = ties = 0
    for k in range(len(x)):
        sim.reset()
        inp[:PRESENT] = trains[k]
        res = sim.run(PRESENT + 1, {"x": inp})
        v = res.probes["out"]["v"][-1]
        pred[k] = int(np.argmax(v))
        ties += int(np.count_nonzero(v == v[pred[k]]) > 1)
        overflows += res.overflows
        if timing != "none":
            e = _energy(res)
            for key in tot:
                tot[key] += e[key]
    if ties and warn:
        warnings.warn(f"{o}: {ties} of {len(x)} samples tie for the largest output membrane "
                      "(the lowest class is taken): untrained or equal weight columns?",
                      stacklevel=2)  # fmt: skip
    return {"accuracy": float(np.mean(pred == y)), "predictions": pred,
            "inference_J_per_sample": tot["chip"] / len(x),
            "inference_dynamic_J_per_sample": tot["dynamic"] / len(x),
            "inference_synops_J_per_sample": tot["synops"] / len(x), "eval_overflows": overflows,
            "ties": ties}  # fmt: skip


def run(train: int = 1400, test: int = 397, t_epochs=(1, 2, 4, 8, 16), chip="loihi", seed: int = 0,
        timing: str = "analytic", checkpoints=(140, 350, 700, 1050), rate_exp: int = RATE_EXP,
        data_seed: int = 0) -> list[dict]:  # fmt: skip
    """The study's rows: on-chip training at each ``t_epoch``, then the two offline rows; every
    row's accuracy from the same inference network on the first ``test`` held-out digits. An
    on-chip row's ``accuracy_after`` holds the accuracy of its weights after the first ``k``
    training digits, for ``k`` in ``checkpoints`` (those below ``train``) and ``train``.
    ``seed`` draws the spike trains (training: ``seed``, held-out: ``seed + 1``) and the
    traces' stochastic rounding (the weights' rounding is Lava's own fixed stream,
    docs/learning.md); ``data_seed`` the digits' split
    (:func:`spikemesh.study.digits.data`)."""
    o = _owner("run")
    train = check_int(o, "train", train, 1, digits.N_TRAIN)
    test = check_int(o, "test", test, 1, 397)
    t_epochs = [_t_epoch(o, t) for t in check_sequence(o, "t_epochs", t_epochs)]
    _chip(o, chip)
    d = digits.data(check_int(o, "data_seed", data_seed, 0, 2**31 - 1))
    xtr, ytr = d["x_train"][:train], d["y_train"][:train]
    xte, yte = d["x_test"][:test], d["y_test"][:test]
    if len(np.unique(ytr)) < N_CLASSES:
        warnings.warn(f"{o}: the first {train} training digits miss classes "
                      f"{sorted(set(range(N_CLASSES)) - set(np.unique(ytr).tolist()))}: their "
                      "neurons learn nothing", stacklevel=2)  # fmt: skip
    rows = []
    cps = [
        k
        for k in check_sequence(o, "checkpoints", checkpoints)
        if check_int(o, "checkpoints", k, 1) < train
    ]
    for t in t_epochs:
        tr = train_on_chip(xtr, ytr, t, chip, seed, timing, cps, rate_exp)
        ev = evaluate(tr.pop("weights"), xte, yte, None, chip, seed + 1, timing, warn=False)
        ev.pop("predictions")
        snaps = {k: evaluate(w, xte, yte, None, chip, seed + 1, "none", warn=False)
                 for k, w in tr.pop("snapshots").items()}  # fmt: skip
        after = {k: e["accuracy"] for k, e in snaps.items()}
        after[train] = ev["accuracy"]
        ev["ties_after"] = {k: e["ties"] for k, e in snaps.items()} | {train: ev["ties"]}
        rows.append({"training": f"on chip ({_chips.get(chip).name})", "t_epoch": t, "rate_exp": rate_exp, **tr, **ev,
                     "accuracy_after": after})  # fmt: skip
    zero = {"synaptic_updates_per_sample": 0.0, "learning_J_per_sample": 0.0,
            "chip_dynamic_J_per_sample": 0.0, "chip_J_per_sample": 0.0,
            "synops_J_per_sample": 0.0, "chip_time_s_per_sample": 0.0, "cycles_per_epoch": 0.0,
            "learning_ns_per_epoch": 0.0, "epochs": 0, "overflows": 0}  # fmt: skip
    ev = evaluate(rule_targets(xtr, ytr, seed), xte, yte, None, chip, seed + 1, timing, warn=False)
    ev.pop("predictions")
    rows.append(
        {"training": "offline: the rule's fixed point in float", "t_epoch": "-", **zero, **ev}
    )
    w, b = logistic_weights(xtr, ytr, seed)
    ev = evaluate(w, xte, yte, b, chip, seed + 1, timing, warn=False)
    ev.pop("predictions")
    rows.append({"training": "offline: logistic regression", "t_epoch": "-", **zero, **ev})
    for r in rows:
        r["train_samples"], r["test_samples"], r["seed"] = train, test, seed
    tied = [f"{r['training']}{'' if r['t_epoch'] == '-' else ', t_epoch ' + str(r['t_epoch'])}: "
            f"{r['ties']}" for r in rows if r["ties"]]  # fmt: skip
    if tied:
        warnings.warn(f"{o}: held-out digits whose largest output membrane is shared (the lowest "
                      f"class taken; rows' 'ties'): {'; '.join(tied)} of {test}", stacklevel=2)  # fmt: skip
    return rows
