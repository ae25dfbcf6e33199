"""pytest set-up: how strictly nbval compares the stored notebook outputs.

- **strict** (every cell's output compared): on a CPU, with the same versions of Python,
  torch, torchvision, NumPy, matplotlib and scikit-learn as the notebook records in its
  metadata (``python -m batchlab.tools.refresh`` writes them; ``constraints.txt`` installs them).
- **lax** (every cell must still run without error; only cells tagged
  ``nbval-check-output`` are compared): on a machine with CUDA, where floating-point results
  can differ in the last digits, or for a notebook whose recorded versions differ from the
  installed ones (a new torch may reword an error message with nothing wrong in the course).

``NBVAL_LAX=1`` forces lax mode for every notebook, ``NBVAL_LAX=0`` strict mode
(``batchlab.tools.versions.lax_reason`` is the rule, for nbval and the browser suite alike).

Each notebook is executed once per run: when the browser suite's test for a notebook is in
the run (and Chromium is there to run it), that test compares the outputs of its JupyterLab
run with the stored ones by nbval's rules (``tests/browser/stored_outputs.py``), and nbval's
own items for the notebook are left out. ``pytest notebooks/`` (or any run without the
browser suite) is plain nbval; ``BATCHLAB_NBVAL_TOO=1`` keeps both.
``BATCHLAB_START_METHOD=spawn|forkserver|fork`` makes every notebook kernel (and every
DataLoader worker) start processes that way, as on macOS/Windows or Python >= 3.14.
The pytest header says which mode applies and why.
"""

import importlib.util
import os
from collections import Counter
from pathlib import Path

import pytest

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


def pytest_configure(config):
    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    if sanitize and not os.path.isabs(sanitize):  # works from any working directory
        config.option.nbval_sanitize_with = str(config.rootpath / sanitize)
    config._batchlab_lax = {}  # notebook name -> why it runs lax
    config._batchlab_once = {}  # notebook name -> nbval items the browser suite stands in for
    if not getattr(config.option, "nbval", False):
        return
    from batchlab.tools.versions import global_lax_reason

    reason = global_lax_reason()
    if reason:
        config.option.nbval_lax = True
        config._batchlab_global_lax = reason


def pytest_collectstart(collector):
    """Per notebook: lax when the installed versions differ from those it records."""
    if not hasattr(collector, "compare_outputs") or collector.path.suffix != ".ipynb":
        return
    config = collector.config
    if getattr(config, "_batchlab_global_lax", None):
        return  # --nbval-lax already applies to every notebook
    from batchlab.tools.versions import lax_reason

    reason = lax_reason(collector.path)  # the rule the browser suite applies too
    if reason:
        collector.compare_outputs = False  # nbval's own lax switch, for this notebook only
        config._batchlab_lax[collector.path.name] = reason


def pytest_report_header(config):
    if not getattr(config.option, "nbval", False):
        return None
    lines = []
    if _browser_can_run() and not nbval_too():
        lines.append("batchlab: a notebook whose browser test runs is executed once, in "
                     "JupyterLab, and its outputs compared there by nbval's rules "
                     "(BATCHLAB_NBVAL_TOO=1: nbval runs it too)")
    method = os.environ.get("BATCHLAB_START_METHOD", "").strip()
    if method:
        lines.append(f"batchlab: DataLoader workers start with {method!r}")
    reason = getattr(config, "_batchlab_global_lax", None)
    if reason:
        return lines + [f"batchlab: nbval lax (only nbval-check-output cells compared): {reason}"]
    from batchlab.tools.versions import forced_lax, installed, notebook_mismatches

    if forced_lax() is False:
        return lines + ["batchlab: nbval strict (every cell compared): NBVAL_LAX=0"]

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


BROWSER_TEST = "tests/browser/test_notebooks_in_browser.py::test_notebook_runs_and_widgets_respond"
_TRUE = {"1", "true", "yes"}


def _browser_can_run() -> bool:
    """Chromium is there and Playwright imports: the browser suite will run, not skip."""
    chromium = os.environ.get("BATCHLAB_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists() or importlib.util.find_spec("playwright") is None:
        return False
    try:
        import playwright.sync_api  # noqa: F401 what tests/browser/conftest.py imports
    except ImportError:
        return False
    return True


def nbval_too() -> bool:
    """``BATCHLAB_NBVAL_TOO=1``: nbval runs every notebook even where the browser suite does."""
    return os.environ.get("BATCHLAB_NBVAL_TOO", "").strip().lower() in _TRUE


def pytest_itemcollected(item):
    """Groups for ``--dist loadgroup``: what must share one worker does; the rest spreads.

    An nbval notebook's cells share one kernel, and a test file with a module-scoped
    fixture would otherwise set it up once per worker: each stays on one worker. Every
    other test (each notebook's browser test included) goes wherever a worker is free.
    """
    if item.path.suffix == ".ipynb":
        item.add_marker(pytest.mark.xdist_group(item.path.name))
        return
    info = getattr(item, "_fixtureinfo", None)
    scopes = {d[-1].scope for d in info.name2fixturedefs.values()} if info else set()
    if scopes & {"module", "class", "package"}:
        item.add_marker(pytest.mark.xdist_group(item.path.name))


@pytest.hookimpl(trylast=True)  # after -k / -m have chosen what runs
def pytest_collection_modifyitems(session, config, items):
    """Leave out nbval's items for a notebook whose browser test runs (and compares) it."""
    if nbval_too():
        return
    in_browser = {item.callspec.params["path"].resolve() for item in items
                  if item.nodeid.startswith(BROWSER_TEST)}
    if not in_browser or not _browser_can_run():
        return
    twice = {item for item in items
             if item.path.suffix == ".ipynb" and item.path.resolve() in in_browser}
    if twice:
        config.hook.pytest_deselected(items=[item for item in items if item in twice])
        items[:] = [item for item in items if item not in twice]
        config._batchlab_once.update(Counter(item.path.name for item in twice))


def pytest_report_collectionfinish(config, start_path, items):
    """Which notebooks the browser suite executes (and compares) instead of nbval."""
    once = getattr(config, "_batchlab_once", {})
    if not once:
        return None
    return [f"batchlab: executed once, in JupyterLab, compared by nbval's rules: {name} "
            f"({count} nbval items left out)" for name, count in sorted(once.items())]
