"""How fast does ``ClassBalancedBatchSampler`` produce indices?

Run from the repository root::

    python benchmarks/sampler_speed.py

Prints indices per second and the time to yield 10**6 indices (best of a few runs),
for a 10-class label array with a 100:1 imbalance. No assertion: timings depend on
the machine.
"""

from __future__ import annotations

import time

import torch

from batchlab.data.samplers import ClassBalancedBatchSampler


def time_one_million(batch_size: int = 100, repeats: int = 5) -> float:
    """Best wall time (seconds) to iterate batches holding 10**6 indices in all."""
    g = torch.Generator().manual_seed(0)
    counts = torch.logspace(0, 2, 10).round().long() * 1000  # 1 000 … 100 000 per class
    labels = torch.repeat_interleave(torch.arange(10), counts)
    labels = labels[torch.randperm(len(labels), generator=g)]
    sampler = ClassBalancedBatchSampler(labels, batch_size, num_batches=10**6 // batch_size,
                                        generator=g)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        total = sum(len(batch) for batch in sampler)
        best = min(best, time.perf_counter() - start)
        assert total == 10**6
    return best


if __name__ == "__main__":
    seconds = time_one_million()
    print(f"ClassBalancedBatchSampler: {1e6 / seconds:,.0f} indices/s; "
          f"10**6 indices in {seconds:.3f} s")
