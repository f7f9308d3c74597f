"""Placement policies: which physical core runs each core program.

A policy is a small object with a ``name`` and ``place(chip, traffic) -> core ids``, where
``traffic[i, j]`` (int32) counts route entries (axon events per spike) from program i to
program j.
Pass an instance, or its name, as ``map_network(..., allocator=)``.
"""

from __future__ import annotations

import numpy as np

from ..chips import ChipProfile

__all__ = ["ALLOCATORS", "Greedy", "Sequential"]


class Sequential:
    """Core program k on physical core k (a baseline)."""

    name = "sequential"

    def place(self, chip: ChipProfile, traffic: np.ndarray) -> np.ndarray:
        return np.arange(traffic.shape[0], dtype=np.int64)


class Greedy:
    """The busiest program first, then the one most connected to those placed; each takes the
    free core minimizing traffic x hops to its placed neighbours, ties toward the origin."""

    name = "greedy"

    def place(self, chip: ChipProfile, traffic: np.ndarray) -> np.ndarray:
        mesh = chip.mesh
        n = traffic.shape[0]
        pos = np.array([mesh.core_position(k)[:2] for k in range(mesh.n_cores)], np.int64)
        sym = traffic + traffic.T
        np.fill_diagonal(sym, 0)
        free = np.ones(mesh.n_cores, bool)
        placed = np.full(n, -1, np.int64)
        avail = np.ones(n, bool)
        pull = np.zeros(n, np.int64)
        deg = sym.sum(axis=1)
        order = []
        for _ in range(n):  # max pull, then max degree, then min index
            cand = np.flatnonzero(avail)
            cand = cand[pull[cand] == pull[cand].max()]
            nxt = int(cand[np.argmax(deg[cand])])
            order.append(nxt)
            avail[nxt] = False
            pull += sym[nxt]
        origin = pos.sum(axis=1)  # tie-break toward the mesh origin keeps the layout compact
        for i in order:
            nb = np.flatnonzero((sym[i] > 0) & (placed >= 0))
            cost = np.zeros(mesh.n_cores, np.float64)
            if nb.size:
                d = np.abs(pos[:, None, :] - pos[placed[nb]][None, :, :]).sum(axis=2)
                cost = d @ sym[i, nb].astype(np.float64)
            cost = cost * (mesh.n_cores * 4) + origin  # traffic first, then compactness
            cost[~free] = np.inf
            k = int(np.argmin(cost))
            placed[i] = k
            free[k] = False
        return placed


ALLOCATORS = {"greedy": Greedy, "sequential": Sequential}
"""Placement policies by name."""
