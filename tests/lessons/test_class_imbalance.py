"""Tests for batchlab.lessons.class_imbalance and imbalance_compared: data, metrics, batch
counts, prior correction, the widget."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import balanced_accuracy_score
from support import sweep_ends

from batchlab.data import datasets
from batchlab.data.datasets import Blobs2D
from batchlab.lessons import class_imbalance, imbalance_compared


# ----------------------------------------------------------------------------- CatsDogs
def test_cats_dogs_shapes_order_and_brightness():
    ds = datasets.CatsDogs((30, 10), size=4, seed=0)
    assert len(ds) == 40 and ds.labels.tolist() == [0] * 30 + [1] * 10
    image, label = ds[35]
    assert image.shape == (3, 4, 4) and image.dtype == torch.float32 and int(label) == 1
    assert 0.0 <= float(ds.images.min()) and float(ds.images.max()) <= 1.0
    bright = ds.images.mean(dim=(1, 2, 3))
    assert bright[ds.labels == 1].mean() - bright[ds.labels == 0].mean() > 0.1


def test_cats_dogs_is_seeded():
    a, b = datasets.CatsDogs((5, 5), seed=1), datasets.CatsDogs((5, 5), seed=1)
    assert torch.equal(a.images, b.images)
    assert not torch.equal(a.images, datasets.CatsDogs((5, 5), seed=2).images)


@pytest.mark.parametrize("counts, error", [((5,), ValueError), ((5, 5, 5), ValueError),
                                           ((0, 5), ValueError), ("55", TypeError),
                                           (5, TypeError)])
def test_cats_dogs_rejects_bad_counts(counts, error):
    with pytest.raises(error, match="counts"):
        datasets.CatsDogs(counts)


def test_cats_dogs_index_errors():
    ds = datasets.CatsDogs((2, 2))
    with pytest.raises(IndexError):
        ds[4]


# ----------------------------------------------------------------------------- metrics
def test_imbalance_metrics_matches_hand_computation():
    y_true = [0, 0, 0, 0, 1, 1, 2]
    y_pred = [0, 0, 0, 1, 1, 0, 0]
    m = class_imbalance.imbalance_metrics(y_true, y_pred)
    assert m["accuracy"] == pytest.approx(4 / 7)
    assert m["recall"] == pytest.approx([3 / 4, 1 / 2, 0.0])
    assert m["balanced_accuracy"] == pytest.approx((3 / 4 + 1 / 2 + 0) / 3)
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
    assert m["confusion"] == [[3, 1, 0], [1, 1, 0], [1, 0, 0]]


def test_imbalance_metrics_num_classes_adds_unseen_classes():
    m = class_imbalance.imbalance_metrics(torch.tensor([0, 1]), torch.tensor([0, 1]), num_classes=3)
    assert len(m["recall"]) == 3 and m["confusion"][2] == [0, 0, 0]


@pytest.mark.parametrize("y_true, y_pred, kwargs, error", [
    ([0, 1], [0], {}, ValueError),
    ([0.0, 1.0], [0, 1], {}, TypeError),
    ([0, -1], [0, 1], {}, ValueError),
    ([0, 3], [0, 1], {"num_classes": 3}, ValueError),
    ([], [], {}, ValueError),
    ("01", [0, 1], {}, TypeError),
])
def test_imbalance_metrics_rejects_bad_input(y_true, y_pred, kwargs, error):
    with pytest.raises(error):
        class_imbalance.imbalance_metrics(y_true, y_pred, **kwargs)


# ----------------------------------------------------------------------------- batches
def test_batch_class_counts_from_loader_batches_and_label_tensors():
    batches = [(torch.zeros(3, 2), torch.tensor([0, 1, 1])), torch.tensor([2, 2])]
    assert class_imbalance.batch_class_counts(batches, 3).tolist() == [[1, 2, 0], [0, 0, 2]]


def test_batch_class_counts_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        class_imbalance.batch_class_counts([], 2)
    with pytest.raises(ValueError, match="num_classes"):
        class_imbalance.batch_class_counts([torch.tensor([0, 5])], 2)
    with pytest.raises(TypeError):
        class_imbalance.batch_class_counts([torch.tensor([0.5])], 2)


def test_plot_batch_composition_one_panel_per_loader():
    counts = {"a": torch.tensor([[1, 2], [3, 0]]), "b": torch.tensor([[2, 2], [2, 2]])}
    fig = class_imbalance.plot_batch_composition(counts, num_batches=1)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == [1.0, 2.0]  # first batch only: class 0 then class 1 on top
    with pytest.raises(ValueError):
        class_imbalance.plot_batch_composition({})
    with pytest.raises(ValueError, match="batches, C"):
        class_imbalance.plot_batch_composition({"x": torch.tensor([1, 2])})


# ----------------------------------------------------------------------------- prior correction
def test_prior_correction_recovers_the_true_posterior():
    # true posterior for a balanced-trained model's logits, moved to prior (0.8, 0.2)
    logits = torch.log(torch.tensor([[0.5, 0.5], [0.9, 0.1]]))
    fixed = imbalance_compared.prior_correction(logits, [0.5, 0.5], [0.8, 0.2]).softmax(dim=1)
    expected = torch.tensor([[0.8, 0.2], [0.9 * 0.8 / (0.9 * 0.8 + 0.1 * 0.2),
                                          0.1 * 0.2 / (0.9 * 0.8 + 0.1 * 0.2)]])
    assert torch.allclose(fixed, expected, atol=1e-6)


def test_prior_correction_is_identity_for_equal_priors_and_ignores_scale():
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(imbalance_compared.prior_correction(logits, [1, 2, 3], [1, 2, 3]), logits)
    a = imbalance_compared.prior_correction(logits, [1, 1, 1], [0.7, 0.2, 0.1]).softmax(dim=1)
    b = imbalance_compared.prior_correction(logits, [5, 5, 5], [7, 2, 1]).softmax(dim=1)
    assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("logits, train, true, error", [
    (torch.zeros(2, 3), [1, 1], [1, 1, 1], ValueError),
    (torch.zeros(2, 2), [1, 0], [1, 1], ValueError),
    (torch.zeros(2, 2), [1, float("nan")], [1, 1], ValueError),
    (torch.zeros(2, 2, dtype=torch.long), [1, 1], [1, 1], TypeError),
])
def test_prior_correction_rejects_bad_input(logits, train, true, error):
    with pytest.raises(error):
        imbalance_compared.prior_correction(logits, train, true)


# ----------------------------------------------------------------------------- model
def _max_grad(model, features, labels, class_weight=None):
    model.zero_grad()
    F.cross_entropy(model(features.double()), labels, weight=class_weight).backward()
    return max(float(p.grad.abs().max()) for p in model.parameters())


def test_fit_softmax_regression_converges_is_deterministic_and_restores_threads():
    ds = Blobs2D((40, 20, 10), seed=0)
    threads = torch.get_num_threads()
    a = imbalance_compared.fit_softmax_regression(ds.features, ds.labels, tol=1e-8)
    b = imbalance_compared.fit_softmax_regression(ds.features, ds.labels, tol=1e-8)
    assert torch.get_num_threads() == threads
    assert a.weight.dtype == torch.float64 and a.weight.grad is None
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)
    assert _max_grad(a, ds.features, ds.labels) <= 1e-8


def test_fit_softmax_regression_matches_the_bias_identity():
    # at the minimum, the mean predicted probability of each class equals its share
    ds = Blobs2D((90, 9, 3), seed=1)
    model = imbalance_compared.fit_softmax_regression(ds.features, ds.labels, tol=1e-10)
    with torch.no_grad():
        mean_p = model(ds.features.double()).softmax(dim=1).mean(dim=0)
    assert torch.allclose(mean_p, torch.tensor([90, 9, 3], dtype=torch.double) / 102, atol=1e-8)


def test_fit_softmax_regression_weights_move_the_boundary_to_the_majority():
    ds = Blobs2D((300, 10), spread=1.5, seed=0)
    plain = imbalance_compared.fit_softmax_regression(ds.features, ds.labels)
    weighted = imbalance_compared.fit_softmax_regression(ds.features, ds.labels,
                                                class_weight=[1.0, 30.0])
    assert _max_grad(weighted, ds.features, ds.labels,
                     torch.tensor([1.0, 30.0], dtype=torch.double)) <= 1e-6
    with torch.no_grad():
        n_plain = int((plain(ds.features.double()).argmax(1) == 1).sum())
        n_weighted = int((weighted(ds.features.double()).argmax(1) == 1).sum())
    assert n_weighted > n_plain


def test_fit_softmax_regression_stops_at_max_iter():
    ds = Blobs2D((40, 20), seed=0)
    one_step = imbalance_compared.fit_softmax_regression(ds.features, ds.labels, max_iter=1)
    assert _max_grad(one_step, ds.features, ds.labels) > 1e-3


@pytest.mark.parametrize("kwargs, error", [
    ({"features": torch.zeros(3, 2, dtype=torch.long)}, TypeError),
    ({"labels": torch.zeros(3)}, TypeError),
    ({"labels": torch.zeros(2, dtype=torch.long)}, ValueError),
    ({"class_weight": [1.0, 2.0, 3.0]}, ValueError),
    ({"max_iter": 0}, ValueError),
    ({"tol": -1.0}, ValueError),
    ({"tol": "small"}, TypeError),
])
def test_fit_softmax_regression_rejects_bad_input(kwargs, error):
    args = {"features": torch.zeros(3, 2), "labels": torch.tensor([0, 1, 1])} | kwargs
    with pytest.raises(error):
        imbalance_compared.fit_softmax_regression(**args)


# ----------------------------------------------------------------------------- plots, subsets
def test_plot_classifier_with_and_without_model():
    ds = Blobs2D((20, 10, 5), seed=0)
    assert len(class_imbalance.plot_classifier(ds).axes[0].collections) == 3   # three scatters
    model = imbalance_compared.fit_softmax_regression(ds.features, ds.labels, max_iter=5)
    assert len(class_imbalance.plot_classifier(ds, model).axes[0].collections) > 3   # + regions
    float_model = torch.nn.Linear(2, 3)                                         # float32 works too
    assert len(class_imbalance.plot_classifier(ds, float_model).axes[0].collections) > 3
    with pytest.raises(TypeError):
        class_imbalance.plot_classifier(torch.zeros(3, 2))
    with pytest.raises(TypeError):
        class_imbalance.plot_classifier(ds, model="linear")


def test_plot_effective_weights_ends_at_flat_and_inverse():
    labels = [0] * 90 + [1] * 10
    fig = class_imbalance.plot_effective_weights(labels, betas=[0.0, 0.999999])
    lines = fig.axes[0].get_lines()
    curves = [np.asarray(line.get_ydata()) for line in lines if line.get_marker() == "o"]
    assert [c[0] for c in curves] == pytest.approx([1.0, 1.0])           # beta = 0: flat
    assert [c[1] for c in curves] == pytest.approx([0.2, 1.8], rel=1e-3)  # inverse, sum = 2
    with pytest.raises(ValueError):
        class_imbalance.plot_effective_weights(labels, betas=[1.0])


def test_undersample_balances_and_uses_no_sample_twice():
    labels = torch.tensor([0] * 50 + [1] * 7 + [2] * 12)
    idx = class_imbalance.undersample(labels, generator=torch.Generator().manual_seed(0))
    assert torch.bincount(labels[idx]).tolist() == [7, 7, 7]
    assert len(set(idx.tolist())) == len(idx) and idx.tolist() == sorted(idx.tolist())
    idx3 = class_imbalance.undersample(labels, 3, generator=torch.Generator().manual_seed(0))
    assert torch.bincount(labels[idx3]).tolist() == [3, 3, 3]
    with pytest.raises(ValueError, match="per_class"):
        class_imbalance.undersample(labels, 8)
    with pytest.raises(TypeError, match="generator"):
        class_imbalance.undersample(labels, generator=0)


# ----------------------------------------------------------------------------- widget
def test_widget_data_class_sizes():
    for ratio in imbalance_compared.RATIOS:
        train, test = imbalance_compared.widget_data(ratio)
        big, mid, small = train.class_counts
        assert big == 900 and math.isclose(big / small, ratio, rel_tol=0.15)
        assert test.class_counts == (300, 300, 300)


def _recalls(fig):
    return [round(p.get_height(), 6) for p in fig.axes[1].patches]


@pytest.mark.parametrize("ratio", [imbalance_compared.RATIOS[0], imbalance_compared.RATIOS[-1]])
@pytest.mark.parametrize("strength", [0.0, 1.0])
@pytest.mark.parametrize("tau", [0.0, 1.0])
def test_render_imbalance_at_every_corner(ratio, strength, tau):
    fig = imbalance_compared.plot_imbalance(ratio, strength, tau)
    recalls = _recalls(fig)
    assert len(recalls) == 3 and all(0.0 <= r <= 1.0 for r in recalls)
    assert fig.axes[0].get_title() == f"ratio {ratio}, strength {strength:g}, tau {tau:g}"


def test_render_imbalance_weighting_helps_the_minority():
    unweighted = _recalls(imbalance_compared.plot_imbalance(imbalance_compared.RATIOS[-1], 0.0))
    weighted = _recalls(imbalance_compared.plot_imbalance(imbalance_compared.RATIOS[-1], 1.0))
    assert weighted[2] > unweighted[2] + 0.3
    balanced_data = _recalls(imbalance_compared.plot_imbalance(1, 0.0))
    assert min(balanced_data) > 0.85


def test_render_imbalance_post_hoc_adjustment_does_what_weighting_does():
    weighted = _recalls(imbalance_compared.plot_imbalance(100, strength=1.0, tau=0.0))
    adjusted = _recalls(imbalance_compared.plot_imbalance(100, strength=0.0, tau=1.0))
    plain = _recalls(imbalance_compared.plot_imbalance(100, strength=0.0, tau=0.0))
    assert adjusted[2] > plain[2] + 0.3
    assert max(abs(a - b) for a, b in zip(weighted, adjusted, strict=True)) < 0.05
    # a fully weighted model was trained for a uniform prior: tau has nothing left to do
    assert _recalls(imbalance_compared.plot_imbalance(100, strength=1.0, tau=1.0)) == weighted
    # balanced data: neither knob changes anything
    assert _recalls(imbalance_compared.plot_imbalance(1, 0.0, 1.0)) == _recalls(
        imbalance_compared.plot_imbalance(1, 1.0, 0.0))


@pytest.mark.parametrize("kwargs, error", [({"ratio": 3}, ValueError),
                                           ({"strength": 1.5}, ValueError),
                                           ({"strength": "full"}, TypeError),
                                           ({"tau": -0.5}, ValueError)])
def test_render_imbalance_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        imbalance_compared.plot_imbalance(**kwargs)


def test_imbalance_explorer_every_control_at_both_ends():
    explorer = imbalance_compared.imbalance_explorer()
    assert sorted(explorer.controls) == ["ratio", "strength", "tau"]
    explorer.controls["strength"].value = 0.0
    explorer.controls["tau"].value = 0.0
    for name, (low, high) in sweep_ends(explorer, _recalls).items():
        assert low != high, name


# ----------------------------------------------------------------------------- calibration, PR
def test_plot_reliability_draws_the_diagonal_and_each_curve():
    fig = imbalance_compared.plot_reliability({"a": ([0.1, 0.6], [0.2, 0.5]), "b": (np.array([0.3]),
                                                                         np.array([0.3]))})
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    assert list(lines[1].get_xdata()) == pytest.approx([0.2, 0.5])      # predicted on x
    assert list(lines[1].get_ydata()) == pytest.approx([0.1, 0.6])      # observed on y


@pytest.mark.parametrize("curves", [{}, {"a": [0.1, 0.2, 0.3]}, {"a": ([0.1, 0.2], [0.1])}, [1]])
def test_plot_reliability_rejects_bad_curves(curves):
    with pytest.raises(ValueError, match="curves"):
        imbalance_compared.plot_reliability(curves)


def test_plot_pr_curves_draws_curves_and_points():
    fig = imbalance_compared.plot_pr_curves({"m": ([0.5, 0.8, 1.0], [1.0, 0.5, 0.0])},
                                   points={f"t{i}": (0.8, 0.5) for i in range(6)})
    lines = fig.axes[0].get_lines()
    assert len(lines) == 7                                   # every point, markers cycle
    assert list(lines[0].get_xdata()) == [1.0, 0.5, 0.0]     # recall on x
    with pytest.raises(ValueError, match="curves"):
        imbalance_compared.plot_pr_curves({})
    with pytest.raises(TypeError, match="points"):
        imbalance_compared.plot_pr_curves({"m": ([1.0], [1.0])}, points=[(0.5, 0.5)])
