"""Sequential digits on binary-spike chips (docs/sequences.md): the seed paper's question --
does a recurrent network convert to spikes without error, and how many timesteps does it need.

scikit-learn's 8x8 digits read as sequences: row by row (``order="rows"``: 8 elements of 8
pixels) or pixel by pixel (``order="pixels"``: 64 elements of 1 pixel), the 1,400 / 397 split
of :func:`spikemesh.study.digits.data`. A small Elman network (``h_t = relu(x_t W_in + h_{t-1}
W_rec + b)``, a dense readout) is trained in NumPy by backpropagation through time
(:func:`train_elman`: Adam, seeded, gradients clipped; identity-initialised recurrence for the
64-element order), classifying each sequence at its last element. It is then quantized at the
point's weight bits and ``T`` binary timesteps per element and converted onto the point's chip
(the window scheme on loihi, the copies scheme on truenorth, either on loihi2); every element
runs on the emulated chip. ``build(point)`` / ``evaluate(snn, point)`` are a sweep's functions
(``spikemesh sweep``); a point holds ``chip``, ``order``, ``timesteps``, ``weight_bits`` and
optionally ``samples`` (held-out sequences, default 397), ``spike_bits`` (1), ``timing``
("analytic"), ``seed`` (0), ``qat`` (true: fine-tune quantization-aware for the
point's levels; false: the float network quantized as it is), ``weight_qat`` (true: that
fine-tuning rounds the weights to the point's ``weight_bits`` too; false: activations only), ``activation`` ("relu", or "hardtanh": signed activations, the
seed's bipolar RBIFSNN: a pair of populations per layer on the binary-spike chips). Needs scikit-learn (the ``demo`` extra) for the digits.
"""

from __future__ import annotations

import functools

import numpy as np

from .._validate import check_bool, check_choice, check_int, check_number
from ..convert import Dense, Recurrent, quantize, to_snn
from ..convert.quantize import recurrent_levels, weight_scale
from ..counts import Counts
from ..energy import AnnModel
from ..exceptions import ParameterError
from . import digits
from .sweep import chip_of

__all__ = ["ORDERS", "build", "data", "evaluate", "sequences", "train_elman"]

ORDERS = {"rows": (8, 8), "pixels": (64, 1)}
TRAINING = {"rows": {"hidden": 32, "epochs": 40, "lr": 2e-3},
            "pixels": {"hidden": 48, "epochs": 150, "lr": 3e-3}}  # fmt: skip
QAT_EPOCHS = {"rows": 60, "pixels": 60}
EVAL_BLOCK = 16  # held-out sequences per emulator call in evaluate()
QAT_PERCENTILE = 90.0  # the float network's hidden activations: the clipping range


def sequences(x, order: str) -> np.ndarray:
    """Digits (B, 64) as sequences (B, S, n): rows (8 x 8) or pixels (64 x 1)."""
    order = check_choice("study.sequences", "order", order, tuple(ORDERS))
    return np.asarray(x, float).reshape(len(x), *ORDERS[order])


