"""Helpers for the class-imbalance notebook: data, metrics, batch mixes, a fast model, a widget.

- ``CatsDogs``: the sampler post's cats and dogs, small and imbalanced (dogs are brighter).
- ``imbalance_metrics``: accuracy, balanced accuracy, per-class recall, confusion matrix
  (all from ``sklearn.metrics``).
- ``batch_class_counts`` / ``plot_batch_composition``: how many samples of each class
  every batch of a loader holds.
- ``prior_correction``: move logits trained under one class prior to another.
- ``fit_softmax_regression`` / ``render_imbalance`` / ``imbalance_explorer``: a
  linear classifier trained full-batch to convergence, fast enough for a widget.
- ``plot_reliability`` / ``plot_pr_curves``: a reliability diagram and precision-recall
  curves from numbers computed with ``sklearn``.

>>> ds = CatsDogs((6, 2), seed=0)
>>> len(ds), ds.labels.tolist(), ds[0][0].shape
(8, [0, 0, 0, 0, 0, 0, 1, 1], torch.Size([3, 8, 8]))
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from ._checks import check_generator, check_int, check_positive_int, check_real
from .datasets import Blobs2D, _check_index, _generator
from .weights import _as_int_vector

__all__ = [
    "RATIOS",
    "CatsDogs",
    "batch_class_counts",
    "fit_softmax_regression",
    "imbalance_explorer",
    "imbalance_metrics",
    "plot_batch_composition",
    "plot_classifier",
    "plot_effective_weights",
    "plot_pr_curves",
    "plot_reliability",
    "prior_correction",
    "render_imbalance",
    "undersample",
    "widget_data",
]


class CatsDogs(Dataset):
    """The sampler post's cats and dogs, small and imbalanced: ``(image, label)`` pairs.

    ``image`` is ``float32[3, size, size]``, ``label`` an int64 scalar.

    Label 0 is a cat, 1 a dog (``classes = ("cat", "dog")``). Every image is a flat grey
    level plus pixel noise; dogs are brighter on average (grey level ~ N(0.6, 0.1)) than
    cats (~ N(0.4, 0.1)), so the classes are separable by mean brightness — except
    where the two brightness ranges overlap. Samples are stored cats first.
    ``.images`` and ``.labels`` hold the whole set as tensors.

    >>> ds = CatsDogs((900, 100), seed=0)
    >>> ds.images.shape, ds.labels.bincount().tolist()
    (torch.Size([1000, 3, 8, 8]), [900, 100])
    >>> bright = ds.images.mean(dim=(1, 2, 3))
    >>> bool(bright[ds.labels == 1].mean() > bright[ds.labels == 0].mean())
    True
    """

    classes = ("cat", "dog")

    def __init__(self, counts=(950, 50), *, size: int = 8, seed: int = 0):
        if isinstance(counts, (str, bytes)) or not hasattr(counts, "__iter__"):
            raise TypeError(f"counts must be a pair (cats, dogs) of ints, got {counts!r}")
        counts = [check_positive_int(c, "counts[i]") for c in counts]
        if len(counts) != 2:
            raise ValueError(f"counts must be a pair (cats, dogs), got {len(counts)} numbers")
        self.counts = tuple(counts)
        self.size = check_int(size, "size", minimum=2)
        g = _generator(seed)
        self.labels = torch.repeat_interleave(torch.arange(2), torch.tensor(counts))
        grey = 0.4 + 0.2 * self.labels + 0.1 * torch.randn(len(self.labels), generator=g)
        noise = 0.15 * torch.randn(len(self.labels), 3, self.size, self.size, generator=g)
        self.images = (grey.view(-1, 1, 1, 1) + noise).clamp(0, 1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, idx: int):
        i = _check_index(idx, len(self))
        return self.images[i], self.labels[i]


def _labels_vector(values, name: str) -> torch.Tensor:
    """Class indices (>= 0) as a CPU int64 vector; see :func:`batchlab.weights._as_int_vector`."""
    tensor = _as_int_vector(values, name)
    if int(tensor.min()) < 0:
        raise ValueError(f"{name} must be class indices >= 0, got {int(tensor.min())}")
    return tensor


def imbalance_metrics(y_true, y_pred, *, num_classes: int | None = None) -> dict:
    """Accuracy, balanced accuracy, recall of each class and the confusion matrix.

    All from ``sklearn.metrics`` (``accuracy_score``, ``balanced_accuracy_score``,
    ``recall_score(average=None)``, ``confusion_matrix``; rows = true class, columns =
    predicted class). Balanced accuracy is the mean of the per-class recalls, so every
    class counts the same however many samples it has. Values are Python floats/lists.

    >>> m = imbalance_metrics([0, 0, 0, 1], [0, 0, 0, 0])
    >>> m["accuracy"], m["balanced_accuracy"], m["recall"]
    (0.75, 0.5, [1.0, 0.0])
    >>> m["confusion"]
    [[3, 0], [1, 0]]
    """
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        confusion_matrix,
        recall_score,
    )

    y_true = _labels_vector(y_true, "y_true")
    y_pred = _labels_vector(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must have the same length, "
                         f"got {len(y_true)} and {len(y_pred)}")
    if num_classes is None:
        num_classes = int(max(y_true.max(), y_pred.max())) + 1
    num_classes = check_positive_int(num_classes, "num_classes")
    if int(max(y_true.max(), y_pred.max())) >= num_classes:
        raise ValueError(f"labels must be < num_classes={num_classes}")
    labels = list(range(num_classes))
    t, p = y_true.numpy(), y_pred.numpy()
    return {
        "accuracy": float(accuracy_score(t, p)),
        "balanced_accuracy": float(balanced_accuracy_score(t, p)),
        "recall": [float(r) for r in recall_score(t, p, labels=labels, average=None,
                                                  zero_division=0.0)],
        "confusion": confusion_matrix(t, p, labels=labels).tolist(),
    }


def batch_class_counts(batches, num_classes: int) -> torch.Tensor:
    """How many samples of each class every batch holds: an int64 tensor ``[num_batches, C]``.

    ``batches`` is an iterable of ``(inputs, targets)`` batches (a ``DataLoader``) or of
    label tensors; ``targets`` are class indices.

    >>> batch_class_counts([(None, torch.tensor([0, 2, 2])), (None, torch.tensor([1]))], 3).tolist()
    [[1, 0, 2], [0, 1, 0]]
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    rows = []
    for batch in batches:
        targets = batch[1] if isinstance(batch, (tuple, list)) else batch
        targets = _labels_vector(torch.as_tensor(targets).reshape(-1), "targets")
        if int(targets.max()) >= num_classes:
            raise ValueError(f"targets must be < num_classes={num_classes}, "
                             f"got {int(targets.max())}")
        rows.append(torch.bincount(targets, minlength=num_classes))
    if not rows:
        raise ValueError("batches is empty: it yielded no batch")
    return torch.stack(rows)


