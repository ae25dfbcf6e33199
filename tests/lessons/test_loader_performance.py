"""batchlab.lessons.loader_performance: the probe datasets of the loader-performance
notebook, in real DataLoader workers.

No test here compares wall-clock times with each other: a busy machine can stretch any
of them. The tests assert what load cannot change — counts, process ids, the order of
time stamps with wide sleep-based margins, CPU time measured per process, lower bounds
that a ``time.sleep`` guarantees — or replace ``time.sleep`` by a recorder. Speed
claims live in ``python -m batchlab.tools.bench``.

Worker tests run with the default start method. Every probe class must pickle by
reference (module + name), which is all ``spawn`` and ``forkserver`` need; a few tests
start real ``spawn`` workers, which are slow to start (each imports torch).
"""

import contextlib
import multiprocessing as mp
import os
import pickle
import random
import sys
import time

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from batchlab.data.datasets import NumbersDataset
from batchlab.lessons import loader_performance as perf

LINUX = os.path.exists("/proc/self/smaps_rollup")
SPAWN = "spawn"
HAS_FORK = "fork" in mp.get_all_start_methods()


@pytest.fixture
def sleeps(monkeypatch):
    """Replace ``time.sleep`` inside the lesson module by a recorder (in this process only)."""
    calls = []
    monkeypatch.setattr(perf.time, "sleep", calls.append)
    return calls


# ----------------------------------------------------------------------------- datasets

def test_worker_probe_dataset_in_the_main_process():
    sample = perf.WorkerProbeDataset(3)[-1]
    assert sample == {"index": 2, "worker_id": -1, "pid": os.getpid(),
                      "torch_threads": torch.get_num_threads()}
    with pytest.raises(IndexError):
        perf.WorkerProbeDataset(3)[3]


def test_decode_cost_dataset_busy_costs_cpu_time_and_sleep_does_not():
    busy = perf.DecodeCostDataset(10, cost_ms=3.0, busy=True)
    sleepy = perf.DecodeCostDataset(10, cost_ms=3.0, busy=False)
    cpu = time.thread_time()
    for i in range(10):
        busy[i]
    busy_cpu = time.thread_time() - cpu
    cpu, wall = time.thread_time(), time.perf_counter()
    for i in range(10):
        sleepy[i]
    sleepy_cpu, sleepy_wall = time.thread_time() - cpu, time.perf_counter() - wall
    # Calibrated in CPU time, so load cannot shrink it: 30 ms intended, half is plenty.
    assert busy_cpu > 0.015
    assert sleepy_wall >= 0.03 and sleepy_cpu < 0.015


def test_decode_cost_dataset_pays_startup_once_per_process(sleeps):
    ds = perf.DecodeCostDataset(6, cost_ms=2.0, busy=False, features=5, startup_ms=50)
    x, y = ds[3]
    assert sleeps == [0.05, 0.002]  # start-up, then the sample's own cost
    ds[4]
    assert sleeps == [0.05, 0.002, 0.002]  # no second start-up in this process
    assert x.shape == (5,) and int(y) == 1
    assert torch.equal(perf.DecodeCostDataset(6, 0.0, seed=3)[2][0],
                       perf.DecodeCostDataset(6, 0.0, seed=3)[2][0])
    with pytest.raises(IndexError):
        ds[6]


@pytest.mark.parametrize("kwargs, error", [
    ({"n": 0}, ValueError), ({"cost_ms": -1}, ValueError), ({"busy": 1}, TypeError),
    ({"features": 0}, ValueError), ({"startup_ms": -5}, ValueError), ({"cost_ms": "1"}, TypeError),
])
def test_decode_cost_dataset_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        perf.DecodeCostDataset(**{"n": 4, **kwargs})


