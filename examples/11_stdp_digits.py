"""Learning on the chip against training offline (docs/learning.md, "The digits study"): the
digits learned on loihi's learning engine (spikemesh.study.stdp_digits) by a 64 -> 10 layer
with a teacher-forced Hebbian rule, and without labels by a 30-neuron winner-take-all, for each
learning epoch length; the same inference network then runs the learned weights, the rules'
offline counterparts (float fixed point, k-means) and a logistic regression.

    python examples/11_stdp_digits.py [--train 1400] [--test 397] [--t-epochs 1,2,4,8,16]
        [--wta-epochs 1,4,16] [--rate-exp 5] [--chip loihi] [--seeds 0,1,2]
        [--out docs/img/stdp_digits.png]

Each seed draws other spike trains and other stochastic rounding of the traces; the
table gives the accuracy's mean and range over the seeds, the costs of the first seed (they
move by well under 1 % between seeds).
"""

from __future__ import annotations

import argparse
import time

from spikemesh.study import stdp_digits

ap = argparse.ArgumentParser()
ap.add_argument("--train", type=int, default=1400, help="training digits (of 1,400), one pass")
ap.add_argument("--test", type=int, default=397, help="held-out digits (of 397)")
ap.add_argument("--t-epochs", default="1,2,4,8,16", help="learning epochs (steps; divide 16)")
ap.add_argument("--wta-epochs", default="1,4,16", help="the winner-take-all's learning epochs")
ap.add_argument("--rate-exp", type=int, default=stdp_digits.RATE_EXP,
                help="the rule moves w 2^-rate_exp of the way per update (1..7)")  # fmt: skip
ap.add_argument("--chip", default="loihi", help="loihi or loihi2 (a chip with a learning engine)")
ap.add_argument(
    "--seeds", default="0,1,2", help="seeds of the spike trains and the traces' rounding"
)
ap.add_argument("--out", default=None, help="write the plot here (PNG)")
args = ap.parse_args()

t0 = time.process_time()
seeds = [int(v) for v in args.seeds.split(",") if v]
runs = [stdp_digits.run(train=args.train, test=args.test, chip=args.chip, rate_exp=args.rate_exp,
                        t_epochs=[int(v) for v in args.t_epochs.split(",") if v], seed=s,
                        wta_epochs=[int(v) for v in args.wta_epochs.split(",") if v])
        for s in seeds]  # fmt: skip
cpu = time.process_time() - t0
rows = runs[0]
for k, r in enumerate(rows):
    accs = [run[k]["accuracy"] * 100 for run in runs]
    r["acc_mean"], r["acc_lo"], r["acc_hi"] = sum(accs) / len(accs), min(accs), max(accs)
    if r["epochs"]:
        r["after_mean"] = {m: sum(run[k]["accuracy_after"][m] for run in runs) * 100 / len(runs)
                           for m in r["accuracy_after"]}  # fmt: skip

chip_rows = [r for r in rows if r["epochs"]]
marks = sorted({k for r in chip_rows for k in r["accuracy_after"]})
print(f"{args.train} training digits (one pass, {stdp_digits.PRESENT} steps each; rules "
      f"dw = {stdp_digits.rule(args.rate_exp)} teacher-forced, "
      f"{stdp_digits.rule(stdp_digits.WTA_RATE_EXP)} winner-take-all), {args.test} held-out digits, on "
      f"{args.chip}; seeds {args.seeds}; {cpu:.1f} CPU-s\n")  # fmt: skip
print("| training | t_epoch | accuracy (mean, range) | after " + " / ".join(f"{k:,}" for k in marks)
      + " digits | synaptic updates / digit | learning nJ / digit | chip dynamic nJ / digit "
      "| chip nJ / digit (with static) | SynOps nJ / digit | cycles / epoch | of which learning "
      "(ns) | inference nJ / digit |")  # fmt: skip
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    on_chip = bool(r["epochs"])
    after = " / ".join(f"{r['after_mean'][k]:.1f}" for k in marks) if on_chip else "-"
    cost = (f"{r['synaptic_updates_per_sample']:,.0f} | {r['learning_J_per_sample'] * 1e9:,.1f} "
            f"| {r['chip_dynamic_J_per_sample'] * 1e9:,.1f} | {r['chip_J_per_sample'] * 1e9:,.1f} "
            f"| {r['synops_J_per_sample'] * 1e9:,.2f} | {r['cycles_per_epoch']:,.0f} "
            f"| {r['learning_ns_per_epoch']:,.0f}") if on_chip else "- | - | - | - | - | - | -"  # fmt: skip
    acc = f"{r['acc_mean']:.1f} % ({r['acc_lo']:.1f}-{r['acc_hi']:.1f})"
    print(f"| {r['training']} | {r['t_epoch']} | {acc} | {after} | {cost} "
          f"| {r['inference_J_per_sample'] * 1e9:,.1f} |")  # fmt: skip
