"""Sampling across processes: a distributed weighted sampler and a sharded stream.

- ``DistributedWeightedSampler``: what ``WeightedRandomSampler`` is for one process,
  across ``num_replicas`` processes. PyTorch ships none (pytorch/pytorch#77154): every rank
  makes the *same* global weighted draw and keeps its own stride of it, like
  ``DistributedSampler`` does with a shuffled ``range(len(dataset))``.
- ``RankWorkerStream``: an ``IterableDataset`` split across ranks × DataLoader workers.

The real multi-process runs that use them are the lesson's
(``batchlab.lessons.distributed_sampling``).

>>> s = DistributedWeightedSampler([1, 1, 0, 2], num_replicas=2, rank=0, seed=0)
>>> len(s), 2 in list(s)
(2, False)
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch.utils.data import IterableDataset, Sampler, get_worker_info

from batchlab._checks import check_bool, check_int, check_positive_int
from batchlab._types import RealVector
from batchlab.data.samplers import check_weights

__all__ = ["DistributedWeightedSampler", "RankWorkerStream"]


def _resolve_replicas(num_replicas, rank, size_name: str = "num_replicas") -> tuple[int, int]:
    """``(num_replicas, rank)``: the given values, or the default process group's."""
    if num_replicas is None or rank is None:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            missing = " and ".join(name for name, value in ((size_name, num_replicas),
                                                            ("rank", rank)) if value is None)
            raise ValueError(f"{missing} not given and no process group is initialised: pass "
                             f"{missing} explicitly or call "
                             f"torch.distributed.init_process_group first")
        if num_replicas is None:
            num_replicas = dist.get_world_size()
        if rank is None:
            rank = dist.get_rank()
    num_replicas = check_positive_int(num_replicas, size_name)
    rank = check_int(rank, "rank")
    if not 0 <= rank < num_replicas:
        raise ValueError(f"rank must be in [0, {num_replicas}) for {size_name}={num_replicas}, "
                         f"got {rank}")
    return num_replicas, rank


class DistributedWeightedSampler(Sampler[int]):
    """A weighted random sampler for distributed training: one global draw, split by rank.

    Each epoch every rank draws the same ``num_samples`` indices with
    ``torch.multinomial(weights, num_samples, replacement, generator)`` (what
    ``WeightedRandomSampler`` does), from a generator seeded with ``seed + epoch``, and
    keeps the positions ``rank, rank + num_replicas, …`` of that draw. So the shards of
    all ranks are disjoint *positions* of one draw and together they are the draw (plus
    the padding repeats, if any).
    As in ``DistributedSampler``, the draw is first made evenly divisible: with
    ``drop_last=False`` it is padded by repeating its first indices; with
    ``drop_last=True`` its tail is dropped. Every rank then gets ``len(sampler)`` indices.

    ``num_samples`` (the size of the global draw) defaults to ``len(weights)``; without
    replacement it may not exceed the number of nonzero weights. ``num_replicas`` and
    ``rank`` default to the initialised process group's world size and rank. All ranks
    must use the same ``weights``, ``num_samples``, ``seed`` and epoch (and torch version).
    Call ``set_epoch(epoch)`` before each epoch, or every epoch repeats the same draw.

    >>> weights = [0.0, 1.0, 1.0, 2.0, 4.0]
    >>> shards = [list(DistributedWeightedSampler(weights, 6, num_replicas=2, rank=r))
    ...           for r in range(2)]
    >>> draw = DistributedWeightedSampler(weights, 6, num_replicas=2, rank=0).global_draw()
    >>> sorted(shards[0] + shards[1]) == sorted(draw), 0 in draw
    (True, False)
    >>> DistributedWeightedSampler(weights, num_replicas=2, rank=2)
    Traceback (most recent call last):
    ...
    ValueError: rank must be in [0, 2) for num_replicas=2, got 2
    """

    def __init__(self, weights: RealVector, num_samples: int | None = None, *,
                 num_replicas: int | None = None, rank: int | None = None,
                 replacement: bool = True, seed: int = 0, drop_last: bool = False):
        self.weights = check_weights(weights)
        self.replacement = check_bool(replacement, "replacement")
        self.drop_last = check_bool(drop_last, "drop_last")
        self.seed = check_int(seed, "seed", minimum=0)
        if self.seed >= 2**63:
            raise ValueError(f"seed must be < 2**63, got {self.seed}")
        if num_samples is None:
            num_samples = len(self.weights)
        self.num_samples = check_positive_int(num_samples, "num_samples")
        nonzero = int((self.weights > 0).sum())
        if not self.replacement and self.num_samples > nonzero:
            raise ValueError(f"num_samples={self.num_samples} exceeds the {nonzero} nonzero "
                             f"weights, which replacement=False cannot draw")
        self.num_replicas, self.rank = _resolve_replicas(num_replicas, rank)
        if self.drop_last:
            self.per_rank = self.num_samples // self.num_replicas
            if self.per_rank == 0:
                raise ValueError(f"drop_last=True with num_samples={self.num_samples} < "
                                 f"num_replicas={self.num_replicas} leaves every rank empty")
        else:
            self.per_rank = math.ceil(self.num_samples / self.num_replicas)
        self.total_size = self.per_rank * self.num_replicas
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use the draw of ``epoch`` (seeded with ``seed + epoch``) from now on."""
        self.epoch = check_int(epoch, "epoch", minimum=0)

    def global_draw(self) -> list[int]:
        """This epoch's global draw of ``num_samples`` indices (the same on every rank)."""
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        return torch.multinomial(self.weights, self.num_samples, self.replacement,
                                 generator=g).tolist()

    def __iter__(self) -> Iterator[int]:
        indices = self.global_draw()
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            padding = self.total_size - len(indices)  # 0 <= padding < num_replicas
            indices += (indices * math.ceil(padding / len(indices)))[:padding]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.per_rank


