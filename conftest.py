"""pytest set-up: how strictly nbval compares the stored notebook outputs.

- **strict** (every cell's output compared): on a CPU, with the same versions of Python,
  torch, torchvision, NumPy, matplotlib and scikit-learn as the notebook records in its
  metadata (``python -m batchlab.tools.refresh`` writes them; ``constraints.txt`` installs them).
- **lax** (every cell must still run without error; only cells tagged
  ``nbval-check-output`` are compared): on a machine with CUDA, where floating-point results
  can differ in the last digits, or for a notebook whose recorded versions differ from the
  installed ones (a new torch may reword an error message with nothing wrong in the course).

``NBVAL_LAX=1`` forces lax mode for every notebook, ``NBVAL_LAX=0`` strict mode.
``BATCHLAB_START_METHOD=spawn|forkserver|fork`` makes every notebook kernel (and every
DataLoader worker) start processes that way, as on macOS/Windows or Python >= 3.14.
The pytest header says which mode applies and why.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent

# Inherited by the nbval kernels: the same settings `python -m batchlab.tools.refresh` stores with.
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("OMP_NUM_THREADS", "1")

# BATCHLAB_START_METHOD: every kernel (and every worker it starts) imports
# tests/start_method/sitecustomize.py, which forces that start method.
if os.environ.get("BATCHLAB_START_METHOD", "").strip():
    _here = str(ROOT / "tests" / "start_method")
    _path = os.environ.get("PYTHONPATH", "")
    if _here not in _path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_here, _path) if p)


def _forced_mode():
    """``True``/``False`` when NBVAL_LAX forces lax/strict, else ``None``."""
    flag = os.environ.get("NBVAL_LAX", "").strip().lower()
    if flag in {"1", "true", "yes"}:
        return True
    if flag in {"0", "false", "no"}:
        return False
    return None


def _global_lax_reason():
    """Why every notebook runs lax, or ``None``."""
    forced = _forced_mode()
    if forced is not None:
        return "NBVAL_LAX=1" if forced else None
    import torch

    if torch.cuda.is_available():
        return "CUDA is available (GPU numerics differ in the last digits)"
    return None


def pytest_configure(config):
    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    if sanitize and not os.path.isabs(sanitize):  # works from any working directory
        config.option.nbval_sanitize_with = str(config.rootpath / sanitize)
    config._batchlab_lax = {}  # notebook name -> why it runs lax
    if not getattr(config.option, "nbval", False):
        return
    reason = _global_lax_reason()
    if reason:
        config.option.nbval_lax = True
        config._batchlab_global_lax = reason


def pytest_collectstart(collector):
    """Per notebook: lax when the installed versions differ from those it records."""
    if not hasattr(collector, "compare_outputs") or collector.path.suffix != ".ipynb":
        return
    config = collector.config
    if getattr(config, "_batchlab_global_lax", None) or _forced_mode() is False:
        return
    from batchlab.tools.versions import notebook_mismatches

    problems = notebook_mismatches([collector.path]).get(collector.path.name)
    if problems:
        collector.compare_outputs = False  # nbval's own lax switch, for this notebook only
        config._batchlab_lax[collector.path.name] = problems


def pytest_report_header(config):
    if not getattr(config.option, "nbval", False):
        return None
    lines = []
    method = os.environ.get("BATCHLAB_START_METHOD", "").strip()
    if method:
        lines.append(f"batchlab: DataLoader workers start with {method!r}")
    reason = getattr(config, "_batchlab_global_lax", None)
    if reason:
        return lines + [f"batchlab: nbval lax (only nbval-check-output cells compared): {reason}"]
    if _forced_mode() is False:
        return lines + ["batchlab: nbval strict (every cell compared): NBVAL_LAX=0"]
    from batchlab.tools.versions import installed, notebook_mismatches

    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    found = notebook_mismatches(paths)
    if not found:
        versions = ", ".join(f"{k} {v}" for k, v in installed().items())
        return lines + ["batchlab: nbval strict (every cell compared): installed versions "
                        f"match those recorded ({versions})"]
    lines.append(f"batchlab: nbval lax for {len(found)} of {len(paths)} notebooks (only "
                 "nbval-check-output cells compared), strict for the rest; versions differ:")
    for name, problems in found.items():
        lines.append(f"  {name}: {'; '.join(problems)}")
    return lines
