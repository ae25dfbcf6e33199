"""Worker probes for the datasets notebook (``01_datasets``).

They live in a module (not in the notebook) because DataLoader worker processes must import
them under the ``spawn`` and ``forkserver`` start methods; the notebook shows their source.

>>> probe = CallCounter(3)
>>> [probe[i] for i in range(3)], probe.calls
([1, 2, 3], 3)
"""

from __future__ import annotations

from torch.utils.data import Dataset

from batchlab._checks import check_positive_int
from batchlab.data.datasets import _check_index


class WorkerCopyProbe(Dataset):
    """``n`` samples, each saying whether the dataset object that served it came out of pickle.

    A DataLoader worker gets its own copy of the dataset. Under the ``fork`` start method it
    inherits one (nothing is pickled); under ``spawn`` and ``forkserver`` the dataset is
    pickled in the main process and rebuilt in the worker, and pickle calls
    ``__setstate__`` on the rebuilt object.

    >>> import pickle
    >>> probe = WorkerCopyProbe(2)
    >>> probe[0], pickle.loads(pickle.dumps(probe))[0]
    (False, True)
    """

    def __init__(self, n: int = 4):
        self.n = check_positive_int(n, "n")
        self.unpickled = False               # this object was built by __init__

    def __setstate__(self, state):           # pickle calls this when it rebuilds the object
        self.__dict__.update(state)
        self.unpickled = True

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> bool:
        _check_index(idx, self.n)
        return self.unpickled


class CallCounter(Dataset):
    """``n`` samples; each is how many times *this copy* of the dataset has served an item.

    Every DataLoader worker gets its own copy of the dataset, and the copy keeps its state
    (here the counter) only as long as the worker lives. Workers are started at the
    beginning of every pass over the loader and stopped at its end, unless
    ``persistent_workers=True`` keeps them (and their copies) between epochs.

    >>> counter = CallCounter(3)
    >>> [counter[i] for i in range(3)], counter.calls
    ([1, 2, 3], 3)
    """

    def __init__(self, n: int = 4):
        self.n = check_positive_int(n, "n")
        self.calls = 0                       # items served by this copy so far

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> int:
        _check_index(idx, self.n)
        self.calls += 1
        return self.calls


