"""A toy neuron model added from outside the package (docs/extending.md, recipe 1): its spec,
its NumPy twin and twin adapter, one registration line per table. The compiled loop and its
adapter are in ``toy_shiftleak.pyx`` (given to :func:`install` when built)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import spikemesh as sm
from spikemesh import kernels
from spikemesh.emulator import models


@dataclass(frozen=True, slots=True, eq=False)
class ShiftLeakIF(sm.NeuronSpec):
    """``x = clip(v + I - (v >> leak_shift), vmin, vmax)``; spike where ``x >= vth``, which
    takes vth off: ``v = x - vth``."""

    vth: int = 64
    leak_shift: int = 3
    vmin: int = -(2**23)
    vmax: int = 2**23 - 1

    state_vars = ("v",)

    @property
    def registers(self) -> dict[str, int]:
        return {"v": 24}


def shift_leak_update(inp, v, vth, leak_shift, vmin, vmax, spikes):
    """The twin: the specification of the compiled loop, bit for bit."""
    old = v.astype(np.int64)
    x = old + np.asarray(inp, np.int64) - (old >> leak_shift)
    over = (x > vmax) | (x < vmin)
    x = np.clip(x, vmin, vmax)
    s = x >= vth
    x = np.where(s, x - vth, x)
    spikes[:] = s
    v[:] = x
    return int((x != old).sum()), int(s.sum()), int(over.sum())


NATIVE = models.Native(
    "shift_leak_update", ("v", "spikes"), ("vth", "leak_shift", "vmin", "vmax"),
    lambda spec, n, state, spikes, seed, id_offset: (
        (state["v"], spikes), (spec.vth, spec.leak_shift, spec.vmin, spec.vmax)),
)  # fmt: skip


def install(capsule=None) -> None:
    """The registration lines: the step's table (twin adapter, compiled adapter if built) and
    the model registry."""
    kernels.register_step("shift_leak_update",
                          kernels.reference.plain_adapter(shift_leak_update), capsule)  # fmt: skip
    models.register(ShiftLeakIF, native=NATIVE)
