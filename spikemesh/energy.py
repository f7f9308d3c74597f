"""Energy: the chip's own event model beside the SynOps, Bit Budget and ANN estimates.

``res.energy()`` turns a run's counters into an :class:`EnergyReport`; ``estimate(chip, counts,
steps)`` does the same from a dict of totals, for networks too large to emulate. Four models:

``chip``
    The profile's per-event energies (``[energy.<set>]``) x counted events, plus static power x
    elapsed chip time. Components: synaptic, neuron_update, spike, routing, static.
``synops``
    The conventional estimate: ``E_AC x effective synaptic events + E_MAC x encoding-layer MACs``
    (events from non-binary inputs are MACs), presets fp32, fp16, int32, int8 (Horowitz 2014).
``bitbudget``
    Charges bits, not events (the Bit Budget perspective of Shen et al., CVPR 2024), built from
    its primitives because the published formula was not available to us::

        compute  = sum_events b_w * b_s * e_bit  +  neuron updates * b_state * e_add
        storage  = (synapse bits read + state bits read + state bits written) * e_sram
        e_bit = E_mult(int8) / 64 = 3.125 fJ   (one 1-bit x 1-bit product)
        e_add = E_add(int8) / 8   = 3.75 fJ    (one bit of accumulation)
        e_sram = E_read(64 bit, 8 KB SRAM) / 64 = 0.156 pJ per bit

    with b_w the weight bits, b_s the spike payload bits (1 for binary spikes) and b_state the
    neuron state bits. Pass ``formula=`` to swap in another (a callable ``counts -> {component:
    joules}``).
``ann``
    The same layer shapes run once as a quantized ANN: dense MACs x E_MAC(precision) plus weight
    reads and activation writes/reads at e_sram per bit.

Counts follow NeuroBench's definitions where they overlap (Yik et al. 2025): effective synaptic
operations = synapses a non-zero input reached; dense = every synapse every step; membrane
updates = neurons whose state changed; activation sparsity = 1 - spikes / (neurons x steps).
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from . import chips as _chips
from ._validate import check_int
from .exceptions import ParameterError, ProfileError

__all__ = [
    "COUNT_KEYS",
    "SYNOPS_PRESETS",
    "AnnModel",
    "BitBudgetModel",
    "ChipEnergyModel",
    "EnergyReport",
    "SynOpsModel",
    "counts_from_result",
    "estimate",
    "report",
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

COUNT_KEYS = (
    "steps", "neurons", "synaptic_events", "synaptic_event_bits", "weighted_event_bits",
    "dense_synapses", "neuron_updates", "active_updates", "inactive_updates", "membrane_updates",
    "spikes", "spike_bits", "packets", "flits", "hops_ew", "hops_ns", "chip_crossings",
    "barriers", "synapse_bits_read", "state_bits_read", "state_bits_written", "encoding_macs",
    "elapsed_s", "activation_sparsity",
)  # fmt: skip

# profile energy keys -> (component, counter)
_CHIP_KEYS = {
    "synaptic_op_pj": ("synaptic", "synaptic_events"),
    "neuron_update_active_pj": ("neuron_update", "active_updates"),
    "neuron_update_inactive_pj": ("neuron_update", "inactive_updates"),
    "soma_update_pj": ("neuron_update", "neuron_updates"),
    "soma_access_pj": ("neuron_update", "active_updates"),
    "spike_in_tile_pj": ("spike", "spikes"),
    "spike_out_pj": ("spike", "spikes"),
    "hop_ew_pj": ("routing", "hops_ew"),
    "hop_ns_pj": ("routing", "hops_ns"),
    "chip_link_pj": ("routing", "chip_crossings"),
}
CHIP_COMPONENTS = ("synaptic", "neuron_update", "spike", "routing", "static")
_STATE_BITS = {"CubaLIF": 48, "TrueNorthNeuron": 20}  # u + v (24 + 24); V (20)


# ----------------------------------------------------------------------------- models


class ChipEnergyModel:
    """The chip's own per-event energies (one ``[energy.NAME]`` set of its profile)."""

    name = "chip"

    def __init__(self, chip, energy_set: str | None = None) -> None:
        self.chip = _chips.get(chip)
        self.set_name = energy_set or self.chip.default_energy
        if self.set_name not in self.chip.energy:
            raise ParameterError(
                f"ChipEnergyModel.energy_set: {self.chip.name} has energy sets "
                f"{', '.join(self.chip.energy) or '(none)'} (got {self.set_name!r})"
            )
        self.table = dict(self.chip.energy[self.set_name])
        used = [k for k in self.table if k in _CHIP_KEYS or k == "static_power_w"]
        if not used:
            raise ProfileError(
                f"{self.chip.path}: [energy.{self.set_name}] has no per-event key spikemesh "
                f"uses; known keys: {', '.join(sorted(_CHIP_KEYS))}, static_power_w"
            )

    def components(self, c: dict) -> dict[str, float]:
        out = dict.fromkeys(CHIP_COMPONENTS, 0.0)
        for key, value in self.table.items():
            if key in _CHIP_KEYS:
                comp, counter = _CHIP_KEYS[key]
                out[comp] += value * PJ * c[counter]
        out["static"] = self.table.get("static_power_w", 0.0) * c["elapsed_s"]
        return out


