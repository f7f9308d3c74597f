"""IF (graded, bipolar) and TrueNorth neuron behaviour, hand-computed, on both backends."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh import emulator as emu


def if_step(backend, spec, inp, v0):
    g = emu.NeuronGroup(spec, len(inp), backend=backend, initial={"v": v0})
    counts = g.update(np.asarray(inp, dtype=np.int64))
    return g.spikes.tolist(), g.state["v"].tolist(), counts


def test_if_graded_payload_caps(backend):
    # vth 10, 2 spike bits (cap 3): v = 9, 10, 25, 39, 40, 1000
    spec = sm.IF(vth=10, spike_bits=2)
    s, v, _ = if_step(backend, spec, [9, 10, 25, 39, 40, 1000], [0] * 6)
    assert s == [0, 1, 2, 3, 3, 3]
    assert v == [9, 0, 5, 9, 10, 970]  # subtract payload * vth; capped payload leaves a rest


def test_if_binary_and_zero_reset(backend):
    s, v, _ = if_step(backend, sm.IF(vth=10, reset="zero"), [9, 10, 35], [0, 0, 0])
    assert s == [0, 1, 1] and v == [9, 0, 0]
    s, v, _ = if_step(backend, sm.IF(vth=10), [35], [0])
    assert s == [1] and v == [25]


def test_if_step_reset_forgets_every_step(backend):
    """reset="step": the payload is this step's input only; v is 0 after every step."""
    spec = sm.IF(vth=10, spike_bits=2, reset="step", bipolar=True)
    s, v, counts = if_step(backend, spec, [9, 25, 1000, -25, 0], [0] * 5)
    assert s == [0, 2, 3, -2, 0] and v == [0] * 5
    assert counts[0] == 4  # membrane updates: every neuron that integrated a non-zero value
    g = emu.NeuronGroup(sm.IF(vth=10, reset="step"), 1, backend=backend)
    for _ in range(3):  # 9 each step: a subtract-reset neuron would fire in the second step
        g.update(np.array([9], np.int64))
        assert g.spikes.tolist() == [0] and g.state["v"].tolist() == [0]


def test_if_bipolar_negative_spikes(backend):
    spec = sm.IF(vth=10, spike_bits=2, bipolar=True)
    s, v, _ = if_step(backend, spec, [-9, -10, -25, -100, 25], [0] * 5)
    assert s == [0, -1, -2, -3, 2]
    assert v == [-9, 0, -5, -70, 5]
    # unipolar IF never fires negative
    s, _, _ = if_step(backend, sm.IF(vth=10, spike_bits=2), [-100], [0])
    assert s == [0]


def test_if_saturates_and_counts(backend):
    spec = sm.IF(vth=100, v_bits=8)  # v in -128..127
    s, v, counts = if_step(backend, spec, [50, -500, 0], [120, 0, -128])
    assert v == [127 - 100, -128, -128] and s == [1, 0, 0]
    assert counts[2] == 2  # two saturations: +170 -> 127 and -500 -> -128


def test_if_leak_and_bias(backend):
    spec = sm.IF(vth=1000, leak=3, bias=[1, -1, 0])
    g = emu.NeuronGroup(spec, 3, backend=backend, initial={"v": [10, -10, 2]})
    g.update(np.zeros(3, np.int64))
    assert g.state["v"].tolist() == [8, -8, 0]  # 10+1-3, -10-1+3, leak stops at 0


def tn_group(backend, n=1, **kw):
    return emu.NeuronGroup(sm.TrueNorthNeuron(**kw), n, backend=backend)


def tn_tick(g, counts):
    g.update(np.asarray(counts, dtype=np.int64).reshape(-1))
    return g.spikes.tolist(), g.state["v"].tolist()


def test_truenorth_axon_types_and_leak(backend):
    g = tn_group(backend, weights=[5, -3, 2, 100], alpha=1000, leak=-1)
    s, v = tn_tick(g, [[2, 1, 3, 0]])
    assert v == [2 * 5 - 3 + 3 * 2 - 1] and s == [0]


@pytest.mark.parametrize("mode,expected_v", [(0, 7), (1, 15 - 10), (2, 15)])
def test_truenorth_positive_reset_modes(backend, mode, expected_v):
    g = tn_group(backend, weights=[15, 0, 0, 0], alpha=10, reset_mode=mode, reset_value=7)
    s, v = tn_tick(g, [[1, 0, 0, 0]])
    assert s == [1] and v == [expected_v]


def test_truenorth_threshold_is_inclusive(backend):
    g = tn_group(backend, weights=[10, 0, 0, 0], alpha=10)
    s, _ = tn_tick(g, [[1, 0, 0, 0]])
    assert s == [1]


