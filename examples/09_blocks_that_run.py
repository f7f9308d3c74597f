"""Spiking attention and SSM blocks that run (docs/transformers.md, "Blocks that run"): each
Spikformer block (sm.workload.spiking_attention(...).build: Q K^T and (Q K^T) V as ProdNeuron
product compartments, one per term) and each spiking selective-SSM block
(sm.workload.spiking_ssm(...).build: the scan's states as product compartments and graded sums,
a wavefront over tokens) is built as a network, mapped onto loihi2 and run for T timesteps of
seeded input; beside the run, the same block priced from its shapes at the run's own measured
firing rates (sm.workload.counts + sm.energy.estimate) and the papers' SynOps figure.

    python examples/09_blocks_that_run.py [--sizes 16x32x2,32x64x4,64x32x2]
        [--ssm-sizes 16x32x16,32x64x16,64x32x16] [--steps 4] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import spikemesh as sm

ap = argparse.ArgumentParser()
ap.add_argument("--sizes", default="16x32x2,32x64x4,64x32x2",
                help="tokens x width x heads, comma-separated")  # fmt: skip
ap.add_argument("--ssm-sizes", default="16x32x16,32x64x16,64x32x16",
                help="SSM blocks: tokens x width x states, comma-separated ('' for none)")  # fmt: skip
ap.add_argument("--steps", type=int, default=4, help="timesteps T")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()

DYN = ("synaptic", "neuron_update", "spike")


def uj(x: float) -> str:
    return f"{x * 1e6:,.2f}"


rows, details = [], []
blocks = []
for size in filter(None, args.sizes.split(",")):
    N, D, H = (int(v) for v in size.lower().split("x"))
    blocks.append((f"attention N={N}, D={D}, H={H}", ("q", "qk", "attn"),
                   sm.workload.spiking_attention(tokens=N, dim=D, heads=H)))  # fmt: skip
for size in filter(None, args.ssm_sizes.split(",")):
    L, D, S = (int(v) for v in size.lower().split("x"))
    blocks.append((f"SSM L={L}, D={D}, E={2 * D}, S={S}", ("conv", "scan_state", "scan"),
                   sm.workload.spiking_ssm(tokens=L, dim=D, d_state=S)))  # fmt: skip
for name, shown, blk in blocks:
    built = blk.build(steps=args.steps, seed=args.seed)
    t0 = time.process_time()
    m = sm.map_network(built.network, "loihi2")
    res = sm.Simulator(m, seed=args.seed).run(built.run_steps, built.inputs)
    cpu = time.process_time() - t0
    pr = built.priced(res)
    c, p = res.counts(), pr["counts"]
    me, pe = res.energy().components("chip"), pr["estimate"].components("chip")
    dm, dp = sum(me[k] for k in DYN), sum(pe[k] for k in DYN)
    r = pr["rates"]
    rows.append(
        f"| {name} | {m.n_cores} | {built.network.n_neurons:,} | {built.network.n_synapses:,} "
        f"| {built.run_steps} | {' / '.join(f'{r[k]:.3f}' for k in shown)} "
        f"| {c['synaptic_events']:,.0f} / {p['synaptic_events']:,.0f} "
        f"| {c['spikes']:,.0f} / {p['spikes']:,.0f} "
        f"| {c['active_updates']:,.0f} / {p['active_updates']:,.0f} "
        f"| {uj(dm)} / {uj(dp)} ({(dp / dm - 1) * 100:+.1f} %) "
        f"| {uj(me['static'])} / {uj(pe['static'])} | {uj(me['routing'])} "
        f"| {uj(pr['conventional'])} | {dm / pr['conventional']:.0f}x |"
    )
    line = (f"{name}: {built.run_steps} steps, map + run {cpu:.2f} CPU-s; chip time "
            f"{c['elapsed_s'] * 1e6:.1f} µs measured, {p['elapsed_s'] * 1e6:.1f} µs priced; "
            f"chip µJ measured {uj(sum(me.values()))}, priced {uj(sum(pe.values()))}; rates "
            f"{', '.join(f'{k} {v:.3f}' for k, v in r.items())}")  # fmt: skip
    if blk.kind == "ssm":  # the fused ideal: one programmable neuron a state, dense messages
        fused = sm.workload.spiking_ssm(**{**blk.params, "scan": "fused"}, rates=r)
        cf = sm.workload.counts(fused, args.steps, chip="loihi2")
        ef = sm.energy.estimate("loihi2", cf, args.steps).components("chip")
        line += (f"; fused-scan ideal over T = {args.steps} steps: {cf['neuron_updates']:,.0f} "
                 f"updates, {cf['synaptic_events']:,.0f} events, dynamic "
                 f"{uj(sum(ef[k] for k in DYN))} µJ")  # fmt: skip
    details.append(line)

print(f"blocks on loihi2, T = {args.steps}, seed {args.seed}: measured / priced at the run's "
      "measured rates\n")  # fmt: skip
print("| block | cores | neurons | synapses | run steps | rates (attention: q / qk / attn; SSM: "
      "conv / scan_state / scan) | synaptic events | spikes | active updates | chip dynamic µJ "
      "| chip static µJ | routing µJ (run) | SynOps (conventional) µJ | dynamic / conventional |")  # fmt: skip
print("|---|---:|---:|---:|---:|---|---|---|---|---|---|---:|---:|---:|")
print("\n".join(rows))
print()
print("\n".join(details))
