"""Re-execute notebooks in place to refresh their stored outputs (never edit outputs by hand).

Run from the repository root::

    python -m batchlab.tools.refresh                 # every notebooks/*.ipynb
    python -m batchlab.tools.refresh notebooks/03_dataloader_batching.ipynb

Each notebook runs top to bottom in a fresh kernel (nbclient), in its own folder,
on the CPU (``BATCHLAB_DEVICE=cpu`` unless you set it), with ``PYTHONHASHSEED=0`` and
``OMP_NUM_THREADS=1``,
so the stored outputs are the ones the strict CPU nbval run compares against.
Saved widget state and per-cell timing metadata are not stored. The versions of Python,
torch, torchvision, NumPy, matplotlib and scikit-learn are written into the notebook's
metadata (``metadata["batchlab"]["versions"]``): the test set-up compares outputs strictly
only when the same versions are installed. The kernel time of each notebook is printed.

>>> callable(refresh_notebook)
True
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from batchlab.tools.versions import installed

# One intra-op thread: small tensors gain nothing from more on a 2-core machine, timing cells
# stop fighting DataLoader workers for cores, and every run gets the same reduction order.
KERNEL_ENV = {"BATCHLAB_DEVICE": "cpu", "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}


def refresh_notebook(path, *, timeout: int = 120, kernel_name: str = "python3",
                     write: bool = True) -> float:
    """Execute the notebook at ``path`` in place; return its kernel time in seconds.

    Raises ``nbclient.exceptions.CellExecutionError`` if a cell fails (the file is then
    left untouched). With ``write=False`` the notebook is executed but not saved.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path must be an existing .ipynb file, got {path}")
    nb = nbformat.read(path, as_version=4)
    env = {**KERNEL_ENV, **os.environ}  # the caller's BATCHLAB_DEVICE/PYTHONHASHSEED win
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(path.parent.resolve())}},
                            record_timing=False)  # widget state is dropped below
    start = time.perf_counter()
    client.execute(env=env)
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata.get("language_info", {}).pop("version", None)
    nb.metadata["batchlab"] = {"versions": installed()}
    if write:
        nbformat.write(nb, path)
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m batchlab.tools.refresh", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to refresh (default: notebooks/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    parser.add_argument("--dry-run", action="store_true", help="execute but do not save")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    if not paths:
        parser.error("no notebooks given and none found in ./notebooks")
    total = 0.0
    for path in paths:
        elapsed = refresh_notebook(path, timeout=args.timeout, write=not args.dry_run)
        total += elapsed
        print(f"{path}: {elapsed:.1f} s kernel time", flush=True)
    print(f"{len(paths)} notebook(s), {total:.1f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
