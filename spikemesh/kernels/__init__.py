"""Kernels: compiled (Cython) neuron updates, synaptic delivery and spike emission.

``BACKEND`` is ``"cython"`` when the extensions are built and ``"numpy"`` when the NumPy twins
in :mod:`spikemesh.kernels.reference` are used, either because ``SPIKEMESH_PUREPYTHON=1`` is set
or because the build is missing (a :class:`~spikemesh.exceptions.BuildWarning` then says how to
build). Both give identical results; the twins are the specification.
"""

from __future__ import annotations

import os
import types
import warnings

from ..exceptions import BuildWarning
from . import reference

__all__ = ["BACKEND", "KERNEL_NAMES", "compiled", "get", "reference", "register_step"]

KERNEL_NAMES = reference.KERNELS
"""Every kernel a backend provides, from the twins' ``KERNELS`` (one tuple per compiled module)."""

BUILD_HINT = (
    "build them with `pip install -e .` (or `python setup.py build_ext --inplace`) "
    "from the spikemesh source tree; a C compiler and Cython >= 3 are needed"
)


def _load_compiled() -> types.SimpleNamespace | None:
    try:
        from . import _learning, _neurons, _noc, _step, _synapses
    except ImportError:
        return None
    mods = (_neurons, _synapses, _step, _noc, _learning)
    found = {name: next((getattr(m, name) for m in mods if hasattr(m, name)), None)
             for name in KERNEL_NAMES}  # fmt: skip
    if any(fn is None for fn in found.values()):  # a build older than the sources: rebuild
        return None
    return types.SimpleNamespace(**found)


def _forced_pure() -> bool:
    return os.environ.get("SPIKEMESH_PUREPYTHON", "") not in ("", "0")


compiled = _load_compiled()
"""Namespace of the compiled kernels, or None when the extensions are not built."""

_reference_ns = types.SimpleNamespace(**{name: getattr(reference, name) for name in KERNEL_NAMES})

if _forced_pure():
    BACKEND = "numpy"
elif compiled is not None:
    BACKEND = "cython"
else:
    BACKEND = "numpy"
    warnings.warn(
        "spikemesh: compiled kernels are not built; using the NumPy twins (slower). "
        f"To {BUILD_HINT}.",
        BuildWarning,
        stacklevel=2,
    )

_active = compiled if BACKEND == "cython" else _reference_ns


def get(backend: str | None = None) -> types.SimpleNamespace:
    """Return the kernel namespace for ``backend`` ("cython", "numpy") or the active one."""
    if backend is None:
        return _active
    if not isinstance(backend, str):
        from ..exceptions import ParameterError

        raise ParameterError(
            f"backend: must be 'cython', 'numpy' or None (got {type(backend).__name__})"
        )
    if backend == "numpy":
        return _reference_ns
    if backend == "cython":
        if compiled is None:
            from ..exceptions import SpikemeshError

            raise SpikemeshError(
                f"spikemesh.kernels: the compiled kernels are not built; {BUILD_HINT}"
            )
        return compiled
    from ..exceptions import ParameterError

    raise ParameterError(f"kernels.get: backend must be 'cython' or 'numpy' (got {backend!r})")


def register_step(name: str, twin, capsule=None) -> None:
    """Put kernel ``name`` on the step's table: ``twin(arrays, params) -> update(inp, step)``
    (the NumPy adapter, :mod:`.reference.neurons`) and, optionally, the compiled adapter as a
    PyCapsule named ``"spikemesh.step_adapter"`` (a plugin module cimporting
    ``_neuron_loops.pxd``). Without a compiled adapter the model runs its twin on every
    backend."""
    from ..exceptions import ParameterError

    if not isinstance(name, str) or not name.isidentifier():
        raise ParameterError(f"kernels.register_step.name: must be an identifier (got {name!r})")
    if not callable(twin):
        raise ParameterError(f"kernels.register_step.twin: must be callable (got {twin!r:.60})")
    if name in reference.step.ADAPTERS and reference.step.ADAPTERS[name] is not twin:
        raise ParameterError(f"kernels.register_step: kernel {name!r} already has an adapter "
                             f"(registered: {', '.join(reference.step.ADAPTERS)})")  # fmt: skip
    if capsule is not None:
        if compiled is None:
            raise ParameterError(
                f"kernels.register_step({name!r}): a compiled adapter needs the compiled kernels"
            )
        try:
            compiled.register_step(name, capsule)
        except TypeError as exc:
            raise ParameterError(f"kernels.register_step.capsule: {exc}") from None
    reference.register_step(name, twin)


cuba_lif_update = _active.cuba_lif_update
if_update = _active.if_update
truenorth_update = _active.truenorth_update
deliver = _active.deliver
emit_spikes = _active.emit_spikes
group_order = _active.group_order
