"""What a ``WeightedRandomSampler`` draws, next to what its weights lead you to expect.

``weighted_draws`` runs a real ``torch.utils.data.WeightedRandomSampler`` (seeded through a
``torch.Generator``) for several epochs and counts how often each index was drawn;
``expected_counts`` gives the expected count per epoch from the weights alone;
``plot_weighted_draws`` draws both; ``plot_six_weighted_draws`` and
``weighted_draws_explorer`` are the
notebook's widget over six samples.

Whatever torch does at the edges is shown, not hidden: all-zero weights make the sampler
raise when iterated, and without replacement torch fills ``num_samples`` beyond the
nonzero weights with zero-weight indices.

>>> out = weighted_draws([0, 10, 1, 1, 1, 1], 6, True, epochs=100, seed=0)
>>> int(out["observed"][0]), int(out["observed"].sum())
(0, 600)
"""

from __future__ import annotations

import textwrap
from collections import defaultdict

import torch
from torch.utils.data import WeightedRandomSampler

from batchlab._checks import check_bool, check_int, check_positive_int

#: The weights picture of the class-balance blog post (docs/sources.md).
PICTURE_WEIGHTS = (0, 10, 1, 1, 1, 1)
MAX_EXACT = 10  # exact inclusion probabilities without replacement: at most this many samples

__all__ = ["PICTURE_WEIGHTS", "expected_counts", "plot_weighted_draws", "plot_six_weighted_draws",
           "weighted_draws", "weighted_draws_explorer"]


def _weights(weights) -> torch.Tensor:
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
        raise TypeError(f"weights must be a sequence of numbers, got {type(weights).__name__}")
    w = torch.as_tensor(weights, dtype=torch.double)
    if w.dim() != 1 or len(w) == 0:
        raise ValueError(f"weights must be a non-empty 1-D sequence, got shape {tuple(w.shape)}")
    if not torch.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"weights must be finite and >= 0, got {w.tolist()}")
    return w


def expected_counts(weights, num_samples: int, replacement: bool) -> torch.Tensor:
    """Expected number of times each index appears in one epoch of ``num_samples`` draws.

    With replacement: ``num_samples * w_i / sum(w)``. Without replacement each draw picks
    among the indices not drawn yet, with probability proportional to their weights; the
    expected count of index ``i`` is the probability that it is drawn at all, computed
    exactly (at most ``MAX_EXACT`` samples). Beyond the nonzero weights every nonzero index
    is certain (1.0) and zero-weight indices get 0.0 (the weights give them no chance).
    Raises ``ValueError`` when the weights are all zero.

    >>> [round(c, 3) for c in expected_counts([0, 10, 1, 1, 1, 1], 6, True).tolist()]
    [0.0, 4.286, 0.429, 0.429, 0.429, 0.429]
    >>> expected_counts([1, 1, 2], 3, False).tolist()
    [1.0, 1.0, 1.0]
    """
    w = _weights(weights)
    num_samples = check_positive_int(num_samples, "num_samples")
    replacement = check_bool(replacement, "replacement")
    total = float(w.sum())
    if total == 0:
        raise ValueError("weights are all zero: no index has a chance to be drawn")
    if replacement:
        return num_samples * w / total
    if num_samples > len(w):
        raise ValueError(f"num_samples={num_samples} exceeds the {len(w)} samples, "
                         f"which replacement=False cannot draw")
    nonzero = [i for i, v in enumerate(w.tolist()) if v > 0]
    if num_samples >= len(nonzero):
        return (w > 0).double()
    if len(w) > MAX_EXACT:
        raise ValueError(f"exact expectations without replacement need at most {MAX_EXACT} "
                         f"samples, got {len(w)}")
    values = w.tolist()
    states = {frozenset(): 1.0}  # drawn set -> probability (the order no longer matters)
    for _ in range(num_samples):
        nxt = defaultdict(float)
        for drawn, p in states.items():
            left = total - sum(values[j] for j in drawn)
            for i in nonzero:
                if i not in drawn:
                    nxt[drawn | {i}] += p * values[i] / left
        states = nxt
    out = torch.zeros(len(w), dtype=torch.double)
    for drawn, p in states.items():
        out[list(drawn)] += p
    return out


def weighted_draws(weights, num_samples: int, replacement: bool, *, epochs: int = 200,
                   seed: int = 0) -> dict:
    """Iterate a real ``WeightedRandomSampler`` ``epochs`` times and count each index.

    Returns a dict: ``observed`` (int64 counts over all epochs), ``expected`` (float64,
    ``epochs * expected_counts``, or ``None``), ``error`` (the message torch raised, or
    ``None``), ``note`` (a sentence about an edge case, or ``""``), ``first_epoch``
    (the indices of the first epoch).

    >>> out = weighted_draws([0, 0, 0], 3, True)
    >>> out["error"].startswith("RuntimeError: "), out["observed"].tolist()
    (True, [0, 0, 0])
    """
    w = _weights(weights)
    num_samples = check_positive_int(num_samples, "num_samples")
    replacement = check_bool(replacement, "replacement")
    epochs = check_positive_int(epochs, "epochs")
    seed = check_int(seed, "seed", minimum=0)
    out = {"observed": torch.zeros(len(w), dtype=torch.long), "expected": None,
           "error": None, "note": "", "first_epoch": []}
    g = torch.Generator().manual_seed(seed)
    sampler = WeightedRandomSampler(w, num_samples, replacement=replacement, generator=g)
    try:
        epochs_drawn = [list(sampler) for _ in range(epochs)]
    except RuntimeError as err:  # torch checks the weights only now, at iteration
        out["error"] = f"{type(err).__name__}: {err}"
        return out
    draws = torch.tensor(epochs_drawn).flatten()
    out["observed"] = torch.bincount(draws, minlength=len(w))
    out["first_epoch"] = epochs_drawn[0]
    out["expected"] = epochs * expected_counts(w, num_samples, replacement)
    nonzero = int((w > 0).sum())
    if not replacement and num_samples > nonzero:
        zero_drawn = sorted({i for i in epochs_drawn[0] if w[i] == 0})
        out["note"] = (f"replacement=False, num_samples={num_samples} > {nonzero} nonzero "
                       f"weights: torch still returns {num_samples} indices, filling up with "
                       f"zero-weight indices {zero_drawn}")
    return out


