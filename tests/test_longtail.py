"""batchlab.longtail: the long-tail split, logit adjustment, the Dataset, the recall plots."""

import math
import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from batchlab.longtail import (
    DigitsDataset,
    adjust_logits,
    long_tail_counts,
    long_tail_indices,
    plot_head_to_tail,
    recall_explorer,
    recall_view,
)
from batchlab.widgets import slider_ends, sweep_ends


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


# ------------------------------------------------------------------------ adjust_logits
def test_adjust_logits_subtracts_tau_log_prior():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 3, generator=g)
    prior = torch.tensor([0.7, 0.2, 0.1])
    for tau in (0.0, 0.5, 1.0, 2.0):
        assert torch.allclose(adjust_logits(logits, prior, tau), logits - tau * prior.log())
    assert torch.equal(adjust_logits(logits, prior, tau=0), logits)
    assert torch.allclose(adjust_logits(logits, [0.7, 0.2, 0.1]), adjust_logits(logits, prior))
    assert torch.allclose(adjust_logits(logits, np.array([0.7, 0.2, 0.1])),
                          adjust_logits(logits, prior))


def test_adjust_logits_removes_the_prior_from_bayes_scores():
    # Scores log p(x|y) + log pi + a per-row constant: the adjustment leaves log p(x|y) + const,
    # whose argmax is the balanced-error decision.
    g = torch.Generator().manual_seed(1)
    log_lik = torch.randn(100, 4, generator=g, dtype=torch.float64)
    prior = torch.tensor([0.55, 0.25, 0.15, 0.05], dtype=torch.float64)
    scores = log_lik + prior.log() + torch.randn(100, 1, generator=g, dtype=torch.float64)
    adjusted = adjust_logits(scores, prior)
    diff = adjusted - log_lik
    assert torch.allclose(diff, diff[:, :1].expand_as(diff))
    assert torch.equal(adjusted.argmax(dim=1), log_lik.argmax(dim=1))
    assert not torch.equal(scores.argmax(dim=1), log_lik.argmax(dim=1))


def test_adjust_logits_keeps_dtype_shape_and_a_uniform_prior_changes_nothing():
    logits = torch.randn(2, 5, 4, dtype=torch.float64)
    out = adjust_logits(logits, torch.full((4,), 0.25))
    assert out.dtype == torch.float64 and out.shape == logits.shape
    assert torch.allclose(out.softmax(dim=-1), logits.softmax(dim=-1))
    one = adjust_logits(torch.tensor([1.5, 0.0]), [0.9, 0.1])
    assert one.argmax().item() == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_adjust_logits_on_the_gpu():
    logits = torch.randn(3, 2, device="cuda")
    assert adjust_logits(logits, [0.5, 0.5]).device == logits.device


@pytest.mark.parametrize("logits, prior, tau, exc, word", [
    ([[1.0, 2.0]], [0.5, 0.5], 1.0, TypeError, "logits"),
    (torch.tensor([[1, 2]]), [0.5, 0.5], 1.0, TypeError, "logits"),
    (torch.tensor(1.0), [1.0], 1.0, ValueError, "class dimension"),
    (torch.zeros(2, 3), [0.5, 0.5], 1.0, ValueError, "one entry per class"),
    (torch.zeros(2, 2), [90, 10], 1.0, ValueError, "sum to 1"),
    (torch.zeros(2, 2), [1.0, 0.0], 1.0, ValueError, "positive"),
    (torch.zeros(2, 2), [0.5, 0.5], -1.0, ValueError, "tau"),
    (torch.zeros(2, 2), "uniform", 1.0, TypeError, "class_prior"),
    (torch.zeros(2, 2), [0.5, 0.5], "1", TypeError, "tau"),
])
def test_adjust_logits_rejects_bad_input(logits, prior, tau, exc, word):
    with pytest.raises(exc, match=word):
        adjust_logits(logits, prior, tau)


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


