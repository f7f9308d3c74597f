"""Energy: the chip's own event model beside the SynOps, Bit Budget and ANN estimates.

Energy only prices counts. ``res.energy()`` passes a run's :class:`~spikemesh.counts.Counts`
(and its per-step, per-core counts) to :func:`report`; ``estimate(chip, counts, steps)`` makes
:class:`~spikemesh.counts.Counts` from a dict of totals, for networks too large to emulate, and
takes the same path. Four models:

``chip``
    The profile's per-event energies (``[energy.<set>]``) x counted events, plus static power x
    elapsed chip time; which count each key is charged per is declared once, with the key, in
    :data:`spikemesh.chips.ENERGY_KEYS`. Components: synaptic, neuron_update, spike, routing,
    static.
``synops``
    The conventional estimate: ``E_AC x effective synaptic events + E_MAC x encoding-layer MACs``
    (events from non-binary inputs are MACs), presets fp32, fp16, int32, int8 (Horowitz 2014).
``bitbudget``
    Charges the information budget, not events (Shen et al., CVPR 2024: timesteps of binary
    spikes and bits of an activation are two spellings of one budget), built from its
    primitives because the published formula was not available to us. The budget itself, in
    bit operations over all timesteps (:func:`bit_budget`)::

        B_syn    = sum over synaptic events of b_w * b_s
        B_neuron = sum over neuron updates of b_state
        B        = B_syn + B_neuron

    priced as compute on those bit operations plus movement of the same bits::

        compute_synaptic = B_syn * e_bit          e_bit  = E_mult(int8) / 64 = 3.125 fJ
        compute_neuron   = B_neuron * e_add       e_add  = E_add(int8) / 8   = 3.75 fJ
        move_weights     = sum_events b_w * e_sram              (each weight read once)
        move_spikes      = sum_messages b_s * hops * e_hop      (payload bits, per hop)
        move_state       = (state bits read + written) * e_sram
        e_sram = E_read(64 bit, 8 KB SRAM) / 64 = 0.156 pJ per bit;  e_hop = e_sram

    with b_w the weight bits, b_s the spike payload bits (1 for binary spikes, the declared
    width for graded ones) and b_state the neuron state bits. Addressing, synapse indices and
    packet headers are left to the chip model. ``e_hop`` assumes one router-buffer access per
    bit per hop (a 32-bit message hop: 5 pJ, near Loihi's measured 3.0-4.0 pJ). Pass
    ``formula=`` to swap in another (a callable ``counts -> {component: joules}``).
``ann``
    The same layer shapes run once as a quantized ANN: dense MACs x E_MAC(precision) plus weight
    reads and activation writes/reads at e_sram per bit.

Counts follow NeuroBench's definitions where they overlap (:mod:`spikemesh.counts`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from . import chips as _chips
from ._validate import check_int, show
from .chips import ENERGY_KEYS
from .counts import COUNT_KEYS, CoreStepCounts, Counts
from .exceptions import DTypeError, ParameterError, ProfileError

__all__ = [
    "COUNT_KEYS",
    "MODELS",
    "SYNOPS_PRESETS",
    "AnnModel",
    "BitBudgetModel",
    "ChipEnergyModel",
    "EnergyReport",
    "SynOpsModel",
    "bit_budget",
    "estimate",
    "register",
    "report",
    "unregister",
]

PJ = 1e-12
# Horowitz, ISSCC 2014 (45 nm), pJ
SYNOPS_PRESETS = {
    "fp32": {"ac": 0.9, "mac": 4.6, "bits": 32},
    "fp16": {"ac": 0.4, "mac": 1.5, "bits": 16},
    "int32": {"ac": 0.1, "mac": 3.2, "bits": 32},
    "int8": {"ac": 0.03, "mac": 0.23, "bits": 8},
}
E_BIT = 0.2 / 64  # pJ: int8 multiply / 64 one-bit products
E_ADD_BIT = 0.03 / 8  # pJ: int8 add / 8 bits
E_SRAM_BIT = 10.0 / 64  # pJ: 64-bit read from an 8 KB SRAM
E_HOP_BIT = E_SRAM_BIT  # pJ: one router-buffer access per payload bit per hop (assumed)

CHIP_COMPONENTS = ("synaptic", "neuron_update", "spike", "routing", "learning", "static")


# ----------------------------------------------------------------------------- models


class ChipEnergyModel:
    """The chip's own per-event energies (one ``[energy.NAME]`` set of its profile)."""

    name = "chip"

    @property
    def needs(self) -> tuple:
        return tuple(dict.fromkeys(ENERGY_KEYS[k].per for k, v in self.priced.items() if v))

    @classmethod
    def build(cls, chip, energy_set=None, **_):
        return cls(chip, energy_set)

    def __init__(self, chip, energy_set: str | None = None) -> None:
        self.chip = _chips.get(chip)
        if energy_set is not None and not isinstance(energy_set, str):
            raise DTypeError(
                f"ChipEnergyModel.energy_set: must be the name of one of {self.chip.name}'s "
                f"energy sets ({', '.join(self.chip.energy) or 'none'}) (got {show(energy_set)})"
            )
        self.set_name = energy_set or self.chip.default_energy
        if self.set_name not in self.chip.energy:
            raise ParameterError(
                f"ChipEnergyModel.energy_set: {self.chip.name} has energy sets "
                f"{', '.join(self.chip.energy) or '(none)'} (got {self.set_name!r})"
            )
        self.table = dict(self.chip.energy[self.set_name])
        self.priced = {k: v for k, v in self.table.items() if ENERGY_KEYS[k].used}
        if not self.priced:
            raise ProfileError(
                f"{self.chip.path}: [energy.{self.set_name}] has no key spikemesh prices; "
                f"priced keys: {', '.join(k for k, v in ENERGY_KEYS.items() if v.used)}"
            )

    def components(self, c) -> dict[str, float]:
        """Joules per component; ``c`` is :class:`Counts` (totals) or :class:`CoreStepCounts`
        (arrays per step and core, priced cell by cell)."""
        out = dict.fromkeys(CHIP_COMPONENTS, 0.0)
        for key, value in self.priced.items():
            k = ENERGY_KEYS[key]
            scale = 1.0 if k.unit == "W" else PJ
            out[k.component] += value * scale * c[k.per]
        return out


