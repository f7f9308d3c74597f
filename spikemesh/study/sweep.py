"""The sweep runner and its SQLite store (see :mod:`spikemesh.study`)."""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import json
import os
import sqlite3
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from .. import chips as _chips
from ..exceptions import ParameterError, SpikemeshError

__all__ = ["Results", "chip_of", "load", "points", "sweep"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY,      -- canonical JSON of the point
    point TEXT NOT NULL,       -- the point (JSON)
    result TEXT,               -- evaluate()'s dict (JSON), NULL when the point raised
    error TEXT,                -- the exception, NULL when the point finished
    seconds REAL NOT NULL,     -- build + evaluate wall time
    finished REAL NOT NULL     -- time.time() when stored
)
"""


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


def _connect(store) -> sqlite3.Connection:
    path = Path(store)
    if path.is_dir():
        raise ParameterError(f"sweep.store: {str(path)!r} is a directory; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = sqlite3.connect(path)
        con.execute(_SCHEMA)
    except sqlite3.DatabaseError as err:
        raise ParameterError(
            f"sweep.store: {str(path)!r} is not a spikemesh study store ({err})"
        ) from None
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
    con = _connect(store)
    try:
        rows = {k: (p, r, e, s) for k, p, r, e, s in
                con.execute("SELECT key, point, result, error, seconds FROM points ORDER BY rowid")}  # fmt: skip
    finally:
        con.close()
    keys = [_key(p, "grid") for p in points(grid)] if grid is not None else list(rows)
    records = []
    for k in keys:
        if k not in rows:
            continue
        p, r, e, s = rows[k]
        records.append({**json.loads(p), **(json.loads(r) if r else {}), "error": e, "seconds": s})
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
    if not isinstance(workers, int) or workers < 0:
        raise ParameterError(f"sweep.workers: must be an integer >= 0 (got {workers!r})")
    con = _connect(store)
    try:
        done = {k: e for k, e in con.execute("SELECT key, error FROM points")}
        todo = [p for p in todo_all
                if (k := _key(p, "grid")) not in done or (retry_errors and done[k] is not None)]  # fmt: skip
        bar = _bar(len(todo_all), len(todo_all) - len(todo), progress)

        def record(point, out):
            result, error, seconds = out
            con.execute(
                "INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?)",
                (_key(point, "grid"), json.dumps(point), None if result is None else json.dumps(result),
                 error, seconds, time.time()),
            )  # fmt: skip
            con.commit()
            if bar is not None:
                bar.update(1)

        try:
            if scheduler is not None:
                _run_dask(scheduler, build, evaluate, todo, record)
            elif workers == 0:
                for p in todo:
                    record(p, _run_point(build, evaluate, p))
            else:
                _run_pool(workers, build, evaluate, todo, record)
        finally:
            if bar is not None:
                bar.close()
    finally:
        con.close()
    return load(store, grid)


def _bar(total: int, initial: int, progress: bool):
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, desc="sweep", unit="point")


def _run_pool(workers, build, evaluate, todo, record) -> None:
    with cf.ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_run_point, build, evaluate, p): p for p in todo}
        try:
            for fut in cf.as_completed(futures):
                record(futures[fut], fut.result())
        except cf.process.BrokenProcessPool:
            for f in futures:
                f.cancel()
            raise SpikemeshError(
                "sweep: a worker process died (killed, or out of memory); every point finished "
                "before is stored; run the same sweep again to resume"
            ) from None


def _run_dask(scheduler, build, evaluate, todo, record) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SpikemeshError(
            "sweep(scheduler=...): Dask is not installed; pip install 'spikemesh[dist]'"
        ) from None
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = {client.submit(_run_point, build, evaluate, p, pure=False): i
                   for i, p in enumerate(todo)}  # fmt: skip
        for fut in as_completed(futures):
            record(todo[futures[fut]], fut.result())
    finally:
        if client is not scheduler:
            client.close()
