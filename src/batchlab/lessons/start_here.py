"""Helpers for notebook 00 (start here): the first slider and the map of the data path.

``batches_per_epoch_text`` lists the batches one epoch of a real ``DataLoader`` over
``NumbersDataset(n)`` yields, so what it says is true by construction.
``plot_data_path`` draws the road a sample travels: the sampler yields indices,
``dataset[i]`` gives one sample per index, ``collate_fn`` merges them into a mini-batch
(these three run inside the ``DataLoader``), the batch moves to the model's device, then
model → loss → zero_grad/backward/step. (A stream, an ``IterableDataset``, has no sampler:
it yields the samples itself.)

>>> print(batches_per_epoch_text(5, 2, drop_last=True))
N = 5 numbers, batch_size = 2, drop_last = True
  batch 1: [1, 2]
  batch 2: [3, 4]
  dropped: [5]  (the incomplete last batch)
2 batches per epoch = len(loader) = 5 // 2; 4 of 5 numbers used
"""

from __future__ import annotations

import functools

from torch.utils.data import DataLoader

from batchlab._checks import check_bool, check_positive_int
from batchlab.data.datasets import NumbersDataset

#: The boxes of :func:`plot_data_path`, in the order data flows: (label, what happens there).
#: The first three run inside the ``DataLoader``: for a batch of ``B`` samples the sampler's
#: iterator (made once per epoch) gives ``B`` indices, ``dataset[i]`` runs ``B`` times and
#: ``collate_fn`` once.
DATA_PATH_STEPS = (
    ("sampler", "yields the indices\nof the next batch"),
    ("Dataset", "dataset[i] gives\none sample per index\n(B calls per batch)"),
    ("collate_fn", "list of samples\n-> one batch"),
    ("mini-batch", "X, y: tensors with\na batch dimension"),
    ("model", "out = model(X)"),
    ("loss", "loss = loss_fn(out, y)"),
    ("update", "optimizer.zero_grad()\nloss.backward()\noptimizer.step()"),
)

#: What travels along each arrow of the top row (sampler -> Dataset -> collate_fn -> mini-batch).
DATA_PATH_ARROWS = ("indices i", "samples", "batch")

#: The step between the data side and the model: the batch goes where the model is.
DATA_PATH_TO_DEVICE = "X.to(device)\ny.to(device)"

#: The frame around the DataLoader's part, and the note on the arrow back to the sampler.
DATA_PATH_FRAME = "DataLoader, per mini-batch of B: B indices, B × dataset[i], 1 × collate_fn"
DATA_PATH_NEXT = "next mini-batch\n(with workers, often\nloaded already)"

_MAX_LISTED = 12  # list at most this many batches; summarise the rest


class PlainText(str):
    """A ``str`` that Jupyter shows as plain text (no quotes, real line breaks).

    A plain ``str`` returned by a widget's render function would be shown as its
    ``repr``: ``'line 1\\nline 2'``. This subclass is still a ``str`` in every other way.

    >>> PlainText("a\\nb")
    a
    b
    >>> isinstance(PlainText("a"), str)
    True
    """

    def __repr__(self) -> str:
        return str(self)


def batches_per_epoch_text(n: int = 10, batch_size: int = 3, drop_last: bool = False) -> PlainText:
    """The batches of one epoch of ``DataLoader(NumbersDataset(n), batch_size, drop_last=…)``.

    The loader is not shuffled, so the numbers come in order ``1..n``. Without
    ``drop_last`` an epoch has ``ceil(n / batch_size)`` batches and the last one may be
    smaller; with ``drop_last=True`` it has ``n // batch_size`` and the leftover numbers
    are not used in that epoch.

    >>> print(batches_per_epoch_text(4, 3))
    N = 4 numbers, batch_size = 3, drop_last = False
      batch 1: [1, 2, 3]
      batch 2: [4]  (smaller than batch_size: 1 number)
    2 batches per epoch = len(loader) = ceil(4 / 3); 4 of 4 numbers used
    >>> batches_per_epoch_text(4, 0)
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be a positive integer (>= 1), got 0
    """
    n = check_positive_int(n, "n")
    batch_size = check_positive_int(batch_size, "batch_size")
    drop_last = check_bool(drop_last, "drop_last")
    loader = DataLoader(NumbersDataset(n), batch_size=batch_size, drop_last=drop_last)
    batches = [batch.tolist() for batch in loader]
    assert len(batches) == len(loader)  # what len(loader) promises is what iterating gives
    used = sum(len(b) for b in batches)
    left_over = list(range(1 + used, n + 1))

    lines = [f"N = {n} numbers, batch_size = {batch_size}, drop_last = {drop_last}"]
    shown = batches if len(batches) <= _MAX_LISTED else batches[: _MAX_LISTED - 2]
    for i, batch in enumerate(shown, start=1):
        note = ""
        if len(batch) < batch_size:
            note = f"  (smaller than batch_size: {len(batch)} number{'s' * (len(batch) != 1)})"
        lines.append(f"  batch {i}: {batch}{note}")
    if len(shown) < len(batches):
        lines.append(f"  ... {len(batches) - len(shown)} more batches, the last is "
                     f"batch {len(batches)}: {batches[-1]}")
    if left_over:
        lines.append(f"  dropped: {left_over}  (the incomplete last batch)")
    elif drop_last:
        lines.append(f"  (nothing to drop: {batch_size} divides {n})")
    formula = f"{n} // {batch_size}" if drop_last else f"ceil({n} / {batch_size})"
    lines.append(f"{len(batches)} batch{'es' * (len(batches) != 1)} per epoch = len(loader) = "
                 f"{formula}; {used} of {n} numbers used")
    return PlainText("\n".join(lines))