class SynOpsModel:
    """``E_AC x effective synaptic events + E_MAC x encoding-layer MACs``."""

    name = "synops"
    needs = ("synaptic_events",)

    @classmethod
    def build(cls, synops="fp32", **_):
        return cls(synops)

    def __init__(self, preset: str = "fp32") -> None:
        if not isinstance(preset, str) or preset not in SYNOPS_PRESETS:
            raise ParameterError(
                f"SynOpsModel.preset: must be one of {', '.join(SYNOPS_PRESETS)} (got {preset!r})"
            )
        self.preset = preset
        self.p = SYNOPS_PRESETS[preset]

    def components(self, c: Counts) -> dict[str, float]:
        acs = c["synaptic_events"] - c["encoding_macs"]
        return {
            "accumulate": self.p["ac"] * PJ * acs,
            "encoding_mac": self.p["mac"] * PJ * c["encoding_macs"],
        }


def bit_budget(c: Counts) -> dict[str, float]:
    """The budget itself, in bits over all timesteps: bit operations ``B_syn`` (sum over
    synaptic events of b_w x b_s), ``B_neuron`` (state bits per neuron update) and ``B``, and
    the bits moved: ``weight_bits_read``, ``payload_bit_hops``, ``state_bits_moved``."""
    return {
        "B_syn": float(c["weighted_event_bits"]),
        "B_neuron": float(c["state_bits_read"]),
        "B": float(c["weighted_event_bits"] + c["state_bits_read"]),
        "weight_bits_read": float(c["weight_bits_read"]),
        "payload_bit_hops": float(c["payload_bit_hops"]),
        "state_bits_moved": float(c["state_bits_read"] + c["state_bits_written"]),
    }


