"""A spiking Legendre Memory Unit (docs/lmu.md): the LMU's memory of order d and window theta held
by populations of CUBA (CubaLIF) or current-free LIF neurons on the Loihi-like profile, and by
stochastic-threshold TrueNorth neuron pairs on the TrueNorth-like profile; reconstruct the input
theta steps ago from a seeded random signal. Prints the reconstruction error (NRMSE, float LMU
beside), cores, cycles and energy per step against d, weight bits and neuron model.

    python examples/08_spiking_lmu.py [--steps 3000] [--orders 2,4,6] [--theta 50]
"""

from __future__ import annotations

import argparse
import time

from spikemesh.study import lmu

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=3000, help="signal length (half fits the readout)")
ap.add_argument("--orders", default="2,4,6", help="memory orders d")
ap.add_argument("--theta", type=int, default=50, help="window (steps)")
ap.add_argument("--n-per", type=int, default=128, help="neurons per memory dimension")
args = ap.parse_args()
t0 = time.perf_counter()
orders = [int(x) for x in args.orders.split(",")]
print(
    f"theta = {args.theta} steps, {args.steps} steps of a band-limited seeded signal, "
    f"{args.n_per} neurons per dimension, readout fitted on the first half\n"
)
print(
    "| neuron | w bits | d | NRMSE float LMU | NRMSE spiking | neurons | synapses | cores "
    "| cycles/step | chip nJ/step | SynOps nJ/step | Bit Budget nJ/step | overflows |"
)
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for neuron in ("cubalif", "lif"):
    for wb in (8, 4):
        for d in orders:
            r = lmu.run(d, args.theta, args.steps, neuron=neuron, weight_bits=wb, n_per=args.n_per)
            print(f"| {neuron} | {wb} | {d} | {r['nrmse_float']:.3f} | {r['nrmse']:.3f} "
                  f"| {r['neurons']} | {r['synapses']:,} | {r['cores']} | {r['cycles_per_step']:,.0f} "
                  f"| {r['energy_chip_J_per_step'] * 1e9:,.0f} | {r['energy_synops_J_per_step'] * 1e9:.2f} "
                  f"| {r['energy_bitbudget_J_per_step'] * 1e9:.2f} | {r['overflows']:,} |")  # fmt: skip
for d in orders:  # TrueNorth: the membrane is the memory, a stochastic threshold reads it out
    r = lmu.run(d, args.theta, args.steps, chip="truenorth")
    print(f"| truenorth | 4 | {d} | {r['nrmse_float']:.3f} | {r['nrmse']:.3f} | {r['neurons']} "
          f"| {r['synapses']:,} | {r['cores']} | {r['cycles_per_step']:,.0f} "
          f"| {r['energy_chip_J_per_step'] * 1e9:,.0f} | {r['energy_synops_J_per_step'] * 1e9:.3f} "
          f"| {r['energy_bitbudget_J_per_step'] * 1e9:.3f} | {r['overflows']:,} |")  # fmt: skip
print(f"\ntook {time.perf_counter() - t0:.1f} s")
