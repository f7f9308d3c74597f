"""Chip profiles: core limits, number formats, mesh geometry, timing and energy as data.

Profiles are TOML files. The ones shipped with spikemesh live in ``chips/profiles/``
(``loihi``, ``loihi2``, ``truenorth``); any other file can be loaded by path:

>>> chip = get("loihi")                 # doctest: +SKIP
>>> chip = get("my_chip.toml")          # doctest: +SKIP

A malformed profile raises :class:`~spikemesh.exceptions.ProfileError` naming the file, the
key, the value and what is allowed. Every key is declared once below (:data:`TIMING_KEYS`,
:data:`ENERGY_KEYS`, :data:`FORMAT_KEYS` and the structural tables) with its unit and meaning;
an unknown key is rejected with the nearest valid one (a typo must not zero a cost). A profile
may start from another with ``base = "loihi"`` (tables merge key by key). ``[sources]`` and
``[documentation.*]`` are for people: spikemesh never reads them.
"""

from __future__ import annotations

import difflib
import itertools
import math
import numbers
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .._validate import read_text
from ..exceptions import ProfileError
from ..neurons import MODELS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "ENERGY_KEYS",
    "FORMAT_KEYS",
    "ROUTINGS",
    "TIMING_KEYS",
    "ChipProfile",
    "CoreLimits",
    "Key",
    "MeshSpec",
    "available",
    "get",
    "load",
    "override",
]

PROFILE_DIR = Path(__file__).parent / "profiles"

ROUTINGS: dict[str, str] = {}
"""Routing rules a profile may name in ``[mesh] routing`` (name -> summary): filled by
:func:`spikemesh.noc.register_router`, which holds the rules themselves."""


@dataclass(frozen=True, slots=True)
class MeshSpec:
    """Mesh geometry: tiles per chip, cores per tile, chips per board."""

    tiles_x: int
    tiles_y: int
    cores_per_tile: int
    chips_x: int = 1
    chips_y: int = 1
    host_tile: tuple[int, int] = (0, 0)
    routing: str = "xy"

    @property
    def cores_per_chip(self) -> int:
        return self.tiles_x * self.tiles_y * self.cores_per_tile

    @property
    def n_chips(self) -> int:
        return self.chips_x * self.chips_y

    @property
    def n_cores(self) -> int:
        return self.cores_per_chip * self.n_chips

    def core_position(self, core: int) -> tuple[int, int, int]:
        """Global tile coordinates ``(x, y)`` of ``core`` and its index within the tile.

        Cores are numbered chip by chip (row-major over chips), then tile by tile (row-major),
        then within the tile; tile coordinates run across chips, so a board is one big mesh.
        """
        chip, rest = divmod(core, self.cores_per_chip)
        tile, sub = divmod(rest, self.cores_per_tile)
        ty, tx = divmod(tile, self.tiles_x)
        cy, cx = divmod(chip, self.chips_x)
        return cx * self.tiles_x + tx, cy * self.tiles_y + ty, sub


@dataclass(frozen=True, slots=True)
class CoreLimits:
    """What one core can hold."""

    neurons: int
    input_axons: int
    output_axons: int
    synapse_memory_bits: int
    synapse_index_bits: int
    max_delay: int
    weight_bits: int
    payload_bits: int
    neuron_models: tuple[str, ...]
    fanout_cores: int = 0  # 0 = unlimited
    learning: bool = (
        False  # a learning engine: plastic projections map (Loihi's, Davies 2018 §III-D)
    )


