"""The spikemesh command line: demo, chips, map; errors exit 2 with the message."""

from __future__ import annotations

import re

import numpy as np

import spikemesh as sm
from spikemesh.cli import demo_network, main


def test_demo_prints_what_the_simulator_computes(capsys):
    assert main(["demo", "--steps", "60", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "1 of 128 cores used" in out and "hidden[0:128], out[0:10]" in out
    # the same run, done directly
    net = demo_network("loihi", 3)
    rng = np.random.default_rng(4)
    x = (rng.random((60, 64)) < np.linspace(0.02, 0.3, 64)).astype(np.int32)
    res = sm.Simulator(sm.map_network(net, "loihi"), seed=3).run(60, inputs={"x": x})
    counts = res.spikes["out"].sum(axis=0).tolist()
    assert f"output spike counts: {counts}" in out
    assert f"input spikes: {int(x.sum())}" in out
    assert re.search(rf"hidden: {int(np.count_nonzero(res.spikes['hidden']))} spikes", out)
    assert sum(counts) > 0


def test_demo_on_truenorth_uses_splitters(capsys):
    assert main(["demo", "--chip", "truenorth", "--steps", "30"]) == 0
    out = capsys.readouterr().out
    assert "splitter neurons relay population 'hidden'" in out


def test_chips_and_map(capsys, tmp_path):
    assert main(["chips"]) == 0
    assert re.search(r"loihi\s+128 cores", capsys.readouterr().out)
    net = demo_network("loihi")
    net.save(tmp_path / "demo.npz")
    assert main(["map", str(tmp_path / "demo.npz"), "--chip", "loihi2"]) == 0
    assert "onto loihi2" in capsys.readouterr().out


def test_errors_exit_2(capsys, tmp_path):
    assert main(["demo", "--chip", "nope"]) == 2
    assert "unknown chip 'nope'" in capsys.readouterr().err
    (tmp_path / "x.npz").write_bytes(b"junk")
    assert main(["map", str(tmp_path / "x.npz")]) == 2
    assert "not a spikemesh network file" in capsys.readouterr().err
