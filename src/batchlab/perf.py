"""What DataLoader workers are and cost: datasets and probes for notebook 08.

Everything a worker process has to unpickle lives here, in a module, so the
demos also run under the ``spawn`` start method (macOS, Windows, and Linux from
Python 3.14 on, where the default is ``forkserver``): a class defined in a
notebook lives in ``__main__``, which a spawned worker cannot import.

- :class:`DecodeCostDataset` — samples that cost CPU time (busy work) or wall time
  (sleep) to "decode", with an optional one-time per-process start-up cost.
- :class:`WorkerProbeDataset`, :func:`worker_batches` — which process loads which batch.
- :class:`SeedProbeDataset`, :func:`worker_seed_report` — what torch seeds in a worker.
- :class:`JitterDataset`, :func:`augment_draws`, :func:`reseed_worker` — the
  "same random augmentation in every worker" pitfall and its fix.
- :func:`prefetch_demo`, :func:`first_batch_times`, :func:`epoch_cpu_times`,
  :func:`epoch_with_step`,
  :func:`memory_mb`, :func:`worker_memory`, :func:`copy_on_access`,
  :func:`timeout_demo`, :func:`try_spawn_loader` — measurements.

>>> ds = DecodeCostDataset(4, cost_ms=0.1)
>>> x, y = ds[0]
>>> x.shape, int(y)
(torch.Size([16]), 0)
"""

from __future__ import annotations

import os
import random
import re
import sys
import tempfile
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info

from ._checks import check_bool, check_int, check_positive_int, check_real
from .batching import WhereLoadedDataset

__all__ = [
    "CopyOnAccessDataset",
    "DecodeCostDataset",
    "JitterDataset",
    "SeedProbeDataset",
    "StampDataset",
    "WorkerProbeDataset",
    "augment_draws",
    "copy_on_access",
    "epoch_cpu_times",
    "epoch_with_step",
    "first_batch_times",
    "loops_per_ms",
    "memory_mb",
    "prefetch_demo",
    "reseed_generators",
    "reseed_worker",
    "timeout_demo",
    "try_spawn_loader",
    "worker_batches",
    "worker_memory",
    "worker_seed_report",
]


def _check_context(context):
    """``None``, a start-method name, or a multiprocessing context object."""
    if context is None:
        return None
    if isinstance(context, str):
        import multiprocessing as mp

        allowed = mp.get_all_start_methods()
        if context not in allowed:
            raise ValueError(f"context must be None or one of {allowed}, got {context!r}")
        return context
    if hasattr(context, "Process") and hasattr(context, "get_start_method"):
        return context
    raise TypeError(f"context must be None, a start-method name or a multiprocessing context, "
                    f"got {type(context).__name__}")


def _loader(dataset, num_workers: int, context, **kwargs) -> DataLoader:
    num_workers = check_int(num_workers, "num_workers", minimum=0)
    context = _check_context(context)
    if num_workers == 0:
        context = None
    return DataLoader(dataset, num_workers=num_workers, multiprocessing_context=context,
                      **kwargs)


# --------------------------------------------------------------------------- costly samples

_LOOPS_PER_MS: float | None = None


def _spin(loops: int) -> int:
    """Pure-Python arithmetic: holds the GIL and one CPU core for the whole loop."""
    x = 0
    for i in range(loops):
        x = (x * 31 + i) & 0xFFFF
    return x


def loops_per_ms() -> float:
    """How many :func:`_spin` iterations take one millisecond here (measured once per process).

    >>> loops_per_ms() > 0
    True
    """
    global _LOOPS_PER_MS
    if _LOOPS_PER_MS is None:
        loops, best = 20_000, float("inf")
        for _ in range(5):
            start = time.perf_counter()
            _spin(loops)
            best = min(best, time.perf_counter() - start)
        _LOOPS_PER_MS = loops / (best * 1000)
    return _LOOPS_PER_MS