def test_cpu_timed_dataset_reports_pid_and_cpu_time():
    sample, pid, cpu_s = perf.CpuTimedDataset(perf.DecodeCostDataset(2, cost_ms=5.0))[1]
    assert pid == os.getpid() and cpu_s > 0.0025
    assert int(sample[1]) == 1 and len(perf.CpuTimedDataset(NumbersDataset(3))) == 3
    with pytest.raises(TypeError, match="dataset"):
        perf.CpuTimedDataset(5)


def test_stamp_dataset_waits_and_stamps(sleeps):
    ds = perf.StampDataset(4, cost_ms=2.0, slow_index=-1, slow_ms=100.0)
    before = time.time()
    i, t = ds[1]
    assert i == 1 and t >= before and sleeps == [0.002]
    ds[3]
    assert sleeps == [0.002, 0.102]
    perf.StampDataset(2)[0]
    assert len(sleeps) == 2  # no cost, no sleep
    with pytest.raises(IndexError):
        perf.StampDataset(3, slow_index=3)
    with pytest.raises(ValueError):
        perf.StampDataset(3, cost_ms=-1)


def test_lazy_open_dataset_opens_once_per_process(sleeps):
    ds = perf.LazyOpenDataset(3, open_ms=200)
    assert [ds[i] for i in range(3)] == [(i, os.getpid()) for i in range(3)]
    assert sleeps == [0.2]
    with pytest.raises(ValueError):
        perf.LazyOpenDataset(3, open_ms=-1)


def test_jitter_dataset_kinds_and_errors():
    ds = perf.JitterDataset(seed=0)
    assert [ds[i][2] for i in range(2)] == [85, 63] and ds[0][1] == -1
    torch_ds = perf.JitterDataset(seed=0, kind="torch")
    assert isinstance(torch_ds.rng, torch.Generator) and 0 <= torch_ds[0][2] < 100
    with pytest.raises(ValueError, match="kind"):
        perf.JitterDataset(kind="python")


def test_reseed_generators_reseeds_every_kind_independently():
    class Holder:
        pass

    h = Holder()
    h.a, h.b = np.random.default_rng(0), np.random.default_rng(0)
    h.c, h.d = np.random.RandomState(0), torch.Generator().manual_seed(0)
    h.e, h.other = random.Random(0), 3
    assert perf.reseed_generators(h, 2**63 + 5) == ["a", "b", "c", "d", "e"]
    draws = (h.a.integers(10**9), h.b.integers(10**9))
    assert draws[0] != draws[1]  # independent streams, not the same seed twice
    first = (h.c.randint(10**9), int(torch.randint(10**9, (), generator=h.d)),
             h.e.randrange(10**9))
    perf.reseed_generators(h, 2**63 + 5)
    assert (h.a.integers(10**9), h.b.integers(10**9)) == draws
    assert (h.c.randint(10**9), int(torch.randint(10**9, (), generator=h.d)),
            h.e.randrange(10**9)) == first
    with pytest.raises(ValueError):
        perf.reseed_generators(h, -1)


def test_reseed_worker_only_in_workers():
    with pytest.raises(RuntimeError, match="worker_init_fn"):
        perf.reseed_worker(0)


def test_seed_probe_in_the_main_process():
    report = perf.SeedProbeDataset(1)[0]
    assert report["worker"] == -1 and report["seed"] is None
    assert report["torch_seed"] == torch.initial_seed()


@pytest.mark.skipif(not LINUX, reason="/proc/<pid>/smaps_rollup is Linux-only")
def test_memory_mb_reads_proc():
    m = perf.memory_mb()
    assert m["rss"] >= m["pss"] > 0 and m["rss"] >= m["private"] > 0
    assert perf.memory_mb(os.getppid()) is not None
    assert perf.MemoryProbeDataset(1)[0]["rss"] > 0
    with pytest.raises(ValueError):
        perf.memory_mb(0)


