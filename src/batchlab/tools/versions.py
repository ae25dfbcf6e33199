"""The library versions a notebook's stored outputs were made with, and whether they match.

``python -m batchlab.tools.refresh`` writes :func:`recorded` into every notebook's metadata
(``metadata["batchlab"]["versions"]``). The test set-up compares it with :func:`installed`:
nbval compares every output strictly only where the two match, because a new torch may
reword an error message or change a repr without anything being wrong in the course.

>>> sorted(installed())
['matplotlib', 'numpy', 'python', 'scikit-learn', 'torch', 'torchvision']
>>> mismatches({"torch": "2.0.0"}, {"torch": "2.14.1"})
['torch 2.0.0 recorded, 2.14.1 installed']

:func:`lax_reason` is the one rule for *how strictly* a notebook's outputs are compared, used
by nbval (``conftest.py``) and by the browser suite, which compares the outputs of its own
run of each notebook instead of running it a second time.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

#: What the outputs depend on: the interpreter, torch, and the libraries that print or draw.
PACKAGES = ("torch", "torchvision", "numpy", "matplotlib", "scikit-learn")


def _public(version: str) -> str:
    """``2.14.1+cu130`` → ``2.14.1``: CPU and CUDA builds of one release print the same."""
    return version.split("+", 1)[0]


def installed() -> dict[str, str]:
    """The installed versions that stored outputs depend on (Python as ``major.minor``)."""
    found = {"python": ".".join(platform.python_version_tuple()[:2])}
    for name in PACKAGES:
        try:
            found[name] = _public(metadata.version(name))
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def recorded(notebook: Mapping) -> dict[str, str]:
    """The versions stored in a notebook (a dict as read by ``json``); ``{}`` if none."""
    return dict(notebook.get("metadata", {}).get("batchlab", {}).get("versions", {}))


def mismatches(recorded_versions: Mapping[str, str],
               installed_versions: Mapping[str, str] | None = None) -> list[str]:
    """Each recorded version that differs from the installed one, as a readable line."""
    now = installed() if installed_versions is None else installed_versions
    return [f"{name} {version} recorded, {now.get(name, 'missing')} installed"
            for name, version in sorted(recorded_versions.items())
            if now.get(name) != version]


def notebook_mismatches(paths: Iterable[str | Path]) -> dict[str, list[str]]:
    """``{notebook name: mismatches}`` for each notebook whose outputs were made otherwise.

    A notebook that records no versions counts as a mismatch: nobody knows what made it.
    """
    now = installed()
    found = {}
    for path in paths:
        path = Path(path)
        versions = recorded(json.loads(path.read_text(encoding="utf-8")))
        problems = mismatches(versions, now) if versions else ["no versions recorded"]
        if problems:
            found[path.name] = problems
    return found


def forced_lax() -> bool | None:
    """``NBVAL_LAX=1`` forces lax (``True``), ``NBVAL_LAX=0`` strict (``False``), else ``None``.

    >>> import os; os.environ["NBVAL_LAX"] = "0"; forced_lax()
    False
    >>> del os.environ["NBVAL_LAX"]; forced_lax() is None
    True
    """
    flag = os.environ.get("NBVAL_LAX", "").strip().lower()
    if flag in {"1", "true", "yes"}:
        return True
    if flag in {"0", "false", "no"}:
        return False
    return None


def global_lax_reason() -> str | None:
    """Why *every* notebook is compared laxly here (``NBVAL_LAX=1``, or CUDA), or ``None``."""
    forced = forced_lax()
    if forced is not None:
        return "NBVAL_LAX=1" if forced else None
    import torch

    if torch.cuda.is_available():
        return "CUDA is available (GPU numerics differ in the last digits)"
    return None


def lax_reason(path: str | Path) -> str | None:
    """Why the notebook at ``path`` is compared laxly here, or ``None`` for strict.

    Lax: every cell must run, only cells tagged ``nbval-check-output`` are compared.
    ``NBVAL_LAX=0`` forces strict; otherwise :func:`global_lax_reason`, then the
    notebook's recorded versions against the installed ones.
    """
    if forced_lax() is False:
        return None
    reason = global_lax_reason()
    if reason:
        return reason
    problems = notebook_mismatches([path]).get(Path(path).name)
    return "versions differ: " + "; ".join(problems) if problems else None
