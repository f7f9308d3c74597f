"""Emulator building blocks: neuron groups and synapse tables (one core's program and state).

The mesh network-on-chip, timing models and the ``Simulator`` are built on these.
"""

from .core import NeuronGroup, SynapseTable, run_core

__all__ = ["NeuronGroup", "SynapseTable", "run_core"]
