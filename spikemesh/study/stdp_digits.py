"""On-chip learning against offline training on one task (docs/learning.md, "The digits study").

The task: scikit-learn's 8x8 digits (1,400 training, 397 held-out, as
:func:`spikemesh.study.digits.data` splits them), each shown for :data:`PRESENT` steps as
Bernoulli rate-coded spikes (``sm.encode.rate``: pixel value = spike probability per step,
seeded). One layer learns its input weights, three ways:

- **on the chip** (:func:`train_network`): the 64 inputs reach 10 CubaLIF neurons through a
  plastic projection; a *teacher* input (one axon per class, weight 255 at ``weight_exp`` 6)
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
  weights and an integer bias: what this layer can do when trained by gradient descent;
- **unsupervised winner-take-all** (:func:`wta_network`, :func:`train_wta`): no labels while
  learning. The digits complement-coded (:func:`complement`) into :data:`WTA_NEURONS`
  integrating CubaLIF neurons with a bias calibrated from their imprinted starting templates
  (:func:`imprint`, :func:`calibrate_bias`) and one inhibitory interneuron that clears them all
  after any spike; the same rule at ``2^-6``. Outputs labelled afterwards on the training
  digits (:func:`assign_labels`); offline: the imprinted start and k-means
  (:func:`kmeans_templates`).

Every row's weights are then *run* on the same inference network (:func:`eval_network`): the
held-out digits rate-coded the same way (another seed), each from a reset state, the
outputs integrating ``sum_t W^T s_t`` (+ bias) in an ``IF`` membrane that never fires,
read after the sample: the prediction is the largest (its label for the winner-take-all). Training costs come from the training
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
from .._validate import check_choice, check_int, check_number, check_sequence, float_array
from ..emulator import Simulator
from ..encode import rate
from ..exceptions import ParameterError, SpikemeshError
from ..learning import LearningRule
from ..mapping import map_network
from ..network import Network
from ..neurons import IF, CubaLIF
from . import digits

__all__ = ["BIAS_FRACTION", "INITIAL_WEIGHT", "PRESENT", "RATE_EXP", "TRACE_GAIN", "WTA_NEURONS",
           "WTA_RATE_EXP", "assign_labels", "calibrate_bias", "complement", "eval_network",
           "evaluate", "imprint", "input_trains", "kmeans_templates", "logistic_weights", "rule",
           "rule_targets", "run", "teacher_trains", "train_network", "train_on_chip", "train_wta",
           "wta_network"]  # fmt: skip

PRESENT = 16  # steps each digit is shown
RATE_EXP = 5  # w moves 2^-5 of the way per post spike
INITIAL_WEIGHT = 64  # every plastic weight at the start: no class favoured, columns comparable
X1_IMPULSE, X1_TAU = 16, 8
TEACHER_WEIGHT, TEACHER_EXP = 255, 6  # 16,320 > VTH: the labelled neuron fires
VTH = 16300  # > 64 x 254 = 16,256 (every pixel at twice the saturated trace): the inputs alone
# do not make an output fire; teacher + inputs stay within the 22-bit dendritic accumulator
N_IN, N_CLASSES = 64, 10
TRACE_GAIN = X1_IMPULSE / (1 - math.exp(-1 / X1_TAU))  # x1 per unit spike rate (136.2)
WTA_NEURONS = 30
WTA_RATE_EXP = 6
WTA_WEIGHT_EXP = -2  # 128 inputs x 254 / 4 = 8,128 at most per step
WTA_VTH = 4000
BIAS_FRACTION = 0.94
CHIPS = ("loihi", "loihi2")


def _owner(name: str) -> str:
    return f"study.stdp_digits.{name}"


def _pixels(x, owner: str) -> np.ndarray:
    """Digits ``x`` (B, 64) with pixel values in [0, 1] (spike probabilities per step)."""
    x = float_array(owner, "x", x, finite=False)
    if x.ndim != 2 or x.shape[1] != N_IN or len(x) == 0:
        raise ParameterError(f"{owner}.x: needs digits (B, {N_IN}) with B >= 1 (got shape "
                             f"{x.shape})")  # fmt: skip
    bad = ~np.isfinite(x) | (x < 0) | (x > 1)
    if bad.any():
        k, i = np.argwhere(bad)[0]
        raise ParameterError(f"{owner}.x: pixel values are spike probabilities in [0, 1] (got "
                             f"{x[k, i]:g} at sample {k}, pixel {i}; scale the digits, e.g. / 16)")  # fmt: skip
    return x


def _data(x, y, owner: str):
    x = _pixels(x, owner)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        raise ParameterError(f"{owner}: needs x (B, {N_IN}) and y (B,) (got x {x.shape}, "
                             f"y {y.shape})")  # fmt: skip
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


def input_trains(x, seed: int, complement: bool = False) -> np.ndarray:
    """Rate-coded digits: (B x PRESENT, 64) Bernoulli spikes, one row per step; with
    ``complement`` (B x PRESENT, 128): the pixels and ``1 - x`` (:func:`complement`)."""
    x = np.asarray(x, float)
    if complement:
        x = np.hstack([x, 1.0 - x])
    return rate(np.repeat(x, PRESENT, axis=0), 1, seed=seed)[0].astype(np.int32)


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
    """The inference network: inputs ``"x"`` (64, or 128 complement-coded) into integrating
    ``IF`` neurons (``vth`` 2^23 - 1: they never fire), one per column of the static 8-bit
    ``weights`` (n_in, n_out), ``bias`` (n_out,) added every step; ``v`` probed."""
    w = np.asarray(weights)
    if w.ndim != 2 or w.shape[0] not in (N_IN, 2 * N_IN) or not 1 <= w.shape[1] <= 1024:
        raise ParameterError(f"{_owner('eval_network')}.weights: must be ({N_IN} or {2 * N_IN}, "
                             f"n_out) with 1 <= n_out <= 1024 (got {w.shape})")  # fmt: skip
    net = Network("stdp-digits-eval")
    x = net.input(w.shape[0], "x")
    b = np.zeros(w.shape[1], np.int64) if bias is None else np.asarray(bias, np.int64)
    out = net.population(w.shape[1], IF(vth=2**23 - 1, v_bits=24, bias=b), "out")
    net.connect(x, out, w)
    net.probe(out, "v")
    return net


def _energy(res) -> dict:
    rep = res.energy()
    comps = rep.components("chip")
    return {"chip": rep.total("chip"), "learning": comps.get("learning", 0.0),
            "dynamic": rep.total("chip") - comps.get("static", 0.0),
            "synops": rep.total("synops"), "chip_time_s": float(rep.counts["elapsed_s"])}  # fmt: skip


def _cuts(owner: str, checkpoints, n: int) -> list[int]:
    return sorted({check_int(owner, "checkpoints", k, 1, n) for k in
                   check_sequence(owner, "checkpoints", checkpoints)} | {n})  # fmt: skip


def _train_run(sim, proj, inputs: dict, n: int, cuts, chip) -> tuple[dict, np.ndarray, dict]:
    """Run ``n`` digits of ``inputs`` (name -> (n x PRESENT, k)) through ``sim``, split at
    ``cuts`` (digit counts): the weights at each cut, the outputs' spikes and the costs per
    training digit."""
    fired, upd, cycles, snaps = [], [], [], {}
    e = dict.fromkeys(("chip", "learning", "dynamic", "synops", "chip_time_s"), 0.0)
    updates = overflows = done = 0
    for k in cuts:
        rows = slice(done * PRESENT, k * PRESENT)
        res = sim.run((k - done) * PRESENT, {name: a[rows] for name, a in inputs.items()})
        done = k
        snaps[k] = res.weights[proj]
        fired.append(np.asarray(res.spikes["out"]))
        upd.append(res.counters["synaptic_updates"])
        cycles.append(res.cycles)
        for key, v in _energy(res).items():
            e[key] += v
        updates += res.total("synaptic_updates")
        overflows += res.overflows
    upd, cycles = np.concatenate(upd), np.concatenate(cycles)
    ends = np.flatnonzero(upd.sum(axis=1))
    starts = np.concatenate([[0], ends[:-1] + 1])
    per_epoch = [int(cycles[a : b + 1].sum()) for a, b in zip(starts, ends, strict=True)]
    costs = {
        "synaptic_updates_per_sample": updates / n,
        "learning_J_per_sample": e["learning"] / n,
        "chip_dynamic_J_per_sample": e["dynamic"] / n,
        "chip_J_per_sample": e["chip"] / n,
        "synops_J_per_sample": e["synops"] / n,
        "chip_time_s_per_sample": e["chip_time_s"] / n,
        "cycles_per_epoch": float(np.mean(per_epoch)) if per_epoch else 0.0,
        "learning_ns_per_epoch": float(upd[ends].max(axis=1).mean() * chip.timing["synaptic_update_ns"])
        if len(ends) else 0.0,
        "epochs": len(ends),
        "overflows": overflows,
    }  # fmt: skip
    return snaps, np.concatenate(fired), costs


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
    cuts = _cuts(o, checkpoints, len(x))
    net, proj = train_network(t_epoch, rate_exp)
    sim = Simulator(map_network(net, c), timing=timing, seed=seed)
    teach = teacher_trains(y)
    snaps, fired, costs = _train_run(sim, proj, {"x": input_trains(x, seed), "teacher": teach},
                                     len(x), cuts, c)  # fmt: skip
    want = np.zeros_like(fired)
    want[1:] = teach[:-1]
    if not np.array_equal(fired, want):
        bad = int(np.flatnonzero(np.any(fired != want, axis=1))[0])
        raise SpikemeshError(f"{o}: the output neurons did not spike exactly when the teacher "
                             f"said (first at step {bad}); chip {c.name!r} does not run this "
                             "network's neuron as the loihi profile does")  # fmt: skip
    return {"weights": snaps[len(x)], "snapshots": {k: snaps[k] for k in cuts if k != len(x)},
            **costs}  # fmt: skip


# ---------------------------------------------------------------- unsupervised winner-take-all
def complement(x) -> np.ndarray:
    """Complement coding (fuzzy ART's): each digit as its 64 pixels and their 64 complements
    ``1 - x``, so every digit sends the same expected number of spikes (64 per step at rate 1)."""
    x = np.asarray(x, float)
    return np.hstack([x, 1.0 - x])


def imprint(x, n: int = WTA_NEURONS, seed: int = 0) -> np.ndarray:
    """Initial templates (128, n): ``n`` training digits drawn by ``seed`` (no labels), as the
    weights the rule would give them, ``min(2 g c, 254)`` with ``c`` their complement-coded
    pixels and ``g`` :data:`TRACE_GAIN` (the trace per unit spike rate)."""
    o = _owner("imprint")
    x = _pixels(x, o)
    n = check_int(o, "n", n, 1, len(x))
    pick = np.random.default_rng(check_int(o, "seed", seed, 0, 2**31 - 1)).choice(len(x), n,
                                                                                 replace=False)  # fmt: skip
    return np.minimum(np.rint(2 * TRACE_GAIN * complement(x[pick])).T, 254).astype(np.int64)


def calibrate_bias(templates, x, seed: int = 0, fraction: float = BIAS_FRACTION) -> int:
    """The winner-take-all's bias (``bias_mant`` at ``bias_exp`` 6): minus ``fraction`` of the
    median input drive per step the ``templates`` receive from the first 200 digits of ``x``
    (rate-coded with ``seed``; no labels), so that only the few best-matching neurons reach
    threshold within a digit."""
    o = _owner("calibrate_bias")
    w = np.asarray(templates, np.int64)
    if w.ndim != 2 or w.shape[0] != 2 * N_IN:
        raise ParameterError(f"{o}.templates: must be ({2 * N_IN}, n) (got {w.shape})")
    fraction = check_number(o, "fraction", fraction, 0.0, 2.0)
    seed = check_int(o, "seed", seed, 0, 2**31 - 1)
    xs = complement(_pixels(x, o)[:200])
    counts = rate(np.repeat(xs, PRESENT, axis=0), 1, seed=seed)[0].reshape(len(xs), PRESENT, -1)
    drive = (counts.sum(axis=1) @ w) / PRESENT * 2.0**WTA_WEIGHT_EXP
    return -round(fraction * float(np.median(drive)))


def wta_network(templates, t_epoch: int = 1, rate_exp: int = WTA_RATE_EXP, bias: int = 0,
                rng_seed: int | None = None):  # fmt: skip
    """The unsupervised network: 128 complement-coded inputs ``"x"`` -> ``n`` integrating
    CubaLIF neurons ``"out"`` (``du`` 4095, ``dv`` 0, ``vth`` :data:`WTA_VTH`, ``vmin`` 0,
    ``bias``) through the plastic projection ``"x->out"`` (``weight_exp`` -2, starting at
    ``templates``, learning by :func:`rule`); one inhibitory interneuron ``"inh"`` fires when
    any output fires and clears every output's membrane to 0 two steps later (-255 at
    ``weight_exp`` 6: one synapse, so the inhibition never exceeds the 22-bit accumulator)."""
    o = _owner("wta_network")
    w = np.asarray(templates)
    if w.ndim != 2 or w.shape[0] != 2 * N_IN:
        raise ParameterError(f"{o}.templates: must be ({2 * N_IN}, n) (got {w.shape})")
    t_epoch = _t_epoch(o, t_epoch)
    n = w.shape[1]
    net = Network("stdp-digits-wta")
    xin = net.input(2 * N_IN, "x")
    out = net.population(n, CubaLIF(du=4095, dv=0, vth=WTA_VTH, vmin=0,
                                    bias_mant=check_int(o, "bias", bias, -4095, 4095), bias_exp=6),
                         "out")  # fmt: skip
    inh = net.population(1, CubaLIF(du=4095, dv=4095, vth=10), "inh")
    net.connect(out, inh, np.full((n, 1), 255))
    net.connect(inh, out, np.full((1, n), -255), weight_exp=6)
    lr = LearningRule(dw=rule(rate_exp), x1_impulse=X1_IMPULSE, x1_tau=X1_TAU, t_epoch=t_epoch,
                      rng_seed=rng_seed)  # fmt: skip
    proj = net.connect(xin, out, w, learning=lr, sign_mode="excitatory", weight_exp=WTA_WEIGHT_EXP)
    return net, proj


def train_wta(x, t_epoch: int = 1, n: int = WTA_NEURONS, chip="loihi", seed: int = 0,
              timing: str = "analytic", checkpoints=(), rate_exp: int = WTA_RATE_EXP) -> dict:  # fmt: skip
    """Train the winner-take-all on ``chip`` without labels: one pass over ``x``. Templates
    imprinted from ``n`` digits of ``x`` (:func:`imprint`), the bias from
    :func:`calibrate_bias`. Returns the weights (128, n), ``"initial"`` templates, ``"bias"``,
    snapshots at ``checkpoints``, the costs per digit and how the competition went:
    ``"winners_per_digit"`` (output neurons that fired in a digit, mean) and
    ``"silent_digits"`` (fraction with no output spike)."""
    o = _owner("train_wta")
    x = _pixels(x, o)
    t_epoch = _t_epoch(o, t_epoch)
    c = _chip(o, chip)
    seed = check_int(o, "seed", seed, 0, 2**31 - 1)
    timing = check_choice(o, "timing", timing, ("analytic", "cycle"))
    cuts = _cuts(o, checkpoints, len(x))
    w0 = imprint(x, n, seed)
    bias = calibrate_bias(w0, x, seed + 2)
    net, proj = wta_network(w0, t_epoch, rate_exp, bias)
    sim = Simulator(map_network(net, c), timing=timing, seed=seed)
    trains = rate(np.repeat(complement(x), PRESENT, axis=0), 1, seed=seed)[0].astype(np.int32)
    snaps, fired, costs = _train_run(sim, proj, {"x": trains}, len(x), cuts, c)
    per_digit = fired.reshape(len(x), PRESENT, n).sum(axis=1)
    return {"weights": snaps[len(x)], "initial": w0, "bias": bias,
            "snapshots": {k: snaps[k] for k in cuts if k != len(x)},
            "winners_per_digit": float((per_digit > 0).sum(axis=1).mean()),
            "silent_digits": float(np.mean(per_digit.sum(axis=1) == 0)), **costs}  # fmt: skip


def assign_labels(weights, x, y, seed: int = 3) -> np.ndarray:
    """Each neuron's label: the class it wins most often on ``x`` (winner = the largest
    integrated drive, ``counts @ weights``, what :func:`eval_network` computes, here on the
    host: bookkeeping, as in Diehl & Cook); -1 for a neuron that wins nothing."""
    w = np.asarray(weights, np.int64)
    x, y = _data(x, y, _owner("assign_labels"))
    counts = input_trains(x, seed, complement=w.shape[0] == 2 * N_IN).reshape(len(x), PRESENT, -1)
    win = np.argmax(counts.sum(axis=1) @ w, axis=1)
    out = np.full(w.shape[1], -1, np.int64)
    for j in np.unique(win):
        out[j] = int(np.bincount(y[win == j], minlength=N_CLASSES).argmax())
    return out


def kmeans_templates(x, n: int = WTA_NEURONS, seed: int = 0) -> np.ndarray:
    """Offline: k-means (scikit-learn) on the complement-coded digits, the centroids as
    templates ``min(2 g c, 254)`` like :func:`imprint`'s."""
    try:
        from sklearn.cluster import KMeans
    except ImportError:
        raise SpikemeshError("the learning study needs scikit-learn: pip install "
                             "'spikemesh[demo]'") from None  # fmt: skip
    o = _owner("kmeans_templates")
    x = _pixels(x, o)
    n = check_int(o, "n", n, 1, len(x))
    km = KMeans(n, n_init=4, random_state=check_int(o, "seed", seed, 0, 2**31 - 1)).fit(
        complement(x)
    )
    return np.minimum(np.rint(2 * TRACE_GAIN * km.cluster_centers_).T, 254).astype(np.int64)


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
             warn: bool = True, labels=None) -> dict:  # fmt: skip
    """Run :func:`eval_network` on each of ``x`` from a reset state (``PRESENT`` steps and the
    one its spikes take to arrive; 128-row ``weights`` take complement-coded digits): accuracy,
    the chip's energy per sample and ``ties`` (samples whose largest membrane is shared: the
    lowest output is taken, and a warning says how many unless ``warn=False``). The prediction
    is the output with the largest membrane, or its entry in ``labels`` (one class per output,
    :func:`assign_labels`)."""
    o = _owner("evaluate")
    x, y = _data(x, y, o)
    seed = check_int(o, "seed", seed, 0, 2**31 - 1)
    timing = check_choice(o, "timing", timing, ("analytic", "cycle", "none"))
    net = eval_network(weights, bias)
    n_in, n_out = np.shape(weights)
    if labels is not None:
        labels = np.asarray(labels, np.int64)
        if labels.shape != (n_out,):
            raise ParameterError(
                f"{o}.labels: one class per output ({n_out},) (got {labels.shape})"
            )
    sim = Simulator(map_network(net, _chips.get(chip)), timing=timing, seed=seed)
    trains = input_trains(x, seed, complement=n_in == 2 * N_IN).reshape(len(x), PRESENT, n_in)
    inp = np.zeros((PRESENT + 1, n_in), np.int32)
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
    if labels is not None:
        pred = labels[pred]
    return {"accuracy": float(np.mean(pred == y)), "predictions": pred,
            "inference_J_per_sample": tot["chip"] / len(x),
            "inference_dynamic_J_per_sample": tot["dynamic"] / len(x),
            "inference_synops_J_per_sample": tot["synops"] / len(x), "eval_overflows": overflows,
            "ties": ties}  # fmt: skip


