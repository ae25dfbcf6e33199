"""Plot helpers. Each returns a closed matplotlib ``Figure``.

Closing it stops Jupyter's inline backend from drawing it a second time: end a
cell with the returned figure to show it once, or pass it to ``display``.

>>> fig = new_figure(2, 1)
>>> len(fig.axes)
2
"""

from __future__ import annotations


def new_figure(nrows: int = 1, ncols: int = 1, *, width: float = 4.0, height: float = 3.0,
               **subplot_kw):
    """A closed ``Figure`` with an ``nrows × ncols`` grid of axes, sized ``width × height`` inches
    per panel (4 × 3 inches is 400 × 300 px at the inline backend's 100 dpi).

    >>> fig = new_figure(width=3, height=2)
    >>> [round(v) for v in fig.get_size_inches()]
    [3, 2]
    """
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                          squeeze=False, **subplot_kw)
    plt.close(fig)
    return fig


GREY = (0.85, 0.85, 0.85, 1.0)


def item_rows(rows, colors, *, position_ticks: bool = False, extra_height: float = 0.0):
    """Rows of numbered, coloured squares — batches of items, shards of indices.

    ``rows`` is a list of ``(label, items, hatched, grey)``: the row's label, the item
    numbers in order, one bool per item (hatch that square), and whether the whole row is
    greyed out (e.g. items a loader dropped). ``colors[item]`` colours each square, so an
    item keeps its colour wherever it goes. Returns the closed ``Figure``; its single axes
    has row ``r`` at y = r (top to bottom) for titles and annotations.

    >>> fig = item_rows([("batch 0", [2, 0], [False, False], False),
    ...                  ("dropped", [1], [True], True)], ["r", "g", "b"])
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['batch 0', 'dropped']
    """
    from matplotlib.patches import Rectangle

    width = max(1, max(len(items) for _, items, _, _ in rows))
    cell = min(0.4, 7.5 / width)  # inches per square, so wide rows still fit in 9 inches
    fontsize = min(8.0, 36 * cell)
    fig = new_figure(width=max(4.0, 1.5 + cell * width),
                     height=1.3 + extra_height + cell * len(rows))
    ax = fig.axes[0]
    for r, (_, items, hatched, grey) in enumerate(rows):
        for c, (item, hatch) in enumerate(zip(items, hatched, strict=True)):
            ax.add_patch(Rectangle((c + 0.05, r + 0.05), 0.9, 0.9,
                                   facecolor=GREY if grey else colors[item], edgecolor="0.3",
                                   hatch="//" if hatch else None))
            ax.text(c + 0.5, r + 0.5, str(item), ha="center", va="center", fontsize=fontsize,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.8,
                          "linewidth": 0})
    ax.set_aspect("equal")
    ax.set_xlim(0, width)
    ax.set_ylim(len(rows), 0)
    ax.set_yticks([r + 0.5 for r in range(len(rows))])
    ax.set_yticklabels([label for label, _, _, _ in rows], fontsize=8)
    if position_ticks:
        ax.set_xticks([c + 0.5 for c in range(width)])
        ax.set_xticklabels([str(c) for c in range(width)], fontsize=min(7.0, fontsize))
    else:
        ax.set_xticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    return fig
