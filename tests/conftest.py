"""Shared fixtures: a seeded ``rng`` and a ``backend`` parametrized over both kernel sets."""

from __future__ import annotations

import numpy as np
import pytest

from spikemesh import kernels


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture(params=["cython", "numpy"])
def backend(request):
    """Name of a kernel backend; the compiled one must be built (a missing build fails)."""
    if request.param == "cython" and kernels.compiled is None:
        pytest.fail(f"compiled kernels are not built: {kernels.BUILD_HINT}")
    return request.param


@pytest.fixture
def compiled():
    if kernels.compiled is None:
        pytest.fail(f"compiled kernels are not built: {kernels.BUILD_HINT}")
    return kernels.compiled


@pytest.fixture
def twin():
    return kernels.get("numpy")
