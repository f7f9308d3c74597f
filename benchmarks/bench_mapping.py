"""Mapping at scale: time and peak memory of ``map_network`` against the synapse count.

1. Loihi board (``loihi_board``): 100,000 CubaLIF neurons in 100 columns of 1000, each neuron
   with ``fan`` distinct recurrent synapses from its own column and the next (4-bit mixed-sign
   weights), fan = 12, 25, 50, 100: 1.2 M to 10 M synapses.
2. TrueNorth (``truenorth``): a 65,536-line input and ``layers`` layers of 65,536 neurons, each
   neuron with 16 synapses from its own 256-neuron block of the layer below (each line has one
   axon type: weight = (1, 2, 4, -8)[line % 4]); 2, 5 and 11 layers: 512 to 2,816 cores.

Per case: mapping time (wall clock, best of two runs), peak memory allocated while mapping
(``tracemalloc``, a third run: NumPy reports its buffers to it; the network itself is built
before and not counted), the synapse tables' size (the arrays the mapping keeps) and the ratio.
Every case runs in a fresh process.

    python benchmarks/bench_mapping.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

import spikemesh as sm

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from bench_recurrent import column_local_pairs


def loihi_network(fan: int) -> sm.Network:
    rng = np.random.default_rng(1)
    cols, size = 100, 1000
    n = cols * size
    net = sm.Network(f"columns{fan}")
    h = net.population(n, sm.CubaLIF(du=800, dv=400, vth=300), name="h")
    pre, post = column_local_pairs(rng, cols, size, fan)
    w = rng.integers(-5, 3, post.size) * 32
    w[w == 0] = 32
    net.connect(h, h, weights=sp.coo_matrix((w, (pre, post)), shape=(n, n)), weight_bits=4,
                name="rec")  # fmt: skip
    return net


def truenorth_network(layers: int, fan: int = 16, width: int = 65536) -> sm.Network:
    rng = np.random.default_rng(1)
    net = sm.Network(f"blocks{layers}")
    prev = net.input(width, name="x")
    spec = sm.TrueNorthNeuron(weights=(1, 2, 4, -8), alpha=6, leak=-1, reset_mode=0,
                              reset_value=0)  # fmt: skip
    for k in range(layers):
        pop = net.population(width, spec, name=f"l{k}")
        post = np.repeat(np.arange(width), fan)
        pre = post // 256 * 256 + rng.integers(0, 256, post.size)
        key = np.unique(pre * width + post)
        pre, post = key // width, key % width
        w = np.array([1, 2, 4, -8])[pre % 4]
        net.connect(prev, pop, weights=sp.coo_matrix((w, (pre, post)), shape=(width, width)),
                    name=f"p{k}")  # fmt: skip
        prev = pop
    return net


def child(kind: str, size: int) -> None:
    net = loihi_network(size) if kind == "loihi_board" else truenorth_network(size)
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        m = sm.map_network(net, kind)
        times.append(time.perf_counter() - t0)
    del m
    tracemalloc.start()
    m = sm.map_network(net, kind)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tables = sum(a.nbytes for c in m.cores for a in (c.table.indptr, c.table.targets,
                 c.table.weights, c.table.delays, c.table.row_exp))  # fmt: skip
    print(json.dumps(dict(chip=kind, neurons=net.n_neurons, synapses=net.n_synapses,
                          stored=sum(c.table.n_synapses for c in m.cores), cores=m.n_cores,
                          t_map=min(times), peak=peak, tables=tables)))  # fmt: skip


def run(kind: str, size: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(size)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="the two smallest cases of each chip")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.child:
        child(opts.child[0], int(opts.child[1]))
        return
    cases = [("loihi_board", f) for f in (12, 25, 50, 100)] + [("truenorth", k) for k in (2, 5, 11)]
    if opts.quick:
        cases = [c for c in cases if c[1] in (12, 25, 2, 5)]
    print("Mapping at scale (map_network; time best of 2, peak memory by tracemalloc, each case "
          "in a fresh process)")  # fmt: skip
    print()
    print("| chip | neurons | synapses | stored synapses | cores | mapping | ns per stored "
          "synapse | peak memory | synapse tables | peak / tables |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, size in cases:
        r = run(kind, size)
        print(f"| {r['chip']} | {r['neurons']:,} | {r['synapses']:,} | {r['stored']:,} | "
              f"{r['cores']:,} | {r['t_map']:.2f} s | {1e9 * r['t_map'] / r['stored']:.0f} | "
              f"{r['peak'] / 1e6:,.0f} MB | {r['tables'] / 1e6:,.0f} MB | "
              f"{r['peak'] / r['tables']:.2f}x |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
