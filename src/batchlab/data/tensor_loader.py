"""Fast batches from tensors that are already in memory.

A ``DataLoader`` over a ``TensorDataset`` calls ``__getitem__`` once per sample and
then stacks the samples (``default_collate``). When the whole dataset is a few
tensors in RAM (or on the GPU) that work is avoidable: draw one permutation per
epoch and gather many rows per call with ``index_select``.

- :class:`TensorBatchLoader` does that, in chunks of many batches (8 MiB), and skips the
  DataLoader machinery.
- :class:`IndexTensorBatchSampler` keeps the ``DataLoader`` but hands the dataset a
  whole batch of indices as one tensor (use it with ``sampler=…, batch_size=None``).
- :func:`whole_epoch_gather` gathers a whole shuffled epoch with one ``index_select``
  per tensor: the limit for shuffled batches.
- :func:`memory_copy_batches` copies the same bytes in the same batch sizes with
  sequential slices: the limit in dataset order.
- :func:`fast_path_loaders` builds every variant side by side on the same tensors
  (notebook 11 and ``python -m batchlab.tools.bench`` measure them).

>>> X, y = torch.arange(10.0).reshape(5, 2), torch.arange(5)
>>> loader = TensorBatchLoader(X, y, batch_size=2, shuffle=True,
...                            generator=torch.Generator().manual_seed(0))
>>> len(loader), [len(xb) for xb, yb in loader]
(3, [2, 2, 1])
"""

from __future__ import annotations

import torch
from torch.utils.data import (
    Sampler,
)

from batchlab._checks import check_bool, check_generator, check_int, check_positive_int
from batchlab.data.samplers import num_batches