def train_elman(x, y, hidden: int = 32, epochs: int = 40, lr: float = 2e-3, seed: int = 0,
                identity: bool = False, batch: int = 64, clip: float = 1.0, levels: int = 0,
                top: float = 0.0, init: dict | None = None, activation: str = "relu",
                weight_bits: int = 0) -> dict:  # fmt: skip
    """An Elman network classifying sequences ``x`` (B, S, n) by labels ``y`` at the last
    element, trained by backpropagation through time (Adam; gradients clipped to norm
    ``clip``; ``identity``: the recurrent matrix starts at 0.9 I, Le et al.'s IRNN, for long
    sequences). With ``levels`` > 0 the training is quantization-aware (the seed's "RNN ->
    quantized RNN" step): inputs rounded to ``levels`` steps of [0, 1], hidden activations to
    ``levels`` steps of [0, top] (straight-through gradients inside the range), as the
    converted network will compute them; ``init`` continues from trained parameters.
    ``activation`` "hardtanh": ``clip(z, -1, 1)``, quantized as signed levels truncated toward
    zero (the bipolar network's). ``weight_bits`` > 0 (with ``levels``): the weights too, every
    batch, by the converter's own rules (:func:`~spikemesh.convert.quantize.recurrent_levels`
    for ``w_in`` and ``w_rec`` together, :func:`~spikemesh.convert.quantize.weight_scale` for
    the readout), straight-through to the float weights.
    Returns ``w_in, w_rec, b, w_out, b_out`` (float arrays)."""
    o = "study.sequences.train_elman"
    x = np.asarray(x, float)
    y = np.asarray(y, np.int64)
    hidden = check_int(o, "hidden", hidden, 1, 1024)
    epochs = check_int(o, "epochs", epochs, 1, 10_000)
    lr = check_number(o, "lr", lr, 0.0, 1.0)
    levels = check_int(o, "levels", levels, 0, 2**24)
    activation = check_choice(o, "activation", activation, ("relu", "hardtanh"))
    weight_bits = check_int(o, "weight_bits", weight_bits, 0, 8)
    if weight_bits == 1 or (weight_bits and not levels):
        raise ParameterError(f"{o}.weight_bits: 0 (float weights) or 2..8 with levels > 0 "
                             f"(got {weight_bits} with levels={levels})")  # fmt: skip
    rng = np.random.default_rng(check_int(o, "seed", seed, 0, 2**63 - 1))
    n_in, n_cls = x.shape[2], int(y.max()) + 1
    if levels:
        top = check_number(o, "top", top, 1e-12)
        x = np.rint(np.clip(x, 0, 1) * levels) / levels
    if init is not None:
        p = {k: np.array(v, float) for k, v in init.items()}
        hidden = p["w_rec"].shape[0]
    else:
        p = {"w_in": rng.normal(0, 1 / np.sqrt(n_in), (n_in, hidden)),
             "w_rec": (0.9 * np.eye(hidden) + rng.normal(0, 0.01, (hidden, hidden))) if identity
             else rng.normal(0, 0.5 / np.sqrt(hidden), (hidden, hidden)),
             "b": np.zeros(hidden), "w_out": rng.normal(0, 1 / np.sqrt(hidden), (hidden, n_cls)),
             "b_out": np.zeros(n_cls)}  # fmt: skip

    def act(z):
        """The activation and its straight-through gradient mask."""
        if activation == "hardtanh":
            if not levels:
                return np.clip(z, -1.0, 1.0), np.abs(z) < 1.0
            unit = top / levels
            q = np.sign(z) * np.minimum(np.floor(np.abs(z) / unit), levels)
            return q * unit, np.abs(z) < top
        if not levels:
            return np.maximum(z, 0), z > 0
        unit = top / levels
        return np.clip(np.rint(z / unit), 0, levels) * unit, (z > 0) & (z < top)

    def weights():
        """The weights the forward pass uses: ``p``'s, or as the converter will round them."""
        if not weight_bits:
            return p
        s_in, s_h = 1.0 / levels, top / levels
        q_in, q_rec, a = recurrent_levels(p["w_in"], p["w_rec"], s_in, s_h, weight_bits)
        q_out, a_out = weight_scale(p["w_out"], weight_bits)
        return {**p, "w_in": q_in * a / s_in, "w_rec": q_rec * a / s_h,
                "w_out": q_out * a_out}  # fmt: skip

    m1 = {k: np.zeros_like(v) for k, v in p.items()}
    m2 = {k: np.zeros_like(v) for k, v in p.items()}
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(order), batch):
            xb, yb = x[order[s : s + batch]], y[order[s : s + batch]]
            pw = weights()
            hs, pre = [np.zeros((len(xb), hidden))], []
            for t in range(xb.shape[1]):
                z = xb[:, t] @ pw["w_in"] + hs[-1] @ pw["w_rec"] + p["b"]
                h, mask = act(z)
                pre.append(mask)
                hs.append(h)
            logits = hs[-1] @ pw["w_out"] + p["b_out"]
            prob = np.exp(logits - logits.max(axis=1, keepdims=True))
            prob /= prob.sum(axis=1, keepdims=True)
            d = prob
            d[np.arange(len(yb)), yb] -= 1
            d /= len(yb)
            g = {k: np.zeros_like(v) for k, v in p.items()}
            g["w_out"], g["b_out"] = hs[-1].T @ d, d.sum(axis=0)
            dh = d @ pw["w_out"].T
            for t in range(xb.shape[1] - 1, -1, -1):
                dz = dh * pre[t]
                g["w_in"] += xb[:, t].T @ dz
                g["w_rec"] += hs[t].T @ dz
                g["b"] += dz.sum(axis=0)
                dh = dz @ pw["w_rec"].T
            norm = np.sqrt(sum(float((v**2).sum()) for v in g.values()))
            scale = min(1.0, clip / norm) if norm > 0 else 1.0
            step += 1
            for k in p:
                gk = g[k] * scale
                m1[k] = 0.9 * m1[k] + 0.1 * gk
                m2[k] = 0.999 * m2[k] + 0.001 * gk**2
                p[k] -= lr * (m1[k] / (1 - 0.9**step)) / (np.sqrt(m2[k] / (1 - 0.999**step)) + 1e-8)
    return p


