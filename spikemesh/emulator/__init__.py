"""The runtime: kernels bound to mapped programs, the simulator and its timing models.

:class:`Simulator` runs a :class:`~spikemesh.mapping.Mapping`; :class:`NeuronGroup`,
:class:`Core` and :func:`run_core` drive single cores directly (with a
:class:`~spikemesh.program.SynapseTable`); :mod:`.models` is the registry joining neuron specs
to their kernels.
"""

from ..program import SynapseTable
from .core import Core, NeuronGroup, run_core
from .models import register
from .results import SimulationResult, SpikeRecord
from .simulator import Simulator
from .timing import TimingResult

__all__ = [
    "Core",
    "NeuronGroup",
    "SimulationResult",
    "Simulator",
    "SpikeRecord",
    "SynapseTable",
    "TimingResult",
    "register",
    "run_core",
]
