"""How long importing, mapping and running a NIR graph takes for an N-MNIST-sized CNN (2x34x34
event frames, the input of the NIR paper's CNN task) -> Conv2d 16 (5x5, stride 2) -> IF ->
SumPool 2 -> Conv2d 32 (3x3) -> IF -> SumPool 2 -> Affine 10 -> IF, seeded random weights
(the times do not depend on trained values).

    python benchmarks/bench_nir_import.py [--steps 100]
"""

from __future__ import annotations

import argparse
import time
import warnings

import nir
import numpy as np

import spikemesh as sm

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=100, help="steps to run")
args = ap.parse_args()
rng = np.random.default_rng(0)


def if_node(shape, theta):
    return nir.IF(r=np.ones(shape), v_threshold=np.full(shape, theta))


pool = dict(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0]))
g = nir.NIRGraph(nodes={
    "input": nir.Input(input_type=np.array([2, 34, 34])),
    "0": nir.Conv2d(input_shape=(34, 34), weight=rng.normal(0, 0.3, (16, 2, 5, 5)), stride=2,
                    padding=1, dilation=1, groups=1, bias=np.zeros(16)),
    "1": if_node((16, 16, 16), 1.0), "2": nir.SumPool2d(**pool),
    "3": nir.Conv2d(input_shape=(8, 8), weight=rng.normal(0, 0.2, (32, 16, 3, 3)), stride=1,
                    padding=1, dilation=1, groups=1, bias=np.zeros(32)),
    "4": if_node((32, 8, 8), 1.0), "5": nir.SumPool2d(**pool),
    "6": nir.Flatten(input_type={"input": np.array([32, 4, 4])}, start_dim=0),
    "7": nir.Affine(weight=rng.normal(0, 0.1, (10, 512)), bias=np.zeros(10)),
    "8": if_node((10,), 1.0), "output": nir.Output(output_type=np.array([10]))},
    edges=[("input", "0"), ("0", "1"), ("1", "2"), ("2", "3"), ("3", "4"), ("4", "5"),
           ("5", "6"), ("6", "7"), ("7", "8"), ("8", "output")], type_check=False)  # fmt: skip
x = (rng.random((args.steps, 2, 34, 34)) < 0.05).astype(np.int32)
print(
    "| chip | import s | map s | run s (steps) | neurons | synapses | cores | max rel. rounding "
    "| output spikes |"
)
print("|---|---|---|---|---|---|---|---|---|")
for chip in ("loihi", "loihi2"):
    t0 = time.perf_counter()
    net = sm.convert.from_nir(g, chip=chip)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SpikemeshWarning)
        m = sm.map_network(net, chip, strict=True)
    t2 = time.perf_counter()
    res = sm.Simulator(m).run(args.steps, inputs={"input": x})
    t3 = time.perf_counter()
    print(
        f"| {chip} | {t1 - t0:.2f} | {t2 - t1:.2f} | {t3 - t2:.2f} ({args.steps}) "
        f"| {net.n_neurons:,} | {net.n_synapses:,} | {m.n_cores} "
        f"| {max(net.nir.errors.values()):.2%} | {int(res.spikes['8'].sum())} |"
    )
