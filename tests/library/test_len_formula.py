"""One formula for ``len(loader)``: ``batchlab.num_batches`` against torch and every batcher.

A property test: for any dataset size, batch size and ``drop_last``, ``num_batches`` equals
``len(DataLoader(...))`` and ``len(BatchSampler(...))`` of the installed torch, and every
batch sampler and loader of this package has that length and yields that many batches.
"""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

from batchlab import (
    BucketBatchSampler,
    IndexTensorBatchSampler,
    TensorBatchLoader,
    num_batches,
)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 300), batch_size=st.integers(1, 80), drop_last=st.booleans(),
       shuffle=st.booleans())
def test_num_batches_is_len_of_every_batcher(n, batch_size, drop_last, shuffle):
    expected = num_batches(n, batch_size, drop_last=drop_last)
    assert expected == (n // batch_size if drop_last else -(-n // batch_size))
    torch_loader = DataLoader(range(n), batch_size=batch_size, drop_last=drop_last,
                              shuffle=shuffle, generator=torch.Generator().manual_seed(0))
    assert len(torch_loader) == expected == sum(1 for _ in torch_loader)
    assert len(BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)) == expected

    g = torch.Generator().manual_seed(0)
    x = torch.arange(n)
    ours = {
        "TensorBatchLoader": TensorBatchLoader(x, batch_size=batch_size, shuffle=shuffle,
                                               drop_last=drop_last, generator=g, chunk_bytes=64),
        "IndexTensorBatchSampler": IndexTensorBatchSampler(n, batch_size, shuffle=shuffle,
                                                           drop_last=drop_last, generator=g),
        "BucketBatchSampler": BucketBatchSampler((x % 7 + 1).tolist(), batch_size,
                                                 drop_last=drop_last, generator=g),
    }
    for name, batcher in ours.items():
        sizes = [len(b[0]) if isinstance(b, list) and torch.is_tensor(b[0]) else len(b)
                 for b in batcher]
        assert len(batcher) == expected == len(sizes), name
        full = sorted(sizes, reverse=True)[:-1]  # every batch but (at most) one is full
        assert all(s == batch_size for s in full) and max(sizes, default=0) <= batch_size, name
        assert sum(sizes) == (expected * batch_size if drop_last else n), name
