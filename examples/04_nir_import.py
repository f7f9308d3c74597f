"""A NIR model on every chip profile (docs/nir.md): the digits MLP written as snnTorch's
``export_to_nir`` writes a Leaky network (dt = 1e-4, tau = dt / (1 - beta), r = tau / dt, Affine
layers with biases, one parameter per neuron), read back with ``sm.convert.from_nir`` and run
on each chip: accuracy from output spike counts, cores, cycles per step and energy per digit.

    python examples/04_nir_import.py [--samples 397] [--steps 32] [--out model.nir]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import nir
import numpy as np

import spikemesh as sm
from spikemesh.study import digits

ap = argparse.ArgumentParser()
ap.add_argument("--samples", type=int, default=397, help="held-out digits per chip (of 397)")
ap.add_argument("--steps", type=int, default=32, help="NIR steps per digit (rate-coded pixels)")
ap.add_argument("--out", help="where to write the .nir file (default: a temporary folder)")
args = ap.parse_args()

d = digits.data()
(l1, l2) = d["layers"]
dt, beta = 1e-4, 1 - 1 / 16  # snnTorch's exporter fixes dt = 1e-4; beta = 15/16 is dyadic
# threshold balancing on the training set: the 99th percentile of the ReLU activations
h = np.maximum(d["x_train"] @ l1.weight + l1.bias, 0)
theta1 = float(np.percentile(h, 99))
theta2 = float(np.percentile(np.maximum(h / theta1 @ l2.weight + l2.bias, 0), 99))
tau = dt / (1 - beta)


def leaky(theta, n):  # what snnTorch writes for snn.Leaky(beta=torch.full((n,), beta), ...)
    return nir.LIF(tau=np.full(n, tau), r=np.full(n, tau / dt), v_leak=np.zeros(n),
                   v_threshold=np.full(n, theta))  # fmt: skip


graph = nir.NIRGraph(
    nodes={"input": nir.Input(input_type=np.array([64])),
           "0": nir.Affine(weight=l1.weight.T, bias=l1.bias), "1": leaky(theta1, l1.weight.shape[1]),
           "2": nir.Affine(weight=l2.weight.T, bias=l2.bias), "3": leaky(theta2, 10),
           "output": nir.Output(output_type=np.array([10]))},
    edges=[("input", "0"), ("0", "1"), ("1", "2"), ("2", "3"), ("3", "output")],
)  # fmt: skip
path = Path(args.out) if args.out else Path(tempfile.mkdtemp()) / "digits_snntorch.nir"
nir.write(path, graph)
print(f"wrote {path} ({path.stat().st_size:,} bytes): 64-{l1.weight.shape[1]}-10 Leaky MLP, "
      f"beta={beta}, dt={dt:g}; float MLP accuracy {d['float_accuracy']:.1%}")  # fmt: skip

rng = np.random.default_rng(0)
x, y = d["x_test"][: args.samples], d["y_test"][: args.samples]
spikes_in = (rng.random((len(x), args.steps, 64)) < x[:, None, :]).astype(np.int32)
print(f"{len(x)} held-out digits, {args.steps} steps each, pixels as Bernoulli spike rates\n")


def nir_float(xs):  # NIR's semantics in float64: forward Euler, v > threshold, reset to 0
    v1, v2, z1s, z2s = np.zeros(l1.weight.shape[1]), np.zeros(10), [], []
    for xt in xs:
        v1 = v1 + (1 - beta) * (-v1 + (tau / dt) * (xt @ l1.weight + l1.bias))
        z1 = v1 > theta1
        v1[z1] = 0
        v2 = v2 + (1 - beta) * (-v2 + (tau / dt) * (z1 @ l2.weight + l2.bias))
        z2 = v2 > theta2
        v2[z2] = 0
        z1s.append(z1)
        z2s.append(z2)
    return np.array(z1s), np.array(z2s)


ref = [nir_float(xi) for xi in spikes_in]
ref_acc = np.mean([np.argmax(z2.sum(axis=0)) == yi for (_, z2), yi in zip(ref, y, strict=True)])
print(f"NIR semantics in float64 (NumPy): accuracy {ref_acc:.1%}\n")
print(
    "| chip | cores | rounding (max rel.) | accuracy | spikes equal to float NIR | cycles/step "
    "| chip nJ/digit | SynOps nJ | Bit Budget nJ | hidden rate |"
)
print("|---|---|---|---|---|---|---|---|---|---|")
for chip in ("loihi", "loihi2", "truenorth"):
    try:
        net = sm.convert.from_nir(path, chip=chip, dt=dt)
    except sm.SpikemeshError as err:
        print(f"| {chip} | refused: {err} ||||||||")
        continue
    m = sm.map_network(net, chip, strict=True)
    sim = sm.Simulator(m, timing="cycle")
    lag = max(m.latency.values())
    correct, energy, cycles, rate = 0, {"chip": 0.0, "synops": 0.0, "bitbudget": 0.0}, [], []
    static = 0.0
    same = []
    for xi, yi, (r1, r2) in zip(spikes_in, y, ref, strict=True):
        sim.reset()
        res = sim.run(args.steps + lag, inputs={"input": np.r_[xi, np.zeros((lag, 64), np.int32)]})
        out = net.nir.outputs(res, m)
        correct += int(np.argmax(out["3"][: args.steps].sum(axis=0)) == yi)
        rate.append(out["1"][: args.steps].mean())
        same.append(np.mean(np.r_[(out["1"][: args.steps] == r1).ravel(),
                                  (out["3"][: args.steps] == r2).ravel()]))  # fmt: skip
        e = res.energy()
        for k in energy:
            energy[k] += e.total(k)
        static += e.components("chip").get("static", 0.0)
        cycles.append(res.cycles.mean())
    err = max(net.nir.errors.values())
    n = len(x)
    print(f"| {chip} | {m.n_cores} | {err:.2%} | {correct / n:.1%} | {np.mean(same):.2%} "
          f"| {np.mean(cycles):,.0f} | {energy['chip'] / n * 1e9:,.1f} "
          f"({(energy['chip'] - static) / n * 1e9:,.1f}) | {energy['synops'] / n * 1e9:,.2f} "
          f"| {energy['bitbudget'] / n * 1e9:,.2f} | {np.mean(rate):.3f} |")  # fmt: skip
