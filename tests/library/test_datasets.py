from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

from batchlab import (
    Blobs2D,
    DetectionDataset,
    LinearRegressionDataset,
    NumbersDataset,
    SequenceDataset,
    write_image_folder,
)


def test_numbers_are_one_to_n():
    ds = NumbersDataset(10)
    assert len(ds) == 10
    assert [ds[i] for i in range(10)] == list(range(1, 11))
    assert ds[-1] == 10
    with pytest.raises(IndexError, match="out of range"):
        ds[10]


def test_linear_regression_label_is_twice_the_input():
    ds = LinearRegressionDataset(50, seed=3)
    assert torch.equal(ds.y, 2 * ds.x)
    x, y = ds[0]
    assert x.shape == y.shape == (1,)
    noisy = LinearRegressionDataset(2000, noise=0.1, seed=3)
    residual = noisy.y - 2 * noisy.x
    assert abs(residual.std().item() - 0.1) < 0.01


def test_datasets_are_deterministic_per_seed():
    for make in (lambda s: Blobs2D((5, 3), seed=s).features,
                 lambda s: LinearRegressionDataset(5, seed=s).x,
                 lambda s: torch.cat(SequenceDataset(5, seed=s).sequences),
                 lambda s: DetectionDataset(3, seed=s).images):
        assert torch.equal(make(1), make(1))
        assert not torch.equal(make(1), make(2))


def test_blobs_have_the_requested_class_counts():
    ds = Blobs2D((900, 90, 10), seed=0)
    assert torch.bincount(ds.labels).tolist() == [900, 90, 10]
    assert ds.num_classes == 3
    x, y = ds[950]
    assert x.shape == (2,) and x.dtype == torch.float32 and y.dtype == torch.int64
    # each class sits around its own centre
    for c in range(3):
        mean = ds.features[ds.labels == c].mean(0)
        assert torch.linalg.norm(mean - ds.centers[c]) < 1.0


def test_sequences_have_variable_lengths_and_no_padding_token():
    ds = SequenceDataset(200, min_len=2, max_len=9, vocab_size=7, seed=0)
    lengths = [len(ds[i][0]) for i in range(len(ds))]
    assert min(lengths) == 2 and max(lengths) == 9
    tokens = torch.cat(ds.sequences)
    assert tokens.min() >= 1 and tokens.max() <= 6
    assert all(label == int(n > 5.5) for n, label in zip(lengths, ds.labels.tolist(), strict=True))


def test_detection_boxes_match_the_drawn_rectangles():
    ds = DetectionDataset(10, image_size=24, min_boxes=0, max_boxes=3, seed=0)
    counts = [len(ds[i][1]) for i in range(len(ds))]
    assert set(counts) <= {0, 1, 2, 3} and len(set(counts)) > 1
    image, boxes = next(ds[i] for i in range(10) if len(ds[i][1]))
    x0, y0, x1, y1, c = boxes[-1].long().tolist()  # the last box is drawn on top
    assert boxes.shape[1] == 5 and 0 <= x0 < x1 <= 24 and 0 <= y0 < y1 <= 24
    assert torch.allclose(image[:, y0:y1, x0:x1].mean((1, 2)), torch.eye(3)[c % 3])


def test_image_folder_round_trip(tmp_path):
    from torchvision.datasets import ImageFolder

    root = write_image_folder(tmp_path / "imgs", classes=("cat", "dog", "fox"), per_class=3,
                              size=12, seed=0)
    ds = ImageFolder(root)
    assert ds.classes == ["cat", "dog", "fox"]
    assert len(ds) == 9
    image, label = ds[0]
    assert image.size == (12, 12) and image.mode == "RGB" and label == 0
    again = write_image_folder(tmp_path / "again", classes=("cat", "dog", "fox"), per_class=3,
                               size=12, seed=0)
    png = Path("dog") / "dog_001.png"
    assert (root / png).read_bytes() == (again / png).read_bytes()


def test_loaders_under_spawn_can_import_the_datasets():
    loader = DataLoader(NumbersDataset(6), batch_size=3, num_workers=1,
                        multiprocessing_context="spawn")
    assert [b.tolist() for b in loader] == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_worker_copy_probe_tells_inherited_from_pickled(method):
    """Under fork the workers inherit the dataset; under spawn and forkserver it is pickled."""
    import multiprocessing

    from batchlab.lessons.datasets import WorkerCopyProbe

    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available here")
    loader = DataLoader(WorkerCopyProbe(4), batch_size=2, num_workers=2,
                        multiprocessing_context=method)
    assert [x for b in loader for x in b.tolist()] == [method != "fork"] * 4


def test_worker_copy_probe_in_the_main_process():
    import pickle

    from batchlab.lessons.datasets import WorkerCopyProbe

    probe = WorkerCopyProbe(3)
    assert [probe[i] for i in range(3)] == [False] * 3 and len(probe) == 3
    assert pickle.loads(pickle.dumps(probe))[2] is True
    with pytest.raises(IndexError):
        probe[3]
    with pytest.raises(ValueError, match="n"):
        WorkerCopyProbe(0)


@pytest.mark.parametrize("make, exc, word", [
    (lambda: NumbersDataset(0), ValueError, "n"),
    (lambda: NumbersDataset(2.5), TypeError, "n"),
    (lambda: LinearRegressionDataset(5, noise=-1), ValueError, "noise"),
    (lambda: LinearRegressionDataset(5, x_range=(1, 0)), ValueError, "x_range"),
    (lambda: Blobs2D((5,)), ValueError, "class_counts"),
    (lambda: Blobs2D(5), TypeError, "class_counts"),
    (lambda: Blobs2D((5, 0)), ValueError, "class_counts"),
    (lambda: SequenceDataset(5, min_len=4, max_len=3), ValueError, "min_len"),
    (lambda: DetectionDataset(5, min_boxes=3, max_boxes=1), ValueError, "min_boxes"),
    (lambda: DetectionDataset(5, image_size=4), ValueError, "image_size"),
    (lambda: write_image_folder(42), TypeError, "root"),
    (lambda: NumbersDataset(3)["0"], TypeError, "index"),
])
def test_bad_arguments_are_named(make, exc, word):
    with pytest.raises(exc, match=word):
        make()


def test_write_image_folder_rejects_bad_classes(tmp_path):
    for classes in ([], ["a", "a"], ["a/b"]):
        with pytest.raises(ValueError, match="classes"):
            write_image_folder(tmp_path, classes=classes)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_call_counter_copies_live_one_epoch_unless_workers_persist(method):
    import multiprocessing

    from batchlab.lessons.datasets import CallCounter

    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available here")
    for persistent, second in ((False, [1, 2, 3, 4]), (True, [5, 6, 7, 8])):
        loader = DataLoader(CallCounter(4), batch_size=2, num_workers=1,
                            persistent_workers=persistent, multiprocessing_context=method)
        epochs = [[n for b in loader for n in b.tolist()] for _ in range(2)]
        assert epochs == [[1, 2, 3, 4], second]


def test_call_counter_counts_in_the_main_process_and_checks_its_arguments():
    from batchlab.lessons.datasets import CallCounter

    counter = CallCounter(2)
    assert [counter[0], counter[1], counter[0]] == [1, 2, 3] and len(counter) == 2
    with pytest.raises(IndexError):
        counter[2]
    with pytest.raises(ValueError, match="n must be a positive integer"):
        CallCounter(0)
