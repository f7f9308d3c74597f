"""The spikemesh command line: demo, sweep, plot, run, chips, map; errors exit 2 with one line."""

from __future__ import annotations

import re
import sqlite3

import numpy as np
import pytest

import spikemesh as sm
from spikemesh.cli import demo_network, main


def test_run_prints_what_the_simulator_computes(capsys):
    assert main(["run", "--steps", "60", "--seed", "3"]) == 0
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


def test_run_on_truenorth_uses_splitters(capsys):
    assert main(["run", "--chip", "truenorth", "--steps", "30"]) == 0
    out = capsys.readouterr().out
    assert "splitter neurons relay population 'hidden'" in out


def test_chips_and_map(capsys, tmp_path):
    assert main(["chips"]) == 0
    assert re.search(r"loihi\s+128 cores", capsys.readouterr().out)
    net = demo_network("loihi")
    net.save(tmp_path / "demo.npz")
    assert main(["map", str(tmp_path / "demo.npz"), "--chip", "loihi2"]) == 0
    assert "onto loihi2" in capsys.readouterr().out


def test_run_a_saved_network(capsys, tmp_path):
    demo_network("loihi").save(tmp_path / "n.npz")
    assert main(["run", str(tmp_path / "n.npz"), "--steps", "20", "--timing", "none"]) == 0
    out = capsys.readouterr().out
    assert "ran 20 steps" in out and "cycles per step" not in out


def _one_line_error(capsys, argv, text):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("spikemesh: error:") and text in err, err


def test_errors_exit_2(capsys, tmp_path):
    _one_line_error(capsys, ["run", "--chip", "nope"], "unknown chip 'nope'")
    _one_line_error(capsys, ["run", "--steps", "0"], "run --steps: must be an integer >= 1 (got 0)")
    _one_line_error(
        capsys, ["run", "--rate", "2"], "run --rate: must be a finite number in 0..1 (got 2)"
    )
    _one_line_error(capsys, ["run", "--seed", "-1"], "run --seed: must be an integer >= 0 (got -1)")
    _one_line_error(
        capsys, ["run", "--chip", str(tmp_path)], "is a directory, not a chip profile file"
    )
    _one_line_error(capsys, ["demo", "--workers", "-1"], "demo --workers: must be an integer >= 0")
    _one_line_error(capsys, ["demo", "--steps", "-5"], "unrecognized arguments: --steps -5")
    _one_line_error(capsys, ["run", "--timing", "fast"], "run --timing: invalid choice: 'fast'")
    (tmp_path / "x.npz").write_bytes(b"junk")
    _one_line_error(capsys, ["map", str(tmp_path / "x.npz")], "not a spikemesh network file")
    _one_line_error(
        capsys, ["demo", "--samples", "0"], "demo --samples: must be an integer in 1..397"
    )
    _one_line_error(capsys, ["demo", "--chips", "loihi,nope"], "unknown chip 'nope'")
    _one_line_error(capsys, ["sweep", str(tmp_path / "none.toml")], "no config file at")
    bad = tmp_path / "bad.toml"
    bad.write_text("grid = [")
    _one_line_error(capsys, ["sweep", str(bad)], "not valid TOML")
    bad.write_text("[grid]\nchip = ['loihi']\n[extra]\n")
    _one_line_error(capsys, ["sweep", str(bad)], "unknown keys ['extra']")
    bad.write_text("workers = 0\n")
    _one_line_error(capsys, ["sweep", str(bad)], "needs a [grid] table or a [[points]] list")
    bad.write_text("build = 'nowhere:build'\n[grid]\nchip = ['loihi']\n")
    _one_line_error(capsys, ["sweep", str(bad)], "build = 'nowhere:build': cannot import it")
    bad.write_bytes(b"\xff\xfegrid = 1")
    _one_line_error(capsys, ["sweep", str(bad)], "is not UTF-8 text (byte 0xff at offset 0)")
    _one_line_error(capsys, ["plot", str(tmp_path / "none.sqlite")], "no study store at")
    (tmp_path / "junk.sqlite").write_bytes(b"not sqlite at all, not at all" * 10)
    _one_line_error(
        capsys, ["plot", str(tmp_path / "junk.sqlite")], "is not an SQLite database or is damaged"
    )


@pytest.mark.parametrize("cmd", ["demo", "sweep", "plot", "run", "chips", "map"])
def test_help_everywhere(capsys, cmd):
    assert main([cmd, "--help"]) == 0 and "usage: spikemesh" in capsys.readouterr().out


