"""Measure loaders: samples per second, time to the first batch, and a benchmark command.

Run the whole benchmark (under a minute on a 2-core laptop) with::

    python -m batchlab.tools.bench              # --size small: a quick check; --repeats N;
                                          # --threads N: torch.set_num_threads(N) first;
                                          # --samples N: in-memory samples in part (a)

It prints, measured in one run on the same data: (a) every way of batching in-memory
tensors (see :mod:`batchlab.data.tensor_loader`) against the per-item ``DataLoader`` and
against the two limits: one ``index_select`` of the whole shuffled epoch (the limit
for shuffled batches) and batch-sized sequential copies (the limit in dataset order);
and, when torch uses several threads, the loader and the limits again with one thread
(on a busy machine torch's thread pool can slow big gathers down instead of up);
(b) ``num_workers`` 0, 1, 2 on a dataset whose samples cost CPU time to decode;
(c) host-to-GPU copy speed with and without pinned memory (only where CUDA is
present). Timings depend on the machine and on what else runs on it: the load
average is printed before and after.

>>> import torch
>>> result = measure_loader([torch.zeros(4, 2)] * 5, warmup_batches=1)
>>> result["batches"], result["samples"]
(4, 16)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Mapping

import torch
from torch.utils.data import DataLoader

from batchlab._checks import check_int, check_positive_int, check_real

__all__ = ["compare_throughputs", "host_to_device", "main", "measure_loader", "plot_bars",
           "plot_throughput", "run_benchmark", "sweep_workers", "torch_threads"]


def _batch_len(batch) -> int:
    """Samples in a batch: the length of its first tensor (looking inside tuples/dicts)."""
    if type(batch) in (list, tuple) and batch and type(batch[0]) is torch.Tensor:
        first = batch[0]  # the common case first: it is timed once per batch
        return first.shape[0] if first.dim() else 1
    if isinstance(batch, torch.Tensor):
        return batch.shape[0] if batch.dim() else 1
    if isinstance(batch, Mapping) and batch:
        return _batch_len(next(iter(batch.values())))
    if isinstance(batch, (list, tuple)) and batch:
        return _batch_len(batch[0])
    if hasattr(batch, "__len__") and hasattr(batch, "shape"):  # e.g. a NumPy array
        return len(batch)
    raise TypeError(f"cannot count the samples in a batch of type {type(batch).__name__}: "
                    "expected a tensor, or a non-empty tuple/list/dict whose first "
                    "element is one")


def measure_loader(loader, *, warmup_batches: int = 2, max_batches: int | None = None) -> dict:
    """Iterate ``loader`` once and time it.

    The clock for the throughput starts after ``warmup_batches`` batches (so the
    start-up of worker processes is left out; ``0`` times everything from
    ``iter(loader)`` on) and stops when the last timed batch arrives (the end-of-epoch
    shutdown of workers is left out). Samples are counted with the length of each
    batch's first tensor. At most ``max_batches`` batches are timed.

    Returns ``samples_per_s``, ``batches_per_s``, ``first_batch_s`` (from
    ``iter(loader)`` to the first batch), and the timed ``samples``, ``batches`` and
    ``seconds``.

    >>> from torch.utils.data import DataLoader
    >>> r = measure_loader(DataLoader(torch.arange(100), batch_size=10), max_batches=5)
    >>> r["batches"], r["samples"], r["samples_per_s"] > 0, r["first_batch_s"] > 0
    (5, 50, True, True)
    """
    warmup_batches = check_int(warmup_batches, "warmup_batches", minimum=0)
    if max_batches is not None:
        max_batches = check_positive_int(max_batches, "max_batches")
    start = time.perf_counter()
    it = iter(loader)
    first_batch_s = None
    clock = start if warmup_batches == 0 else None
    last = start
    seen = samples = batches = 0
    for batch in it:
        now = time.perf_counter()
        if first_batch_s is None:
            first_batch_s = now - start
        seen += 1
        if seen <= warmup_batches:
            if seen == warmup_batches:
                clock = time.perf_counter()
            continue
        samples += _batch_len(batch)
        batches += 1
        last = time.perf_counter()
        if max_batches is not None and batches >= max_batches:
            break
    del it  # shuts worker processes down, outside the timed window
    if first_batch_s is None:
        raise ValueError("loader yielded no batches")
    if batches == 0:
        raise ValueError(f"loader yielded {seen} batch(es); warmup_batches={warmup_batches} "
                         "left none to time")
    seconds = max(last - clock, 1e-9)
    return {"samples_per_s": samples / seconds, "batches_per_s": batches / seconds,
            "first_batch_s": first_batch_s, "samples": samples, "batches": batches,
            "seconds": seconds}


@contextlib.contextmanager
def torch_threads(n: int):
    """Run a block with ``torch.set_num_threads(n)``; restore the previous number after.

    With several threads, small tensor ops may hand work to torch's thread pool; on a
    busy machine waiting for those threads can cost more than the op itself. Timing
    with one thread measures the loaders, not the machine's load.

    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    n = check_positive_int(n, "n")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)


