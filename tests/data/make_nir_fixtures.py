"""Make the real-exporter fixtures in tests/data/nir/ (issue 23).

Run it in a peer virtualenv, never in spikemesh's own (CI never installs torch)::

    python -m venv /work/peers/torchenv
    /work/peers/torchenv/bin/pip install torch==2.13.0 snntorch==1.0.0 nirtorch==2.6 \
        norse==1.1.0 neurobench==2.3.0 nir==1.0.8 scikit-learn h5py
    /work/peers/torchenv/bin/python tests/data/make_nir_fixtures.py

What it does, per model: trains a 64-64-10 network on scikit-learn's bundled digits (8x8,
pixels / 16 as Bernoulli rates, 25 steps, beta = 0.9, snnTorch's default surrogate), seeded;
exports it with the framework's own exporter (snnTorch ``export_to_nir`` through nirtorch,
Norse ``norse.torch.to_nir``) and writes ``<model>.nir`` with ``nir.write``; runs the framework on
the held-out digits' fixed input spike trains and saves them with the framework's own spike
trains (hidden and output layer, packed bits), its predictions and NeuroBench 2.3's metrics
(ActivationSparsity, MembraneUpdates, SynapticOperations) measured with NeuroBench's own
hooks on the first samples, one sample per call. One ``<model>.npz`` per model (no pickle).

Also a Norse-style Conv2d -> IF -> SumPool2d graph with ``r = 1/dt`` and its float64 reference
spikes (NIR's ODE), since Norse 1.1's IAF export writes ``r = 1``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nir
import numpy as np
import torch
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parent / "nir"
STEPS = 25
N_TEST = 200  # held-out digits saved (their spike trains are the inputs)
N_NB = 20  # samples measured one by one with NeuroBench
BETA = 0.9


def data():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(x))
    test, train = idx[:N_TEST], idx[N_TEST:]
    spikes = (rng.random((N_TEST, STEPS, 64)) < x[test][:, None, :]).astype(np.float32)
    return x[train], y[train], spikes, y[test]


def snntorch_net(kind):
    import snntorch as snn

    torch.manual_seed(1)
    fc1, fc2 = torch.nn.Linear(64, 64), torch.nn.Linear(64, 10)
    # per-neuron parameters: snnTorch's exporter writes 0-d arrays for scalars, and nir's
    # type inference (run by export_to_nir) then refuses the graph
    reset = "subtract" if kind.endswith("subtract") else "zero"

    def p(n, **kw):
        return dict(
            beta=torch.full((n,), BETA),
            threshold=torch.ones(n),
            reset_mechanism=reset,
            init_hidden=True,
            **kw,
        )

    if kind.startswith("leaky"):
        h, o = snn.Leaky(**p(64)), snn.Leaky(**p(10, output=True))
    elif kind.startswith("rleaky"):
        h = snn.RLeaky(linear_features=64, **p(64))
        o = snn.Leaky(**p(10, output=True))
    elif kind.startswith("synaptic"):
        h = snn.Synaptic(alpha=torch.full((64,), 0.5), **p(64))
        o = snn.Synaptic(alpha=torch.full((10,), 0.5), **p(10, output=True))
    else:
        raise ValueError(kind)
    return torch.nn.Sequential(fc1, h, fc2, o), (h, o)


def run_snntorch(net, layers, spikes):
    """(output spike counts, hidden spikes (N, T, 64), output spikes (N, T, 10)) in eval mode."""
    from snntorch import utils

    hid, out = [], []
    rec = {}
    hook = layers[0].register_forward_hook(lambda m, i, o: rec.__setitem__("h", o))
    with torch.no_grad():
        utils.reset(net)
        for t in range(STEPS):
            spk = net(torch.from_numpy(spikes[:, t]))[0]
            h = rec["h"][0] if isinstance(rec["h"], tuple) else rec["h"]
            hid.append(h.numpy().copy())
            out.append(spk.numpy().copy())
    hook.remove()
    return np.stack(hid, 1), np.stack(out, 1)


def train(net, xtr, ytr, epochs=6):
    from snntorch import utils

    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(2)
    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr)
    for _ in range(epochs):
        perm = torch.randperm(len(xtr_t), generator=gen)
        for b in range(0, len(perm), 64):
            i = perm[b : b + 64]
            x = xtr_t[i]
            utils.reset(net)
            count = 0
            for _t in range(STEPS):
                s = (torch.rand(x.shape, generator=gen) < x).float()
                spk = net(s)[0]
                count = count + spk
            loss = torch.nn.functional.cross_entropy(count / 4.0, ytr_t[i])
            opt.zero_grad()
            loss.backward()
            opt.step()


def neurobench_metrics(net, spikes, labels):
    from neurobench.benchmarks import Benchmark
    from neurobench.metrics.workload import (
        ActivationSparsity,
        MembraneUpdates,
        SynapticOperations,
    )
    from neurobench.models import SNNTorchModel

    class TwoOut(torch.nn.Module):  # SNNTorchModel unpacks (spikes, mem); Synaptic gives 3
        def __init__(self, seq):
            super().__init__()
            self.seq = seq

        def forward(self, x):
            r = self.seq(x)
            return r[0], r[-1]

        def reset(self):  # SNNTorchModel calls it before each sample; snntorch.utils.reset
            from snntorch import utils  # looks at direct children only

            utils.reset(self.seq)

    rows = []
    for k in range(N_NB):
        model = SNNTorchModel(TwoOut(net))
        x = torch.from_numpy(spikes[k : k + 1])
        y = torch.from_numpy(labels[k : k + 1])
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=1)
        bench = Benchmark(
            model,
            loader,
            [],
            [lambda s: s.sum(1).argmax(-1)],
            [[], [ActivationSparsity, MembraneUpdates, SynapticOperations]],
        )
        r = bench.run(quiet=True)
        rows.append(
            [
                r["ActivationSparsity"],
                r["MembraneUpdates"],
                r["SynapticOperations"]["Effective_MACs"],
                r["SynapticOperations"]["Effective_ACs"],
                r["SynapticOperations"]["Dense"],
            ]
        )
    return np.array(rows, np.float64)


def snntorch_fixture(kind, xtr, ytr, spikes, labels):
    from snntorch.export_nir import export_to_nir

    net, layers = snntorch_net(kind)
    train(net, xtr, ytr)
    net.eval()
    hid, out = run_snntorch(net, layers, spikes)
    pred = out.sum(1).argmax(-1)
    acc = float((pred == labels).mean())
    nb = neurobench_metrics(net, spikes, labels)
    from snntorch import utils

    utils.reset(net)
    graph = export_to_nir(net, torch.zeros(1, 64), ignore_dims=[0])
    nir.write(OUT / f"{kind}.nir", graph)
    return hid, out, pred, acc, nb


def norse_fixture(xtr, ytr, spikes, labels):
    """Norse 1.1: Linear -> LIFBoxCell -> Linear -> LIFBoxCell, exported by norse.torch.to_nir."""
    import norse.torch as norse

    torch.manual_seed(1)
    p = norse.LIFBoxParameters(tau_mem_inv=torch.tensor(100.0), v_th=torch.tensor(0.25))
    model = norse.SequentialState(
        torch.nn.Linear(64, 64), norse.LIFBoxCell(p), torch.nn.Linear(64, 10), norse.LIFBoxCell(p)
    )
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    gen = torch.Generator().manual_seed(2)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    for _ in range(8):
        perm = torch.randperm(len(xt), generator=gen)
        for b in range(0, len(perm), 64):
            i = perm[b : b + 64]
            state, count = None, 0
            for _t in range(STEPS):
                s = (torch.rand(xt[i].shape, generator=gen) < xt[i]).float()
                z, state = model(s, state)
                count = count + z
            loss = torch.nn.functional.cross_entropy(count, yt[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
    hid, out, state = [], [], None
    rec = {}
    hook = model[1].register_forward_hook(lambda m, i, o: rec.__setitem__("h", o[0]))
    with torch.no_grad():
        for t in range(STEPS):
            z, state = model(torch.from_numpy(spikes[:, t]), state)
            hid.append(rec["h"].numpy().copy())
            out.append(z.numpy().copy())
    hook.remove()
    hid, out = np.stack(hid, 1), np.stack(out, 1)
    pred = out.sum(1).argmax(-1)
    graph = norse.to_nir(model, torch.zeros(1, 64))
    # Norse writes torch tensors, 0-d for scalar parameters: nir.write cannot write those.
    # The in-memory graph's values are kept as they are (0-d) in the .npz, so a test can hand
    # spikemesh the graph Norse returns; the .nir file gets them broadcast per neuron.
    inmem = {}
    size = {}
    for k, v in graph.nodes.items():
        for f, x in list(vars(v).items()):
            if isinstance(x, torch.Tensor):
                x = x.detach().numpy().astype(np.float64)
                setattr(v, f, x)
            if isinstance(x, np.ndarray):
                inmem[f"{k}.{f}"] = x
        if isinstance(v, nir.Affine):
            size[k] = v.weight.shape[0]
    for src, dst in graph.edges:
        if src in size:
            size[dst] = size[src]
    for k, v in graph.nodes.items():
        for f in ("tau", "v_threshold", "v_leak", "r", "v_reset"):
            x = getattr(v, f, None)
            if x is not None and np.ndim(x) == 0:
                setattr(v, f, np.full(size[k], float(x)))
    nir.write(OUT / "norse_lifbox.nir", graph)
    return hid, out, pred, float((pred == labels).mean()), inmem


def conv_if_fixture():
    """A Norse-style Conv2d(2->4, 3x3, pad 1) -> IF (r = 1/dt) -> SumPool2d(2) -> Affine -> IF
    graph at dt = 1e-4 and its float64 reference under NIR's ODE (v += dt r I)."""
    rng = np.random.default_rng(5)
    dt = 1e-4
    # dyadic weights (k/16, k/32): the chip holds them exactly, so the import must be exact
    w1 = rng.integers(-6, 12, (4, 2, 3, 3)) / 16
    b1 = rng.integers(-2, 3, 4) / 32
    w2 = rng.integers(-4, 8, (6, 4 * 4 * 4)) / 16
    g = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2, 8, 8])),
            "conv": nir.Conv2d(
                input_shape=(8, 8), weight=w1, stride=1, padding=1, dilation=1, groups=1, bias=b1
            ),
            "if1": nir.IF(r=np.full((4, 8, 8), 1 / dt), v_threshold=np.full((4, 8, 8), 1.0)),
            "pool": nir.SumPool2d(
                kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
            ),
            "flat": nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0),
            "fc": nir.Affine(weight=w2, bias=np.zeros(6)),
            "if2": nir.IF(r=np.full(6, 1 / dt), v_threshold=np.full(6, 1.5)),
            "output": nir.Output(output_type=np.array([6])),
        },
        edges=[
            ("input", "conv"),
            ("conv", "if1"),
            ("if1", "pool"),
            ("pool", "flat"),
            ("flat", "fc"),
            ("fc", "if2"),
            ("if2", "output"),
        ],
        type_check=False,
    )
    nir.write(OUT / "conv_if.nir", g)
    steps = 30
    x = (rng.random((steps, 2, 8, 8)) < 0.3).astype(np.float64)
    conv = torch.nn.Conv2d(2, 4, 3, padding=1, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(w1))
        conv.bias.copy_(torch.from_numpy(b1))
    v1, v2 = np.zeros((4, 8, 8)), np.zeros(6)
    z1s, z2s = [], []
    for t in range(steps):
        with torch.no_grad():
            i1 = conv(torch.from_numpy(x[t][None]))[0].numpy()
        v1 = v1 + dt * (1 / dt) * i1
        z1 = v1 > 1.0
        v1[z1] = 0
        pooled = z1.reshape(4, 4, 2, 4, 2).sum(axis=(2, 4)).astype(np.float64)
        v2 = v2 + dt * (1 / dt) * (w2 @ pooled.ravel())
        z2 = v2 > 1.5
        v2[z2] = 0
        z1s.append(z1)
        z2s.append(z2)
    return x.astype(np.uint8), np.array(z1s), np.array(z2s)


