"""Cython extension list and compiler directives (metadata lives in pyproject.toml).

Environment switches read at build time:

- ``SPIKEMESH_BOUNDSCHECK=1`` turns bounds and wraparound checks back on (debugging a kernel).
- ``SPIKEMESH_PORTABLE=1`` builds without ``-march=native``. The default tunes the kernels for
  the building machine's CPU (the integer neuron loops vectorize with AVX2/AVX-512: about 5x
  faster on the development machine, docs/benchmarks.md); use the portable build for wheels or
  images that run on other CPUs.
"""

import os

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
    _COMPILE_ARGS = ["-O3"] if _PORTABLE else ["-O3", "-march=native"]

extensions = [
    Extension(
        f"spikemesh.kernels.{name}",
        [f"spikemesh/kernels/{name}.pyx"],
        extra_compile_args=_COMPILE_ARGS,
    )
    for name in ("_neurons", "_synapses", "_noc")
]

setup(ext_modules=cythonize(extensions, compiler_directives=_DIRECTIVES))
