"""Exercises for each notebook, one module named after it:
``from batchlab.exercises import samplers as ex``, then ``ex.q1.check(answer)``.

Each module holds questions ``q1, q2, …`` with ``.check(answer)``,
``.hint()`` and ``.solution()``. An unanswered question (``...``) says
"Not attempted yet", so a notebook runs top to bottom with no answers filled in.

>>> from batchlab.exercises import all_modules
>>> all(m.QUESTIONS for m in all_modules())
True
"""

from __future__ import annotations

import importlib
import pkgutil

from ._question import CodeQuestion, Question, is_stub

__all__ = ["CodeQuestion", "Question", "all_modules", "is_stub"]


def all_modules():
    """Every exercise module (one per notebook, named after it), sorted by name."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]
