"""pytest set-up: strict nbval on CPU, lax nbval on a GPU.

On a machine with CUDA (or with ``NBVAL_LAX=1``) notebook outputs can differ in
the last digits, so only cells tagged ``nbval-check-output`` (the
``NBVAL_CHECK_OUTPUT`` marker) are compared; every cell still has to run without error.
``NBVAL_LAX=0`` forces strict mode even on a GPU.
"""

import os

# Inherited by the nbval kernels: the same settings `python -m batchlab.refresh` stores with.
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("OMP_NUM_THREADS", "1")

# BATCHLAB_START_METHOD=spawn|forkserver|fork: every kernel (and every worker it starts)
# imports tests/start_method/sitecustomize.py, which forces that start method.
if os.environ.get("BATCHLAB_START_METHOD", "").strip():
    _here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests", "start_method")
    _path = os.environ.get("PYTHONPATH", "")
    if _here not in _path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_here, _path) if p)


def _want_lax() -> bool:
    flag = os.environ.get("NBVAL_LAX", "").strip().lower()
    if flag in {"1", "true", "yes"}:
        return True
    if flag in {"0", "false", "no"}:
        return False
    import torch

    return torch.cuda.is_available()


def pytest_configure(config):
    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    if sanitize and not os.path.isabs(sanitize):  # works from any working directory
        config.option.nbval_sanitize_with = str(config.rootpath / sanitize)
    if getattr(config.option, "nbval", False) and _want_lax():
        config.option.nbval_lax = True


def pytest_report_header(config):
    mode = "lax (only nbval-check-output cells compared)" if getattr(
        config.option, "nbval_lax", False) else "strict (every cell compared)"
    return f"batchlab: nbval {mode}"
