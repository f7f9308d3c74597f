"""nengo-loihi side of the rec1000 peer benchmark; runs inside its virtualenv (see run.py).

    python peer_nengo_loihi.py NETWORK.npz STEPS

Builds the recurrent benchmark at nengo-loihi's block level with the integer registers set
directly (du, dv, vth, bias and the final synaptic values ``w << 6``; no float discretization),
as ``make_nengo_loihi_traces.py`` does, and runs it on nengo-loihi's Loihi emulator. Prints one
JSON line: steps/s of ``run_steps`` (building excluded) and the spike count, which should equal
spikemesh's (both are bit-exact Loihi CUBA LIF).
"""

import json
import sys
import time
import warnings

import numpy as np


def main() -> None:
    path, steps = sys.argv[1], int(sys.argv[2])
    import nengo_loihi
    import scipy.sparse
    from nengo_loihi.block import Axon, LoihiBlock, Synapse
    from nengo_loihi.builder import Model
    from nengo_loihi.builder.discretize import discretize_model
    from nengo_loihi.emulator import EmulatorInterface
    from nengo_loihi.probe import LoihiProbe

    d = np.load(path)
    w = d["w"]  # (pre, post) integer weights, single-sign groups exact in 8 bits
    n = w.shape[0]
    model = Model()
    block = LoihiBlock(n)
    block.compartment.configure_relu()
    model.add_block(block)
    syn = Synapse(n)
    syn.set_weights(scipy.sparse.csr_matrix(np.where(w != 0, 1.0, 0.0)))
    block.add_synapse(syn)
    axon = Axon(n)
    axon.target = syn
    block.add_axon(axon)
    probe = LoihiProbe(target=block, key="spiked")
    model.add_probe(probe)
    discretize_model(model)
    c = block.compartment
    c.decay_u[:] = int(d["du"])
    c.decay_v[:] = int(d["dv"])
    c.vth[:] = int(d["vth"]) << 6
    c.bias[:] = d["bias"]
    c.refract_delay[:] = 1
    c.vmin = -(2**23) + 1
    c.vmax = 2**23 - 1
    final = w << 6
    for i in range(n):
        cols = np.flatnonzero(w[i])
        syn.weights[i][0, :] = final[i, cols]
    EmulatorInterface.strict = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with EmulatorInterface(model, seed=0) as emu:
            t0 = time.perf_counter()
            emu.run_steps(steps)
            run_s = time.perf_counter() - t0
            spikes = int(np.asarray(emu.collect_probe_output(probe)).sum())
    print(json.dumps({"tool": "nengo-loihi", "mode": "emulator", "steps": steps, "run_s": run_s,
                      "steps_per_s": steps / run_s, "spikes": spikes,
                      "version": nengo_loihi.__version__}))  # fmt: skip


if __name__ == "__main__":
    main()
