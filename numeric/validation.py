"""Input validation: every message names the parameter and says how to fix it."""

from __future__ import annotations

import numpy as np


class ParameterError(ValueError):
    """A user-supplied parameter is out of its physical or numerical range.

    The message names the parameter (as the API spells it; the command line's option is the same name with dashes)
    and says how to fix it. The command line prints it and exits with status 2, without a traceback.
    """


def finite(name: str, value, *, fix: str = "pass a finite number") -> np.ndarray:
    """Return ``value`` as an array after checking that every entry is finite."""
    arr = np.asarray(value)
    if arr.dtype == object or not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} must be finite, got {value!r}: {fix}.")
    return arr


def positive(name: str, value, *, fix: str = "pass a value > 0") -> float:
    """Return ``float(value)`` after checking it is finite and strictly positive."""
    v = float(finite(name, value))
    if not v > 0:
        raise ParameterError(f"{name} must be > 0, got {v!r}: {fix}.")
    return v


def nonnegative(name: str, value, *, fix: str = "pass a value >= 0") -> float:
    """Return ``float(value)`` after checking it is finite and not negative."""
    v = float(finite(name, value))
    if v < 0:
        raise ParameterError(f"{name} must be >= 0, got {v!r}: {fix}.")
    return v


def grid_size(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}.") from None
    if n != value or n < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}: increase {name}.")
    return n
