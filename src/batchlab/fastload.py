"""Fast batches from tensors that are already in memory.

A ``DataLoader`` over a ``TensorDataset`` calls ``__getitem__`` once per sample and
then stacks the samples (``default_collate``). When the whole dataset is a few
tensors in RAM (or on the GPU) that work is avoidable: draw one permutation per
epoch and gather each batch with one ``index_select`` per tensor.

- :class:`TensorBatchLoader` does exactly that and skips the DataLoader machinery.
- :class:`IndexTensorBatchSampler` keeps the ``DataLoader`` but hands the dataset a
  whole batch of indices as one tensor (use it with ``sampler=…, batch_size=None``).
- :func:`memory_copy_batches` copies the same bytes in the same batch sizes with
  sequential slices: the physical limit any loader of these tensors can reach.
- :func:`fast_path_loaders` builds every variant side by side on the same tensors
  (notebook 08 and ``python -m batchlab.bench`` measure them).

>>> X, y = torch.arange(10.0).reshape(5, 2), torch.arange(5)
>>> loader = TensorBatchLoader(X, y, batch_size=2, generator=torch.Generator().manual_seed(0))
>>> len(loader), [len(xb) for xb, yb in loader]
(3, [2, 2, 1])
"""

from __future__ import annotations

import timeit

import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    Sampler,
    TensorDataset,
    default_collate,
)

from ._checks import check_bool, check_generator, check_int, check_positive_int
from .batching import _len_formula

__all__ = [
    "IndexTensorBatchSampler",
    "TensorBatchLoader",
    "batch_cost_breakdown",
    "fast_path_loaders",
    "memory_copy_batches",
]



def _check_tensors(tensors, name: str = "tensors") -> tuple[torch.Tensor, ...]:
    if not tensors:
        raise ValueError(f"{name}: give at least one tensor")
    for i, t in enumerate(tensors):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}[{i}] must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() == 0:
            raise ValueError(f"{name}[{i}] must have at least one dimension (the samples), "
                             "got a 0-d tensor")
    lengths = [len(t) for t in tensors]
    if len(set(lengths)) != 1:
        raise ValueError(f"{name} must all have the same length (dimension 0), got {lengths}")
    return tuple(tensors)


