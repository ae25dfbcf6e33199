"""Tests for batchlab.data.class_balance: class counts, class weights and per-sample weights."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.class_weight import compute_class_weight

from batchlab.data.class_balance import class_counts, class_weights, sample_weights

# label arrays in which every class 0..C-1 appears at least once
labels_strategy = st.integers(min_value=1, max_value=6).flatmap(
    lambda c: st.lists(st.integers(0, c - 1), min_size=1, max_size=60).map(
        lambda extra: list(range(c)) + extra))


def test_seed_001_cat_dog_example():
    labels = [0, 0, 1, 1, 1]  # cat, cat, dog, dog, dog
    assert class_counts(labels).tolist() == [2, 3]
    assert torch.allclose(class_weights(labels), torch.tensor([2.5, 5 / 3]))
    w = sample_weights(labels)
    assert w.dtype == torch.float64 and w.shape == (5,)
    assert torch.allclose(w, torch.tensor([2.5, 2.5, 5 / 3, 5 / 3, 5 / 3], dtype=torch.float64))


def test_input_types_agree():
    expected = class_counts([2, 0, 2, 1])
    for labels in (torch.tensor([2, 0, 2, 1]), np.array([2, 0, 2, 1]),
                   np.array([2, 0, 2, 1], dtype=np.uint8), (2, 0, 2, 1)):
        assert torch.equal(class_counts(labels), expected)
    assert expected.dtype == torch.int64


def test_num_classes_pads_counts():
    assert class_counts([1, 1], num_classes=4).tolist() == [0, 2, 0, 0]


@pytest.mark.parametrize("labels", [[0, 0, 0, 1], [2, 0, 1, 1, 1, 2, 2, 2], [0, 1, 2, 3, 3]])
def test_balanced_matches_sklearn(labels):
    classes = np.arange(max(labels) + 1)
    expected = compute_class_weight("balanced", classes=classes, y=np.array(labels))
    assert np.allclose(class_weights(labels, "balanced").numpy(), expected)


@given(labels_strategy)
@settings(max_examples=60, deadline=None)
def test_balanced_matches_sklearn_property(labels):
    y = np.array(labels)
    expected = compute_class_weight("balanced", classes=np.unique(y), y=y)
    assert np.allclose(class_weights(labels, "balanced").numpy(), expected, rtol=1e-6)


@given(labels_strategy, st.sampled_from(["inverse", "balanced"]))
@settings(max_examples=60, deadline=None)
def test_every_class_gets_the_same_total_weight(labels, scheme):
    w = sample_weights(labels, scheme)
    per_class = torch.zeros(max(labels) + 1, dtype=torch.float64).index_add_(
        0, torch.tensor(labels), w)
    assert torch.allclose(per_class, per_class[0].expand_as(per_class))
    assert len(w) == len(labels)


@given(labels_strategy, st.floats(min_value=0.0, max_value=0.9999))
@settings(max_examples=60, deadline=None)
def test_effective_sums_to_num_classes_and_favours_rare_classes(labels, beta):
    w = class_weights(labels, "effective", beta=beta).double()
    counts = class_counts(labels)
    assert w.sum().item() == pytest.approx(len(counts), rel=1e-5)
    # rarer class -> weight at least as large
    order = torch.argsort(counts)
    assert torch.all(w[order][1:] <= w[order][:-1] * (1 + 1e-6))


def test_effective_ends():
    labels = [0] * 90 + [1] * 10
    assert torch.allclose(class_weights(labels, "effective", beta=0.0), torch.ones(2))
    # beta close to 1 approaches inverse frequency (normalised to sum to C)
    near_one = class_weights(labels, "effective", beta=0.999999)
    inverse = class_weights(labels, "inverse")
    assert torch.allclose(near_one, inverse * 2 / inverse.sum(), rtol=1e-3)
    # Cui et al.'s formula by hand, beta = 0.9
    raw = torch.tensor([(1 - 0.9) / (1 - 0.9 ** 90), (1 - 0.9) / (1 - 0.9 ** 10)])
    assert torch.allclose(class_weights(labels, "effective", beta=0.9), raw * 2 / raw.sum())


def test_sample_weights_passes_keywords():
    w = sample_weights([0, 0, 1], "effective", beta=0.0)
    assert w.tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(TypeError, match="unexpected keyword"):
        sample_weights([0, 1], betta=0.5)


@pytest.mark.parametrize("labels, num_classes, match", [
    ([], None, "labels is empty"),
    ([0, -1, 1], None, "labels must be class indices >= 0, got -1 at index 1"),
    ([0, 3], 3, "labels must be < num_classes=3, got label 3 at index 1"),
    ([[0, 1], [1, 0]], None, "labels must be 1-D"),
])
def test_bad_labels_raise_value_error(labels, num_classes, match):
    for fn in (class_counts, class_weights, sample_weights):
        with pytest.raises(ValueError, match=match):
            fn(labels, num_classes=num_classes)


@pytest.mark.parametrize("labels", [[0.0, 1.0], torch.tensor([0.5, 1.0]), np.array([0.0, 1.0]),
                                    [True, False], ["cat", "dog"], "cat", 3])
def test_non_integer_labels_raise_type_error(labels):
    with pytest.raises(TypeError, match="labels"):
        class_counts(labels)


def test_class_with_zero_samples():
    assert class_counts([0, 2]).tolist() == [1, 0, 1]  # counting is fine
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] have zero samples"):
        class_weights([0, 2])
    with pytest.raises(ValueError, match="zero samples"):
        sample_weights([0, 0], num_classes=2)


@pytest.mark.parametrize("beta", [-0.1, 1.0, 1.5])
def test_beta_outside_range(beta):
    with pytest.raises(ValueError, match=r"beta must be in \[0, 1\)"):
        class_weights([0, 1], "effective", beta=beta)


def test_unknown_scheme():
    with pytest.raises(ValueError, match="scheme must be one of 'inverse', 'balanced', "
                                         "'effective', got 'sqrt'"):
        class_weights([0, 1], "sqrt")