wta = [r for r in chip_rows if "winners_per_digit" in r]
if wta:
    print(f"\n| winner-take-all (seed {seeds[0]}), t_epoch | output neurons firing per digit | digits with no output "
          "spike | bias (calibrated, no labels) |")  # fmt: skip
    print("|---:|---:|---:|---:|")
    for r in wta:
        print(f"| {r['t_epoch']} | {r['winners_per_digit']:.2f} | {r['silent_digits'] * 100:.1f} % "
              f"| {r['bias']} |")  # fmt: skip
print("\naccuracy: the inference network (same for every row) on the held-out digits, mean of "
      "the seeds (accuracy after k digits: mean); costs per "
      "training digit from the training run (timing='analytic'); SynOps does not price the "
      "learning engine (res.energy().left_out)")  # fmt: skip

if args.out:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    e = [r["chip_J_per_sample"] * 1e6 for r in chip_rows]
    for color, mk, kind in (("C0", "o", "teacher-forced"), ("C3", "s", "unsupervised")):
        sub = [r for r in chip_rows if r["training"].startswith(kind)]
        if not sub:
            continue
        es = [r["chip_J_per_sample"] * 1e6 for r in sub]
        a = [r["acc_mean"] for r in sub]
        err = [
            [r["acc_mean"] - r["acc_lo"] for r in sub],
            [r["acc_hi"] - r["acc_mean"] for r in sub],
        ]
        ax.errorbar(es, a, yerr=err, fmt=mk + "-", color=color, capsize=3,
                    label=f"{sub[0]['training']} (mean, range of {len(seeds)} seeds)")  # fmt: skip
        for r, ei, ai in zip(sub, es, a, strict=True):
            ax.annotate(f"t_epoch {r['t_epoch']}", (ei, ai), textcoords="offset points",
                        xytext=(5, -10), fontsize=7, color=color)  # fmt: skip
    styles = {"teacher-forced": ("C0", "--"), "offline: logistic": ("C2", "-."),
              "unsupervised": ("C3", ":"), "offline: k-means": ("C3", "--")}  # fmt: skip
    for r in rows:
        if r["epochs"]:
            continue
        color, ls = next(v for k, v in styles.items() if r["training"].startswith(k))
        ax.axhline(r["acc_mean"], ls=ls, color=color, lw=1,
                   label=f"{r['training']} ({r['acc_mean']:.1f} %)")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlim(min(e) / 1.3, max(e) * 2.2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks([t for t in (2, 3, 5, 10, 20, 50) if min(e) / 1.3 <= t <= max(e) * 1.6])
    ax.set_xlabel(f"chip energy per training digit (µJ, {args.chip} model, with static)")
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_title("Accuracy against the cost of learning on the chip", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6.5, loc="lower right")
    ax.set_ylim(min(min(r["acc_lo"] for r in rows) - 25, 50), 100)
    for k, r in enumerate(chip_rows):
        ks = sorted(r["accuracy_after"])
        sup = r["training"].startswith("teacher")
        bx.plot(ks, [r["after_mean"][i] for i in ks], ("o-" if sup else "s:"), color=f"C{k}",
                label=f"{'teacher-forced' if sup else 'unsupervised WTA'}, t_epoch {r['t_epoch']}")  # fmt: skip
    bx.set_xlabel("training digits seen (one pass)")
    bx.set_ylabel(f"held-out accuracy (%, mean of {len(seeds)} seeds)")
    bx.set_title("Learning curve on the chip", fontsize=10)
    bx.grid(True, alpha=0.3)
    bx.legend(fontsize=6.5, ncol=2)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
