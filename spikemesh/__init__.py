"""spikemesh: a cycle-level emulator of neuromorphic chips.

Describe a spiking network, map it onto a virtual chip, run it with bit-exact fixed-point
neuron cores, and read back spikes, cycles and energy.
"""

from __future__ import annotations

from . import chips, energy, exceptions, fixedpoint, kernels, neurons
from .emulator import NeuronGroup, SynapseTable
from .emulator.simulator import SimulationResult, Simulator
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
from .mapping import Mapping, map_network
from .network import Network, conv2d, one_to_one, pool2d
from .neurons import IF, CubaLIF, TrueNorthNeuron

__version__ = "0.1.0.dev0"

__all__ = [
    "IF",
    "CubaLIF",
    "DTypeError",
    "FixedPointOverflowError",
    "Mapping",
    "MappingError",
    "Network",
    "NeuronGroup",
    "ParameterError",
    "ProfileError",
    "ShapeError",
    "SimulationResult",
    "Simulator",
    "SpikemeshError",
    "SynapseTable",
    "TrueNorthNeuron",
    "__version__",
    "chips",
    "conv2d",
    "energy",
    "exceptions",
    "fixedpoint",
    "kernels",
    "map_network",
    "neurons",
    "one_to_one",
    "pool2d",
    "quantize_weights",
]
