"""The spike-rate break-even study (docs/studies.md): at which mean spike rate does the
binary-spike SNN stop beating its equivalent quantized ANN, per chip profile and T?

    python examples/03_spike_rate_breakeven.py [--samples 100] [--out breakeven.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from spikemesh.study.breakeven import breakeven

ap = argparse.ArgumentParser()
ap.add_argument("--samples", type=int, default=100)
ap.add_argument(
    "--out",
    help="write the plot here (default: breakeven.png in a temporary folder; "
    "docs/img/breakeven.png is made with --out docs/img/breakeven.png)",
)
args = ap.parse_args()
if args.out is None:
    import tempfile

    args.out = str(Path(tempfile.mkdtemp()) / "breakeven.png")
rows = breakeven(samples=args.samples)
print(
    "| chip | T | w bits | act. bits | measured rate | E_snn nJ | static nJ | E_ann nJ | e_spike nJ "
    "(dyn. pJ) | fixed dyn. nJ | break-even rate (with static) | break-even rate (dynamic only) |"
)
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if "error" in r:
        print(f"| {r['chip']} | {r['timesteps']} | {r['weight_bits']} | does not fit: "
              f"{r['error'].removeprefix('to_snn: ')} |||||||||")  # fmt: skip
        continue
    print(
        f"| {r['chip']} | {r['timesteps']} | {r['weight_bits']} | {r['activation_bits']} | {100 * r['rate']:.1f} % | "
        f"{r['E_snn_J'] * 1e9:,.0f} | {r['static_J'] * 1e9:,.0f} | {r['E_ann_J'] * 1e9:.2f} | "
        f"{r['e_spike_J'] * 1e9:.1f} ({r['e_spike_dynamic_J'] * 1e12:,.0f}) | "
        f"{r['E_fixed_dynamic_J'] * 1e9:,.1f} | "
        f"{100 * r['breakeven_rate']:.2f} % | {100 * r['breakeven_rate_dynamic']:.2f} % |"
    )
fig, ax = plt.subplots(figsize=(7.5, 6))
for chip, mk, color in (("loihi", "o", "C0"), ("truenorth", "^", "C3"), ("loihi2", "s", "C2")):
    sub = [r for r in rows if r["chip"] == chip and "error" not in r]
    t = [r["timesteps"] for r in sub]
    ax.plot(
        t,
        [100 * r["breakeven_rate_dynamic"] for r in sub],
        mk + "-",
        color=color,
        label=f"{chip}: break-even, dynamic energy only",
    )
    static = [100 * r["breakeven_rate"] for r in sub]
    if min(static, default=0) > -100:  # TrueNorth's 1 ms tick: far below, left off the chart
        ax.plot(t, static, mk + "--", color=color, mfc="none",
                label=f"{chip}: break-even, static power included")  # fmt: skip
    ax.plot(t, [100 * r["rate"] for r in sub], mk + ":", color=color, alpha=0.6,
            label=f"{chip}: measured rate (digits)")  # fmt: skip
ax.axhline(6.4, color="k", lw=1, label="Yan et al.: ~6.4 % (T = 5..10)")
ax.axhline(0, color="grey", lw=0.5)
ax.set_xscale("log", base=2)
ax.set_xlabel("binary timesteps T  (equivalent ANN: ceil(log2(T+1)) activation bits)")
ax.set_ylabel("mean spike rate (% of neuron-steps)")
ax.set_title(
    "Spike rate below which the SNN beats its quantized ANN (digits MLP)\n"
    "below 0: never; loihi2's profile reuses loihi's energy figures, so the lines overlap;\n"
    "truenorth with static power (42 mW over 1 ms ticks) is below -100,000 %: not drawn",
    fontsize=9,
)
ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
ax.grid(True, alpha=0.3)
fig.tight_layout()
fig.savefig(args.out, dpi=150)
print(f"wrote {args.out}")
