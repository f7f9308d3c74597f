"""Twins of ``_learning.pyx``: the learning engine's trace kernels. They live with the engine
(:mod:`spikemesh.learning`, the specification, which Lava 0.10's fixtures check) and are
listed here so every backend provides them."""

from __future__ import annotations

from ...learning import apply_program, trace_replay, trace_step

__all__ = ["apply_program", "trace_replay", "trace_step"]
KERNELS = ("trace_step", "trace_replay", "apply_program")
