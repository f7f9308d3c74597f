"""The sweep runner and its SQLite store (see :mod:`spikemesh.study`)."""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import json
import math
import os
import sqlite3
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from .. import chips as _chips
from ..exceptions import ParameterError, SpikemeshError, StoreError

__all__ = ["Results", "chip_of", "load", "points", "sweep"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY,      -- canonical JSON of the point
    point TEXT NOT NULL,       -- the point (JSON)
    result TEXT,               -- evaluate()'s dict (JSON), NULL when the point raised
    error TEXT,                -- the exception, NULL when the point finished
    seconds REAL NOT NULL,     -- build + evaluate wall time
    finished REAL NOT NULL     -- time.time() when stored
);
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,      -- a point in progress
    owner TEXT NOT NULL,       -- host:pid:token of the sweep running it
    heartbeat REAL NOT NULL    -- time.time() of the owner's last sign of life
)
"""
_COLUMNS = {
    "points": ["key", "point", "result", "error", "seconds", "finished"],
    "claims": ["key", "owner", "heartbeat"],
}
MAX_POINTS = 10**6  # a grid above this is a typo or a memory bomb (each point is a row)
STALE_S = 30.0  # a claim whose owner has not beaten for this long is taken over
LOCK_WAIT_S = 30.0


def points(grid) -> list[dict]:
    """The grid's points, in order: the Cartesian product of its value lists (the first key
    varies slowest); a list of point dicts is taken as it is (a grid that is not a product)."""
    if isinstance(grid, (list, tuple)) and grid and all(isinstance(p, dict) and p for p in grid):
        for p in grid:
            _key(p, "sweep.grid")
        return [dict(p) for p in grid]
    if not isinstance(grid, dict) or not grid:
        raise ParameterError(
            f"sweep.grid: must be a non-empty dict of lists or a list of point dicts (got {grid!r})"
        )
    for name, values in grid.items():
        if not isinstance(name, str) or not isinstance(values, (list, tuple)) or not values:
            raise ParameterError(
                f"sweep.grid[{name!r}]: must be a non-empty list of values (got {values!r})"
            )
        for v in values:
            _key({name: v}, f"sweep.grid[{name!r}]")
    names = list(grid)
    n = math.prod(len(v) for v in grid.values())
    if n > MAX_POINTS:
        sizes = " x ".join(f"{len(v)} {k}" for k, v in grid.items())
        raise ParameterError(
            f"sweep.grid: {sizes} = {n:,} points, above {MAX_POINTS:,}; split the study or give "
            "a list of the points you want"
        )
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def chip_of(point: dict, key: str = "chip"):
    """The chip profile of a grid point: ``point[key]`` (a shipped name or a .toml path) with
    every ``"<that chip>:section.key"`` entry of the point applied as a profile override
    (:func:`spikemesh.chips.override`), so architecture exploration is a grid axis too::

        grid = {"chip": ["loihi2"], "loihi2:timing.flit_bits": [32, 64, 128]}
    """
    if key not in point:
        raise ParameterError(f"study.chip_of: the point has no {key!r} entry ({point})")
    name = point[key]
    changes = {k.split(":", 1)[1]: v for k, v in point.items()
               if isinstance(k, str) and k.startswith(f"{name}:")}  # fmt: skip
    return _chips.override(name, changes) if changes else _chips.get(name)


def _key(point: dict, owner: str) -> str:
    try:
        return json.dumps(point, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ParameterError(
            f"{owner}: values must be JSON numbers, strings, booleans, None or lists of them "
            f"({err})"
        ) from None


def _store_error(path, err, doing: str) -> StoreError:
    """One line for an sqlite3 or OS error on the store, saying what to do."""
    text = str(err).lower()
    where = f"study store {str(path)!r}"
    if isinstance(err, OSError) and not isinstance(err, sqlite3.Error):
        return StoreError(f"{where}: cannot {doing} ({err.strerror or err}); choose a folder "
                          "you can write, or fix its permissions")  # fmt: skip
    if "readonly" in text or "read-only" in text or "attempt to write" in text:
        return StoreError(f"{where}: is read-only, cannot {doing}; make it writable or copy it "
                          "(study.load reads a read-only store)")  # fmt: skip
    if "locked" in text or "busy" in text:
        return StoreError(f"{where}: locked by another program for {LOCK_WAIT_S:.0f} s, cannot "
                          f"{doing}; wait for it or use another store")  # fmt: skip
    if "full" in text or "too big" in text or "disk i/o" in text:
        return StoreError(f"{where}: could not grow (disk full or a file-size limit), cannot "
                          f"{doing}; every point stored before is kept: free space and run "
                          "the same sweep again to resume")  # fmt: skip
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(f"{where}: is not an SQLite database or is damaged ({err}); it was "
                          "not changed: move it away or name another store")  # fmt: skip
    if "unable to open" in text:
        return StoreError(f"{where}: cannot be opened ({err}); check the folder exists and "
                          "you may write it")  # fmt: skip
    return StoreError(f"{where}: cannot {doing} ({type(err).__name__}: {err})")


def _connect(store, write: bool = True) -> sqlite3.Connection:
    """The store, checked: its folder made (write), an existing file opened read-only when
    only read, another program's database or a damaged file refused before anything is
    written. Every failure is one :class:`StoreError` line."""
    path = Path(store)
    if path.is_dir():
        raise ParameterError(f"sweep.store: {str(path)!r} is a directory; give a file name")
    try:
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
        exists = path.exists()
        if write and exists and not os.access(path, os.W_OK):
            raise StoreError(f"study store {str(path)!r}: is read-only, cannot store points; "
                             "make it writable or copy it (study.load reads a read-only "
                             "store)")  # fmt: skip
        if write and not exists and not os.access(path.parent, os.W_OK):
            raise StoreError(f"study store {str(path)!r}: its folder is read-only, cannot "
                             "create it; choose a folder you can write")  # fmt: skip
    except OSError as err:
        raise _store_error(path, err, "create its folder") from None
    try:
        if write:
            con = sqlite3.connect(path, timeout=LOCK_WAIT_S)
        else:
            con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                  timeout=LOCK_WAIT_S)  # fmt: skip
        tables = {r[0]: r[1] for r in con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'")}  # fmt: skip
        for name, cols in _COLUMNS.items():
            if name in tables:
                have = [r[1] for r in con.execute(f"PRAGMA table_info({name})")]
                if have != cols:
                    con.close()
                    raise StoreError(
                        f"study store {str(path)!r}: holds a table {name!r} that is not "
                        f"spikemesh's (columns {have}); it was not changed: name another store"
                    )
        if tables and "points" not in tables:
            con.close()
            raise StoreError(
                f"study store {str(path)!r}: is another program's database (tables "
                f"{', '.join(sorted(tables))}); it was not changed: name another store"
            )
        if write:
            con.executescript(_SCHEMA)
        elif "claims" not in tables:
            pass  # an older store: no claims table, nothing in progress
    except sqlite3.Error as err:
        raise _store_error(path, err, "open it") from None
    return con


def _run_point(build, evaluate, point: dict) -> tuple[dict | None, str | None, float]:
    """Build and evaluate one point (in a worker): (result, error, seconds)."""
    t0 = time.perf_counter()
    try:
        result = evaluate(build(point), point)
        if not isinstance(result, dict):
            raise TypeError(f"evaluate must return a dict (got {type(result).__name__})")
        _key(result, "evaluate's result")
        return result, None, time.perf_counter() - t0
    except Exception as err:  # stored with the point; the sweep goes on
        text = "".join(traceback.format_exception_only(type(err), err)).strip()
        return None, text, time.perf_counter() - t0


@dataclass(frozen=True)
class Results:
    """A study's stored rows: ``records`` is one dict per point (the point's values, then its
    results, plus ``error`` (None when it finished) and ``seconds``), in grid order."""

    records: list
    store: str

    @property
    def ok(self) -> list:
        """Records of the points that finished."""
        return [r for r in self.records if r["error"] is None]

    @property
    def errors(self) -> list:
        return [r for r in self.records if r["error"] is not None]

    def to_pandas(self):
        """The records as a pandas DataFrame (pandas is optional: ``pip install pandas``)."""
        try:
            import pandas as pd
        except ImportError:
            raise SpikemeshError(
                "Results.to_pandas: pandas is not installed (pip install pandas); "
                "Results.records holds the same rows as dicts"
            ) from None
        return pd.DataFrame.from_records(self.records)


def load(store, grid: dict | None = None) -> Results:
    """The rows of ``store`` (all of them, or the points of ``grid`` in grid order)."""
    if not Path(store).is_file():
        raise ParameterError(f"study.load: no study store at {str(store)!r}")
    con = _connect(store, write=False)
    try:
        rows = {k: (p, r, e, s) for k, p, r, e, s in
                con.execute("SELECT key, point, result, error, seconds FROM points ORDER BY rowid")}  # fmt: skip
    except sqlite3.Error as err:
        raise _store_error(store, err, "read it") from None
    finally:
        con.close()
    keys = [_key(p, "grid") for p in points(grid)] if grid is not None else list(rows)
    records = []
    for k in keys:
        if k not in rows:
            continue
        p, r, e, s = rows[k]
        try:
            records.append({**json.loads(p), **(json.loads(r) if r else {}), "error": e,
                            "seconds": s})  # fmt: skip
        except (TypeError, ValueError) as err:
            raise StoreError(f"study store {str(store)!r}: the row of point {k} is not JSON "
                             f"({err}); the store is damaged: delete that row or rerun it "
                             "into a new store") from None  # fmt: skip
    return Results(records, str(store))


def sweep(build, grid: dict, evaluate, store="study.sqlite", *, workers: int | None = None,
          scheduler=None, retry_errors: bool = False, progress: bool = True) -> Results:  # fmt: skip
    """Evaluate ``evaluate(build(point), point)`` at every point of ``grid``, storing each
    finished point in the SQLite file ``store``; returns :func:`load` of the grid's rows.

    Parameters
    ----------
    build, evaluate : callables
        Module-level functions (they are sent to worker processes). ``evaluate`` returns a dict
        of JSON-serializable values.
    workers : int, optional
        Worker processes (default: the machine's cores); 0 runs the points in this process.
    scheduler : str or distributed.Client, optional
        Run the points on a Dask cluster instead (the ``dist`` extra).
    retry_errors : bool
        Run again the points stored with an error (default: keep their error).
    progress : bool
        A tqdm progress bar on stderr (when tqdm is installed).

    Raises
    ------
    SpikemeshError
        A worker process died (e.g. killed); everything finished before is stored, and running
        the same sweep again resumes.
    """
    if not (callable(build) and callable(evaluate)):
        raise ParameterError("sweep: build and evaluate must be callables")
    todo_all = points(grid)
    workers = (os.cpu_count() or 1) if workers is None else workers
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
        raise ParameterError(f"sweep.workers: must be an integer >= 0 (got {workers!r})")
    con = _connect(store)
    book = _Book(con, store, todo_all, retry_errors)
    try:
        bar = _bar(len(todo_all), len(todo_all) - book.left(), progress)

        def record(point, out):
            book.record(point, out)
            if bar is not None:
                bar.update(1)

        try:
            if scheduler is not None:
                _run_dask(scheduler, build, evaluate, book, record)
            elif workers == 0:
                while (p := book.next()) is not None:
                    record(p, _run_point(build, evaluate, p))
            else:
                _run_pool(workers, build, evaluate, book, record)
        finally:
            if bar is not None:
                bar.close()
    finally:
        book.close()
    return load(store, grid)


def _alive(owner: str) -> bool:
    """False when the claim's owner was a process on this machine that no longer exists (its
    claims are taken over at once); True otherwise (other machines: the heartbeat decides)."""
    import socket

    host, _, rest = owner.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Book:
    """The store's bookkeeping for one sweep: which points are finished, which another live
    sweep is running (``claims``: owner and heartbeat), and claiming the next one, so sweeps
    on one store share the points and never compute one twice. A heartbeat thread keeps this
    sweep's claims alive; a claim whose owner stopped beating for ``STALE_S`` is taken over."""

    def __init__(self, con, store, todo, retry_errors: bool) -> None:
        import secrets
        import socket
        import threading

        self.con, self.store = con, store
        self.order = [(_key(p, "grid"), p) for p in todo]
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.retry = set()
        if retry_errors:
            self.retry = {k for (k,) in self._q("SELECT key FROM points WHERE error IS NOT NULL")}
        self.redone: set = set()
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, daemon=True)
        self._beat.start()

    def _q(self, sql, args=(), doing="read it"):
        try:
            return list(self.con.execute(sql, args))
        except sqlite3.Error as err:
            raise _store_error(self.store, err, doing) from None

    def _finished(self) -> set:
        return {k for (k,) in self._q("SELECT key FROM points")} - (self.retry - self.redone)

    def left(self) -> int:
        fin = self._finished()
        return sum(k not in fin for k, _ in self.order)

    def next(self, wait: bool = True):
        """Claim the next point nobody has finished or is running (None: all done). With
        ``wait``, points another live sweep runs are waited for (and taken over if it dies)."""
        while True:
            now = time.time()
            try:
                self.con.execute("BEGIN IMMEDIATE")
                fin = self._finished()
                live = {k for k, owner in self.con.execute(
                    "SELECT key, owner FROM claims WHERE heartbeat > ? AND owner != ?",
                    (now - STALE_S, self.owner)) if _alive(owner)}  # fmt: skip
                mine = {k for (k,) in self.con.execute(
                    "SELECT key FROM claims WHERE owner = ?", (self.owner,))}  # fmt: skip
                for k, p in self.order:
                    if k not in fin and k not in live and k not in mine:
                        self.con.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?)",
                                         (k, self.owner, now))  # fmt: skip
                        self.con.commit()
                        return p
                self.con.commit()
            except sqlite3.Error as err:
                self._rollback()
                raise _store_error(self.store, err, "claim a point") from None
            if not wait or not any(k not in fin and k in live for k, _ in self.order):
                return None
            time.sleep(0.25)  # another sweep runs the rest: wait for it (or for its death)

    def record(self, point, out) -> None:
        result, error, seconds = out
        k = _key(point, "grid")
        try:
            self.con.execute(
                "INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?)",
                (k, json.dumps(point), None if result is None else json.dumps(result), error,
                 seconds, time.time()),
            )  # fmt: skip
            self.con.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (k, self.owner))
            self.con.commit()
        except sqlite3.Error as err:
            self._rollback()
            raise _store_error(self.store, err, "store a finished point") from None
        self.redone.add(k)

    def _rollback(self) -> None:
        try:
            self.con.rollback()
        except sqlite3.Error:
            pass

    def _heartbeat(self) -> None:
        try:
            con = sqlite3.connect(self.store, timeout=LOCK_WAIT_S)
        except sqlite3.Error:
            return
        try:
            while not self._stop.wait(min(5.0, STALE_S / 4)):
                try:
                    con.execute("UPDATE claims SET heartbeat = ? WHERE owner = ?",
                                (time.time(), self.owner))  # fmt: skip
                    con.commit()
                except sqlite3.Error:
                    pass  # the main connection reports store faults
        finally:
            con.close()

    def close(self) -> None:
        self._stop.set()
        self._beat.join(timeout=10)
        try:
            self.con.execute("DELETE FROM claims WHERE owner = ?", (self.owner,))
            self.con.commit()
        except sqlite3.Error:
            pass  # a store that cannot be written: its claims go stale and are taken over
        finally:
            self.con.close()


