"""Studies: sweep a grid of configurations, one stored row per finished point.

::

    def build(point):                 # a picklable, module-level function
        return sm.convert.to_snn(sm.convert.quantize(layers, X, weight_bits=point["weight_bits"],
                                                     spike_bits=point["spike_bits"]), point["chip"])

    def evaluate(snn, point):         # -> a dict of numbers / strings
        out = snn.infer(X_test)
        return {"accuracy": float((out.predictions == y_test).mean())}

    res = sm.study.sweep(build, {"weight_bits": [2, 4, 8], "spike_bits": [1, 2, 4],
                                 "chip": ["loihi2"]}, evaluate, store="digits.sqlite")
    res.records                       # one dict per point: the point, its results or its error

Every finished point is written to the SQLite store (the standard library's ``sqlite3``) as it
finishes, by the parent process: a sweep that is interrupted (Ctrl-C, a killed worker, a crash)
is resumed by running it again with the same store, and recomputes nothing it finished. A point
that raises is stored with its error and the sweep goes on (``retry_errors=True`` runs such
points again). Points run in worker processes (``concurrent.futures``) by default, or on a Dask
cluster (``scheduler=`` an address or a ``distributed.Client``; the ``dist`` extra).
Chip-profile keys are grid axes too: ``{"chip": ["loihi2"], "loihi2:timing.flit_bits": [32,
64]}`` with :func:`chip_of` in ``build``.
"""

from .sweep import Results, chip_of, load, points, sweep

__all__ = ["Results", "chip_of", "load", "points", "sweep"]
