"""Tests for batchlab.lessons.dataloader_batching: the functions behind the batching widget."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from support import slider_ends
from torch.utils.data import DataLoader

import batchlab
from batchlab.data.samplers import num_batches
from batchlab.lessons.dataloader_batching import (
    DATALOADER_ARGUMENTS,
    MAX_PLOT_ITEMS,
    WhereLoadedDataset,
    dataloader_argument_table,
    dropped_items,
    epoch_batches,
    epoch_batches_explorer,
    item_colors,
    plot_epoch_batches,
)


def _title(fig) -> str:
    return fig.axes[0].get_title()


def _row_labels(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_yticklabels()]


# --- epoch_batches / num_batches agree with a real DataLoader -------------------------------

@pytest.mark.parametrize("shuffle", [False, True])
def test_epoch_batches_has_num_batches_batches(shuffle):
    for n, batch_size, drop_last in [(1, 3, False), (7, 3, True), (10, 4, False), (12, 13, True)]:
        batches = epoch_batches(n, batch_size, shuffle=shuffle, drop_last=drop_last)
        assert len(batches) == num_batches(n, batch_size, drop_last=drop_last)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 120), batch_size=st.integers(1, 130), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_every_item_once_or_dropped(n, batch_size, shuffle, drop_last, seed):
    batches = epoch_batches(n, batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    dropped = dropped_items(batches, n)
    flat = [i for b in batches for i in b]
    assert sorted(flat + dropped) == list(range(n))  # each item exactly once, or dropped
    assert len(dropped) == (n % batch_size if drop_last else 0)
    assert all(len(b) == batch_size for b in batches[:-1])
    if drop_last and batches:
        assert len(batches[-1]) == batch_size


def test_sequential_order_and_last_batch():
    assert epoch_batches(10, 3) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert epoch_batches(10, 3, drop_last=True) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert epoch_batches(10, 10) == [list(range(10))]
    assert epoch_batches(10, 1) == [[i] for i in range(10)]
    assert epoch_batches(5, 8, drop_last=True) == []
    assert epoch_batches(5, 8) == [[0, 1, 2, 3, 4]]


def test_matches_seed_004_loader_with_generator():
    g = torch.Generator().manual_seed(0)
    loader = DataLoader(batchlab.NumbersDataset(10), batch_size=3, shuffle=True, generator=g)
    numbers = [b.tolist() for b in loader]  # the numbers 1..10
    assert [[x - 1 for x in b] for b in numbers] == epoch_batches(10, 3, shuffle=True, seed=0)


def test_seed_matters_only_when_shuffling():
    assert epoch_batches(10, 3, shuffle=True, seed=0) == epoch_batches(10, 3, shuffle=True, seed=0)
    assert epoch_batches(10, 3, shuffle=True, seed=0) != epoch_batches(10, 3, shuffle=True, seed=1)
    assert epoch_batches(10, 3, seed=0) == epoch_batches(10, 3, seed=1)
    assert epoch_batches(10, 3, shuffle=True) != epoch_batches(10, 3)


def test_dropped_items():
    assert dropped_items(epoch_batches(10, 4, drop_last=True), 10) == [8, 9]
    assert dropped_items(epoch_batches(10, 4), 10) == []
    assert dropped_items([], 3) == [0, 1, 2]


@pytest.mark.parametrize("call, error, words", [
    (lambda: epoch_batches(0, 3), ValueError, "n must be a positive integer"),
    (lambda: epoch_batches(2.5, 3), TypeError, "n must be a positive integer"),
    (lambda: epoch_batches(10, 0), ValueError, "batch_size must be a positive integer"),
    (lambda: epoch_batches(10, True), TypeError, "batch_size"),
    (lambda: epoch_batches(10, 3, shuffle=1), TypeError, "shuffle must be True or False"),
    (lambda: epoch_batches(10, 3, drop_last="yes"), TypeError, "drop_last must be True or False"),
    (lambda: epoch_batches(10, 3, shuffle=True, seed=-1), ValueError, "seed must be"),
    (lambda: epoch_batches(10, 3, seed=2**63), ValueError, "seed must be < 2**63"),
    (lambda: num_batches(10, -1), ValueError, "batch_size must be a positive integer"),
    (lambda: num_batches(10, 2, drop_last=None), TypeError, "drop_last"),
    (lambda: dropped_items("abc", 3), TypeError, "batches must be a list"),
    (lambda: dropped_items([[0.5]], 3), TypeError, "batches[b][i] must be an integer"),
    (lambda: item_colors(0), ValueError, "n must be a positive integer"),
    (lambda: plot_epoch_batches(MAX_PLOT_ITEMS + 1, 3), ValueError, "n must be at most"),
    (lambda: plot_epoch_batches(10, 0), ValueError, "batch_size"),
    (lambda: epoch_batches_explorer(10, batch_size=11), ValueError, "batch_size must be between 1"),
    (lambda: epoch_batches_explorer(MAX_PLOT_ITEMS + 1), ValueError, "n must be at most"),
    (lambda: epoch_batches_explorer(10, shuffle="no"), TypeError, "shuffle must be True or False"),
    (lambda: WhereLoadedDataset(0), ValueError, "n must be a positive integer"),
])
def test_bad_input_names_the_argument(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


def test_item_colors_distinct():
    for n in (10, 20, 21, 60):
        colors = item_colors(n)
        assert len(colors) == n and len(set(colors)) == n


# --- the figure ----------------------------------------------------------------------------

def test_plot_is_a_closed_figure_with_one_row_per_batch():
    before = plt.get_fignums()
    fig = plot_epoch_batches(10, 3, shuffle=True, drop_last=True, seed=0)
    assert plt.get_fignums() == before  # closed: Jupyter will not draw it twice
    assert _row_labels(fig) == ["batch 0", "batch 1", "batch 2", "dropped"]
    assert _title(fig).splitlines()[1] == "len(loader) = 3 batches, 1 item dropped"
    texts = sorted(int(t.get_text()) for t in fig.axes[0].texts)
    assert texts == list(range(10))  # every item drawn once, dropped ones included


@pytest.mark.parametrize("n", [1, 10, MAX_PLOT_ITEMS])
def test_plot_at_both_ends_of_every_control(n):
    titles = {}
    for batch_size in (1, n):
        for shuffle in (False, True):
            for drop_last in (False, True):
                fig = plot_epoch_batches(n, batch_size, shuffle=shuffle, drop_last=drop_last)
                rows = num_batches(n, batch_size, drop_last=drop_last)
                assert _row_labels(fig)[:rows] == [f"batch {r}" for r in range(rows)]
                titles[batch_size, shuffle, drop_last] = _title(fig)
    assert len(set(titles.values())) == len(titles)  # each setting is visibly different


def test_plot_with_everything_dropped():
    fig = plot_epoch_batches(5, 8, drop_last=True)
    assert _row_labels(fig) == ["dropped"]
    assert _title(fig).splitlines()[1] == "len(loader) = 0 batches, 5 items dropped"


# --- the widget ----------------------------------------------------------------------------

def test_explorer_every_control_at_both_ends():
    ex = epoch_batches_explorer(10, batch_size=3, shuffle=True, drop_last=True)
    assert ex.values == {"batch_size": 3, "shuffle": True, "drop_last": True}
    assert ex.controls["batch_size"].min == 1 and ex.controls["batch_size"].max == 10
    for name, control in ex.controls.items():
        for value in slider_ends(control):
            before = _title(ex.last_result)
            if control.value == value:
                continue
            control.value = value
            after = _title(ex.last_result)
            assert after != before, (name, value)
            assert f"{name}={value}" in after


def test_explorer_result_matches_the_static_figure():
    ex = epoch_batches_explorer(10, batch_size=4, drop_last=True, seed=3)
    static = plot_epoch_batches(10, 4, drop_last=True, seed=3)
    assert _title(ex.last_result) == _title(static)
    assert [t.get_text() for t in ex.last_result.axes[0].texts] == [
        t.get_text() for t in static.axes[0].texts]


# --- who loads the samples -----------------------------------------------------------------

def test_where_loaded_main_process():
    batch = next(iter(DataLoader(WhereLoadedDataset(4), batch_size=4)))
    assert batch["index"].tolist() == [0, 1, 2, 3]
    assert batch["worker_id"].tolist() == [-1] * 4
    assert batch["pid"].tolist() == [os.getpid()] * 4
    with pytest.raises(IndexError):
        WhereLoadedDataset(4)[4]


def test_where_loaded_worker_processes():
    loader = DataLoader(WhereLoadedDataset(8), batch_size=2, num_workers=2)
    batches = list(loader)
    worker_ids = {w for b in batches for w in b["worker_id"].tolist()}
    pids = {p for b in batches for p in b["pid"].tolist()}
    assert worker_ids == {0, 1}
    assert os.getpid() not in pids and len(pids) == 2  # two other processes, not threads
    assert [i for b in batches for i in b["index"].tolist()] == list(range(8))


# --- the DataLoader argument table ---------------------------------------------------------

def test_argument_table_covers_the_installed_signature():
    params = inspect.signature(DataLoader).parameters
    assert set(DATALOADER_ARGUMENTS) == set(params)
    lines = dataloader_argument_table().splitlines()
    assert [line.split()[0] for line in lines] == list(params)
    assert "NOT COVERED" not in dataloader_argument_table()
    for line, (name, param) in zip(lines, params.items(), strict=True):
        default = line.split()[1]
        expected = "required" if param.default is inspect.Parameter.empty else repr(param.default)
        assert default == expected, name
    where = {name: w for name, (w, _) in DATALOADER_ARGUMENTS.items()}
    assert {where[n] for n in ("sampler", "batch_sampler")} == {"07 samplers"}
    assert {where[n] for n in ("batch_size", "shuffle", "drop_last", "collate_fn",
                               "generator")} == {"03 (here)"}
    assert {where[n] for n in ("num_workers", "pin_memory", "prefetch_factor",
                               "persistent_workers", "timeout", "worker_init_fn",
                               "multiprocessing_context")} == {"11 performance"}
    notebooks = {p.stem[:2]: p.stem for p in (Path(__file__).resolve().parents[2]
                                              / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    for number, word in (w.split(" ", 1) for w in set(where.values())):
        stem = notebooks[number]  # the table names notebooks by their current numbers
        assert word == "(here)" and stem == "03_dataloader_batching" or word in stem, (number, word)
