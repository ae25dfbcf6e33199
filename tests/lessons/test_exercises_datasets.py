"""Extra checks for batchlab.exercises.datasets beyond the generic exercise test."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import Dataset, random_split

from batchlab.exercises import datasets as ex


@pytest.mark.filterwarnings("ignore:Length of split at index")
@pytest.mark.parametrize("n", [1, 7, 10, 11, 23, 101])
@pytest.mark.parametrize("fractions", [[0.8, 0.2], [0.7, 0.2, 0.1], [0.5, 0.5], [1 / 3] * 3])
def test_split_sizes_match_random_split(n, fractions):
    g = torch.Generator().manual_seed(0)
    assert ex._split_sizes(n, fractions) == [len(s) for s in random_split(range(n), fractions,
                                                                            generator=g)]


def test_q1_accepts_other_correct_styles():
    class TensorSquares(Dataset):  # returns tensors, no bounds check of its own
        def __init__(self, n):
            self.values = torch.arange(n)

        def __len__(self):
            return len(self.values)

        def __getitem__(self, idx):
            v = self.values[idx]
            return v, v * v

    assert ex.q1.is_correct(TensorSquares)


def test_q1_rejects_a_batch_returning_dataset_with_a_reason():
    ok, message = ex.q1.verdict(ex._ReturnsWholeBatch)
    assert ok is False and "ONE sample" in message


def test_q4_reference_is_what_a_real_loader_gives():
    from torch.utils.data import DataLoader

    from batchlab.data.streams import RangeStream

    loader = DataLoader(RangeStream(0, 10), batch_size=3, num_workers=2, drop_last=True)
    assert len(torch.cat(list(loader))) == ex.q3.reference


def test_q4_explains_the_whole_stream_drop_last_answer():
    ok, message = ex.q3.verdict(9)
    assert ok is False and "inside each worker" in message


def test_q1_accepts_features_shaped_like_celsius_dataset():
    class OneElementFeatures(Dataset):  # ds[i] == (tensor([i]), i * i), as in CelsiusDataset
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, idx):
            return torch.tensor([idx]), idx * idx

    assert ex.q1.is_correct(OneElementFeatures)


def test_q1_explains_a_bare_number_instead_of_crashing():
    class BareSquare(ex.SquaresDataset):
        def __getitem__(self, idx):
            return idx * idx

    ok, message = ex.q1.verdict(BareSquare)
    assert ok is False and "ONE sample" in message and "raised" not in message
