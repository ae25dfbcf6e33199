"""Probe datasets for notebook 11 (loader performance): what DataLoader workers are, do and cost.

Everything a worker process has to unpickle lives here, in a module, so the
notebook's loaders also run under the ``spawn`` start method (macOS, Windows) and
``forkserver`` (the Linux default from Python 3.14): a class defined in a notebook
lives in ``__main__``, which a spawned worker cannot import. Notebook 08 builds
every ``DataLoader`` in its cells and shows these classes' source.

- :class:`WorkerProbeDataset` — which process (and worker id) loads each sample.
- :class:`DecodeCostDataset` — samples that cost CPU time (busy work) or wall time
  (sleep), with an optional one-time start-up cost per process.
- :class:`CpuTimedDataset` — wraps a dataset; each sample also reports the process
  that loaded it and the CPU time its ``__getitem__`` took there.
- :class:`StampDataset` — when (wall clock) each sample finished loading; optionally
  one slow index.
- :class:`LazyOpenDataset` — a per-process "open the file" cost, and the loading PID.
- :class:`SeedProbeDataset` — how the loading process's random generators are seeded.
- :class:`JitterDataset`, :func:`reseed_generators`, :func:`reseed_worker` — the
  "same random augmentation in every worker" pitfall and its fix.
- :class:`MemoryProbeDataset`, :class:`CopyOnAccessDataset`, :func:`memory_mb` — memory.
- :class:`SharingStrategyProbeDataset`, :func:`use_file_system_sharing` — how a worker
  shares tensors with the main process.
- :class:`CustomBatch`, :func:`collate_custom_batch` — a batch type with ``.pin_memory()``.
- :class:`CudaInWorkerDataset` — CUDA work inside a worker (what not to do).
- :func:`capture_stderr` — keep what worker processes print to standard error.

>>> ds = DecodeCostDataset(4, cost_ms=0.1)
>>> x, y = ds[0]
>>> x.shape, int(y)
(torch.Size([16]), 0)
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import sys
import tempfile
import time
import timeit

import numpy as np
import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    TensorDataset,
    default_collate,
    get_worker_info,
)

from batchlab._checks import check_bool, check_generator, check_int, check_positive_int, check_real
from batchlab.data.tensor_loader import IndexTensorBatchSampler, TensorBatchLoader, _check_tensors

__all__ = ["batch_cost_breakdown", "capture_stderr", "collate_custom_batch",
           "CopyOnAccessDataset", "CpuTimedDataset", "CudaInWorkerDataset", "CustomBatch",
           "DecodeCostDataset", "fast_path_loaders", "gather_call_times", "JitterDataset",
           "LazyOpenDataset", "loops_per_ms", "memory_copy_batches", "memory_mb",
           "MemoryProbeDataset", "reseed_generators", "reseed_worker", "SeedProbeDataset",
           "SharingStrategyProbeDataset", "StampDataset", "use_file_system_sharing",
           "whole_epoch_gather", "WorkerProbeDataset"]


def _check_index(idx, n: int) -> int:
    idx = check_int(idx, "idx")
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range for a dataset of length {n}")
    return idx % n


# --------------------------------------------------------------------------- who loads what

class WorkerProbeDataset(Dataset):
    """Each sample says who loaded it: ``{"index", "worker_id", "pid", "torch_threads"}``.

    ``worker_id`` is ``get_worker_info().id`` (``-1`` in the main process, where
    ``get_worker_info()`` returns ``None``), ``pid`` the id of the process that ran
    ``__getitem__``, ``torch_threads`` what ``torch.get_num_threads()`` returns there.

    >>> sample = WorkerProbeDataset(3)[2]
    >>> sample["index"], sample["worker_id"], sample["pid"] == os.getpid()
    (2, -1, True)
    """

    def __init__(self, n: int = 8):
        self.n = check_positive_int(n, "n")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> dict:
        info = get_worker_info()  # None in the main process
        return {"index": _check_index(idx, self.n),
                "worker_id": -1 if info is None else info.id,
                "pid": os.getpid(),
                "torch_threads": torch.get_num_threads()}


# --------------------------------------------------------------------------- costly samples

_LOOPS_PER_MS: float | None = None


def _spin(loops: int) -> int:
    """Pure-Python arithmetic: holds the GIL and one CPU core for the whole loop."""
    x = 0
    for i in range(loops):
        x = (x * 31 + i) & 0xFFFF
    return x


def loops_per_ms() -> float:
    """How many :func:`_spin` iterations take one millisecond of *CPU time* here.

    Measured once per process with ``time.thread_time()`` (CPU time of this thread),
    so a busy machine does not change it: other programs take wall time from us,
    not CPU time.

    >>> loops_per_ms() > 0
    True
    """
    global _LOOPS_PER_MS
    if _LOOPS_PER_MS is None:
        loops = 10_000
        while True:  # grow until one run takes >= 10 ms of CPU (coarse clocks on Windows)
            start = time.thread_time()
            _spin(loops)
            best = time.thread_time() - start
            if best >= 0.01:
                break
            loops *= 4
        for _ in range(2):
            start = time.thread_time()
            _spin(loops)
            best = min(best, time.thread_time() - start)
        _LOOPS_PER_MS = loops / (best * 1000)
    return _LOOPS_PER_MS


class DecodeCostDataset(Dataset):
    """Samples that take time to produce, like images that must be decoded.

    Each ``dataset[i]`` returns ``(features: float32[features], label: int64)`` after
    spending about ``cost_ms`` milliseconds:

    - ``busy=True``: pure-Python arithmetic calibrated to ``cost_ms`` of **CPU time**
      (see :func:`loops_per_ms`). It needs a CPU core the whole time — like JPEG
      decoding or augmentations — so more workers than free cores cannot make it faster.
    - ``busy=False``: ``time.sleep`` — waiting, like reading from a slow disk or network.
      A sleeping worker uses no core, so workers beyond the number of cores still help.

    ``startup_ms`` adds a one-time cost the first time a *process* reads a sample (like
    opening a file or a database connection lazily in each worker): a new worker pays it
    again, a persistent worker only once.

    >>> ds = DecodeCostDataset(6, cost_ms=0.5, busy=False)
    >>> start = time.perf_counter(); _ = [ds[i] for i in range(6)]
    >>> time.perf_counter() - start >= 0.003
    True
    >>> [int(ds[i][1]) for i in range(6)]
    [0, 1, 0, 1, 0, 1]
    """

    def __init__(self, n: int = 1000, cost_ms: float = 1.0, *, busy: bool = True,
                 features: int = 16, startup_ms: float = 0.0, seed: int = 0):
        self.n = check_positive_int(n, "n")
        self.cost_ms = check_real(cost_ms, "cost_ms", minimum=0.0)
        self.busy = check_bool(busy, "busy")
        features = check_positive_int(features, "features")
        self.startup_ms = check_real(startup_ms, "startup_ms", minimum=0.0)
        g = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
        self.features = torch.randn(self.n, features, generator=g)
        self.labels = torch.arange(self.n) % 2
        self.loops = round(self.cost_ms * loops_per_ms()) if self.busy else 0
        self._opened_in_pid = None

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        idx = _check_index(idx, self.n)
        if self._opened_in_pid != os.getpid():  # first sample read by this process
            time.sleep(self.startup_ms / 1000)
            self._opened_in_pid = os.getpid()
        if self.busy:
            _spin(self.loops)
        else:
            time.sleep(self.cost_ms / 1000)
        return self.features[idx].clone(), self.labels[idx]


class CpuTimedDataset(Dataset):
    """Wrap a dataset: ``dataset[i]`` returns ``(sample, pid, cpu_s)``.

    ``pid`` is the process that ran ``__getitem__`` and ``cpu_s`` the CPU time
    (``time.thread_time()``) the wrapped ``__getitem__`` took there. CPU time does not
    depend on how busy the machine is, and it is measured *inside* the loading
    process, so it works with every start method (``os.times()`` in the main process
    misses workers that are not its own children, e.g. under ``forkserver``).

    >>> sample, pid, cpu_s = CpuTimedDataset(DecodeCostDataset(2, cost_ms=1.0))[0]
    >>> pid == os.getpid(), cpu_s > 0
    (True, True)
    """

    def __init__(self, dataset):
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"dataset must be a map-style dataset (with __getitem__ and "
                            f"__len__), got {type(dataset).__name__}")
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int):
        start = time.thread_time()
        sample = self.dataset[idx]
        return sample, os.getpid(), time.thread_time() - start


# --------------------------------------------------------------------------- time stamps

class StampDataset(Dataset):
    """``dataset[i]`` returns ``(i, t)``: ``t`` is when the sample finished loading
    (``time.time()``, a wall clock that all processes of a machine share).

    Each sample first waits ``cost_ms`` (``time.sleep``); the sample ``slow_index``
    (if given) waits ``slow_ms`` more, like one huge image or a slow disk read.

    >>> i, t = StampDataset(3)[1]
    >>> i, abs(t - time.time()) < 60
    (1, True)
    """

    def __init__(self, n: int = 32, *, cost_ms: float = 0.0, slow_index: int | None = None,
                 slow_ms: float = 0.0):
        self.n = check_positive_int(n, "n")
        self.cost_ms = check_real(cost_ms, "cost_ms", minimum=0.0)
        if slow_index is not None:
            slow_index = _check_index(slow_index, self.n)
        self.slow_index = slow_index
        self.slow_ms = check_real(slow_ms, "slow_ms", minimum=0.0)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        idx = _check_index(idx, self.n)
        wait_ms = self.cost_ms + (self.slow_ms if idx == self.slow_index else 0.0)
        if wait_ms:
            time.sleep(wait_ms / 1000)
        return idx, time.time()


class LazyOpenDataset(Dataset):
    """A dataset that "opens its file" the first time a process reads from it.

    The first ``dataset[i]`` in each process sleeps ``open_ms`` (like opening a file,
    an HDF5 store or a database connection lazily); every sample returns
    ``(i, pid)`` so you can count the processes that paid for it.

    >>> ds = LazyOpenDataset(4, open_ms=0)
    >>> ds[3] == (3, os.getpid())
    True
    """

    def __init__(self, n: int = 8, *, open_ms: float = 200.0):
        self.n = check_positive_int(n, "n")
        self.open_ms = check_real(open_ms, "open_ms", minimum=0.0)
        self._opened_in_pid = None

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        idx = _check_index(idx, self.n)
        if self._opened_in_pid != os.getpid():
            time.sleep(self.open_ms / 1000)  # "open the file", once per process
            self._opened_in_pid = os.getpid()
        return idx, os.getpid()


# --------------------------------------------------------------------------- seeding

class SeedProbeDataset(Dataset):
    """Each sample reports how the loading process's random generators were seeded.

    ``dataset[i]`` returns a dict: ``worker`` (``-1`` in the main process), ``seed``
    (``get_worker_info().seed``, ``None`` in the main process), ``torch_seed``
    (``torch.initial_seed()``), ``python_seeded`` (Python's ``random`` is in the state
    ``random.seed(seed)`` gives; ``None`` in the main process) and one draw from each
    global generator: ``torch_draw``, ``python_draw``, ``numpy_draw``. Read the sample
    before anything else in the worker draws random numbers.

    >>> SeedProbeDataset(2)[0]["worker"]  # main process: nothing to report but draws
    -1
    """

    def __init__(self, n: int = 2):
        self.n = check_positive_int(n, "n")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> dict:
        _check_index(idx, self.n)
        info = get_worker_info()
        report = {"worker": -1, "seed": None, "torch_seed": torch.initial_seed(),
                  "python_seeded": None}
        if info is not None:
            report.update(worker=info.id, seed=info.seed, python_seeded=(
                random.getstate() == random.Random(info.seed).getstate()))
        report.update(torch_draw=int(torch.randint(0, 1000, ())),
                      python_draw=random.randrange(1000),
                      numpy_draw=int(np.random.randint(1000)))
        return report


def _worker_id() -> int:
    info = get_worker_info()
    return -1 if info is None else info.id


class JitterDataset(Dataset):
    """A dataset that draws a random "augmentation" from a generator it stores.

    ``dataset[i]`` returns ``(i, worker, offset)``: ``offset`` is a random crop offset
    in ``0..99`` drawn from ``self.rng`` — a NumPy ``Generator`` (``kind="numpy"``) or
    a ``torch.Generator`` (``kind="torch"``) created once, in ``__init__``. Every worker
    process gets a *copy* of that generator in the same state, so without
    :func:`reseed_worker` all workers draw the same offsets. (Use ``kind="torch"`` with
    ``fork`` only: on Linux, sending a ``torch.Generator`` to a ``spawn``/``forkserver``
    process crashes it in current torch, pytorch/pytorch#146828.)

    >>> ds = JitterDataset(seed=0)
    >>> [ds[i][2] for i in range(4)]
    [85, 63, 51, 26]
    """

    def __init__(self, n: int = 8, *, seed: int = 0, kind: str = "numpy"):
        self.n = check_positive_int(n, "n")
        seed = check_int(seed, "seed", minimum=0)
        if kind == "numpy":
            self.rng = np.random.default_rng(seed)
        elif kind == "torch":
            self.rng = torch.Generator().manual_seed(seed)
        else:
            raise ValueError(f"kind must be 'numpy' or 'torch', got {kind!r}")
        self.kind = kind

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        idx = _check_index(idx, self.n)
        if self.kind == "numpy":
            offset = int(self.rng.integers(0, 100))
        else:
            offset = int(torch.randint(0, 100, (), generator=self.rng))
        return idx, _worker_id(), offset


_GENERATOR_TYPES = (np.random.Generator, np.random.RandomState, torch.Generator,
                    random.Random)


def reseed_generators(obj, seed: int) -> list[str]:
    """Reseed every random generator stored as an attribute of ``obj``; return their names.

    Handles NumPy ``Generator`` and ``RandomState``, ``torch.Generator`` and
    ``random.Random`` attributes (found in ``vars(obj)``). Each gets its own
    independent stream derived from ``seed`` with ``numpy.random.SeedSequence``.

    >>> ds = JitterDataset(seed=0)
    >>> reseed_generators(ds, 1)
    ['rng']
    >>> a = [ds[i][2] for i in range(3)]
    >>> _ = reseed_generators(ds, 1); a == [ds[i][2] for i in range(3)]
    True
    """
    seed = check_int(seed, "seed", minimum=0)
    names = sorted(k for k, v in vars(obj).items() if isinstance(v, _GENERATOR_TYPES))
    for name, child in zip(names, np.random.SeedSequence(seed).spawn(len(names)), strict=True):
        value = getattr(obj, name)
        if isinstance(value, np.random.Generator):
            setattr(obj, name, np.random.default_rng(child))
        elif isinstance(value, np.random.RandomState):
            value.seed(int(child.generate_state(1)[0]))  # RandomState takes < 2**32
        elif isinstance(value, torch.Generator):
            value.manual_seed(int(child.generate_state(1, np.uint64)[0]))
        else:  # random.Random
            value.seed(int(child.generate_state(1, np.uint64)[0]))
    return names


def reseed_worker(worker_id: int) -> None:
    """``worker_init_fn`` that reseeds the generators stored on the worker's dataset copy.

    Each worker reseeds its copy from ``get_worker_info().seed`` (different in every
    worker; the loader draws a new one for every epoch from its ``generator=``), so
    workers draw different numbers, every epoch differs, and the whole run repeats
    with the same generator seed. Use it as ``DataLoader(..., worker_init_fn=
    reseed_worker)``; it is importable, so it also works with the ``spawn`` start
    method (a lambda or a notebook function would not).

    >>> try:
    ...     reseed_worker(0)  # in the main process: no worker to reseed
    ... except RuntimeError as err:
    ...     print(err)
    reseed_worker runs in DataLoader workers only: pass it as worker_init_fn=
    """
    info = get_worker_info()
    if info is None:
        raise RuntimeError("reseed_worker runs in DataLoader workers only: "
                           "pass it as worker_init_fn=")
    reseed_generators(info.dataset, info.seed)


# --------------------------------------------------------------------------- memory

def memory_mb(pid: int | None = None) -> dict | None:
    """Memory of a process in MiB (Linux only; ``None`` elsewhere).

    ``rss`` is every page the process has in RAM, *including pages it shares* with
    other processes (a forked worker shares its parent's pages until one of them
    writes to a page), so adding up the RSS of workers counts shared pages again
    and again. ``private`` is the memory only this process uses (what it costs to
    add it), ``pss`` its fair share of the shared pages.

    >>> m = memory_mb()
    >>> m is None or m["rss"] >= m["private"] > 0
    True
    """
    pid = os.getpid() if pid is None else check_int(pid, "pid", minimum=1)
    path = f"/proc/{pid}/smaps_rollup"
    if not os.path.exists(path):
        return None
    fields = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return {"rss": fields.get("Rss", 0.0), "pss": fields.get("Pss", 0.0),
            "private": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)}


class MemoryProbeDataset(Dataset):
    """``dataset[i]`` returns :func:`memory_mb` of the process that loads it (or ``None``).

    >>> len(MemoryProbeDataset(2))
    2
    """

    def __init__(self, n: int = 2):
        self.n = check_positive_int(n, "n")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        _check_index(idx, self.n)
        return memory_mb()


class CopyOnAccessDataset(Dataset):
    """The same numbers stored twice: as a Python list of floats and as one tensor.

    ``dataset[0]`` reads every float of the list, ``dataset[1]`` every number of the
    tensor; each returns how much this process's private memory grew meanwhile, in MiB
    (``None`` off Linux). Reading a Python object writes to it — its reference count —
    so in a forked worker every page of the list's floats gets copied; reading a
    tensor's numbers writes nothing.

    >>> len(CopyOnAccessDataset(10))
    2
    """

    def __init__(self, n_objects: int = 1_000_000):
        n_objects = check_positive_int(n_objects, "n_objects")
        self.objects = [i + 0.5 for i in range(n_objects)]
        self.tensor = torch.arange(n_objects, dtype=torch.float64) + 0.5

    def __len__(self) -> int:
        return 2

    def __getitem__(self, idx: int):
        if idx not in (0, 1):
            raise IndexError(f"index must be 0 (Python list) or 1 (tensor), got {idx}")
        before = memory_mb()
        total = sum(self.objects) if idx == 0 else float(self.tensor.sum())
        after = memory_mb()
        if before is None or after is None or total < 0:
            return None
        return after["private"] - before["private"]

    @property
    def list_mib(self) -> float:
        """What the list's float objects occupy, in MiB (24 bytes each in CPython)."""
        return len(self.objects) * sys.getsizeof(0.5) / 2**20


class SharingStrategyProbeDataset(Dataset):
    """``dataset[i]`` returns ``torch.multiprocessing.get_sharing_strategy()`` in the
    process that loads it: how that process would share a tensor with another one.

    >>> SharingStrategyProbeDataset(1)[0] in torch.multiprocessing.get_all_sharing_strategies()
    True
    """

    def __init__(self, n: int = 1):
        self.n = check_positive_int(n, "n")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> str:
        _check_index(idx, self.n)
        return torch.multiprocessing.get_sharing_strategy()


def use_file_system_sharing(worker_id: int) -> None:
    """``worker_init_fn`` that switches the worker to the ``"file_system"`` sharing strategy.

    ``torch.multiprocessing.set_sharing_strategy`` changes one process. A forked worker
    inherits the main process's choice; a worker started by ``spawn`` or ``forkserver``
    is a new interpreter with the default, so set it in the worker too.

    >>> before = torch.multiprocessing.get_sharing_strategy()
    >>> use_file_system_sharing(0)
    >>> torch.multiprocessing.get_sharing_strategy()
    'file_system'
    >>> torch.multiprocessing.set_sharing_strategy(before)
    """
    torch.multiprocessing.set_sharing_strategy("file_system")


# --------------------------------------------------------------------------- batch types

class CustomBatch:
    """A batch type of your own: ``.inputs`` and ``.targets``, plus ``.pin_memory()``.

    ``DataLoader(..., pin_memory=True)`` pins tensors, and lists, tuples and dicts of
    tensors; any other object is pinned only if it has a ``pin_memory()`` method,
    which the loader calls (when an accelerator is present) and whose result it
    yields. Built by :func:`collate_custom_batch`.

    >>> b = collate_custom_batch([(torch.zeros(2), 0), (torch.ones(2), 1)])
    >>> tuple(b.inputs.shape), b.targets.tolist(), b.is_pinned()
    ((2, 2), [0, 1], False)
    """

    def __init__(self, inputs: torch.Tensor, targets: torch.Tensor):
        self.inputs, self.targets = inputs, targets

    def pin_memory(self) -> CustomBatch:
        self.inputs = self.inputs.pin_memory()
        self.targets = self.targets.pin_memory()
        return self

    def is_pinned(self) -> bool:
        return self.inputs.is_pinned() and self.targets.is_pinned()


def collate_custom_batch(samples) -> CustomBatch:
    """``collate_fn`` that stacks ``(input, target)`` samples into a :class:`CustomBatch`.

    >>> collate_custom_batch([(torch.zeros(3), 1)]).inputs.shape
    torch.Size([1, 3])
    """
    inputs, targets = zip(*samples, strict=True)
    return CustomBatch(torch.stack(inputs), torch.as_tensor(targets))


class CudaInWorkerDataset(Dataset):
    """A dataset that does CUDA work in ``__getitem__`` — what *not* to do in workers.

    In a worker started by ``fork`` after the main process has used CUDA, the first
    CUDA call fails: a forked child cannot re-initialise CUDA. (Under ``spawn`` it
    works, but every worker then creates its own CUDA context, which costs GPU memory.)
    Without a usable GPU the CUDA call raises an error in any process.

    >>> len(CudaInWorkerDataset(2))
    2
    """

    def __init__(self, n: int = 2):
        self.n = check_positive_int(n, "n")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        _check_index(idx, self.n)
        return torch.full((2,), float(idx), device="cuda").cpu()


# --------------------------------------------------------------------------- worker stderr

def _last_error_line(text: str) -> str | None:
    lines = [ln.strip() for ln in text.splitlines()
             if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", ln.strip())]
    return lines[-1] if lines else None


class _Captured:
    text: str = ""

    @property
    def last_error(self) -> str | None:
        """The last line of the captured text that names an exception, if any."""
        return _last_error_line(self.text)


@contextlib.contextmanager
def capture_stderr():
    """Capture what this process *and the processes it starts* write to standard error.

    Worker processes print their own tracebacks to file descriptor 2, which they
    inherit; inside this block it is a temporary file. After the block, ``.text`` holds
    what was written and ``.last_error`` its last line naming an exception.

    >>> with capture_stderr() as captured:
    ...     _ = os.write(2, b"ValueError: from a child\\n")
    >>> captured.last_error
    'ValueError: from a child'
    """
    captured = _Captured()
    with tempfile.TemporaryFile() as tmp:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        saved_fd = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            tmp.seek(0)
            captured.text = tmp.read().decode("utf-8", errors="replace")




def whole_epoch_gather(*tensors: torch.Tensor,
                       generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """One shuffled epoch in one gather: ``randperm`` once, then one ``index_select`` per
    tensor over all rows. Returns the permuted tensors (a full second copy of the data).

    Every shuffled loader must at least draw a permutation and move every row once;
    this does exactly that with the fewest calls, so its speed is the limit for
    shuffled batches of these tensors.

    >>> X, y = torch.arange(8.0).reshape(4, 2), torch.arange(4)
    >>> Xp, yp = whole_epoch_gather(X, y, generator=torch.Generator().manual_seed(0))
    >>> yp.tolist(), torch.equal(Xp, X[yp])
    ([0, 1, 3, 2], True)
    """
    tensors = _check_tensors(tensors)
    generator = check_generator(generator)
    device = generator.device if generator is not None else "cpu"
    order = torch.randperm(len(tensors[0]), generator=generator, device=device)
    return [t.index_select(0, order.to(t.device)) for t in tensors]


def memory_copy_batches(*tensors: torch.Tensor, batch_size: int):
    """Yield copies of consecutive slices: the same bytes, the same batch sizes, no gather.

    Copying memory sequentially in batch-sized pieces is the fastest way to produce
    these batches in *dataset order*: the limit for an unshuffled loader. (A shuffled
    loader is bounded by :func:`whole_epoch_gather`, which reads rows in random order.)

    >>> X = torch.arange(5)
    >>> [b.tolist() for (b,) in memory_copy_batches(X, batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """
    tensors = _check_tensors(tensors)
    batch_size = check_positive_int(batch_size, "batch_size")
    for start in range(0, len(tensors[0]), batch_size):
        yield tuple(t[start:start + batch_size].clone() for t in tensors)


SHUFFLED_LIMIT = "whole-epoch gather (limit)"
IN_ORDER_LIMIT = "sequential copy (in order)"

FAST_PATHS = {
    "per-item DataLoader": "DataLoader(TensorDataset(X, y), batch_size=B, shuffle=True)",
    "batched, list indices": "DataLoader(ds, sampler=BatchSampler(RandomSampler(ds), B, False), "
                             "batch_size=None)",
    "batched, index tensors": "DataLoader(ds, sampler=IndexTensorBatchSampler(n, B), "
                              "batch_size=None)",
    "TensorBatchLoader": "TensorBatchLoader(X, y, batch_size=B, shuffle=True)",
    SHUFFLED_LIMIT: "whole_epoch_gather(X, y): randperm + one index_select per tensor",
    IN_ORDER_LIMIT: "memory_copy_batches(X, y, batch_size=B): not shuffled",
}


def _lazily(fn, *args, **kwargs):
    """An iterable whose only item is ``fn(*args, **kwargs)``, computed when iterated."""
    yield fn(*args, **kwargs)


def fast_path_loaders(*tensors: torch.Tensor, batch_size: int = 256,
                      generator: torch.Generator | None = None,
                      chunk_bytes: int | None = 8 * 2**20) -> dict:
    """Every way to batch the same in-memory tensors, from the slowest to the limits.

    Returns ``{name: make}`` where ``make()`` returns a fresh iterable over one epoch.
    The first four are loaders of shuffled batches. The last two are the limits they
    are compared with: ``SHUFFLED_LIMIT`` yields the whole shuffled epoch as one item
    (:func:`whole_epoch_gather`), ``IN_ORDER_LIMIT`` copies batch-sized sequential
    slices, not shuffled (:func:`memory_copy_batches`). ``FAST_PATHS`` maps each name
    to the code it runs. Everything shuffled draws from ``generator``;
    ``chunk_bytes`` is passed to :class:`TensorBatchLoader`.

    >>> X, y = torch.arange(6.0).reshape(3, 2), torch.arange(3)
    >>> makers = fast_path_loaders(X, y, batch_size=2, generator=torch.Generator())
    >>> list(makers) == list(FAST_PATHS)
    True
    >>> [sum(len(b[1]) for b in make()) for make in makers.values()]
    [3, 3, 3, 3, 3, 3]
    """
    tensors = _check_tensors(tensors)
    batch_size = check_positive_int(batch_size, "batch_size")
    generator = check_generator(generator)
    ds = TensorDataset(*tensors)
    n = len(ds)
    return {
        "per-item DataLoader": lambda: DataLoader(ds, batch_size=batch_size, shuffle=True,
                                                  generator=generator),
        "batched, list indices": lambda: DataLoader(
            ds, sampler=BatchSampler(RandomSampler(ds, generator=generator), batch_size,
                                     drop_last=False), batch_size=None),
        "batched, index tensors": lambda: DataLoader(
            ds, sampler=IndexTensorBatchSampler(n, batch_size, generator=generator),
            batch_size=None),
        "TensorBatchLoader": lambda: TensorBatchLoader(
            *tensors, batch_size=batch_size, shuffle=True, generator=generator,
            chunk_bytes=chunk_bytes),
        SHUFFLED_LIMIT: lambda: _lazily(whole_epoch_gather, *tensors, generator=generator),
        IN_ORDER_LIMIT: lambda: memory_copy_batches(*tensors, batch_size=batch_size),
    }


def gather_call_times(tensor: torch.Tensor, rows=(1, 16, 256, 4096, 65536), *,
                      number: int = 20, repeats: int = 5,
                      generator: torch.Generator | None = None) -> dict:
    """Microseconds per ``tensor.index_select(0, idx)`` call for random ``idx`` of each size.

    Best of ``repeats`` × ``number`` calls (``timeit``). Divide by the rows to see the
    cost per row: a call has a fixed cost (checks, dispatch, allocating the output), so
    small gathers cost far more per row than large ones.

    >>> times = gather_call_times(torch.randn(100, 4), rows=(1, 50), number=2, repeats=1)
    >>> sorted(times), all(v > 0 for v in times.values())
    ([1, 50], True)
    """
    if not isinstance(tensor, torch.Tensor) or tensor.dim() == 0:
        raise TypeError("tensor must be a torch.Tensor with at least one dimension")
    number = check_positive_int(number, "number")
    repeats = check_positive_int(repeats, "repeats")
    generator = check_generator(generator)
    out = {}
    for r in rows:
        r = check_positive_int(r, "rows[i]")
        if r > len(tensor):
            raise ValueError(f"rows must be at most len(tensor) = {len(tensor)}, got {r}")
        idx = torch.randperm(len(tensor), generator=generator)[:r]
        best = min(timeit.repeat(lambda idx=idx: tensor.index_select(0, idx), number=number,
                                 repeat=repeats))
        out[r] = best / number * 1e6
    return out


class _ConstantBatchDataset(Dataset):
    """Answers every index with the same precomputed batch: no data work at all."""

    def __init__(self, batch, n: int):
        self.batch, self.n = batch, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index):
        return self.batch


def batch_cost_breakdown(*tensors: torch.Tensor, batch_size: int = 256, number: int = 20,
                         repeats: int = 5, generator: torch.Generator | None = None) -> dict:
    """Microseconds per batch of each step the loaders in :data:`FAST_PATHS` perform.

    Times (best of ``repeats`` × ``number`` runs, with ``timeit``) on one random batch
    of indices: calling ``dataset[i]`` once per sample, ``default_collate`` of those
    samples, turning a Python list of indices into a tensor, ``dataset[list]``,
    ``dataset[index_tensor]``, ``index_select``, a sequential slice copy, and the
    ``DataLoader``'s own work per batch (measured on a dataset that does nothing).

    >>> costs = batch_cost_breakdown(torch.randn(100, 4), torch.arange(100), batch_size=10,
    ...                              number=2, repeats=1)
    >>> len(costs), all(v > 0 for v in costs.values())
    (8, True)
    """
    tensors = _check_tensors(tensors)
    bs = check_positive_int(batch_size, "batch_size")
    number = check_positive_int(number, "number")
    repeats = check_positive_int(repeats, "repeats")
    generator = check_generator(generator)
    ds = TensorDataset(*tensors)
    idx = torch.randperm(len(ds), generator=generator)[:bs]
    idx_list = idx.tolist()
    samples = [ds[i] for i in idx_list]
    constant = _ConstantBatchDataset(default_collate(samples), bs * number)
    steps = {
        f"{bs} x dataset[i] (a Python call per sample)": lambda: [ds[i] for i in idx_list],
        f"default_collate of {bs} samples": lambda: default_collate(samples),
        "Python list -> index tensor": lambda: torch.tensor(idx_list),
        "dataset[list] (convert + gather)": lambda: ds[idx_list],
        "dataset[index tensor] (advanced indexing)": lambda: ds[idx],
        "index_select per tensor": lambda: tuple(t.index_select(0, idx) for t in tensors),
        "sequential slice copy": lambda: tuple(t[:bs].clone() for t in tensors),
    }
    costs = {name: min(timeit.repeat(fn, number=number, repeat=repeats)) / number * 1e6
             for name, fn in steps.items()}

    def one_epoch():  # `number` batches through the DataLoader, no data work
        for _ in DataLoader(constant, sampler=IndexTensorBatchSampler(len(constant), bs),
                            batch_size=None):
            pass

    costs["DataLoader's own work per batch"] = min(
        timeit.repeat(one_epoch, number=1, repeat=repeats)) / number * 1e6
    return costs