def _learned_row(training: str, t_epoch: int, tr: dict, score) -> dict:
    """A learned row: ``score(weights, timing)`` evaluates the final weights (with costs) and
    each snapshot (``timing="none"``)."""
    ev = score(tr.pop("weights"), None)
    ev.pop("predictions")
    snaps = {k: score(w, "none") for k, w in tr.pop("snapshots").items()}
    ev["ties_after"] = {k: e["ties"] for k, e in snaps.items()}
    return {"training": training, "t_epoch": t_epoch, **tr, **ev,
            "accuracy_after": {k: e["accuracy"] for k, e in snaps.items()}}  # fmt: skip


def run(train: int = 1400, test: int = 397, t_epochs=(1, 2, 4, 8, 16), chip="loihi", seed: int = 0,
        timing: str = "analytic", checkpoints=(140, 350, 700, 1050), rate_exp: int = RATE_EXP,
        data_seed: int = 0, wta_epochs=(1, 4, 16), wta_neurons: int = WTA_NEURONS,
        wta_rate_exp: int = WTA_RATE_EXP) -> list[dict]:  # fmt: skip
    """The study's rows: the teacher-forced layer trained on the chip at each ``t_epoch``, the
    rule's float fixed point, a logistic regression; the unsupervised winner-take-all of
    ``wta_neurons`` trained on the chip at each of ``wta_epochs``, its imprinted start without
    learning, k-means offline. Every row's accuracy comes from the same inference network on the
    first ``test`` held-out digits (the winner-take-all's outputs labelled by
    :func:`assign_labels` on the training digits). A learned row's ``accuracy_after`` holds the
    accuracy of its weights after the first ``k`` training digits, for ``k`` in
    ``checkpoints`` (those below ``train``) and ``train``. ``seed`` draws the spike trains
    (training: ``seed``, held-out: ``seed + 1``), the imprinted digits and the traces'
    stochastic rounding (the weights' rounding is Lava's own fixed stream, docs/learning.md);
    ``data_seed`` the digits' split (:func:`spikemesh.study.digits.data`)."""
    o = _owner("run")
    train = check_int(o, "train", train, 1, digits.N_TRAIN)
    test = check_int(o, "test", test, 1, 397)
    t_epochs = [_t_epoch(o, t) for t in check_sequence(o, "t_epochs", t_epochs)]
    wta_epochs = [_t_epoch(o, t) for t in check_sequence(o, "wta_epochs", wta_epochs)]
    wta_neurons = check_int(o, "wta_neurons", wta_neurons, 1, min(train, 1024))
    c = _chip(o, chip)
    d = digits.data(check_int(o, "data_seed", data_seed, 0, 2**31 - 1))
    xtr, ytr = d["x_train"][:train], d["y_train"][:train]
    xte, yte = d["x_test"][:test], d["y_test"][:test]
    if len(np.unique(ytr)) < N_CLASSES:
        warnings.warn(f"{o}: the first {train} training digits miss classes "
                      f"{sorted(set(range(N_CLASSES)) - set(np.unique(ytr).tolist()))}: their "
                      "neurons learn nothing", stacklevel=2)  # fmt: skip
    cps = [k for k in check_sequence(o, "checkpoints", checkpoints)
           if check_int(o, "checkpoints", k, 1) < train]  # fmt: skip
    zero = {"synaptic_updates_per_sample": 0.0, "learning_J_per_sample": 0.0,
            "chip_dynamic_J_per_sample": 0.0, "chip_J_per_sample": 0.0,
            "synops_J_per_sample": 0.0, "chip_time_s_per_sample": 0.0, "cycles_per_epoch": 0.0,
            "learning_ns_per_epoch": 0.0, "epochs": 0, "overflows": 0}  # fmt: skip

    def score(w, t, bias=None, labels=None):
        return evaluate(w, xte, yte, bias, chip, seed + 1, timing if t is None else t,
                        warn=False, labels=labels)  # fmt: skip

    def offline(training, w, bias=None, labels=None):
        ev = score(w, None, bias, labels)
        ev.pop("predictions")
        return {"training": training, "t_epoch": "-", **zero, **ev}

    def labelled(w, t):
        return score(w, t, labels=assign_labels(w, xtr, ytr, seed + 3))

    rows = []
    for t in t_epochs:
        tr = train_on_chip(xtr, ytr, t, chip, seed, timing, cps, rate_exp)
        rows.append({**_learned_row(f"teacher-forced, on chip ({c.name})", t, tr, score),
                     "rate_exp": rate_exp})  # fmt: skip
    rows.append(offline("teacher-forced, offline: the rule's fixed point in float",
                        rule_targets(xtr, ytr, seed)))  # fmt: skip
    w, b = logistic_weights(xtr, ytr, seed)
    rows.append(offline("offline: logistic regression", w, b))
    w0 = None
    for t in wta_epochs:
        tr = train_wta(xtr, t, wta_neurons, chip, seed, timing, cps, wta_rate_exp)
        w0, bias = tr.pop("initial"), tr.pop("bias")
        rows.append({**_learned_row(f"unsupervised WTA ({wta_neurons}), on chip ({c.name})", t,
                                    tr, labelled), "rate_exp": wta_rate_exp, "bias": bias})  # fmt: skip
    if w0 is None:
        w0 = imprint(xtr, wta_neurons, seed)
    rows.append(offline(f"unsupervised WTA ({wta_neurons}): its imprinted start, no learning", w0,
                        labels=assign_labels(w0, xtr, ytr, seed + 3)))  # fmt: skip
    km = kmeans_templates(xtr, wta_neurons, seed)
    rows.append(offline(f"offline: k-means ({wta_neurons} centroids)", km,
                        labels=assign_labels(km, xtr, ytr, seed + 3)))  # fmt: skip
    for r in rows:
        if "accuracy_after" in r:  # a learned row: its last point is the whole pass
            r["accuracy_after"][train] = r["accuracy"]
            r["ties_after"][train] = r["ties"]
        r["train_samples"], r["test_samples"], r["seed"] = train, test, seed
    tied = [f"{r['training']}{'' if r['t_epoch'] == '-' else ', t_epoch ' + str(r['t_epoch'])}: "
            f"{r['ties']}" for r in rows if r["ties"]]  # fmt: skip
    if tied:
        warnings.warn(f"{o}: held-out digits whose largest output membrane is shared (the lowest "
                      f"output taken; rows' 'ties'): {'; '.join(tied)} of {test}", stacklevel=2)  # fmt: skip
    return rows
