"""spikemesh: a cycle-level emulator of neuromorphic chips.

Describe a spiking network, map it onto a virtual chip, run it with bit-exact fixed-point
neuron cores, and read back spikes, cycles and energy::

    net = sm.Network("demo")                  # describe
    mapping = sm.map_network(net, "loihi")    # map (plain data)
    res = sm.Simulator(mapping).run(20)       # run
    res.energy()                              # price

Single cores are driven through :mod:`spikemesh.emulator` (``NeuronGroup``, ``SynapseTable``,
``run_core``); the kernels themselves live in :mod:`spikemesh.kernels`.
"""

from __future__ import annotations

from . import chips, convert, encode, energy, exceptions, neurons, workload
from .counts import Counts
from .emulator import SimulationResult, Simulator
from .exceptions import (
    DTypeError,
    FidelityError,
    FidelityWarning,
    FixedPointOverflowError,
    MappingError,
    OverflowWarning,
    ParameterError,
    ProfileError,
    QuantizationWarning,
    ShapeError,
    SilentPopulationWarning,
    SpikemeshError,
    SpikemeshWarning,
    StoreError,
)
from .fixedpoint import quantize_weights
from .mapping import Mapping, map_network
from .network import Network, conv2d, one_to_one, pool2d
from .neurons import (
    IF,
    AdaptiveLIF,
    CubaLIF,
    CubaLIFSubtract,
    NeuronSpec,
    ProdNeuron,
    ResonateFire,
    SigmaDelta,
    SmoothIF,
    TrueNorthNeuron,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "IF",
    "AdaptiveLIF",
    "Counts",
    "CubaLIF",
    "CubaLIFSubtract",
    "DTypeError",
    "FidelityError",
    "FidelityWarning",
    "FixedPointOverflowError",
    "Mapping",
    "MappingError",
    "Network",
    "NeuronSpec",
    "OverflowWarning",
    "ParameterError",
    "ProdNeuron",
    "ProfileError",
    "QuantizationWarning",
    "ResonateFire",
    "ShapeError",
    "SigmaDelta",
    "SilentPopulationWarning",
    "SimulationResult",
    "Simulator",
    "SmoothIF",
    "SpikemeshError",
    "SpikemeshWarning",
    "StoreError",
    "TrueNorthNeuron",
    "__version__",
    "chips",
    "conv2d",
    "convert",
    "encode",
    "energy",
    "exceptions",
    "map_network",
    "neurons",
    "one_to_one",
    "pool2d",
    "quantize_weights",
    "workload",
]