class DecodeCostDataset(Dataset):
    """Samples that take time to produce, like images that must be decoded.

    Each ``dataset[i]`` returns ``(features: float32[features], label: int64)`` after
    spending about ``cost_ms`` milliseconds:

    - ``busy=True``: pure-Python arithmetic, calibrated once (at construction) so it takes
      ``cost_ms`` on an idle core. It needs a CPU core the whole time — like JPEG decoding
      or augmentations — so more workers than cores cannot make it faster.
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
        idx = check_int(idx, "idx")
        if not -self.n <= idx < self.n:
            raise IndexError(f"index {idx} is out of range for a dataset of length {self.n}")
        if self._opened_in_pid != os.getpid():  # first sample read by this process
            time.sleep(self.startup_ms / 1000)
            self._opened_in_pid = os.getpid()
        if self.busy:
            _spin(self.loops)
        else:
            time.sleep(self.cost_ms / 1000)
        return self.features[idx].clone(), self.labels[idx]


# --------------------------------------------------------------------------- who loads what

def _worker_id() -> int:
    info = get_worker_info()
    return -1 if info is None else info.id


class WorkerProbeDataset(WhereLoadedDataset):
    """Notebook 02's :class:`~batchlab.batching.WhereLoadedDataset`, plus the number of
    threads torch uses in the loading process.

    Each sample is ``{"index", "worker_id", "pid", "torch_threads"}``: ``worker_id`` is
    ``get_worker_info().id`` (``-1`` in the main process), ``pid`` the id of the process
    that loaded it, ``torch_threads`` what ``torch.get_num_threads()`` returns there.

    >>> sample = WorkerProbeDataset(3)[2]
    >>> sample["worker_id"], sample["pid"] == os.getpid()
    (-1, True)
    """

    def __getitem__(self, idx: int) -> dict:
        return {**super().__getitem__(idx), "torch_threads": torch.get_num_threads()}


def worker_batches(num_workers: int = 2, *, n: int = 8, batch_size: int = 2,
                   context=None) -> list[dict]:
    """Load :class:`WorkerProbeDataset` and report, per batch, who loaded each sample.

    Returns one dict per batch with lists ``indices``, ``workers``, ``pids``,
    ``torch_threads``.

    >>> [b["workers"] for b in worker_batches(0, n=4, batch_size=2)]
    [[-1, -1], [-1, -1]]
    """
    loader = _loader(WorkerProbeDataset(n), num_workers, context,
                     batch_size=check_positive_int(batch_size, "batch_size"))
    return [{"indices": b["index"].tolist(), "workers": b["worker_id"].tolist(),
             "pids": b["pid"].tolist(), "torch_threads": b["torch_threads"].tolist()}
            for b in loader]


# --------------------------------------------------------------------------- seeding

def _numpy_seed_for(base_seed: int, worker_id: int):
    """The seed torch's worker loop gives ``np.random.seed`` (None if torch hides it)."""
    try:
        from torch.utils.data._utils.worker import _generate_state
    except ImportError:  # a private helper: may move in another torch version
        return None
    return _generate_state(base_seed, worker_id)


class SeedProbeDataset(Dataset):
    """Each sample reports how the loading process's random generators were seeded.

    In a worker, ``dataset[i]`` returns a dict: ``worker``, ``seed`` (=
    ``get_worker_info().seed``), ``base_seed`` (= ``seed - worker``), ``torch_seed``
    (= ``torch.initial_seed()``), ``python_seeded`` (Python's ``random`` is in the
    state ``random.seed(seed)`` gives), ``numpy_seeded`` (NumPy's global state is the
    one torch derives from ``(base_seed, worker)``; ``None`` if that cannot be
    checked), and one draw from each: ``torch_draw``, ``python_draw``, ``numpy_draw``.
    Read the sample before anything else in the worker draws random numbers.

    >>> SeedProbeDataset(2)[0]["worker"]  # main process: nothing to report but draws
    -1
    """

    def __init__(self, n: int = 2):
        self.n = check_positive_int(n, "n")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> dict:
        info = get_worker_info()
        report = {"worker": -1, "seed": None, "base_seed": None, "torch_seed": None,
                  "python_seeded": None, "numpy_seeded": None}
        if info is not None:
            base_seed = info.seed - info.id
            np_seed = _numpy_seed_for(base_seed, info.id)
            numpy_seeded = None
            if np_seed is not None:
                expected = np.random.RandomState(np_seed).get_state()[1]
                numpy_seeded = bool(np.array_equal(np.random.get_state()[1], expected))
            report = {"worker": info.id, "seed": info.seed, "base_seed": base_seed,
                      "torch_seed": torch.initial_seed(),
                      "python_seeded": random.getstate() == random.Random(info.seed).getstate(),
                      "numpy_seeded": numpy_seeded}
        report.update(torch_draw=int(torch.randint(0, 1000, ())),
                      python_draw=random.randrange(1000),
                      numpy_draw=int(np.random.randint(1000)))
        return report