@dataclass(frozen=True, slots=True)
class ChipProfile:
    """A virtual chip: loaded from a TOML profile by :func:`get` / :func:`load`."""

    name: str
    description: str
    clock_hz: float
    tick_s: float
    mesh: MeshSpec
    core: CoreLimits
    formats: MappingProxyType
    timing: MappingProxyType
    energy: MappingProxyType  # set name -> {event: value}
    default_energy: str
    sources: MappingProxyType
    unverified: tuple[str, ...] = ()
    path: str = field(default="", compare=False)
    base: str = ""
    documentation: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict:
        """The profile as TOML-shaped tables (defaults filled in; ``base`` resolved)."""
        m, c = self.mesh, self.core
        return {
            "chip": {"name": self.name, "description": self.description,
                     "clock_hz": self.clock_hz, "tick_s": self.tick_s,
                     "unverified": list(self.unverified)},
            "mesh": {k: (list(v) if isinstance(v := getattr(m, k), tuple) else v)
                     for k in _SCHEMA["mesh"]},
            "core": {**{k: getattr(c, k) for k in _SCHEMA["core"]},
                     "neuron_models": list(c.neuron_models)},
            "formats": dict(self.formats),
            "timing": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.timing.items()},
            "energy": {"default": self.default_energy,
                       **{name: dict(t) for name, t in self.energy.items()}},
            "sources": dict(self.sources),
            "documentation": {k: dict(v) for k, v in self.documentation.items()},
        }  # fmt: skip

    @property
    def n_cores(self) -> int:
        return self.mesh.n_cores

    def supports(self, model: str) -> bool:
        return model in self.core.neuron_models

    def __repr__(self) -> str:
        m = self.mesh
        return (
            f"ChipProfile({self.name!r}: {m.n_cores} cores = {m.n_chips} chip(s) x "
            f"{m.tiles_x}x{m.tiles_y} tiles x {m.cores_per_tile}; {self.core.neurons} neurons, "
            f"{self.core.input_axons} input axons per core)"
        )


# ---------------------------------------------------------------------------- schema


@dataclass(frozen=True, slots=True)
class Key:
    """One declared profile key: its unit, what it means, its default (None = required) and,
    for energy keys, the count it is charged per (:class:`spikemesh.counts.Counts` field) and
    the report component it adds to. ``used = False`` marks a documented figure spikemesh does
    not model yet (it is accepted and kept, never read)."""

    unit: str
    meaning: str
    default: object = None
    per: str = ""
    component: str = ""
    used: bool = True


TIMING_KEYS = {
    "synaptic_op_ns": Key("ns", "one synaptic event at the destination core", 0.0),
    "synaptic_update_ns": Key("ns", "one synapse's learning update at an epoch's end (the "
                              "learning engine of a core updates its synapses one by one)", 0.0),
    "neuron_update_active_ns": Key("ns", "update of a neuron whose state changed or spiked", 0.0),
    "neuron_update_inactive_ns": Key("ns", "update of an idle neuron", 0.0),
    "spike_in_tile_ns": Key("ns", "one spike message sent (Davies 2018 Table 2: a spike "
                            "within a tile)", 0.0),
    "spike_out_ns": Key("ns", "a core sending one spike message; defaults to spike_in_tile_ns",
                        "spike_in_tile_ns"),
    "hop_ew_ns": Key("ns", "router latency of one east-west hop", 0.0),
    "hop_ns_ns": Key("ns", "router latency of one north-south hop", 0.0),
    "chip_link_ns": Key("ns", "latency of a hop between chips; defaults to hop_ew_ns",
                        "hop_ew_ns"),
    "chip_link_cycles_per_flit": Key("cycles", "time per flit on a chip-to-chip link", 1.0),
    "barrier_tiles": Key("tiles", "tile counts of the barrier table (with barrier_ns)", [1]),
    "barrier_ns": Key("ns", "mesh-wide barrier time for barrier_tiles tiles in use", [0.0]),
    "flit_bits": Key("bits", "bits a link carries per cycle", 32),
    "event_bits": Key("bits", "bits of one spike message", 32),
}  # fmt: skip
"""``[timing]`` keys."""