# ------------------------------------------------------------------------ figures and widget
RECALLS = {
    1: {"plain CE": [[0.98] * 4, [0.96] * 4]},
    10: {"plain CE": [[1.0, 0.9, 0.8, 0.6], [1.0, 0.9, 0.7, 0.5]],
         "logit-adjusted loss": [[0.95, 0.9, 0.85, 0.8], [0.97, 0.9, 0.8, 0.7]]},
    50: {"plain CE": [[1.0, 0.9, 0.5, 0.2], [1.0, 0.8, 0.4, 0.1]],
         "logit-adjusted loss": [[0.95, 0.9, 0.7, 0.5], [0.9, 0.9, 0.6, 0.4]],
         "WeightedRandomSampler": [[0.97, 0.9, 0.6, 0.3], [0.98, 0.8, 0.6, 0.4]]},
}
SIZES = {1: [10, 10, 10, 10], 10: [10, 5, 2, 1], 50: [50, 12, 3, 1]}


def test_head_to_tail_draws_one_line_per_method_and_one_panel_per_rho():
    fig = plot_head_to_tail(RECALLS, SIZES, [10, 50], ["plain CE", "logit-adjusted loss"])
    assert [ax.get_title() for ax in fig.axes] == ["ρ = 10", "ρ = 50"]
    assert all(len(ax.lines) == 2 for ax in fig.axes)
    means = fig.axes[1].lines[0].get_ydata()
    assert np.allclose(means, np.mean(RECALLS[50]["plain CE"], axis=0))
    assert fig.axes[0].get_xticklabels()[3].get_text() == "3\n1"


@pytest.mark.parametrize("rhos, methods, word", [
    ([5], ["plain CE"], "rhos"),
    ([50], ["nope"], "nope"),
    ([1, 50], ["logit-adjusted loss"], "logit-adjusted loss"),
    ([50], [], "methods"),
])
def test_head_to_tail_rejects_unknown_keys(rhos, methods, word):
    with pytest.raises(ValueError, match=word):
        plot_head_to_tail(RECALLS, SIZES, rhos, methods)


def test_recall_view_bars_reference_and_title():
    fig = recall_view(RECALLS, SIZES, 50, "logit-adjusted loss")
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert np.allclose(heights, np.mean(RECALLS[50]["logit-adjusted loss"], axis=0))
    assert len(ax.lines) >= 1                      # plain CE as a dashed reference
    balanced = np.mean(RECALLS[50]["logit-adjusted loss"])      # mean recall, then over seeds
    assert f"balanced accuracy {balanced:.3f}" in ax.get_title() and round(balanced, 3) == 0.731
    alone = recall_view(RECALLS, SIZES, 50, "plain CE")
    assert not any(line.get_linestyle() == "--" for line in alone.axes[0].lines)
    with pytest.raises(ValueError, match="rho"):
        recall_view(RECALLS, SIZES, 20, "plain CE")
    with pytest.raises(ValueError, match="method"):
        recall_view(RECALLS, SIZES, 1, "logit-adjusted loss")
    with pytest.raises(ValueError, match="counts"):
        recall_view(RECALLS, {1: [10] * 4}, 50, "plain CE")
    with pytest.raises(ValueError, match=r"\[seeds, C\]"):
        recall_view({50: {"plain CE": [[1.0, 0.5]]}}, {50: [9, 3, 1]}, 50, "plain CE")


def summary(result):
    if isinstance(result, str):
        return result
    ax = result.axes[0]
    return ax.get_title(), tuple(round(p.get_height(), 6) for p in ax.patches)


def test_explorer_works_at_both_ends_of_every_control():
    ex = recall_explorer(RECALLS, SIZES)
    assert slider_ends(ex.controls["rho"]) == [1, 50]
    assert slider_ends(ex.controls["method"]) == ["plain CE", "WeightedRandomSampler"]
    seen = sweep_ends(ex, summary)
    for name, (low, high) in seen.items():
        assert low != high, f"moving {name} changed nothing"
    ex.controls["method"].value = "WeightedRandomSampler"
    ex.controls["rho"].value = 1
    assert isinstance(ex.last_result, str) and "not trained at ρ = 1" in ex.last_result
    ex.controls["rho"].value = 50
    assert "WeightedRandomSampler" in ex.last_result.axes[0].get_title()


def test_explorer_rejects_bad_results():
    with pytest.raises(TypeError, match="recalls"):
        recall_explorer({}, SIZES)
    with pytest.raises(ValueError, match="counts"):
        recall_explorer(RECALLS, {1: [10] * 4})
