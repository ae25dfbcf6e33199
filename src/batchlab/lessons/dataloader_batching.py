"""How a ``DataLoader`` cuts one epoch into batches: the pure functions behind the notebook
``03_dataloader_batching``.

Every answer here comes from a real ``torch.utils.data.DataLoader`` (never from a
re-implementation), so the picture can't drift away from what PyTorch does.

>>> epoch_batches(10, 3)
[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
>>> epoch_batches(10, 3, drop_last=True)
[[0, 1, 2], [3, 4, 5], [6, 7, 8]]
>>> from batchlab import num_batches
>>> len(epoch_batches(10, 3)) == num_batches(10, 3)  # the formula agrees
True
"""

from __future__ import annotations

import inspect
import os

import torch
from torch.utils.data import DataLoader, Dataset

from batchlab._checks import check_bool, check_int, check_positive_int
from batchlab.data.datasets import NumbersDataset, _check_index

#: The largest ``n`` :func:`plot_epoch_batches` draws (one labelled square per item).
MAX_PLOT_ITEMS = 60


def _check_seed(seed) -> int:
    seed = check_int(seed, "seed", minimum=0)
    if seed >= 2**63:
        raise ValueError(f"seed must be < 2**63, got {seed}")
    return seed


def epoch_batches(n: int, batch_size: int, *, shuffle: bool = False, drop_last: bool = False,
                  seed: int = 0) -> list[list[int]]:
    """The item indices in each batch of one epoch, as a ``DataLoader`` produces them.

    Builds ``DataLoader(NumbersDataset(n, start=0), batch_size=batch_size, shuffle=shuffle,
    drop_last=drop_last, generator=torch.Generator().manual_seed(seed))`` and runs its
    first epoch. Item ``i`` is the dataset's index ``i`` (``0 … n-1``). ``seed`` only
    matters when ``shuffle=True``; the same arguments always give the same batches.

    >>> epoch_batches(10, 4, shuffle=True, seed=0)
    [[3, 7, 5, 2], [0, 8, 1, 6], [9, 4]]
    >>> epoch_batches(10, 4, shuffle=True, drop_last=True, seed=0)
    [[3, 7, 5, 2], [0, 8, 1, 6]]
    """
    n = check_positive_int(n, "n")
    batch_size = check_positive_int(batch_size, "batch_size")
    shuffle = check_bool(shuffle, "shuffle")
    drop_last = check_bool(drop_last, "drop_last")
    generator = torch.Generator()
    generator.manual_seed(_check_seed(seed))
    loader = DataLoader(NumbersDataset(n, start=0), batch_size=batch_size, shuffle=shuffle,
                        drop_last=drop_last, generator=generator)
    return [batch.tolist() for batch in loader]


def dropped_items(batches: list[list[int]], n: int) -> list[int]:
    """The items of ``0 … n-1`` that appear in none of ``batches`` (what ``drop_last`` threw away).

    >>> dropped_items(epoch_batches(10, 4, drop_last=True), 10)
    [8, 9]
    """
    n = check_positive_int(n, "n")
    if not isinstance(batches, (list, tuple)):
        raise TypeError(f"batches must be a list of lists of ints, got {type(batches).__name__}")
    seen = {check_int(i, "batches[b][i]") for batch in batches for i in batch}
    return [i for i in range(n) if i not in seen]


def item_colors(n: int):
    """One RGBA colour per item ``0 … n-1`` (``tab20`` up to 20 items, ``turbo`` beyond).

    >>> len(item_colors(12)), len(item_colors(12)[0])
    (12, 4)
    """
    import matplotlib

    n = check_positive_int(n, "n")
    if n <= 20:
        cmap = matplotlib.colormaps["tab20"]
        return [cmap(i) for i in range(n)]
    cmap = matplotlib.colormaps["turbo"]
    return [cmap(0.05 + 0.9 * i / (n - 1)) for i in range(n)]


