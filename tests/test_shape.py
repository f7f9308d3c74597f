"""The package's shape: limits filled exactly, the active-update rule, seeds, the model registry.

Each test here would have caught a mutant that survived the design review: a core filled one
past a limit, the "active" rule changed in one module only, a seed that is ignored, a neuron
model whose facts are hard-coded outside its spec.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh.cli import demo_network
from spikemesh.emulator import models
from tests.networks import make_profile

LIF = sm.CubaLIF(du=0, dv=0, vth=1000)


# ------------------------------------------------------------------ limits, exactly filled
@pytest.mark.parametrize("n,cores", [(8, 1), (9, 2)])
def test_neurons_per_core_exactly_at_the_limit(tmp_path, n, cores):
    net = sm.Network("full")
    net.population(n, LIF, name="p")
    assert sm.map_network(net, make_profile(tmp_path, neurons=8)).n_cores == cores


def _two_neurons(n_lines: int, split_at: int) -> sm.Network:
    """Neuron 0 listens to lines 0..split_at-1, neuron 1 to the rest (distinct input axons)."""
    net = sm.Network("axons")
    x = net.input(n_lines, name="x")
    p = net.population(2, LIF, name="p")
    w = np.zeros((n_lines, 2), np.int64)
    w[:split_at, 0] = 1
    w[split_at:, 1] = 1
    net.connect(x, p, weights=w)
    return net


@pytest.mark.parametrize("lines,cores", [(10, 1), (11, 2)])
def test_input_axons_exactly_at_the_limit(tmp_path, lines, cores):
    m = sm.map_network(_two_neurons(lines, 5), make_profile(tmp_path, input_axons=10))
    assert m.n_cores == cores
    assert max(c.n_axons_in for c in m.cores) <= 10


@pytest.mark.parametrize("bits,cores", [(180, 1), (179, 2)])
def test_synapse_memory_exactly_at_the_limit(tmp_path, bits, cores):
    # 10 synapses x (8 weight bits + 10 index bits, no delay bits) = 180 bits
    m = sm.map_network(_two_neurons(10, 5), make_profile(tmp_path, synapse_memory_bits=bits))
    assert m.n_cores == cores
    assert sum(c.synapse_bits for c in m.cores) == 180


@pytest.mark.parametrize("limit", [8, 7])
def test_output_axons_exactly_at_the_limit(tmp_path, limit):
    net = sm.Network("fanout")
    a = net.population(4, LIF, name="a")
    b = net.population(8, LIF, name="b")  # two cores of 4
    net.connect(a, b, weights=np.ones((4, 8), int))
    chip = make_profile(tmp_path, neurons=4, output_axons=limit)
    m = sm.map_network(net, chip)
    if limit == 8:  # 4 neurons x 2 destination cores: exactly full
        assert m.cores[0].n_axons_out == 8 and len(m.slices["a"]) == 1
    else:  # a is cut (3 + 1 neurons) and the halves kept apart (6 + 2 > 7)
        assert [(s.lo, s.hi) for s in m.slices["a"]] == [(0, 3), (3, 4)]
        assert len({s.core for s in m.slices["a"]}) == 2
        assert max(c.n_axons_out for c in m.cores) == 6


# ------------------------------------------------------------------ the active-update rule
def test_active_updates_are_changed_or_spiked_in_counts_and_timing():
    # IF with bias = vth from v = 0: every step v -> vth -> spike -> v = 0 again, so the state
    # never changes but every neuron spikes: all updates are active
    net = sm.Network("busy")
    net.population(5, sm.IF(vth=7, bias=7), name="p")
    res = sm.Simulator(sm.map_network(net, "loihi"), timing="analytic").run(4)
    assert res.total("state_changes") == 0 and res.total("spikes") == 20
    c = res.counts()
    assert c.active_updates == 20 and c.inactive_updates == 0 and c.membrane_updates == 0
    # timing charges the same neurons as active: 5 x 8.4 ns at 1 GHz (the spikes have no
    # targets: no messages, no spike-out time)
    assert_array_equal(res.timing.core_busy[:, 0], np.full(4, 5 * 8.4))
    rep = res.energy()
    assert rep.per_core_step.active_updates.sum() == 20
    assert rep.components("chip")["neuron_update"] == pytest.approx(20 * 81e-12)


def test_active_rule_is_the_union_bound_when_states_change_without_spikes():
    net = sm.Network("quiet")
    net.population(3, sm.IF(vth=100, bias=1), name="p")  # v climbs, never fires in 5 steps
    res = sm.Simulator(sm.map_network(net, "loihi")).run(5)
    c = res.counts()
    assert (c.active_updates, c.membrane_updates, c.spikes) == (15, 15, 0)


# ------------------------------------------------------------------ seeds and demos
def _stochastic_net(rng) -> tuple[sm.Network, np.ndarray]:
    net = sm.Network("stochastic")
    x = net.input(20, name="x")
    spec = sm.TrueNorthNeuron(weights=(100, 60, 0, 0), alpha=2, threshold_mask_bits=3,
                              stochastic_synapse=(True, True, False, False), leak=-1)  # fmt: skip
    p = net.population(30, spec, name="p")
    w = rng.choice([0, 100, 60, 160], (20, 30), p=[0.5, 0.2, 0.2, 0.1])
    net.connect(x, p, weights=w)
    return net, (rng.random((40, 20)) < 0.4).astype(int)


def test_same_seed_same_result_and_the_seed_matters(rng):
    net, X = _stochastic_net(rng)
    m = sm.map_network(net, "truenorth")
    a, b, c = (sm.Simulator(m, seed=s).run(40, inputs={"x": X}).spikes["p"] for s in (5, 5, 6))
    assert_array_equal(a, b)
    assert a.sum() > 0
    assert not np.array_equal(a, c)  # a different seed draws different numbers


def test_truenorth_demo_hidden_layer_spikes():
    net = demo_network("truenorth")
    m = sm.map_network(net, "truenorth")
    rng = np.random.default_rng(1)
    X = (rng.random((50, 64)) < np.linspace(0.02, 0.3, 64)).astype(np.int32)
    res = sm.Simulator(m).run(50, inputs={"x": X})
    assert np.count_nonzero(res.spikes["hidden"]) > 100
    assert np.count_nonzero(res.spikes["out"]) > 0


# ------------------------------------------------------------------ formats are read
def test_profile_formats_limit_what_maps(tmp_path):
    net = sm.Network("fmt")
    x = net.input(2, name="x")
    p = net.population(2, LIF, name="p")
    net.connect(x, p, weights=np.ones((2, 2), int), weight_exp=5)
    with pytest.raises(sm.MappingError, match=r"weight_exp 5; .*\[formats\] allow -8\.\.4"):
        sm.map_network(net, make_profile(tmp_path, weight_exp_max=4))
    with pytest.raises(sm.MappingError, match=r"needs a 24-bit v register; .* v_bits = 16"):
        sm.map_network(net, make_profile(tmp_path, name="narrow", v_bits=16))
    wide = sm.Network("wide")
    wide.population(2, sm.IF(vth=3, v_bits=32), name="q")
    with pytest.raises(sm.MappingError, match=r"'q': IF needs a 32-bit v register; loihi"):
        sm.map_network(wide, "loihi")


# ------------------------------------------------------------------ a new model: spec + kernel + one line
@dataclass(frozen=True, slots=True, eq=False)
class Counter(sm.NeuronSpec):
    """Toy model: counts input, fires (payload 1) each time the count reaches ``period``."""

    period: int = 3
    state_vars = ("c",)

    @property
    def registers(self) -> dict[str, int]:
        return {"c": 16}


def counter_update(inp, c, period, spikes):
    """Kernel (the test's compiled and twin backends are this one function)."""
    c += inp.astype(np.int32)
    fired = c >= period
    c[fired] -= period
    spikes[:] = fired
    return int(np.count_nonzero(inp)), int(fired.sum()), 0


models.register(
    Counter,
    lambda spec, n, state, spikes, k, seed, off: (
        lambda inp, t: counter_update(inp, state["c"], spec.period, spikes)
    ),
)  # the one registry line


def test_a_new_model_needs_only_its_spec_kernel_and_one_registry_line(tmp_path, backend):
    chip = make_profile(tmp_path, name="counter_chip", neuron_models='["Counter"]', neurons=2)
    net = sm.Network("toy")
    x = net.input(1, name="x")
    p = net.population(3, Counter(period=3), name="p")  # split over 2 cores by the profile
    net.connect(x, p, weights=np.ones((1, 3), int))
    net.probe(p, "c")
    m = sm.map_network(net, chip)
    assert m.n_cores == 2 and "Counter" in m.report()
    X = np.ones((7, 1), int)
    res = sm.Simulator(m, timing="cycle", backend=backend).run(7, inputs={"x": X})
    # input of step t arrives in step t + 1: the count reaches 3 in steps 3 and 6
    assert_array_equal(res.spikes["p"][:, 0], [0, 0, 0, 1, 0, 0, 1])
    assert_array_equal(res.probes["p"]["c"][:, 2], [0, 1, 2, 0, 1, 2, 0])
    rep = res.energy()
    assert rep.counts.state_bits_read == 16 * 3 * 7 and rep.total("chip") > 0