def bit_budget_formula(c: Counts) -> dict[str, float]:
    """The default Bit Budget pricing (module docstring): compute on the budget's bit
    operations, movement of the same bits."""
    b = bit_budget(c)
    return {
        "compute_synaptic": E_BIT * PJ * b["B_syn"],
        "compute_neuron": E_ADD_BIT * PJ * b["B_neuron"],
        "move_weights": E_SRAM_BIT * PJ * b["weight_bits_read"],
        "move_spikes": E_HOP_BIT * PJ * b["payload_bit_hops"],
        "move_state": E_SRAM_BIT * PJ * b["state_bits_moved"],
    }


class BitBudgetModel:
    """Bits x operations, split between computation and storage; ``formula`` swaps the rule."""

    name = "bitbudget"
    needs = (
        "weighted_event_bits",
        "state_bits_read",
        "state_bits_written",
        "weight_bits_read",
        "payload_bit_hops",
    )

    @classmethod
    def build(cls, formula=None, **_):
        return cls(formula)

    def __init__(self, formula=None) -> None:
        self.formula = formula or bit_budget_formula

    def components(self, c: Counts) -> dict[str, float]:
        out = self.formula(c)
        if not isinstance(out, dict):
            raise ParameterError(
                f"energy.formula: must return a dict component -> joules (got {show(out)} of "
                f"type {type(out).__name__})"
            )
        comps = {}
        for k, v in out.items():
            ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            if not ok or not math.isfinite(float(v)) or float(v) < 0:
                raise ParameterError(
                    f"energy.formula: returned {k!r}: {show(v)}; every component must be a "
                    "finite number of joules >= 0"
                )
            comps[str(k)] = float(v)
        return comps


class AnnModel:
    """The same layer shapes run once as a quantized ANN at ``precision``."""

    name = "ann"
    needs = ("dense_synapses", "neurons_and_inputs")

    @classmethod
    def build(cls, ann="int8", **_):
        return cls(ann)

    def __init__(self, precision: str = "int8") -> None:
        if not isinstance(precision, str) or precision not in SYNOPS_PRESETS:
            raise ParameterError(
                f"AnnModel.precision: must be one of {', '.join(SYNOPS_PRESETS)} (got {precision!r})"
            )
        self.precision = precision
        self.p = SYNOPS_PRESETS[precision]

    def components(self, c: Counts) -> dict[str, float]:
        bits = self.p["bits"]
        macs = c["dense_synapses"] / max(c["steps"], 1)  # one pass over every synapse
        return {
            "mac": self.p["mac"] * PJ * macs,
            "weight_memory": E_SRAM_BIT * PJ * macs * c["weight_bits"],
            "activation_memory": E_SRAM_BIT * PJ * 2 * c["neurons_and_inputs"] * bits,
        }


# ----------------------------------------------------------------------------- report


