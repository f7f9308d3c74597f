"""Sigma-delta against CubaLIF-rate and graded-IF coding on one task (docs/sigma_delta.md): the
held-out digits as a stream of frames, each digit held for `hold` frames, the 64-64-10 MLP run
three ways on loihi2 (spikemesh.study.sigma_delta): accuracy and energy per digit.

    python examples/10_sigma_delta_study.py [--samples 200] [--holds 1,4] [--vths 0,0.5,1,2]
        [--rate-steps 8,16]
"""

from __future__ import annotations

import argparse
import time

from spikemesh.study import sigma_delta

ap = argparse.ArgumentParser()
ap.add_argument("--samples", type=int, default=200, help="held-out digits (of 397)")
ap.add_argument("--holds", default="1,4", help="frames each digit is held")
ap.add_argument("--vths", default="0,0.5,1,2", help="sigma-delta thresholds in activation levels")
ap.add_argument("--rate-steps", default="8,16", help="timesteps T of the CubaLIF rate version")
args = ap.parse_args()
nums = [
    lambda s: [int(v) for v in s.split(",") if v],
    lambda s: [float(v) for v in s.split(",") if v],
]
t0 = time.process_time()
rows = sigma_delta.run(samples=args.samples, holds=nums[0](args.holds), vths=nums[1](args.vths),
                       rate_steps=nums[0](args.rate_steps))  # fmt: skip
cpu = time.process_time() - t0

print(f"{args.samples} held-out digits as a stream on loihi2, per digit (float MLP "
      f"{rows[0]['float_accuracy'] * 100:.1f} %); {cpu:.1f} CPU-s\n")  # fmt: skip
print("| hold (frames) | version | coding | steps / digit | accuracy | agrees with the quantized "
      "ANN | input msgs | hidden msgs | synaptic events | chip dynamic nJ | chip nJ (with "
      "static) | SynOps nJ |")  # fmt: skip
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    agree = r.get("qann_agreement")
    print(f"| {r['hold']} | {r['version']} | {r['coding']} | {r['steps_per_digit']} "
          f"| {r['accuracy'] * 100:.1f} % | {'-' if agree is None else f'{agree * 100:.1f} %'} "
          f"| {r['input_messages_per_digit']:,.1f} | {r['hidden_messages_per_digit']:,.1f} "
          f"| {r['synaptic_events_per_digit']:,.0f} | {r['chip_dynamic_J'] * 1e9:,.2f} "
          f"| {r['chip_J'] * 1e9:,.2f} | {r['synops_J'] * 1e9:,.3f} |")  # fmt: skip