class SynOpsModel:
    """``E_AC x effective synaptic events + E_MAC x encoding-layer MACs``."""

    name = "synops"

    def __init__(self, preset: str = "fp32") -> None:
        if preset not in SYNOPS_PRESETS:
            raise ParameterError(
                f"SynOpsModel.preset: must be one of {', '.join(SYNOPS_PRESETS)} (got {preset!r})"
            )
        self.preset = preset
        self.p = SYNOPS_PRESETS[preset]

    def components(self, c: dict) -> dict[str, float]:
        acs = c["synaptic_events"] - c["encoding_macs"]
        return {
            "accumulate": self.p["ac"] * PJ * acs,
            "encoding_mac": self.p["mac"] * PJ * c["encoding_macs"],
        }


def bit_budget_formula(c: dict) -> dict[str, float]:
    """The default Bit Budget formula (module docstring)."""
    return {
        "compute_synaptic": E_BIT * PJ * c["weighted_event_bits"],
        "compute_neuron": E_ADD_BIT * PJ * c["state_bits_read"],
        "storage": E_SRAM_BIT
        * PJ
        * (c["synapse_bits_read"] + c["state_bits_read"] + c["state_bits_written"]),
    }


class BitBudgetModel:
    """Bits x operations, split between computation and storage; ``formula`` swaps the rule."""

    name = "bitbudget"

    def __init__(self, formula=None) -> None:
        self.formula = formula or bit_budget_formula

    def components(self, c: dict) -> dict[str, float]:
        return {k: float(v) for k, v in self.formula(c).items()}