def compare_throughputs(makers: Mapping, *, repeats: int = 3, min_seconds: float = 0.0,
                        warmup_batches: int = 0) -> dict:
    """Best samples/s of each loader; ``makers`` maps a name to a function that returns a
    fresh loader (one epoch).

    The loaders take turns (``repeats`` rounds), so a burst of load on the machine
    hits them all alike; each turn runs whole epochs until at least ``min_seconds``
    were timed. The best turn is reported: noise only ever slows a run down.

    >>> best = compare_throughputs({"tiny": lambda: [torch.zeros(2)] * 3}, repeats=2)
    >>> list(best), best["tiny"] > 0
    (['tiny'], True)
    """
    if not isinstance(makers, Mapping) or not makers:
        raise ValueError("makers must be a non-empty dict {name: function returning a loader}")
    repeats = check_positive_int(repeats, "repeats")
    min_seconds = check_real(min_seconds, "min_seconds", minimum=0.0)
    best = dict.fromkeys(makers, 0.0)
    for _ in range(repeats):
        for name, make in makers.items():
            samples = seconds = 0.0
            while True:
                r = measure_loader(make(), warmup_batches=warmup_batches)
                samples += r["samples"]
                seconds += r["seconds"]
                if seconds >= min_seconds:
                    break
            best[name] = max(best[name], samples / seconds)
    return best


def sweep_workers(dataset, workers=(0, 1, 2), *, batch_size: int = 16, repeats: int = 1,
                  warmup_batches: int = 2, context=None) -> dict:
    """Samples/s of ``DataLoader(dataset, batch_size, num_workers=w)`` for each ``w``.

    Start-up is left out (``warmup_batches``); ``context`` is the
    ``multiprocessing_context`` (``None``: the platform's default).

    >>> from batchlab.lessons.loader_performance import DecodeCostDataset
    >>> speeds = sweep_workers(DecodeCostDataset(40, cost_ms=0.2), (0, 1), batch_size=4)
    >>> sorted(speeds), all(v > 0 for v in speeds.values())
    ([0, 1], True)
    """
    workers = [check_int(w, "workers[i]", minimum=0) for w in workers]
    if not workers:
        raise ValueError("workers must list at least one num_workers value")
    batch_size = check_positive_int(batch_size, "batch_size")

    def make(w):
        return lambda: DataLoader(dataset, batch_size=batch_size, num_workers=w,
                                  multiprocessing_context=context if w else None)

    return compare_throughputs({w: make(w) for w in workers}, repeats=repeats,
                               warmup_batches=warmup_batches)


