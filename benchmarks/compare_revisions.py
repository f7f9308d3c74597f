"""Before/after on one machine in one run: bench_recurrent's and bench_timing's workloads under
two source trees (each built in place), CPU time per step (the best of ``--repeats`` runs) and
a digest of what each run produced (spikes, cycles, link flits), so "no slower" and "digit for
digit the same" are both checked.

    python benchmarks/compare_revisions.py BEFORE_TREE AFTER_TREE [--repeats 5]

A tree is a checkout with its kernels built in place (``python setup.py build_ext
--inplace``); each runs in its own subprocess with ``PYTHONPATH`` set to it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import hashlib, json, os, sys, time
import numpy as np
sys.path.insert(0, sys.argv[3])  # the workloads: this script's own benchmarks/
import spikemesh as sm
from bench_recurrent import build_network
from bench_timing import net_10k
repeats = int(sys.argv[2])
assert os.path.realpath(os.path.dirname(os.path.dirname(sm.__file__))) == os.path.realpath(sys.argv[1])

def digest(res):
    h = hashlib.sha256()
    for k in sorted(res.spikes):
        h.update(np.ascontiguousarray(res.spikes[k]).tobytes())
    h.update(np.ascontiguousarray(res.cycles).tobytes())
    if res.timing is not None:
        h.update(json.dumps(sorted(res.timing.link_flits.items())).encode())
    return h.hexdigest()[:12]

out = []
def bench(label, m, steps, inputs, timing, noc="engine"):
    best = None
    for _ in range(repeats):
        sim = sm.Simulator(m, timing=timing, noc=noc)
        t = time.process_time()
        res = sim.run(steps, inputs=inputs)
        dt = time.process_time() - t
        best = dt if best is None else min(best, dt)
    out.append({"workload": label, "us_per_step": 1e6 * best / steps, "digest": digest(res),
                "spikes": int(res.total("spikes")), "cycles": int(res.cycles.sum())})

m = sm.map_network(build_network(np.random.default_rng(0))[0], "loihi")
for timing in ("none", "cycle"):
    bench(f"rec1000, {timing}", m, 3000, {}, timing)
rng = np.random.default_rng(1)
big = net_10k(rng)
mb = sm.map_network(big, "loihi")
X = (rng.random((200, 500)) < 0.1).astype(np.int32)
for timing, noc in (("none", "engine"), ("analytic", "engine"), ("cycle", "engine"), ("cycle", "simpy")):
    bench(f"10k/20 cores, {timing} ({noc})", mb, 200 if noc == "engine" else 60,
          {"x": X if noc == "engine" else X[:60]}, timing, noc)
if int(sys.argv[4]):  # the board case of bench_board.py: 241 cores, ~53,000 batches per step
    from bench_board import build as board_net
    mboard = sm.map_network(board_net(np.random.default_rng(0)), "loihi_board")
    xb = {"x": (np.random.default_rng(3).random((20, 1000)) < 0.05).astype(np.int32)}
    for timing in ("none", "cycle"):
        bench(f"board 10k/241 cores, {timing}", mboard, 20, xb, timing)
if int(sys.argv[5]):  # bench_recurrent's chip-scale case: 102,400 neurons, 5.3 M synapses
    from bench_recurrent import chip_scale_network
    rng = np.random.default_rng(1)
    mscale = sm.map_network(chip_scale_network(rng), "loihi")
    xs = {"x": (rng.random((100, 1000)) < 0.05).astype(np.int32)}
    bench("100k neurons / 5.3 M synapses, none", mscale, 100, xs, "none")
print(json.dumps(out))
"""


def run(tree: str, repeats: int, board: bool, scale: bool = False) -> list:
    env = dict(os.environ, PYTHONPATH=tree)
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run([sys.executable, "-c", CHILD, tree, str(repeats), here, str(int(board)),
                        str(int(scale))],
                       env=env,
                       capture_output=True, text=True, check=False)  # fmt: skip
    if p.returncode:
        sys.exit(f"{tree}: {p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--board", action="store_true", help="add bench_board.py's board case")
    ap.add_argument("--scale", action="store_true", help="add bench_recurrent's 100k case")
    a = ap.parse_args()
    rev = {}
    for tree in (a.before, a.after):
        head = subprocess.run(["git", "-C", tree, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
        rev[tree] = head or tree
    # alternate the trees run by run (the machine's speed drifts), keep each workload's best
    b, c = run(a.before, 1, a.board, a.scale), run(a.after, 1, a.board, a.scale)
    for _ in range(a.repeats - 1):
        for best, tree in ((b, a.before), (c, a.after)):
            for x, y in zip(best, run(tree, 1, a.board, a.scale), strict=True):
                x["us_per_step"] = min(x["us_per_step"], y["us_per_step"])
                if x["digest"] != y["digest"]:
                    x["digest"] = "not deterministic"
    print(
        f"CPU time per step, best of {a.repeats} alternating runs (before = {rev[a.before]}, after = "
        f"{rev[a.after]}); digest = sha256 of spikes, cycles and link flits\n"
    )
    print(
        "| workload | before µs/step | after µs/step | after/before | spikes | cycles | same digest |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for x, y in zip(b, c, strict=True):
        same = x["digest"] == y["digest"] and x["spikes"] == y["spikes"]
        print(
            f"| {x['workload']} | {x['us_per_step']:.1f} | {y['us_per_step']:.1f} | "
            f"{y['us_per_step'] / x['us_per_step']:.2f} | {y['spikes']:,} | {y['cycles']:,} | "
            f"{'yes' if same else 'NO (' + x['digest'] + ' vs ' + y['digest'] + ')'} |"
        )


if __name__ == "__main__":
    main()