ENERGY_KEYS = {
    "synaptic_op_pj": Key("pJ", "one synaptic event", 0.0, "synaptic_events", "synaptic"),
    "synaptic_update_pj": Key("pJ", "one synapse's learning update at an epoch's end", 0.0,
                              "synaptic_updates", "learning"),
    "neuron_update_active_pj": Key("pJ", "update of a neuron whose state changed or spiked",
                                   0.0, "active_updates", "neuron_update"),
    "neuron_update_inactive_pj": Key("pJ", "update of an idle neuron", 0.0,
                                     "inactive_updates", "neuron_update"),
    "soma_update_pj": Key("pJ", "every neuron update (SANA-FE soma update)", 0.0,
                          "neuron_updates", "neuron_update"),
    "soma_access_pj": Key("pJ", "state access of an active neuron (SANA-FE soma access)", 0.0,
                          "active_updates", "neuron_update"),
    "spike_in_tile_pj": Key("pJ", "one spike message sent (a spike reaching k cores is k "
                            "messages)", 0.0, "messages", "spike"),
    "spike_out_pj": Key("pJ", "one spike message sent (SANA-FE spike out)", 0.0, "messages",
                        "spike"),
    "hop_ew_pj": Key("pJ", "one spike message crossing one east-west hop", 0.0, "hops_ew",
                     "routing"),
    "hop_ns_pj": Key("pJ", "one spike message crossing one north-south hop", 0.0, "hops_ns",
                     "routing"),
    "chip_link_pj": Key("pJ", "one spike message crossing a chip-to-chip link (on top of the "
                        "hop)", 0.0, "chip_crossings", "routing"),
    "static_power_w": Key("W", "static power of one chip, times elapsed chip time, times the "
                          "chips in use", 0.0, "chip_seconds", "static"),
}  # fmt: skip
"""``[energy.NAME]`` keys (one set per name; ``[energy] default`` picks one)."""

FORMAT_KEYS = {
    "q_bits": Key("bits", "dendritic accumulator width, 1..32; a model needing more does not map"),
    "u_bits": Key("bits", "synaptic current register width, 1..32; a model needing more does not "
                  "map"),
    "v_bits": Key("bits", "membrane register width, 1..32; a model needing more does not map"),
    "weight_exp_min": Key("", "smallest weight exponent a projection may use, -16..16"),
    "weight_exp_max": Key("", "largest weight exponent a projection may use, "
                          "weight_exp_min..16"),
    "axon_types": Key("", "axon types per core (typed-axon crossbars), 1..16; a model needing "
                      "more accumulators per neuron does not map"),
}  # fmt: skip
"""``[formats]`` keys: number formats the mapper checks networks against."""

# Ranges beside the keys above (whole numbers; lo, hi; None: no bound): checked at load.
_INT_RANGES = {
    ("formats", "q_bits"): (1, 32), ("formats", "u_bits"): (1, 32), ("formats", "v_bits"): (1, 32),
    ("formats", "weight_exp_min"): (-16, 16), ("formats", "weight_exp_max"): (-16, 16),
    ("formats", "axon_types"): (1, 16),
    ("timing", "flit_bits"): (1, 4096), ("timing", "event_bits"): (1, 4096),
    ("core", "weight_bits"): (1, 9), ("core", "synapse_index_bits"): (0, 32),
}  # fmt: skip

_SCHEMA = {
    "chip": {"name": str, "description": str, "clock_hz": "pos", "tick_s": "nonneg", "unverified": list},
    "mesh": {"tiles_x": "posint", "tiles_y": "posint", "cores_per_tile": "posint",
             "chips_x": "posint", "chips_y": "posint", "host_tile": "tile", "routing": str},
    "core": {"neurons": "posint", "input_axons": "posint", "output_axons": "posint",
             "synapse_memory_bits": "posint", "synapse_index_bits": "nonnegint",
             "max_delay": "posint", "weight_bits": "posint", "payload_bits": "posint",
             "neuron_models": list, "fanout_cores": "nonnegint", "learning": bool},
}  # fmt: skip
_REQUIRED = {
    "chip": ("name", "clock_hz", "tick_s"),
    "mesh": ("tiles_x", "tiles_y", "cores_per_tile"),
    "core": ("neurons", "input_axons", "output_axons", "synapse_memory_bits",
             "synapse_index_bits", "max_delay", "weight_bits", "payload_bits", "neuron_models"),
}  # fmt: skip
_TOP = ("base", "chip", "mesh", "core", "formats", "timing", "energy", "sources", "documentation")
MAX_CORES = 1 << 20  # a larger mesh is almost surely a typo (and would take minutes to place)


def _err(path, key, value, allowed) -> ProfileError:
    return ProfileError(f"{path}: {key} = {value!r}: {allowed}")


