"""batchlab.tools.bench: measure_loader, comparisons, plots, and the benchmark command.

No test compares two measured speeds: a busy machine can slow either one. Bounds that a
``time.sleep`` guarantees are fine; "the best of several turns" is checked with a fake
``measure_loader``; the speed claims themselves are printed by ``python -m batchlab.tools.bench``.
"""

import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import torch
from torch.utils.data import DataLoader

from batchlab.lessons.loader_performance import (
    FAST_PATHS,
    IN_ORDER_LIMIT,
    SHUFFLED_LIMIT,
    DecodeCostDataset,
)
from batchlab.tools import bench

ROOT = Path(__file__).resolve().parents[2]


def test_measure_loader_counts_timed_batches_and_samples():
    r = bench.measure_loader(DataLoader(torch.arange(100), batch_size=10), warmup_batches=2)
    assert r["batches"] == 8 and r["samples"] == 80
    assert r["samples_per_s"] == pytest.approx(r["samples"] / r["seconds"])
    assert r["batches_per_s"] == pytest.approx(r["batches"] / r["seconds"])
    assert r["first_batch_s"] > 0


def test_measure_loader_warmup_zero_times_everything_and_max_batches_stops():
    r = bench.measure_loader(DataLoader(torch.arange(95), batch_size=10), warmup_batches=0)
    assert r["batches"] == 10 and r["samples"] == 95
    r = bench.measure_loader(DataLoader(torch.arange(95), batch_size=10), warmup_batches=1,
                             max_batches=3)
    assert r["batches"] == 3 and r["samples"] == 30


def test_measure_loader_counts_samples_from_the_first_tensor():
    batches = [(torch.zeros(4, 3), torch.zeros(4)), {"x": torch.zeros(5, 2)},
               [torch.zeros(6)], torch.tensor(1.0)]
    r = bench.measure_loader(batches, warmup_batches=0)
    assert r["samples"] == 4 + 5 + 6 + 1


def test_measure_loader_sees_slow_batches():
    slow = DataLoader(DecodeCostDataset(12, cost_ms=5, busy=False), batch_size=3)
    r = bench.measure_loader(slow, warmup_batches=1)
    assert r["seconds"] >= 3 * 3 * 0.005 * 0.9  # 3 timed batches of 3 sleeping samples
    assert r["samples_per_s"] < 1 / 0.005 * 1.1


@pytest.mark.parametrize("loader, kwargs, error", [
    ([], {}, ValueError),
    ([torch.zeros(2)] * 2, {"warmup_batches": 2}, ValueError),
    ([torch.zeros(2)] * 2, {"warmup_batches": -1}, ValueError),
    ([torch.zeros(2)] * 2, {"max_batches": 0}, ValueError),
    ([torch.zeros(2)] * 2, {"warmup_batches": 1.5}, TypeError),
    (["abc", "def"], {"warmup_batches": 0}, TypeError),
    ([()] * 2, {"warmup_batches": 0}, TypeError),
])
def test_measure_loader_rejects_bad_input(loader, kwargs, error):
    with pytest.raises(error):
        bench.measure_loader(loader, **kwargs)


def test_compare_throughputs_reports_the_best_turn_of_each(monkeypatch):
    turns = iter([{"samples": 10, "seconds": 2.0}, {"samples": 10, "seconds": 1.0},  # a, b
                  {"samples": 10, "seconds": 0.5}, {"samples": 10, "seconds": 4.0}])
    monkeypatch.setattr(bench, "measure_loader", lambda loader, warmup_batches: next(turns))
    best = bench.compare_throughputs({"a": list, "b": list}, repeats=2)
    assert best == {"a": 20.0, "b": 10.0}  # a: max(5, 20), b: max(10, 2.5)


def test_compare_throughputs_runs_epochs_until_min_seconds(monkeypatch):
    calls = []

    def fake(loader, warmup_batches):
        calls.append(loader)
        return {"samples": 4, "seconds": 0.1}

    monkeypatch.setattr(bench, "measure_loader", fake)
    best = bench.compare_throughputs({"a": lambda: "epoch"}, repeats=1, min_seconds=0.35)
    assert calls == ["epoch"] * 4 and best["a"] == pytest.approx(16 / 0.4)


