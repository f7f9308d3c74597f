"""Backend selection: compiled by default, NumPy twins on request, a clear warning when unbuilt."""

from __future__ import annotations

import os
import subprocess
import sys

import spikemesh as sm


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, check=True)  # fmt: skip


def test_purepython_switch_selects_the_twins():
    out = run_python("import spikemesh as sm; print(sm.kernels.BACKEND)", SPIKEMESH_PUREPYTHON="1")
    assert out.stdout.strip() == "numpy"
    out = run_python(
        "import spikemesh as sm; print(sm.kernels.BACKEND, sm.kernels.compiled is not None)",
        SPIKEMESH_PUREPYTHON="0",
    )
    assert out.stdout.split() == ["cython", "True"]


def test_missing_build_warns_once_with_the_build_command():
    code = (
        "import sys, warnings\n"
        "sys.modules['spikemesh.kernels._neurons'] = None\n"  # makes the import fail
        "warnings.simplefilter('always')\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    import spikemesh as sm\n"
        "    import spikemesh.kernels\n"
        "print(sm.kernels.BACKEND, len(w), w[0].category.__name__, str(w[0].message))\n"
    )
    out = run_python(code, SPIKEMESH_PUREPYTHON="")
    backend, count, category, message = out.stdout.split(" ", 3)
    assert (backend, count, category) == ("numpy", "1", "BuildWarning")
    assert "pip install -e ." in message


def test_active_kernels_are_the_selected_backend():
    expected = "numpy" if os.environ.get("SPIKEMESH_PUREPYTHON", "") not in ("", "0") else "cython"
    assert sm.kernels.BACKEND == expected
    ns = sm.kernels.get()
    assert sm.kernels.cuba_lif_update is ns.cuba_lif_update
    if expected == "cython":
        assert sm.kernels.cuba_lif_update is sm.kernels.compiled.cuba_lif_update
    else:
        assert sm.kernels.cuba_lif_update is sm.kernels.reference.cuba_lif_update