def _unknown(path, where: str, key: str, value, valid) -> ProfileError:
    near = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    hint = f"did you mean {near[0]!r}? " if near else ""
    return _err(path, f"{where} {key}", value, f"unknown key; {hint}allowed: {', '.join(valid)}")


def _check(path, section, key, value, kind):
    where = f"[{section}] {key}"
    if kind is str:
        if not isinstance(value, str):
            raise _err(path, where, value, "must be a string")
    elif kind is bool:
        if not isinstance(value, bool):
            raise _err(path, where, value, "must be true or false")
    elif kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _err(path, where, value, "must be a list of strings")
    elif kind == "tile":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
        ):
            raise _err(path, where, value, "must be [x, y], two whole numbers >= 0")
        value = tuple(value)
    elif kind in ("posint", "nonnegint"):
        lo = 1 if kind == "posint" else 0
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise _err(path, where, value, f"must be an integer >= {lo}")
    elif kind in ("pos", "nonneg"):
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0 or (kind == "pos" and value == 0):
            raise _err(
                path,
                where,
                value,
                "must be a finite number > 0" if kind == "pos" else "must be a finite number >= 0",
            )
    return value


def _number(path, where: str, value, signed: bool = False):
    if isinstance(value, list):
        if not value or not all(
            isinstance(v, numbers.Real)
            and not isinstance(v, bool)
            and math.isfinite(v)
            and (signed or v >= 0)
            for v in value
        ):
            raise _err(path, where, value, "must be a non-empty list of finite numbers >= 0")
        return tuple(value)
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise _err(path, where, value, "must be a finite number")
    if not signed and value < 0:
        raise _err(path, where, value, "must be >= 0")
    return value


def _declared_table(path, section: str, table, keys: dict, defaults: bool) -> dict:
    """A table of declared numeric keys; unknown keys raise with the nearest valid key."""
    if not isinstance(table, dict):
        raise _err(path, f"[{section}]", table, "must be a table")
    out = {}
    for key, value in table.items():
        if key not in keys:
            raise _unknown(path, f"[{section}]", key, value, keys)
        out[key] = _number(path, f"[{section}] {key}", value, signed=section == "formats")
    if defaults:
        for key, spec in keys.items():
            if key in out or spec.default is None:
                continue
            d = spec.default
            out[key] = out[d] if isinstance(d, str) else (tuple(d) if isinstance(d, list) else d)
    return out


