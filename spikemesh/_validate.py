"""Boundary validation helpers: run once when an object is built, never in the step loop."""

from __future__ import annotations

import numbers

import numpy as np

from .exceptions import DTypeError, ParameterError, ShapeError


def check_int(owner: str, field: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` as a Python int after checking it is an integer in ``lo..hi``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral,)):
        raise DTypeError(
            f"{owner}.{field}: must be an integer{_range_text(lo, hi)} "
            f"(got {value!r} of type {type(value).__name__})"
        )
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ParameterError(
            f"{owner}.{field}: must be an integer{_range_text(lo, hi)} (got {value})"
        )
    return value


def check_choice(owner: str, field: str, value, choices) -> object:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ParameterError(f"{owner}.{field}: must be one of {allowed} (got {value!r})")
    return value


def check_bool(owner: str, field: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise DTypeError(f"{owner}.{field}: must be True or False (got {value!r})")
    return bool(value)


def int_array(
    owner: str,
    field: str,
    value,
    lo: int | None = None,
    hi: int | None = None,
    ndim: int | None = None,
    shape: tuple | None = None,
    dtype=np.int64,
) -> np.ndarray:
    """Convert ``value`` to a read-only integer array, checking kind, shape and range.

    Floats are accepted only when every element is a whole number (so ``np.array([1.0, 2.0])``
    works but ``0.5`` is rejected instead of being silently truncated).
    """
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind not in "iuf" or arr.dtype.kind == "b":
        raise DTypeError(
            f"{owner}.{field}: must be an integer array{_range_text(lo, hi)} "
            f"(got dtype {arr.dtype})"
        )
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~np.isfinite(arr) | (arr != np.round(arr))].ravel()[0]
            raise DTypeError(
                f"{owner}.{field}: must hold whole numbers (got {bad!r} in a float array); "
                "round or quantize the values first"
            )
    if ndim is not None and arr.ndim != ndim:
        raise ShapeError(f"{owner}.{field}: must be {ndim}-D (got shape {arr.shape})")
    if shape is not None and arr.shape != tuple(shape):
        raise ShapeError(f"{owner}.{field}: must have shape {tuple(shape)} (got {arr.shape})")
    if arr.size:
        amin, amax = arr.min(), arr.max()
        if (lo is not None and amin < lo) or (hi is not None and amax > hi):
            worst = amin if (lo is not None and amin < lo) else amax
            raise ParameterError(
                f"{owner}.{field}: values must be{_range_text(lo, hi)} (got {int(worst)})"
            )
    out = np.array(arr, dtype=dtype)
    out.setflags(write=False)
    return out


def _range_text(lo, hi) -> str:
    if lo is None and hi is None:
        return ""
    if lo is None:
        return f" <= {hi}"
    if hi is None:
        return f" >= {lo}"
    return f" in {lo}..{hi}"
