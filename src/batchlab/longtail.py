"""Long-tailed classification: the long-tail split, logit adjustment, a Dataset, the recall plots.

The capstone notebook (10) trains a small CNN on scikit-learn's 8×8 handwritten digits
made long-tailed. This module holds the library pieces it uses:

- ``long_tail_counts``: class sizes ``n_c = n_max · ρ^(−c/(C−1))``, the exponential profile
  of CIFAR-10-LT (Cui et al., "Class-Balanced Loss Based on Effective Number of Samples",
  CVPR 2019), rounded down;
- ``long_tail_indices``: pick that many samples of each class at random;
- ``adjust_logits``: post-hoc logit adjustment ``logits − τ · log(prior)`` (Menon et al.,
  "Long-tail learning via logit adjustment", ICLR 2021);
- ``DigitsDataset``: images and labels with a per-sample transform, importable by
  DataLoader workers under every start method (``fork``, ``spawn``, ``forkserver``);
- ``plot_head_to_tail``, ``recall_view``, ``recall_explorer``: per-class recall against
  class size, as a figure and as a widget over the imbalance factor and the method.

>>> long_tail_counts(100, 10, 50).tolist()
[100, 64, 41, 27, 17, 11, 7, 4, 3, 2]
>>> labels = torch.tensor([0, 0, 0, 1, 1, 1])
>>> long_tail_indices(labels, [2, 1], torch.Generator().manual_seed(0)).tolist()
[2, 0, 5]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ._checks import check_generator, check_int, check_positive_int, check_real
from .weights import _as_int_vector

__all__ = [
    "DigitsDataset",
    "adjust_logits",
    "long_tail_counts",
    "long_tail_indices",
    "plot_head_to_tail",
    "recall_explorer",
    "recall_view",
]


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


def long_tail_indices(labels, counts, generator: torch.Generator | None = None) -> torch.Tensor:
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


def adjust_logits(logits: torch.Tensor, class_prior, tau: float = 1.0) -> torch.Tensor:
    """Post-hoc logit adjustment: ``logits − τ · log(class_prior)`` (Menon et al., ICLR 2021).

    A model trained with plain cross-entropy on a long-tailed set learns scores that
    include the training prior: roughly ``log p(y | x) = log p(x | y) + log π_y + const``.
    Subtracting ``τ · log π_y`` removes it (``τ = 1``: the prior exactly), so ``argmax``
    then aims at the *balanced* error, the mean of the per-class error rates. The same
    shift plus the constant ``τ · log(1/C)`` is the prior correction to a uniform prior;
    a constant changes neither the argmax nor the softmax.

    ``logits``: floating-point tensor ``[..., C]`` on any device. ``class_prior``: ``C``
    positive numbers summing to 1 (the training class shares, ``counts / counts.sum()``).
    ``tau``: a real number >= 0. Returns a new tensor like ``logits``.

    >>> prior = torch.tensor([0.9, 0.1])
    >>> logits = torch.tensor([[1.5, 0.0]])
    >>> adjust_logits(logits, prior).argmax(dim=1).tolist()   # 1.5 + 0.105 < 0 + 2.303
    [1]
    >>> torch.equal(adjust_logits(logits, prior, tau=0.0), logits)
    True
    >>> adjust_logits(logits, [90, 10])
    Traceback (most recent call last):
    ...
    ValueError: class_prior must sum to 1 (got 100); pass counts / counts.sum()
    """
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        got = logits.dtype if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise TypeError(f"logits must be a floating-point tensor [..., C], got {got}")
    if logits.dim() == 0:
        raise ValueError("logits must have a class dimension [..., C], got a 0-d tensor")
    tau = check_real(tau, "tau", minimum=0.0)
    prior = _as_prior(class_prior, logits.shape[-1])
    return logits - tau * prior.log().to(device=logits.device, dtype=logits.dtype)


def _as_prior(class_prior, num_classes: int) -> torch.Tensor:
    if isinstance(class_prior, (str, bytes)) or not hasattr(class_prior, "__len__"):
        raise TypeError(f"class_prior must be a 1-D sequence of C numbers (list, NumPy array "
                        f"or tensor), got {type(class_prior).__name__}")
    try:
        if isinstance(class_prior, torch.Tensor):
            prior = class_prior.detach().cpu().double()
        else:
            prior = torch.as_tensor(np.asarray(class_prior, dtype=np.float64))
    except (TypeError, ValueError) as err:
        raise TypeError(f"class_prior must hold real numbers: {err}") from None
    if prior.dim() != 1 or len(prior) != num_classes:
        raise ValueError(f"class_prior must have one entry per class ({num_classes}), got shape "
                         f"{tuple(prior.shape)}")
    if not torch.isfinite(prior).all() or (prior <= 0).any():
        raise ValueError(f"class_prior must be positive and finite, got {prior.tolist()}")
    total = float(prior.sum())
    if abs(total - 1.0) > 1e-4:
        raise ValueError(f"class_prior must sum to 1 (got {total:g}); pass counts / counts.sum()")
    return prior


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
def _check_recalls(recalls, counts) -> None:
    if not isinstance(recalls, Mapping) or not recalls:
        raise TypeError("recalls must be a non-empty mapping {rho: {method: [seeds, C] array}}")
    if not isinstance(counts, Mapping):
        raise TypeError("counts must be a mapping {rho: class sizes}")
    missing = [rho for rho in recalls if rho not in counts]
    if missing:
        raise ValueError(f"counts has no class sizes for rho {missing}")


def _recall_array(values, num_classes: int, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != num_classes:
        raise ValueError(f"{name} must be [seeds, C] recalls with C = {num_classes}, got shape "
                         f"{array.shape}")
    return array


def _class_ticks(ax, counts: Sequence[int]) -> None:
    ax.set_xticks(range(len(counts)))
    ax.set_xticklabels([f"{c}\n{n}" for c, n in enumerate(counts)], fontsize=7)
    ax.set_xlabel("class (digit) and its training size, head → tail", fontsize=8)


def plot_head_to_tail(recalls: Mapping, counts: Mapping, rhos: Sequence, methods: Sequence[str]):
    """Per-class test recall (mean over seeds) against class size: one panel per ``rho``.

    ``recalls[rho][method]`` is a ``[seeds, C]`` array of per-class recalls,
    ``counts[rho]`` the ``C`` training class sizes. Returns a closed ``Figure``.

    >>> r = {50: {"a": [[1.0, 0.5]], "b": [[0.9, 0.8]]}}
    >>> fig = plot_head_to_tail(r, {50: [100, 2]}, [50], ["a", "b"])
    >>> fig.axes[0].get_title(), len(fig.axes[0].lines)
    ('ρ = 50', 2)
    """
    from .plots import new_figure

    _check_recalls(recalls, counts)
    if isinstance(rhos, (str, bytes)) or not rhos or any(rho not in recalls for rho in rhos):
        raise ValueError(f"rhos must list keys of recalls {list(recalls)}, got {rhos!r}")
    if isinstance(methods, str) or not methods:
        raise ValueError("methods must be a non-empty list of method names")
    fig = new_figure(1, len(rhos), width=4.2, height=3.2)
    for ax, rho in zip(fig.axes, rhos, strict=True):
        for method in methods:
            if method not in recalls[rho]:
                raise ValueError(f"no results for method {method!r} at rho={rho}; "
                                 f"have {list(recalls[rho])}")
            mean = _recall_array(recalls[rho][method], len(counts[rho]), "recalls").mean(axis=0)
            ax.plot(range(len(mean)), mean, marker="o", markersize=3, label=method)
        _class_ticks(ax, counts[rho])
        ax.set(ylim=(0, 1.03), ylabel="test recall", title=f"ρ = {rho:g}")
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def recall_view(recalls: Mapping, counts: Mapping, rho, method: str,
                reference: str | None = "plain CE"):
    """One method's per-class test recall at one imbalance factor: bars (mean ± sd over
    seeds) with ``reference``'s mean recall drawn as a line. The widget's render function.

    >>> r = {10: {"plain CE": [[1.0, 0.4], [1.0, 0.6]], "x": [[0.9, 0.8], [0.9, 0.9]]}}
    >>> fig = recall_view(r, {10: [100, 10]}, 10, "x")
    >>> fig.axes[0].get_title()
    'ρ = 10: x (balanced accuracy 0.875)'
    >>> recall_view(r, {10: [100, 10]}, 10, "y")
    Traceback (most recent call last):
    ...
    ValueError: method must be one of ['plain CE', 'x'] at rho=10, got 'y'
    """
    from .plots import new_figure

    _check_recalls(recalls, counts)
    if rho not in recalls:
        raise ValueError(f"rho must be one of {list(recalls)}, got {rho!r}")
    if method not in recalls[rho]:
        raise ValueError(f"method must be one of {list(recalls[rho])} at rho={rho}, "
                         f"got {method!r}")
    sizes = list(counts[rho])
    values = _recall_array(recalls[rho][method], len(sizes), f"recalls[{rho}][{method!r}]")
    fig = new_figure(width=5.0, height=3.2)
    ax = fig.axes[0]
    spread = values.std(axis=0, ddof=1) if len(values) > 1 else None
    ax.bar(range(len(sizes)), values.mean(axis=0), yerr=spread, capsize=2, color="tab:blue",
           alpha=0.8, label=f"{method} (mean ± sd, {len(values)} seeds)")
    if reference is not None and reference != method and reference in recalls[rho]:
        ref = _recall_array(recalls[rho][reference], len(sizes), "reference").mean(axis=0)
        ax.plot(range(len(sizes)), ref, "k--", marker="_", label=reference)
    _class_ticks(ax, sizes)
    balanced = float(values.mean(axis=1).mean())
    ax.set(ylim=(0, 1.05), ylabel="test recall",
           title=f"ρ = {rho:g}: {method} (balanced accuracy {balanced:.3f})")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def recall_explorer(recalls: Mapping, counts: Mapping, reference: str | None = "plain CE"):
    """``recall_view`` under two controls: the imbalance factor ρ and the method.

    The method menu lists the methods measured at the largest ρ; for a method not measured
    at the chosen ρ the widget names the methods that were, instead of failing.

    >>> r = {1: {"plain CE": [[1.0, 1.0]]}, 50: {"plain CE": [[1.0, 0.2]], "x": [[0.9, 0.7]]}}
    >>> ex = recall_explorer(r, {1: [10, 10], 50: [100, 2]})
    >>> sorted(ex.controls), ex.controls["rho"].options
    (['method', 'rho'], (1, 50))
    """
    import ipywidgets as w

    from .widgets import Explorer

    _check_recalls(recalls, counts)
    rhos = sorted(recalls)
    methods = list(recalls[rhos[-1]])
    start = rhos[-1]

    def render(rho, method):
        if method not in recalls[rho]:
            return (f"'{method}' was not trained at ρ = {rho}. "
                    f"Measured there: {', '.join(recalls[rho])}.")
        return recall_view(recalls, counts, rho, method, reference)

    controls = {
        "rho": w.ToggleButtons(options=rhos, value=start, description="ρ"),
        "method": w.Dropdown(options=methods, value=methods[0], description="method"),
    }
    return Explorer(render, controls, title="Per-class test recall, head → tail")
