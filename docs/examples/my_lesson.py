"""Figure and slider-panel plumbing for the worked example notebook ``your_own_notebook.ipynb``.

In your own course this file would be a module of your package (say ``mycourse/padding.py``):
a *pure* function that computes what to show from a few knobs (``epoch_batches``,
``padding_figure``), and a builder that puts a ``batchlab.viz.widgets.Explorer`` over it
(``padding_explorer``). The notebook shows the function's result once as a static figure,
then the panel; a unit test moves every knob to both ends.

>>> [len(b) for b in epoch_batches(10, batch_size=4, sort_by_length=False)]
[4, 4, 2]
"""

from __future__ import annotations

import torch

import batchlab
from batchlab.viz.figures import new_figure


def sequence_lengths(n: int = 24, *, seed: int = 0) -> list[int]:
    """The lengths of ``batchlab.SequenceDataset(n, min_len=1, max_len=12, seed=seed)``.

    >>> sequence_lengths(5)
    [9, 4, 6, 1, 8]
    """
    return batchlab.SequenceDataset(n, min_len=1, max_len=12, seed=seed).lengths.tolist()


def epoch_batches(n: int = 24, *, batch_size: int, sort_by_length: bool,
                  seed: int = 0) -> list[list[int]]:
    """The indices in each batch of one epoch: shuffled (seeded), or sorted by length first.

    >>> epoch_batches(5, batch_size=2, sort_by_length=True)  # lengths [9, 4, 6, 1, 8]
    [[3, 1], [2, 4], [0]]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    lengths = torch.tensor(sequence_lengths(n, seed=seed))
    if sort_by_length:
        order = torch.argsort(lengths, stable=True)
    else:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return [order[i:i + batch_size].tolist() for i in range(0, n, batch_size)]


def padding_figure(batch_size: int = 4, sort_by_length: bool = False, *, n: int = 24):
    """One bar per batch: real tokens (blue) and padding (orange); the title gives the share.

    >>> fig = padding_figure(6, True)
    >>> fig.axes[0].get_title()
    'batch_size=6, sorted by length: 18% padding'
    """
    lengths = sequence_lengths(n)
    batches = epoch_batches(n, batch_size=batch_size, sort_by_length=sort_by_length)
    used = [sum(lengths[i] for i in b) for b in batches]
    padding = [len(b) * max(lengths[i] for i in b) - u for b, u in zip(batches, used,
                                                                          strict=True)]
    share = batchlab.padding_fraction(batches, lengths)
    fig = new_figure(width=5, height=3)
    ax = fig.axes[0]
    x = range(len(batches))
    ax.bar(x, used, color="tab:blue", label="tokens")
    ax.bar(x, padding, bottom=used, color="tab:orange", label="padding")
    ax.set_xlabel("batch")
    ax.set_ylabel("positions in the padded batch")
    order = "sorted by length" if sort_by_length else "shuffled"
    ax.set_title(f"batch_size={batch_size}, {order}: {share:.0%} padding")
    ax.set_ylim(0, 1.3 * max(u + p for u, p in zip(used, padding, strict=True)))
    ax.legend(loc="upper left", fontsize=8, ncols=2)
    return fig


def padding_explorer(batch_size: int = 4, *, n: int = 24):
    """A slider panel over ``padding_figure``: ``batch_size`` (1 to ``n``) and a sort switch.

    >>> ex = padding_explorer()
    >>> sorted(ex.controls), ex.values["batch_size"]
    (['batch_size', 'sort_by_length'], 4)
    """
    import ipywidgets as w

    from batchlab.viz.widgets import Explorer

    controls = {
        "batch_size": w.IntSlider(value=batch_size, min=1, max=n, description="batch_size"),
        "sort_by_length": w.Checkbox(value=False, description="sort_by_length"),
    }
    return Explorer(lambda batch_size, sort_by_length: padding_figure(
        batch_size, sort_by_length, n=n), controls, title="How much of each batch is padding?")
