"""Tests for batchlab.data.samplers: check_weights, weighted_sampler and the two batch samplers."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

from batchlab.data.collate import pad_collate
from batchlab.data.datasets import SequenceDataset
from batchlab.data.samplers import (
    BucketBatchSampler,
    ClassBalancedBatchSampler,
    check_weights,
    padding_fraction,
    weighted_sampler,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- check_weights
def test_check_weights_accepts_and_converts():
    for w in ([0, 10, 1], np.array([0.0, 10.0, 1.0]), torch.tensor([0, 10, 1])):
        out = check_weights(w)
        assert out.dtype == torch.float64 and out.tolist() == [0.0, 10.0, 1.0]


@pytest.mark.parametrize("weights, match", [
    ([1.0, -2.0], r"weights must be >= 0, got -2.0 at index 1"),
    ([1.0, float("nan")], r"weights must not be NaN, got nan at index 1"),
    ([float("inf"), 1.0], r"weights must be finite, got inf at index 0"),
    ([0, 0, 0], r"weights are all zero"),
    ([], r"weights is empty"),
    ([[1.0, 2.0]], r"weights must be 1-D"),
    ([1e308, 1e308], r"sum to infinity"),
])
def test_check_weights_rejects(weights, match):
    with pytest.raises(ValueError, match=match):
        check_weights(weights)


def test_check_weights_names_the_argument_and_type_errors():
    with pytest.raises(ValueError, match="sample_w must be >= 0"):
        check_weights([-1], name="sample_w")
    for bad in ("abc", 3, ["a", "b"], torch.tensor([1j])):
        with pytest.raises(TypeError, match="weights"):
            check_weights(bad)


@pytest.mark.parametrize("weights", [[1.0, -2.0], [0.0, 0.0], [float("inf"), 1.0]])
def test_torch_only_fails_at_iteration(weights):
    sampler = WeightedRandomSampler(weights, 2)  # construction succeeds
    with pytest.raises(RuntimeError):  # torch's wording is torch's: only the type is checked
        list(sampler)
    with pytest.raises(ValueError):
        weighted_sampler(weights, 2)


def test_weighted_sampler():
    s = weighted_sampler([0, 10, 1, 1, 1, 1], 60000, generator=gen())
    draws = torch.tensor(list(s))
    assert len(s) == 60000 and not (draws == 0).any()
    assert (draws == 1).float().mean().item() == pytest.approx(10 / 14, abs=0.01)
    assert len(weighted_sampler([1, 2, 3])) == 3
    with pytest.raises(ValueError, match="exceeds the 2 nonzero weights"):
        weighted_sampler([0, 1, 1], 3, replacement=False)
    assert sorted(weighted_sampler([0, 1, 1], 2, replacement=False, generator=gen())) == [1, 2]
    with pytest.raises(TypeError, match="generator"):
        weighted_sampler([1, 1], generator=0)
    with pytest.raises(TypeError, match="replacement"):
        weighted_sampler([1, 1], replacement=1)
    with pytest.raises(ValueError, match="num_samples"):
        weighted_sampler([1, 1], 0)


# ---------------------------------------------------- ClassBalancedBatchSampler
def composition(sampler, labels):
    labels = torch.as_tensor(labels)
    return [torch.bincount(labels[torch.tensor(b)], minlength=int(labels.max()) + 1).tolist()
            for b in sampler]


def test_class_balanced_exact_composition_and_len():
    labels = [0] * 90 + [1] * 9 + [2] * 3
    s = ClassBalancedBatchSampler(labels, 6, generator=gen())
    assert len(s) == 45  # ceil(90 / 2): one pass over the largest class
    batches = list(s)
    assert len(batches) == 45 and all(isinstance(b, list) for b in batches)
    assert all(isinstance(i, int) for i in batches[0])
    assert composition(batches, labels) == [[2, 2, 2]] * 45
    # the largest class is seen exactly once; small classes are recycled evenly
    flat = torch.tensor(batches).flatten()
    assert torch.equal(torch.sort(flat[flat < 90]).values, torch.arange(90))
    rare = torch.bincount(flat[flat >= 99] - 99, minlength=3)
    assert rare.tolist() == [30, 30, 30]


def test_class_balanced_each_pass_is_a_permutation():
    labels = [0] * 7 + [1] * 3
    s = ClassBalancedBatchSampler(labels, 2, num_batches=9, generator=gen())
    flat = torch.tensor(list(s)).flatten()
    ones = flat[flat >= 7].tolist()  # 9 draws of class 1: three full passes over 3 samples
    for k in range(3):
        assert sorted(ones[3 * k:3 * k + 3]) == [7, 8, 9]


def test_class_balanced_num_batches_and_largest_once():
    labels = [0] * 7 + [1] * 2
    assert len(ClassBalancedBatchSampler(labels, 4)) == 4  # ceil(7 / 2)
    assert len(ClassBalancedBatchSampler(labels, 4, largest_once=True)) == 3  # floor(7 / 2)
    s = ClassBalancedBatchSampler(labels, 4, largest_once=True, generator=gen())
    flat = torch.tensor(list(s)).flatten()
    zeros = flat[flat < 7]
    assert len(zeros) == 6 and len(set(zeros.tolist())) == 6  # no class-0 sample twice
    s = ClassBalancedBatchSampler(labels, 4, num_batches=11, generator=gen())
    assert len(s) == 11 and len(list(s)) == 11


def test_class_balanced_determinism():
    labels = torch.randint(0, 4, (500,), generator=gen(1))
    a = list(ClassBalancedBatchSampler(labels, 8, generator=gen(3)))
    b = list(ClassBalancedBatchSampler(labels, 8, generator=gen(3)))
    c = list(ClassBalancedBatchSampler(labels, 8, generator=gen(4)))
    assert a == b and a != c
    s = ClassBalancedBatchSampler(labels, 8, generator=gen(3))
    assert list(s) == a and list(s) != a  # the generator advances between epochs


def test_class_balanced_without_generator_uses_global_seed():
    labels = [0, 0, 1, 1, 1, 1]
    torch.manual_seed(0)
    a = list(ClassBalancedBatchSampler(labels, 2))
    torch.manual_seed(0)
    assert list(ClassBalancedBatchSampler(labels, 2)) == a


def test_class_balanced_in_a_dataloader():
    labels = torch.tensor([0] * 20 + [1] * 4)
    ds = TensorDataset(torch.arange(24).float(), labels)
    loader = DataLoader(ds, batch_sampler=ClassBalancedBatchSampler(labels, 4, generator=gen()))
    assert len(loader) == 10
    for x, y in loader:
        assert x.shape == (4,) and y.tolist().count(1) == 2


def test_class_balanced_non_contiguous_labels():
    labels = [3, 3, 7, 7, 7, 3]  # the classes present are 3 and 7
    s = ClassBalancedBatchSampler(labels, 2, generator=gen())
    assert s.classes.tolist() == [3, 7] and len(s) == 3
    assert all(sorted(labels[i] for i in b) == [3, 7] for b in s)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(labels=[0, 1, 2], batch_size=4), ValueError, r"multiple of the number of classes \(3\)"),
    (dict(labels=[], batch_size=2), ValueError, "labels is empty"),
    (dict(labels=[0, -1], batch_size=2), ValueError, "labels must be class indices >= 0"),
    (dict(labels=[0.0, 1.0], batch_size=2), TypeError, "labels must hold integers"),
    (dict(labels=[0, 1], batch_size=0), ValueError, "batch_size must be a positive integer"),
    (dict(labels=[0, 1], batch_size=2.0), TypeError, "batch_size"),
    (dict(labels=[0, 1], batch_size=2, num_batches=0), ValueError, "num_batches"),
    (dict(labels=[0, 1], batch_size=2, num_batches=3, largest_once=True), ValueError,
     "not both"),
    (dict(labels=[0, 1], batch_size=4, largest_once=True), ValueError, "leaves no batch"),
    (dict(labels=[0, 1], batch_size=2, largest_once=1), TypeError, "largest_once"),
    (dict(labels=[0, 1], batch_size=2, generator=0), TypeError, "generator"),
])
def test_class_balanced_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        ClassBalancedBatchSampler(**kwargs)


@given(st.lists(st.integers(0, 4), min_size=1, max_size=80),
       st.integers(1, 4), st.integers(1, 30), st.booleans(), st.integers(0, 2**31))
@settings(max_examples=80, deadline=None)
def test_class_balanced_composition_for_any_labels(labels, per_class, num_batches, use_default,
                                                   seed):
    present = sorted(set(labels))
    batch_size = per_class * len(present)
    kw = {} if use_default else {"num_batches": num_batches}
    s = ClassBalancedBatchSampler(labels, batch_size, generator=gen(seed), **kw)
    largest = max(labels.count(c) for c in present)
    assert len(s) == (math.ceil(largest / per_class) if use_default else num_batches)
    batches = list(s)
    assert len(batches) == len(s)
    for b in batches:
        assert len(b) == batch_size and all(0 <= i < len(labels) for i in b)
        mix = [labels[i] for i in b]
        assert all(mix.count(c) == per_class for c in present)


# ------------------------------------------------------------ BucketBatchSampler
def test_bucket_batches_cover_every_index_once_and_cut_padding():
    ds = SequenceDataset(400, min_len=2, max_len=40, seed=0)
    plain = DataLoader(ds, batch_size=16, shuffle=True, generator=gen()).batch_sampler
    bucket = BucketBatchSampler(ds.lengths, 16, generator=gen())
    batches = list(bucket)
    assert len(bucket) == len(batches) == 25
    assert sorted(i for b in batches for i in b) == list(range(400))
    assert padding_fraction(bucket, ds.lengths) < padding_fraction(plain, ds.lengths) / 3
    loader = DataLoader(ds, batch_sampler=bucket, collate_fn=pad_collate)
    padded, lengths, _ = next(iter(loader))
    assert padded.shape[1] == int(lengths.max())


def test_bucket_last_batch_and_drop_last():
    lengths = list(range(1, 11))
    s = BucketBatchSampler(lengths, 4, pool_batches=1, generator=gen())
    sizes = sorted(len(b) for b in s)
    assert len(s) == 3 and sizes == [2, 4, 4]
    s = BucketBatchSampler(lengths, 4, pool_batches=1, drop_last=True, generator=gen())
    assert len(s) == 2 and [len(b) for b in s] == [4, 4]


def test_bucket_determinism():
    lengths = torch.randint(1, 50, (300,), generator=gen(1))
    a = list(BucketBatchSampler(lengths, 8, generator=gen(5)))
    assert a == list(BucketBatchSampler(lengths, 8, generator=gen(5)))
    assert a != list(BucketBatchSampler(lengths, 8, generator=gen(6)))


@given(st.lists(st.integers(0, 30), min_size=1, max_size=100), st.integers(1, 10),
       st.integers(1, 5), st.booleans())
@settings(max_examples=60, deadline=None)
def test_bucket_property(lengths, batch_size, pool_batches, drop_last):
    s = BucketBatchSampler(lengths, batch_size, pool_batches=pool_batches, drop_last=drop_last,
                           generator=gen())
    batches = list(s)
    assert len(batches) == len(s)
    flat = sorted(i for b in batches for i in b)
    assert len(flat) == len(set(flat))
    assert len(flat) == (len(lengths) // batch_size * batch_size if drop_last else len(lengths))
    assert sum(len(b) < batch_size for b in batches) <= (0 if drop_last else 1)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(lengths=[], batch_size=2), ValueError, "lengths is empty"),
    (dict(lengths=[1, -1], batch_size=2), ValueError, "lengths must be >= 0"),
    (dict(lengths=[1.5], batch_size=2), TypeError, "lengths must hold integers"),
    (dict(lengths=[1, 2], batch_size=0), ValueError, "batch_size"),
    (dict(lengths=[1, 2], batch_size=2, pool_batches=0), ValueError, "pool_batches"),
    (dict(lengths=[1, 2], batch_size=2, generator="g"), TypeError, "generator"),
])
def test_bucket_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        BucketBatchSampler(**kwargs)


def test_padding_fraction():
    assert padding_fraction([[0, 1], [2]], [1, 3, 2]) == 0.25
    assert padding_fraction([[0, 1, 2]], [4, 4, 4]) == 0.0
    with pytest.raises(ValueError, match="batch indices"):
        padding_fraction([[0, 3]], [1, 2, 3])
    with pytest.raises(ValueError, match="nonzero length"):
        padding_fraction([[0]], [0])


def test_class_balanced_mixes_order_within_batches():
    labels = [0] * 50 + [1] * 50
    s = ClassBalancedBatchSampler(labels, 4, generator=gen())
    first = {labels[b[0]] for b in s}
    assert first == {0, 1}  # not always class 0 first