class TensorBatchLoader:
    """Iterate over in-memory tensors in (shuffled) batches, without a ``DataLoader``.

    Each epoch draws one ``torch.randperm`` (from ``generator`` when given, else from
    torch's global random state, like ``RandomSampler``) and yields, per batch, a
    tuple with one new tensor per input tensor, gathered with ``index_select``.
    With ``shuffle=False`` the batches are copies of consecutive slices. Batches are
    always fresh tensors: changing one in place never changes the data.

    ``len(loader)`` is the number of batches per epoch, as for a ``DataLoader``:
    ``ceil(n / batch_size)``, or ``n // batch_size`` with ``drop_last=True``.
    The tensors may live on any device (all on the same one is fastest); the
    permutation is drawn on the CPU, or on the generator's device.

    >>> X = torch.arange(12.0).reshape(6, 2)
    >>> y = torch.arange(6)
    >>> g = torch.Generator().manual_seed(0)
    >>> loader = TensorBatchLoader(X, y, batch_size=4, generator=g)
    >>> len(loader)
    2
    >>> for xb, yb in loader:
    ...     print(tuple(xb.shape), yb.tolist(), torch.equal(xb, X[yb]))
    (4, 2) [2, 5, 3, 0] True
    (2, 2) [1, 4] True
    >>> [yb.tolist() for _, yb in TensorBatchLoader(X, y, batch_size=4, shuffle=False)]
    [[0, 1, 2, 3], [4, 5]]
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int, shuffle: bool = True,
                 drop_last: bool = False, generator: torch.Generator | None = None):
        self.tensors = _check_tensors(tensors)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.shuffle = check_bool(shuffle, "shuffle")
        self.drop_last = check_bool(drop_last, "drop_last")
        self.generator = check_generator(generator)

    @property
    def num_samples(self) -> int:
        """How many samples the tensors hold (their common length)."""
        return len(self.tensors[0])

    def __len__(self) -> int:
        return _len_formula(self.num_samples, self.batch_size, self.drop_last)

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return (f"TensorBatchLoader({shapes}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")

    def __iter__(self):
        n, bs = self.num_samples, self.batch_size
        stop = len(self) * bs if self.drop_last else n
        if not self.shuffle:
            for start in range(0, stop, bs):
                yield tuple(t[start:start + bs].clone() for t in self.tensors)
            return
        device = self.generator.device if self.generator is not None else "cpu"
        order = torch.randperm(n, generator=self.generator, device=device)
        # One copy of the permutation per device the tensors live on.
        orders = {t.device: order.to(t.device) for t in self.tensors}
        for start in range(0, stop, bs):
            yield tuple(t.index_select(0, orders[t.device][start:start + bs])
                        for t in self.tensors)


class IndexTensorBatchSampler(Sampler):
    """Yield whole batches of indices as ``int64`` tensors: one ``randperm`` per epoch.

    Give it to a ``DataLoader`` as ``sampler=`` with ``batch_size=None``: the loader
    then calls ``dataset[index_tensor]`` once per batch, and a ``TensorDataset``
    answers with one advanced-indexing gather per tensor. (As ``batch_sampler=`` it
    would be slow: the loader would call ``dataset[i]`` for every index again.)

    >>> s = IndexTensorBatchSampler(5, 2, generator=torch.Generator().manual_seed(0))
    >>> len(s), [b.tolist() for b in s]
    (3, [[4, 0], [1, 3], [2]])
    >>> ds = TensorDataset(torch.arange(5) * 10)
    >>> loader = DataLoader(ds, sampler=IndexTensorBatchSampler(5, 2, shuffle=False),
    ...                     batch_size=None)
    >>> [b.tolist() for (b,) in loader]
    [[0, 10], [20, 30], [40]]
    """

    def __init__(self, num_samples: int, batch_size: int, *, shuffle: bool = True,
                 drop_last: bool = False, generator: torch.Generator | None = None):
        self.num_samples = check_int(num_samples, "num_samples", minimum=0)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.shuffle = check_bool(shuffle, "shuffle")
        self.drop_last = check_bool(drop_last, "drop_last")
        self.generator = check_generator(generator)

    def __len__(self) -> int:
        return _len_formula(self.num_samples, self.batch_size, self.drop_last)

    def __iter__(self):
        if self.shuffle:
            order = torch.randperm(self.num_samples, generator=self.generator)
        else:
            order = torch.arange(self.num_samples)
        batches = order.split(self.batch_size)
        return iter(batches[:len(self)])


def memory_copy_batches(*tensors: torch.Tensor, batch_size: int):
    """Yield copies of consecutive slices: the same bytes, the same batch sizes, no gather.

    Copying memory sequentially is the fastest way to produce these batches, so its
    speed is the limit any loader of these tensors can approach (a random gather
    touches memory in a scattered order and is slower).

    >>> X = torch.arange(5)
    >>> [b.tolist() for (b,) in memory_copy_batches(X, batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """
    tensors = _check_tensors(tensors)
    batch_size = check_positive_int(batch_size, "batch_size")
    for start in range(0, len(tensors[0]), batch_size):
        yield tuple(t[start:start + batch_size].clone() for t in tensors)


FAST_PATHS = {
    "per-item DataLoader": "DataLoader(TensorDataset(X, y), batch_size=B, shuffle=True)",
    "batched, list indices": "DataLoader(ds, sampler=BatchSampler(RandomSampler(ds), B, False), "
                             "batch_size=None)",
    "batched, index tensors": "DataLoader(ds, sampler=IndexTensorBatchSampler(n, B), "
                              "batch_size=None)",
    "TensorBatchLoader": "TensorBatchLoader(X, y, batch_size=B)",
    "memory copy (limit)": "memory_copy_batches(X, y, batch_size=B)",
}


def fast_path_loaders(*tensors: torch.Tensor, batch_size: int = 256,
                      generator: torch.Generator | None = None) -> dict:
    """Every way to batch the same in-memory tensors, from slowest to the limit.

    Returns ``{name: make}`` where ``make()`` returns a fresh iterable over one
    shuffled epoch (the last, ``"memory copy (limit)"``, is not shuffled: it is the
    sequential copy every other path is compared with). ``FAST_PATHS`` maps each
    name to the code it runs. All shuffled variants draw from ``generator``.

    >>> X, y = torch.arange(6.0).reshape(3, 2), torch.arange(3)
    >>> makers = fast_path_loaders(X, y, batch_size=2, generator=torch.Generator())
    >>> list(makers) == list(FAST_PATHS)
    True
    >>> [sum(len(b[1]) for b in make()) for make in makers.values()]
    [3, 3, 3, 3, 3]
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
        "TensorBatchLoader": lambda: TensorBatchLoader(*tensors, batch_size=batch_size,
                                                       generator=generator),
        "memory copy (limit)": lambda: memory_copy_batches(*tensors, batch_size=batch_size),
    }


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
        "sequential slice copy (limit)": lambda: tuple(t[:bs].clone() for t in tensors),
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
