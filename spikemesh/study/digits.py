"""The digits study (``spikemesh demo``): a small MLP trained on scikit-learn's bundled 8x8
digits, quantized, converted and run on chip profiles over a grid of timesteps x weight bits x
spike bits.

``build(point)`` and ``evaluate(snn, point)`` are the sweep's functions; a point holds
``chip``, ``timesteps``, ``weight_bits``, ``spike_bits`` and optionally ``samples`` (held-out
digits to run, default all 397), ``timing`` ("analytic"), ``encoding`` ("direct"), ``seed`` (0)
and ``"<chip>:section.key"`` profile overrides. Needs scikit-learn (the ``demo`` extra).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from ..convert import from_mlp, limits, quantize, to_snn
from ..counts import Counts
from ..energy import AnnModel
from ..exceptions import SpikemeshError
from .sweep import chip_of

__all__ = ["CHIPS", "FULL", "QUICK", "ann_energy", "build", "data", "evaluate", "grid",
           "run_totals"]  # fmt: skip

FULL = {"timesteps": [1, 2, 4, 8, 16], "weight_bits": [2, 4, 8], "spike_bits": [1, 2, 4]}
QUICK = {"timesteps": [1, 4], "weight_bits": [2, 4, 8], "spike_bits": [1, 4]}
CHIPS = ("loihi", "truenorth", "loihi2")
HIDDEN = 64
N_TRAIN = 1400  # of 1,797 digits; the other 397 are held out


@functools.lru_cache(maxsize=4)
def data(seed: int = 0) -> dict:
    """Digits split (1,400 train / 397 held out, shuffled by ``seed``; pixels / 16), the trained float MLP
    64-64-10 as spikemesh layers, and its float accuracy on the held-out digits."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        raise SpikemeshError(
            "the digits study needs scikit-learn: pip install 'spikemesh[demo]'"
        ) from None
    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order] / 16.0, y[order]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's ConvergenceWarning at max_iter
        clf = MLPClassifier((HIDDEN,), max_iter=400, random_state=seed)
        clf.fit(x[:N_TRAIN], y[:N_TRAIN])
    return {
        "layers": from_mlp(clf),
        "x_train": x[:N_TRAIN], "y_train": y[:N_TRAIN], "x_test": x[N_TRAIN:],
        "y_test": y[N_TRAIN:],
        "float_accuracy": float(clf.score(x[N_TRAIN:], y[N_TRAIN:])),
    }  # fmt: skip


def grid(chips=CHIPS, axes: dict | None = None, **fixed) -> list[dict]:
    """The points of ``axes`` (default :data:`FULL`) on each chip, leaving out widths a chip
    cannot build (:func:`spikemesh.convert.limits`: binary-spike chips run ``spike_bits = 1``
    only, TrueNorth's 4 axon types hold at most 4-bit weights); ``fixed`` entries (samples,
    timing, ...) go into every point. Points that need more than a chip has (a neuron's fan-in
    beyond a core's axons) stay in: their MappingError says what does not fit."""
    axes = FULL if axes is None else axes
    out = []
    for chip in chips:
        lim = limits(chip)
        for t in axes["timesteps"]:
            for wb in axes["weight_bits"]:
                for sb in axes["spike_bits"]:
                    if sb <= lim["spike_bits"] and wb <= lim["weight_bits"]:
                        out.append({"chip": chip, "timesteps": t, "weight_bits": wb,
                                    "spike_bits": sb, **fixed})  # fmt: skip
    return out


def build(point: dict):
    """Quantize the trained MLP at the point's widths and convert it onto its chip."""
    d = data(point.get("seed", 0))
    q = quantize(d["layers"], d["x_train"], weight_bits=point["weight_bits"],
                 spike_bits=point["spike_bits"], input_bits=point["spike_bits"],
                 timesteps=point["timesteps"])  # fmt: skip
    return to_snn(q, chip_of(point))


def evaluate(snn, point: dict) -> dict:
    """Run the held-out digits; accuracy of the SNN and of its quantized ANN, whether they
    agree exactly, and per inference: steps, cycles, chip time, energy under the four models,
    the hidden layers' spike rate (spikes per neuron per timestep)."""
    d = data(point.get("seed", 0))
    n = int(point.get("samples", len(d["y_test"])))
    x, y = d["x_test"][:n], d["y_test"][:n]
    inf = snn.infer(x, timing=point.get("timing", "analytic"),
                    encoding=point.get("encoding", "direct"), seed=point.get("seed", 0))  # fmt: skip
    q = snn.qann
    levels = inf.activations["x"] if "x" in inf.activations else q.encode(x)
    ref = q.forward(levels)[-1]
    totals, cycles, chip_s, spikes, _ = run_totals(inf, snn)
    n_hidden = snn.hidden_neurons
    return {
        "accuracy": float((inf.predictions == y).mean()),
        "qann_accuracy": float((np.argmax(ref, axis=1) == y).mean()),
        "float_accuracy": d["float_accuracy"],
        "exact": bool(np.array_equal(inf.logits, ref)),
        "scheme": snn.scheme,
        "activation_bits": float(np.log2(q.cap + 1)),
        "steps_per_inference": snn.steps_per_sample,
        "cycles_per_inference": cycles / n,
        "latency_us": chip_s / n * 1e6,
        "spike_rate": spikes / max(n_hidden * q.timesteps * n, 1),
        "cores": snn.mapping.n_cores,
        "samples": n,
        **{f"energy_{m}_J": v / n for m, v in totals.items()},
        "energy_ann_J": ann_energy(q),
    }


def run_totals(inf, snn) -> tuple[dict, float, float, int, int]:
    """Summed over an inference's runs: energy under the chip, SynOps and Bit Budget models,
    cycles, chip seconds, hidden spikes and steps."""
    totals = dict.fromkeys(("chip", "synops", "bitbudget"), 0.0)
    cycles = chip_s = 0.0
    spikes = steps = 0
    for res in inf.results:
        rep = res.energy()
        for m in totals:
            totals[m] += rep.total(m)
        cycles += float(np.asarray(res.cycles).sum())
        chip_s += float(rep.counts["elapsed_s"])
        spikes += snn.hidden_spikes(res)
        steps += res.steps
    return totals, cycles, chip_s, spikes, steps


def ann_energy(qann) -> float:
    """Energy of one inference of the equivalent quantized ANN (the ANN model: one pass of
    int8 MACs, weight and activation SRAM traffic), from the integer network's shapes -- not
    from the converted network, whose gate, bias and copy synapses the ANN does not have."""
    return float(sum(AnnModel().components(Counts(steps=1, **qann.ann_counts())).values()))
