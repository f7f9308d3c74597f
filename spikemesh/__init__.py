"""spikemesh: a cycle-level emulator of neuromorphic chips.

Describe a spiking network, map it onto a virtual chip, run it with bit-exact fixed-point
neuron cores, and read back spikes, cycles and energy.
"""

from __future__ import annotations

from . import exceptions, fixedpoint, kernels, neurons
from .emulator import NeuronGroup, SynapseTable
from .exceptions import (
    DTypeError,
    FixedPointOverflowError,
    MappingError,
    ParameterError,
    ProfileError,
    ShapeError,
    SpikemeshError,
)
from .fixedpoint import quantize_weights
from .neurons import IF, CubaLIF, TrueNorthNeuron

__version__ = "0.1.0.dev0"

__all__ = [
    "IF",
    "CubaLIF",
    "DTypeError",
    "FixedPointOverflowError",
    "MappingError",
    "NeuronGroup",
    "ParameterError",
    "ProfileError",
    "ShapeError",
    "SpikemeshError",
    "SynapseTable",
    "TrueNorthNeuron",
    "__version__",
    "exceptions",
    "fixedpoint",
    "kernels",
    "neurons",
    "quantize_weights",
]
