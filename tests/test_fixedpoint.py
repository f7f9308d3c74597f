"""Loihi weight quantization (docs/hardware.md §1) and two's-complement wrapping."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spikemesh as sm
from spikemesh.fixedpoint import sign_mode, wrap_signed
from tests.golden import quantize


def test_mixed_sign_examples_from_reference():
    q = sm.quantize_weights([255, 37, -37, 1, -1, -256, 0])
    assert q.tolist() == [254, 36, -38, 0, -2, -256, 0]


def test_single_sign_keeps_magnitude():
    assert sm.quantize_weights([255, 37, 1, 0]).tolist() == [255, 37, 1, 0]
    assert sm.quantize_weights([-255, -37, -1, 0]).tolist() == [-255, -37, -1, 0]


@pytest.mark.parametrize("bits", range(1, 9))
@pytest.mark.parametrize("mode", ["excitatory", "inhibitory", "mixed"])
def test_fewer_bits_drop_more_low_bits(bits, mode):
    lo, hi = sm.fixedpoint.weight_range(mode)
    w = np.arange(lo, hi + 1)
    got = sm.quantize_weights(w, bits, mode)
    assert_array_equal(got, [quantize(int(x), mode, bits) for x in w])
    drop = 8 - bits + (mode == "mixed")
    assert np.all(np.abs(got) % (1 << drop) == 0)


def test_narrow_examples():
    # mixed 6-bit: drop 3 bits with a floor; inhibitory 6-bit: floor of the magnitude
    assert sm.quantize_weights([37, -37], 6).tolist() == [32, -40]
    assert sm.quantize_weights([-37, -3], 6).tolist() == [-36, 0]


def test_out_of_range_raises_or_clips():
    with pytest.raises(
        sm.ParameterError, match=r"mixed synapse group holds weights in -256\.\.255 \(got 300\)"
    ):
        sm.quantize_weights([300, -1])
    with pytest.raises(sm.ParameterError, match=r"excitatory .* 0\.\.255 \(got 256\)"):
        sm.quantize_weights([256, 1])
    assert sm.quantize_weights([300, -300], clip=True).tolist() == [254, -256]
    with pytest.raises(sm.ParameterError, match=r"weight_bits: .*1\.\.8 \(got 9\)"):
        sm.quantize_weights([1], 9)
    with pytest.raises(sm.ParameterError, match=r"excitatory synapse group .*\(got -5\)"):
        sm.quantize_weights([-5, 3], mode="excitatory")


def test_sign_mode():
    assert sign_mode(np.zeros((2, 2))) == "excitatory"
    assert sign_mode([[0, -1]]) == "inhibitory"
    assert sign_mode([[2, -1]]) == "mixed"


def test_wrap_signed():
    assert wrap_signed(2**21, 22) == -(2**21)
    assert wrap_signed(-(2**21) - 1, 22) == 2**21 - 1
    x = np.array([2**23, -(2**23) - 1, 5, 2**24 + 3], dtype=np.int64)
    assert wrap_signed(x, 24).tolist() == [-(2**23), 2**23 - 1, 5, 3]
