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
