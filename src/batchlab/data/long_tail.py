"""Long-tailed data: the class sizes of a long-tailed split, and a Dataset of real digits.

- ``long_tail_counts``: class sizes ``n_c = n_max · ρ^(−c/(C−1))``, the exponential profile
  of CIFAR-10-LT (Cui et al., "Class-Balanced Loss Based on Effective Number of Samples",
  CVPR 2019), rounded down;
- ``long_tail_indices``: pick that many samples of each class at random;
- ``DigitsDataset``: images and labels with a per-sample transform, importable by
  DataLoader workers under every start method (``fork``, ``spawn``, ``forkserver``).

>>> long_tail_counts(100, 10, 50).tolist()
[100, 64, 41, 27, 17, 11, 7, 4, 3, 2]
>>> labels = torch.tensor([0, 0, 0, 1, 1, 1])
>>> long_tail_indices(labels, [2, 1], torch.Generator().manual_seed(0)).tolist()
[2, 0, 5]
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.utils.data import Dataset

from batchlab._checks import check_generator, check_int, check_positive_int, check_real
from batchlab._types import IntVector
from batchlab.data.class_balance import _as_int_vector

__all__ = ["DigitsDataset", "long_tail_counts", "long_tail_indices"]


def long_tail_counts(n_max: int, num_classes: int, imbalance: float) -> torch.Tensor:
    """Class sizes ``n_c = floor(n_max · ρ^(−c/(C−1)))`` for ``c = 0 … C−1`` (int64 tensor).

    The exponential profile used to build CIFAR-10-LT (Cui et al., CVPR 2019): class 0 keeps
    ``n_max`` samples, the last class ``n_max / ρ``, and the sizes in between fall by the
    same factor ``ρ^(1/(C−1))`` from one class to the next. ``imbalance`` is the imbalance
    factor ``ρ = n_max / n_min`` (``ρ = 1``: balanced). Sizes are rounded down, as in the
    reference code; a tolerance of 1e-9 guards against a size that floating point computes
    a hair below a whole number, which rounding down would cost a whole sample.

    >>> long_tail_counts(100, 10, 10).tolist()
    [100, 77, 59, 46, 35, 27, 21, 16, 12, 10]
    >>> long_tail_counts(5, 3, 1).tolist()
    [5, 5, 5]
    >>> long_tail_counts(10, 3, 20)
    Traceback (most recent call last):
    ...
    ValueError: the rarest class would be empty: n_max / imbalance = 10 / 20 = 0.5 < 1
    """
    n_max = check_positive_int(n_max, "n_max")
    num_classes = check_int(num_classes, "num_classes", minimum=2)
    rho = check_real(imbalance, "imbalance", minimum=1.0)
    if n_max / rho < 1:
        raise ValueError(f"the rarest class would be empty: n_max / imbalance = "
                         f"{n_max} / {rho:g} = {n_max / rho:g} < 1")
    sizes = [math.floor(n_max / rho ** (c / (num_classes - 1)) + 1e-9)
             for c in range(num_classes)]
    return torch.tensor(sizes, dtype=torch.int64)


def long_tail_indices(labels: IntVector, counts: IntVector,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Positions of ``counts[c]`` samples of each class ``c``, drawn at random without replacement.

    For each class in order: shuffle the positions ``i`` with ``labels[i] == c``
    (``torch.randperm(n_c, generator=generator)``) and keep the first ``counts[c]``.
    Returns an int64 tensor, class 0's positions first. With the same generator seed, a
    smaller ``counts[c]`` keeps a subset of what a larger one keeps, so long-tailed sets
    built for several imbalance factors are nested. Labels must lie in
    ``[0, len(counts))``; a class may have more samples than requested, never fewer.

    >>> labels = [1, 0, 1, 0, 1, 0]
    >>> pick = long_tail_indices(labels, [3, 1], torch.Generator().manual_seed(0))
    >>> [labels[i] for i in pick.tolist()]
    [0, 0, 0, 1]
    >>> long_tail_indices(labels, [4, 1])
    Traceback (most recent call last):
    ...
    ValueError: counts[0] = 4 but class 0 has only 3 samples
    """
    labels = _as_int_vector(labels, "labels")
    counts = _as_int_vector(counts, "counts")
    check_generator(generator)
    if int(counts.min()) < 0:
        raise ValueError(f"counts must be >= 0, got {counts.tolist()}")
    if int(labels.min()) < 0 or int(labels.max()) >= len(counts):
        raise ValueError(f"labels must be class indices in [0, len(counts)) = [0, {len(counts)}),"
                         f" got values from {int(labels.min())} to {int(labels.max())}")
    picked = []
    for c, n in enumerate(counts.tolist()):
        members = torch.nonzero(labels == c).flatten()
        if n > len(members):
            raise ValueError(f"counts[{c}] = {n} but class {c} has only {len(members)} samples")
        picked.append(members[torch.randperm(len(members), generator=generator)[:n]])
    return torch.cat(picked)


class DigitsDataset(Dataset):
    """Images ``[N, 1, H, W]`` with their labels; ``transform`` runs on each image it returns.

    >>> ds = DigitsDataset(torch.zeros(3, 1, 8, 8), torch.tensor([0, 1, 1]))
    >>> image, label = ds[2]
    >>> len(ds), list(image.shape), label.item()
    (3, [1, 8, 8], 1)
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor,
                 transform: Callable | None = None):
        _check_images_labels(images, labels, transform)
        self.images = images            # float [N, 1, H, W], values in [0, 1]
        self.labels = labels            # int64 [N]
        self.transform = transform      # e.g. a torchvision.transforms.v2 pipeline

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)   # a fresh random augmentation on every call
        return image, self.labels[index]


def _check_images_labels(images, labels, transform) -> None:
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        raise TypeError("images must be a floating-point tensor [N, 1, H, W]")
    if images.dim() != 4:
        raise ValueError(f"images must have shape [N, 1, H, W], got {list(images.shape)}")
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        raise TypeError("labels must be an int64 tensor [N] (class indices)")
    if labels.dim() != 1 or len(labels) != len(images):
        raise ValueError(f"labels must have shape [N] with N = len(images) = {len(images)}, "
                         f"got {list(labels.shape)}")
    if transform is not None and not callable(transform):
        raise TypeError(f"transform must be callable or None, got {type(transform).__name__}")


# ------------------------------------------------------------------ figures and the widget