def main(argv):
    OUT.mkdir(exist_ok=True)
    xtr, ytr, spikes, labels = data()
    meta = {
        "steps": STEPS,
        "n_test": N_TEST,
        "n_neurobench": N_NB,
        "beta": BETA,
        "versions": {},
        "models": {},
    }
    import neurobench
    import nirtorch
    import norse
    import snntorch

    for mod in (torch, snntorch, nirtorch, norse, neurobench, nir):
        meta["versions"][mod.__name__] = getattr(mod, "__version__", "?")
    np.savez_compressed(OUT / "digits_input.npz", spikes=np.packbits(spikes.astype(np.uint8),
                        axis=-1), labels=labels.astype(np.int64))  # fmt: skip
    kinds = [
        "leaky_zero",
        "leaky_subtract",
        "rleaky_zero",
        "rleaky_subtract",
        "synaptic_zero",
        "synaptic_subtract",
    ]
    for kind in kinds:
        hid, out, pred, acc, nb = snntorch_fixture(kind, xtr, ytr, spikes, labels)
        np.savez_compressed(OUT / f"{kind}.npz", hidden=np.packbits(hid.astype(np.uint8), -1),
                            output=np.packbits(out.astype(np.uint8), -1), pred=pred,
                            neurobench=nb)  # fmt: skip
        meta["models"][kind] = {
            "framework": "snntorch",
            "accuracy": acc,
            "hidden_rate": float(hid.mean()),
        }
        print(f"{kind:18s} acc {acc:.4f} hidden rate {hid.mean():.3f}  NB {nb[0].round(1)}")
    hid, out, pred, acc, inmem = norse_fixture(xtr, ytr, spikes, labels)
    np.savez_compressed(OUT / "norse_lifbox.npz", hidden=np.packbits(hid.astype(np.uint8), -1),
                        output=np.packbits(out.astype(np.uint8), -1), pred=pred,
                        **{"graph." + k: v for k, v in inmem.items()})  # fmt: skip
    meta["models"]["norse_lifbox"] = {
        "framework": "norse",
        "accuracy": acc,
        "hidden_rate": float(hid.mean()),
        "dt": 1e-3,
        "tau_mem_inv": 100.0,
    }
    print(f"norse_lifbox       acc {acc:.4f} hidden rate {hid.mean():.3f}")
    x, z1, z2 = conv_if_fixture()
    np.savez_compressed(OUT / "conv_if.npz", x=x, if1=np.packbits(z1.astype(np.uint8), -1),
                        if2=z2.astype(np.uint8))  # fmt: skip
    (OUT / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