class AnnModel:
    """The same layer shapes run once as a quantized ANN at ``precision``."""

    name = "ann"

    def __init__(self, precision: str = "int8") -> None:
        if precision not in SYNOPS_PRESETS:
            raise ParameterError(
                f"AnnModel.precision: must be one of {', '.join(SYNOPS_PRESETS)} (got {precision!r})"
            )
        self.precision = precision
        self.p = SYNOPS_PRESETS[precision]

    def components(self, c: dict) -> dict[str, float]:
        bits = self.p["bits"]
        macs = c["dense_synapses"] / max(c["steps"], 1)  # one pass over every synapse
        return {
            "mac": self.p["mac"] * PJ * macs,
            "weight_memory": E_SRAM_BIT * PJ * macs * c.get("weight_bits", 8),
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
    counts: dict
    models: dict = field(default_factory=dict)  # name -> {component: J}
    by_core: np.ndarray | None = None
    by_step: np.ndarray | None = None
    by_population: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    per_core_step: dict = field(default_factory=dict)
    """Counts per (step, core) the chip model used: synaptic events, updates, active and
    inactive updates, spikes, hops by direction, chip crossings, elapsed time share."""

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

    def _check(self, model: str) -> None:
        if model not in self.models:
            raise ParameterError(
                f"EnergyReport: models are {', '.join(self.models)} (got {model!r})"
            )

    def to_dict(self) -> dict:
        return {
            "chip": self.chip, "energy_set": self.energy_set, "steps": self.steps,
            "settings": self.settings,
            "counts": {k: (float(v) if isinstance(v, (float, np.floating)) else int(v)) for k, v in self.counts.items()},
            "models": {m: {"total_J": self.total(m), "components_J": self.components(m)} for m in self.models},
            "by_population_J": {k: float(v) for k, v in self.by_population.items()},
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
            lines.append(
                f"{m:<10} {_fmt(self.total(m)):>12} {_fmt(self.per_timestep(m)):>12} "
                f"{self.ratio(m, 'chip'):>8.3g}x   {comps}"
            )
        c = self.counts
        lines.append(
            f"counts: {c['synaptic_events']:,} effective / {c['dense_synapses']:,} dense synaptic ops, "
            f"{c['membrane_updates']:,} membrane updates, {c['spikes']:,} spikes, "
            f"{c['hops_ew'] + c['hops_ns']:,} hops, activation sparsity {c['activation_sparsity']:.3f}"
        )
        return "\n".join(lines)


def _fmt(j: float) -> str:
    for unit, scale in (("J", 1), ("mJ", 1e-3), ("µJ", 1e-6), ("nJ", 1e-9), ("pJ", 1e-12)):
        if abs(j) >= scale:
            return f"{j / scale:.3g} {unit}"
    return f"{j / 1e-15:.3g} fJ" if j else "0 J"


def _models(chip, energy_set, synops, ann, formula) -> list:
    return [
        ChipEnergyModel(chip, energy_set),
        SynOpsModel(synops),
        BitBudgetModel(formula),
        AnnModel(ann),
    ]


# ----------------------------------------------------------------------------- counts


def counts_from_result(res) -> tuple[dict, dict]:
    """Totals (COUNT_KEYS) and per-core-per-step arrays from a :class:`SimulationResult`."""
    from .emulator.timing import TimingModel

    m = res.mapping
    steps, n_cores = res.steps, m.n_cores
    cnt = res.counters
    state_bits = np.array([_core_state_bits(c) for c in m.cores], float)
    payload_bits = np.array(
        [max(s.pop.neuron.payload_bits for s in c.slices) for c in m.cores], float
    )
    syn_bits = np.array([c.synapse_bits / c.n_synapses if c.n_synapses else 0.0 for c in m.cores])
    wbits = np.array([_core_weight_bits(c) for c in m.cores])
    active = np.maximum(cnt["state_changes"], cnt["spikes"]).astype(float)
    per = {
        "synaptic_events": cnt["synaptic_events"].astype(float),
        "neuron_updates": cnt["neuron_updates"].astype(float),
        "active_updates": active,
        "inactive_updates": cnt["neuron_updates"] - active,
        "spikes": cnt["spikes"].astype(float),
        "hops_ew": np.zeros((steps, n_cores)),
        "hops_ns": np.zeros((steps, n_cores)),
        "chip_crossings": np.zeros((steps, n_cores)),
    }
    tm = TimingModel(m, "analytic")
    inputs = list(m.input_routes)
    in_bits = [m.network.inputs[name].payload_bits for name in inputs]
    pk = res.packets if res.packets is not None else np.zeros((0, 5), np.int64)
    flits = ev_bits = w_ev_bits = enc = 0.0
    syn_bits_read = 0.0
    for step, src, dst, ev, syn in pk.tolist():
        ew, ns, cross = tm.route_stats(src, dst)
        f = tm.flits(ev)
        flits += f
        owner = src if src >= 0 else dst  # host packets are charged to the receiving core
        per["hops_ew"][step, owner] += ew
        per["hops_ns"][step, owner] += ns
        per["chip_crossings"][step, owner] += cross
        b_s = payload_bits[src] if src >= 0 else in_bits[-1 - src]
        ev_bits += syn * b_s
        w_ev_bits += syn * b_s * wbits[dst]
        syn_bits_read += syn * syn_bits[dst]
        if src < 0 and b_s > 1:
            enc += syn
    # elapsed chip time: the run's timing, or the analytic model after the fact
    if res.latency_s is not None:
        elapsed = float(res.latency_s.sum())
        step_s = np.asarray(res.latency_s, float)
    else:
        step_s = np.zeros(steps)
        by_step = [[] for _ in range(steps)]
        for q in pk.tolist():
            by_step[q[0]].append(tuple(q[1:]))
        upd = np.array([c.n_neurons for c in m.cores], float)
        for t in range(steps):
            st = tm.step(upd, active[t], per["spikes"][t], by_step[t])
            step_s[t] = st.cycles / m.chip.clock_hz
            if m.chip.tick_s > 0:
                step_s[t] = m.chip.tick_s
        elapsed = float(step_s.sum())
    user_neurons = sum(p.n for p in m.network.populations.values())
    user_spikes = sum(int(np.count_nonzero(s)) for s in res.spikes.values())
    dense = sum(c.table.n_synapses for c in m.cores) * steps
    totals = {
        "steps": steps,
        "neurons": int(sum(c.n_neurons for c in m.cores)),
        "neurons_and_inputs": user_neurons + sum(s.n for s in m.network.inputs.values()),
        "synaptic_events": int(per["synaptic_events"].sum()),
        "synaptic_event_bits": int(ev_bits),
        "weighted_event_bits": int(w_ev_bits),
        "dense_synapses": int(dense),
        "neuron_updates": int(per["neuron_updates"].sum()),
        "active_updates": int(active.sum()),
        "inactive_updates": int(per["inactive_updates"].sum()),
        "membrane_updates": int(cnt["state_changes"].sum()),
        "spikes": int(per["spikes"].sum()),
        "spike_bits": int((per["spikes"] * payload_bits).sum()),
        "packets": len(pk),
        "flits": int(flits),
        "hops_ew": int(per["hops_ew"].sum()),
        "hops_ns": int(per["hops_ns"].sum()),
        "chip_crossings": int(per["chip_crossings"].sum()),
        "barriers": steps,
        "synapse_bits_read": round(syn_bits_read),
        "state_bits_read": int((cnt["neuron_updates"] * state_bits).sum()),
        "state_bits_written": int((active * state_bits).sum()),
        "encoding_macs": int(enc),
        "elapsed_s": elapsed,
        "activation_sparsity": 1.0 - user_spikes / max(user_neurons * steps, 1),
        "weight_bits": float(np.average(wbits, weights=[c.n_synapses for c in m.cores]))
        if dense
        else 8.0,
    }
    per["elapsed_s"] = np.repeat(step_s[:, None] / max(n_cores, 1), n_cores, axis=1)
    return totals, per


def _core_state_bits(core) -> float:
    spec = core.slices[0].pop.neuron
    name = type(spec).__name__
    return float(spec.v_bits) if name == "IF" else float(_STATE_BITS[name])


def _core_weight_bits(core) -> float:
    """Mean stored weight bits per synapse (1 on a TrueNorth crossbar)."""
    return core.weight_bits_total / core.n_synapses if core.n_synapses else 0.0


def report(res, *, energy_set: str | None = None, synops: str = "fp32", ann: str = "int8",
           formula=None) -> EnergyReport:  # fmt: skip
    """Energy of a :class:`~spikemesh.SimulationResult` under every model."""
    if res.mapping is None:
        raise ParameterError("energy: this result carries no mapping (run it with Simulator)")
    totals, per = counts_from_result(res)
    models = _models(res.mapping.chip, energy_set, synops, ann, formula)
    rep = EnergyReport(res.mapping.chip.name, models[0].set_name, res.steps, totals,
                       {mo.name: mo.components(totals) for mo in models},
                       settings={"synops": synops, "ann": ann})  # fmt: skip
    chip_model = models[0]
    per_cell = chip_model.components(per)  # arrays (steps, cores) per component
    grid = sum(np.asarray(v, float) for v in per_cell.values())
    rep.by_core = grid.sum(axis=0)
    rep.by_step = grid.sum(axis=1)
    rep.per_core_step = per
    for c, core in enumerate(res.mapping.cores):
        n = core.n_neurons
        for s in core.slices:
            name = s.pop.name
            rep.by_population[name] = rep.by_population.get(name, 0.0) + rep.by_core[c] * s.n / n
    return rep


def estimate(chip, counts: dict, steps: int, *, energy_set: str | None = None, synops: str = "fp32",
             ann: str = "int8", formula=None) -> EnergyReport:  # fmt: skip
    """An :class:`EnergyReport` from totals, without a run.

    ``counts`` holds totals over ``steps`` steps with the keys of the counters, e.g.
    ``synaptic_events``, ``neuron_updates``, ``active_updates``, ``spikes``, ``hops`` (or
    ``hops_ew`` / ``hops_ns``), ``dense_synapses``, ``neurons``, ``elapsed_s`` (default:
    ``steps`` x the chip's tick, required on barrier-synchronized chips). Missing counts are 0;
    unknown keys raise.
    """
    chip = _chips.get(chip)
    steps = check_int("estimate", "steps", steps, 1)
    allowed = set(COUNT_KEYS) | {"hops", "active_cores", "weight_bits", "neurons_and_inputs"}
    bad = sorted(set(counts) - allowed)
    if bad:
        raise ParameterError(
            f"estimate.counts: unknown keys {', '.join(bad)}; allowed: {', '.join(sorted(allowed))}"
        )
    for key, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
            raise ParameterError(f"estimate.counts[{key!r}]: must be a number >= 0 (got {value!r})")
    if counts.get("active_updates", 0) > counts.get(
        "neuron_updates", counts.get("active_updates", 0)
    ):
        raise ParameterError(
            f"estimate.counts: active_updates ({counts['active_updates']}) exceeds neuron_updates "
            f"({counts.get('neuron_updates')})"
        )
    c = dict.fromkeys(COUNT_KEYS, 0)
    c.update({k: v for k, v in counts.items() if k in c})
    c["steps"] = steps
    if "hops" in counts:
        c["hops_ew"] = c.get("hops_ew", 0) + counts["hops"] / 2
        c["hops_ns"] = c.get("hops_ns", 0) + counts["hops"] / 2
    if "active_updates" not in counts:
        c["active_updates"] = counts.get("neuron_updates", 0)
    c["inactive_updates"] = counts.get("neuron_updates", 0) - c["active_updates"]
    if "elapsed_s" not in counts:
        if chip.tick_s <= 0:
            raise ParameterError(f"estimate.counts: {chip.name} has no fixed tick; give elapsed_s")
        c["elapsed_s"] = steps * chip.tick_s
    c["neurons_and_inputs"] = counts.get("neurons_and_inputs", counts.get("neurons", 0))
    c["weight_bits"] = counts.get("weight_bits", 8)
    if not c["dense_synapses"]:
        c["dense_synapses"] = c["synaptic_events"]
    n = max(c.get("neurons", 0) * steps, 1)
    c["activation_sparsity"] = 1.0 - c["spikes"] / n
    models = _models(chip, energy_set, synops, ann, formula)
    return EnergyReport(chip.name, models[0].set_name, steps, c,
                        {mo.name: mo.components(c) for mo in models},
                        settings={"synops": synops, "ann": ann})  # fmt: skip