def plot_weighted_draws(weights, num_samples: int, replacement: bool, *, epochs: int = 200,
                        seed: int = 0):
    """Bars: how often each index was drawn over ``epochs`` epochs; outlines: the expectation.

    Edge cases (torch raising, zero-weight indices drawn) are written into the figure.

    >>> fig = plot_weighted_draws([0, 10, 1, 1, 1, 1], 6, True, epochs=10)
    >>> fig.axes[0].get_xlabel()
    'sample index'
    """
    from batchlab.viz.figures import new_figure

    out = weighted_draws(weights, num_samples, replacement, epochs=epochs, seed=seed)
    fig = new_figure(width=5.5, height=3.2)
    ax = fig.axes[0]
    n = len(out["observed"])
    x = list(range(n))
    ax.set_xticks(x)
    ax.set_xlabel("sample index")
    ax.set_ylabel(f"times drawn in {epochs} epochs")
    if out["error"] is not None:
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        message = "\n".join(textwrap.wrap(out["error"], 50))
        ax.text(0.5, 0.5, f"Nothing drawn: iterating the sampler raised\n{message}",
                ha="center", va="center", color="firebrick", fontsize=9,
                transform=ax.transAxes)
        shown = [round(v, 2) for v in torch.as_tensor(weights).tolist()]
        ax.set_title(f"weights {shown}, num_samples={num_samples}, "
                     f"replacement={replacement}", fontsize=9)
        return fig
    ax.bar(x, out["observed"].tolist(), color="tab:blue", label="observed")
    ax.bar(x, out["expected"].tolist(), fill=False, edgecolor="black", linewidth=1.5,
           label="expected from weights")
    ax.set_ylim(0, 1.3 * max(out["observed"].max().item(), out["expected"].max().item()))
    ax.legend(fontsize=8, loc="upper right", ncols=2)
    mode = "with" if replacement else "without"
    shown = [round(v, 2) for v in torch.as_tensor(weights).tolist()]
    # the weights are in the title so that every slider move visibly changes the figure,
    # even when it leaves the probabilities as they were (e.g. a single nonzero weight)
    ax.set_title(f"weights {shown}\n{num_samples} draws per epoch {mode} replacement",
                 fontsize=9)
    if out["note"]:
        ax.text(0.0, -0.22, "\n".join(textwrap.wrap(out["note"], 80)), ha="left", va="top",
                color="firebrick", fontsize=8, transform=ax.transAxes)
    return fig


def plot_six_weighted_draws(w0: int = 0, w1: int = 10, w2: int = 1, w3: int = 1, w4: int = 1,
                            w5: int = 1,
           num_samples: int = 6, replacement: bool = True, epochs: int = 200):
    """The widget's view: six samples with weights ``w0 … w5``, ``epochs`` seeded epochs.

    The defaults are the picture of the class-balance blog post: ``[0, 10, 1, 1, 1, 1]``.

    >>> fig = plot_six_weighted_draws()
    >>> fig.axes[0].get_title().splitlines()
    ['weights [0, 10, 1, 1, 1, 1]', '6 draws per epoch with replacement']
    """
    return plot_weighted_draws([w0, w1, w2, w3, w4, w5], num_samples, replacement,
                               epochs=epochs)


def weighted_draws_explorer():
    """An ``Explorer`` over ``plot_six_weighted_draws``: weights, ``num_samples``,
    ``replacement``, ``epochs``.

    ``num_samples`` goes up to the six samples (beyond them ``replacement=False`` can only
    raise); ``epochs`` sets how many draws are counted, from a noisy 10 to a smooth 1000.

    >>> ex = weighted_draws_explorer()
    >>> sorted(ex.controls)[:3]
    ['epochs', 'num_samples', 'replacement']
    """
    import ipywidgets as widgets

    from batchlab.viz.widgets import Explorer

    controls = {f"w{i}": widgets.IntSlider(value=v, min=0, max=10, description=f"weight {i}")
                for i, v in enumerate(PICTURE_WEIGHTS)}
    controls["num_samples"] = widgets.IntSlider(value=6, min=1, max=len(PICTURE_WEIGHTS),
                                                description="num_samples")
    controls["replacement"] = widgets.Checkbox(value=True, description="replacement")
    controls["epochs"] = widgets.IntSlider(value=200, min=10, max=1000, step=10,
                                           description="epochs")
    return Explorer(plot_six_weighted_draws, controls,
                    title="WeightedRandomSampler: observed vs expected")
