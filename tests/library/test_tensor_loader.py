"""batchlab.data.tensor_loader: TensorBatchLoader, IndexTensorBatchSampler, the fast-path variants.

Correctness only (every index once per epoch, order, determinism, len, drop_last,
memory bound); speed is measured side by side by ``python -m batchlab.tools.bench``.
"""

import pytest
import torch
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from batchlab.data.tensor_loader import IndexTensorBatchSampler, TensorBatchLoader
from batchlab.lessons.loader_performance import (
    FAST_PATHS,
    IN_ORDER_LIMIT,
    SHUFFLED_LIMIT,
    batch_cost_breakdown,
    fast_path_loaders,
    gather_call_times,
    memory_copy_batches,
    whole_epoch_gather,
)


def data(n=10, features=3):
    X = torch.arange(n * features, dtype=torch.float32).reshape(n, features)
    return X, torch.arange(n)


def test_every_sample_once_per_epoch_and_rows_stay_paired():
    X, y = data(50)
    loader = TensorBatchLoader(X, y, batch_size=8, shuffle=True, chunk_bytes=2 * 8 * 20,
                               generator=torch.Generator().manual_seed(1))
    for _ in range(2):
        ys = torch.cat([yb for _, yb in loader])
        xs = torch.cat([xb for xb, _ in loader])  # another epoch: check pairing separately
        assert sorted(ys.tolist()) == list(range(50))
        assert sorted(xs[:, 0].tolist()) == sorted(X[:, 0].tolist())
    for xb, yb in loader:
        assert torch.equal(xb, X[yb])


def test_batches_are_lists_like_a_dataloader_and_match_it_unshuffled():
    X, y = data(10)
    ours = list(TensorBatchLoader(X, y, batch_size=4))
    theirs = list(DataLoader(TensorDataset(X, y), batch_size=4))
    assert type(ours[0]) is type(theirs[0]) is list
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert all(torch.equal(u, v) and u.dtype == v.dtype for u, v in zip(a, b, strict=True))


def test_defaults_are_the_dataloader_defaults():
    loader = TensorBatchLoader(torch.arange(5))
    assert (loader.batch_size, loader.shuffle, loader.drop_last) == (1, False, False)
    assert [b.tolist() for (b,) in loader] == [[i] for i in range(5)]


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [False, True])
def test_chunk_size_never_changes_the_batches(shuffle, drop_last):
    X, y = data(23)

    row_bytes = X[0].numel() * 4 + 8  # 3 float32 + 1 int64

    def epochs(chunk_bytes):
        loader = TensorBatchLoader(X, y, batch_size=3, shuffle=shuffle, drop_last=drop_last,
                                   generator=torch.Generator().manual_seed(4),
                                   chunk_bytes=chunk_bytes)
        return [[yb.tolist() for _, yb in loader] for _ in range(2)]

    reference = epochs(8 * 2**20)
    for chunk_bytes in (1, 2 * 3 * row_bytes, 3 * 3 * row_bytes + 5, 7 * 3 * row_bytes, None):
        assert epochs(chunk_bytes) == reference, chunk_bytes
    assert len(reference[0]) == (7 if drop_last else 8)


def test_memory_is_bounded_by_the_chunk():
    X, y = data(1000, features=4)
    row_bytes = 4 * X.element_size() + y.element_size()
    loader = TensorBatchLoader(X, y, batch_size=10, shuffle=True, chunk_bytes=5 * 10 * row_bytes)
    assert loader.chunk_batches == 5
    for xb, yb in loader:  # views into one chunk of 5 batches
        assert xb.untyped_storage().nbytes() == 5 * 10 * 4 * X.element_size()
        assert yb.untyped_storage().nbytes() == 5 * 10 * y.element_size()
    big_rows = TensorBatchLoader(torch.zeros(40, 1000), batch_size=10, chunk_bytes=100)
    assert big_rows.chunk_batches == 1  # a batch larger than chunk_bytes: one at a time
    whole = TensorBatchLoader(X, y, batch_size=10, shuffle=True, chunk_bytes=None)
    xb, _ = next(iter(whole))
    assert xb.untyped_storage().nbytes() == X.untyped_storage().nbytes()  # asked for it


