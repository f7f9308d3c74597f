"""Neuron specs validate on construction: errors name the field, the value and the range."""

from __future__ import annotations

import numpy as np
import pytest

import spikemesh as sm
from spikemesh import emulator as emu


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(du=5000, dv=1, vth=1), r"CubaLIF\.du: must be an integer in 0\.\.4095 \(got 5000\)"),
        (dict(du=1, dv=-1, vth=1), r"CubaLIF\.dv: must be an integer in 0\.\.4095 \(got -1\)"),
        (dict(du=1, dv=1, vth=2**17), r"CubaLIF\.vth: .* 0\.\.131071 \(got 131072\)"),
        (dict(du=1, dv=1, vth=1, bias_mant=4096), r"CubaLIF\.bias_mant: .*-4096\.\.4095"),
        (dict(du=1, dv=1, vth=1, bias_exp=8), r"CubaLIF\.bias_exp: .*0\.\.7 \(got 8\)"),
        (dict(du=1, dv=1, vth=1, refract_delay=0), r"CubaLIF\.refract_delay: .*1\.\.63"),
        (dict(du=1, dv=1, vth=1, refract_delay=64), r"CubaLIF\.refract_delay: .*1\.\.63"),
        (dict(du=1, dv=1, vth=1, vmax=2**23), r"CubaLIF\.vmax: .*0\.\.8388607"),
        (dict(du=1, dv=1, vth=1, bias_mant=[1, 5000]), r"CubaLIF\.bias_mant: values must be in"),
    ],
)
def test_cubalif_rejects_out_of_range(kwargs, match):
    with pytest.raises(sm.ParameterError, match=match):
        sm.CubaLIF(**kwargs)


def test_cubalif_rejects_wrong_types():
    with pytest.raises(sm.DTypeError, match=r"CubaLIF\.du: must be an integer"):
        sm.CubaLIF(du=0.5, dv=1, vth=1)
    with pytest.raises(sm.DTypeError, match=r"CubaLIF\.vth"):
        sm.CubaLIF(du=1, dv=1, vth="100")
    with pytest.raises(sm.DTypeError, match=r"whole numbers"):
        sm.CubaLIF(du=1, dv=1, vth=1, bias_mant=[1.5, 2.0])
    with pytest.raises(sm.ShapeError, match=r"CubaLIF\.bias_mant"):
        sm.CubaLIF(du=1, dv=1, vth=1, bias_mant=np.zeros((2, 2), int))


def test_errors_are_spikemesh_and_builtin_errors():
    with pytest.raises(ValueError):
        sm.CubaLIF(du=5000, dv=1, vth=1)
    with pytest.raises(sm.SpikemeshError):
        sm.IF(vth=0)


def test_cubalif_per_neuron_bias_and_equality():
    a = sm.CubaLIF(du=1, dv=2, vth=3, bias_mant=[1, 2, 3], bias_exp=2)
    b = sm.CubaLIF(du=1, dv=2, vth=3, bias_mant=np.array([1, 2, 3]), bias_exp=2)
    assert a == b and hash(a) == hash(b)
    assert a != sm.CubaLIF(du=1, dv=2, vth=3, bias_mant=[1, 2, 4], bias_exp=2)
    assert a.bias(3).tolist() == [4, 8, 12]
    with pytest.raises(sm.ShapeError, match=r"has 3 values but the population has 4"):
        emu.NeuronGroup(a, 4)
    with pytest.raises(AttributeError):
        a.du = 5  # frozen


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(vth=0), sm.ParameterError, r"IF\.vth: .*1\.\.8388607 \(got 0\)"),
        (dict(vth=200, v_bits=8), sm.ParameterError, r"IF\.vth: .*1\.\.127 \(got 200\)"),
        (dict(vth=1, v_bits=33), sm.ParameterError, r"IF\.v_bits: .*2\.\.32"),
        (
            dict(vth=1, reset="hard"),
            sm.ParameterError,
            r"IF\.reset: must be one of 'subtract', 'zero'",
        ),
        (dict(vth=1, spike_bits=0), sm.ParameterError, r"IF\.spike_bits: .*1\.\.24"),
        (dict(vth=1, leak=-1), sm.ParameterError, r"IF\.leak"),
        (dict(vth=1, bipolar=1), sm.DTypeError, r"IF\.bipolar: must be True or False"),
    ],
)
def test_if_rejects_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sm.IF(**kwargs)


def test_if_payload_bits():
    assert sm.IF(vth=1).payload_bits == 1
    assert sm.IF(vth=1, spike_bits=3, bipolar=True).payload_bits == 4
    assert sm.IF(vth=1, spike_bits=3).payload_cap == 7


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(weights=[1, 2, 3]), sm.ShapeError, r"TrueNorthNeuron\.weights: must have 4 values"),
        (
            dict(weights=[1, 2, 3, 256]),
            sm.ParameterError,
            r"TrueNorthNeuron\.weights: .*-256\.\.255",
        ),
        (dict(alpha=2**18), sm.ParameterError, r"TrueNorthNeuron\.alpha: .*0\.\.262143"),
        (dict(leak=300), sm.ParameterError, r"TrueNorthNeuron\.leak: .*-256\.\.255"),
        (dict(reset_mode=3), sm.ParameterError, r"TrueNorthNeuron\.reset_mode: .*0\.\.2"),
        (dict(negative_mode="clip"), sm.ParameterError, r"negative_mode: must be one of"),
        (dict(threshold_mask_bits=18), sm.ParameterError, r"threshold_mask_bits: .*0\.\.17"),
        (dict(stochastic_synapse=(True,)), sm.ShapeError, r"stochastic_synapse: must have 4"),
    ],
)
def test_truenorth_rejects_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sm.TrueNorthNeuron(**kwargs)


def test_truenorth_per_neuron_weights():
    spec = sm.TrueNorthNeuron(weights=np.arange(12).reshape(3, 4) - 6)
    assert spec.weight_table(3).shape == (3, 4)
    with pytest.raises(sm.ShapeError, match=r"has 3 rows but the population has 5"):
        emu.NeuronGroup(spec, 5)