def worker_seed_report(num_workers: int = 2, *, generator: torch.Generator | None = None,
                       epochs: int = 1, context=None) -> list[list[dict]]:
    """Read one :class:`SeedProbeDataset` sample in each worker, for each epoch.

    Returns ``reports[epoch][worker]``. Pass ``generator=`` to make the seeds
    repeatable: the loader draws each epoch's ``base_seed`` from it.

    >>> g = torch.Generator().manual_seed(0)
    >>> report = worker_seed_report(0, generator=g)
    >>> report[0][0]["worker"]
    -1
    """
    epochs = check_positive_int(epochs, "epochs")
    loader = _loader(SeedProbeDataset(max(1, num_workers)), num_workers, context,
                     batch_size=None, generator=generator)
    return [list(loader) for _ in range(epochs)]


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

    Each worker reseeds its copy from ``get_worker_info().seed`` (``base_seed +
    worker_id``; the loader draws a new ``base_seed`` every epoch from its
    ``generator=``), so workers draw different numbers, every epoch differs, and the
    whole run repeats with the same generator seed. Use it as
    ``DataLoader(..., worker_init_fn=reseed_worker)``; it is importable, so it also
    works with the ``spawn`` start method (a lambda or a notebook function would not).

    >>> reseed_worker(0)
    Traceback (most recent call last):
    ...
    RuntimeError: reseed_worker runs in DataLoader workers only: pass it as worker_init_fn=
    """
    info = get_worker_info()
    if info is None:
        raise RuntimeError("reseed_worker runs in DataLoader workers only: "
                           "pass it as worker_init_fn=")
    reseed_generators(info.dataset, info.seed)


def augment_draws(dataset: JitterDataset, num_workers: int = 2, *, worker_init_fn=None,
                  generator: torch.Generator | None = None, epochs: int = 1,
                  batch_size: int = 2, persistent_workers: bool = False,
                  context=None) -> list[list[tuple[int, int, int]]]:
    """Load a :class:`JitterDataset` for ``epochs`` epochs; return ``[(index, worker, offset)]``
    per epoch, in loading order.

    >>> draws = augment_draws(JitterDataset(4, seed=0), 0)
    >>> [offset for _, _, offset in draws[0]]
    [85, 63, 51, 26]
    """
    if not isinstance(dataset, JitterDataset):
        raise TypeError(f"dataset must be a JitterDataset, got {type(dataset).__name__}")
    epochs = check_positive_int(epochs, "epochs")
    kwargs = {"persistent_workers": check_bool(persistent_workers, "persistent_workers")}
    if num_workers == 0:
        kwargs = {}
    loader = _loader(dataset, num_workers, context, batch_size=batch_size,
                     worker_init_fn=worker_init_fn, generator=generator, **kwargs)
    out = []
    for _ in range(epochs):
        draws = []
        for idx, worker, offset in loader:
            draws += zip(idx.tolist(), worker.tolist(), offset.tolist(), strict=True)
        out.append(draws)
    return out


# --------------------------------------------------------------------------- prefetch, start-up

class StampDataset(Dataset):
    """``dataset[i]`` returns ``(i, time.time())``: when the sample was loaded (wall clock,
    comparable across processes).

    >>> i, t = StampDataset(3)[1]
    >>> i, abs(t - time.time()) < 60
    (1, True)
    """

    def __init__(self, n: int = 32):
        self.n = check_positive_int(n, "n")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        return idx, time.time()


def prefetch_demo(prefetch_factor: int, *, num_workers: int = 2, pause_s: float = 0.5,
                  n: int = 32, context=None) -> int:
    """How many samples the workers load before the training loop asks for its 2nd batch.

    Loads :class:`StampDataset` with ``batch_size=1``, takes the first batch, then
    "trains" (sleeps) for ``pause_s`` seconds. Returns how many samples were loaded
    before the loop asked again: the first, plus what was prefetched meanwhile.

    >>> prefetch_demo(1, num_workers=1, pause_s=0.3, n=8)
    2
    """
    prefetch_factor = check_positive_int(prefetch_factor, "prefetch_factor")
    num_workers = check_positive_int(num_workers, "num_workers")
    pause_s = check_real(pause_s, "pause_s", minimum=0.0)
    loader = _loader(StampDataset(n), num_workers, context, batch_size=1,
                     prefetch_factor=prefetch_factor)
    it = iter(loader)
    next(it)
    time.sleep(pause_s)
    asked_again = time.time()
    stamps = [1.0] + [float(t) for _, t in it]  # the first batch was loaded before
    del it
    return sum(t < asked_again for t in stamps)


def first_batch_times(persistent_workers: bool, *, epochs: int = 3, num_workers: int = 2,
                      startup_ms: float = 200.0, context=None) -> list[float]:
    """Seconds from ``iter(loader)`` to the first batch, for each epoch.

    The dataset is a small :class:`DecodeCostDataset` whose every *process* pays
    ``startup_ms`` once (like opening a file). Without persistent workers each epoch
    starts new worker processes, which pay it again; persistent workers pay it once.

    >>> times = first_batch_times(True, epochs=2, num_workers=1, startup_ms=100)
    >>> times[0] > 0.1 > times[1]
    True
    """
    persistent_workers = check_bool(persistent_workers, "persistent_workers")
    epochs = check_positive_int(epochs, "epochs")
    num_workers = check_positive_int(num_workers, "num_workers")
    dataset = DecodeCostDataset(4 * num_workers, cost_ms=1.0, busy=False,
                                startup_ms=startup_ms)
    loader = _loader(dataset, num_workers, context, batch_size=2,
                     persistent_workers=persistent_workers)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        it = iter(loader)
        next(it)
        times.append(time.perf_counter() - start)
        for _ in it:
            pass
    return times


def epoch_cpu_times(loader) -> dict:
    """Run one epoch of ``loader``; return where the time went.

    ``wall_s`` is the elapsed time, ``main_cpu_s`` the CPU time of this process,
    ``workers_cpu_s`` the CPU time of the worker processes (from ``os.times()``,
    which counts child processes once they have exited and been waited for — a
    non-persistent loader does that at the end of each epoch). ``workers_cpu_s`` is
    ``None`` on Windows, which does not report it.

    >>> t = epoch_cpu_times(DataLoader(DecodeCostDataset(20, cost_ms=1), batch_size=5))
    >>> t["main_cpu_s"] > 0.01, t["workers_cpu_s"] in (0.0, None)
    (True, True)
    """
    if getattr(loader, "persistent_workers", False):
        raise ValueError("loader must not use persistent_workers: their CPU time is only "
                         "counted once they exit")
    before, wall = os.times(), time.perf_counter()
    for _ in loader:
        pass
    after, wall = os.times(), time.perf_counter() - wall
    workers = None
    if sys.platform != "win32":
        workers = (after.children_user - before.children_user
                   + after.children_system - before.children_system)
    return {"wall_s": wall,
            "main_cpu_s": after.user - before.user + after.system - before.system,
            "workers_cpu_s": workers}


def epoch_with_step(loader, step_ms: float) -> float:
    """Seconds from the first batch to the end of an epoch whose training step waits
    ``step_ms`` per batch (``time.sleep``, like a CPU waiting for a GPU step).

    With ``num_workers=0`` loading and the step take turns; with workers the next
    batches load while the step runs.

    >>> from batchlab.perf import DecodeCostDataset
    >>> seconds = epoch_with_step(DataLoader(DecodeCostDataset(4, 1.0, busy=False),
    ...                                      batch_size=2), step_ms=5)
    >>> seconds >= 0.005
    True
    """
    step_ms = check_real(step_ms, "step_ms", minimum=0.0)
    it = iter(loader)
    next(it)
    start = time.perf_counter()
    time.sleep(step_ms / 1000)
    for _ in it:
        time.sleep(step_ms / 1000)
    seconds = time.perf_counter() - start
    del it
    return seconds


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


class _MemoryProbeDataset(Dataset):
    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        return memory_mb()


def worker_memory(num_workers: int = 2, *, context=None) -> dict:
    """``memory_mb()`` of the main process and of each worker (measured inside the worker).

    Returns ``{"main": ..., "workers": [...]}``; the values are ``None`` off Linux.

    >>> sorted(worker_memory(0))
    ['main', 'workers']
    """
    num_workers = check_int(num_workers, "num_workers", minimum=0)
    loader = _loader(_MemoryProbeDataset(num_workers), num_workers, context, batch_size=None)
    workers = list(loader)
    return {"main": memory_mb(), "workers": workers}


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


def copy_on_access(n_objects: int = 1_000_000, *, context=None) -> dict:
    """Growth of a worker's private memory (MiB) when it reads a list vs a tensor once.

    Returns ``{"python list": MiB, "tensor": MiB, "list size": MiB}`` where ``list size``
    is what the list's float objects occupy (24 bytes each). With ``fork`` the list's
    pages are copied into the worker as soon as it reads them; with ``spawn`` the
    worker unpickled its own copy of everything before it started. ``context=None``
    means ``fork`` where the platform has it (the effect shown is fork's).

    >>> sorted(copy_on_access(1000))
    ['list size', 'python list', 'tensor']
    """
    import multiprocessing as mp

    if context is None and "fork" in mp.get_all_start_methods():
        context = "fork"
    dataset = CopyOnAccessDataset(n_objects)
    loader = _loader(dataset, 1, context, batch_size=None)
    grown = list(loader)
    return {"python list": grown[0], "tensor": grown[1],
            "list size": n_objects * sys.getsizeof(0.5) / 2**20}


# --------------------------------------------------------------------------- failures

def timeout_demo(timeout_s: float = 0.5, item_ms: float = 1500.0, *, context=None) -> str:
    """Ask a 1-worker loader for a batch that takes ``item_ms`` with ``timeout=timeout_s``.

    Returns ``"ok"`` when the batch arrived in time, else the error's text.

    >>> timeout_demo(0.2, 600)
    'RuntimeError: DataLoader timed out after 0.2 seconds'
    """
    timeout_s = check_real(timeout_s, "timeout_s", minimum=0.0)
    dataset = DecodeCostDataset(2, cost_ms=item_ms, busy=False)
    loader = _loader(dataset, 1, context, batch_size=1, timeout=timeout_s)
    try:
        next(iter(loader))
    except RuntimeError as err:
        return f"{type(err).__name__}: {err}"
    return "ok"


_PIDS = re.compile(r"pid(\(s\))? \d+(, \d+)*")


def _last_error_line(text: str) -> str | None:
    lines = [ln.strip() for ln in text.splitlines()
             if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", ln.strip())]
    return lines[-1] if lines else None


def try_spawn_loader(dataset, *, num_workers: int = 1, timeout: float = 60.0) -> dict:
    """Load one batch of ``dataset`` with workers started by ``spawn``; report what happened.

    A spawned worker is a fresh Python process: it receives the dataset pickled, and
    pickle stores a class as "module name + class name", so the worker must be able
    to import that module. A class defined in a notebook lives in ``__main__``, which
    a spawned worker cannot import: the worker dies while unpickling, and the main
    process only learns that it "exited unexpectedly". The worker prints its own
    traceback to its standard error (the terminal running Jupyter and, with recent
    ipykernel, stderr text under the cell); this function captures it (file
    descriptor 2) and keeps its last error line.

    Returns ``{"ok": bool, "error": main-process error or None, "worker_error": last
    error line the worker printed or None, "seconds": time to the first batch or to
    the failure}``. ``timeout`` (seconds) bounds the wait, so nothing hangs.

    >>> from batchlab.datasets import NumbersDataset
    >>> report = try_spawn_loader(NumbersDataset(4))
    >>> report["ok"], report["error"]
    (True, None)
    """
    timeout = check_real(timeout, "timeout", minimum=0.0)
    loader = _loader(dataset, check_positive_int(num_workers, "num_workers"), "spawn",
                     batch_size=2, timeout=timeout)
    error = None
    start = time.perf_counter()
    with tempfile.TemporaryFile() as captured:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        saved_fd = os.dup(2)
        os.dup2(captured.fileno(), 2)  # spawned workers inherit this as their stderr
        try:
            it = iter(loader)
            next(it)
            del it
        except Exception as err:  # any failure is the lesson here; report it
            error = _PIDS.sub("pid <pid>", f"{type(err).__name__}: {err}")
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
        seconds = time.perf_counter() - start
        captured.seek(0)
        worker_error = _last_error_line(captured.read().decode("utf-8", errors="replace"))
    return {"ok": error is None, "error": error, "worker_error": worker_error,
            "seconds": seconds}
