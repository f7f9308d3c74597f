"""Neural decoding for implantable BMIs (docs/bmi.md): a seeded synthetic motor-cortex recording
(96 cosine-tuned Poisson units, 2-D hand velocity, 20 ms bins), an MLP decoder converted to a
spiking network on each chip, its output low-pass filtered on the host (Bessel and Butterworth,
scipy.signal, causal). Prints R^2 of velocity with and without each filter and the energy per
decoded sample on each chip, the filter's own cost included.

    python examples/05_bmi_decoding.py [--seconds 300] [--test 1000] [--out docs/img/bmi.png]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import spikemesh as sm
from spikemesh.study import bmi

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=float, default=300.0, help="recording length (80 %% train)")
ap.add_argument("--test", type=int, default=1000, help="held-out bins decoded on the chips")
ap.add_argument("--out", help="write the trace plot here (PNG)")
args = ap.parse_args()
t_start = time.perf_counter()

rec = bmi.synthetic_reach(seconds=args.seconds, n_neurons=96, bin_s=0.02, seed=0)
x = bmi.windows(rec["counts"], history=1)
v = rec["velocity"]
split = int(0.8 * len(v))
x_train, v_train = x[:split], v[:split]
x_test, v_test = x[split : split + args.test], v[split : split + args.test]
reg = bmi.train_decoder(x_train, v_train, hidden=64)
flt = bmi.filters(rec["bin_s"], cutoff_hz=3.0, order=4)
print(
    f"recording: {len(v)} bins of {rec['bin_s'] * 1e3:.0f} ms, 96 units, mean rate "
    f"{rec['counts'].mean() / rec['bin_s']:.1f} spikes/s; train {split} bins, test {len(v_test)}"
)
print(
    f"filters: 4th-order Bessel and Butterworth low-pass at 3 Hz, causal; "
    f"{bmi.filter_macs(flt['bessel'])} MACs per decoded sample each, "
    f"{bmi.filter_energy(flt['bessel']) * 1e12:.1f} pJ on the host (fp32)\n"
)


def scores(pred):
    return [bmi.r2(v_test, bmi.apply(flt[k], pred)) for k in ("none", "bessel", "butterworth")]


rows = [("float MLP", "-", "-", "-", "-", scores(reg.predict(x_test)), None)]
points = [
    ("loihi2", 1, 8, 4),
    ("loihi", 8, 8, 1),
    ("loihi", 16, 8, 1),
    ("truenorth", 1, 4, 1),
    ("truenorth", 2, 4, 1),
]
layers = sm.convert.from_mlp(reg)
traces, breakdown = {}, {}
for chip, T, wb, sb in points:
    q = sm.convert.quantize(layers, x_train, weight_bits=wb, spike_bits=sb, input_bits=sb,
                            timesteps=T)  # fmt: skip
    try:
        snn = sm.convert.to_snn(q, chip)
    except sm.MappingError as err:
        rows.append(("SNN", chip, T, wb, sb, None, str(err)))
        continue
    inf = snn.infer(x_test, timing="analytic")
    ref = q.forward(q.encode(x_test))[-1]
    assert np.array_equal(inf.logits, ref), "the SNN must reproduce its quantized ANN"
    pred = inf.logits * q.layers[-1].scale
    energy = dict.fromkeys(("chip", "synops", "bitbudget"), 0.0)
    parts: dict = {}
    for res in inf.results:
        rep = res.energy()
        for k in energy:
            energy[k] += rep.total(k)
        for c, j in rep.components("chip").items():
            parts[c] = parts.get(c, 0.0) + j
    breakdown[(chip, T)] = {c: j / len(x_test) for c, j in parts.items()}
    n = len(x_test)
    rows.append((f"SNN ({snn.scheme})", chip, T, wb, sb, scores(pred),
                 ({k: e / n for k, e in energy.items()}, snn.mapping.n_cores)))  # fmt: skip
    traces[chip] = pred

print(
    "| decoder | chip | T | w bits | s bits | R² raw | R² Bessel | R² Butterworth "
    "| chip nJ/sample (+ filter) | SynOps nJ | Bit Budget nJ | cores |"
)
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
filter_nj = bmi.filter_energy(flt["bessel"]) * 1e9
for name, chip, T, wb, sb, sc, extra in rows:
    if sc is None:
        print(f"| SNN | {chip} | {T} | {wb} | {sb} | does not fit: {extra} |||||||")
        continue
    r = " | ".join(f"{s:.3f}" for s in sc)
    if extra is None:
        print(f"| {name} | {chip} | {T} | {wb} | {sb} | {r} | - | - | - | - |")
        continue
    e, cores = extra
    print(
        f"| {name} | {chip} | {T} | {wb} | {sb} | {r} | {e['chip'] * 1e9:,.1f} "
        f"(+ {filter_nj:.4f}) | {e['synops'] * 1e9:.2f} | {e['bitbudget'] * 1e9:.2f} | {cores} |"
    )
print("\nchip energy per decoded sample, by component (nJ):")
for (chip, T), parts in breakdown.items():
    print(f"  {chip} T={T}: " + ", ".join(f"{c} {j * 1e9:,.1f}" for c, j in parts.items() if j))
print(f"\ntook {time.perf_counter() - t_start:.1f} s")

if args.out:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = min(200, len(v_test))
    t = np.arange(k) * rec["bin_s"]
    pred = traces.get("loihi2", reg.predict(x_test))
    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.plot(t, v_test[:k, 0], color="black", lw=2, label="true")
    ax.plot(t, pred[:k, 0], color="0.6", lw=1, label="SNN on loihi2, raw")
    ax.plot(t, bmi.apply(flt["bessel"], pred)[:k, 0], label="+ Bessel 3 Hz")
    ax.plot(t, bmi.apply(flt["butterworth"], pred)[:k, 0], label="+ Butterworth 3 Hz", ls="--")
    ax.set_xlabel("time (s), held-out segment")
    ax.set_ylabel("x velocity (m/s)")
    ax.set_title("Decoded hand velocity: converted SNN, causal low-pass filters on the host")
    ax.legend(loc="upper right", fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