def test_order_is_one_randperm_per_epoch_like_random_sampler():
    X, y = data(30)
    seed = 123
    loader = TensorBatchLoader(X, y, batch_size=7, shuffle=True,
                               generator=torch.Generator().manual_seed(seed))
    epochs = [torch.cat([yb for _, yb in loader]).tolist() for _ in range(2)]
    sampler = RandomSampler(range(30), generator=torch.Generator().manual_seed(seed))
    assert epochs[0] == list(sampler)  # the first epoch is RandomSampler's first
    g = torch.Generator().manual_seed(seed)
    assert epochs == [torch.randperm(30, generator=g).tolist() for _ in range(2)]


def test_deterministic_under_a_generator_and_new_order_each_epoch():
    X, y = data(40)

    def epochs(seed):
        loader = TensorBatchLoader(X, y, batch_size=6, shuffle=True,
                                   generator=torch.Generator().manual_seed(seed))
        return [torch.cat([yb for _, yb in loader]).tolist() for _ in range(2)]

    first = epochs(5)
    assert first == epochs(5)
    assert first[0] != first[1]
    assert first != epochs(6)


def test_without_generator_uses_torch_global_random_state():
    X, y = data(40)
    loader = TensorBatchLoader(X, y, batch_size=40, shuffle=True)
    torch.manual_seed(0)
    a = next(iter(loader))[1].tolist()
    torch.manual_seed(0)
    b = next(iter(loader))[1].tolist()
    assert a == b and a != list(range(40))


def test_unshuffled_batches_are_consecutive_and_drop_last_drops():
    X, y = data(7)
    loader = TensorBatchLoader(X, y, batch_size=3, shuffle=False, drop_last=True)
    assert [yb.tolist() for _, yb in loader] == [[0, 1, 2], [3, 4, 5]]
    loader = TensorBatchLoader(X, y, batch_size=3, shuffle=False)
    assert [yb.tolist() for _, yb in loader] == [[0, 1, 2], [3, 4, 5], [6]]


@pytest.mark.parametrize("shuffle", [True, False])
def test_changing_a_batch_changes_neither_the_data_nor_other_batches(shuffle):
    X, y = data(6)
    before = X.clone()
    batches = list(TensorBatchLoader(X, y, batch_size=2, shuffle=shuffle))
    kept = [b[1].clone() for b in batches]
    batches[0][0].zero_()
    batches[0][1].fill_(-1)
    assert torch.equal(X, before) and y.tolist() == list(range(6))
    assert all(torch.equal(b[1], k) for b, k in zip(batches[1:], kept[1:], strict=True))


def test_single_tensor_and_empty_tensors():
    X = torch.arange(5)
    batches = list(TensorBatchLoader(X, batch_size=2, shuffle=False))
    assert [b for (b,) in batches][0].tolist() == [0, 1]
    empty = TensorBatchLoader(torch.empty(0, 3), batch_size=2)
    assert len(empty) == 0 and list(empty) == []


def test_repr_names_shapes_and_options():
    X, y = data(4)
    text = repr(TensorBatchLoader(X, y, batch_size=2, shuffle=True))
    assert "(4, 3)" in text and "batch_size=2" in text and "shuffle=True" in text
    assert f"chunk_bytes={8 * 2**20}" in text


