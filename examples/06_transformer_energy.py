"""Spiking transformers and state-space models (docs/transformers.md): a Spikformer encoder block
and a spiking selective-SSM (SpikMamba-style) block priced from layer shapes and firing rates by
sm.energy.estimate under all four models, beside the conventional SynOps estimate papers report
(0.9 pJ per AC, 4.6 pJ per MAC, 45 nm fp32).

    python examples/06_transformer_energy.py [--tokens 196] [--dim 512] [--heads 8] [--steps 4]
"""

from __future__ import annotations

import argparse

import spikemesh as sm

ap = argparse.ArgumentParser()
ap.add_argument("--tokens", type=int, default=196, help="tokens (196 = 14 x 14 patches)")
ap.add_argument("--dim", type=int, default=512, help="embedding width")
ap.add_argument("--heads", type=int, default=8, help="attention heads")
ap.add_argument("--ssm-dim", type=int, default=256, help="SSM block width (inner = 2 x dim)")
ap.add_argument("--steps", type=int, default=4, help="timesteps T")
args = ap.parse_args()
T = args.steps
blocks = {
    f"Spikformer block (N={args.tokens}, D={args.dim}, H={args.heads})":
        sm.workload.spiking_attention(args.tokens, args.dim, args.heads),
    f"spiking SSM block (L={args.tokens}, D={args.ssm_dim}, E={2 * args.ssm_dim}, S=16)":
        sm.workload.spiking_ssm(args.tokens, args.ssm_dim),
}  # fmt: skip

print(f"one sample, T = {T}, firing rates: the defaults of sm.workload (assumed, not measured)\n")
print(
    "| block | chip | chips | chip µJ | SynOps (conventional) µJ | SynOps (estimate) µJ "
    "| Bit Budget µJ | ANN µJ | chip / conventional |"
)
print("|---|---|---|---|---|---|---|---|---|")
details = []


def uj(x):
    return f"{x:,.1f}" if abs(x) >= 100 else f"{x:.4g}"


for name, ops in blocks.items():
    conv = sm.workload.conventional_synops(ops, T)
    for chip in ("loihi2", "loihi", "truenorth"):
        try:
            counts = sm.workload.counts(ops, T, chip)
        except sm.SpikemeshError as err:
            print(f"| {name} | {chip} | cannot run: {err} |||||||")
            continue
        rep = sm.energy.estimate(chip, counts, T)
        tot = {m: rep.total(m) * 1e6 for m in ("chip", "synops", "bitbudget", "ann")}
        print(
            f"| {name} | {chip} | {counts['chips']} | {uj(tot['chip'])} | {uj(conv * 1e6)} "
            f"| {uj(tot['synops'])} | {uj(tot['bitbudget'])} | {uj(tot['ann'])} "
            f"| {tot['chip'] / (conv * 1e6):,.1f}x |"
        )
        if chip == "loihi2":
            details.append((name, rep, counts, ops))

for name, rep, counts, ops in details:
    print(f"\n{name} on loihi2, per sample:")
    for model in ("chip", "bitbudget"):
        parts = ", ".join(f"{k} {v * 1e6:,.1f}" for k, v in rep.components(model).items() if v)
        print(f"  {model} µJ: {parts}")
    units = {op.name: op.units for op in ops}
    top = max(units, key=units.get)
    print(
        f"  compartments: {sum(units.values()):,.0f} ({top}: {units[top]:,.0f}); "
        f"synaptic events {counts['synaptic_events']:,.0f}; neuron updates "
        f"{counts['neuron_updates']:,.0f}; chip time {counts['elapsed_s'] * 1e6:,.1f} µs"
    )
