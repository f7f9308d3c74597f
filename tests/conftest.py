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


# ------------------------------------------------------------------ Hypothesis profiles
# "ci" (default): a short run inside the 10-minute budget; "long": pytest
# --hypothesis-profile=long tests/kernels/test_properties.py -- over 10**6 cases per kernel
# (each example checks a batch of neurons), reported at the end of the run.
try:
    from hypothesis import HealthCheck, settings

    _common = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                         HealthCheck.too_slow])  # fmt: skip
    settings.register_profile("ci", max_examples=60, derandomize=True, **_common)
    settings.register_profile("long", max_examples=1000, **_common)
    settings.load_profile("ci")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass


def pytest_terminal_summary(terminalreporter):
    from tests._cases import CASES

    if CASES:
        terminalreporter.write_sep("-", "property-based cases checked")
        for name, n in sorted(CASES.items()):
            terminalreporter.write_line(f"{name:<40} {n:>14,}")