def _act(z: np.ndarray, activation: str) -> np.ndarray:
    return np.clip(z, -1.0, 1.0) if activation == "hardtanh" else np.maximum(z, 0)


def _float_predict(p: dict, x: np.ndarray, activation: str = "relu") -> np.ndarray:
    h = np.zeros((len(x), p["w_rec"].shape[0]))
    for t in range(x.shape[1]):
        h = _act(x[:, t] @ p["w_in"] + h @ p["w_rec"] + p["b"], activation)
    return np.argmax(h @ p["w_out"] + p["b_out"], axis=1)


@functools.lru_cache(maxsize=4)
def _float(order: str, seed: int, activation: str = "relu") -> tuple:
    d = digits.data(seed)
    xtr, xte = sequences(d["x_train"], order), sequences(d["x_test"], order)
    p = train_elman(xtr, d["y_train"], seed=seed, identity=order == "pixels",
                    activation=activation, **TRAINING[order])  # fmt: skip
    return d, xtr, xte, p


@functools.lru_cache(maxsize=16)
def data(order: str = "rows", seed: int = 0, levels: int = 0, activation: str = "relu",
         weight_bits: int = 0) -> dict:  # fmt: skip
    """The digits as ``order`` sequences (train / held-out), the trained Elman network as
    spikemesh layers and its float accuracy on the held-out sequences (at the last element).
    With ``levels`` > 0 (``T * (2**spike_bits - 1)``): the float network fine-tuned
    quantization-aware for that many activation levels (:func:`train_elman`, ``QAT_EPOCHS``
    epochs; the activation range ``tops`` is the float network's 90th percentile, which
    :func:`build` hands to ``quantize``; for ``activation="hardtanh"`` the range is 1, the
    float activation's); ``weight_bits`` > 0: the weights rounded in that fine-tuning too, as
    ``quantize(weight_bits=...)`` will round them."""
    order = check_choice("study.sequences.data", "order", order, tuple(ORDERS))
    activation = check_choice("study.sequences.data", "activation", activation,
                              ("relu", "hardtanh"))  # fmt: skip
    d, xtr, xte, p = _float(order, seed, activation)
    out = {"x_train": xtr, "y_train": d["y_train"], "x_test": xte, "y_test": d["y_test"],
           "float_accuracy": float((_float_predict(p, xte, activation) == d["y_test"]).mean())}  # fmt: skip
    top = None
    if levels:
        h = _hidden(p, xtr, activation)
        top = 1.0 if activation == "hardtanh" else float(np.percentile(h[h > 0], QAT_PERCENTILE))
        p = train_elman(xtr, d["y_train"], epochs=QAT_EPOCHS[order], lr=TRAINING[order]["lr"],
                        seed=seed, levels=levels, top=top, init=p, activation=activation,
                        weight_bits=weight_bits)  # fmt: skip
    out["layers"] = [Recurrent(p["w_in"], p["w_rec"], p["b"], activation=activation),
                     Dense(p["w_out"], p["b_out"])]  # fmt: skip
    out["tops"] = [top, None]  # the clipping range quantize() must map to the top level
    return out


def _hidden(p: dict, x: np.ndarray, activation: str = "relu") -> np.ndarray:
    h, hs = np.zeros((len(x), p["w_rec"].shape[0])), []
    for t in range(x.shape[1]):
        h = _act(x[:, t] @ p["w_in"] + h @ p["w_rec"] + p["b"], activation)
        hs.append(h)
    return np.stack(hs, axis=1)


