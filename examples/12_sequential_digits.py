"""Sequential digits on binary-spike chips (docs/sequences.md): an Elman network trained in
NumPy (BPTT, quantization-aware for each T), converted onto loihi (window scheme), truenorth
(copies scheme) and loihi2 for T timesteps per element and each weight width; every held-out
sequence runs on the emulated chip. A resumable sweep (SQLite store): points that do not fit a
chip are kept with the reason.

    python examples/12_sequential_digits.py [--orders rows,pixels] [--chips loihi,truenorth,loihi2]
        [--activations relu,hardtanh] [--timesteps 1,2,4,8] [--weight-bits 2,4,8] [--samples 397] [--store seq.sqlite]
        [--workers 2] [--out docs/img/sequences.png]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from spikemesh import study
from spikemesh.energy import _fmt
from spikemesh.study import sequences

ap = argparse.ArgumentParser()
ap.add_argument("--orders", default="rows,pixels", help="rows (8 x 8) and/or pixels (64 x 1)")
ap.add_argument("--chips", default="loihi,truenorth,loihi2")
ap.add_argument("--activations", default="relu,hardtanh",
                help="relu, and/or hardtanh (signed: bipolar spikes, the seed's RBIFSNN)")  # fmt: skip
ap.add_argument("--timesteps", default="1,2,4,8", help="T per sequence element")
ap.add_argument("--weight-bits", default="2,4,8")
ap.add_argument("--samples", type=int, default=397, help="held-out sequences per point")
ap.add_argument(
    "--store", default=None, help="SQLite store (a rerun resumes); default: a temp file"
)
ap.add_argument("--workers", type=int, default=2)
ap.add_argument("--out", default=None, help="write the plot here (PNG)")
args = ap.parse_args()


def ints(s):
    return [int(v) for v in s.split(",") if v]


grid = {"order": [v for v in args.orders.split(",") if v],
        "activation": [v for v in args.activations.split(",") if v],
        "chip": [v for v in args.chips.split(",") if v], "timesteps": ints(args.timesteps),
        "weight_bits": ints(args.weight_bits), "samples": [args.samples]}  # fmt: skip
store = Path(args.store) if args.store else Path(tempfile.mkdtemp()) / "sequences.sqlite"
t0, w0 = time.process_time(), time.time()
res = study.sweep(sequences.build, grid, sequences.evaluate, store=store, workers=args.workers,
                  progress=False)  # fmt: skip
cpu, wall = time.process_time() - t0, time.time() - w0
print(f"{len(res.records)} points ({len(res.errors)} do not fit), {args.samples} held-out "
      f"sequences each; {wall:.0f} s wall, {cpu:.0f} CPU-s in this process (the points ran in "
      f"{args.workers} workers); store {store}\n")  # fmt: skip
print(
    "| order | activation | chip | T | weight bits | scheme | accuracy | quantized RNN | float RNN | exact "
    "| steps / seq | cycles / seq | µs / seq | chip | SynOps | Bit Budget | ANN | cores |"
)
print("|---|---|---|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
for r in res.records:
    head = (f"| {r['order']} | {r['activation']} | {r['chip']} | {r['timesteps']} "
            f"| {r['weight_bits']} |")  # fmt: skip
    if r.get("error"):
        reason = r["error"].splitlines()[-1].split(": ", 1)[-1]
        print(f"{head} does not fit: {reason[:150]} |" + " |" * 12)
        continue
    print(f"{head} {r['scheme']} | {r['accuracy'] * 100:.1f} % | {r['qann_accuracy'] * 100:.1f} % "
          f"| {r['float_accuracy'] * 100:.1f} % | {'yes' if r['exact'] else 'NO'} "
          f"| {r['steps_per_sequence']:,.0f} | {r['cycles_per_sequence']:,.0f} "
          f"| {r['latency_us']:,.1f} | {_fmt(r['energy_chip_J'])} | {_fmt(r['energy_synops_J'])} "
          f"| {_fmt(r['energy_bitbudget_J'])} | {_fmt(r['energy_ann_J'])} | {r['cores']} |")  # fmt: skip

if args.out:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in res.records if not r.get("error")]
    orders = grid["order"]
    fig, axes = plt.subplots(2, len(orders), figsize=(6 * len(orders), 8), squeeze=False)
    marks = {"loihi": "o", "truenorth": "s", "loihi2": "^"}
    styles = {"relu": "-", "hardtanh": "--"}

    def series(rs):
        return sorted(rs, key=lambda r: r["timesteps"])

    for c, order in enumerate(orders):
        mine = [r for r in ok if r["order"] == order]
        # accuracy: every mapped point is exact, so one line per width and activation
        for k, wb in enumerate(sorted({r["weight_bits"] for r in mine})):
            for act in grid["activation"]:
                by_t = {r["timesteps"]: r for r in mine
                        if r["weight_bits"] == wb and r["activation"] == act}  # fmt: skip
                if by_t:
                    ts = sorted(by_t)
                    axes[0, c].plot(ts, [by_t[t]["accuracy"] * 100 for t in ts],
                                    "o" + styles.get(act, "-"), color=f"C{k}", mfc="none",
                                    label=f"{wb}-bit weights, {act}")  # fmt: skip
        # energy: each chip at the widest weights it holds
        for k, chip in enumerate(grid["chip"]):
            on = [r for r in mine if r["chip"] == chip]
            if not on:
                continue
            wb = max(r["weight_bits"] for r in on)
            for act in grid["activation"]:
                sub = series(r for r in on if r["weight_bits"] == wb and r["activation"] == act)
                if sub:
                    axes[1, c].plot([r["timesteps"] for r in sub],
                                    [r["energy_chip_J"] for r in sub],
                                    marks.get(chip, "o") + styles.get(act, "-"), color=f"C{k + 3}",
                                    mfc="none", label=f"{chip}, {wb}-bit, {act}")  # fmt: skip
        n_el = sequences.ORDERS[order][0]
        axes[0, c].set_title(f"{order}: {n_el} elements per sequence", fontsize=10)
        axes[0, c].set_ylabel("held-out accuracy (%, the SNN = its quantized RNN)")
        axes[1, c].set_ylabel("chip energy per sequence (J, with static)")
        axes[1, c].set_yscale("log")
        for ax in axes[:, c]:
            ax.set_xscale("log", base=2)
            ax.set_xticks(grid["timesteps"], [str(t) for t in grid["timesteps"]])
            ax.set_xlabel("T (binary timesteps per element)")
            ax.grid(True, which="both", alpha=0.3)
        axes[0, c].legend(fontsize=7)
        axes[1, c].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"\nwrote {args.out}")