def plot_batch_composition(counts_by_name, *, class_names=None, num_batches: int = 30):
    """Stacked bars: the class mix of the first ``num_batches`` batches, one panel per loader.

    ``counts_by_name`` maps a title to a ``[num_batches, C]`` count tensor
    (``batch_class_counts``). Returns a closed ``Figure``.

    >>> counts = torch.tensor([[2, 1], [3, 0]])
    >>> fig = plot_batch_composition({"shuffle": counts}, class_names=["cat", "dog"])
    >>> fig.axes[0].get_title()
    'shuffle'
    """
    from .plots import new_figure

    if not isinstance(counts_by_name, dict) or not counts_by_name:
        raise ValueError("counts_by_name must be a non-empty dict of title -> [batches, C] counts")
    num_batches = check_positive_int(num_batches, "num_batches")
    fig = new_figure(1, len(counts_by_name), width=3.6, height=2.8)
    for ax, (title, counts) in zip(fig.axes, counts_by_name.items(), strict=True):
        counts = torch.as_tensor(counts)
        if counts.dim() != 2:
            raise ValueError(f"counts for {title!r} must be [batches, C], got {list(counts.shape)}")
        counts = counts[:num_batches].double()
        names = class_names or [f"class {c}" for c in range(counts.shape[1])]
        bottom = torch.zeros(len(counts), dtype=torch.double)
        for c in range(counts.shape[1]):
            ax.bar(range(len(counts)), counts[:, c], bottom=bottom, width=1.0, label=names[c])
            bottom += counts[:, c]
        ax.set(title=title, xlabel="batch", ylabel="samples in the batch")
    fig.axes[0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


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


_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def _draw_classifier(ax, dataset, model=None, *, limit: float = 5.0, offset=None) -> None:
    """Scatter ``dataset`` (2-D features) on ``ax``; shade ``model``'s decision regions.

    ``offset`` (one number per class) is added to the logits before the ``argmax``.
    """
    from matplotlib.colors import ListedColormap

    num_classes = int(dataset.labels.max()) + 1
    if num_classes > len(_COLORS):
        raise ValueError(f"at most {len(_COLORS)} classes can be drawn, got {num_classes}")
    colors = list(_COLORS[:num_classes])
    if model is not None:
        param = next(model.parameters(), None)
        where = param.device if param is not None else torch.device("cpu")
        dtype = param.dtype if param is not None else torch.float32
        grid = torch.linspace(-limit, limit, 151)
        xx, yy = torch.meshgrid(grid, grid, indexing="xy")
        points = torch.stack([xx.flatten(), yy.flatten()], dim=1).to(where, dtype)
        with torch.no_grad():
            logits = model(points)
            if offset is not None:
                logits = logits + torch.as_tensor(offset, dtype=logits.dtype).to(where)
            regions = logits.argmax(dim=1).view_as(xx).cpu()
        ax.contourf(xx, yy, regions, levels=[c - 0.5 for c in range(num_classes + 1)],
                    cmap=ListedColormap(colors), alpha=0.2)
    for c in range(num_classes):
        pts = dataset.features[dataset.labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=4, color=colors[c], label=f"class {c}: {len(pts)}")
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), xlabel="feature 0", ylabel="feature 1")
    ax.legend(fontsize=7, loc="lower left", markerscale=2)