def _levels(point: dict) -> int:
    """Activation levels the point's network is trained for (0: float training only)."""
    if not check_bool("study.sequences point", "qat", point.get("qat", True)):
        return 0
    return int(point["timesteps"]) * (2 ** int(point.get("spike_bits", 1)) - 1)


def _data_of(point: dict) -> dict:
    levels = _levels(point)
    wq = levels and check_bool("study.sequences point", "weight_qat",
                               point.get("weight_qat", True))  # fmt: skip
    return data(
        point.get("order", "rows"),
        point.get("seed", 0),
        levels,
        point.get("activation", "relu"),
        int(point["weight_bits"]) if wq else 0,
    )


def build(point: dict):
    """Quantize the trained Elman network at the point's widths and convert it onto its chip
    (binary spikes: ``spike_bits`` 1 unless the point says otherwise)."""
    sb = int(point.get("spike_bits", 1))
    d = _data_of(point)
    q = quantize(d["layers"], d["x_train"], weight_bits=point["weight_bits"], spike_bits=sb,
                 input_bits=sb, timesteps=point["timesteps"],
                 tops=d["tops"] if d["tops"][0] is not None else None)  # fmt: skip
    return to_snn(q, chip_of(point))


def evaluate(snn, point: dict) -> dict:
    """Run the held-out sequences on the chip. Accuracy at the last element of the SNN, of its
    quantized network and of the float network; ``exact``: every element's logits and hidden
    activations equal the quantized network's; per sequence: steps, cycles, chip time and the
    four energy estimates (the ANN's: its MACs and memory traffic per element, times the
    elements)."""
    d = _data_of(point)
    n = check_int(
        "study.sequences.evaluate",
        "samples",
        point.get("samples", len(d["y_test"])),
        1,
        len(d["y_test"]),
    )
    x, y = d["x_test"][:n], d["y_test"][:n]
    q = snn.qann
    exact, totals = True, dict.fromkeys(("chip", "synops", "bitbudget"), 0.0)
    cycles = chip_s = 0.0
    spikes = steps = 0
    pred, qpred = [], []
    # a block of sequences at a time: each run's record (every neuron's spikes over the
    # sequence: 22 MiB on a 505-core truenorth mapping) is summed and dropped, so memory does
    # not grow with the samples
    for s in range(0, n, EVAL_BLOCK):
        xb = x[s : s + EVAL_BLOCK]
        inf = snn.infer(xb, timing=point.get("timing", "analytic"))
        ref = q.forward(inf.activations["x"] if "x" in inf.activations else q.encode(xb))
        exact &= bool(np.array_equal(inf.logits, ref[-1]))
        for name, a in zip(snn.layer_names[:-1], ref[:-1], strict=True):
            exact &= bool(np.array_equal(inf.activations[name], a))
        t, c, cs, sp, st = digits.run_totals(inf, snn)
        for m in totals:
            totals[m] += t[m]
        cycles, chip_s, spikes, steps = cycles + c, chip_s + cs, spikes + sp, steps + st
        pred.append(np.argmax(inf.logits[:, -1], axis=1))
        qpred.append(np.argmax(ref[-1][:, -1], axis=1))
    S = x.shape[1]
    ann = float(sum(AnnModel().components(Counts(steps=1, **q.ann_counts())).values())) * S
    return {
        "accuracy": float((np.concatenate(pred) == y).mean()),
        "qann_accuracy": float((np.concatenate(qpred) == y).mean()),
        "float_accuracy": d["float_accuracy"],
        "exact": exact,
        "scheme": snn.scheme,
        "elements": S,
        "steps_per_sequence": steps / n,
        "steps_per_element": snn.frame,
        "cycles_per_sequence": cycles / n,
        "latency_us": chip_s / n * 1e6,
        "spike_rate": spikes / max(snn.hidden_neurons * q.timesteps * S * n, 1),
        "cores": snn.mapping.n_cores,
        "samples": n,
        **{f"energy_{m}_J": v / n for m, v in totals.items()},
        "energy_ann_J": ann,
    }
