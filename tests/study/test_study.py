"""Studies: sweeps stored in SQLite, resumed after a killed worker, on processes or Dask."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import spikemesh as sm
from spikemesh import study

GRID = {"a": [1, 2, 3], "b": ["x", "y"]}


def build(point):
    if point["a"] == 2 and point["b"] == "y":
        raise ValueError("no such configuration")
    return point["a"] * 10


def evaluate(built, point):
    return {"score": built + len(point["b"]), "name": f"{point['a']}{point['b']}"}


def build_logged(point):
    """Counts its calls in files under $SWEEP_LOG; kills its own process (SIGKILL) at a=2, b=x
    while the file KILL exists (then removes it, so the resumed sweep gets through)."""
    log = Path(os.environ["SWEEP_LOG"])
    with open(log / f"{point['a']}{point['b']}", "a") as f:
        f.write(".")
    if point == {"a": 2, "b": "x"} and (log / "KILL").exists():
        (log / "KILL").unlink()
        os.kill(os.getpid(), signal.SIGKILL)
    return point["a"]


def _rows(res):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in res.records]


def test_serial_sweep_stores_every_point_and_errors(tmp_path):
    res = study.sweep(build, GRID, evaluate, tmp_path / "s.sqlite", workers=0, progress=False)
    assert [(r["a"], r["b"]) for r in res.records] == [(a, b) for a in (1, 2, 3) for b in "xy"]
    assert len(res.ok) == 5 and len(res.errors) == 1
    bad = res.errors[0]
    assert (bad["a"], bad["b"]) == (2, "y") and "ValueError: no such configuration" in bad["error"]
    assert res.records[0]["score"] == 11 and res.records[0]["name"] == "1x"
    again = study.load(tmp_path / "s.sqlite", GRID)
    assert _rows(again) == _rows(res)


def test_process_pool_gives_the_serial_rows(tmp_path):
    serial = study.sweep(build, GRID, evaluate, tmp_path / "a.sqlite", workers=0, progress=False)
    pool = study.sweep(build, GRID, evaluate, tmp_path / "b.sqlite", workers=2, progress=False)
    assert _rows(pool) == _rows(serial)


def test_a_killed_worker_loses_nothing_finished(tmp_path, monkeypatch):
    log = tmp_path / "log"
    log.mkdir()
    (log / "KILL").touch()
    monkeypatch.setenv("SWEEP_LOG", str(log))
    store = tmp_path / "k.sqlite"
    with pytest.raises(sm.SpikemeshError, match=r"a worker process died.*run the same sweep again"):
        study.sweep(build_logged, GRID, evaluate, store, workers=1, progress=False)
    first = study.load(store)
    assert [(r["a"], r["b"]) for r in first.records] == [(1, "x"), (1, "y")]  # before the kill
    res = study.sweep(build_logged, GRID, evaluate, store, workers=1, progress=False)
    assert len(res.ok) == 6
    calls = {p.name: len(p.read_text()) for p in log.iterdir()}
    assert calls == {"1x": 1, "1y": 1, "2x": 2, "2y": 1, "3x": 1, "3y": 1}  # only 2x twice


def test_errors_are_kept_unless_retried(tmp_path):
    store = tmp_path / "e.sqlite"
    study.sweep(build, GRID, evaluate, store, workers=0, progress=False)
    res = study.sweep(build, GRID, evaluate, store, workers=0, progress=False)
    assert len(res.errors) == 1
    res = study.sweep(build, GRID, evaluate, store, workers=0, progress=False, retry_errors=True)
    assert len(res.errors) == 1 and len(study.load(store).records) == 6


def test_dask_gives_the_local_rows(tmp_path):
    distributed = pytest.importorskip("distributed")
    local = study.sweep(build, GRID, evaluate, tmp_path / "l.sqlite", workers=0, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        res = study.sweep(build, GRID, evaluate, tmp_path / "d.sqlite", scheduler=cluster.scheduler_address,
                          progress=False)  # fmt: skip
    assert _rows(res) == _rows(local)


def test_records_as_a_dataframe(tmp_path):
    res = study.sweep(build, GRID, evaluate, tmp_path / "p.sqlite", workers=0, progress=False)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(sm.SpikemeshError, match="pandas is not installed"):
            res.to_pandas()
    else:
        df = res.to_pandas()
        assert list(df["a"]) == [1, 1, 2, 2, 3, 3] and df["error"].notna().sum() == 1


def test_bad_sweeps_are_named(tmp_path):
    with pytest.raises(sm.ParameterError, match="non-empty dict of lists"):
        study.sweep(build, {}, evaluate, tmp_path / "x.sqlite")
    with pytest.raises(sm.ParameterError, match=r"sweep.grid\['a'\]: must be a non-empty list"):
        study.sweep(build, {"a": []}, evaluate, tmp_path / "x.sqlite")
    with pytest.raises(sm.ParameterError, match="JSON numbers"):
        study.sweep(build, {"a": [object()]}, evaluate, tmp_path / "x.sqlite")
    with pytest.raises(sm.ParameterError, match="is a directory"):
        study.sweep(build, GRID, evaluate, tmp_path)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(sm.StoreError, match="is not an SQLite database or is damaged"):
        study.sweep(build, GRID, evaluate, junk, workers=0)
    with pytest.raises(sm.ParameterError, match="no study store"):
        study.load(tmp_path / "missing.sqlite")
    with pytest.raises(sm.ParameterError, match="workers: must be an integer >= 0"):
        study.sweep(build, GRID, evaluate, tmp_path / "w.sqlite", workers=-1)


def build_chip(point):
    return study.chip_of(point)


def evaluate_chip(chip, point):
    return {"name": chip.name, "flit_bits": chip.timing["flit_bits"], "neurons": chip.core.neurons}


def test_chip_profile_keys_are_grid_axes(tmp_path):
    grid = {"chip": ["loihi2", "loihi"], "loihi2:timing.flit_bits": [32, 64]}
    res = study.sweep(build_chip, grid, evaluate_chip, tmp_path / "c.sqlite", workers=0,
                      progress=False)  # fmt: skip
    got = [(r["chip"], r["loihi2:timing.flit_bits"], r["flit_bits"]) for r in res.records]
    loihi_flits = sm.chips.get("loihi").timing["flit_bits"]
    assert got == [("loihi2", 32, 32), ("loihi2", 64, 64), ("loihi", 32, loihi_flits),
                   ("loihi", 64, loihi_flits)]  # fmt: skip
    assert res.records[1]["name"] == "loihi2[timing.flit_bits=64]"
    with pytest.raises(sm.ProfileError, match="did you mean 'flit_bits'"):
        study.chip_of({"chip": "loihi2", "loihi2:timing.flitbits": 8})


def test_profile_overrides_validate_and_compose():
    c = sm.chips.get("loihi2")
    o = sm.chips.override(sm.chips.override(c, {"timing.flit_bits": 64}), {"core.neurons": 512})
    assert (o.timing["flit_bits"], o.core.neurons, c.core.neurons) == (64, 512, 8192)
    with pytest.raises(sm.ProfileError, match=r"\[core\] neurons = -1: must be an integer >= 1"):
        sm.chips.override(c, {"core.neurons": -1})
    with pytest.raises(sm.ProfileError, match=r"must be 'section\.key'"):
        sm.chips.override(c, {"neurons": 3})


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_breakeven_rows_close_their_own_books():
    """Per (chip, T): E_fixed plus the measured spikes at e_spike is the measured energy, the
    break-even rate brings the SNN to the ANN's energy, and the ANN's energy is its MACs and
    SRAM traffic by hand; TrueNorth takes the widest weights that fit and says when none do."""
    pytest.importorskip("sklearn")
    from spikemesh.study.breakeven import breakeven

    rows = breakeven(chips=("loihi", "truenorth"), timesteps=(1, 2, 8), samples=12)
    by = {(r["chip"], r["timesteps"]): r for r in rows}
    assert [by["truenorth", t].get("weight_bits") for t in (1, 2, 8)] == [4, 3, 4]
    assert "neuron" in by["truenorth", 8]["error"] and "E_snn_J" not in by["truenorth", 8]
    n_units = 64 + 64
    for r in (r for r in rows if "error" not in r):
        assert r["scheme"] == ("copies" if r["chip"] == "truenorth" else "window")
        slots, t = n_units * r["timesteps"], r["timesteps"]
        zs = r["zero_input_rate"] * slots
        assert r["E_fixed_J"] + (r["rate"] * slots - zs) * r["e_spike_J"] == pytest.approx(
            r["E_snn_J"], rel=1e-9)  # fmt: skip
        for rate, fixed, e in (("breakeven_rate", "E_fixed_J", "e_spike_J"),
                               ("breakeven_rate_dynamic", "E_fixed_dynamic_J",
                                "e_spike_dynamic_J")):  # fmt: skip
            assert r[fixed] + (r[rate] * slots - zs) * r[e] == pytest.approx(r["E_ann_J"])
        macs = 64 * 64 + 64 * 10
        pj = macs * (0.23 + r["weight_bits"] * 10 / 64) + 2 * (64 + 64 + 10) * 8 * 10 / 64
        assert r["E_ann_J"] == pytest.approx(pj * 1e-12)
        assert r["activation_bits"] == {1: 1, 2: 2, 8: 4}[t]
        assert 0 < r["static_J"] < r["E_snn_J"]
    tn = by["truenorth", 1]
    assert tn["breakeven_rate_dynamic"] > 0 > tn["breakeven_rate"]  # idle power: never
    assert by["loihi", 1]["breakeven_rate_dynamic"] < 0