@dataclass
class EnergyReport:
    """Energy of one run (or one estimate) under every model, in joules.

    ``total(model)``, ``components(model)``, ``ratio(a, b)``, ``per_timestep(model)``,
    ``per_inference(model)`` (the run is one inference), ``by_core``, ``by_population`` and
    ``by_step`` (chip model, when counts per core and step exist), ``to_dict()`` / ``to_json()``.
    """

    chip: str
    energy_set: str
    steps: int
    counts: Counts
    models: dict = field(default_factory=dict)  # name -> {component: J}
    by_core: np.ndarray | None = None
    by_step: np.ndarray | None = None
    by_population: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    unpriced: dict = field(default_factory=dict)  # model -> counts it needs that were not given
    left_out: dict = field(default_factory=dict)
    """Model -> counts of this run it does not price by definition (``synaptic_updates``: the
    learning engine's; SynOps, the Bit Budget and the ANN estimate price inference only, and a
    chip energy set without ``synaptic_update_pj`` has no figure for it)."""
    per_core_step: CoreStepCounts | None = None
    """Counts per (step, core) the chip model priced (:class:`~spikemesh.counts.CoreStepCounts`)."""
    unverified: tuple = ()
    """The figures behind the chip model that trace to no published measurement: the profile's
    ``unverified`` energy and timing keys, and neuron programs priced as a plain neuron update."""

    def total(self, model: str = "chip") -> float:
        self._check(model)
        return float(sum(self.models[model].values()))

    def components(self, model: str = "chip") -> dict:
        self._check(model)
        return dict(self.models[model])

    def ratio(self, a: str, b: str) -> float:
        tb = self.total(b)
        return self.total(a) / tb if tb else math.inf

    def per_timestep(self, model: str = "chip") -> float:
        return self.total(model) / max(self.steps, 1)

    def per_inference(self, model: str = "chip") -> float:
        return self.total(model)

    def bit_budget(self) -> dict[str, float]:
        """The Bit Budget in bits (:func:`bit_budget`): bit operations and bits moved."""
        return bit_budget(self.counts)

    def _check(self, model: str) -> None:
        if model not in self.models:
            raise ParameterError(
                f"EnergyReport: models are {', '.join(self.models)} (got {model!r})"
            )

    def to_dict(self) -> dict:
        return {
            "chip": self.chip, "energy_set": self.energy_set, "steps": self.steps,
            "settings": self.settings,
            "counts": {k: (float(v) if isinstance(v, (float, np.floating)) else int(v)) for k, v in self.counts.as_dict().items()},
            "models": {m: {"total_J": self.total(m), "components_J": self.components(m)} for m in self.models},
            "left_out": dict(self.left_out),
            "by_population_J": {k: float(v) for k, v in self.by_population.items()},
            "bit_budget": self.bit_budget(),
            "unverified": list(self.unverified),
        }  # fmt: skip

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    def __str__(self) -> str:
        lines = [
            f"Energy on {self.chip} ({self.energy_set}), {self.steps} steps, "
            f"{self.counts['elapsed_s'] * 1e6:.2f} µs of chip time",
            f"{'model':<10} {'total':>12} {'per step':>12} {'vs chip':>9}   components",
        ]
        for m in self.models:
            comps = ", ".join(f"{k} {_fmt(v)}" for k, v in self.models[m].items() if v)
            if self.unpriced.get(m):
                comps += (", " if comps else "") + ("without " + ", ".join(self.unpriced[m])
                                                    + " (not given: priced as 0)")  # fmt: skip
            ratio = self.ratio(m, "chip")
            lines.append(
                f"{m:<10} {_fmt(self.total(m)):>12} {_fmt(self.per_timestep(m)):>12} "
                f"{(f'{ratio:.3g}' if math.isfinite(ratio) else 'n/a'):>8}x   {comps}"
            )
        c = self.counts
        unk = set(c.unknown)

        def n(key, fmt=","):
            return "n/a" if key in unk else format(c[key], ",.0f" if fmt == "," else fmt)

        hops = "n/a" if {"hops_ew", "hops_ns"} & unk else f"{c['hops_ew'] + c['hops_ns']:,.0f}"
        what = ("chip counts (every core and step the mapping runs; NeuroBench's metrics of the "
                "user's network: res.neurobench())") if not unk else "counts (given)"  # fmt: skip
        lines.append(
            f"{what}: {n('synaptic_events')} effective / {n('dense_synapses')} dense synaptic "
            f"ops, {n('membrane_updates')} membrane updates, {n('spikes')} spikes, "
            f"{n('messages')} spike messages, {hops} message hops, activation sparsity "
            f"{n('activation_sparsity', '.3f')}"
        )
        if c["synaptic_updates"]:
            out = ", ".join(m for m in self.left_out)
            lines.append(f"learning: {c['synaptic_updates']:,.0f} synaptic updates"
                         + (f", not priced by {out} (they price inference only"
                            + (", or the energy set has no synaptic_update_pj" if "chip" in
                               self.left_out else "") + ")" if out else ""))  # fmt: skip
        if self.unverified:
            lines.append("unverified (no published figure): " + "; ".join(self.unverified))
        return "\n".join(lines)


