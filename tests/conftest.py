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


def make_profile(tmp_path, base: str = "loihi", name: str = "custom", **core_or_mesh):
    """Write a copy of a shipped profile with some ``key = value`` lines replaced."""
    import re

    from spikemesh.chips import PROFILE_DIR

    text = (PROFILE_DIR / f"{base}.toml").read_text()
    text = re.sub(r'^name = ".*"', f'name = "{name}"', text, count=1, flags=re.M)
    for key, value in core_or_mesh.items():
        text, n = re.subn(rf"^{key} = [^#\n]*", f"{key} = {value}", text, count=1, flags=re.M)
        assert n == 1, key
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return str(path)