def _merge(base: dict, over: dict) -> dict:
    """``over`` on top of ``base``, table by table (a derived profile's own keys win)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read(path: Path, seen: tuple = ()) -> dict:
    text = read_text("chip profile", path, "chip profile file (TOML)", ProfileError)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML ({exc})") from None
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise _err(path, "base", base, "must name a shipped profile or a .toml path")
    base_path = _resolve(base, path.parent)
    here = path.resolve()
    if base_path in seen or base_path == here:
        chain = " -> ".join(str(p) for p in (*seen, here, base_path))
        raise _err(path, "base", base, f"profiles inherit in a circle ({chain})")
    if base not in available():
        folder = here.parent
        if folder not in base_path.parents:
            raise _err(path, "base", base,
                       f"resolves to {base_path}, outside this profile's folder {folder}: name "
                       "a shipped profile or a .toml file in (or below) that folder")  # fmt: skip
    merged = _merge(_read(base_path, (*seen, here)), raw)
    merged["__base__"] = base
    return merged


def _resolve(name: str, here: Path) -> Path:
    if name in available():
        return (PROFILE_DIR / f"{name}.toml").resolve()
    p = Path(name)
    return (p if p.is_absolute() else (here / p)).resolve()


def load(path) -> ChipProfile:
    """Load and validate a chip profile from a TOML file."""
    path = Path(path)
    return _validate(path, _read(path))


def override(chip, changes: dict, name: str | None = None) -> ChipProfile:
    """``chip`` with some keys replaced, validated like a profile file: ``changes`` maps
    ``"section.key"`` (``"timing.flit_bits"``, ``"core.neurons"``, ``"energy.SET.key"``) to
    its new value. The result is named ``name`` or ``"chip[section.key=value,...]"``.

    Raises
    ------
    ProfileError
        An unknown section or key, or a value the profile schema does not allow.
    """
    chip = get(chip)
    if not isinstance(changes, dict):
        raise ProfileError(f"chips.override: changes must be a dict (got {type(changes).__name__})")
    raw = chip.to_dict()  # the profile as validated (earlier overrides included)
    for dotted, value in changes.items():
        parts = str(dotted).split(".")
        if len(parts) < 2 or parts[0] not in _TOP:
            raise ProfileError(
                f"chips.override: {dotted!r} must be 'section.key' with a section among "
                f"{', '.join(_TOP)}"
            )
        table = raw
        for p in parts[:-1]:
            table = table.setdefault(p, {})
            if not isinstance(table, dict):
                raise ProfileError(f"chips.override: {dotted!r} does not name a table key")
        table[parts[-1]] = value
    label = ",".join(f"{k}={v}" for k, v in changes.items())
    if name is not None and (not isinstance(name, str) or not name):
        raise ProfileError(f"chips.override.name: must be a non-empty string (got {name!r:.40})")
    raw.setdefault("chip", {})["name"] = name or f"{chip.name}[{label}]"
    return _validate(Path(chip.path or chip.name), raw)


def _validate(path: Path, raw: dict) -> ChipProfile:
    base = raw.pop("__base__", "")
    for top in raw:
        if top not in _TOP:
            raise _unknown(path, "section", f"[{top}]", "...", [f"[{t}]" for t in _TOP])
    vals = {}
    for section, schema in _SCHEMA.items():
        table = raw.get(section)
        if not isinstance(table, dict):
            raise ProfileError(f"{path}: missing section [{section}]")
        for key in table:
            if key not in schema:
                raise _unknown(path, f"[{section}]", key, table[key], schema)
        for key in _REQUIRED[section]:
            if key not in table:
                raise ProfileError(f"{path}: [{section}] is missing required key {key!r}")
        vals[section] = {k: _check(path, section, k, v, schema[k]) for k, v in table.items()}
    core = vals["core"]
    for m in core["neuron_models"]:
        if m not in MODELS:
            raise _err(path, "[core] neuron_models", core["neuron_models"],
                       f"unknown model {m!r}; allowed: {', '.join(MODELS)}")  # fmt: skip
    if core["max_delay"] > 255:
        raise _err(path, "[core] max_delay", core["max_delay"], "must be in 1..255")
    if core["payload_bits"] > 24:
        raise _err(path, "[core] payload_bits", core["payload_bits"], "must be in 1..24")
    if not core["neuron_models"]:
        raise _err(path, "[core] neuron_models", core["neuron_models"],
                   f"must list at least one model of: {', '.join(MODELS)}")  # fmt: skip
    if len(set(core["neuron_models"])) != len(core["neuron_models"]):
        raise _err(path, "[core] neuron_models", core["neuron_models"], "lists a model twice")
    mesh = MeshSpec(**vals["mesh"])
    width, height = mesh.tiles_x * mesh.chips_x, mesh.tiles_y * mesh.chips_y
    if not (mesh.host_tile[0] < width and mesh.host_tile[1] < height):
        raise _err(path, "[mesh] host_tile", list(mesh.host_tile),
                   f"must be a tile of the {width} x {height} mesh (x in 0..{width - 1}, "
                   f"y in 0..{height - 1}): where external inputs enter")  # fmt: skip
    if mesh.routing not in ROUTINGS:
        raise _err(path, "[mesh] routing", mesh.routing,
                   f"unknown routing rule; registered: {', '.join(ROUTINGS)}")  # fmt: skip
    if mesh.n_cores > MAX_CORES:
        raise _err(path, "[mesh]", f"{mesh.n_cores} cores",
                   f"at most {MAX_CORES:,} cores per profile")  # fmt: skip
    formats = _declared_table(path, "formats", raw.get("formats", {}), FORMAT_KEYS, False)
    timing = _declared_table(path, "timing", raw.get("timing", {}), TIMING_KEYS, True)
    for key in ("barrier_tiles", "barrier_ns"):
        if not isinstance(timing[key], tuple):
            raise _err(path, f"[timing] {key}", timing[key], "must be a list of numbers")
    if len(timing["barrier_tiles"]) != len(timing["barrier_ns"]):
        raise _err(path, "[timing] barrier_tiles/barrier_ns", timing["barrier_tiles"],
                   "must have the same length")  # fmt: skip
    tiles, bns = timing["barrier_tiles"], timing["barrier_ns"]
    if any(t != int(t) or t < 1 for t in tiles) or any(
        b <= a for a, b in itertools.pairwise(tiles)
    ):
        raise _err(path, "[timing] barrier_tiles", list(tiles),
                   "must be whole numbers >= 1 in increasing order")  # fmt: skip
    if any(b < a for a, b in itertools.pairwise(bns)):
        raise _err(path, "[timing] barrier_ns", list(bns),
                   "must not decrease as barrier_tiles grows (a barrier over more tiles takes "
                   "at least as long)")  # fmt: skip
    if not timing["chip_link_cycles_per_flit"] > 0:
        raise _err(path, "[timing] chip_link_cycles_per_flit",
                   timing["chip_link_cycles_per_flit"], "must be > 0")  # fmt: skip
    for (section, key), (lo, hi) in _INT_RANGES.items():
        table = {"formats": formats, "timing": timing, "core": core}[section]
        if key not in table:
            continue
        v = table[key]
        if isinstance(v, (tuple, list)) or v != int(v) or not lo <= v <= hi:
            raise _err(path, f"[{section}] {key}", v, f"must be a whole number in {lo}..{hi}")
    if formats.get("weight_exp_min", -16) > formats.get("weight_exp_max", 16):
        raise _err(path, "[formats] weight_exp_min", formats.get("weight_exp_min"),
                   f"must be <= weight_exp_max ({formats.get('weight_exp_max')})")  # fmt: skip
    energy_raw = dict(raw.get("energy", {}))
    default = energy_raw.pop("default", None)
    energy = {}
    for set_name, table in energy_raw.items():
        if not isinstance(table, dict):
            raise _err(
                path, f"[energy] {set_name}", table, "must be a table [energy.NAME] of numbers"
            )
        energy[set_name] = MappingProxyType(
            _declared_table(path, f"energy.{set_name}", table, ENERGY_KEYS, False)
        )
    if energy and default not in energy:
        raise _err(
            path, "[energy] default", default, f"must name one of the sets: {', '.join(energy)}"
        )
    sources = raw.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        raise ProfileError(f"{path}: [sources] values must be strings")
    docs = raw.get("documentation", {})
    if not isinstance(docs, dict) or not all(isinstance(v, dict) for v in docs.values()):
        raise _err(path, "[documentation]", docs, "must hold tables [documentation.NAME]")
    chip = vals["chip"]
    return ChipProfile(
        name=chip["name"],
        description=chip.get("description", ""),
        clock_hz=float(chip["clock_hz"]),
        tick_s=float(chip["tick_s"]),
        mesh=mesh,
        core=CoreLimits(**{**core, "neuron_models": tuple(core["neuron_models"])}),
        formats=MappingProxyType(formats),
        timing=MappingProxyType(timing),
        energy=MappingProxyType(energy),
        default_energy=default or "",
        sources=MappingProxyType(dict(sources)),
        unverified=tuple(chip.get("unverified", ())),
        path=str(path),
        base=base,
        documentation=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in docs.items()}),
    )


def available() -> list[str]:
    """Names of the profiles shipped with spikemesh."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def get(name_or_path) -> ChipProfile:
    """A shipped profile by name (``"loihi"``, ``"loihi2"``, ``"truenorth"``) or a TOML path."""
    if isinstance(name_or_path, ChipProfile):
        return name_or_path
    text = str(name_or_path)
    if text in available():
        return load(PROFILE_DIR / f"{text}.toml")
    path = Path(text)
    if path.suffix == ".toml" or path.exists():
        return load(path)
    raise ProfileError(
        f"chips.get: unknown chip {text!r}; shipped profiles: {', '.join(available())}, "
        "or give the path of a .toml profile"
    )
