"""Figures (matplotlib, the ``plot`` extra): studies, energy, the mesh, spikes and cycles.

Every function takes plain results (study records, an :class:`~spikemesh.energy.EnergyReport`,
a :class:`~spikemesh.SimulationResult`), returns the matplotlib ``Figure`` and, given ``path``,
writes it there (PNG at 150 dpi unless the suffix says otherwise). Without a display the
non-interactive Agg backend is used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from .exceptions import ParameterError, SpikemeshError

__all__ = [
    "accuracy_energy",
    "cycles_per_step",
    "energy_breakdown",
    "energy_estimates",
    "mesh_traffic",
    "pareto_front",
    "raster",
]

MODELS = ("chip", "synops", "bitbudget", "ann")
_MODEL_LABEL = {"chip": "chip event model", "synops": "SynOps estimate",
                "bitbudget": "Bit Budget", "ann": "ANN equivalent"}  # fmt: skip


def _plt():
    try:
        import matplotlib
    except ImportError:
        raise SpikemeshError(
            "spikemesh.plot: matplotlib is not installed (pip install 'spikemesh[plot]')"
        ) from None
    if not os.environ.get("DISPLAY") and matplotlib.get_backend().lower() not in ("agg", "pdf"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=150)
    return fig


def _need(records, *keys):
    if not records:
        raise ParameterError("plot: no records to draw")
    for k in keys:
        if not any(k in r for r in records):
            raise ParameterError(
                f"plot: the records have no {k!r} field (fields: {', '.join(records[0])})"
            )


def pareto_front(energy: np.ndarray, accuracy: np.ndarray, rtol: float = 0.0) -> np.ndarray:
    """Indices of the points no other point beats (lower energy, higher accuracy), by
    increasing energy. With ``rtol``, energies within that relative distance count as equal: a
    point is dominated by one at least as accurate that costs at most ``(1 + rtol)`` times as
    much (TrueNorth's static-power-bound points differ by 0.01 %: one front point, not a
    vertical line)."""
    e, a = np.asarray(energy, float), np.asarray(accuracy, float)
    out = []
    for i in range(len(e)):
        better = (a >= a[i]) & (e <= e[i] * (1 + rtol)) & ((a > a[i]) | (e < e[i] / (1 + rtol)))
        better[i] = False
        if not better.any():
            out.append(i)
    # ties (same energy and accuracy): keep one
    seen, keep = set(), []
    for i in sorted(out, key=lambda k: (e[k], -a[k])):
        if (e[i], a[i]) not in seen:
            seen.add((e[i], a[i]))
            keep.append(i)
    return np.array(keep, np.int64)


def accuracy_energy(records, *, energy: str = "energy_chip_J", accuracy: str = "accuracy",
                    group: str = "chip", label: str | None = None, title: str | None = None,
                    path=None):  # fmt: skip
    """Accuracy against energy per inference, one colour per ``group`` value, with each
    group's Pareto front; ``label`` names a field printed beside the front's points."""
    plt = _plt()
    ok = [r for r in records if r.get("error") is None]
    _need(ok, energy, accuracy)
    rows = [r for r in ok if energy in r and accuracy in r]
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    markers = "os^Dv<>p"
    groups = sorted({str(r.get(group)) for r in rows})
    for k, g in enumerate(groups):
        sub = [r for r in rows if str(r.get(group)) == g]
        e = np.array([r[energy] for r in sub], float)
        a = np.array([r[accuracy] for r in sub], float) * 100
        color = f"C{k}"
        mk = markers[k % len(markers)]
        ax.plot(e, a, mk, mfc="none", mec=color, ms=6 + 2 * (len(groups) - 1 - k), mew=1.2,
                ls="none", label=f"{g}: {len(sub)} configurations")  # fmt: skip
        front = pareto_front(e, a, rtol=0.01)
        style = "-" if len(front) > 1 else "none"
        ax.plot(e[front], a[front], ls=style, marker=mk, color=color, lw=2, ms=5,
                label=f"{g}: Pareto front ({len(front)})")  # fmt: skip
        if label:
            for i in front:
                ax.annotate(str(sub[i].get(label)), (e[i], a[i]), textcoords="offset points",
                            xytext=(4, 3), fontsize=7, color=color)  # fmt: skip
    ax.set_xscale("log")
    model = energy.removeprefix("energy_").removesuffix("_J")
    ax.set_xlabel(f"energy per inference (J, {_MODEL_LABEL.get(model, energy)})")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title or "Accuracy against energy per inference", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _finish(fig, path)


def energy_estimates(records, *, label: str = "config", prefix: str = "energy_",
                     suffix: str = "_J", title: str | None = None, path=None):  # fmt: skip
    """The four energy models side by side per configuration (one group of bars per record,
    log scale): where the conventional estimates and the chip's own model disagree."""
    plt = _plt()
    rows = [r for r in records if r.get("error") is None]
    keys = [m for m in MODELS if any(f"{prefix}{m}{suffix}" in r for r in rows)]
    if not keys:
        raise ParameterError(f"plot.energy_estimates: no {prefix}<model>{suffix} fields")
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(rows) + 2), 4.6))
    x = np.arange(len(rows))
    w = 0.8 / len(keys)
    for k, m in enumerate(keys):
        vals = [r.get(f"{prefix}{m}{suffix}", np.nan) for r in rows]
        ax.bar(x + (k - (len(keys) - 1) / 2) * w, vals, w, label=_MODEL_LABEL[m])
    ax.set_xticks(x, [str(r.get(label, i)) for i, r in enumerate(rows)], rotation=45,
                  ha="right", fontsize=8)  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylabel("energy per inference (J)")
    ax.set_title(title or "Four energy estimates per configuration", fontsize=10)
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _finish(fig, path)


