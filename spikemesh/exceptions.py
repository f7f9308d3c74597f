"""The spikemesh exception tree.

Every error raised on purpose by spikemesh derives from :class:`SpikemeshError`. Messages name
the object, the field, the value and what would have been valid, e.g.
``CubaLIF.du: must be an integer in 0..4095 (got 5000)``.
"""

from __future__ import annotations

__all__ = [
    "BuildWarning",
    "DTypeError",
    "FidelityError",
    "FidelityWarning",
    "FixedPointOverflowError",
    "MappingError",
    "OverflowWarning",
    "ParameterError",
    "ProfileError",
    "ShapeError",
    "SpikemeshError",
    "SpikemeshWarning",
    "StoreError",
]


class SpikemeshError(Exception):
    """Base class of every error spikemesh raises on purpose."""


class ParameterError(SpikemeshError, ValueError):
    """A parameter is out of its allowed range or has an unknown value."""


class ShapeError(SpikemeshError, ValueError):
    """An array has the wrong number of dimensions or the wrong length."""


class DTypeError(SpikemeshError, TypeError):
    """An array or value has a type that cannot be used (e.g. floats where integers are needed)."""


class MappingError(SpikemeshError):
    """A network cannot be mapped onto a chip (it does not fit, or uses an unsupported feature)."""


class ProfileError(SpikemeshError):
    """A chip profile file is malformed or holds a value outside what is allowed."""


class FidelityError(SpikemeshError):
    """Asked for exactness (``strict=True``), a model would be built that does not do what its
    file says: a parameter rounded beyond the tolerance, clipped, or zeroed."""


class StoreError(SpikemeshError):
    """A study store cannot be read or written (read-only, corrupt, truncated, full, locked, or
    another program's database); nothing already stored is touched."""


class FixedPointOverflowError(SpikemeshError, ArithmeticError):
    """A fixed-point register wrapped or saturated while strict overflow checking was on."""


class SpikemeshWarning(UserWarning):
    """Base class of spikemesh's warnings: a legal result that is almost surely unintended.
    Filter or promote them with :mod:`warnings` (e.g. ``warnings.simplefilter("error",
    sm.SpikemeshWarning)``)."""


class FidelityWarning(SpikemeshWarning):
    """The mapped network cannot reproduce the unmapped one exactly (e.g. a delay-1 loop
    through TrueNorth splitter neurons); the message names the projections or populations."""


class OverflowWarning(SpikemeshWarning):
    """A fixed-point register wrapped or saturated during a run (``overflow="count"``)."""


class QuantizationWarning(SpikemeshWarning):
    """Quantization wiped out what was asked for: every weight of a projection became 0 at its
    ``weight_bits`` / ``weight_exp`` (the projection does nothing)."""


class SilentPopulationWarning(SpikemeshWarning):
    """A population can never fire under its parameters (no input and no drive, or a
    threshold its membrane cannot reach)."""


class BuildWarning(UserWarning):
    """The compiled kernels are missing and the (slow) NumPy twins are used instead."""
