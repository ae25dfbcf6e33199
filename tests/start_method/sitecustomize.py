"""Force the multiprocessing start method of every Python process that imports this.

``conftest.py`` puts this folder on ``PYTHONPATH`` when ``BATCHLAB_START_METHOD`` is set
(``fork``, ``spawn`` or ``forkserver``), so the notebook kernels that nbval and
``python -m batchlab.tools.refresh`` start create their DataLoader workers the way macOS and
Windows (``spawn``) or Python >= 3.14 on Linux (``forkserver``) would.
"""

import multiprocessing
import os

_method = os.environ.get("BATCHLAB_START_METHOD", "").strip()
if _method:
    if _method not in multiprocessing.get_all_start_methods():
        raise ValueError(f"BATCHLAB_START_METHOD must be one of "
                         f"{multiprocessing.get_all_start_methods()}, got {_method!r}")
    multiprocessing.set_start_method(_method, force=True)
