"""The study store under faults: a sweep killed with SIGKILL, two sweeps on one store, a
read-only store, a corrupt or truncated one, another program's database, a file-size limit.
Nothing stored is lost or touched, nothing is computed twice, each fault is one StoreError
line (the CLI prints it as one line)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import spikemesh as sm
from spikemesh import study

ROOT = Path(__file__).resolve().parents[2]
GRID = {"a": list(range(6)), "b": ["x", "y"]}  # 12 points


def slow_build(point):
    """Logs each call (file per point under $SWEEP_LOG, one '.' per call, and the worker's
    pid) and takes $SWEEP_SLEEP seconds."""
    log = Path(os.environ["SWEEP_LOG"])
    with open(log / f"{point['a']}{point['b']}", "a") as f:
        f.write(".")
    with open(log / f"pid{os.getpid()}", "w") as f:
        f.write("")
    time.sleep(float(os.environ.get("SWEEP_SLEEP", "0")))
    return point["a"]


def evaluate(built, point):
    return {"score": built * 10 + len(point["b"]), "pad": "x" * int(os.environ.get("SWEEP_PAD", 0))}


def _calls(log: Path) -> dict:
    return {p.name: len(p.read_text()) for p in log.iterdir() if not p.name.startswith("pid")}


def _sweep_process(store, log, workers=1, sleep=0.0, fsize=None, pad=0):
    code = (
        "import resource, sys\n"
        + (f"resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize}))\n" if fsize else "")
        + "from spikemesh import study\n"
        "from tests.study.test_store_faults import GRID, slow_build, evaluate\n"
        f"res = study.sweep(slow_build, GRID, evaluate, {str(store)!r}, workers={workers}, "
        "progress=False)\n"
        "print(len(res.records))\n"
    )
    env = {**os.environ, "SWEEP_LOG": str(log), "SWEEP_SLEEP": str(sleep),
           "SWEEP_PAD": str(pad), "PYTHONPATH": str(ROOT)}  # fmt: skip
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _rows(store) -> list:
    con = sqlite3.connect(store)
    try:
        return list(con.execute("SELECT key FROM points"))
    finally:
        con.close()


def _rows_so_far(store) -> list:
    """The rows a running sweep has stored; none while it has yet to create its tables
    (the file exists a moment before the schema does)."""
    if not store.exists():
        return []
    try:
        return _rows(store)
    except sqlite3.OperationalError as e:
        if "no such table" not in str(e):
            raise
        return []


def test_sigkill_mid_sweep_loses_nothing_and_leaves_no_worker(tmp_path, monkeypatch):
    log = tmp_path / "log"
    log.mkdir()
    store = tmp_path / "k.sqlite"
    proc = _sweep_process(store, log, workers=2, sleep=0.4)
    deadline = time.time() + 60
    while time.time() < deadline and len(_rows_so_far(store)) < 3:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    stored = {k for (k,) in _rows(store)}
    assert 3 <= len(stored) < 12
    pids = [int(p.name[3:]) for p in log.iterdir() if p.name.startswith("pid")]
    time.sleep(2.5)  # the workers' parent-death signal / watchdog
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    assert not alive, f"workers outlived the killed sweep: {alive}"
    monkeypatch.setenv("SWEEP_LOG", str(log))
    monkeypatch.setenv("SWEEP_SLEEP", "0")
    t0 = time.time()
    res = study.sweep(slow_build, GRID, evaluate, store, workers=2, progress=False)
    assert time.time() - t0 < 20  # the dead sweep's claims are taken over at once
    assert len(res.ok) == 12 and len(_rows(store)) == 12
    calls = _calls(log)
    for key in stored:  # a point stored before the kill is never computed again
        p = json.loads(key)
        assert calls[f"{p['a']}{p['b']}"] == 1, (key, calls)
    assert all(calls[f"{a}{b}"] <= 2 for a in range(6) for b in "xy")  # in flight: at most again


def test_two_concurrent_sweeps_share_the_points(tmp_path):
    log = tmp_path / "log"
    log.mkdir()
    store = tmp_path / "two.sqlite"
    a = _sweep_process(store, log, workers=1, sleep=0.2)
    b = _sweep_process(store, log, workers=1, sleep=0.2)
    outs = [p.communicate(timeout=120) for p in (a, b)]
    assert [p.returncode for p in (a, b)] == [0, 0], outs
    assert [o[0].strip() for o in outs] == ["12", "12"]  # each returns the whole grid
    calls = _calls(log)
    assert len(calls) == 12 and set(calls.values()) == {1}, calls  # nothing computed twice
    pids = {p.name for p in log.iterdir() if p.name.startswith("pid")}
    assert len(pids) == 2  # both did part of the work


def _make_read_only(path: Path) -> bool:
    if os.geteuid() != 0:
        path.chmod(0o444)
        return True
    r = subprocess.run(["chattr", "+i", str(path)], capture_output=True)  # root ignores modes
    return r.returncode == 0


def test_read_only_store(tmp_path):
    store = tmp_path / "ro.sqlite"
    study.sweep(slow_build_free, {"a": [1]}, evaluate_free, store, workers=0, progress=False)
    before = store.read_bytes()
    if not _make_read_only(store):
        pytest.skip("cannot make a file read-only here (root without chattr)")
    try:
        with pytest.raises(sm.StoreError, match=r"is read-only, cannot store points"):
            study.sweep(slow_build_free, {"a": [1, 2]}, evaluate_free, store, workers=0,
                        progress=False)  # fmt: skip
        assert len(study.load(store).records) == 1  # reading a read-only store works
    finally:
        subprocess.run(["chattr", "-i", str(store)], capture_output=True)
        store.chmod(0o644)
    assert store.read_bytes() == before


def slow_build_free(point):
    return point["a"]


def evaluate_free(built, point):
    return {"v": built}


@pytest.mark.parametrize("damage", ["junk", "truncated", "foreign", "foreign_points"])
def test_corrupt_truncated_and_foreign_stores_are_named_and_untouched(tmp_path, damage):
    store = tmp_path / "s.sqlite"
    if damage == "junk":
        store.write_bytes(b"definitely not sqlite " * 200)
        match = r"is not an SQLite database or is damaged"
    elif damage == "truncated":
        study.sweep(slow_build_free, {"a": list(range(400))}, evaluate_free, store, workers=0,
                    progress=False)  # fmt: skip
        data = store.read_bytes()
        store.write_bytes(data[: len(data) // 2])
        match = r"is not an SQLite database or is damaged|malformed"
    else:
        con = sqlite3.connect(store)
        if damage == "foreign":
            con.execute("CREATE TABLE invoices (id INTEGER, amount REAL)")
            match = r"is another program's database \(tables invoices\)"
        else:
            con.execute("CREATE TABLE points (id INTEGER)")
            match = r"holds a table 'points' that is not spikemesh's"
        con.commit()
        con.close()
    before = store.read_bytes()
    with pytest.raises(sm.StoreError, match=match):
        study.sweep(slow_build_free, {"a": [1, 2]}, evaluate_free, store, workers=0,
                    progress=False)  # fmt: skip
    with pytest.raises(sm.StoreError):
        study.load(store)
    assert store.read_bytes() == before
    err = subprocess.run([sys.executable, "-m", "spikemesh.cli", "plot", str(store)], cwd=ROOT,
                         capture_output=True, text=True).stderr  # fmt: skip
    assert err.count("\n") == 1 and err.startswith("spikemesh: error: study store"), err


def test_a_file_size_limit_stops_the_sweep_with_one_line_and_keeps_what_was_stored(
    tmp_path, monkeypatch
):
    log = tmp_path / "log"
    log.mkdir()
    store = tmp_path / "f.sqlite"
    study.sweep(slow_build_free, {"a": [0]}, evaluate_free, store, workers=0, progress=False)
    size = store.stat().st_size
    proc = _sweep_process(store, log, workers=0, fsize=size + 8192, pad=3000)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    last = err.strip().splitlines()[-1]
    assert "StoreError" in last and "could not grow (disk full or a file-size limit)" in last
    rows = _rows(store)
    assert 1 <= len(rows) < 13  # the first store's point and whatever fitted
    monkeypatch.setenv("SWEEP_LOG", str(log))
    res = study.sweep(slow_build, GRID, evaluate, store, workers=0, progress=False)  # resumes
    assert len(res.ok) == 12


def test_a_store_killed_before_its_tables_were_made_is_resumed(tmp_path):
    # a sweep killed between creating the file and creating its schema leaves an empty
    # SQLite file (or a zero-byte one); the next sweep makes the tables and runs every point
    for make in ("zero-byte", "no tables"):
        store = tmp_path / f"{make}.sqlite"
        if make == "zero-byte":
            store.touch()
        else:
            sqlite3.connect(store).close()
        res = study.sweep(slow_build_free, {"a": [1, 2]}, evaluate_free, store, workers=0,
                          progress=False)  # fmt: skip
        assert len(res.ok) == 2 and len(_rows(store)) == 2
