"""Argument checks shared by every helper: fail early, name the argument, say what is allowed.

>>> check_positive_int(3, "batch_size")
3
>>> check_positive_int(0, "batch_size")
Traceback (most recent call last):
...
ValueError: batch_size must be a positive integer (>= 1), got 0
"""

from __future__ import annotations

import numbers


def check_int(value, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int`` or raise a clear ``TypeError``/``ValueError``.

    >>> check_int(5, "n", minimum=0)
    5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def check_positive_int(value, name: str) -> int:
    """An integer of at least 1 (a length, a batch size, a count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer (>= 1), got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value}")
    return int(value)


def check_bool(value, name: str) -> bool:
    """A real ``bool`` (not 0/1, not a string).

    >>> check_bool(True, "shuffle")
    True
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return value


def check_real(value, name: str, *, minimum: float | None = None,
               maximum: float | None = None) -> float:
    """A finite real number, optionally within ``[minimum, maximum]``.

    >>> check_real(0.5, "noise", minimum=0)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_generator(generator, name: str = "generator"):
    """``None`` or a ``torch.Generator`` (what loaders and samplers accept as ``generator=``).

    >>> check_generator(None) is None
    True
    >>> check_generator(42)
    Traceback (most recent call last):
    ...
    TypeError: generator must be a torch.Generator or None, got int
    """
    import torch

    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator or None, got {type(generator).__name__}")
    return generator
