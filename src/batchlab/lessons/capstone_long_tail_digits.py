"""The pure functions behind the capstone's figures (``13_capstone_long_tail_digits``).

- ``adjust_logits``: post-hoc logit adjustment ``logits − τ · log(prior)`` (Menon et al.,
  "Long-tail learning via logit adjustment", ICLR 2021);
- ``plot_head_to_tail``, ``plot_recall``, ``recall_explorer``: per-class recall against
  class size, as a figure and as a widget over the imbalance factor and the method.

>>> [round(v, 3) for v in adjust_logits(torch.zeros(1, 2), [0.9, 0.1])[0].tolist()]
[0.105, 2.303]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from batchlab._checks import check_real

__all__ = ["adjust_logits", "plot_head_to_tail", "plot_recall", "recall_explorer"]


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
    from batchlab.viz.figures import new_figure

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


def plot_recall(recalls: Mapping, counts: Mapping, rho, method: str,
                reference: str | None = "plain CE"):
    """One method's per-class test recall at one imbalance factor: bars (mean ± sd over
    seeds) with ``reference``'s mean recall drawn as a line. The widget's render function.

    >>> r = {10: {"plain CE": [[1.0, 0.4], [1.0, 0.6]], "x": [[0.9, 0.8], [0.9, 0.9]]}}
    >>> fig = plot_recall(r, {10: [100, 10]}, 10, "x")
    >>> fig.axes[0].get_title()
    'ρ = 10: x (balanced accuracy 0.875)'
    >>> plot_recall(r, {10: [100, 10]}, 10, "y")
    Traceback (most recent call last):
    ...
    ValueError: method must be one of ['plain CE', 'x'] at rho=10, got 'y'
    """
    from batchlab.viz.figures import new_figure

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
    """``plot_recall`` under two controls: the imbalance factor ρ and the method.

    The method menu lists the methods measured at the largest ρ; for a method not measured
    at the chosen ρ the widget names the methods that were, instead of failing.

    >>> r = {1: {"plain CE": [[1.0, 1.0]]}, 50: {"plain CE": [[1.0, 0.2]], "x": [[0.9, 0.7]]}}
    >>> ex = recall_explorer(r, {1: [10, 10], 50: [100, 2]})
    >>> sorted(ex.controls), ex.controls["rho"].options
    (['method', 'rho'], (1, 50))
    """
    import ipywidgets as w

    from batchlab.viz.widgets import Explorer

    _check_recalls(recalls, counts)
    rhos = sorted(recalls)
    methods = list(recalls[rhos[-1]])
    start = rhos[-1]

    def render(rho, method):
        if method not in recalls[rho]:
            return (f"'{method}' was not trained at ρ = {rho}. "
                    f"Measured there: {', '.join(recalls[rho])}.")
        return plot_recall(recalls, counts, rho, method, reference)

    controls = {
        "rho": w.ToggleButtons(options=rhos, value=start, description="ρ"),
        "method": w.Dropdown(options=methods, value=methods[0], description="method"),
    }
    return Explorer(render, controls, title="Per-class test recall, head → tail")
