"""NeuronGroup / SynapseTable / run_core: delays, graded payloads, crossbars, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh import emulator as emu
from spikemesh.emulator import run_core


def test_input_reaches_neurons_after_its_delay(backend):
    # one input axon to three IF neurons with delays 1, 2, 5 -> spikes at steps 1, 2, 5
    W = np.array([[1, 1, 1]])
    table = emu.SynapseTable.from_dense(W, delay=np.array([[1, 2, 5]]), weight_bits=None,
                                       acc_shift=0)  # fmt: skip
    group = emu.NeuronGroup(sm.IF(vth=1), 3, backend=backend)
    X = np.zeros((8, 1), np.int32)
    X[0, 0] = 1
    out = run_core(table, group, X)
    assert [np.flatnonzero(out["spikes"][:, i]).tolist() for i in range(3)] == [[1], [2], [5]]
    core = emu.Core(table, [(emu.NeuronGroup(sm.IF(vth=1), 3), 0)])
    assert table.max_delay == 5 and core.ring.shape == (5, 3)  # one ring slot per delay


def test_graded_payloads_flow_end_to_end(backend):
    # a 3-bit payload of 5 through weight 7 adds 35 to an IF neuron with vth 10 and 2-bit spikes
    table = emu.SynapseTable.from_dense([[7]], weight_bits=None, acc_shift=0)
    group = emu.NeuronGroup(sm.IF(vth=10, spike_bits=2), 1, backend=backend)
    out = run_core(table, group, [[5], [0], [0]])
    assert out["spikes"][:, 0].tolist() == [0, 3, 0]
    assert out["v"][:, 0].tolist() == [0, 5, 5]


def test_loihi_weights_are_quantized_in_the_table():
    table = emu.SynapseTable.from_dense([[255, 37], [-37, 1]])
    assert table.weights.tolist() == [254, 36, -38, 0]  # a zero-weight synapse still exists
    assert table.n_synapses == 4 and table.indptr.tolist() == [0, 2, 4]


def test_truenorth_crossbar_core(backend):
    # 4 axons (types 0,1,2,3) -> 2 neurons; neuron 0 sees axons 0,1,2; neuron 1 sees axons 1,3
    conn = np.array([[1, 0], [1, 1], [1, 0], [0, 1]], bool)
    table = emu.SynapseTable.from_crossbar(conn, [0, 1, 2, 3])
    spec = sm.TrueNorthNeuron(weights=[10, -4, 3, 7], alpha=1000)
    group = emu.NeuronGroup(spec, 2, backend=backend)
    out = run_core(table, group, [[1, 1, 1, 1], [1, 0, 0, 1], [0, 0, 0, 0]])
    assert out["v"][:, 0].tolist() == [0, 10 - 4 + 3, 9 + 10]
    assert out["v"][:, 1].tolist() == [0, -4 + 7, 3 + 7]


def test_same_seed_same_result_across_backends():
    spec = sm.TrueNorthNeuron(
        weights=[90, -40, 0, 0], alpha=5, leak=-3, threshold_mask_bits=4,
        stochastic_synapse=(True, True, False, False), stochastic_leak=True,
    )  # fmt: skip
    rng = np.random.default_rng(5)
    conn = rng.random((64, 32)) < 0.3
    types = rng.integers(0, 4, 64)
    X = (rng.random((30, 64)) < 0.4).astype(np.int32)
    results = []
    for b in ("cython", "numpy", "cython"):
        table = emu.SynapseTable.from_crossbar(conn, types)
        group = emu.NeuronGroup(spec, 32, seed=3, backend=b)
        results.append(run_core(table, group, X))
    for r in results[1:]:
        assert_array_equal(r["spikes"], results[0]["spikes"])
        assert_array_equal(r["v"], results[0]["v"])
    assert results[0]["spikes"].sum() > 0


def test_reset_restores_initial_state(backend):
    group = emu.NeuronGroup(sm.CubaLIF(du=10, dv=10, vth=1), 2, backend=backend,
                           initial={"v": [5, -5], "u": 3})  # fmt: skip
    group.step([1000, 0])
    assert group.totals["steps"] == 1
    group.reset()
    assert group.state["v"].tolist() == [5, -5] and group.state["u"].tolist() == [3, 3]
    assert group.totals["steps"] == 0 and group.step_index == 0


# ------------------------------------------------------------------ bad input


def test_group_rejects_bad_initial_state():
    spec = sm.CubaLIF(du=1, dv=1, vth=1)
    with pytest.raises(sm.ParameterError, match=r"CubaLIF has state u, v, ref \(got 'w'\)"):
        emu.NeuronGroup(spec, 3, initial={"w": 0})
    with pytest.raises(
        sm.ShapeError, match=r"initial\['v'\]: must be a scalar or have shape \(3,\)"
    ):
        emu.NeuronGroup(spec, 3, initial={"v": [1, 2]})
    with pytest.raises(
        sm.ParameterError, match=r"initial\['v'\]: values must be in -8388607\.\.8388607"
    ):
        emu.NeuronGroup(spec, 3, initial={"v": 2**23})
    with pytest.raises(
        sm.ParameterError, match=r"NeuronGroup\.n: must be an integer >= 1 \(got 0\)"
    ):
        emu.NeuronGroup(spec, 0)
    with pytest.raises(sm.ParameterError, match=r"NeuronGroup\.spec"):
        emu.NeuronGroup("lif", 3)
    with pytest.raises(sm.ParameterError, match=r"backend must be 'cython' or 'numpy'"):
        emu.NeuronGroup(spec, 3, backend="gpu")


def test_group_step_checks_its_input():
    group = emu.NeuronGroup(sm.IF(vth=5), 4)
    with pytest.raises(sm.ShapeError, match=r"inp: must have 4 values \(got shape \(3,\)\)"):
        group.step([1, 2, 3])
    with pytest.raises(sm.DTypeError, match=r"whole numbers"):
        group.step([0.5, 0, 0, 0])
    assert group.step([5, 0, 0, 10]).tolist() == [1, 0, 0, 1]


def test_table_rejects_bad_weights_and_delays():
    with pytest.raises(sm.ShapeError, match=r"weights: must be 2-D \(got shape \(3,\)\)"):
        emu.SynapseTable.from_dense([1, 2, 3])
    with pytest.raises(sm.ParameterError, match=r"delay: must be an integer in 1\.\.255 \(got 0\)"):
        emu.SynapseTable.from_dense([[1]], delay=0)
    with pytest.raises(sm.ShapeError, match=r"delay: must have shape \(1, 2\)"):
        emu.SynapseTable.from_dense([[1, 2]], delay=[1, 2, 3])
    with pytest.raises(
        sm.ParameterError, match=r"weight_exp: must be an integer in -8\.\.7 \(got 8\)"
    ):
        emu.SynapseTable.from_dense([[1]], weight_exp=8)
    with pytest.raises(sm.ParameterError, match=r"mixed synapse group .*\(got 300\)"):
        emu.SynapseTable.from_dense([[300, -1]])
    with pytest.raises(sm.ParameterError, match=r"must fit int16"):
        emu.SynapseTable.from_dense([[40000]], weight_bits=None)
    with pytest.raises(sm.ParameterError, match=r"axon_types: values must be in 0\.\.3"):
        emu.SynapseTable.from_crossbar([[1]], [4])
    with pytest.raises(sm.DTypeError, match=r"whole numbers"):
        emu.SynapseTable.from_dense([[0.25]])


def test_run_core_rejects_mismatched_pieces():
    table = emu.SynapseTable.from_dense(np.ones((2, 3), int))
    with pytest.raises(sm.ShapeError, match=r"3 accumulators but the neuron group reads 4"):
        run_core(table, emu.NeuronGroup(sm.CubaLIF(du=1, dv=1, vth=1), 4), np.zeros((2, 2)))
    group = emu.NeuronGroup(sm.CubaLIF(du=1, dv=1, vth=1), 3)
    with pytest.raises(
        sm.ShapeError, match=r"inputs: must have shape \(steps, 2\) \(got \(5, 3\)\)"
    ):
        run_core(table, group, np.zeros((5, 3)))
    with pytest.raises(sm.ParameterError, match=r"has state u, v, ref \(got 'x'\)"):
        run_core(table, group, np.zeros((5, 2)), probes=("x",))
