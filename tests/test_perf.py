"""batchlab.perf: the worker demos of notebook 08, under the default start method and `spawn`.

The notebook calls these functions; the `spawn` tests make sure every worker demo also
works where workers are spawned (macOS, Windows; forkserver on Python >= 3.14 pickles the
same way).
"""

import multiprocessing as mp
import os
import random
import sys
import time

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from batchlab import perf
from batchlab.datasets import NumbersDataset

LINUX = os.path.exists("/proc/self/smaps_rollup")


# ----------------------------------------------------------------------------- datasets

def test_decode_cost_dataset_busy_uses_cpu_and_sleep_does_not():
    busy = perf.DecodeCostDataset(10, cost_ms=3.0, busy=True)
    sleepy = perf.DecodeCostDataset(10, cost_ms=3.0, busy=False)
    for ds in (busy, sleepy):
        ds[0]  # pay the one-time start-up (0 here) outside the measurement
    cpu = time.process_time()
    for i in range(10):
        busy[i]
    busy_cpu = time.process_time() - cpu
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(10):
        sleepy[i]
    sleepy_cpu, sleepy_wall = time.process_time() - cpu, time.perf_counter() - wall
    assert busy_cpu > 0.01  # 30 ms of intended work; at least a third of it is CPU time
    assert sleepy_wall >= 0.03 and sleepy_cpu < 0.5 * sleepy_wall


def test_decode_cost_dataset_samples_and_startup_cost_once_per_process():
    ds = perf.DecodeCostDataset(6, cost_ms=0.0, busy=False, features=5, startup_ms=50)
    start = time.perf_counter()
    x, y = ds[3]
    first = time.perf_counter() - start
    start = time.perf_counter()
    ds[4]
    second = time.perf_counter() - start
    assert x.shape == (5,) and int(y) == 1
    assert first >= 0.05 > second
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


def test_jitter_dataset_kinds_and_errors():
    ds = perf.JitterDataset(seed=0)
    assert [ds[i][2] for i in range(2)] == [85, 63]
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


@pytest.mark.skipif(not LINUX, reason="/proc/<pid>/smaps_rollup is Linux-only")
def test_memory_mb_reads_proc():
    m = perf.memory_mb()
    assert m["rss"] >= m["pss"] > 0 and m["rss"] >= m["private"] > 0
    assert perf.memory_mb(os.getppid()) is not None
    with pytest.raises(ValueError):
        perf.memory_mb(0)


def test_epoch_cpu_times_refuses_persistent_workers():
    loader = DataLoader(range(4), num_workers=1, persistent_workers=True)
    with pytest.raises(ValueError, match="persistent_workers"):
        perf.epoch_cpu_times(loader)


def test_context_argument_is_checked():
    with pytest.raises(ValueError, match="context"):
        perf.worker_batches(1, context="threads")
    with pytest.raises(TypeError, match="context"):
        perf.worker_batches(1, context=3)


# ------------------------------------------------------------- demos, default start method

def test_worker_batches_are_loaded_whole_by_workers_taking_turns():
    batches = perf.worker_batches(2, n=8, batch_size=2)
    assert [b["workers"] for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]
    pids = {p for b in batches for p in b["pids"]}
    assert len(pids) == 2 and os.getpid() not in pids
    assert all(t == [1, 1] for b in batches for t in [b["torch_threads"]])


def test_worker_seed_report_checks_torch_python_numpy_seeding():
    report = perf.worker_seed_report(2, generator=torch.Generator().manual_seed(0), epochs=2)
    flat = [r for epoch in report for r in epoch]
    assert [r["worker"] for r in flat] == [0, 1, 0, 1]
    for r in flat:
        assert r["seed"] == r["base_seed"] + r["worker"] == r["torch_seed"]
        assert r["python_seeded"] is True and r["numpy_seeded"] is True
    assert report[0][0]["base_seed"] != report[1][0]["base_seed"]
    again = perf.worker_seed_report(2, generator=torch.Generator().manual_seed(0), epochs=2)
    assert again == report


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_stored_generator_repeats_in_every_worker_until_reseeded(kind):
    ds = perf.JitterDataset(8, seed=0, kind=kind)
    draws = perf.augment_draws(ds, 2, generator=torch.Generator().manual_seed(0), epochs=2)
    by_worker = [[o for _, w, o in draws[0] if w == wid] for wid in (0, 1)]
    assert by_worker[0] == by_worker[1] and draws[0] == draws[1]
    fixed = perf.augment_draws(ds, 2, worker_init_fn=perf.reseed_worker,
                               generator=torch.Generator().manual_seed(0), epochs=2)
    by_worker = [[o for _, w, o in fixed[0] if w == wid] for wid in (0, 1)]
    assert by_worker[0] != by_worker[1] and fixed[0] != fixed[1]
    assert fixed == perf.augment_draws(ds, 2, worker_init_fn=perf.reseed_worker,
                                       generator=torch.Generator().manual_seed(0), epochs=2)


def test_augment_draws_persistent_workers_keep_their_generator():
    ds = perf.JitterDataset(8, seed=0)
    draws = perf.augment_draws(ds, 2, persistent_workers=True, epochs=2)
    assert draws[0] != draws[1]  # the workers' copies moved on between epochs
    with pytest.raises(TypeError):
        perf.augment_draws(NumbersDataset(4), 0)


def test_prefetch_demo_counts_prefetch_factor_times_workers_plus_one():
    assert perf.prefetch_demo(1, num_workers=2, pause_s=0.3) == 3
    assert perf.prefetch_demo(3, num_workers=2, pause_s=0.3) == 7
    with pytest.raises(ValueError):
        perf.prefetch_demo(0)


