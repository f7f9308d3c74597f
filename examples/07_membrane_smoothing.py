"""Membrane-potential smoothing (docs/smoothing.md): the digits MLP as a rate-coded spiking
network on Loihi 2-like cores, read after T = 1..32 steps, with IF neurons and with SmoothIF
neurons (spike decision on vbar = alpha vbar + (1 - alpha) v) at several alpha. Prints
accuracy, agreement with the T = 32 answer, spike rate and energy per inference.

    python examples/07_membrane_smoothing.py [--samples 397] [--out docs/img/smoothing.png]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import spikemesh as sm
from spikemesh.study import digits, smoothing

ap = argparse.ArgumentParser()
ap.add_argument("--samples", type=int, default=397, help="held-out digits (of 397)")
ap.add_argument("--encoding", default="rate", choices=["rate", "even"],
                help="input spikes: Bernoulli at the pixel's rate, or evenly spread")  # fmt: skip
ap.add_argument("--out", help="write the accuracy-vs-T plot here (PNG)")
args = ap.parse_args()
t0 = time.perf_counter()
d = digits.data()
q = sm.convert.quantize(d["layers"], d["x_train"], weight_bits=8, spike_bits=1, input_bits=1,
                        timesteps=32)  # fmt: skip
x, y = d["x_test"][: args.samples], d["y_test"][: args.samples]
qacc = float((np.argmax(q.forward(q.encode(x))[-1], axis=1) == y).mean())
print(
    f"digits MLP 64-64-10, 8-bit weights, binary spikes, T_max = 32; {len(y)} held-out digits, "
    f"{args.encoding} input coding; float {d['float_accuracy']:.1%}, quantized ANN {qacc:.1%}\n"
)
steps = [1, 2, 4, 8, 16, 32]
alphas = [None, 1024, 2048, 3072]
table = {}
for alpha in alphas:
    table[alpha] = smoothing.run(q, x, y, steps, alpha=alpha, encoding=args.encoding)
print("| neuron | alpha | " + " | ".join(f"T={t}" for t in steps) + " |")
print("|---|---|" + "---|" * len(steps))
for alpha, rows in table.items():
    name = "IF" if alpha is None else "SmoothIF"
    a = "-" if alpha is None else f"{alpha / 4096:.2f}"
    print(f"| {name} | {a} | " + " | ".join(
        f"{r['accuracy']:.1%} ({r['agrees_with_longest']:.0%})" for r in rows) + " |")  # fmt: skip
print("\n(accuracy, and in brackets the share of digits whose answer equals the T = 32 answer)\n")
print("| neuron | alpha | T | spike rate | chip nJ | SynOps nJ | Bit Budget nJ |")
print("|---|---|---|---|---|---|---|")
for alpha, rows in table.items():
    for r in rows:
        if r["T"] in (4, 8, 32):
            print(
                f"| {'IF' if alpha is None else 'SmoothIF'} | "
                f"{'-' if alpha is None else f'{alpha / 4096:.2f}'} | {r['T']} "
                f"| {r['spike_rate']:.3f} | {r['energy_chip_J'] * 1e9:,.0f} "
                f"| {r['energy_synops_J'] * 1e9:.2f} | {r['energy_bitbudget_J'] * 1e9:.2f} |"
            )
print(f"\ntook {time.perf_counter() - t0:.1f} s")
if args.out:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    for alpha, rows in table.items():
        label = "IF (no smoothing)" if alpha is None else f"SmoothIF, alpha = {alpha / 4096:.2f}"
        ax.plot([r["T"] for r in rows], [100 * r["accuracy"] for r in rows], marker="o",
                label=label)  # fmt: skip
    ax.axhline(100 * qacc, color="black", ls=":", lw=1, label="quantized ANN")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("timesteps T (input steps before the readout)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"Rate-coded digits MLP on loihi2: membrane smoothing ({len(y)} digits)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