def _fmt(j: float) -> str:
    for unit, scale in (("J", 1), ("mJ", 1e-3), ("µJ", 1e-6), ("nJ", 1e-9), ("pJ", 1e-12)):
        if abs(j) >= scale:
            return f"{j / scale:.3g} {unit}"
    return f"{j / 1e-15:.3g} fJ" if j else "0 J"


MODELS: dict[str, type] = {}
"""The energy models every report prices, by name, in order (the chip's own first). A model is
a class with ``name``, ``needs`` (the counts it prices), ``components(counts) -> {component:
joules}`` and ``build(**settings)`` (the report's ``chip``, ``energy_set``, ``synops``, ``ann``,
``formula``): :func:`register` adds one."""


def register(cls: type) -> type:
    """Add an energy model to every report (usable as a class decorator): ``cls.name`` must be
    a new name; ``cls.build(**settings)`` makes it (default: ``cls()``)."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name or not callable(getattr(cls, "components", None)):
        raise ParameterError(
            f"energy.register: {cls!r} needs a string 'name' and a components(counts) method"
        )
    if name in MODELS and MODELS[name] is not cls:
        raise ParameterError(f"energy.register: a model named {name!r} is already registered")
    MODELS[name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a model added with :func:`register` (the four built-in ones stay)."""
    if name in ("chip", "synops", "bitbudget", "ann"):
        raise ParameterError(f"energy.unregister: {name!r} is built in")
    MODELS.pop(name, None)


for _m in (ChipEnergyModel, SynOpsModel, BitBudgetModel, AnnModel):
    MODELS[_m.name] = _m


def _checked(model, comps) -> dict:
    """A model's components: a dict of finite joules >= 0, or an error naming the model."""
    if not isinstance(comps, dict):
        raise ParameterError(f"energy model {model.name!r}: components() must return a dict "
                             f"component -> joules (got {type(comps).__name__})")  # fmt: skip
    for k, v in comps.items():
        ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        if not ok or not math.isfinite(float(v)) or float(v) < 0:
            raise ParameterError(f"energy model {model.name!r}: component {k!r} = {show(v)}; "
                                 "must be a finite number of joules >= 0")  # fmt: skip
    return {str(k): float(v) for k, v in comps.items()}


def _build(cls, settings):
    make = getattr(cls, "build", None)
    return make(**settings) if make is not None else cls()


def _models(chip, energy_set, synops, ann, formula) -> list:
    settings = dict(chip=chip, energy_set=energy_set, synops=synops, ann=ann, formula=formula)
    return [_build(cls, settings) for cls in MODELS.values()]


# ----------------------------------------------------------------------------- pricing


def _check_formula(formula):
    if formula is not None and not callable(formula):
        raise ParameterError(
            f"energy.formula: must be a callable counts -> {{component: joules}} "
            f"(got {type(formula).__name__})"
        )