__all__ = ["IndexTensorBatchSampler", "TensorBatchLoader"]


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
    """Batches of in-memory tensors, like ``DataLoader(TensorDataset(*tensors), ...)``,
    without the per-sample work.

    The arguments mean what they mean for a ``DataLoader``, with the same defaults
    (``batch_size=1``, ``shuffle=False``, ``drop_last=False``), and each batch is a
    ``list`` with one tensor per input tensor, as the ``DataLoader`` yields it.
    ``len(loader)`` is the number of batches per epoch: ``ceil(n / batch_size)``, or
    ``n // batch_size`` with ``drop_last=True``.

    How it is fast: with ``shuffle=True`` each epoch draws one ``torch.randperm`` (from
    ``generator`` when given, else from torch's global random state) and gathers many
    batches at a time — a *chunk* of about ``chunk_bytes`` — with one ``index_select``
    per tensor; the batches are then views (``split``) into that chunk. A gather of one
    batch of small rows is short, so a loop that gathers batch by batch pays the fixed
    cost of a call (argument checks, dispatch, allocating the output, waking torch's
    threads) hundreds of times per epoch; a chunk pays it once for many batches. With
    ``shuffle=False`` chunks of consecutive rows are copied the same way.

    Memory: besides the data, the loader holds the permutation (8 bytes per sample)
    and the chunk being served: the whole batches of all tensors that fit in
    ``chunk_bytes`` (8 MiB by default), or one batch if a batch is larger. While the
    next chunk is gathered the previous one is alive too if you still hold a batch
    from it, so at most **two chunks** (2 × 8 MiB by default). ``chunk_bytes=None``
    gathers the whole epoch at once: a full second copy of the data.

    Differences from a ``DataLoader`` to know about:

    - A batch is a view into its chunk: changing it in place never changes the data or
      another batch, but it keeps the whole chunk alive, and ``torch.save(batch)``
      stores the chunk's memory. ``batch[0].clone()`` gives a batch of its own.
    - With ``shuffle=True`` every epoch is one ``torch.randperm(n, generator=generator)``,
      so the same generator seed gives the same epochs. The first epoch's order is
      the one ``RandomSampler(dataset, generator=generator)`` yields first; but
      ``RandomSampler`` and ``DataLoader`` draw more numbers from the generator per
      epoch (a ``DataLoader`` draws its workers' base seed before the order), so
      their later epochs, and a ``DataLoader``'s first, differ from these. Without a
      generator the order comes from torch's global random state:
      ``torch.manual_seed`` makes it repeatable.
    - No workers, ``collate_fn``, ``pin_memory`` or ``sampler``: the data is already in
      memory as tensors and needs no per-sample work. (Pin the source tensors once with
      ``.pin_memory()`` instead.)

    The tensors may live on any device (all on the same one is fastest); the
    permutation is drawn on the CPU, or on the generator's device.

    >>> X = torch.arange(12.0).reshape(6, 2)
    >>> y = torch.arange(6)
    >>> g = torch.Generator().manual_seed(0)
    >>> loader = TensorBatchLoader(X, y, batch_size=4, shuffle=True, generator=g)
    >>> len(loader)
    2
    >>> for xb, yb in loader:
    ...     print(tuple(xb.shape), yb.tolist(), torch.equal(xb, X[yb]))
    (4, 2) [2, 5, 3, 0] True
    (2, 2) [1, 4] True
    >>> [yb.tolist() for _, yb in TensorBatchLoader(X, y, batch_size=4)]
    [[0, 1, 2, 3], [4, 5]]
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, generator: torch.Generator | None = None,
                 chunk_bytes: int | None = 8 * 2**20):
        self.tensors = _check_tensors(tensors)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.shuffle = check_bool(shuffle, "shuffle")
        self.drop_last = check_bool(drop_last, "drop_last")
        self.generator = check_generator(generator)
        if chunk_bytes is not None:
            chunk_bytes = check_positive_int(chunk_bytes, "chunk_bytes")
        self.chunk_bytes = chunk_bytes

    @property
    def chunk_batches(self) -> int | None:
        """Batches gathered per call (at least 1); ``None``: the whole epoch at once."""
        if self.chunk_bytes is None:
            return None
        row_bytes = sum(t[:1].numel() * t.element_size() for t in self.tensors)
        return max(1, self.chunk_bytes // max(row_bytes * self.batch_size, 1))

    @property
    def num_samples(self) -> int:
        """How many samples the tensors hold (their common length)."""
        return len(self.tensors[0])

    def __len__(self) -> int:
        return num_batches(self.num_samples, self.batch_size, drop_last=self.drop_last)

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return (f"TensorBatchLoader({shapes}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, "
                f"chunk_bytes={self.chunk_bytes})")

    def __iter__(self):
        bs, tensors = self.batch_size, self.tensors
        stop = len(self) * bs if self.drop_last else self.num_samples
        chunk_batches = self.chunk_batches
        rows = stop if chunk_batches is None else chunk_batches * bs
        orders = None
        if self.shuffle:
            device = self.generator.device if self.generator is not None else "cpu"
            order = torch.randperm(self.num_samples, generator=self.generator, device=device)
            # One copy of the permutation per device the tensors live on.
            orders = {t.device: order.to(t.device) for t in tensors}
        for start in range(0, stop, max(rows, 1)):
            end = min(start + rows, stop)
            if orders is None:
                chunk = [t[start:end].clone() for t in tensors]
            else:
                chunk = [t.index_select(0, orders[t.device][start:end]) for t in tensors]
            yield from map(list, zip(*(part.split(bs) for part in chunk), strict=True))
            del chunk  # before the next gather: at most this chunk + one a batch holds


class IndexTensorBatchSampler(Sampler):
    """Yield whole batches of indices as ``int64`` tensors: one ``randperm`` per epoch.

    Give it to a ``DataLoader`` as ``sampler=`` with ``batch_size=None``: the loader
    then calls ``dataset[index_tensor]`` once per batch, and a ``TensorDataset``
    answers with one advanced-indexing gather per tensor. (As ``batch_sampler=`` the
    loader calls ``dataset.__getitems__(indices)`` once per batch if the dataset
    defines that batched hook, and otherwise ``dataset[i]`` for every index, then
    ``collate_fn``; ``TensorDataset`` does not define it.)

    >>> s = IndexTensorBatchSampler(5, 2, generator=torch.Generator().manual_seed(0))
    >>> len(s), [b.tolist() for b in s]
    (3, [[4, 0], [1, 3], [2]])
    >>> from torch.utils.data import DataLoader, TensorDataset
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
        return num_batches(self.num_samples, self.batch_size, drop_last=self.drop_last)

    def __iter__(self):
        if self.shuffle:
            order = torch.randperm(self.num_samples, generator=self.generator)
        else:
            order = torch.arange(self.num_samples)
        batches = order.split(self.batch_size)
        return iter(batches[:len(self)])