def test_custom_batch_collate_and_pinning_rule():
    batch = perf.collate_custom_batch([(torch.zeros(3), 0), (torch.ones(3), 1)])
    assert batch.inputs.shape == (2, 3) and batch.targets.tolist() == [0, 1]
    assert not batch.is_pinned()
    loader = DataLoader([(torch.zeros(3), 0)] * 4, batch_size=2, pin_memory=True,
                        collate_fn=perf.collate_custom_batch)
    pins = (torch.accelerator.is_available()  # DataLoader's rule
            and torch.accelerator.current_accelerator().type != "mps")
    with contextlib.nullcontext() if pins else pytest.warns(UserWarning):
        got = next(iter(loader))
    assert isinstance(got, perf.CustomBatch) and got.is_pinned() == pins


def test_capture_stderr_keeps_the_last_error_line():
    with perf.capture_stderr() as captured:
        os.write(2, b"Traceback (most recent call last):\n  File x\nKeyError: 'a'\nend\n")
    assert captured.last_error == "KeyError: 'a'" and captured.text.endswith("end\n")
    with perf.capture_stderr() as captured:
        pass
    assert captured.last_error is None


def test_sharing_strategy_reaches_forked_workers_only_via_worker_init_fn():
    before = torch.multiprocessing.get_sharing_strategy()
    try:
        torch.multiprocessing.set_sharing_strategy("file_system")
        for kwargs in ({"worker_init_fn": perf.use_file_system_sharing},
                       {"multiprocessing_context": "fork"} if HAS_FORK else {}):
            if kwargs:
                got = list(DataLoader(perf.SharingStrategyProbeDataset(1), batch_size=None,
                                      num_workers=1, **kwargs))
                assert got == ["file_system"]
    finally:
        torch.multiprocessing.set_sharing_strategy(before)
    assert torch.multiprocessing.get_sharing_strategy() == before


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU case")
def test_cuda_in_worker_dataset_fails_without_a_gpu():
    with pytest.raises((RuntimeError, AssertionError)):
        perf.CudaInWorkerDataset(1)[0]


# ----------------------------------------------------------------------------- in workers

def test_workers_are_processes_taking_turns_with_whole_batches():
    batches = list(DataLoader(perf.WorkerProbeDataset(8), num_workers=2, batch_size=2))
    assert [b["worker_id"].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]
    pids = {p for b in batches for p in b["pid"].tolist()}
    assert len(pids) == 2 and os.getpid() not in pids
    assert all(b["torch_threads"].tolist() == [1, 1] for b in batches)


def test_cpu_time_moves_to_the_workers():
    ds = perf.CpuTimedDataset(perf.DecodeCostDataset(60, cost_ms=3.0))
    by_pid = {}
    for _, pids, cpu in DataLoader(ds, num_workers=2, batch_size=6):
        for pid, c in zip(pids.tolist(), cpu.tolist(), strict=True):
            by_pid[pid] = by_pid.get(pid, 0.0) + c
    assert len(by_pid) == 2 and os.getpid() not in by_pid  # no __getitem__ in this process
    assert sum(by_pid.values()) > 0.09  # 180 ms of CPU work intended; CPU time ignores load


def _ready_before_asked(loader, step_s):
    """How many batches had finished loading before the loop asked for them."""
    it, ready = iter(loader), 0
    for _ in range(len(loader)):
        asked = time.time()
        _, loaded_at = next(it)
        ready += int(loaded_at.max() < asked)
        time.sleep(step_s)  # the training step
    return ready


def test_workers_load_while_the_step_runs():
    ds = perf.StampDataset(8, cost_ms=5.0)
    assert _ready_before_asked(DataLoader(ds, batch_size=1), 0.05) == 0  # loads after asking
    ready = _ready_before_asked(DataLoader(ds, batch_size=1, num_workers=1), 0.05)
    assert ready >= 4  # 7 batches could be ready; each has 45 ms of margin


