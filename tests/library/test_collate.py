import pytest
import torch
from torch.utils.data import DataLoader

from batchlab import DetectionDataset, SequenceDataset, detection_collate, pad_collate


def test_pad_collate_pads_to_the_longest_and_keeps_lengths():
    ds = SequenceDataset(8, min_len=1, max_len=6, seed=0)
    padded, lengths, labels = next(iter(DataLoader(ds, batch_size=8, collate_fn=pad_collate)))
    assert padded.shape == (8, int(lengths.max()))
    for row, n, i in zip(padded, lengths, range(8), strict=True):
        assert torch.equal(row[:n], ds[i][0])
        assert (row[n:] == 0).all()
    assert labels.tolist() == ds.labels.tolist()


def test_pad_collate_padding_value_and_feature_dims():
    batch = [(torch.ones(2, 3), 1), (torch.ones(1, 3), 0)]
    padded, lengths, _ = pad_collate(batch, padding_value=-1)
    assert padded.shape == (2, 2, 3)
    assert lengths.tolist() == [2, 1]
    assert (padded[1, 1] == -1).all()


def test_detection_collate_keeps_boxes_per_image():
    ds = DetectionDataset(6, min_boxes=0, max_boxes=4, seed=1)
    images, targets = next(iter(DataLoader(ds, batch_size=6, collate_fn=detection_collate)))
    assert images.shape == (6, 3, 32, 32)
    assert isinstance(targets, list) and len(targets) == 6
    assert [len(t) for t in targets] == [len(ds[i][1]) for i in range(6)]
    assert all(t.dtype == torch.float32 for t in targets)


def test_default_collate_cannot_do_what_detection_collate_does():
    ds = DetectionDataset(4, min_boxes=1, max_boxes=4, seed=0)
    assert len({len(ds[i][1]) for i in range(4)}) > 1
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        next(iter(DataLoader(ds, batch_size=4)))


@pytest.mark.parametrize("fn", [pad_collate, detection_collate])
def test_bad_batches_get_clear_errors(fn):
    with pytest.raises(ValueError, match="non-empty list"):
        fn([])
    with pytest.raises(TypeError, match="pair"):
        fn([torch.ones(3)])
    with pytest.raises(TypeError, match="tensor"):
        fn([([1, 2], 0)])


def test_detection_collate_rejects_images_of_different_sizes():
    with pytest.raises(ValueError, match="same shape"):
        detection_collate([(torch.zeros(3, 8, 8), torch.zeros(0, 5)),
                           (torch.zeros(3, 9, 8), torch.zeros(1, 5))])


@pytest.mark.parametrize("fn", [pad_collate, detection_collate])
def test_collate_functions_pickle_by_reference(fn):
    """Workers started by spawn/forkserver receive collate_fn by pickle: a top-level function
    travels as a reference (module + name), a lambda cannot travel at all."""
    import pickle

    assert pickle.loads(pickle.dumps(fn)) is fn
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(lambda batch: batch)