def plot_epoch_batches(n: int = 10, batch_size: int = 3, *, shuffle: bool = False,
                       drop_last: bool = False, seed: int = 0):
    """Draw one epoch of a ``DataLoader`` over ``n`` coloured items: one row per batch.

    Each square is an item (its colour and number follow the item wherever it goes);
    row ``b`` is batch ``b`` in the order the loader yields it. Items thrown away by
    ``drop_last`` sit greyed and hatched in a last row marked "dropped". The title says
    ``len(loader)``. Returns a closed ``Figure`` (see :mod:`batchlab.plots`).

    >>> fig = plot_epoch_batches(10, 4, drop_last=True)
    >>> fig.axes[0].get_title().splitlines()[1]
    'len(loader) = 2 batches, 2 items dropped'
    """
    from batchlab.viz.figures import item_rows

    n = check_positive_int(n, "n")
    if n > MAX_PLOT_ITEMS:
        raise ValueError(f"n must be at most {MAX_PLOT_ITEMS} to be drawn, got {n}")
    batches = epoch_batches(n, batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    dropped = dropped_items(batches, n)
    rows = [(f"batch {r}", b, [False] * len(b), False) for r, b in enumerate(batches)]
    if dropped:
        rows.append(("dropped", dropped, [True] * len(dropped), True))
    fig = item_rows(rows, item_colors(n), position_ticks=True)
    ax = fig.axes[0]
    ax.set_xlabel("position in the batch", fontsize=8)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    summary = f"len(loader) = {len(batches)} batch{'' if len(batches) == 1 else 'es'}"
    summary += (f", {len(dropped)} item{'' if len(dropped) == 1 else 's'} dropped" if dropped
                else ", nothing dropped")
    ax.set_title(f"N={n}, batch_size={batch_size}, shuffle={shuffle}, drop_last={drop_last}\n"
                 f"{summary}", fontsize=8)
    fig.tight_layout()
    return fig


def epoch_batches_explorer(n: int = 10, *, batch_size: int = 3, shuffle: bool = False,
                      drop_last: bool = False, seed: int = 0):
    """A widget over :func:`plot_epoch_batches`: a ``batch_size`` slider (1 … ``n``) and
    ``shuffle`` / ``drop_last`` check boxes; ``n`` and ``seed`` are fixed.

    >>> ex = epoch_batches_explorer(10, batch_size=4, drop_last=True)
    >>> ex.values == {"batch_size": 4, "shuffle": False, "drop_last": True}
    True
    >>> ex.controls["batch_size"].value = 10
    >>> ex.last_result.axes[0].get_title().splitlines()[1]
    'len(loader) = 1 batch, nothing dropped'
    """
    import ipywidgets as w

    from batchlab.viz.widgets import Explorer

    n = check_positive_int(n, "n")
    if n > MAX_PLOT_ITEMS:
        raise ValueError(f"n must be at most {MAX_PLOT_ITEMS} to be drawn, got {n}")
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(f"batch_size must be between 1 and n={n} for the slider, got {batch_size}")
    seed = _check_seed(seed)

    def render(batch_size, shuffle, drop_last):
        return plot_epoch_batches(n, batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)

    controls = {
        "batch_size": w.IntSlider(value=batch_size, min=1, max=n, description="batch_size"),
        "shuffle": w.Checkbox(value=check_bool(shuffle, "shuffle"), description="shuffle"),
        "drop_last": w.Checkbox(value=check_bool(drop_last, "drop_last"),
                                description="drop_last"),
    }
    return Explorer(render, controls, title=f"One epoch of {n} items, cut into batches")


class WhereLoadedDataset(Dataset):
    """Samples that say who loaded them: ``{"index": i, "worker_id": w, "pid": p}``.

    ``worker_id`` is ``torch.utils.data.get_worker_info().id`` inside a DataLoader worker
    and ``-1`` in the main process; ``pid`` is ``os.getpid()`` of the process that ran
    ``__getitem__``. It lives in a module (not a notebook) so workers can import it under
    the ``spawn`` and ``forkserver`` start methods.

    >>> ds = WhereLoadedDataset(3)
    >>> ds[0]["worker_id"], ds[0]["pid"] == os.getpid()
    (-1, True)
    """

    def __init__(self, n: int = 8):
        self.n = check_positive_int(n, "n")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> dict:
        info = torch.utils.data.get_worker_info()
        return {"index": _check_index(idx, self.n),
                "worker_id": -1 if info is None else info.id,
                "pid": os.getpid()}


#: Every ``DataLoader`` argument of the installed torch -> (the notebook covering it, what it does).
DATALOADER_ARGUMENTS: dict[str, tuple[str, str]] = {
    "dataset": ("01 datasets", "where samples come from (map-style or iterable Dataset)"),
    "batch_size": ("03 (here)", "samples per batch; None turns automatic batching off"),
    "shuffle": ("03 (here)", "True: new random order each epoch; None/False: dataset order"),
    "sampler": ("07 samplers", "the order of indices; cannot be combined with shuffle=True"),
    "batch_sampler": ("07 samplers", "yields lists of indices; excludes batch_size, shuffle, "
                                     "sampler, drop_last"),
    "num_workers": ("11 performance", "worker PROCESSES that load batches; 0 = main process"),
    "collate_fn": ("03 (here)", "list of samples -> batch; None = default_collate "
                                 "(default_convert if batch_size=None)"),
    "pin_memory": ("11 performance", "put batches in pinned (page-locked) host memory"),
    "drop_last": ("03 (here)", "drop the last batch if it is smaller than batch_size"),
    "timeout": ("11 performance", "seconds to wait for a worker's batch; 0 = no limit"),
    "worker_init_fn": ("11 performance", "called in each worker with its id, before loading"),
    "multiprocessing_context": ("11 performance", "start method of workers; None = OS default"),
    "generator": ("03 (here)", "RNG for shuffle=True's order and the base seed each iter() draws"),
    "prefetch_factor": ("11 performance", "batches loaded ahead per worker; None = 2 "
                                          "with workers; must stay None without"),
    "persistent_workers": ("11 performance", "keep worker processes alive between epochs; "
                                             "needs num_workers > 0"),
    "pin_memory_device": ("11 performance", "deprecated: the current accelerator is used"),
    "in_order": ("11 performance", "False: workers' batches may arrive out of order"),
}


def dataloader_argument_table() -> str:
    """One line per argument of the installed ``DataLoader``: name, default (read from its
    signature), where BatchLab covers it, and what it does. Arguments this torch has that
    :data:`DATALOADER_ARGUMENTS` does not describe are listed as "not covered".

    >>> dataloader_argument_table().splitlines()[5].split()[:4]
    ['num_workers', '0', '11', 'performance']
    """
    lines = []
    for name, param in inspect.signature(DataLoader).parameters.items():
        default = "required" if param.default is inspect.Parameter.empty else repr(param.default)
        where, what = DATALOADER_ARGUMENTS.get(name, ("NOT COVERED", "-"))
        lines.append(f"{name:<23} {default:<9} {where:<16} {what}")
    return "\n".join(lines)
