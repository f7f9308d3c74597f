"""Cython extension list and compiler directives (metadata lives in pyproject.toml).

Environment switches read at build time:

- ``SPIKEMESH_BOUNDSCHECK=1`` turns bounds and wraparound checks back on (debugging a kernel).
- ``SPIKEMESH_OPENMP=0`` builds without OpenMP (``Simulator(threads=N)`` then runs its
  threads' shares one after the other: same results, no speed-up). By default OpenMP is used
  when the C compiler accepts ``-fopenmp``.
- ``SPIKEMESH_PORTABLE=1`` builds without ``-march=native``. The default tunes the kernels for
  the building machine's CPU (the integer neuron loops vectorize with AVX2/AVX-512: about 5x
  faster on the development machine, docs/benchmarks.md); use the portable build for wheels or
  images that run on other CPUs.
"""

import os
import subprocess
import sys
import sysconfig
import tempfile

from Cython.Build import cythonize
from setuptools import Extension, setup

_DEBUG = os.environ.get("SPIKEMESH_BOUNDSCHECK", "") not in ("", "0")

_DIRECTIVES = {
    "language_level": "3",
    "boundscheck": _DEBUG,
    "wraparound": _DEBUG,
    "initializedcheck": _DEBUG,
    "cdivision": True,
    "embedsignature": True,
}

_PORTABLE = os.environ.get("SPIKEMESH_PORTABLE", "") not in ("", "0")

if os.name == "nt":
    _COMPILE_ARGS = ["/O2"]
else:
    # no fused multiply-add: float kernels (the learning traces) must round as NumPy does
    _COMPILE_ARGS = (["-O3"] if _PORTABLE else ["-O3", "-march=native"]) + ["-ffp-contract=off"]


def _openmp_flags() -> list[str]:
    """``["-fopenmp"]`` when the C compiler builds and links an OpenMP program, else []."""
    if os.environ.get("SPIKEMESH_OPENMP", "") == "0" or os.name == "nt":
        return []
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "omp.c")
        with open(src, "w") as f:
            f.write("#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n")
        try:
            res = subprocess.run([*cc, "-fopenmp", src, "-o", os.path.join(tmp, "omp")],
                                 capture_output=True)  # fmt: skip
        except OSError:
            return []
    return ["-fopenmp"] if res.returncode == 0 else []


_OPENMP = _openmp_flags()

extensions = [
    Extension(
        f"spikemesh.kernels.{name}",
        [f"spikemesh/kernels/{name}.pyx"],
        extra_compile_args=_COMPILE_ARGS + (_OPENMP if name in ("_step", "_noc") else []),
        extra_link_args=_OPENMP if name in ("_step", "_noc") else [],
    )
    for name in ("_neurons", "_synapses", "_step", "_noc", "_learning")
]

print(
    "spikemesh: compiling the Cython kernels (5 extensions; about a minute on 2 cores)",
    file=sys.stderr,
    flush=True,
)
setup(ext_modules=cythonize(extensions, compiler_directives=_DIRECTIVES))
