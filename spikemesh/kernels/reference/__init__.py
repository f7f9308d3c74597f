"""NumPy twins of every compiled kernel: the specification and the pure-Python fallback.

Each function here has the same name and signature as its compiled counterpart in
``_neurons.pyx`` / ``_synapses.pyx``, mutates the same arrays in place and returns the same
counts. Tests require identical (not close) results. Equations are in each docstring.

Array conventions (all C-contiguous):

- neuron state ``u``, ``v``, ``ref``: int32, length n; spikes out: int32 payloads (0 = none);
- synaptic input ``inp``: int64, the ring slot for this step (exact sums; the neuron model
  applies its own accumulator width);
- delay ring: int64 ``(D, n_acc)``; an event emitted at step t through a synapse of delay d
  lands in slot ``(t + d) % D`` and is read by the update of step ``t + d``.



The twins live beside the compiled modules they specify: :mod:`.neurons` (``_neurons.pyx``),
:mod:`.synapses` and :mod:`.step` (``_synapses.pyx``), :mod:`.noc` (``_noc.pyx``),
:mod:`.learning` (``_learning.pyx``: the learning engine's traces); each lists in
``KERNELS`` the names its compiled module also defines, and :data:`KERNELS` joins them.
"""

from __future__ import annotations

from . import learning, neurons, noc, step, synapses
from ._common import STREAM_LEAK, STREAM_THRESHOLD, prn32  # noqa: F401 (re-exported)
from .learning import *  # noqa: F403
from .neurons import *  # noqa: F403
from .noc import *  # noqa: F403
from .step import *  # noqa: F403
from .synapses import *  # noqa: F403

KERNELS = neurons.KERNELS + synapses.KERNELS + step.KERNELS + noc.KERNELS + learning.KERNELS
"""Every kernel a backend provides (the compiled namespace must define each)."""

__all__ = sorted(
    {
        *neurons.__all__,
        *synapses.__all__,
        *step.__all__,
        *noc.__all__,
        *learning.__all__,
        "KERNELS",
        "STREAM_LEAK",
        "STREAM_THRESHOLD",
        "prn32",
    }
)
