"""Boundary validation helpers: run once when an object is built, never in the step loop."""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import numpy as np

from .exceptions import DTypeError, ParameterError, ShapeError


def show(value) -> str:
    """A value as a person reads it in a message: NumPy scalars as plain numbers (``0.5``, not
    ``np.float64(0.5)``), arrays by shape and dtype, long text cut short."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_int(owner: str, field: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` as a Python int after checking it is an integer in ``lo..hi``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral,)):
        raise DTypeError(
            f"{owner}.{field}: must be an integer{_range_text(lo, hi)} "
            f"(got {show(value)} of type {type(value).__name__})"
        )
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ParameterError(
            f"{owner}.{field}: must be an integer{_range_text(lo, hi)} (got {value})"
        )
    return value


def check_choice(owner: str, field: str, value, choices) -> object:
    """Check that ``value`` is one of ``choices``."""
    try:
        ok = value in choices
    except (TypeError, ValueError):  # unhashable or array-valued
        ok = False
    if not ok:
        allowed = ", ".join(repr(c) for c in choices)
        raise ParameterError(f"{owner}.{field}: must be one of {allowed} (got {show(value)})")
    return value


def check_bool(owner: str, field: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise DTypeError(f"{owner}.{field}: must be True or False (got {show(value)})")
    return bool(value)


def check_number(owner: str, field: str, value, lo: float | None = None,
                 hi: float | None = None) -> float:  # fmt: skip
    """Return ``value`` as a finite float in ``lo..hi`` (bools are not numbers here)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise DTypeError(
            f"{owner}.{field}: must be a number{_range_text(lo, hi)} "
            f"(got {show(value)} of type {type(value).__name__})"
        )
    number = float(value)
    if (
        not np.isfinite(number)
        or (lo is not None and number < lo)
        or (hi is not None and number > hi)
    ):
        raise ParameterError(
            f"{owner}.{field}: must be a finite number{_range_text(lo, hi)} (got {show(value)})"
        )
    return number


def check_sequence(owner: str, field: str, value, n: int | None = None) -> tuple:
    """``value`` as a tuple (a list, tuple or 1-D array), of length ``n`` when given."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, np.ndarray)):
        want = f"{n} values" if n is not None else "a sequence"
        raise DTypeError(
            f"{owner}.{field}: must be {want} (a list or tuple) (got {show(value)} of type "
            f"{type(value).__name__})"
        )
    out = (
        tuple(np.asarray(value).ravel().tolist()) if isinstance(value, np.ndarray) else tuple(value)
    )
    if n is not None and len(out) != n:
        raise ShapeError(f"{owner}.{field}: must have {n} values (got {len(out)})")
    return out


def check_mapping(owner: str, field: str, value) -> dict:
    """``value`` as a dict (``None`` -> empty)."""
    if value is None:
        return {}
    if not hasattr(value, "keys") or not hasattr(value, "items"):
        raise DTypeError(
            f"{owner}.{field}: must be a dict of name -> value (got {show(value)} of type "
            f"{type(value).__name__})"
        )
    return dict(value)


def memory_limit() -> int:
    """Bytes one allocation may take: ``SPIKEMESH_MAX_BYTES``, else half the machine's RAM."""
    env = os.environ.get("SPIKEMESH_MAX_BYTES")
    if env:
        try:
            return int(float(env))
        except ValueError:
            raise ParameterError(
                f"SPIKEMESH_MAX_BYTES: must be a number of bytes (got {env!r})"
            ) from None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # not POSIX: 8 GiB
        return 8 * 2**30


def check_memory(owner: str, nbytes: float, what: str) -> None:
    """Refuse an allocation of ``nbytes`` above :func:`memory_limit`, saying both numbers."""
    limit = memory_limit()
    if nbytes > limit:
        raise ParameterError(
            f"{owner}: {what} would need {_bytes(nbytes)}, above the limit of {_bytes(limit)} "
            "(half the machine's memory; set SPIKEMESH_MAX_BYTES to change it)"
        )


def npy_sizes(path) -> float | None:
    """Bytes the arrays of a ``.npy`` / ``.npz`` file declare (read from their headers, nothing
    loaded), or None when the file is not one (the caller's reader says so)."""
    import zipfile

    def header(fh) -> float:
        version = np.lib.format.read_magic(fh)
        shape, _, dtype = (np.lib.format.read_array_header_1_0(fh) if version == (1, 0)
                           else np.lib.format.read_array_header_2_0(fh))  # fmt: skip
        return float(np.prod(shape, dtype=object)) * dtype.itemsize

    try:
        if zipfile.is_zipfile(path):
            total = 0.0
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    if info.filename.endswith(".npy"):
                        with z.open(info) as fh:
                            total += header(fh)
            return total
        with open(path, "rb") as fh:
            return header(fh)
    except Exception:
        return None


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def read_text(owner: str, path, what: str, error=ParameterError) -> str:
    """A text file's contents as UTF-8, or one clear ``error`` naming the file and the problem
    (missing, a directory, unreadable, not UTF-8)."""
    path = Path(path)
    if path.is_dir():
        raise error(f"{owner}: {path} is a directory, not a {what}")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{owner}: {path}: no such {what}") from None
    except OSError as exc:
        raise error(f"{owner}: cannot read {path} ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{owner}: {path} is not UTF-8 text (byte {data[exc.start]:#04x} at offset "
            f"{exc.start}); a {what} must be UTF-8"
        ) from None


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
    works but ``0.5`` is rejected instead of being silently truncated); booleans are 0 and 1.
    """
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):  # ragged nested lists
        raise DTypeError(
            f"{owner}.{field}: must be an integer array{_range_text(lo, hi)} (got a ragged or "
            f"non-numeric {type(value).__name__})"
        ) from None
    if arr.dtype.kind == "b":  # the natural way to write spikes: rng.random(...) < p
        arr = arr.astype(np.int8)
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        raise DTypeError(
            f"{owner}.{field}: must be an integer array{_range_text(lo, hi)} "
            f"(got dtype {arr.dtype})"
        )
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~np.isfinite(arr) | (arr != np.round(arr))].ravel()[0]
            raise DTypeError(
                f"{owner}.{field}: must hold whole numbers (got {show(bad)} in a float array); "
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


def float_array(owner: str, field: str, value, ndim: int | None = None,
                finite: bool = True) -> np.ndarray:  # fmt: skip
    """``value`` as a float64 array: numbers only (no text, objects or ragged lists), of
    ``ndim`` dimensions when given, finite unless ``finite=False``."""
    try:
        arr = np.asarray(value)
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise TypeError
        arr = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise DTypeError(
            f"{owner}.{field}: must be an array of numbers (got {show(value)} of type "
            f"{type(value).__name__})"
        ) from None
    if ndim is not None and arr.ndim != ndim:
        raise ShapeError(f"{owner}.{field}: must be {ndim}-D (got shape {arr.shape})")
    if finite and not np.all(np.isfinite(arr)):
        raise ParameterError(f"{owner}.{field}: must be finite (got a NaN or infinity)")
    return arr


def check_name(owner: str, field: str, value, allow_none: bool = True):
    """A non-empty name (str), or None when allowed."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or not value:
        raise DTypeError(f"{owner}.{field}: must be a non-empty string (got {show(value)})")
    return value


def _range_text(lo, hi) -> str:
    if lo is None and hi is None:
        return ""
    if lo is None:
        return f" <= {hi}"
    if hi is None:
        return f" >= {lo}"
    return f" in {lo}..{hi}"