def test_prefetch_factor_times_workers_plus_one():
    for k in (1, 3):
        loader = DataLoader(perf.StampDataset(32), num_workers=2, batch_size=1,
                            prefetch_factor=k, persistent_workers=True)
        for _ in loader:  # warm-up epoch: the workers are running afterwards
            pass
        it = iter(loader)
        next(it)
        time.sleep(0.5)
        asked = time.time()
        loaded = 1 + sum(float(t) < asked for _, t in it)
        assert loaded == 2 * k + 1, (k, loaded)


def test_persistent_workers_open_once():
    pids = {}
    for persistent in (False, True):
        loader = DataLoader(perf.LazyOpenDataset(4, open_ms=50), num_workers=2,
                            batch_size=2, persistent_workers=persistent)
        pids[persistent] = [set(p for _, pid in loader for p in pid.tolist())
                            for _ in range(3)]
    assert len(set().union(*pids[False])) == 6  # new worker processes every epoch
    assert len(set().union(*pids[True])) == 2 and pids[True][0] == pids[True][2]


def test_worker_seeds_are_base_seed_plus_worker_id():
    def epochs():
        loader = DataLoader(perf.SeedProbeDataset(2), num_workers=2, batch_size=None,
                            generator=torch.Generator().manual_seed(0))
        return [list(loader) for _ in range(2)]

    report = epochs()
    for epoch in report:
        assert [r["worker"] for r in epoch] == [0, 1]
        assert [r["seed"] - epoch[0]["seed"] for r in epoch] == [0, 1]
        assert all(r["torch_seed"] == r["seed"] and r["python_seeded"] for r in epoch)
    assert report[0][0]["seed"] != report[1][0]["seed"]
    draws = [r["numpy_draw"] for epoch in report for r in epoch]
    assert len(set(draws)) > 1
    assert epochs() == report


def _offsets(**kwargs):
    loader = DataLoader(perf.JitterDataset(8, seed=0), num_workers=2, batch_size=2,
                        generator=torch.Generator().manual_seed(0), **kwargs)
    out = []
    for _ in range(2):
        by_worker = {0: [], 1: []}
        for _, worker, offset in loader:
            by_worker[int(worker[0])] += offset.tolist()
        out.append(by_worker)
    return out


def test_stored_generator_repeats_in_every_worker_until_reseeded():
    same = _offsets()
    assert same[0][0] == same[0][1] and same[0] == same[1]
    fixed = _offsets(worker_init_fn=perf.reseed_worker)
    assert fixed[0][0] != fixed[0][1] and fixed[0] != fixed[1]
    assert fixed == _offsets(worker_init_fn=perf.reseed_worker)


@pytest.mark.skipif(not HAS_FORK, reason="a torch.Generator can only be sent by fork")
def test_stored_torch_generator_repeats_too_with_fork():
    loader = DataLoader(perf.JitterDataset(8, seed=0, kind="torch"), batch_size=2,
                        num_workers=2, multiprocessing_context="fork")
    by_worker = {0: [], 1: []}
    for _, worker, offset in loader:
        by_worker[int(worker[0])] += offset.tolist()
    assert by_worker[0] == by_worker[1]


def test_persistent_workers_keep_their_generator_copy():
    loader = DataLoader(perf.JitterDataset(4, seed=0), batch_size=2, num_workers=1,
                        persistent_workers=True)
    epochs = [[o for _, _, offsets in loader for o in offsets.tolist()] for _ in range(2)]
    assert epochs[0] != epochs[1]  # the worker's copy moved on between epochs


@pytest.mark.skipif(not LINUX, reason="private memory is measured on Linux only")
@pytest.mark.skipif(not HAS_FORK, reason="shows fork's copy-on-write")
def test_forked_worker_shares_memory_and_copies_python_objects_on_access():
    mem = list(DataLoader(perf.MemoryProbeDataset(2), batch_size=None, num_workers=2,
                          multiprocessing_context="fork"))
    assert all(m["private"] < 0.5 * m["rss"] for m in mem)
    ds = perf.CopyOnAccessDataset(500_000)
    grown = list(DataLoader(ds, batch_size=None, num_workers=1,
                            multiprocessing_context="fork"))
    assert grown[0] > 0.5 * ds.list_mib > 10 * grown[1]