def batches_explorer(n: int = 10):
    """A batch-size slider and a ``drop_last`` checkbox over :func:`batches_per_epoch_text`.

    The slider goes up to ``n + 2``, past the dataset size, so you can see an epoch
    with a single batch (``drop_last=False``) or with none at all (``drop_last=True``).

    >>> ex = batches_explorer(10)
    >>> ex.controls["batch_size"].value = 5
    >>> ex.last_result.splitlines()[-1]
    '2 batches per epoch = len(loader) = ceil(10 / 5); 10 of 10 numbers used'
    """
    import ipywidgets as widgets

    from batchlab.viz.widgets import Explorer

    n = check_positive_int(n, "n")
    controls = {
        "batch_size": widgets.IntSlider(value=min(3, n), min=1, max=n + 2,
                                        description="batch_size"),
        "drop_last": widgets.Checkbox(value=False, description="drop_last"),
    }
    return Explorer(functools.partial(batches_per_epoch_text, n), controls,
                    title=f"One epoch over the numbers 1..{n}")


def plot_data_path():
    """Draw the data path as boxes and arrows; return the closed ``Figure``.

    The top row is the data side, in the order data flows: the sampler yields indices,
    ``dataset[i]`` turns each index into one sample, ``collate_fn`` merges the samples
    into a mini-batch. A dashed frame marks the part the ``DataLoader`` runs. The batch is
    moved to the model's device, then the bottom row is the training side
    (model → loss → update), run once per mini-batch.

    >>> fig = plot_data_path()
    >>> texts = [t.get_text() for t in fig.axes[0].texts]
    >>> all(label in texts for label, _ in DATA_PATH_STEPS)
    True
    >>> [texts.index(label) for label in ("sampler", "Dataset", "collate_fn")] == [0, 2, 4]
    True
    """
    from batchlab.viz.figures import new_figure

    fig = new_figure(width=8.8, height=3.7)
    ax = fig.axes[0]
    ax.set_xlim(0, 8.8)
    ax.set_ylim(0, 3.7)
    ax.axis("off")
    # top row left to right (the DataLoader's work), down, bottom row right to left
    top_y, bottom_y, width, height = 2.45, 0.7, 1.6, 1.1
    centres = [(1.0, top_y), (3.25, top_y), (5.5, top_y), (7.75, top_y),
               (7.75, bottom_y), (5.5, bottom_y), (3.0, bottom_y)]
    colours = ["#dbe9f6"] * 4 + ["#fde3c8"] * 3
    for (label, detail), (x, y), colour in zip(DATA_PATH_STEPS, centres, colours, strict=True):
        w = 2.1 if label == "update" else width
        ax.add_patch(_box(x - w / 2, y - height / 2, w, height, colour))
        ax.text(x, y + 0.3, label, ha="center", va="center", fontsize=10, fontweight="bold")
        ax.text(x, y - 0.15, detail, ha="center", va="center", fontsize=7, linespacing=1.1)
    # the DataLoader: a dashed frame around sampler, Dataset and collate_fn
    ax.add_patch(_box(0.1, top_y - height / 2 - 0.12, 6.3, height + 0.5, "none", dashed=True))
    ax.text(0.22, top_y + height / 2 + 0.2, DATA_PATH_FRAME, fontsize=8,
            style="italic", va="center", color="#333333")
    half = width / 2
    for (x0, _), (x1, _), what in zip(centres[:3], centres[1:4], DATA_PATH_ARROWS, strict=True):
        _arrow(ax, (x0 + half + 0.03, top_y), (x1 - half - 0.03, top_y))
        ax.text((x0 + x1) / 2, top_y + 0.14, what, ha="center", va="bottom", fontsize=7)
    _arrow(ax, (7.75, top_y - height / 2 - 0.03), (7.75, bottom_y + height / 2 + 0.03))
    ax.text(7.85, (top_y + bottom_y) / 2, DATA_PATH_TO_DEVICE, fontsize=7, ha="left",
            va="center", family="monospace")
    _arrow(ax, (7.75 - half - 0.03, bottom_y), (5.5 + half + 0.03, bottom_y))
    _arrow(ax, (5.5 - half - 0.03, bottom_y), (3.0 + 1.05 + 0.03, bottom_y))
    # after the update, the loader asks the sampler for the next batch of indices
    ax.annotate("", xy=(1.0, top_y - height / 2 - 0.15), xytext=(1.95, bottom_y),
                arrowprops={"arrowstyle": "-|>", "color": "#777777", "lw": 1.0, "ls": "--",
                            "connectionstyle": "angle,angleA=180,angleB=90"})
    ax.text(1.05, 1.0, DATA_PATH_NEXT, fontsize=7, color="#555555", ha="left",
            va="center")
    ax.set_title("How a sample reaches the model: one pass over the loader = one epoch",
                 fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.91)
    return fig


def _arrow(ax, start, end):
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": "#333333", "lw": 1.2})


def _box(x, y, w, h, colour, *, dashed: bool = False):
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                          facecolor=colour, edgecolor="#555555", linewidth=1.0,
                          linestyle="--" if dashed else "-")
