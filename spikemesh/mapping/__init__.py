"""Map a :class:`~spikemesh.network.Network` onto a chip profile.

``map_network(net, chip)`` runs these passes, each returning a value:

1. :func:`~.synapses.check_network` -- models, payloads, register widths, delays and weight
   formats against the profile;
2. :func:`~.synapses.synapse_views` -- every projection as the chip stores it (its post
   model's synapse format);
3. :func:`~.split.split` -- populations into the largest pieces that fit a core (neurons,
   input axons, synapse memory), then :func:`~.split.pack` -- pieces of one model onto shared
   core programs;
4. :func:`~.tables.build_tables` -- per-core synapse tables and route entries;
   :func:`~.splitters.add_splitters` where a neuron must reach more axons than the chip allows;
5. routes, output-axon limits, traffic, and placement by a policy (:mod:`~.place`);
6. the :class:`Mapping`: frozen :class:`~spikemesh.program.CoreProgram` records and routes.

A network that cannot fit raises :class:`~spikemesh.exceptions.MappingError` naming the
population or projection, the limit, and by how much it is exceeded.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import chips as _chips
from ..chips import ChipProfile
from ..exceptions import FidelityWarning, MappingError, ParameterError, SilentPopulationWarning
from ..network import Network, Population
from ..noc import Mesh
from ..program import CoreProgram, Route, Slice, Source
from .latency import Fidelity, Latency, solve
from .place import ALLOCATORS, Greedy, Sequential
from .split import pack, split
from .splitters import SPLITTER, add_splitters, needs_splitters
from .synapses import check_network, synapse_views
from .tables import build_tables, finish_table, plastic_positions

__all__ = [
    "ALLOCATORS",
    "SPLITTER",
    "CoreProgram",
    "Fidelity",
    "Greedy",
    "Mapping",
    "Route",
    "Sequential",
    "Slice",
    "Source",
    "map_network",
]


class Mapping:
    """The result of :func:`map_network`: core programs, placement, routing, utilization.

    Plain data: a Mapping knows nothing about time and nothing changes it after it is built
    (:class:`~spikemesh.Simulator` only reads it).

    Attributes
    ----------
    network, chip
        What was mapped, onto what.
    cores : tuple of CoreProgram
        One per core used; ``cores[i].core_id`` is its physical core.
    slices : dict name -> tuple of Slice
        Where each population's neurons live (user populations only).
    core_routes : tuple of Route
        Per core program, where its neurons' spikes go.
    input_routes : dict name -> Route
        Per external input, where its spikes go.
    sources : tuple of Source
        Every spike source: the core programs, then the inputs (entering at the profile's
        host tile, ``[mesh] host_tile``).
    allocator : str
        Name of the placement policy.
    splitters : dict name -> Population
        Hidden splitter populations, by the population whose spikes they relay.
    latency : dict name -> int
        Steps by which each population's spike train lags the unmapped network's: 0 everywhere
        on Loihi-like chips. On TrueNorth a relayed population's spikes reach their targets one
        step late through splitter neurons; its projections of delay >= 2 are shortened to
        absorb it, and a target reached with delay 1 lags by one step, as does everything
        downstream of it (:mod:`spikemesh.mapping.latency`). Exact unless ``fidelity`` says
        otherwise.
    fidelity : tuple of Fidelity
        Where the mapped network cannot reproduce the unmapped one exactly (empty when it can).
    plastic : dict name -> (core, position)
        Per plastic projection, where each of its synapses (the projection's order) is stored:
        core program and index into that core's synapse table.
    """

    def __init__(self, network: Network, chip: ChipProfile, cores: tuple[CoreProgram, ...],
                 slices: dict[str, tuple[Slice, ...]], core_routes: tuple[Route, ...],
                 input_routes: dict[str, Route], allocator: str,
                 splitters: dict[str, Population], latency: dict[str, int],
                 fidelity: tuple[Fidelity, ...] = (),
                 plastic: dict | None = None) -> None:  # fmt: skip
        self.network = network
        self.plastic = dict(plastic or {})
        self.chip = chip
        self.cores = cores
        self.slices = slices
        self.core_routes = core_routes
        self.input_routes = input_routes
        self.allocator = allocator
        self.splitters = splitters
        self.latency = latency
        self.fidelity = fidelity
        self.network_fingerprint = network.fingerprint()  # what was mapped (Simulator checks)
        mesh = chip.mesh
        core_sources = tuple(
            Source(c.index, "core", str(c.index), mesh.core_position(c.core_id)[:2],
                   c.payload_bits)
            for c in cores
        )  # fmt: skip
        input_sources = tuple(
            Source(len(cores) + k, "input", name, mesh.host_tile, network.inputs[name].payload_bits)
            for k, name in enumerate(input_routes)
        )
        self.sources: tuple[Source, ...] = core_sources + input_sources

    @property
    def n_cores(self) -> int:
        return len(self.cores)

    @property
    def chips_used(self) -> int:
        """Chips (of a board) holding at least one core program."""
        per_chip = self.chip.mesh.cores_per_chip
        return len({c.core_id // per_chip for c in self.cores})

    def input_source(self, name: str) -> Source:
        """The :class:`Source` of external input ``name``."""
        return self.sources[self.n_cores + list(self.input_routes).index(name)]

    def positions(self) -> np.ndarray:
        """``(n_cores, 2)`` tile coordinates of every core program."""
        return np.array([s.position for s in self.sources[: self.n_cores]], np.int64).reshape(-1, 2)

    def routes(self) -> tuple[Route, ...]:
        """Every source's :class:`Route`, in :attr:`sources` order."""
        return tuple(self.core_routes) + tuple(self.input_routes.values())

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The (source, destination core) pairs any spike can travel: the routes the NoC
        carries (sorted by source, then destination)."""
        src, dst = [], []
        for s, r in zip(self.sources, self.routes(), strict=True):
            src += [s.index] * len(r.targets)
            dst += list(r.targets)
        return np.array(src, np.int64), np.array(dst, np.int64)

    def mesh(self) -> Mesh:
        """The network-on-chip of this placement (:class:`spikemesh.noc.Mesh`), with the
        routes of its :meth:`pairs` in its route table."""
        return Mesh(self.chip, [s.position for s in self.sources], self.pairs())

    def hops(self) -> dict[str, int]:
        """Synapse-weighted estimate of mesh hops: per source, the hops of the route to each
        route entry's core (from the route table), and the total."""
        mesh = self.mesh()
        out = {}
        for src, r in zip(self.sources, self.routes(), strict=True):
            label = f"core {src.name}" if src.kind == "core" else f"input {src.name}"
            if r.n_entries:
                ids = mesh.route_ids(np.full(r.dest.shape[0], src.index), r.dest)
                out[label] = int(mesh.table.hops[ids].sum())
            else:
                out[label] = 0
        out["total"] = sum(out.values())
        return out

    def population_cores(self) -> dict[str, list[int]]:
        """Core programs holding each population's slices, in slice order."""
        return {name: [s.core for s in sl] for name, sl in self.slices.items()}

    def report(self) -> str:
        """A readable table: cores per population and per-core utilization."""
        chip, lim = self.chip, self.chip.core
        lines = [
            f"Mapping of network {self.network.name!r} onto {chip.name} "
            f"({self.allocator} allocator): {self.n_cores} of {chip.n_cores} cores used",
            "",
            "population          neurons  cores  model            added latency",
        ]
        for name, sl in self.slices.items():
            pop = self.network.populations[name]
            lat = self.latency.get(name, 0)
            lines.append(
                f"{name:<18} {pop.n:>8} {len(sl):>6}  {pop.neuron.model:<16} "
                f"{'+' + str(lat) + (' step' if lat == 1 else ' steps') if lat else '-'}"
            )
        lines += [
            "",
            "core  (x, y).k   neurons        axons in       axons out      synapse memory       "
            "slices",
        ]
        for c in self.cores:
            x, y, k = chip.mesh.core_position(c.core_id)
            mem = 100.0 * c.synapse_bits / lim.synapse_memory_bits
            desc = ", ".join(f"{s.pop.name}[{s.lo}:{s.hi}]" for s in c.slices)
            lines.append(
                f"{c.index:>4}  ({x:>2},{y:>2}).{k}  "
                f"{c.n_neurons:>5}/{lim.neurons:<6} {c.n_axons_in:>5}/{lim.input_axons:<6}  "
                f"{c.n_axons_out:>5}/{lim.output_axons:<6}  {c.synapse_bits:>8} b ({mem:5.1f}%)   {desc}"
            )
        for name, sp in self.splitters.items():
            lines.append(
                f"splitters: {sp.n} splitter neurons relay population {name!r} (+1 step, "
                "absorbed by delays >= 2, otherwise passed on to its targets' latency)"
            )
        for f in self.fidelity:
            lines.append(f"not exact: {f.message}")
        net = self.network
        for proj in net.projections:
            if proj.learning is None:
                continue
            core, _ = self.plastic[proj.name]
            busiest = int(np.bincount(core).max()) if core.size else 0
            ns = self.chip.timing["synaptic_update_ns"]
            lines.append(
                f"plastic: {proj.name!r} learns by {proj.learning!r} ({proj.sign_mode}): "
                f"{proj.n_synapses:,} synapses on {len(np.unique(core))} core(s); each epoch end "
                f"costs {proj.n_synapses:,} synaptic updates, {busiest:,} of them on its busiest "
                f"core ({ns:g} ns each: a {busiest * ns:,.0f} ns learning phase)"
            )
        h = self.hops()
        lines += ["", f"estimated hops (synapse-weighted routes): {h['total']}"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Mapping({self.network.name!r} -> {self.chip.name}: {self.n_cores} cores)"


def _route(n_src: int, entries: list, n_dest: int) -> Route:
    entries = [e for e in entries if e.src.size]
    if not entries:
        z = np.zeros(0, np.int64)
        return Route.build(n_src, z, z, z, n_dest)
    return Route.build(
        n_src,
        np.concatenate([e.src for e in entries]),
        np.concatenate([e.dest for e in entries]),
        np.concatenate([e.axon for e in entries]),
        n_dest,
    )


def _output_axons(chip: ChipProfile, k: int, slices, n: int, route: Route) -> int:
    """Output axons (distinct source neuron, destination core pairs) of core program k,
    checked against the chip's limits."""
    lim = chip.core
    src = np.repeat(np.arange(n), np.diff(route.indptr))
    used = np.unique(src * (route.n_dest + 1) + route.dest).size if src.size else 0
    if used > lim.output_axons:
        raise MappingError(
            f"core {k} ({', '.join(s.pop.name for s in slices)}) needs {used} output axons; "
            f"{chip.name} cores have {lim.output_axons} (over by {used - lim.output_axons})"
        )
    if lim.fanout_cores and route.n_entries:
        per_neuron = np.diff(route.indptr)
        if per_neuron.max() > lim.fanout_cores:  # splitters should have prevented this
            raise MappingError(
                f"core {k}: a neuron reaches {int(per_neuron.max())} axons; "
                f"{chip.name} neurons reach {lim.fanout_cores} (internal splitter error)"
            )
    return int(used)


def _traffic(core_routes: list[Route]) -> np.ndarray:
    """Route entries (axon events per spike) between core programs (int32: at most a core's
    neurons x its output axons between two programs)."""
    n = len(core_routes)
    t = np.zeros((n, n), np.int32)
    for i, r in enumerate(core_routes):
        if r.n_entries:
            t[i] += np.bincount(r.dest, minlength=n)
    return t


def _policy(allocator):
    if isinstance(allocator, str):
        if allocator not in ALLOCATORS:
            raise ParameterError(
                f"map_network.allocator: must be one of {', '.join(ALLOCATORS)} or a placement "
                f"policy (got {allocator!r})"
            )
        return ALLOCATORS[allocator]()
    if not (hasattr(allocator, "place") and hasattr(allocator, "name")):
        raise ParameterError(
            "map_network.allocator: a placement policy needs a name and a place(chip, traffic) "
            f"method (got {type(allocator).__name__})"
        )
    return allocator


def map_network(net: Network, chip, allocator="greedy", *, strict: bool = False) -> Mapping:
    """Map ``net`` onto ``chip`` (a :class:`ChipProfile`, a shipped name or a .toml path).

    Parameters
    ----------
    allocator : {"greedy", "sequential"} or a placement policy
        "greedy" puts each core program next to the ones it exchanges most spikes with;
        "sequential" fills cores in order (a baseline); or any object with a ``name`` and
        ``place(chip, traffic) -> core ids`` (:mod:`spikemesh.mapping.place`).
    strict : bool
        Raise :class:`~spikemesh.exceptions.MappingError` instead of warning
        (:class:`~spikemesh.exceptions.FidelityWarning`) when the mapped network cannot
        reproduce the unmapped one exactly (``Mapping.fidelity``).

    Notes
    -----
    On TrueNorth-like chips (binary crossbar, 4 axon types, one target axon per neuron) an
    integer weight ``w_ij`` is realised by connecting neuron j to copies of input line i, one
    per axon type G of the smallest subset of types whose weights ``S_j[G]`` add up to
    ``w_ij`` (mapping fails when no subset does); copies also differ by delay. A neuron that
    must reach more than one axon is relayed by splitter neurons, which adds one step to its
    spikes; delays >= 2 absorb it, otherwise its targets lag by one step (and so does
    everything downstream, uniformly per population): ``Mapping.latency`` reports it.

    Raises
    ------
    MappingError
        The network does not fit: says which population or projection, which limit, by how much.
    """
    if not isinstance(net, Network):
        raise ParameterError(f"map_network: net must be a Network (got {type(net).__name__})")
    chip = _chips.get(chip)
    policy = _policy(allocator)
    check_network(net, chip)
    _warn_silent(net)
    relayed: set[str] = set()
    while True:  # lags and delay shifts for the relayed set, until no new population needs relay
        lat = solve(net, chip, relayed)
        syns = synapse_views(net, chip, lat.shift)
        pieces, dests = split(net, chip, syns)
        new = needs_splitters(net, chip, syns, pieces)
        if new <= relayed:
            break
        relayed |= new
        del syns  # before the next views are built
    _report_fidelity(lat, strict)
    core_slices = pack(chip, pieces, dests)
    slices = {
        name: tuple(sorted((s for sl in core_slices for s in sl if s.pop.name == name),
                           key=lambda s: s.lo))
        for name in net.populations
    }  # fmt: skip
    tables = build_tables(len(core_slices), slices, syns)
    del syns, pieces, dests  # the tables hold what is left of the synapses
    hidden = {}
    if relayed:
        r = add_splitters(chip, core_slices, tables, relayed)
        core_slices, tables, hidden = r.core_slices, r.tables, r.hidden
    n = len(core_slices)
    if n > chip.mesh.n_cores:
        use: dict = {}
        for sl in core_slices:
            for s_ in sl:
                use[s_.pop.name] = use.get(s_.pop.name, 0) + 1
        top = sorted(use.items(), key=lambda kv: -kv[1])[:3]
        raise MappingError(
            f"the network needs {n} cores; {chip.name} has {chip.mesh.n_cores} (over by "
            f"{n - chip.mesh.n_cores}); the largest: "
            + ", ".join(f"population {k!r} on {v} cores" for k, v in top)
        )
    sizes = [sum(s.n for s in sl) for sl in core_slices]
    core_routes = tuple(_route(sizes[k], tables.core_entries.get(k, []), n) for k in range(n))
    input_routes = {
        name: _route(src.n, tables.input_entries.get(name, []), n)
        for name, src in net.inputs.items()
    }
    axons_out = [_output_axons(chip, k, core_slices[k], sizes[k], core_routes[k]) for k in range(n)]
    where = plastic_positions(tables.parts, {k: p.n_synapses for k, p in enumerate(net.projections)
                                             if p.learning is not None})  # fmt: skip
    plastic = {net.projections[k].name: v for k, v in where.items()}
    core_ids = policy.place(chip, _traffic(list(core_routes)))
    cores = []
    for k in range(n):  # each core's parts are dropped once its table is built
        table = finish_table(core_slices[k], tables.parts[k])
        tables.parts[k] = []
        cores.append(CoreProgram(
            index=k, core_id=int(core_ids[k]), slices=core_slices[k], table=table,
            n_axons_out=axons_out[k], synapse_bits=tables.synapse_bits[k],
            weight_bits_total=tables.weight_bits_total[k],
        ))  # fmt: skip
    cores = tuple(cores)
    return Mapping(net, chip, cores, slices, core_routes, input_routes, policy.name, hidden,
                   lat.latency, lat.inexact, plastic)  # fmt: skip


def _warn_silent(net: Network) -> None:
    """SilentPopulationWarning for populations that can never fire: nothing projects to them,
    they have no drive of their own (bias, leak drive, random draws) and start at rest."""
    fed = {p.post.name for p in net.projections}
    silent = [name for name, pop in net.populations.items()
              if name not in fed and pop.neuron.shift_invariant
              and not any(np.any(np.asarray(v)) for v in (pop.initial or {}).values())]  # fmt: skip
    if silent:
        warnings.warn(
            f"spikemesh: population(s) {', '.join(map(repr, silent[:8]))}"
            f"{f' and {len(silent) - 8} more' if len(silent) > 8 else ''} receive no projection and "
            "have no bias or initial state: they can never fire",
            SilentPopulationWarning,
            stacklevel=3,
        )


def _report_fidelity(lat: Latency, strict: bool) -> None:
    if not lat.inexact:
        return
    text = "; ".join(f.message for f in lat.inexact)
    if strict:
        raise MappingError(f"map_network(strict=True): the mapping cannot be exact: {text}")
    warnings.warn(f"spikemesh: the mapping is not exact: {text}", FidelityWarning, stacklevel=3)
