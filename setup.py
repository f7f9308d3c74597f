"""Cython extension list and compiler directives (metadata lives in pyproject.toml).

Set ``SPIKEMESH_BOUNDSCHECK=1`` while building to turn bounds and wraparound checks back on
for debugging a kernel.
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

_COMPILE_ARGS = ["-O3"] if os.name != "nt" else ["/O2"]

extensions = [
    Extension(
        f"spikemesh.kernels.{name}",
        [f"spikemesh/kernels/{name}.pyx"],
        extra_compile_args=_COMPILE_ARGS,
    )
    for name in ("_neurons", "_synapses")
]

setup(ext_modules=cythonize(extensions, compiler_directives=_DIRECTIVES))