def host_to_device(megabytes: float = 64.0, *, pinned: bool, non_blocking: bool = False,
                   device=None, repeats: int = 5) -> dict:
    """Time ``tensor.to(device, non_blocking=...)`` for a float32 tensor of ``megabytes`` MB.

    ``pinned=True`` copies from page-locked memory (``tensor.pin_memory()``), which
    the GPU can read directly; pageable memory is first copied by the driver into a
    pinned staging buffer. Returns the best of ``repeats``: ``gb_per_s`` (until the
    copy has finished, measured with ``torch.cuda.synchronize``) and ``return_ms``
    (how long the ``.to`` call kept the Python thread waiting). Needs CUDA:
    raises ``ValueError`` otherwise.

    >>> if not torch.cuda.is_available():
    ...     try:
    ...         host_to_device(1, pinned=True)
    ...     except ValueError as err:
    ...         print("ValueError")
    ... else:
    ...     print("ValueError")  # same output on a GPU machine
    ValueError
    """
    megabytes = check_real(megabytes, "megabytes", minimum=0.001)
    repeats = check_positive_int(repeats, "repeats")
    if not torch.cuda.is_available():
        raise ValueError("host_to_device needs a CUDA device; torch.cuda.is_available() "
                         "is False on this machine")
    device = torch.device("cuda" if device is None else device)
    if device.type != "cuda":
        raise ValueError(f"device must be a CUDA device, got {device}")
    src = torch.randn(int(megabytes * 2**20) // 4)
    if pinned:
        src = src.pin_memory()
    src.to(device, non_blocking=non_blocking)  # warm-up: CUDA context, allocator
    torch.cuda.synchronize(device)
    best_total = best_return = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        dst = src.to(device, non_blocking=non_blocking)
        returned = time.perf_counter()
        torch.cuda.synchronize(device)
        done = time.perf_counter()
        best_total = min(best_total, done - start)
        best_return = min(best_return, returned - start)
        del dst
    return {"gb_per_s": src.numel() * 4 / best_total / 1e9, "return_ms": best_return * 1000,
            "total_ms": best_total * 1000}


def plot_throughput(series: Mapping, *, xlabel: str = "num_workers",
                    ylabel: str = "samples / s", title: str | None = None,
                    reference: Mapping | None = None, reference_label: str = "reference"):
    """Line plot of ``{label: {x: samples_per_s}}``; returns a closed ``Figure``.

    ``reference`` (``{x: y}``) is drawn dashed, e.g. perfect scaling.

    >>> fig = plot_throughput({"busy": {0: 100, 1: 95, 2: 180}}, reference={0: 100, 2: 200})
    >>> len(fig.axes[0].lines)
    2
    """
    from batchlab.viz.figures import new_figure

    if not isinstance(series, Mapping) or not series:
        raise ValueError("series must be a non-empty dict {label: {x: y}}")
    fig = new_figure(width=4.5, height=3.2)
    ax = fig.axes[0]
    if reference:
        xs = sorted(reference)
        ax.plot(xs, [reference[x] for x in xs], "--", color="0.6", label=reference_label)
    for label, points in series.items():
        xs = sorted(points)
        ax.plot(xs, [points[x] for x in xs], "o-", label=str(label))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    if all(isinstance(x, int) for p in series.values() for x in p):
        ax.set_xticks(sorted({x for p in series.values() for x in p}))
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_bars(values: Mapping, *, xlabel: str = "samples / s (log scale)",
              title: str | None = None, log: bool = True):
    """Horizontal bars of ``{name: samples_per_s}``, each labelled with its value and its
    ratio to the first bar; returns a closed ``Figure``.

    >>> fig = plot_bars({"slow": 1e5, "fast": 2e6})
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['slow', 'fast']
    """
    from batchlab.viz.figures import new_figure

    if not isinstance(values, Mapping) or not values:
        raise ValueError("values must be a non-empty dict {name: samples_per_s}")
    names = list(values)
    first = values[names[0]]
    fig = new_figure(width=5.5, height=0.45 * len(names) + 1.0)
    ax = fig.axes[0]
    ax.barh(range(len(names)), [values[n] for n in names], color="tab:blue")
    ax.set_yticks(range(len(names)), labels=names)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    for i, name in enumerate(names):
        ax.text(values[name], i, f" {values[name]:,.0f} ({values[name] / first:.1f}×)",
                va="center", fontsize=8)
    ax.set_xlim(right=max(values.values()) * (20 if log else 1.5))
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- the command

SIZES = {
    "small": {"n": 4096, "features": 32, "batch_size": 256, "repeats": 1, "min_seconds": 0.0,
              "decode_n": 96, "decode_cost_ms": 0.5, "decode_batch": 8, "worker_repeats": 1,
              "copy_mb": 8},
    "full": {"n": 200_000, "features": 32, "batch_size": 256, "repeats": 7, "min_seconds": 0.2,
             "decode_n": 1200, "decode_cost_ms": 1.0, "decode_batch": 16, "worker_repeats": 3,
             "copy_mb": 256},
}


def _load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except (AttributeError, OSError):  # not on Windows
        return "not available"


def run_benchmark(size: str = "full", *, repeats: int | None = None,
                  samples: int | None = None, out=None) -> dict:
    """Run the benchmark ``python -m batchlab.tools.bench`` prints; return the measured numbers.

    ``size`` is ``"small"`` (seconds; for tests) or ``"full"`` (200,000 samples of 32
    float32 features, 25.6 MB: more than the CPU caches hold). ``samples`` overrides
    the number of in-memory samples of part (a). ``out`` is a function that prints one
    line (default ``print``).

    >>> lines = []
    >>> results = run_benchmark("small", out=lines.append)
    >>> sorted(results)
    ['cuda', 'fast_paths', 'fast_paths_1_thread', 'workers']
    """
    import multiprocessing as mp

    from batchlab.lessons.loader_performance import (
        IN_ORDER_LIMIT,
        SHUFFLED_LIMIT,
        DecodeCostDataset,
        fast_path_loaders,
    )

    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
    cfg = dict(SIZES[size])
    if repeats is not None:
        cfg["repeats"] = cfg["worker_repeats"] = check_positive_int(repeats, "repeats")
    if samples is not None:
        cfg["n"] = check_positive_int(samples, "samples")
    out = print if out is None else out
    out(f"batchlab.tools.bench --size {size}: torch {torch.__version__}, "
        f"{os.cpu_count()} CPU cores, "
        f"torch threads {torch.get_num_threads()}, start method "
        f"{mp.get_context().get_start_method()}")
    out(f"load average (1, 5, 15 min) at start: {_load_average()}")

    # (a) in-memory fast paths
    g = torch.Generator().manual_seed(0)
    n, bs = cfg["n"], cfg["batch_size"]
    X = torch.randn(n, cfg["features"], generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    makers = fast_path_loaders(X, y, batch_size=bs, generator=g)
    fast = compare_throughputs(makers, repeats=cfg["repeats"], min_seconds=cfg["min_seconds"])
    per_item, limit = fast["per-item DataLoader"], fast[SHUFFLED_LIMIT]
    out("")
    out(f"(a) in-memory tensors: X float32[{n}, {cfg['features']}] "
        f"({X.numel() * 4 / 1e6:.1f} MB), y int64[{n}]; batch size {bs}; "
        f"best of {cfg['repeats']}, taking turns")
    out(f"{'path':<30}{'samples/s':>14}{'vs per-item':>13}{'vs limit':>10}")
    for name, speed in fast.items():
        out(f"{name:<30}{speed:>14,.0f}{speed / per_item:>12.1f}x{speed / limit:>10.3f}")
    out(f"limit for shuffled batches: {SHUFFLED_LIMIT} (randperm + one index_select per "
        f"tensor); {IN_ORDER_LIMIT}: the same bytes in dataset order")
    one_thread = {}
    threads = torch.get_num_threads()
    if threads > 1:  # torch's thread pool helps big gathers on idle cores, hurts on busy ones
        with torch_threads(1):
            one_thread = compare_throughputs(
                {k: makers[k] for k in ("TensorBatchLoader", SHUFFLED_LIMIT, IN_ORDER_LIMIT)},
                repeats=cfg["repeats"], min_seconds=cfg["min_seconds"])
        out(f"the same with 1 torch thread instead of {threads}:")
        for name, speed in one_thread.items():
            out(f"{name:<30}{speed:>14,.0f}{'':>13}{speed / one_thread[SHUFFLED_LIMIT]:>10.3f}")

    # (b) workers on a CPU-bound decode
    decode = DecodeCostDataset(cfg["decode_n"], cfg["decode_cost_ms"], busy=True)
    workers = sweep_workers(decode, (0, 1, 2), batch_size=cfg["decode_batch"],
                            repeats=cfg["worker_repeats"])
    out("")
    out(f"(b) DecodeCostDataset: {cfg['decode_n']} samples, ~{cfg['decode_cost_ms']} ms of busy "
        f"CPU work each, batch size {cfg['decode_batch']}; best of {cfg['worker_repeats']}")
    out(f"{'num_workers':<26}{'samples/s':>14}{'vs 0 workers':>13}")
    for w, speed in workers.items():
        out(f"{w:<26}{speed:>14,.0f}{speed / workers[0]:>12.2f}x")

    # (c) host -> device copies
    out("")
    cuda = {}
    if torch.cuda.is_available():
        out(f"(c) host -> {torch.cuda.get_device_name()} copies of {cfg['copy_mb']} MB float32; "
            "best of 5")
        out(f"{'source memory':<34}{'GB/s':>8}{'call returns after':>22}")
        for pinned, non_blocking in ((False, False), (True, False), (True, True)):
            r = host_to_device(cfg["copy_mb"], pinned=pinned, non_blocking=non_blocking)
            label = f"{'pinned' if pinned else 'pageable'}, non_blocking={non_blocking}"
            cuda[label] = r
            out(f"{label:<34}{r['gb_per_s']:>8.1f}{r['return_ms']:>19.2f} ms")
    else:
        out("(c) host -> device copies: skipped: no CUDA device "
            "(torch.cuda.is_available() is False)")

    out("")
    tbl = fast["TensorBatchLoader"]
    out(f"TensorBatchLoader / per-item DataLoader = {tbl / per_item:.1f} (target >= 40)")
    out(f"TensorBatchLoader / {SHUFFLED_LIMIT} = {tbl / limit:.2f} (target >= 0.7; "
        f"{threads} torch thread{'s' if threads > 1 else ''})")
    if one_thread:
        out(f"TensorBatchLoader / {SHUFFLED_LIMIT} = "
            f"{one_thread['TensorBatchLoader'] / one_thread[SHUFFLED_LIMIT]:.2f} "
            "(target >= 0.7; 1 torch thread)")
    out(f"{SHUFFLED_LIMIT} / {IN_ORDER_LIMIT} = {limit / fast[IN_ORDER_LIMIT]:.2f}")
    out(f"2 workers / 0 workers = {workers[2] / workers[0]:.2f} (target >= 1.7)")
    out(f"load average (1, 5, 15 min) at end: {_load_average()}")
    return {"fast_paths": fast, "fast_paths_1_thread": one_thread, "workers": workers,
            "cuda": cuda}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m batchlab.tools.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="full",
                        help="problem size (small: a few seconds, for tests)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="rounds per measurement (the best is reported)")
    parser.add_argument("--samples", type=int, default=None,
                        help="in-memory samples in part (a) (default: 200000; 4096 with "
                             "--size small)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch.set_num_threads(N) in the main process first "
                             "(default: torch's choice)")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.samples is not None and args.samples < 1:
        parser.error("--samples must be >= 1")
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be >= 1")
        torch.set_num_threads(args.threads)
    run_benchmark(args.size, repeats=args.repeats, samples=args.samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
