"""batchlab.lessons.start_here: the first slider's text and the data-path diagram of notebook 00."""

import math

import pytest
from support import slider_ends
from torch.utils.data import DataLoader

from batchlab import NumbersDataset
from batchlab.lessons.start_here import (
    DATA_PATH_ARROWS,
    DATA_PATH_FRAME,
    DATA_PATH_NEXT,
    DATA_PATH_STEPS,
    DATA_PATH_TO_DEVICE,
    PlainText,
    batches_explorer,
    batches_per_epoch_text,
    plot_data_path,
)


def last_line(text):
    return text.splitlines()[-1]


def test_the_mini_batch_post_example_with_and_without_drop_last():
    keep = batches_per_epoch_text(10, 3, drop_last=False)
    drop = batches_per_epoch_text(10, 3, drop_last=True)
    assert "  batch 4: [10]  (smaller than batch_size: 1 number)" in keep.splitlines()
    assert last_line(keep).startswith("4 batches per epoch")
    assert "  dropped: [10]  (the incomplete last batch)" in drop.splitlines()
    assert "batch 4" not in drop
    assert last_line(drop) == "3 batches per epoch = len(loader) = 10 // 3; 9 of 10 numbers used"


@pytest.mark.parametrize("n", [1, 2, 7, 10, 13])
@pytest.mark.parametrize("batch_size", [1, 2, 3, 5, 10, 14])
@pytest.mark.parametrize("drop_last", [False, True])
def test_count_matches_the_formula_and_len_loader(n, batch_size, drop_last):
    text = batches_per_epoch_text(n, batch_size, drop_last)
    count = int(last_line(text).split()[0])
    formula = n // batch_size if drop_last else math.ceil(n / batch_size)
    loader = DataLoader(NumbersDataset(n), batch_size=batch_size, drop_last=drop_last)
    assert count == formula == len(loader)
    used = int(last_line(text).split("; ")[1].split()[0])
    assert used == (count * batch_size if drop_last else n)


def test_batch_larger_than_the_dataset():
    assert last_line(batches_per_epoch_text(10, 12, False)).startswith("1 batch per epoch")
    empty = batches_per_epoch_text(10, 12, True)
    assert last_line(empty).startswith("0 batches per epoch")
    assert "dropped: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]" in empty


def test_nothing_to_drop_when_batch_size_divides_n():
    text = batches_per_epoch_text(10, 5, True)
    assert "(nothing to drop: 5 divides 10)" in text
    assert "dropped" not in text


def test_long_epochs_are_summarised():
    text = batches_per_epoch_text(30, 1)
    assert "batch 11:" not in text
    assert "... 20 more batches, the last is batch 30: [30]" in text
    assert last_line(text).startswith("30 batches per epoch")


def test_plain_text_shows_without_quotes():
    text = batches_per_epoch_text(4, 2)
    assert isinstance(text, PlainText) and isinstance(text, str)
    assert repr(text) == str(text) and "\n" in repr(text)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n": 0}, ValueError, "n must be a positive integer"),
    ({"n": "10"}, TypeError, "n must be a positive integer"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
    ({"batch_size": 2.5}, TypeError, "batch_size"),
    ({"drop_last": 1}, TypeError, "drop_last must be True or False"),
])
def test_bad_input_names_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        batches_per_epoch_text(**kwargs)
    if "drop_last" not in kwargs and "batch_size" not in kwargs:
        with pytest.raises(error, match=match):
            batches_explorer(**kwargs)


def test_explorer_controls_at_both_ends():
    ex = batches_explorer(10)
    assert ex.last_result == batches_per_epoch_text(10, 3, False)
    assert slider_ends(ex.controls["batch_size"]) == [1, 12]
    for name, control in ex.controls.items():
        low, high = slider_ends(control)
        control.value = low
        at_low = ex.last_result
        assert at_low == batches_per_epoch_text(10, **ex.values)
        control.value = high
        assert ex.last_result != at_low, name
        assert ex.last_result == batches_per_epoch_text(10, **ex.values)


def test_explorer_extremes_show_the_edge_cases():
    ex = batches_explorer(10)
    ex.controls["batch_size"].value = 12
    ex.controls["drop_last"].value = True
    assert last_line(ex.last_result).startswith("0 batches per epoch")
    ex.controls["batch_size"].value = 1
    assert last_line(ex.last_result).startswith("10 batches per epoch")


def test_data_path_figure():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = plot_data_path()
    assert isinstance(fig, Figure)
    assert fig.number not in plt.get_fignums()  # closed: shown once in a notebook
    texts = [t.get_text() for t in fig.axes[0].texts]
    labels = [label for label, _ in DATA_PATH_STEPS]
    # the order data flows: indices first, then one sample per index, then the batch
    assert labels == ["sampler", "Dataset", "collate_fn", "mini-batch", "model", "loss", "update"]
    assert [t for t in texts if t in labels] == labels  # drawn in reading order
    assert DATA_PATH_FRAME in texts and DATA_PATH_TO_DEVICE in texts and DATA_PATH_NEXT in texts
    arrows = [t for t in texts if t in DATA_PATH_ARROWS]
    assert arrows == list(DATA_PATH_ARROWS) and arrows[0].startswith("indices")
    assert any("loss.backward()" in t and "optimizer.step()" in t for t in texts)