def energy_breakdown(report, *, models=MODELS, title: str | None = None, path=None):
    """Energy by component under each model of an :class:`~spikemesh.energy.EnergyReport`:
    one bar per model showing each component's share, the model's total written above it
    (totals differ by orders of magnitude, shares stay readable on a linear axis)."""
    plt = _plt()
    models = [m for m in models if m in report.models]
    if not models:
        raise ParameterError(f"plot.energy_breakdown: the report has none of the models {MODELS}")
    fig, ax = plt.subplots(figsize=(8, 4.8))
    comps = sorted({c for m in models for c in report.components(m)})
    cmap = plt.get_cmap("tab20")
    shade = [cmap(2 * j % 20 + (2 * j // 20) % 2) for j in range(len(comps))]  # dark ones first
    seen = set()
    for i, m in enumerate(models):
        parts = report.components(m)
        total = sum(parts.values())
        bottom = 0.0
        for j, c in enumerate(comps):
            v = parts.get(c, 0.0)
            if v > 0 and total > 0:
                share = 100 * v / total
                ax.bar(i, share, bottom=bottom, color=shade[j], width=0.6,
                       label=None if c in seen else c)  # fmt: skip
                seen.add(c)
                if share >= 6:
                    ax.text(i, bottom + share / 2, f"{c}\n{share:.0f}%", ha="center",
                            va="center", fontsize=7)  # fmt: skip
                bottom += share
        from .energy import _fmt

        ax.text(i, 101, _fmt(total), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(models)), [_MODEL_LABEL.get(m, m) for m in models])
    ax.set_ylim(0, 110)
    ax.set_ylabel(f"share of the model's energy over {report.steps} steps (%)")
    ax.set_title(title or f"Energy by component on {report.chip} (total per model above each "
                 "bar)", fontsize=10)  # fmt: skip
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return _finish(fig, path)


_LINK = re.compile(r"\((-?\d+),(-?\d+)\)->([NESW])")
_STEP = {"E": (1, 0), "W": (-1, 0), "N": (0, 1), "S": (0, -1)}


def mesh_traffic(result, *, path=None):
    """Per-core utilization (busy cycles / step cycles) on the mesh tiles and the flits each
    link carried, from a run with ``timing="analytic"`` or ``"cycle"``."""
    plt = _plt()
    t = getattr(result, "timing", None)
    if t is None:
        raise ParameterError(
            "plot.mesh_traffic: the run has no timing (run with timing='analytic' or 'cycle')"
        )
    m = result.mapping
    pos = m.positions()
    busy = np.asarray(t.core_busy, float).sum(axis=0)
    util = busy / max(float(np.asarray(t.cycles).sum()), 1.0)
    mesh = m.chip.mesh
    xs, ys = mesh.tiles_x * mesh.chips_x, mesh.tiles_y * mesh.chips_y  # the whole mesh
    links = {}
    for key, flits in t.link_flits.items():
        g = _LINK.fullmatch(str(key).replace(" ", ""))
        if g:
            links[(int(g[1]), int(g[2]), g[3])] = flits
    grid, n = np.zeros((ys, xs)), np.zeros((ys, xs))
    for (x, y), u in zip(pos.tolist(), util, strict=True):
        grid[y, x] += u * 100
        n[y, x] += 1
    fig, ax = plt.subplots(figsize=(7.5, 5))
    im = ax.imshow(np.where(n > 0, grid / np.maximum(n, 1), np.nan), origin="lower", cmap="viridis", vmin=0,
                   extent=(-0.5, xs - 0.5, -0.5, ys - 0.5))  # fmt: skip
    fig.colorbar(im, ax=ax, label="core utilization, % of step cycles (mean of the tile's cores)")
    top = max(links.values(), default=0)
    for (x, y, d), flits in links.items():
        dx, dy = _STEP[d]
        ox, oy = 0.15 * dy, -0.15 * dx  # opposite directions side by side, not on top
        ax.annotate("", xy=(x + 0.8 * dx + ox, y + 0.8 * dy + oy),
                    xytext=(x + 0.2 * dx + ox, y + 0.2 * dy + oy),
                    arrowprops=dict(arrowstyle="-|>", color="tab:red",
                                    lw=0.5 + 4 * flits / max(top, 1), alpha=0.8))  # fmt: skip
    ax.set_xlim(-0.5, xs - 0.5)
    ax.set_ylim(-0.5, ys - 0.5)
    ax.set_xlabel("tile x")
    ax.set_ylabel("tile y")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.get_major_locator().set_params(integer=True)
    used = len({tuple(p) for p in pos.tolist()})
    traffic = f"max {top:,} flits on a link" if top else "none: all traffic stayed in-tile"
    cores = f"{m.n_cores} core{'s' if m.n_cores != 1 else ''}"
    ax.set_title(f"{m.chip.name}: {cores} on {used} of {xs * ys} tiles\n"
                 f"link traffic in red (arrow width ∝ flits; {traffic})", fontsize=10)  # fmt: skip
    return _finish(fig, path)


def raster(result, *, populations=None, max_neurons: int = 400, note: str | None = None,
           path=None):  # fmt: skip
    """Spike raster of the run, one band per population (separated, labelled in its middle);
    graded payloads as marker size, said so only when some payload exceeds 1. ``note``: a
    caption line (e.g. why some steps are silent)."""
    plt = _plt()
    names = list(populations or result.spikes)
    fig, ax = plt.subplots(figsize=(8, 4.8))
    base, ticks = 0, []
    top_payload = max((int(np.abs(np.asarray(result.spikes[n])).max(initial=0)) for n in names),
                      default=0)  # fmt: skip
    for k, name in enumerate(names):
        s = np.asarray(result.spikes[name])[:, :max_neurons]
        t, n = np.nonzero(s)
        size = 6 + 10 * (np.abs(s[t, n]) - 1) / max(top_payload - 1, 1)
        ax.scatter(t + result.t0, n + base, s=size, marker="|", color=f"C{k}")
        shown = s.shape[1]
        more = f" (first {shown})" if np.asarray(result.spikes[name]).shape[1] > shown else ""
        nspk = int(np.count_nonzero(np.asarray(result.spikes[name])))
        ticks.append((base + shown / 2 - 0.5, f"{name}\n{shown} neurons{more}\n{nspk:,} spikes"))
        if k:
            ax.axhline(base - 1, color="0.6", lw=0.8)
        base += shown + 1
    ax.set_ylim(-1, base - 1)
    ax.set_yticks([p for p, _ in ticks], [n for _, n in ticks], fontsize=8)
    steps = max((np.asarray(result.spikes[n]).shape[0] for n in names), default=1)
    ax.set_xlim(result.t0 - 0.5, result.t0 + steps - 0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("timestep")
    ax.set_ylabel("population (one row per neuron)")
    total = sum(int(np.count_nonzero(result.spikes[n])) for n in names)
    graded = f"; marker size = payload, 1..{top_payload}" if top_payload > 1 else ""
    import textwrap

    caption = "\n".join(textwrap.wrap(note, 95)) if note else ""
    ax.set_title(f"Spike raster: {total:,} spikes{graded}" + (f"\n{caption}" if caption else ""),
                 fontsize=9)  # fmt: skip
    return _finish(fig, path)


def cycles_per_step(result, *, title: str | None = None, path=None):
    """Cycles per timestep from the timing model, with the mean."""
    plt = _plt()
    c = np.asarray(result.cycles)
    if not c.any():
        raise ParameterError(
            "plot.cycles_per_step: every step has 0 cycles (run with timing='analytic' or 'cycle')"
        )
    fig, ax = plt.subplots(figsize=(7, 3.6))
    steps = np.arange(c.size) + result.t0
    ax.plot(steps, c, lw=1)
    ax.axhline(c.mean(), color="tab:red", ls="--", lw=1, label=f"mean {c.mean():,.0f}")
    ax.set_xlabel("timestep")
    ax.set_ylabel("cycles")
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    mode = getattr(getattr(result, "timing", None), "mode", "")
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(title or f"Cycles per timestep ({mode} timing)", 80)),
                 fontsize=10)  # fmt: skip
    ax.legend()
    ax.grid(True, alpha=0.3)
    return _finish(fig, path)