def report(chip, counts: Counts, *, per_core_step: CoreStepCounts | None = None,
           population_shares: dict | None = None, energy_set: str | None = None,
           synops: str = "fp32", ann: str = "int8", formula=None,
           neuron_models: tuple = ()) -> EnergyReport:  # fmt: skip
    """Price ``counts`` under every model.

    Parameters
    ----------
    chip : ChipProfile, name or path
    counts : Counts
        Totals of a run (``res.counts()``) or of an estimate.
    per_core_step : CoreStepCounts, optional
        Per step and core; gives ``by_core`` and ``by_step`` (chip model).
    population_shares : dict name -> (n_cores,) array, optional
        Fraction of each core's neurons that belong to a population; gives ``by_population``.
    energy_set, synops, ann, formula
        The chip's energy set (default: the profile's), the SynOps preset, the ANN precision,
        and a Bit Budget formula ``counts -> {component: joules}``.
    neuron_models : tuple of str, optional
        The neuron models the run used: those that are programs (``NeuronSpec.program``) are
        listed in ``unverified`` (their update is priced as the profile's neuron update).
    """
    if not isinstance(counts, Counts):
        raise ParameterError(f"energy.report.counts: must be Counts (got {type(counts).__name__})")
    _check_formula(formula)
    models = _models(chip, energy_set, synops, ann, formula)
    unknown = set(counts.unknown)
    rep = EnergyReport(models[0].chip.name, models[0].set_name, counts.steps, counts,
                       {mo.name: _checked(mo, mo.components(counts)) for mo in models},
                       settings={"synops": synops, "ann": ann}, per_core_step=per_core_step,
                       unpriced={mo.name: [k for k in getattr(mo, "needs", ()) if k in unknown]
                                 for mo in models
                                 if any(k in unknown for k in getattr(mo, "needs", ()))})  # fmt: skip
    rep.unverified = _unverified(models[0], neuron_models)
    if counts.synaptic_updates > 0:
        rep.left_out = {mo.name: ["synaptic_updates"] for mo in models
                        if "synaptic_updates" not in getattr(mo, "needs", ())}  # fmt: skip
    if per_core_step is not None:
        per_cell = models[0].components(per_core_step)  # arrays (steps, cores) per component
        grid = sum(np.asarray(v, float) for v in per_cell.values())
        rep.by_core = grid.sum(axis=0)
        rep.by_step = grid.sum(axis=1)
        for name, share in (population_shares or {}).items():
            rep.by_population[name] = float(rep.by_core @ share)
    return rep


def _unverified(chip_model: ChipEnergyModel, neuron_models) -> tuple:
    """What in the chip model's figures is unverified (see :attr:`EnergyReport.unverified`)."""
    from .neurons import MODELS

    chip = chip_model.chip
    out = []
    for key in chip.unverified:
        if key == "energy" or key == f"energy.{chip_model.set_name}":
            out.append(f"energy set {chip_model.set_name!r} (all of it)")
        elif key.startswith(f"energy.{chip_model.set_name}."):
            out.append(f"energy {key.rsplit('.', 1)[1]}")
        elif key == "timing" or key.startswith("timing."):
            out.append("timing" if key == "timing" else f"timing {key.split('.', 1)[1]}")
    progs = [m for m in dict.fromkeys(neuron_models) if getattr(MODELS.get(m), "program", "")]
    if progs:
        out.append(f"{', '.join(progs)} updates priced as the profile's neuron update (no "
                   "published per-program figure)")  # fmt: skip
    return tuple(out)


def estimate(chip, counts: dict, steps: int, *, energy_set: str | None = None, synops: str = "fp32",
             ann: str = "int8", formula=None) -> EnergyReport:  # fmt: skip
    """An :class:`EnergyReport` from totals, without a run.

    ``counts`` holds totals over ``steps`` steps with the keys of
    :class:`~spikemesh.counts.Counts`, e.g. ``synaptic_events``, ``neuron_updates``,
    ``active_updates``, ``spikes``, ``hops`` (or ``hops_ew`` / ``hops_ns``), ``dense_synapses``,
    ``neurons``, ``elapsed_s`` (default: ``steps`` x the chip's tick, required on
    barrier-synchronized chips). Unknown keys and totals that contradict each other raise
    (naming the pair); a count a model needs that was not given is named in the report
    (``rep.unpriced``) and priced as 0 there, never silently.
    """
    chip = _chips.get(chip)
    steps = check_int("estimate", "steps", steps, 1)
    c = Counts.from_totals(counts, steps, chip.tick_s, chip.name)
    return report(chip, c, energy_set=energy_set, synops=synops, ann=ann, formula=formula)
