"""The pure functions behind the figures of ``08_class_imbalance``.

- ``imbalance_metrics``: accuracy, balanced accuracy, per-class recall, confusion matrix
  (all from ``sklearn.metrics``);
- ``batch_class_counts`` / ``plot_batch_composition``: how many samples of each class
  every batch of a loader holds;
- ``plot_classifier``: data and decision regions of a 2-D classifier;
- ``plot_effective_weights``: class weights by the effective number of samples;
- ``undersample``: keep at most ``per_class`` samples of each class.

>>> m = imbalance_metrics([0, 0, 0, 1], [0, 0, 0, 0])
>>> m["accuracy"], m["balanced_accuracy"]
(0.75, 0.5)
"""

from __future__ import annotations

import torch
from torch import nn

from batchlab._checks import check_generator, check_positive_int, check_real
from batchlab.data.class_balance import _as_int_vector

__all__ = ["batch_class_counts", "imbalance_metrics", "plot_batch_composition",
           "plot_classifier", "plot_effective_weights", "undersample"]


def _labels_vector(values, name: str) -> torch.Tensor:
    """Class indices (>= 0) as a CPU int64 vector (see ``_as_int_vector``)."""
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
    from batchlab.viz.figures import new_figure

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

    >>> from batchlab import Blobs2D
    >>> fig = plot_classifier(Blobs2D((20, 5), seed=0), title="blobs")
    >>> fig.axes[0].get_title()
    'blobs'
    """
    from batchlab.viz.figures import new_figure

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
    from batchlab.data.class_balance import class_counts, class_weights
    from batchlab.viz.figures import new_figure

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
    from batchlab.data.class_balance import class_counts

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


