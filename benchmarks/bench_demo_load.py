"""`spikemesh demo --quick` on an idle machine and beside a CPU hog (issue 25: worker threads).

    python benchmarks/bench_demo_load.py [--hogs 1] [--repeat 2]

Each run is a fresh `spikemesh demo --quick --no-progress` into a temporary folder (a new
store: nothing resumes), timed in wall time and in the CPU time of the demo's process tree
(RUSAGE_CHILDREN). The hog is ``--hogs`` Python processes spinning for the run's duration.
Prints a table: wall and CPU seconds per condition and the loaded / idle ratio. Sweep workers
run one BLAS/OpenMP thread each (threadpoolctl in the pool initializer), so a busy machine
slows the demo by the share of the cores it lost, not by thread oversubscription.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def spin(stop):
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def demo_once() -> tuple[float, float]:
    out = tempfile.mkdtemp()
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "spikemesh.cli", "demo", "--quick", "--no-progress",
                        "--out", out], check=True, capture_output=True)  # fmt: skip
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hogs", type=int, default=1, help="busy processes beside the demo")
    ap.add_argument("--repeat", type=int, default=2, help="runs per condition (the best is kept)")
    args = ap.parse_args(argv)
    rows = {}
    idle = [demo_once() for _ in range(args.repeat)]
    rows["idle"] = min(idle)
    stop = mp.Event()
    hogs = [mp.Process(target=spin, args=(stop,), daemon=True) for _ in range(args.hogs)]
    for h in hogs:
        h.start()
    try:
        time.sleep(0.5)
        rows[f"beside {args.hogs} CPU hog(s)"] = min(demo_once() for _ in range(args.repeat))
    finally:
        stop.set()
        for h in hogs:
            h.join(timeout=5)
    base = rows["idle"][0]
    print(f"spikemesh demo --quick, {os.cpu_count()} cores, best of {args.repeat} runs each")
    print()
    print("| condition | wall s | CPU s (demo's processes) | wall vs idle |")
    print("|---|---:|---:|---:|")
    for name, (wall, cpu) in rows.items():
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {wall / base:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