# ----- an IterableDataset split across ranks and DataLoader workers -----------------------------

class RankWorkerStream(IterableDataset):
    """The integers ``0 … num_items - 1`` as a stream, split across ranks *and* workers.

    A distributed job with ``world_size`` ranks, each with a DataLoader of
    ``num_workers`` workers, runs ``world_size × num_workers`` copies of ``__iter__``.
    Copy number ``rank × num_workers + worker_id`` yields every
    ``(world_size × num_workers)``-th item starting at its own number, so every item
    comes out exactly once in the whole job. With ``split_workers=False`` only the ranks
    split the stream, and every worker of a rank repeats that rank's share.

    ``rank`` and ``world_size`` are read when the dataset is built, in the training process
    (from the process group if not given): DataLoader workers are not members of the
    process group.

    >>> [list(RankWorkerStream(10, rank=r, world_size=2)) for r in range(2)]
    [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    """

    def __init__(self, num_items: int, *, rank: int | None = None,
                 world_size: int | None = None, split_workers: bool = True):
        super().__init__()
        self.num_items = check_positive_int(num_items, "num_items")
        self.world_size, self.rank = _resolve_replicas(world_size, rank, "world_size")
        self.split_workers = check_bool(split_workers, "split_workers")

    def __iter__(self) -> Iterator[int]:
        info = get_worker_info()  # None in the main process (num_workers=0)
        worker, num_workers = (info.id, info.num_workers) if info else (0, 1)
        if not self.split_workers:
            worker, num_workers = 0, 1
        shard = self.rank * num_workers + worker  # this copy's number among all copies
        num_shards = self.world_size * num_workers  # ranks × workers copies in the job
        return iter(range(shard, self.num_items, num_shards))

    def __repr__(self) -> str:
        return (f"RankWorkerStream({self.num_items}, rank={self.rank}, "
                f"world_size={self.world_size}, split_workers={self.split_workers})")


# ----- what DistributedSampler hands each rank (pure functions for the picture and widget) -----


# ----- a real DistributedDataParallel run on this machine ---------------------------------------


