"""Make the Sinabs fixtures in tests/data/nir/ (issue 23). Sinabs 3.1 pins nir 1.0.4 and
nirtorch 2.0, so it lives in a virtualenv of its own, never in spikemesh's::

    python -m venv /work/peers/sinabsenv
    /work/peers/sinabsenv/bin/pip install torch==2.13.0 sinabs==3.1.3 h5py scikit-learn
    /work/peers/sinabsenv/bin/python tests/data/make_sinabs_fixture.py

Two 64-64-10 IAF networks on the digits inputs of ``digits_input.npz`` (made by
make_nir_fixtures.py): ``sinabs_reset`` with ``SingleSpike`` + ``MembraneReset`` (what NIR's IF
says, but Sinabs fires at ``v >= threshold``) and ``sinabs_default`` with Sinabs' defaults
(``MultiSpike`` + ``MembraneSubtract``: graded spikes ``floor(v / threshold)``, reset by
subtraction), each trained briefly with Sinabs' surrogate gradients, exported with
``sinabs.to_nir`` and run by Sinabs on the held-out inputs (its spike trains saved, packed;
``sinabs_default``'s graded counts as uint8).
"""

from __future__ import annotations

import json
from pathlib import Path

import nir
import numpy as np
import sinabs
import sinabs.activation as sa
import sinabs.layers as sl
import torch
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parent / "nir"
STEPS = 25


def model(kind):
    torch.manual_seed(3)
    if kind == "sinabs_reset":
        kw = dict(
            spike_fn=sa.SingleSpike,
            reset_fn=sa.MembraneReset(),
            surrogate_grad_fn=sa.PeriodicExponential(),
        )
    else:
        kw = dict(surrogate_grad_fn=sa.PeriodicExponential())
    return torch.nn.Sequential(
        torch.nn.Linear(64, 64), sl.IAF(**kw), torch.nn.Linear(64, 10), sl.IAF(**kw)
    )


def main():
    z = np.load(OUT / "digits_input.npz")
    test = np.unpackbits(z["spikes"], axis=-1)[..., :64].astype(np.float32)  # (N, T, 64)
    labels = z["labels"]
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(x))[len(test) :]
    xtr, ytr = torch.from_numpy(x[idx]), torch.from_numpy(y[idx])
    meta_path = OUT / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["versions"]["sinabs"] = sinabs.__version__
    for kind in ("sinabs_reset", "sinabs_default"):
        net = model(kind)
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        gen = torch.Generator().manual_seed(4)
        for _ in range(6):
            perm = torch.randperm(len(xtr), generator=gen)
            for b in range(0, len(perm), 64):
                i = perm[b : b + 64]
                s = (torch.rand((len(i), STEPS, 64), generator=gen) < xtr[i][:, None]).float()
                sinabs.reset_states(net)
                out = net(s).sum(1)
                loss = torch.nn.functional.cross_entropy(out / 4.0, ytr[i])
                opt.zero_grad()
                loss.backward()
                opt.step()
        hid: dict = {}
        net[1].register_forward_hook(lambda m, i, o, hid=hid: hid.__setitem__("h", o))
        with torch.no_grad():
            sinabs.reset_states(net)
            out = net(torch.from_numpy(test)).numpy()
        h = hid["h"].numpy()
        pred = out.sum(1).argmax(-1)
        acc = float((pred == labels).mean())
        sinabs.reset_states(net)
        graph = sinabs.to_nir(net, torch.zeros(1, STEPS, 64))
        nir.write(OUT / f"{kind}.nir", graph)
        np.savez_compressed(OUT / f"{kind}.npz", hidden=h.astype(np.uint8),
                            output=out.astype(np.uint8), pred=pred)  # fmt: skip
        meta["models"][kind] = {"framework": "sinabs", "accuracy": acc,
                                "hidden_rate": float((h > 0).mean()),
                                "max_payload": int(max(h.max(), out.max()))}  # fmt: skip
        print(f"{kind:16s} acc {acc:.4f} hidden rate {(h > 0).mean():.3f} max payload "
              f"{int(max(h.max(), out.max()))}")  # fmt: skip
    meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