def test_compare_throughputs_on_real_loaders():
    makers = {"list": lambda: [torch.zeros(10)] * 5,
              "sleepy": lambda: DataLoader(DecodeCostDataset(10, cost_ms=2, busy=False),
                                           batch_size=2)}
    best = bench.compare_throughputs(makers, repeats=2, min_seconds=0.01)
    assert list(best) == ["list", "sleepy"] and best["list"] > 0
    assert 0 < best["sleepy"] <= 500  # each sample sleeps 2 ms: never more than 500/s
    with pytest.raises(ValueError):
        bench.compare_throughputs({})
    with pytest.raises(ValueError):
        bench.compare_throughputs(makers, repeats=0)


def test_sweep_workers_returns_one_speed_per_setting():
    speeds = bench.sweep_workers(DecodeCostDataset(24, cost_ms=0.5), (0, 2), batch_size=4)
    assert sorted(speeds) == [0, 2] and all(v > 0 for v in speeds.values())
    with pytest.raises(ValueError):
        bench.sweep_workers(DecodeCostDataset(4), (-1,))
    with pytest.raises(ValueError):
        bench.sweep_workers(DecodeCostDataset(4), ())


def test_torch_threads_restores_the_thread_count():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with bench.torch_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("inside")
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError):
        with bench.torch_threads(0):
            pass


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error")
def test_host_to_device_needs_cuda():
    with pytest.raises(ValueError, match="CUDA"):
        bench.host_to_device(1, pinned=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_host_to_device_measures_a_copy():
    r = bench.host_to_device(8, pinned=True, non_blocking=True, repeats=2)
    assert r["gb_per_s"] > 0 and 0 <= r["return_ms"] <= r["total_ms"]


def test_plots_return_closed_figures():
    plt.close("all")
    fig = bench.plot_throughput({"busy": {0: 10, 1: 9, 2: 18}, "sleep": {0: 5, 4: 19}},
                                reference={0: 10, 2: 20}, title="t")
    assert len(fig.axes[0].lines) == 3 and plt.get_fignums() == []
    fig = bench.plot_bars({"a": 1e3, "b": 2e5, "c": 3e6}, title="t")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b", "c"]
    assert "200.0×" in " ".join(t.get_text() for t in fig.axes[0].texts)
    assert plt.get_fignums() == []
    with pytest.raises(ValueError):
        bench.plot_throughput({})
    with pytest.raises(ValueError):
        bench.plot_bars({})


def test_run_benchmark_rejects_unknown_size():
    with pytest.raises(ValueError, match="size"):
        bench.run_benchmark("huge", out=lambda line: None)


def run_command(*args):
    return subprocess.run([sys.executable, "-m", "batchlab.tools.bench", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_command_prints_the_table_on_a_small_size():
    out = run_command("--size", "small", "--threads", "1", "--samples", "3000")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for name in FAST_PATHS:
        row = next(ln for ln in lines if ln.startswith(name + " "))
        assert row.split()[-2].endswith("x"), row  # samples/s, ratio to per-item, to limit
    assert next(ln for ln in lines if ln.startswith(SHUFFLED_LIMIT)).endswith(" 1.000")
    for workers in ("0", "1", "2"):
        assert any(ln.split()[:1] == [workers] and ln.endswith("x") for ln in lines), workers
    assert any(ln.startswith("(c) host -> ") for ln in lines)
    if not torch.cuda.is_available():
        assert any("skipped: no CUDA device" in ln for ln in lines)
    assert sum(ln.startswith("load average") for ln in lines) == 2
    assert "torch threads 1" in lines[0] and "X float32[3000, 32]" in out.stdout
    for ratio in ("TensorBatchLoader / per-item DataLoader = ",
                  f"TensorBatchLoader / {SHUFFLED_LIMIT} = ",
                  f"{SHUFFLED_LIMIT} / {IN_ORDER_LIMIT} = "):
        assert any(ln.startswith(ratio) for ln in lines), ratio


@pytest.mark.parametrize("args", [["--size", "huge"], ["--repeats", "0"], ["--threads", "0"],
                                  ["--samples", "0"]])
def test_command_rejects_bad_arguments(args, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's usage error, in this process
        bench.main(args)
    assert exc.value.code == 2 and "error" in capsys.readouterr().err
