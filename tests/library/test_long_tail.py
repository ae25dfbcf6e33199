"""batchlab.data.long_tail: the long-tail split and DigitsDataset."""

import math
import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from batchlab.data.long_tail import DigitsDataset, long_tail_counts, long_tail_indices


# ------------------------------------------------------------------------ long_tail_counts
@pytest.mark.parametrize("n_max, num_classes, rho", [(100, 10, 50), (5000, 10, 100), (100, 10, 10),
                                                     (30, 3, 1), (64, 7, 8), (1, 2, 1)])
def test_counts_follow_the_exponential_profile(n_max, num_classes, rho):
    counts = long_tail_counts(n_max, num_classes, rho)
    assert counts.dtype == torch.int64 and counts.shape == (num_classes,)
    exact = [n_max * rho ** (-c / (num_classes - 1)) for c in range(num_classes)]
    assert all(math.floor(e - 1e-9) <= k <= math.floor(e + 1e-9)
               for k, e in zip(counts.tolist(), exact, strict=True))
    assert counts[0] == n_max and counts[-1] == math.floor(n_max / rho + 1e-9)
    assert (counts[1:] <= counts[:-1]).all()


def test_counts_cifar10_lt_and_balanced():
    # CIFAR-10-LT with rho = 100 (Cui et al. 2019): 5000 images in the head, 50 in the tail.
    cifar = long_tail_counts(5000, 10, 100).tolist()
    assert cifar[0] == 5000 and cifar[-1] == 50 and sum(cifar) == 12406
    assert long_tail_counts(7, 4, 1).tolist() == [7, 7, 7, 7]
    assert long_tail_counts(100, 10, 50).tolist()[-2:] == [3, 2]   # 100 / 50 is 2, not 1


@pytest.mark.parametrize("args, exc, word", [
    ((100, 10, 0.5), ValueError, "imbalance"),
    ((10, 3, 20), ValueError, "rarest class"),
    ((100, 1, 10), ValueError, "num_classes"),
    ((0, 10, 10), ValueError, "n_max"),
    ((100.0, 10, 10), TypeError, "n_max"),
    ((100, 10, "10"), TypeError, "imbalance"),
    ((100, True, 10), TypeError, "num_classes"),
    ((100, 10, float("nan")), ValueError, "imbalance"),
])
def test_counts_reject_bad_input(args, exc, word):
    with pytest.raises(exc, match=word):
        long_tail_counts(*args)


# ------------------------------------------------------------------------ long_tail_indices
def _labels():
    return torch.arange(4).repeat_interleave(torch.tensor([6, 5, 4, 3]))[torch.randperm(
        18, generator=torch.Generator().manual_seed(1))]


def test_indices_take_the_requested_counts_without_repeats():
    labels = _labels()
    idx = long_tail_indices(labels, [5, 3, 2, 1], torch.Generator().manual_seed(0))
    assert idx.dtype == torch.int64
    assert torch.bincount(labels[idx], minlength=4).tolist() == [5, 3, 2, 1]
    assert len(set(idx.tolist())) == len(idx)
    assert labels[idx].tolist() == sorted(labels[idx].tolist())   # class 0 first, then 1, ...


def test_indices_are_deterministic_and_nested():
    labels = _labels()
    a = long_tail_indices(labels, [6, 5, 4, 3], torch.Generator().manual_seed(3))
    b = long_tail_indices(labels, [6, 5, 4, 3], torch.Generator().manual_seed(3))
    small = long_tail_indices(labels, [6, 2, 1, 1], torch.Generator().manual_seed(3))
    other = long_tail_indices(labels, [6, 2, 1, 1], torch.Generator().manual_seed(4))
    assert torch.equal(a, b)
    assert set(small.tolist()) <= set(a.tolist())
    assert not torch.equal(small, other)


def test_indices_accept_lists_numpy_and_zero_counts():
    labels = [0, 1, 0, 1, 2]
    idx = long_tail_indices(np.array(labels), np.array([2, 0, 1]))
    assert sorted(idx.tolist()) == [0, 2, 4]


@pytest.mark.parametrize("labels, counts, kwargs, exc, word", [
    ([0, 0, 1], [3, 1], {}, ValueError, "class 0 has only 2"),
    ([0, 0, 2], [1, 1], {}, ValueError, "labels must be class indices"),
    ([0, -1], [1, 1], {}, ValueError, "labels"),
    ([0, 1], [1, -1], {}, ValueError, "counts must be >= 0"),
    ([0, 1], [1.0, 1.0], {}, TypeError, "counts"),
    ([0.0, 1.0], [1, 1], {}, TypeError, "labels"),
    ([0, 1], [1, 1], {"generator": 0}, TypeError, "generator"),
    ([], [1], {}, ValueError, "labels"),
])
def test_indices_reject_bad_input(labels, counts, kwargs, exc, word):
    with pytest.raises(exc, match=word):
        long_tail_indices(labels, counts, **kwargs)


# ------------------------------------------------------------------------ DigitsDataset
def _images(n=6):
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(0))


def test_dataset_returns_pairs_and_applies_the_transform_each_time():
    images, labels = _images(), torch.tensor([0, 1, 2, 0, 1, 2])
    plain = DigitsDataset(images, labels)
    image, label = plain[4]
    assert len(plain) == 6 and torch.equal(image, images[4]) and label.item() == 1
    calls = []

    def flip(x):
        calls.append(1)
        return x.flip(-1)

    flipped = DigitsDataset(images, labels, flip)
    assert torch.equal(flipped[4][0], images[4].flip(-1)) and torch.equal(flipped[4][1], label)
    assert len(calls) == 2


def test_dataset_batches_and_pickles():
    images, labels = _images(), torch.tensor([0, 1, 2, 0, 1, 2])
    ds = DigitsDataset(images, labels)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert list(x.shape) == [4, 1, 8, 8] and y.tolist() == [0, 1, 2, 0]
    copy = pickle.loads(pickle.dumps(ds))
    assert torch.equal(copy.images, images) and torch.equal(copy.labels, labels)


def test_dataset_works_in_spawned_workers_with_a_v2_transform():
    from torchvision.transforms import v2

    ds = DigitsDataset(_images(4), torch.tensor([3, 1, 2, 0]),
                       v2.RandomAffine(degrees=10, scale=(0.9, 1.1)))
    loader = DataLoader(ds, batch_size=2, num_workers=1, multiprocessing_context="spawn")
    batches = list(loader)
    assert [y.tolist() for _, y in batches] == [[3, 1], [2, 0]]
    assert all(x.shape == (2, 1, 8, 8) for x, _ in batches)


@pytest.mark.parametrize("images, labels, transform, exc, word", [
    (torch.zeros(2, 8, 8), torch.tensor([0, 1]), None, ValueError, "images"),
    (torch.zeros(2, 1, 8, 8, dtype=torch.uint8), torch.tensor([0, 1]), None, TypeError, "images"),
    (np.zeros((2, 1, 8, 8)), torch.tensor([0, 1]), None, TypeError, "images"),
    (torch.zeros(2, 1, 8, 8), torch.tensor([0.0, 1.0]), None, TypeError, "labels"),
    (torch.zeros(2, 1, 8, 8), torch.tensor([0, 1, 2]), None, ValueError, "labels"),
    (torch.zeros(2, 1, 8, 8), torch.tensor([0, 1]), "flip", TypeError, "transform"),
])
def test_dataset_rejects_bad_input(images, labels, transform, exc, word):
    with pytest.raises(exc, match=word):
        DigitsDataset(images, labels, transform)


