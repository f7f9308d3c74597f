"""Chip profiles: core limits, number formats, mesh geometry, timing and energy as data.

Profiles are TOML files. The ones shipped with spikemesh live in ``chips/profiles/``
(``loihi``, ``loihi2``, ``truenorth``); any other file can be loaded by path:

>>> chip = get("loihi")                 # doctest: +SKIP
>>> chip = get("my_chip.toml")          # doctest: +SKIP

A malformed profile raises :class:`~spikemesh.exceptions.ProfileError` naming the file, the
key, the value and what is allowed. Unknown keys are rejected (they are usually typos).
"""

from __future__ import annotations

import numbers
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ..exceptions import ProfileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["ChipProfile", "CoreLimits", "MeshSpec", "available", "get", "load"]

PROFILE_DIR = Path(__file__).parent / "profiles"
NEURON_MODELS = ("CubaLIF", "IF", "TrueNorthNeuron")


@dataclass(frozen=True, slots=True)
class MeshSpec:
    """Mesh geometry: tiles per chip, cores per tile, chips per board."""

    tiles_x: int
    tiles_y: int
    cores_per_tile: int
    chips_x: int = 1
    chips_y: int = 1

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


# ---------------------------------------------------------------------------- loading

_SCHEMA = {
    "chip": {"name": str, "description": str, "clock_hz": "pos", "tick_s": "nonneg", "unverified": list},
    "mesh": {"tiles_x": "posint", "tiles_y": "posint", "cores_per_tile": "posint",
             "chips_x": "posint", "chips_y": "posint"},
    "core": {"neurons": "posint", "input_axons": "posint", "output_axons": "posint",
             "synapse_memory_bits": "posint", "synapse_index_bits": "nonnegint",
             "max_delay": "posint", "weight_bits": "posint", "payload_bits": "posint",
             "neuron_models": list, "fanout_cores": "nonnegint"},
}  # fmt: skip
_REQUIRED = {
    "chip": ("name", "clock_hz", "tick_s"),
    "mesh": ("tiles_x", "tiles_y", "cores_per_tile"),
    "core": ("neurons", "input_axons", "output_axons", "synapse_memory_bits", "max_delay",
             "weight_bits", "payload_bits", "neuron_models"),
}  # fmt: skip
_TOP = ("chip", "mesh", "core", "formats", "timing", "energy", "sources")


def _err(path, key, value, allowed) -> ProfileError:
    return ProfileError(f"{path}: {key} = {value!r}: {allowed}")


def _check(path, section, key, value, kind):
    where = f"[{section}] {key}"
    if kind is str:
        if not isinstance(value, str):
            raise _err(path, where, value, "must be a string")
    elif kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _err(path, where, value, "must be a list of strings")
    elif kind in ("posint", "nonnegint"):
        lo = 1 if kind == "posint" else 0
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise _err(path, where, value, f"must be an integer >= {lo}")
    elif kind in ("pos", "nonneg"):
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not ok or value < 0 or (kind == "pos" and value == 0):
            raise _err(
                path,
                where,
                value,
                "must be a number > 0" if kind == "pos" else "must be a number >= 0",
            )
    return value


def _numbers_table(path, section, table) -> dict:
    """A table of non-negative numbers or lists of them (timing, energy sets, formats)."""
    out = {}
    for key, value in table.items():
        where = f"[{section}] {key}"
        if isinstance(value, list):
            if not value or not all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value
            ):
                raise _err(path, where, value, "must be a number or a non-empty list of numbers")
            out[key] = tuple(value)
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            if section != "formats" and value < 0:
                raise _err(path, where, value, "must be >= 0")
            out[key] = value
        else:
            raise _err(path, where, value, "must be a number or a list of numbers")
    return out


def load(path) -> ChipProfile:
    """Load and validate a chip profile from a TOML file."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such chip profile file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML ({exc})") from None
    for top in raw:
        if top not in _TOP:
            raise _err(path, f"[{top}]", "...", f"unknown section; allowed: {', '.join(_TOP)}")
    vals = {}
    for section, schema in _SCHEMA.items():
        table = raw.get(section)
        if not isinstance(table, dict):
            raise ProfileError(f"{path}: missing section [{section}]")
        for key in table:
            if key not in schema:
                raise _err(
                    path,
                    f"[{section}] {key}",
                    table[key],
                    f"unknown key; allowed: {', '.join(schema)}",
                )
        for key in _REQUIRED[section]:
            if key not in table:
                raise ProfileError(f"{path}: [{section}] is missing required key {key!r}")
        vals[section] = {k: _check(path, section, k, v, schema[k]) for k, v in table.items()}
    core = vals["core"]
    for m in core["neuron_models"]:
        if m not in NEURON_MODELS:
            raise _err(path, "[core] neuron_models", core["neuron_models"],
                       f"unknown model {m!r}; allowed: {', '.join(NEURON_MODELS)}")  # fmt: skip
    if core["max_delay"] > 255:
        raise _err(path, "[core] max_delay", core["max_delay"], "must be in 1..255")
    if core["payload_bits"] > 24:
        raise _err(path, "[core] payload_bits", core["payload_bits"], "must be in 1..24")
    formats = _numbers_table(path, "formats", raw.get("formats", {}))
    timing = _numbers_table(path, "timing", raw.get("timing", {}))
    if ("barrier_tiles" in timing) != ("barrier_ns" in timing) or (
        "barrier_tiles" in timing and len(timing["barrier_tiles"]) != len(timing["barrier_ns"])
    ):
        raise _err(path, "[timing] barrier_tiles/barrier_ns", timing.get("barrier_tiles"),
                   "must both be given, with the same length")  # fmt: skip
    energy_raw = dict(raw.get("energy", {}))
    default = energy_raw.pop("default", None)
    energy = {}
    for set_name, table in energy_raw.items():
        if not isinstance(table, dict):
            raise _err(
                path, f"[energy] {set_name}", table, "must be a table [energy.NAME] of numbers"
            )
        energy[set_name] = MappingProxyType(_numbers_table(path, f"energy.{set_name}", table))
    if energy and default not in energy:
        raise _err(
            path, "[energy] default", default, f"must name one of the sets: {', '.join(energy)}"
        )
    sources = raw.get("sources", {})
    if not all(isinstance(v, str) for v in sources.values()):
        raise ProfileError(f"{path}: [sources] values must be strings")
    chip = vals["chip"]
    return ChipProfile(
        name=chip["name"],
        description=chip.get("description", ""),
        clock_hz=float(chip["clock_hz"]),
        tick_s=float(chip["tick_s"]),
        mesh=MeshSpec(**vals["mesh"]),
        core=CoreLimits(**{**core, "neuron_models": tuple(core["neuron_models"])}),
        formats=MappingProxyType(formats),
        timing=MappingProxyType(timing),
        energy=MappingProxyType(energy),
        default_energy=default or "",
        sources=MappingProxyType(dict(sources)),
        unverified=tuple(chip.get("unverified", ())),
        path=str(path),
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
