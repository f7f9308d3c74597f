"""Added latency: how many steps each population's spike train lags the unmapped network.

On a chip whose neurons reach one axon (TrueNorth), a relayed population's spikes pass through
splitter neurons, one step late. The mapper keeps the network's dynamics by making that lag
*uniform per population*: ``L[p]`` steps for every neuron of population ``p``, and every
projection ``pre -> post`` stores its delays shifted by

    shift = L[post] - L[pre] - r[pre]        (r[pre] = 1 if pre is relayed, else 0)

so each of post's inputs arrives exactly ``L[post]`` steps after it would in the unmapped
network (inputs have ``L = 0``). Stored delays must stay in ``1..max_delay``; the smallest
lags satisfying every projection are a longest-path problem over the projection graph,
``L[post] >= L[pre] + r[pre] + 1 - min_delay`` (a difference-constraint system), solved by
relaxation. A projection of delay >= 2 out of a relayed population is shortened by one (no lag
at all); a delay-1 projection makes its post population lag by one, and everything
downstream inherits it.

The lag is exact when the post population is *shift invariant*
(:attr:`~spikemesh.neurons.NeuronSpec.shift_invariant`: quiet at its zero initial state, no
random draws keyed by the step). It cannot be exact for:

- a loop whose lag would grow forever (a delay-1 loop through a splitter);
- a projection needing a stored delay beyond the chip's ``max_delay``;
- a lagged population that is not shift invariant (bias, leak drive, a non-zero initial state
  or stochastic draws run while its input is late).

Those are reported (:class:`Fidelity`) and the projections mapped with the nearest legal
shift; :func:`spikemesh.map_network` warns (``FidelityWarning``) or, with ``strict=True``,
raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..chips import ChipProfile
from ..network import Network, Population

__all__ = ["Fidelity", "Latency", "solve"]


@dataclass(frozen=True, slots=True)
class Fidelity:
    """Why the mapped network cannot be exact: ``kind`` ("loop", "max_delay" or
    "not_shift_invariant"), the projections or population concerned and a sentence."""

    kind: str
    names: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class Latency:
    """Per population its lag ``latency[name]`` (steps); per projection index the delay shift
    its synapses are stored with; what cannot be exact."""

    latency: dict[str, int]
    shift: dict[int, int]
    inexact: tuple[Fidelity, ...] = field(default=())


def _initial_is_zero(pop: Population) -> bool:
    return all(not np.any(np.asarray(v)) for v in pop.initial.values())


def _reaches(projs: list, start: str, goal: str) -> bool:
    """Whether population ``goal`` is reachable from ``start`` along ``projs``."""
    seen, todo = {start}, [start]
    while todo:
        name = todo.pop()
        if name == goal:
            return True
        for p in projs:
            if isinstance(p.pre, Population) and p.pre.name == name and p.post.name not in seen:
                seen.add(p.post.name)
                todo.append(p.post.name)
    return False


def solve(net: Network, chip: ChipProfile, relayed: set[str]) -> Latency:
    """The smallest per-population lags that make every stored delay legal (module docstring)."""
    max_d = chip.core.max_delay
    projs = [p for p in net.projections if p.n_synapses]
    lag = dict.fromkeys(net.populations, 0)
    r = {name: int(name in relayed) for name in net.populations}

    def source_lag(proj) -> int:
        if isinstance(proj.pre, Population):
            return lag[proj.pre.name] + r[proj.pre.name]
        return 0

    need = {id(p): 1 - int(p.delay.min()) for p in projs}  # shift >= 1 - min delay
    active = list(projs)
    dropped: list = []  # projections closing a loop whose lag cannot settle
    rounds = len(net.populations) + 1
    while True:
        for name in lag:
            lag[name] = 0
        changed_last: list = []
        for _ in range(rounds):
            changed_last = []
            for p in active:
                want = source_lag(p) + need[id(p)]
                if want > lag[p.post.name]:
                    lag[p.post.name] = want
                    changed_last.append(p)
            if not changed_last:
                break
        if not changed_last:
            break
        # still growing after |populations| rounds: a loop whose lag grows each time round.
        # Drop one edge of it (an edge whose pre is reachable from its post) and solve again.
        cyc = next(p for p in changed_last if _reaches(active, p.post.name, p.pre.name))
        active.remove(cyc)
        dropped.append(cyc)

    inexact: list[Fidelity] = []
    shift: dict[int, int] = {}
    over: list[str] = []
    for k, p in enumerate(net.projections):
        if not p.n_synapses:
            shift[k] = 0
            continue
        s = lag[p.post.name] - source_lag(p)
        lo, hi = 1 - int(p.delay.min()), max_d - int(p.delay.max())
        if s > hi:
            over.append(p.name)
        shift[k] = min(max(s, lo), hi)
    if dropped:
        names = tuple(p.name for p in dropped)
        inexact.append(Fidelity(
            "loop", names,
            f"projection(s) {', '.join(repr(n) for n in names)} close a loop whose delays are "
            "shorter than the steps the chip needs round it (same-step projections, or splitter "
            "neurons): spikes arrive late each time round the loop, and no uniform shift "
            "restores the unmapped timing (give the loop one step of delay per hop)",
        ))  # fmt: skip
    if over:
        inexact.append(Fidelity(
            "max_delay", tuple(over),
            f"projection(s) {', '.join(repr(n) for n in over)} would need delays beyond "
            f"{chip.name}'s max_delay {max_d} to absorb the splitters' latency; they arrive early",
        ))  # fmt: skip
    moving = tuple(
        name for name, pop in net.populations.items()
        if lag[name] > 0 and not (pop.neuron.shift_invariant and _initial_is_zero(pop))
    )  # fmt: skip
    if moving:
        inexact.append(Fidelity(
            "not_shift_invariant", moving,
            f"population(s) {', '.join(repr(n) for n in moving)} lag the unmapped network but "
            "their state moves while their input is late (bias, leak drive, a non-zero initial "
            "state or random draws keyed by the step): a shifted spike train is not exact",
        ))  # fmt: skip
    return Latency(dict(lag), shift, tuple(inexact))
