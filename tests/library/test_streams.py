"""Tests for batchlab.data.streams.RangeStream (an IterableDataset)."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from torch.utils.data import DataLoader

from batchlab.data.streams import RangeStream


def test_main_process_yields_whole_range_either_way():
    assert list(RangeStream(3, 7)) == [3, 4, 5, 6]
    assert list(RangeStream(3, 7, shard=False)) == [3, 4, 5, 6]
    assert list(RangeStream(2, 2)) == []


def test_no_len_and_no_getitem():
    stream = RangeStream(0, 3)
    with pytest.raises(TypeError):
        len(stream)
    with pytest.raises(NotImplementedError):
        stream[0]


def test_dataloader_rejects_shuffle():
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(RangeStream(0, 3), shuffle=True)


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_workers_duplicate_without_sharding_and_split_with_it(context):
    if context not in torch.multiprocessing.get_all_start_methods():
        pytest.skip(f"{context} not available")
    counts = {}
    for shard in (False, True):
        loader = DataLoader(RangeStream(0, 10, shard=shard), batch_size=3, num_workers=2,
                            multiprocessing_context=context)
        counts[shard] = Counter(torch.cat(list(loader)).tolist())
    assert counts[False] == Counter({i: 2 for i in range(10)})
    assert counts[True] == Counter({i: 1 for i in range(10)})


@pytest.mark.parametrize("kwargs, error", [
    ({"start": 0.5, "stop": 3}, TypeError),
    ({"start": 5, "stop": 3}, ValueError),
    ({"start": 0, "stop": 3, "shard": 1}, TypeError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        RangeStream(**kwargs)