def test_first_batch_times_persistent_workers_skip_startup():
    slow = perf.first_batch_times(False, epochs=2, num_workers=1, startup_ms=150)
    fast = perf.first_batch_times(True, epochs=2, num_workers=1, startup_ms=150)
    assert slow[1] >= 0.15 and fast[0] >= 0.15 and fast[1] < 0.15


def test_epoch_cpu_times_moves_work_to_workers():
    ds = perf.DecodeCostDataset(60, cost_ms=2.0)
    alone = perf.epoch_cpu_times(DataLoader(ds, batch_size=6))
    helped = perf.epoch_cpu_times(DataLoader(ds, batch_size=6, num_workers=2))
    assert alone["workers_cpu_s"] in (0.0, None)
    if helped["workers_cpu_s"] is not None:
        assert helped["workers_cpu_s"] > 0.5 * alone["main_cpu_s"]
    assert helped["main_cpu_s"] < alone["main_cpu_s"]


def test_epoch_with_step_overlaps_loading_with_workers():
    ds = perf.DecodeCostDataset(60, cost_ms=1.0, busy=False)
    alone = perf.epoch_with_step(DataLoader(ds, batch_size=6), step_ms=6)
    helped = perf.epoch_with_step(DataLoader(ds, batch_size=6, num_workers=1), step_ms=6)
    assert alone >= 0.9 * (9 * 6 + 10 * 6) / 1000  # 9 more loads + 10 steps, in turn
    assert helped < 0.8 * alone


@pytest.mark.skipif(not LINUX, reason="private memory is measured on Linux only")
def test_copy_on_access_copies_python_objects_not_tensors():
    grown = perf.copy_on_access(500_000)
    assert grown["python list"] > 0.5 * grown["list size"] > 10 * grown["tensor"]


@pytest.mark.skipif(not LINUX, reason="memory is measured on Linux only")
def test_worker_memory_reports_main_and_each_worker():
    mem = perf.worker_memory(2)
    assert len(mem["workers"]) == 2
    for worker in mem["workers"]:
        assert worker["private"] < worker["rss"]


def test_timeout_demo():
    assert perf.timeout_demo(0.2, 700) == "RuntimeError: DataLoader timed out after 0.2 seconds"
    assert perf.timeout_demo(5.0, 10) == "ok"


# ----------------------------------------------------------------------------- spawn

SPAWN = "spawn"


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


def test_spawn_fails_for_a_class_in_main_and_works_for_a_module_class(class_in_main):
    here = perf.try_spawn_loader(class_in_main(), timeout=60)
    assert not here["ok"]
    assert "exited unexpectedly" in here["error"] and "pid <pid>" in here["error"]
    assert "Can't get attribute 'SquaresInMain'" in here["worker_error"]
    module = perf.try_spawn_loader(NumbersDataset(4), timeout=60)
    assert module == {"ok": True, "error": None, "worker_error": None,
                      "seconds": module["seconds"]}


def test_spawn_worker_batches():
    batches = perf.worker_batches(2, n=8, batch_size=2, context=SPAWN)
    assert [b["workers"] for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]
    assert os.getpid() not in {p for b in batches for p in b["pids"]}


def test_spawn_seeding_and_reseed_worker():
    ctx = mp.get_context(SPAWN)  # a context object works as well as its name
    report = perf.worker_seed_report(2, generator=torch.Generator().manual_seed(0), context=ctx)
    assert all(r["python_seeded"] and r["numpy_seeded"] and r["torch_seed"] == r["seed"]
               for r in report[0])
    # kind="numpy": on Linux, pickling a torch.Generator for a spawned process crashes the
    # process in this torch (pytorch/pytorch#146828), with or without reseeding.
    ds = perf.JitterDataset(8, seed=0, kind="numpy")
    same = perf.augment_draws(ds, 2, generator=torch.Generator().manual_seed(0), context=SPAWN)
    by_worker = [[o for _, w, o in same[0] if w == wid] for wid in (0, 1)]
    assert by_worker[0] == by_worker[1]  # pickled generators: the same pitfall
    fixed = perf.augment_draws(ds, 2, worker_init_fn=perf.reseed_worker,
                               generator=torch.Generator().manual_seed(0), context=SPAWN)
    by_worker = [[o for _, w, o in fixed[0] if w == wid] for wid in (0, 1)]
    assert by_worker[0] != by_worker[1]


def test_spawn_prefetch_and_persistent_workers():
    assert perf.prefetch_demo(2, num_workers=2, pause_s=0.5, context=SPAWN) == 5
    times = perf.first_batch_times(True, epochs=2, num_workers=1, startup_ms=100,
                                   context=SPAWN)
    assert times[0] > 0.1 > times[1]


def test_spawn_memory_timeout_and_sweep():
    from batchlab import bench

    grown = perf.copy_on_access(1000, context=SPAWN)
    assert set(grown) == {"python list", "tensor", "list size"}
    mem = perf.worker_memory(1, context=SPAWN)
    assert len(mem["workers"]) == 1
    assert perf.timeout_demo(0.2, 700, context=SPAWN).startswith("RuntimeError: DataLoader "
                                                                 "timed out")
    ds = perf.DecodeCostDataset(16, cost_ms=0.5)
    speeds = bench.sweep_workers(ds, (1,), batch_size=4, context=SPAWN)
    assert speeds[1] > 0
    times = perf.epoch_cpu_times(DataLoader(ds, batch_size=4, num_workers=1,
                                            multiprocessing_context=SPAWN))
    if times["workers_cpu_s"] is not None:
        assert times["workers_cpu_s"] > 0  # the spawned worker was waited for and counted