def plot_classifier(dataset, model=None, *, title: str | None = None):
    """A 2-D dataset (``features``, ``labels``) as a scatter plot, with ``model``'s decision
    regions shaded if a model is given. Returns a closed ``Figure``.

    >>> fig = plot_classifier(Blobs2D((20, 5), seed=0), title="blobs")
    >>> fig.axes[0].get_title()
    'blobs'
    """
    from .plots import new_figure

    if not (hasattr(dataset, "features") and hasattr(dataset, "labels")) \
            or dataset.features.dim() != 2 or dataset.features.shape[1] != 2:
        raise TypeError("dataset must have .features [N, 2] and .labels [N] (e.g. Blobs2D)")
    if model is not None and not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module or None, got {type(model).__name__}")
    fig = new_figure(width=4.0, height=3.6)
    _draw_classifier(fig.axes[0], dataset, model)
    if title is not None:
        fig.axes[0].set_title(title)
    fig.tight_layout()
    return fig


def plot_effective_weights(labels, betas=(0.0, 0.9, 0.99, 0.999, 0.9999, 0.99999)):
    """Effective-number class weights (``class_weights(..., "effective", beta=β)``) against β.

    The x axis is ``1 - β`` on a log scale, reversed (β close to 1 on the right). Dotted: the
    inverse-frequency weights scaled the same way (to sum to ``C``). Returns a closed
    ``Figure``.

    >>> fig = plot_effective_weights([0] * 9 + [1], betas=[0.0, 0.9, 0.99])
    >>> len(fig.axes[0].get_lines())
    4
    """
    from .plots import new_figure
    from .weights import class_counts, class_weights

    betas = [check_real(b, "betas[i]", minimum=0.0) for b in betas]
    if not betas or max(betas) >= 1.0:
        raise ValueError("betas must be a non-empty list of numbers in [0, 1)")
    counts = class_counts(labels)
    curves = torch.stack([class_weights(labels, "effective", beta=b) for b in betas])
    inverse = class_weights(labels, "inverse")
    inverse = inverse * (len(inverse) / inverse.sum())
    x = [max(1.0 - b, 1e-12) for b in betas]
    fig = new_figure(width=4.4, height=3.2)
    ax = fig.axes[0]
    for c in range(len(counts)):
        color = _COLORS[c % len(_COLORS)]
        ax.plot(x, curves[:, c], "o-", color=color, label=f"class {c} (n = {int(counts[c])})")
        ax.axhline(float(inverse[c]), color=color, linestyle=":", linewidth=1)
    ax.set(xscale="log", yscale="log", xlabel="1 - β  (log scale; β → 1 to the right)",
           ylabel="class weight (sum = C)", title="effective-number weights")
    ax.invert_xaxis()
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def undersample(labels, per_class: int | None = None, *,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Indices of a random class-balanced subset: ``per_class`` samples of every class.

    ``per_class`` defaults to the size of the smallest class (keep all of it, drop the
    rest of the others). Drawn without replacement; sorted. Use with ``Subset``.

    >>> idx = undersample([0, 0, 0, 0, 1, 1], generator=torch.Generator().manual_seed(0))
    >>> len(idx), sorted(int(i >= 4) for i in idx)
    (4, [0, 0, 1, 1])
    """
    from .weights import class_counts

    labels = _labels_vector(labels, "labels")
    counts = class_counts(labels)
    present = (counts > 0).nonzero().flatten().tolist()
    smallest = int(counts[present].min())
    per_class = smallest if per_class is None else check_positive_int(per_class, "per_class")
    if per_class > smallest:
        raise ValueError(f"per_class must be <= the smallest class size ({smallest}), "
                         f"got {per_class}")
    check_generator(generator)
    keep = []
    for c in present:
        members = (labels == c).nonzero().flatten()
        keep.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return torch.cat(keep).sort().values


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


def render_imbalance(ratio: int = 100, strength: float = 0.0, tau: float = 0.0):
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

    >>> fig = render_imbalance(ratio=16, strength=1.0)
    >>> len(fig.axes), fig.axes[1].get_ylabel()
    (2, 'recall on a balanced test set')
    """
    from .plots import new_figure
    from .weights import class_counts, class_weights

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
    """The notebook's widget: ``render_imbalance`` under sliders for the imbalance ratio, the
    loss-weighting strength and the post-hoc adjustment ``tau``.

    >>> ex = imbalance_explorer()
    >>> sorted(ex.controls)
    ['ratio', 'strength', 'tau']
    """
    import ipywidgets as w

    from .widgets import Explorer

    controls = {
        "ratio": w.SelectionSlider(options=list(RATIOS), value=100, description="imbalance"),
        "strength": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1,
                                  description="weighting"),
        "tau": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1,
                             description="post-hoc τ"),
    }
    return Explorer(render_imbalance, controls,
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
    from .plots import new_figure

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
    from .plots import new_figure

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
