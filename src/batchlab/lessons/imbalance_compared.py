"""The pure functions behind the figures and the widget of ``09_imbalance_compared``.

- ``prior_correction``: move logits trained under one class prior to another;
- ``fit_softmax_regression`` / ``plot_imbalance`` / ``imbalance_explorer``: a linear
  classifier trained full-batch to convergence, fast enough for a widget;
- ``plot_reliability`` / ``plot_pr_curves``: a reliability diagram and precision-recall
  curves from numbers computed with ``sklearn``.

>>> z = torch.zeros(1, 2)
>>> [round(p, 3) for p in prior_correction(z, [0.5, 0.5], [0.9, 0.1]).softmax(dim=1)[0].tolist()]
[0.9, 0.1]
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from batchlab._checks import check_positive_int, check_real
from batchlab.data.datasets import Blobs2D
from batchlab.lessons.class_imbalance import _COLORS, _draw_classifier, imbalance_metrics

__all__ = ["RATIOS", "fit_softmax_regression", "imbalance_explorer", "plot_imbalance",
           "plot_pr_curves", "plot_reliability", "prior_correction", "widget_data"]


def prior_correction(logits: torch.Tensor, train_prior, true_prior) -> torch.Tensor:
    """Logits adjusted from the class prior a model was trained under to the true one.

    A classifier's softmax estimates ``p(class | x)`` under the class shares it was
    trained with. Reweighting or resampling changes those shares (to ``train_prior``);
    Bayes' rule moves the estimate to ``true_prior`` by adding
    ``log(true_prior) - log(train_prior)`` to the logits (i.e. subtracting
    ``log(train_prior) - log(true_prior)``). Priors need not be normalised: a constant
    shift of all logits does not change the softmax.

    >>> logits = torch.zeros(1, 2)                      # trained balanced: 50 / 50
    >>> fixed = prior_correction(logits, [0.5, 0.5], [0.9, 0.1])
    >>> [round(p, 4) for p in fixed.softmax(dim=1)[0].tolist()]
    [0.9, 0.1]
    """
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError("logits must be a floating-point tensor [..., C]")
    priors = []
    for name, prior in (("train_prior", train_prior), ("true_prior", true_prior)):
        prior = torch.as_tensor(prior, dtype=torch.float64)
        if prior.dim() != 1 or len(prior) != logits.shape[-1]:
            raise ValueError(f"{name} must have one entry per class ({logits.shape[-1]}), "
                             f"got shape {tuple(prior.shape)}")
        if not torch.isfinite(prior).all() or (prior <= 0).any():
            raise ValueError(f"{name} must be positive and finite, got {prior.tolist()}")
        priors.append(prior)
    shift = (priors[1].log() - priors[0].log()).to(logits.dtype).to(logits.device)
    return logits + shift


def fit_softmax_regression(features: torch.Tensor, labels: torch.Tensor, *,
                           class_weight=None, tol: float = 1e-6,
                           max_iter: int = 1000) -> nn.Linear:
    """A linear classifier trained full-batch to convergence with ``CrossEntropyLoss(weight=...)``.

    Starts from zero weights and runs L-BFGS (strong-Wolfe line search) in float64 on the
    whole set until every gradient entry is at most ``tol`` (or ``max_iter`` iterations),
    so the result is deterministic (no seed, no batches) and is the minimiser of the
    objective, not wherever an optimiser happened to stop. Runs on the CPU, on one thread
    (restored afterwards); takes milliseconds for a few thousand 2-D points. Returns a
    float64 ``nn.Linear``.

    >>> ds = Blobs2D((50, 50), seed=0)
    >>> model = fit_softmax_regression(ds.features, ds.labels)
    >>> (model(ds.features.double()).argmax(dim=1) == ds.labels).double().mean().item() > 0.9
    True
    """
    if not isinstance(features, torch.Tensor) or features.dim() != 2 \
            or not features.is_floating_point():
        raise TypeError("features must be a floating-point tensor [N, D]")
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.dtype != torch.int64:
        raise TypeError("labels must be an int64 tensor [N] of class indices")
    if len(features) != len(labels) or len(labels) == 0:
        raise ValueError(f"features and labels must be non-empty and of equal length, "
                         f"got {len(features)} and {len(labels)}")
    tol = check_real(tol, "tol", minimum=0.0)
    max_iter = check_positive_int(max_iter, "max_iter")
    features, labels = features.detach().cpu().double(), labels.cpu()
    num_classes = int(labels.max()) + 1
    if class_weight is not None:
        class_weight = torch.as_tensor(class_weight, dtype=torch.float64).cpu()
        if class_weight.shape != (num_classes,):
            raise ValueError(f"class_weight must have one entry per class ({num_classes}), "
                             f"got shape {tuple(class_weight.shape)}")
    model = nn.Linear(features.shape[1], num_classes).double()
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    optimizer = torch.optim.LBFGS(model.parameters(), max_iter=max_iter, tolerance_grad=tol,
                                  tolerance_change=0.0, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(features), labels, weight=class_weight)
        loss.backward()
        return loss

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tensors this small: waking up more threads costs more than it saves
    try:
        optimizer.step(closure)
    finally:
        torch.set_num_threads(threads)
    model.zero_grad()
    return model


RATIOS = (1, 4, 16, 100, 400)


def widget_data(ratio: int) -> tuple[Blobs2D, Blobs2D]:
    """``(train, test)`` for the widget: train sizes ``900, 900/√ratio, 900/ratio`` (rounded,
    at least 1), test balanced with 300 per class. ``ratio`` = largest / smallest class.

    >>> train, test = widget_data(100)
    >>> train.class_counts, test.class_counts
    ((900, 90, 9), (300, 300, 300))
    """
    ratio = check_real(ratio, "ratio", minimum=1.0)
    counts = (900, max(1, round(900 / math.sqrt(ratio))), max(1, round(900 / ratio)))
    return Blobs2D(counts, seed=0), Blobs2D((300, 300, 300), seed=2)


def plot_imbalance(ratio: int = 100, strength: float = 0.0, tau: float = 0.0):
    """Decision regions and metrics of a converged linear classifier on imbalanced blobs.

    Training classes have ``900, 900/√ratio, 900/ratio`` samples (``widget_data``); the
    loss weights are the inverse class frequencies raised to ``strength``
    (0 = no weighting, 1 = full inverse frequency), and the model is trained to
    convergence (``fit_softmax_regression``). ``tau`` is a post-hoc logit adjustment:
    ``tau * (log(1/C) - log(prior))`` is added to the logits before the ``argmax``, where
    ``prior`` is the class prior the weighted loss trained for (proportional to
    ``n_c * w_c``; uniform at ``strength = 1``, so ``tau`` then changes nothing).
    Left: decision regions and the training points; right: recall per class on a
    balanced test set, with the balanced accuracy and the accuracy the model would have
    on test data mixed like the training data (the recalls weighted by the training
    shares). Returns a closed ``Figure``.

    >>> fig = plot_imbalance(ratio=16, strength=1.0)
    >>> len(fig.axes), fig.axes[1].get_ylabel()
    (2, 'recall on a balanced test set')
    """
    from batchlab.data.class_balance import class_counts, class_weights
    from batchlab.viz.figures import new_figure

    if ratio not in RATIOS:
        raise ValueError(f"ratio must be one of {RATIOS}, got {ratio!r}")
    strength = check_real(strength, "strength", minimum=0.0, maximum=1.0)
    tau = check_real(tau, "tau", minimum=0.0, maximum=1.0)
    train, test = widget_data(ratio)
    weight = class_weights(train.labels, "inverse").double() ** strength
    model = fit_softmax_regression(train.features, train.labels, class_weight=weight)
    trained_for = class_counts(train.labels).double() * weight      # the prior the loss saw
    trained_for = trained_for / trained_for.sum()
    offset = tau * (math.log(1 / len(trained_for)) - trained_for.log())
    with torch.no_grad():
        pred = (model(test.features.double()) + offset).argmax(dim=1)
    metrics = imbalance_metrics(test.labels, pred, num_classes=3)
    shares = torch.tensor(train.class_counts, dtype=torch.double) / len(train)
    mix_accuracy = float((shares * torch.tensor(metrics["recall"], dtype=torch.double)).sum())
    fig = new_figure(1, 2, width=3.8, height=3.2)
    ax, bars = fig.axes
    _draw_classifier(ax, train, model, offset=offset)
    ax.set_title(f"ratio {ratio}, strength {strength:g}, tau {tau:g}")
    bars.bar(range(3), metrics["recall"], color=list(_COLORS[:3]))
    bars.set(ylim=(0, 1.05), xticks=range(3), xlabel="class",
             ylabel="recall on a balanced test set",
             title=f"balanced acc {metrics['balanced_accuracy']:.2f}\n"
                   f"acc at the training mix {mix_accuracy:.2f}")
    fig.tight_layout()
    return fig


def imbalance_explorer():
    """The notebook's widget: ``plot_imbalance`` under sliders for the imbalance ratio, the
    loss-weighting strength and the post-hoc adjustment ``tau``.

    >>> ex = imbalance_explorer()
    >>> sorted(ex.controls)
    ['ratio', 'strength', 'tau']
    """
    import ipywidgets as w

    from batchlab.viz.widgets import Explorer

    controls = {
        "ratio": w.SelectionSlider(options=list(RATIOS), value=100, description="imbalance"),
        "strength": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1,
                                  description="weighting"),
        "tau": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1,
                             description="post-hoc τ"),
    }
    return Explorer(plot_imbalance, controls,
                    title="Class imbalance: ratio largest/smallest class, loss weighting, "
                          "post-hoc logit adjustment")


def plot_reliability(curves, *, title: str = "reliability diagram"):
    """A reliability diagram: observed frequency against mean predicted probability per bin.

    ``curves`` maps a label to ``(observed, predicted)``, the two arrays
    ``sklearn.calibration.calibration_curve`` returns (in that order). The diagonal is
    perfect calibration: points above it are under-confident predictions (the event
    happens more often than predicted), points below it over-confident ones. Returns a
    closed ``Figure``.

    >>> fig = plot_reliability({"model": ([0.1, 0.5, 0.8], [0.2, 0.5, 0.7])})
    >>> fig.axes[0].get_xlabel()
    'mean predicted probability'
    """
    from batchlab.viz.figures import new_figure

    if not isinstance(curves, dict) or not curves:
        raise ValueError("curves must be a non-empty dict of label -> (observed, predicted)")
    fig = new_figure(width=4.0, height=3.6)
    ax = fig.axes[0]
    ax.plot([0, 1], [0, 1], ":", color="grey", linewidth=1, label="perfectly calibrated")
    for label, pair in curves.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"curves[{label!r}] must be a pair (observed, predicted)")
        observed, predicted = (torch.as_tensor(v, dtype=torch.float64) for v in pair)
        if observed.shape != predicted.shape or observed.dim() != 1:
            raise ValueError(f"curves[{label!r}]: observed and predicted must be 1-D arrays "
                             f"of the same length")
        ax.plot(predicted, observed, "o-", markersize=3, label=str(label))
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="mean predicted probability",
           ylabel="observed frequency", title=title)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def plot_pr_curves(curves, *, points=None, title: str = "precision-recall curve"):
    """Precision-recall curves, with marked operating points.

    ``curves`` maps a label to ``(precision, recall)`` (the first two arrays of
    ``sklearn.metrics.precision_recall_curve``); ``points`` maps a label to one
    ``(precision, recall)`` pair, drawn as a marker. Returns a closed ``Figure``.

    >>> fig = plot_pr_curves({"model": ([0.5, 1.0], [1.0, 0.0])}, points={"t = 0.5": (0.8, 0.6)})
    >>> fig.axes[0].get_xlabel(), len(fig.axes[0].get_lines())
    ('recall', 2)
    """
    from batchlab.viz.figures import new_figure

    if not isinstance(curves, dict) or not curves:
        raise ValueError("curves must be a non-empty dict of label -> (precision, recall)")
    points = {} if points is None else points
    if not isinstance(points, dict):
        raise TypeError(f"points must be a dict of label -> (precision, recall), "
                        f"got {type(points).__name__}")
    fig = new_figure(width=4.0, height=3.4)
    ax = fig.axes[0]
    for label, (precision, recall) in curves.items():
        ax.plot(recall, precision, label=str(label))
    for marker, (label, (precision, recall)) in zip(itertools.cycle("osD^v"), points.items()):
        ax.plot([recall], [precision], marker, markersize=7, label=str(label))
    ax.set(xlim=(0, 1.02), ylim=(0, 1.02), xlabel="recall", ylabel="precision", title=title)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig
