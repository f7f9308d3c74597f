"""Record reference traces from Lava 0.10's fixed-point learning engine (for issue 29).

Each case is one ``lava.proc.dense.process.LearningDense`` (Lava's model tagged
``bit_approximate_loihi`` / ``fixed_pt``: ``PyLearningDenseModelBitApproximate``) with a learning
rule -- ``STDPLoihi`` (``lava.proc.learning_rules.stdp_learning_rule``) or a general
``Loihi2FLearningRule`` string -- driven by Lava's fixed-point RingBuffers: seeded pre-synaptic
spikes into ``s_in`` and post-synaptic spikes into ``s_in_bap`` (the back-propagating action
potential), its ``a_out`` into a sink. After every step the script reads the weights, the
tags and the pre/post traces; it stores rule, parameters, seeds, inputs, the recordings and the
process model that ran in ``tests/data/lava_learning.npz``. It does not import spikemesh, and
CI never runs it.

Run in its own Python 3.10 virtualenv (lava-nc 0.10 needs Python 3.10):

    /root/.pyenv/versions/3.10.13/bin/python -m venv ~/.cache/spikemesh/peers/lava
    ~/.cache/spikemesh/peers/lava/bin/pip install lava-nc==0.10.0
    ~/.cache/spikemesh/peers/lava/bin/python benchmarks/peers/make_lava_learning_traces.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from lava.magma.core.learning.learning_rule import Loihi2FLearningRule
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.dense.process import LearningDense
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source
from lava.proc.learning_rules.stdp_learning_rule import STDPLoihi

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "lava_learning.npz"
T = 60  # steps per case
STATE = ("weights", "tag_1", "tag_2", "x0", "x1", "x2", "y0", "y1", "y2", "y3")


def stdp(p):
    return STDPLoihi(**p)


def general(p):
    return Loihi2FLearningRule(**p)


CASES = [  # (name, maker, rule params, n_pre, n_post, pre rate, post rate, weight range)
    (
        "stdp_basic",
        stdp,
        dict(
            learning_rate=1, A_plus=1, A_minus=-1, tau_plus=10, tau_minus=10, t_epoch=1, rng_seed=7
        ),
        4,
        3,
        0.2,
        0.2,
        (-20, 20),
    ),
    (
        "stdp_epoch4",
        stdp,
        dict(
            learning_rate=2, A_plus=2, A_minus=-1, tau_plus=5, tau_minus=20, t_epoch=4, rng_seed=11
        ),
        5,
        4,
        0.3,
        0.15,
        (-50, 50),
    ),
    (
        "stdp_depress",
        stdp,
        dict(
            learning_rate=1, A_plus=0.5, A_minus=-2, tau_plus=8, tau_minus=8, t_epoch=2, rng_seed=3
        ),
        3,
        3,
        0.25,
        0.4,
        (0, 100),
    ),
    (
        "rule_pair",
        general,
        dict(
            dw="2^-2 * x1 * y0 - 2^-2 * y1 * x0",
            x1_impulse=16,
            x1_tau=12,
            y1_impulse=16,
            y1_tau=12,
            t_epoch=1,
            rng_seed=5,
        ),
        4,
        4,
        0.2,
        0.2,
        (-30, 30),
    ),
    (
        "rule_triplet",
        general,
        dict(
            dw="2^-3 * x1 * y0 * y2 - 2^-4 * y1 * x0 + 2^-5 * u0 * x2",
            x1_impulse=20,
            x1_tau=6,
            x2_impulse=8,
            x2_tau=30,
            y1_impulse=24,
            y1_tau=10,
            y2_impulse=10,
            y2_tau=40,
            t_epoch=2,
            rng_seed=9,
        ),
        4,
        3,
        0.3,
        0.25,
        (-40, 40),
    ),
    (
        "rule_weight_dep",
        general,
        dict(
            dw="2^-4 * x1 * y0 * w - 2^-3 * y1 * x0 + 3 * u0",
            x1_impulse=30,
            x1_tau=4,
            y1_impulse=30,
            y1_tau=4,
            t_epoch=3,
            rng_seed=13,
        ),
        3,
        4,
        0.35,
        0.3,
        (-100, 127),
    ),
    (
        "rule_tags",
        general,
        dict(
            dw="2^-2 * t * x0 - 2^-3 * w * y0",
            dt="2^-1 * x1 * y0 - 2^-2 * t * u0",
            dd="2^-3 * y1 * x0",
            x1_impulse=16,
            x1_tau=8,
            y1_impulse=16,
            y1_tau=8,
            t_epoch=1,
            rng_seed=21,
        ),
        3,
        3,
        0.3,
        0.3,
        (-10, 10),
    ),
    (  # traces with tau = 0 and fractional impulses (x2, y3), a 3-step epoch
        "rule_tau0",
        general,
        dict(
            dw="2^-3 * x2 * y0 - 2^-3 * y3 * x0",
            x1_impulse=10,
            x1_tau=5,
            x2_impulse=40.5,
            x2_tau=0,
            y1_impulse=12,
            y1_tau=6,
            y3_impulse=33.25,
            y3_tau=0,
            t_epoch=3,
            rng_seed=17,
        ),
        3,
        3,
        0.3,
        0.3,
        (-20, 20),
    ),
]


def run_case(maker, params, n_pre, n_post, r_pre, r_post, wr, rng):
    w0 = rng.integers(wr[0], wr[1] + 1, size=(n_post, n_pre))
    pre = (rng.random((n_pre, T)) < r_pre).astype(np.int32)
    post = (rng.random((n_post, T)) < r_post).astype(np.int32)
    rule = maker(dict(params))
    dense = LearningDense(weights=w0.astype(float), learning_rule=rule, name="plastic")
    src_pre, src_post = Source(data=pre), Source(data=post)
    sink = Sink(shape=(n_post,), buffer=T)
    src_pre.s_out.connect(dense.s_in)
    src_post.s_out.connect(dense.s_in_bap)
    dense.a_out.connect(sink.a_in)
    cfg = Loihi2SimCfg(select_tag="fixed_pt")
    rec = {}
    try:
        for _step in range(T):
            dense.run(condition=RunSteps(num_steps=1), run_cfg=cfg)
            for s in STATE:
                v = np.asarray(getattr(dense, s).get()).astype(np.float64)
                rec.setdefault(s, []).append(v)
        out = np.asarray(sink.data.get()).astype(np.int64).T
        model = dense.model_class.__name__  # the process model Lava selected
    finally:
        dense.stop()
    return w0, pre.T, post.T, {k: np.stack(v) for k, v in rec.items()}, out, model


def main() -> int:
    rng = np.random.default_rng(20261202)
    store, meta = {}, {"cases": []}
    for name, maker, params, n_pre, n_post, r_pre, r_post, wr in CASES:
        w0, pre, post, rec, out, model = run_case(
            maker, params, n_pre, n_post, r_pre, r_post, wr, rng
        )
        store[f"{name}/w0"] = w0
        store[f"{name}/pre"] = pre
        store[f"{name}/post"] = post
        store[f"{name}/a_out"] = out
        for k, v in rec.items():
            store[f"{name}/{k}"] = v
        meta["cases"].append(
            {"name": name, "rule": maker.__name__, "params": params, "model": model}
        )
        dw = np.abs(np.diff(rec["weights"], axis=0)).sum()
        print(
            f"{name}: {model}, total |dw| {dw:g}, final w range "
            f"{rec['weights'][-1].min():g}..{rec['weights'][-1].max():g}"
        )
    import lava

    meta["lava_version"] = getattr(lava, "__version__", "0.10.0")
    meta["numpy"] = np.__version__
    store["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez_compressed(OUT, **store)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
