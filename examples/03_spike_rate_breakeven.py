"""The spike-rate break-even study (docs/studies.md): at which mean spike rate does the
binary-spike SNN stop beating its equivalent quantized ANN, per chip profile and T?

    python examples/03_spike_rate_breakeven.py [--samples 100] [--out docs/img/breakeven.png]
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from spikemesh.study.breakeven import breakeven

ap = argparse.ArgumentParser()
ap.add_argument("--samples", type=int, default=100)
ap.add_argument("--out", default="docs/img/breakeven.png")
args = ap.parse_args()
rows = breakeven(samples=args.samples)
print(
    "| chip | T | act. bits | measured rate | E_snn nJ | static nJ | E_ann nJ | e_spike nJ "
    "(dyn. pJ) | fixed dyn. nJ | break-even rate (with static) | break-even rate (dynamic only) |"
)
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(
        f"| {r['chip']} | {r['timesteps']} | {r['activation_bits']} | {100 * r['rate']:.1f} % | "
        f"{r['E_snn_J'] * 1e9:,.0f} | {r['static_J'] * 1e9:,.0f} | {r['E_ann_J'] * 1e9:.2f} | "
        f"{r['e_spike_J'] * 1e9:.1f} ({r['e_spike_dynamic_J'] * 1e12:,.0f}) | "
        f"{r['E_fixed_dynamic_J'] * 1e9:,.1f} | "
        f"{100 * r['breakeven_rate']:.2f} % | {100 * r['breakeven_rate_dynamic']:.2f} % |"
    )
fig, ax = plt.subplots(figsize=(7, 4.4))
for chip, mk in (("loihi", "o"), ("loihi2", "s")):
    sub = [r for r in rows if r["chip"] == chip]
    t = [r["timesteps"] for r in sub]
    ax.plot(
        t,
        [100 * r["breakeven_rate_dynamic"] for r in sub],
        mk + "-",
        label=f"{chip}: break-even, dynamic energy only",
    )
    ax.plot(
        t,
        [100 * r["breakeven_rate"] for r in sub],
        mk + "--",
        label=f"{chip}: break-even, static power included",
    )
    ax.plot(t, [100 * r["rate"] for r in sub], mk + ":", label=f"{chip}: measured rate (digits)")
ax.axhline(6.4, color="k", lw=1, label="Yan et al.: ~6.4 % (T = 5..10)")
ax.axhline(0, color="grey", lw=0.5)
ax.set_xscale("log", base=2)
ax.set_xlabel("binary timesteps T  (equivalent ANN: ceil(log2(T+1)) activation bits)")
ax.set_ylabel("mean spike rate (% of neuron-steps)")
ax.set_title(
    "Spike rate below which the SNN beats its quantized ANN (digits MLP)\n"
    "below 0: never; loihi2's profile reuses loihi's energy figures, so the lines overlap",
    fontsize=9,
)
ax.legend(fontsize=7)
ax.grid(True, alpha=0.3)
fig.tight_layout()
fig.savefig(args.out, dpi=150)
print(f"wrote {args.out}")