def _bar(total: int, initial: int, progress: bool):
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, desc="sweep", unit="point")


def _worker_init() -> None:
    """A sweep worker: one BLAS/OpenMP thread (the pool already has one process per core), and
    it ends with its parent (killed or not)."""
    import signal
    import threading

    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    if hasattr(os, "getppid"):
        parent = os.getppid()
        try:  # Linux: the kernel kills this worker when the parent dies
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except Exception:
            pass

        def watchdog():
            while True:
                time.sleep(1.0)
                if os.getppid() != parent:
                    os._exit(1)

        threading.Thread(target=watchdog, daemon=True).start()


def _run_pool(workers, build, evaluate, book, record) -> None:
    pool = cf.ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)
    futures: dict = {}
    try:
        while True:
            while len(futures) < workers and (p := book.next(wait=False)) is not None:
                futures[pool.submit(_run_point, build, evaluate, p)] = p
            if not futures:
                p = book.next(wait=True)  # the rest runs elsewhere: wait, or take it over
                if p is None:
                    break
                futures[pool.submit(_run_point, build, evaluate, p)] = p
            done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                record(futures.pop(fut), fut.result())
    except cf.process.BrokenProcessPool:
        raise SpikemeshError(
            "sweep: a worker process died (killed, or out of memory); every point finished "
            "before is stored; run the same sweep again to resume"
        ) from None
    finally:
        for f in futures:
            f.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(scheduler, build, evaluate, book, record) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SpikemeshError(
            "sweep(scheduler=...): Dask is not installed; pip install 'spikemesh[dist]'"
        ) from None
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        while True:
            todo = []
            while (p := book.next(wait=not todo)) is not None:
                todo.append(p)
                if len(todo) >= 1024:
                    break
            if not todo:
                break
            futures = {client.submit(_run_point, build, evaluate, p, pure=False): i
                       for i, p in enumerate(todo)}  # fmt: skip
            for fut in as_completed(futures):
                record(todo[futures[fut]], fut.result())
    finally:
        if client is not scheduler:
            client.close()