def test_every_option_has_help_text():
    import argparse

    from spikemesh.cli import build_parser

    parsers = [build_parser()]
    for action in parsers[0]._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers += list(action.choices.values())
    missing = [f"{p.prog} {a.option_strings or a.dest}" for p in parsers for a in p._actions
               if not isinstance(a, argparse._HelpAction) and not (a.help or "").strip()]  # fmt: skip
    assert len(parsers) == 7 and missing == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_demo_quick_writes_table_plots_and_store_and_resumes(capsys, tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "demo"
    argv = ["demo", "--quick", "--samples", "40", "--workers", "0", "--no-progress",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    rows = [ln for ln in text.splitlines()
            if re.match(r"(loihi2?|truenorth) +\d+ +\d+ +\d+ ", ln)]  # fmt: skip
    ok = [r for r in rows if " yes " in r]  # SNN == quantized ANN
    assert len(rows) == 22 and len(ok) == 21 and sum(r.startswith("truenorth") for r in ok) == 3
    (unfit,) = (r for r in rows if r not in ok)  # 4-bit weights, T = 4 on TrueNorth: fan-in
    assert re.match(r"truenorth +4 +4 +1  does not fit: population 'l0\.1': neuron \d+ alone "
                    r"needs \d+ input axons; truenorth cores have 256", unfit)  # fmt: skip
    assert "cheapest configuration within 1 %" in text
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["accuracy_energy.png", "cycles_per_step.png", "energy_breakdown.png",
                    "energy_estimates.png", "raster.png"]  # fmt: skip
    assert all((out / p).stat().st_size > 5000 for p in pngs)
    assert "mesh_traffic.png not drawn: " in text and "runs on 1 core of one tile" in text
    with sqlite3.connect(out / "results.sqlite") as con:
        assert con.execute("SELECT COUNT(*) FROM points WHERE error IS NULL").fetchone() == (21,)
    assert main(argv) == 0  # a rerun reads the store: the same table
    again = capsys.readouterr().out
    assert [ln for ln in again.splitlines() if ln in rows] == rows


def test_sweep_config_and_plot(capsys, tmp_path):
    pytest.importorskip("sklearn")
    cfg = tmp_path / "study.toml"
    cfg.write_text(
        "workers = 0\nstore = 'flits.sqlite'\n[grid]\nchip = ['loihi2']\ntimesteps = [2]\n"
        "weight_bits = [4]\nspike_bits = [1]\nsamples = [20]\n"
        "'loihi2:timing.flit_bits' = [32, 64]\n"
    )
    assert main(["sweep", str(cfg), "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()  # the varying profile key: the full table
    assert out[0].split()[:6] == ["chip", "timesteps", "weight_bits", "spike_bits", "samples",
                                  "loihi2:timing.flit_bits"]  # fmt: skip
    assert len(out) == 4 and (tmp_path / "flits.sqlite").is_file()
    assert re.search(r"^\s*loihi2\s+2\s+4\s+1\s+20\s+64\s", out[3])
    assert main(["plot", str(tmp_path / "flits.sqlite"), "--out", str(tmp_path / "p")]) == 0
    assert sorted(p.name for p in (tmp_path / "p").glob("*.png")) == [
        "accuracy_energy.png", "energy_estimates.png"]  # fmt: skip


def test_the_config_in_docs_studies_runs_through_spikemesh_sweep(tmp_path, capsys):
    """docs/studies.md's CONFIG.toml, extracted as it stands and run."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "studies.md").read_text()
    block = re.search(r"### A study from the shell.*?```toml\n(.*?)```", text, re.S).group(1)
    cfg = tmp_path / "CONFIG.toml"
    cfg.write_text(block)
    assert main(["sweep", str(cfg), "--no-progress"]) == 0
    out = capsys.readouterr()
    assert "8 points finished, 0 with errors" in out.err
    assert re.search(r"^loihi2\s+4\s+8\s+1\s+99\.0\s+99\.0\s+yes", out.out, re.M)
    assert "QANN% = the quantized ANN's" in out.out
    assert main(["sweep", str(cfg), "--no-progress", "--format", "json"]) == 0  # resumes
    import json

    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 8 and {r["chip"] for r in rows} == {"loihi", "loihi2"}


def test_every_help_text_states_the_default_the_code_uses():
    import argparse

    from spikemesh.cli import build_parser

    parsers = [build_parser()]
    for action in parsers[0]._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers += list(action.choices.values())
    wrong = []
    for p in parsers:
        for a in p._actions:
            d = a.default
            if d in (None, False, argparse.SUPPRESS) or isinstance(a, argparse._HelpAction):
                continue
            shown = (
                ",".join(d)
                if isinstance(d, (list, tuple))
                else f"{d:g}"
                if isinstance(d, float)
                else str(d)
            )
            if f"default {shown}" not in (a.help or "") and f"default: {shown}" not in (
                a.help or ""
            ):
                wrong.append(
                    f"{p.prog} {'/'.join(a.option_strings)}: default {shown!r}, help {a.help!r}"
                )
    assert not wrong, "\n".join(wrong)


def test_run_prints_json_for_a_machine(capsys):
    import json

    assert main(["run", "--steps", "12", "--seed", "2", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["chip"] == "loihi" and d["steps"] == 12 and set(d["spikes"]) == {"hidden", "out"}
    assert d["energy"]["models"]["chip"]["total_J"] > 0 and d["totals"]["spikes"] == sum(
        d["spikes"].values()
    )


@pytest.mark.parametrize("flags", [["--reset", "subtract"], ["--encode", "rate"], ["--strict"],
                                   ["--tolerance", "0.1"], ["--input-bits", "4"]])  # fmt: skip
def test_nir_only_options_on_other_networks_are_refused(flags, capsys):
    assert main(["run", "--steps", "3", *flags]) == 2
    assert "only for NIR graphs (.nir); this network is not one" in capsys.readouterr().err
