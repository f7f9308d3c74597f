"""Lava side of the rec1000 peer benchmark; runs inside the Lava virtualenv (Python 3.10).

    python peer_lava.py NETWORK.npz STEPS

The recurrent benchmark as Lava 0.10 processes: one bit-accurate ``LIF`` (du, dv, vth,
bias_mant as integers) and two ``Dense`` processes (excitatory and inhibitory synapse groups,
exact in 8 bits each) feeding back into it, run with ``Loihi2SimCfg(select_tag="fixed_pt")``.
A ``Monitor`` records the spikes. Ten warm-up steps (compilation and process start-up) are
outside the timing; the spike count covers all steps. Prints one JSON line.
"""

import json
import sys
import time

import numpy as np


def main() -> None:
    path, steps = sys.argv[1], int(sys.argv[2])
    import lava
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.dense.process import Dense
    from lava.proc.lif.process import LIF
    from lava.proc.monitor.process import Monitor

    d = np.load(path)
    w = d["w"]
    n = w.shape[0]
    lif = LIF(shape=(n,), du=int(d["du"]), dv=int(d["dv"]), vth=int(d["vth"]),
              bias_mant=d["bias"].astype(np.int32), bias_exp=0)  # fmt: skip
    exc = np.where(w > 0, w, 0).T  # Dense weights are (post, pre)
    inh = np.where(w < 0, w, 0).T
    d_exc, d_inh = Dense(weights=exc), Dense(weights=inh)
    for dense in (d_exc, d_inh):
        lif.s_out.connect(dense.s_in)
        dense.a_out.connect(lif.a_in)
    mon = Monitor()
    mon.probe(lif.s_out, steps)
    cfg = Loihi2SimCfg(select_tag="fixed_pt")
    warm = 10
    lif.run(condition=RunSteps(num_steps=warm), run_cfg=cfg)
    t0 = time.perf_counter()
    lif.run(condition=RunSteps(num_steps=steps - warm), run_cfg=cfg)
    run_s = time.perf_counter() - t0
    data = mon.get_data()
    lif.stop()
    s = np.asarray(next(iter(next(iter(data.values())).values())))
    print(json.dumps({"tool": "lava", "mode": "Loihi2SimCfg fixed_pt", "steps": steps - warm,
                      "run_s": run_s, "steps_per_s": (steps - warm) / run_s,
                      "spikes": int(s.sum()), "version": getattr(lava, "__version__", "0.10.0")}))  # fmt: skip


if __name__ == "__main__":
    main()