def test_timeout_raises_when_a_batch_is_late():
    slow = perf.DecodeCostDataset(2, cost_ms=700, busy=False)
    with pytest.raises(RuntimeError):  # torch's message may change; the type is the API
        next(iter(DataLoader(slow, num_workers=1, batch_size=1, timeout=0.2)))
    quick = perf.DecodeCostDataset(2, cost_ms=1, busy=False)
    assert len(next(iter(DataLoader(quick, num_workers=1, batch_size=1, timeout=60)))[0]) == 1


def test_in_order_false_lets_fast_batches_overtake_a_slow_one():
    orders = {}
    for in_order in (True, False):
        loader = DataLoader(perf.StampDataset(8, slow_index=0, slow_ms=500), batch_size=1,
                            num_workers=2, persistent_workers=True, in_order=in_order)
        list(loader)  # warm-up epoch
        orders[in_order] = [int(i) for i, _ in loader]
    assert orders[True] == list(range(8))
    assert sorted(orders[False]) == list(range(8)) and orders[False][0] != 0


# ----------------------------------------------------------------------------- spawn

PROBES = [perf.WorkerProbeDataset(2), perf.DecodeCostDataset(2, 1.0, startup_ms=5),
          perf.CpuTimedDataset(perf.DecodeCostDataset(2)), perf.StampDataset(2, slow_index=1),
          perf.LazyOpenDataset(2), perf.SeedProbeDataset(2), perf.JitterDataset(2),
          perf.MemoryProbeDataset(2), perf.CopyOnAccessDataset(10), perf.CudaInWorkerDataset(2),
          perf.SharingStrategyProbeDataset(1)]


@pytest.mark.parametrize("dataset", PROBES, ids=lambda d: type(d).__name__)
def test_probe_datasets_pickle_by_reference_for_spawn(dataset):
    """spawn/forkserver workers unpickle the dataset: its class must be importable."""
    assert type(dataset).__module__ == "batchlab.lessons.loader_performance"
    copy = pickle.loads(pickle.dumps(dataset))
    assert type(copy) is type(dataset) and len(copy) == len(dataset)
    for fn in (perf.reseed_worker, perf.collate_custom_batch, perf.use_file_system_sharing):
        assert pickle.loads(pickle.dumps(fn)) is fn


class SquaresInMain(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return i * i


@pytest.fixture
def class_in_main():
    """SquaresInMain as if defined in a notebook: its module is __main__."""
    main = sys.modules["__main__"]
    SquaresInMain.__module__ = "__main__"
    main.SquaresInMain = SquaresInMain
    yield SquaresInMain
    delattr(main, "SquaresInMain")
    SquaresInMain.__module__ = __name__


def test_spawn_fails_for_a_class_in_main(class_in_main):
    loader = DataLoader(class_in_main(), batch_size=2, num_workers=1,
                        multiprocessing_context=SPAWN, timeout=120)
    with perf.capture_stderr() as worker_said:
        with pytest.raises(RuntimeError):
            next(iter(loader))
    assert "SquaresInMain" in worker_said.last_error
    assert worker_said.last_error.startswith("AttributeError")


def test_spawn_workers_load_and_reseed_a_module_dataset():
    def offsets():
        loader = DataLoader(perf.JitterDataset(8, seed=0), batch_size=2, num_workers=2,
                            multiprocessing_context=SPAWN, worker_init_fn=perf.reseed_worker,
                            generator=torch.Generator().manual_seed(0),
                            persistent_workers=True, timeout=120)
        by_worker = {0: [], 1: []}
        for _ in range(2):
            for _, worker, offset in loader:
                by_worker[int(worker[0])] += offset.tolist()
        return by_worker

    by_worker = offsets()
    assert len(by_worker[0]) == len(by_worker[1]) == 8
    assert by_worker[0] != by_worker[1]
