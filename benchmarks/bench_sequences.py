"""What a converted recurrent network costs the emulator on long sequences: CPU time per
sequence element of an Elman RNN (1 input, 32 hidden, 10 outputs, random seeded weights) run
784 elements long with binary spikes, in each scheme that converts it, on each kernel backend,
and the work both backends did (the same spikes and synaptic events: the comparison is fair).

    python benchmarks/bench_sequences.py [--quick]

Schemes: window on loihi (ReLU and a signed hardtanh layer: a population pair), copies on
truenorth (4-bit weights), stream on loihi2 (T = 1, graded 24-bit logits).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from spikemesh import convert, kernels

CASES = (  # (label, chip, T, weight bits, activation)
    ("window, ReLU", "loihi", 1, 8, "relu"),
    ("window, ReLU", "loihi", 4, 8, "relu"),
    ("window, signed pair", "loihi", 4, 8, "hardtanh"),
    ("copies, ReLU", "truenorth", 2, 4, "relu"),
    ("stream, ReLU", "loihi2", 1, 8, "relu"),
)


def build(chip: str, T: int, wb: int, activation: str, length: int):
    rng = np.random.default_rng(1)
    layers = [convert.Recurrent(rng.normal(0, 1.0, (1, 32)), rng.normal(0, 0.25, (32, 32)),
                                rng.normal(0.1, 0.1, 32), activation=activation),
              convert.Dense(rng.normal(0, 0.4, (32, 10)), rng.normal(0, 0.1, 10))]  # fmt: skip
    x = rng.random((4, length, 1))
    q = convert.quantize(layers, x, weight_bits=wb, spike_bits=1, input_bits=1, timesteps=T)
    return convert.to_snn(q, chip), x[:1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="64 elements instead of 784")
    args = ap.parse_args()
    length = 64 if args.quick else 784
    backends = ["cython", "numpy"] if kernels.compiled is not None else ["numpy"]
    print(f"Elman RNN 1-32-10, one sequence of {length} elements, binary spikes")
    print(f"{'scheme':<20} {'chip':<10} {'T':>2} {'backend':<7} {'steps':>7} {'CPU ms/seq':>11} "
          f"{'CPU us/elem':>12} {'wall us/elem':>13} {'spikes':>8} {'syn. events':>12} "
          f"{'exact':>6}")  # fmt: skip
    for label, chip, T, wb, act in CASES:
        snn, x = build(chip, T, wb, act, length)
        for be in backends:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                c0, w0 = time.process_time(), time.perf_counter()
                out = snn.infer(x, backend=be)
                cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            res = out.results[0]
            ref = snn.qann.forward(out.activations["x"] if "x" in out.activations
                                   else snn.qann.encode(x))  # fmt: skip
            exact = np.array_equal(out.logits, ref[-1])
            print(f"{label:<20} {chip:<10} {T:>2} {be:<7} {res.steps:>7,} {cpu * 1e3:>11.1f} "
                  f"{cpu / length * 1e6:>12.1f} {wall / length * 1e6:>13.1f} "
                  f"{res.total('spikes'):>8,} {res.total('synaptic_events'):>12,} "
                  f"{'yes' if exact else 'NO':>6}")  # fmt: skip


if __name__ == "__main__":
    main()