@pytest.mark.parametrize(
    "negative_mode,reset_mode,expected_v",
    [("saturate", 0, -20), ("reset", 0, -7), ("reset", 1, -25 + 20), ("reset", 2, -25)],
)
def test_truenorth_negative_threshold(backend, negative_mode, reset_mode, expected_v):
    g = tn_group(backend, weights=[-25, 0, 0, 0], alpha=100, beta=20,
                 negative_mode=negative_mode, reset_mode=reset_mode, reset_value=7)  # fmt: skip
    s, v = tn_tick(g, [[1, 0, 0, 0]])
    assert s == [0] and v == [expected_v]
    # exactly at -beta nothing happens (strict comparison V < -beta)
    g = tn_group(backend, weights=[-20, 0, 0, 0], alpha=100, beta=20, negative_mode=negative_mode)
    assert tn_tick(g, [[1, 0, 0, 0]])[1] == [-20]


def test_truenorth_leak_reversal(backend):
    # negative leak with reversal pulls V toward 0 from both sides
    g = emu.NeuronGroup(sm.TrueNorthNeuron(alpha=1000, beta=1000, leak=-2, leak_reversal=True),
                       3, backend=backend, initial={"v": [5, -5, 0]})  # fmt: skip
    tn_tick(g, np.zeros((3, 4)))
    assert g.state["v"].tolist() == [3, -3, 0]


def test_truenorth_saturates_at_20_bits(backend):
    # alpha (18 bits) is below the 20-bit ceiling, so test the floor: no reset, no hold
    g = tn_group(backend, weights=[-256, 0, 0, 0], beta=2**18 - 1, negative_mode="reset",
                 reset_mode=2)  # fmt: skip
    g.state["v"][:] = -(2**19) + 100
    _, v = tn_tick(g, [[255, 0, 0, 0]])
    assert v == [-(2**19)] and g.totals["overflows"] == 1


def test_truenorth_stochastic_synapse_statistics_and_repeatability(backend):
    n = 20000
    spec = sm.TrueNorthNeuron(weights=[64, 0, 0, 0], alpha=2**18 - 1,
                              stochastic_synapse=(True, False, False, False))  # fmt: skip
    runs = []
    for seed in (1, 1, 2):
        g = emu.NeuronGroup(spec, n, backend=backend, seed=seed)
        tn_tick(g, np.tile([4, 0, 0, 0], (n, 1)))
        runs.append(g.state["v"].copy())
    assert_array_equal(runs[0], runs[1])  # same seed, same numbers
    assert not np.array_equal(runs[0], runs[2])
    # each of 4 events adds 1 when 64 >= prn & 255: p = 65/256
    assert abs(runs[0].mean() - 4 * 65 / 256) < 0.03


def test_truenorth_stochastic_threshold_and_split_populations_agree(backend):
    spec = sm.TrueNorthNeuron(weights=[50, 0, 0, 0], alpha=40, threshold_mask_bits=5)
    whole = emu.NeuronGroup(spec, 100, backend=backend, seed=9)
    a = emu.NeuronGroup(spec, 60, backend=backend, seed=9)
    b = emu.NeuronGroup(spec, 40, backend=backend, seed=9, id_offset=60)
    counts = np.zeros((100, 4), np.int64)
    counts[:, 0] = 1
    spikes_whole, spikes_split = [], []
    for _ in range(5):
        tn_tick(whole, counts)
        tn_tick(a, counts[:60])
        tn_tick(b, counts[60:])
        spikes_whole.append(whole.spikes.copy())
        spikes_split.append(np.concatenate([a.spikes, b.spikes]))
    assert_array_equal(spikes_whole, spikes_split)
    frac = np.mean(spikes_whole)
    assert 0.2 < frac < 0.9  # 50 >= 40 + eta only when eta <= 10 of 0..31 (about 1/3)


@pytest.mark.parametrize("spec", [
    sm.SmoothIF(vth=40, reset="subtract", spike_bits=3, alpha=1500),
    sm.CubaLIFSubtract(du=1000, dv=300, vth=20, bias_mant=7),
])  # fmt: skip
def test_programs_run_on_the_compiled_step_and_equal_the_twins(spec):
    """SmoothIF and CubaLIFSubtract join NetStep through its model table (no per-step loop):
    the compiled step and the NumPy twins give the same spikes and states."""
    rng = np.random.default_rng(4)
    net = sm.Network("prog")
    x = net.input(6, name="x")
    p = net.population(9, spec, name="p")
    net.connect(x, p, weights=rng.integers(-20, 90, (6, 9)))
    net.probe(p, "v")
    m = sm.map_network(net, "loihi2")
    xs = (rng.random((40, 6)) < 0.5).astype(np.int32)
    runs = {}
    for backend in ("cython", "numpy"):
        if backend == "cython" and sm.kernels.compiled is None:
            pytest.skip("compiled kernels not built")
        sim = sm.Simulator(m, backend=backend)
        assert sim._step is not None  # the whole-step loop, not the per-group closures
        runs[backend] = sim.run(40, inputs={"x": xs})
    a, b = runs["cython"], runs["numpy"]
    np.testing.assert_array_equal(a.spikes["p"], b.spikes["p"])
    np.testing.assert_array_equal(a.probes["p"]["v"], b.probes["p"]["v"])
    assert a.spikes["p"].any()
