"""The table of docs/nir.md "Real exports": every fixture model made by the real exporters
(tests/data/make_nir_fixtures.py: snnTorch 1.0 via nirtorch 2.6, Norse 1.1, NeuroBench 2.3;
tests/data/make_sinabs_fixture.py: Sinabs 3.1)
imported with each reset on each chip and run on the 200 held-out digits' saved input spikes.

    python benchmarks/nir_exporters.py            # all 200 digits (about 10 s)
    python benchmarks/nir_exporters.py --quick    # 40 digits

Columns: the framework's accuracy, ours, the fraction of hidden and output spike decisions
(neuron x step x digit) equal to the framework's, and NeuroBench's metrics on the first 20 digits
(the fixture's, measured by NeuroBench's own hooks; ours: ``net.nir.neurobench``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import spikemesh as sm
from tests.convert.test_nir_exporters import META, D, run_fixture

ROWS = [
    ("leaky_zero", "snn.Leaky(reset_mechanism='zero')", "nir"),
    ("leaky_subtract", "snn.Leaky() (subtract, the default)", "nir"),
    ("leaky_subtract", "snn.Leaky() (subtract, the default)", "subtract"),
    ("rleaky_zero", "snn.RLeaky(reset_mechanism='zero')", "nir"),
    ("rleaky_zero", "snn.RLeaky(reset_mechanism='zero')", "zero_hold"),
    ("rleaky_subtract", "snn.RLeaky() (subtract)", "subtract"),
    ("synaptic_zero", "snn.Synaptic(reset_mechanism='zero')", "nir"),
    ("synaptic_zero", "snn.Synaptic(reset_mechanism='zero')", "zero_hold"),
    ("synaptic_subtract", "snn.Synaptic() (subtract)", "subtract"),
    ("norse_lifbox", "Norse LIFBoxCell (dt = 1e-3, tau_mem_inv = 100)", "nir"),
    ("sinabs_reset", "Sinabs IAF(SingleSpike, MembraneReset)", "nir"),
    ("sinabs_default", "Sinabs IAF() (MultiSpike, MembraneSubtract)", "nir"),
    ("sinabs_default", "Sinabs IAF() (MultiSpike, MembraneSubtract)", "multi_subtract"),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="40 digits instead of 200")
    args = ap.parse_args(argv)
    n = 40 if args.quick else 200
    print(f"spikemesh {sm.__version__} (kernels: {sm.kernels.BACKEND}); fixtures made with "
          + ", ".join(f"{k} {v}" for k, v in META["versions"].items()))  # fmt: skip
    print()
    print(
        "| exported model | reset= | chip | framework acc. | spikemesh acc. | hidden spikes "
        "equal | output spikes equal | NeuroBench AS / MU / ACs / Dense (theirs) | ours |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    t0 = time.process_time()
    for kind, label, reset in ROWS:
        nb_ref = np.load(D / f"{kind}.npz").get("neurobench")
        for chip in ("loihi", "loihi2"):
            dt = 1e-6 if kind.startswith("norse") else None
            try:
                acc, hid, out, _, nb = run_fixture(
                    kind, chip, reset, n=n, dt=dt, neurobench=20 if nb_ref is not None else 0
                )
            except sm.SpikemeshError as e:
                print(
                    f"| {label} | {reset} | {chip} | {META['models'][kind]['accuracy']:.1%} | "
                    f"refused: {str(e).split(';')[0][:90]}... | | | | |"
                )
                continue
            theirs = ours = "-"
            if nb_ref is not None:
                r = nb_ref[:20].mean(0)
                o = np.array(
                    [
                        [
                            d["ActivationSparsity"],
                            d["MembraneUpdates"],
                            d["SynapticOperations"]["Effective_ACs"],
                            d["SynapticOperations"]["Dense"],
                        ]
                        for d in nb
                    ]
                ).mean(0)
                theirs = f"{r[0]:.4f} / {r[1]:,.1f} / {r[3]:,.0f} / {r[4]:,.0f}"
                ours = f"{o[0]:.4f} / {o[1]:,.1f} / {o[2]:,.0f} / {o[3]:,.0f}"
            ref_acc = META["models"][kind]["accuracy"]
            print(
                f"| {label} | {reset} | {chip} | {ref_acc:.1%} | {acc:.1%} | {hid:.2%} | "
                f"{out:.2%} | {theirs} | {ours} |"
            )
    print()
    print(
        f"{n} digits x 25 steps per row; {time.process_time() - t0:.1f} CPU-s; "
        f"{json.dumps({'n': n})}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
