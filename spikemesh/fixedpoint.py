"""Fixed-point helpers used when a network is built (never in the step loop).

Weight quantization follows Loihi's synapse formats (docs/hardware.md §1; Lava's
``truncate_weights``): an 8-bit magnitude for single-sign synapse groups, 8 bits plus sign with
the lowest bit dropped for mixed-sign groups, and ``8 - weight_bits`` more low bits dropped for
narrower formats. Truncation floors (mixed, excitatory) or floors the magnitude (inhibitory).
"""

from __future__ import annotations

import numpy as np

from ._validate import check_choice, check_int, int_array
from .exceptions import ParameterError

__all__ = ["SIGN_MODES", "quantize_weights", "sign_mode", "weight_range", "wrap_signed"]

SIGN_MODES = ("excitatory", "inhibitory", "mixed")
LOIHI_WEIGHT_EXP = (-8, 7)
WEIGHT_MANTISSA_BITS = 9  # Loihi's stored weight: sign + 8-bit mantissa; a b-bit weight level
# is stored as a multiple of 2 ** (WEIGHT_MANTISSA_BITS - b) so every width fills the mantissa


def wrap_signed(x, bits: int):
    """Two's-complement wrap of ``x`` into ``bits`` signed bits (works on ints and int64 arrays).

    ``wrap_signed(x, b) = ((x + 2**(b-1)) mod 2**b) - 2**(b-1)``.
    """
    half = 1 << (bits - 1)
    if isinstance(x, np.ndarray):
        half = np.int64(half)
        return ((x + half) & (2 * half - 1)) - half
    return ((int(x) + half) % (2 * half)) - half


def sign_mode(weights: np.ndarray) -> str:
    """Loihi synapse sign mode of a weight matrix: all >= 0, all <= 0, or mixed."""
    w = np.asarray(weights)
    if w.size == 0 or w.min() >= 0:
        return "excitatory"
    if w.max() <= 0:
        return "inhibitory"
    return "mixed"


def weight_range(mode: str) -> tuple[int, int]:
    """The weight mantissa range a synapse group of sign ``mode`` can hold."""
    return {"excitatory": (0, 255), "inhibitory": (-255, 0), "mixed": (-256, 255)}[mode]


def quantize_weights(
    weights,
    weight_bits: int = 8,
    mode: str | None = None,
    *,
    clip: bool = False,
    owner: str = "quantize_weights",
) -> np.ndarray:
    """Quantize integer weights to a Loihi weight format.

    Parameters
    ----------
    weights : array of int
        Weight mantissas (any shape). Floats must hold whole numbers.
    weight_bits : int
        Format width, 1..8.
    mode : {"excitatory", "inhibitory", "mixed"}, optional
        Sign mode; inferred from the weights when omitted.
    clip : bool
        Clip out-of-range weights to the format's range (as Lava's ``clip_weights`` does)
        instead of raising.

    Returns
    -------
    ndarray of int16
        The weights the hardware stores, e.g. mixed 8-bit: 255→254, 37→36, -37→-38, 1→0, -1→-2.

    Raises
    ------
    ParameterError
        A weight is outside the format's range and ``clip`` is False, or a weight's sign does not
        fit ``mode``.
    """
    weight_bits = check_int(owner, "weight_bits", weight_bits, 1, 8)
    w = int_array(owner, "weights", weights)
    if mode is None:
        mode = sign_mode(w)
    check_choice(owner, "mode", mode, SIGN_MODES)
    lo, hi = weight_range(mode)
    if w.size and (w.min() < lo or w.max() > hi):
        if not clip:
            worst = int(w.min()) if w.min() < lo else int(w.max())
            raise ParameterError(
                f"{owner}.weights: {'an' if mode[0] in 'aeiou' else 'a'} {mode} synapse group "
                f"holds weights in {lo}..{hi} "
                f"(got {worst}); scale the weights or pass clip=True"
            )
        w = np.clip(w, lo, hi)
    drop = (8 - weight_bits) + (1 if mode == "mixed" else 0)
    if mode == "inhibitory":
        q = -((-w >> drop) << drop)
    else:
        q = (w >> drop) << drop
    return q.astype(np.int16)


def check_weight_exp(owner: str, value) -> int:
    """Validate a Loihi weight exponent (-8..7)."""
    return check_int(owner, "weight_exp", value, *LOIHI_WEIGHT_EXP)