@pytest.mark.parametrize("kwargs, tensors, error, words", [
    ({"batch_size": 2}, (torch.zeros(3), torch.zeros(4)), ValueError, "same length"),
    ({"batch_size": 0}, (torch.zeros(3),), ValueError, "batch_size"),
    ({"batch_size": -1}, (torch.zeros(3),), ValueError, "batch_size"),
    ({"batch_size": 2.0}, (torch.zeros(3),), TypeError, "batch_size"),
    ({"batch_size": 2}, ([1, 2, 3],), TypeError, "tensors[0]"),
    ({"batch_size": 2}, (torch.zeros(3), "y"), TypeError, "tensors[1]"),
    ({"batch_size": 2}, (), ValueError, "at least one tensor"),
    ({"batch_size": 2}, (torch.tensor(1.0),), ValueError, "at least one dimension"),
    ({"batch_size": 2, "shuffle": 1}, (torch.zeros(3),), TypeError, "shuffle"),
    ({"batch_size": 2, "drop_last": "no"}, (torch.zeros(3),), TypeError, "drop_last"),
    ({"batch_size": 2, "generator": 0}, (torch.zeros(3),), TypeError, "generator"),
    ({"batch_size": 2, "chunk_bytes": 0}, (torch.zeros(3),), ValueError, "chunk_bytes"),
    ({"batch_size": 2, "chunk_bytes": 1.5}, (torch.zeros(3),), TypeError, "chunk_bytes"),
])
def test_tensor_batch_loader_rejects_bad_input(kwargs, tensors, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        TensorBatchLoader(*tensors, **kwargs)


def test_index_tensor_batch_sampler():
    s = IndexTensorBatchSampler(10, 4, generator=torch.Generator().manual_seed(0))
    batches = list(s)
    assert len(s) == len(batches) == 3
    assert all(b.dtype == torch.int64 for b in batches)
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
    assert len(IndexTensorBatchSampler(10, 4, drop_last=True)) == 2
    assert [len(b) for b in IndexTensorBatchSampler(10, 4, drop_last=True)] == [4, 4]
    assert [b.tolist() for b in IndexTensorBatchSampler(5, 2, shuffle=False)] == [
        [0, 1], [2, 3], [4]]


def test_index_tensor_batch_sampler_in_a_dataloader_calls_getitem_once_per_batch():
    calls = []

    class Counting(TensorDataset):
        def __getitem__(self, index):
            calls.append(index)
            return super().__getitem__(index)

    X, y = data(9)
    loader = DataLoader(Counting(X, y), batch_size=None,
                        sampler=IndexTensorBatchSampler(9, 4, generator=torch.Generator()))
    got = torch.cat([yb for _, yb in loader])
    assert len(calls) == 3 and sorted(got.tolist()) == list(range(9))


@pytest.mark.parametrize("args, error", [
    ((-1, 2), ValueError), ((5, 0), ValueError), ((5.0, 2), TypeError), (("5", 2), TypeError),
])
def test_index_tensor_batch_sampler_rejects_bad_input(args, error):
    with pytest.raises(error):
        IndexTensorBatchSampler(*args)


def test_memory_copy_batches_are_consecutive_copies():
    X, y = data(5)
    batches = list(memory_copy_batches(X, y, batch_size=2))
    assert [yb.tolist() for _, yb in batches] == [[0, 1], [2, 3], [4]]
    batches[0][0].zero_()
    assert X[0].tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError):
        list(memory_copy_batches(X, y[:3], batch_size=2))
    with pytest.raises(ValueError):
        list(memory_copy_batches(X, batch_size=0))


def test_fast_path_loaders_all_yield_every_sample_with_its_row():
    X, y = data(37)
    makers = fast_path_loaders(X, y, batch_size=8, generator=torch.Generator().manual_seed(0))
    assert list(makers) == list(FAST_PATHS)
    assert list(makers)[-2:] == [SHUFFLED_LIMIT, IN_ORDER_LIMIT]
    for name, make in makers.items():
        xs, ys = (torch.cat(parts) for parts in zip(*make(), strict=True))
        assert sorted(ys.tolist()) == list(range(37)), name
        assert torch.equal(xs, X[ys]), name
        shuffled = ys.tolist() != list(range(37))
        assert shuffled == (name != IN_ORDER_LIMIT), name
    assert len(list(makers[SHUFFLED_LIMIT]())) == 1  # the whole epoch in one gather


def test_whole_epoch_gather_is_one_permutation():
    X, y = data(20)
    Xp, yp = whole_epoch_gather(X, y, generator=torch.Generator().manual_seed(3))
    assert yp.tolist() == torch.randperm(20, generator=torch.Generator().manual_seed(3)).tolist()
    assert torch.equal(Xp, X[yp])
    with pytest.raises(ValueError):
        whole_epoch_gather(X, y[:3])


def test_gather_call_times_reports_each_size():
    times = gather_call_times(torch.randn(64, 3), rows=(1, 8, 64), number=2, repeats=1)
    assert sorted(times) == [1, 8, 64] and all(v > 0 for v in times.values())
    with pytest.raises(ValueError):
        gather_call_times(torch.randn(4, 3), rows=(5,))
    with pytest.raises(TypeError):
        gather_call_times([1, 2])


def test_fast_path_loaders_rejects_bad_input():
    with pytest.raises(ValueError):
        fast_path_loaders(torch.zeros(3), torch.zeros(4))
    with pytest.raises(TypeError):
        fast_path_loaders(torch.zeros(3), generator="seed")


def test_batch_cost_breakdown_times_every_step():
    X, y = data(100)
    costs = batch_cost_breakdown(X, y, batch_size=10, number=2, repeats=1)
    assert len(costs) == 8
    assert all(isinstance(v, float) and v > 0 for v in costs.values())
    assert "DataLoader's own work per batch" in costs
    with pytest.raises(ValueError):
        batch_cost_breakdown(X, y, batch_size=0)
