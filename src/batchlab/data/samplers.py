"""Samplers that torch does not ship, and a weight check that fails early.

- ``check_weights``: reject negative, NaN, infinite or all-zero sampling weights when a
  sampler is *built*. ``torch.utils.data.WeightedRandomSampler`` accepts them and only
  fails when it is iterated, with ``RuntimeError: invalid multinomial distribution …``.
- ``weighted_sampler``: a ``WeightedRandomSampler`` built from checked weights.
- ``ClassBalancedBatchSampler``: every batch holds the same number of samples of each class.
- ``BucketBatchSampler``: batches of sequences of similar length, so less padding.
- ``padding_fraction``: the share of padded positions a list of batches produces.

Each batch sampler yields lists of ints, like ``torch.utils.data.BatchSampler``, so it
goes to ``DataLoader(dataset, batch_sampler=...)``.

>>> s = ClassBalancedBatchSampler([0, 0, 0, 0, 0, 0, 1, 1], batch_size=4,
...                               generator=torch.Generator().manual_seed(0))
>>> len(s), [sorted(int(i >= 6) for i in batch) for batch in s]
(3, [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import torch
from torch.utils.data import Sampler, WeightedRandomSampler

from batchlab._checks import check_bool, check_generator, check_int, check_positive_int
from batchlab._types import IntVector, RealVector
from batchlab.data.class_balance import _as_int_vector

__all__ = ["BucketBatchSampler", "check_weights", "ClassBalancedBatchSampler", "num_batches",
           "padding_fraction", "weighted_sampler"]


def check_weights(weights: RealVector, name: str = "weights") -> torch.Tensor:
    """Return ``weights`` as a 1-D float64 tensor, or raise a ``ValueError`` that names the problem.

    Rejected: not 1-D, empty, NaN, infinite, negative, all zero. (``WeightedRandomSampler``
    accepts all of these and fails only later, at iteration.)

    >>> check_weights([0, 10, 1]).tolist()
    [0.0, 10.0, 1.0]
    >>> check_weights([1.0, -2.0])
    Traceback (most recent call last):
    ...
    ValueError: weights must be >= 0, got -2.0 at index 1
    >>> check_weights([0, 0, 0])
    Traceback (most recent call last):
    ...
    ValueError: weights are all zero: there is nothing to draw
    """
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
        raise TypeError(f"{name} must be a 1-D sequence of numbers (list, NumPy array or "
                        f"tensor), got {type(weights).__name__}")
    try:
        if isinstance(weights, torch.Tensor):
            if weights.is_complex():
                raise TypeError(f"complex dtype {weights.dtype}")
            tensor = weights.detach().cpu().double()
        else:
            tensor = torch.as_tensor(weights, dtype=torch.double)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a 1-D sequence of real numbers: {err}") from None
    if tensor.dim() != 1:
        raise ValueError(f"{name} must be 1-D (one weight per sample), "
                         f"got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise ValueError(f"{name} is empty: need one weight per sample")
    for bad, what in ((torch.isnan(tensor), "must not be NaN"),
                      (torch.isinf(tensor), "must be finite"),
                      (tensor < 0, "must be >= 0")):
        if bad.any():
            i = int(bad.nonzero()[0])
            raise ValueError(f"{name} {what}, got {float(tensor[i])} at index {i}")
    total = float(tensor.sum())
    if total == 0:
        raise ValueError(f"{name} are all zero: there is nothing to draw")
    if total == float("inf"):
        raise ValueError(f"{name} sum to infinity in float64: scale them down")
    return tensor


def weighted_sampler(weights: RealVector, num_samples: int | None = None, *,
                     replacement: bool = True,
                     generator: torch.Generator | None = None) -> WeightedRandomSampler:
    """A ``WeightedRandomSampler`` whose weights were checked by ``check_weights``.

    ``num_samples`` defaults to ``len(weights)`` (one epoch's worth). Without replacement,
    ``num_samples`` must not exceed the number of nonzero weights: torch would fill the
    rest with zero-weight samples instead of refusing. (``torch.multinomial``'s docstring
    asks for strictly fewer; exactly as many is let through, because the installed torch
    returns a permutation of the nonzero indices then — behaviour, not a documented promise.)

    >>> s = weighted_sampler([0, 10, 1], generator=torch.Generator().manual_seed(0))
    >>> len(s), 0 in list(s)
    (3, False)
    >>> weighted_sampler([0, 1, 1], 3, replacement=False)
    Traceback (most recent call last):
    ...
    ValueError: num_samples=3 exceeds the 2 nonzero weights, which replacement=False cannot draw
    """
    tensor = check_weights(weights)
    replacement = check_bool(replacement, "replacement")
    if num_samples is None:
        num_samples = len(tensor)
    num_samples = check_positive_int(num_samples, "num_samples")
    nonzero = int((tensor > 0).sum())
    if not replacement and num_samples > nonzero:
        raise ValueError(f"num_samples={num_samples} exceeds the {nonzero} nonzero weights, "
                         f"which replacement=False cannot draw")
    check_generator(generator)
    return WeightedRandomSampler(tensor, num_samples, replacement=replacement,
                                 generator=generator)


def _epoch_generator(generator: torch.Generator | None) -> torch.Generator:
    """The generator to use for one epoch: the given one, or (as ``RandomSampler`` does)
    a fresh one seeded from torch's global RNG."""
    if generator is not None:
        return generator
    seed = int(torch.empty((), dtype=torch.int64).random_().item())
    return torch.Generator().manual_seed(seed)


class ClassBalancedBatchSampler(Sampler[list[int]]):
    """Batches with exactly ``batch_size / C`` samples of each of the ``C`` classes.

    ``C`` is the number of distinct values in ``labels`` (the classes present);
    ``batch_size`` must be a multiple of it. Each class's samples are drawn in shuffled
    order without replacement; when a class runs out it is reshuffled and drawing
    continues, so small classes repeat within an epoch (and within a batch if
    ``batch_size / C`` exceeds a class's size). Samples in a batch come in random order.
    Every epoch (every ``iter``) starts fresh shuffles.

    ``num_batches`` (batches per epoch) defaults to enough batches for one pass over the
    largest class: ``ceil(n_max / (batch_size / C))``. The last of these batches may then
    start a second, partial pass over the largest class; ``largest_once=True`` drops that
    batch (``floor`` instead of ``ceil``), so no sample of the largest class appears twice in
    an epoch. ``largest_once`` only applies to that default: passing both is an error.
    (Every batch here is full, so ``BatchSampler``'s ``drop_last``, which drops a short last
    batch, has nothing to drop; hence a name of its own.)

    Deterministic given ``generator`` (its state advances, so successive epochs differ);
    with ``generator=None`` each epoch is seeded from torch's global RNG, like
    ``RandomSampler``. Yields lists of ints, so use it as
    ``DataLoader(dataset, batch_sampler=sampler)``.

    >>> labels = [0] * 6 + [1] * 2 + [2] * 4
    >>> s = ClassBalancedBatchSampler(labels, 6, generator=torch.Generator().manual_seed(0))
    >>> len(s), [sorted(labels[i] for i in b) for b in s]
    (3, [[0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2]])
    >>> ClassBalancedBatchSampler(labels, 4)
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be a multiple of the number of classes (3), got 4
    """

    def __init__(self, labels: IntVector, batch_size: int, *, num_batches: int | None = None,
                 generator: torch.Generator | None = None, largest_once: bool = False):
        labels = _as_int_vector(labels, "labels")
        if int(labels.min()) < 0:
            raise ValueError(f"labels must be class indices >= 0, got {int(labels.min())}")
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.largest_once = check_bool(largest_once, "largest_once")
        check_generator(generator)
        self.generator = generator
        self.labels = labels
        self.classes, self.class_counts = torch.unique(labels, return_counts=True)
        num_classes = len(self.classes)
        if self.batch_size % num_classes:
            raise ValueError(f"batch_size must be a multiple of the number of classes "
                             f"({num_classes}), got {batch_size}")
        self.per_class = self.batch_size // num_classes
        order = torch.argsort(labels, stable=True)
        self._class_indices = list(torch.split(order, self.class_counts.tolist()))
        largest = int(self.class_counts.max())
        if num_batches is None:  # one pass over the largest class: the len(loader) formula
            num_batches = _len_formula(largest, self.per_class, drop_last=self.largest_once)
            if num_batches == 0:
                raise ValueError(f"largest_once=True leaves no batch: batch_size / C = "
                                 f"{self.per_class} exceeds the largest class ({largest})")
        else:
            if self.largest_once:
                raise ValueError("largest_once=True only applies to the default num_batches; "
                                 "pass num_batches or largest_once, not both")
            num_batches = check_positive_int(num_batches, "num_batches")
        self.num_batches = num_batches

    def __len__(self) -> int:
        return self.num_batches

    def _batches(self) -> torch.Tensor:
        """One epoch as an int64 tensor of shape ``[num_batches, batch_size]``."""
        g = _epoch_generator(self.generator)
        draws = self.num_batches * self.per_class  # samples of each class per epoch
        columns = []
        for indices in self._class_indices:
            n = len(indices)
            passes = -(-draws // n)  # shuffled passes over this class
            if passes <= 128:  # few long passes: one randperm each (fast)
                perms = torch.cat([torch.randperm(n, generator=g) for _ in range(passes)])
            else:  # many short passes: all at once, one random key per slot, sorted per row
                perms = torch.rand(passes, n, generator=g, dtype=torch.float64).argsort(dim=1)
            columns.append(indices[perms.flatten()[:draws]].view(self.num_batches,
                                                                 self.per_class))
        batches = torch.cat(columns, dim=1)
        mix = torch.rand(batches.shape, generator=g).argsort(dim=1)
        return batches.gather(1, mix)

    def __iter__(self) -> Iterator[list[int]]:
        yield from self._batches().tolist()


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of sequences of similar length, to cut the padding ``pad_collate`` adds.

    Each epoch: shuffle all indices, cut them into pools of ``pool_batches * batch_size``,
    sort each pool by length, cut it into batches, then shuffle the order of the batches.
    Every sample appears exactly once per epoch; only the last batch can be smaller than
    ``batch_size`` (``drop_last=True`` drops it). A bigger pool means less padding but
    less randomness in which samples share a batch. Deterministic given ``generator``.

    >>> lengths = [1, 9, 2, 8, 3, 7, 4, 6]
    >>> s = BucketBatchSampler(lengths, 2, pool_batches=4,
    ...                        generator=torch.Generator().manual_seed(0))
    >>> sorted(sorted(lengths[i] for i in b) for b in s)
    [[1, 2], [3, 4], [6, 7], [8, 9]]
    """

    def __init__(self, lengths: RealVector, batch_size: int, *, pool_batches: int = 8,
                 generator: torch.Generator | None = None, drop_last: bool = False):
        lengths = _as_int_vector(lengths, "lengths")
        if int(lengths.min()) < 0:
            raise ValueError(f"lengths must be >= 0, got {int(lengths.min())}")
        self.lengths = lengths
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.pool_batches = check_positive_int(pool_batches, "pool_batches")
        self.drop_last = check_bool(drop_last, "drop_last")
        check_generator(generator)
        self.generator = generator

    def __len__(self) -> int:
        n = len(self.lengths)
        return num_batches(n, self.batch_size, drop_last=self.drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        g = _epoch_generator(self.generator)
        n = len(self.lengths)
        perm = torch.randperm(n, generator=g)
        pool = torch.arange(n) // (self.pool_batches * self.batch_size)
        key = pool * (int(self.lengths.max()) + 1) + self.lengths[perm]
        ordered = perm[torch.sort(key, stable=True).indices]
        batches = list(torch.split(ordered, self.batch_size))
        if self.drop_last and len(batches[-1]) < self.batch_size:
            batches.pop()
        for b in torch.randperm(len(batches), generator=g).tolist():
            yield batches[b].tolist()


def padding_fraction(batches: Iterable[Sequence[int]], lengths: RealVector) -> float:
    """The share of positions that are padding when each batch is padded to its longest item.

    ``batches`` is an iterable of index lists (a batch sampler, or a list of lists);
    ``lengths[i]`` is the length of sample ``i``.

    >>> padding_fraction([[0, 1], [2]], [1, 3, 2])
    0.25
    """
    lengths = _as_int_vector(lengths, "lengths")
    padded = used = 0
    for batch in batches:
        index = _as_int_vector(batch, "each batch")
        if int(index.min()) < 0 or int(index.max()) >= len(lengths):
            raise ValueError(f"batch indices must be in [0, {len(lengths)}), got {index.tolist()}")
        batch_lengths = lengths[index]
        padded += len(index) * int(batch_lengths.max())
        used += int(batch_lengths.sum())
    if padded == 0:
        raise ValueError("batches must contain at least one index with a nonzero length")
    return (padded - used) / padded


def num_batches(n: int, batch_size: int, *, drop_last: bool = False) -> int:
    """``len(loader)`` for a map-style dataset of ``n`` items: ``ceil(n / batch_size)``,
    or ``floor(n / batch_size)`` with ``drop_last=True``.

    The one formula for ``len(DataLoader)``, ``len(BatchSampler)`` and every batch sampler
    in this package; a property test checks it against ``torch.utils.data`` itself.

    >>> num_batches(50, 8), num_batches(50, 8, drop_last=True)
    (7, 6)
    >>> num_batches(5, 8, drop_last=True), num_batches(0, 8)  # an empty dataset: no batch
    (0, 0)
    """
    n = check_int(n, "n", minimum=0)
    batch_size = check_positive_int(batch_size, "batch_size")
    drop_last = check_bool(drop_last, "drop_last")
    return n // batch_size if drop_last else -(-n // batch_size)


# For code whose own parameter is called ``num_batches`` (ClassBalancedBatchSampler).
_len_formula = num_batches


