"""SANA-FE side of the rec1000 and rec10k peer benchmarks; runs inside the SANA-FE virtualenv
(run.py).

    python peer_sanafe.py NETWORK.npz STEPS MODE[,MODE...]

Builds, with SANA-FE's Python API, the connectivity read from the npz (the same synapses and
the same neuron -> core placement spikemesh uses) as leaky integrate-and-fire neurons on its
Loihi architecture file, and runs it with each timing model ("simple", "detailed", "cycle").
Neurons ``n .. n + n_in - 1`` (``n_in`` in the npz, default 0) stand for spikemesh's input lines:
no leak, their own bias (they fire periodically), synapses ``in_pre -> in_post`` into the first
``n``, placed on ``in_core``.
Prints one JSON line per mode: steps/s of ``chip.sim`` (network building and loading
excluded; wall and CPU time), its neuron spikes (``neurons_fired``) and synaptic events (its
``spikes`` result, which counts spike deliveries), energy and simulated time.
"""

import json
import sys
import time

import numpy as np


def main() -> None:
    path, steps, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
    import sanafe

    d = np.load(path)
    n = int(d["n"])
    n_in = int(d["n_in"]) if "n_in" in d else 0
    arch = sanafe.load_loihi()
    net = sanafe.Network()
    g = net.create_neuron_group(
        "h",
        n + n_in,
        model_attributes={
            "threshold": float(d["threshold"]),
            "reset": 0.0,
            "leak_decay": float(d["leak_decay"]),
        },
    )
    for i, nr in enumerate(g.neurons):
        if i < n:
            nr.set_attributes(model_attributes={"bias": float(d["bias"][i])})
        else:
            nr.set_attributes(model_attributes={"bias": float(d["in_bias"]), "leak_decay": 1.0})
    pre, post, weight = d["pre"].tolist(), d["post"].tolist(), d["weight"].tolist()
    if n_in:
        pre += (d["in_pre"] + n).tolist()
        post += d["in_post"].tolist()
        weight += d["in_weight"].tolist()
    g.connect_neurons_sparse(g, {"weight": weight}, list(zip(pre, post, strict=True)))
    cores = arch.cores()
    placement = d["core"].tolist() + (d["in_core"].tolist() if n_in else [])
    for nr, c in zip(g.neurons, placement, strict=True):
        nr.map_to_core(cores[c])
    for mode in modes:
        chip = sanafe.SpikingChip(arch)
        chip.load(net)
        t0, c0 = time.perf_counter(), time.process_time()
        r = chip.sim(steps, timing_model=mode)
        run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        # SANA-FE's "spikes" counts spike deliveries (synaptic events); "neurons_fired" counts
        # neuron spikes (its bias-driven input neurons included)
        print(json.dumps({"tool": "sanafe", "mode": mode, "steps": steps, "run_s": run_s,
                          "cpu_s": cpu_s, "steps_per_s": steps / run_s,
                          "neuron_spikes": int(r["neurons_fired"]),
                          "synaptic_events": int(r["spikes"]),
                          "energy_J": float(r["energy"]["total"]), "sim_time_s": float(r["sim_time"]),
                          "version": "2.2.9"}))  # fmt: skip


if __name__ == "__main__":
    main()
