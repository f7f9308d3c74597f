"""A careless user, generated: every public entry point called with valid arguments except one,
replaced by a junk value (None, text, negative, huge, NaN, inf, empty or ragged containers, an
object, a bool, a wrongly shaped array). Each call must succeed or raise a SpikemeshError --
never a raw Python/NumPy exception from deep inside."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import spikemesh as sm
from tests._cases import CASES

pytest.importorskip("hypothesis")
from hypothesis import given
from hypothesis import strategies as st

JUNK = [None, "junk", "", -1, 0, 2**70, -(2**70), 1.5, float("nan"), float("inf"), [], {},
        [[1, 2], [3]], np.array([[1.0, 2.0]]), np.zeros((0,)), object(), True, b"\xff",
        np.float64(0.5), np.int64(3), (1, 2, 3), {"x": 1}]  # fmt: skip


def _net():
    net = sm.Network("f")
    x = net.input(3, name="x")
    p = net.population(4, sm.CubaLIF(du=1, dv=2, vth=3), name="p")
    net.connect(x, p, np.ones((3, 4), int))
    return net, x, p


def _sim():
    net, *_ = _net()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SpikemeshWarning)
        return sm.Simulator(sm.map_network(net, "loihi"))


def _nir_graph():
    nir = pytest.importorskip("nir")
    return nir.NIRGraph(nodes={
        "in": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=np.ones((2, 3)) / 4),
        "if": nir.IF(r=np.ones(2), v_threshold=np.ones(2)),
        "out": nir.Output(output_type=np.array([2]))},
        edges=[("in", "fc"), ("fc", "if"), ("if", "out")])  # fmt: skip


def _dense():
    return [sm.convert.Dense(np.ones((3, 2)) / 4, np.zeros(2))]


# entry point -> (callable taking kwargs, valid kwargs)
ENTRIES = {
    "Network.input": (lambda **k: sm.Network().input(**k), dict(n=3, name="a", payload_bits=1)),
    "Network.population": (lambda **k: sm.Network().population(**k),
                           dict(n=3, neuron=sm.CubaLIF(du=0, dv=0, vth=1), name="p", initial=None)),
    "CubaLIF": (sm.CubaLIF, dict(du=1, dv=2, vth=3, bias_mant=0, bias_exp=0, refract_delay=1,
                                 vmin=None, vmax=None)),
    "IF": (sm.IF, dict(vth=3, reset="zero", v_bits=16, spike_bits=2, bipolar=False, leak=0, bias=0)),
    "TrueNorthNeuron": (sm.TrueNorthNeuron, dict(alpha=3, beta=3, leak=0, reset_mode=0,
                                                 stochastic_synapse=(False,) * 4,
                                                 stochastic_leak=False, threshold_mask_bits=0)),
    "Network.connect": (lambda **k: (lambda n: n[0].connect(n[1], n[2], **k))(_net()),
                        dict(weights=np.ones((3, 4), int), delay=1, weight_exp=0, weight_bits=8,
                             name="c")),
    "map_network": (lambda **k: sm.map_network(_net()[0], **k),
                    dict(chip="loihi", allocator="greedy", strict=False)),
    "Simulator": (lambda **k: sm.Simulator(sm.map_network(_net()[0], "loihi"), **k),
                  dict(timing="none", seed=0, backend=None, overflow="count", noc="engine",
                       threads=1)),
    "Simulator.run": (lambda **k: _sim().run(**k), dict(steps=3, inputs={"x": np.ones((3, 3))})),
    "SimulationResult.energy": (lambda **k: _sim().run(2).energy(**k),
                                dict(energy_set=None, synops="fp32", ann="int8", formula=None)),
    "energy.estimate": (sm.energy.estimate, dict(chip="loihi", counts={"spikes": 3, "elapsed_s": 1e-6},
                                                 steps=2)),
    "chips.get": (sm.chips.get, dict(name_or_path="loihi")),
    "chips.override": (sm.chips.override, dict(chip="loihi", changes={"core.neurons": 10},
                                               name="x")),
    "convert.Dense": (sm.convert.Dense, dict(weight=np.ones((3, 2)), bias=np.zeros(2))),
    "convert.quantize": (lambda **k: sm.convert.quantize(_dense(), **k),
                         dict(calibration=np.ones((5, 3)), weight_bits=4, spike_bits=2,
                              input_bits=None, timesteps=2, percentile=99.0)),
    "encode.rate": (sm.encode.rate, dict(x=np.full(4, 0.5), steps=3, seed=0)),
    "encode.latency": (sm.encode.latency, dict(x=np.full(4, 0.5), steps=3)),
    "encode.delta": (sm.encode.delta, dict(x=np.zeros((3, 2)), threshold=0.1)),
    "encode.direct": (sm.encode.direct, dict(x=np.full(4, 0.5), bits=4, x_max=1.0)),
    "encode.s_analog": (sm.encode.s_analog, dict(x=np.full((3, 2), 0.5), steps=2, bits=4,
                                                 x_max=1.0, signed=False)),
    "convert.from_nir": (lambda **k: sm.convert.from_nir(_nir_graph(), **k),
                         dict(chip="loihi2", dt=None, reset="nir", strict=False, tolerance=0.005,
                              input_bits=None, input_max=1.0, spike_bits=4)),
    "study.points": (lambda **k: __import__("spikemesh.study", fromlist=["points"]).points(**k),
                     dict(grid={"a": [1, 2]})),
    "convert.to_snn": (lambda **k: sm.convert.to_snn(
        sm.convert.quantize(_dense(), np.ones((5, 3)), weight_bits=4, spike_bits=1, timesteps=2),
        **k), dict(chip="loihi", scheme="auto")),
}  # fmt: skip


@given(entry=st.sampled_from(sorted(ENTRIES)), field=st.integers(0, 100),
       junk=st.sampled_from(range(len(JUNK))))  # fmt: skip
def test_junk_in_one_argument_gives_a_spikemesh_error(entry, field, junk):
    fn, good = ENTRIES[entry]
    key = sorted(good)[field % len(good)]
    kwargs = {**good, key: JUNK[junk]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SpikemeshWarning)
        try:
            fn(**kwargs)
        except sm.SpikemeshError:
            pass
    CASES["public API junk arguments (calls)"] += 1


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_valid_arguments_work(entry):
    fn, good = ENTRIES[entry]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SpikemeshWarning)
        fn(**good)
