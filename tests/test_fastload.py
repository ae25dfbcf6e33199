"""batchlab.fastload: TensorBatchLoader, IndexTensorBatchSampler, the fast-path variants."""

import pytest
import torch
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from batchlab.fastload import (
    FAST_PATHS,
    IndexTensorBatchSampler,
    TensorBatchLoader,
    batch_cost_breakdown,
    fast_path_loaders,
    memory_copy_batches,
)


def data(n=10, features=3):
    X = torch.arange(n * features, dtype=torch.float32).reshape(n, features)
    return X, torch.arange(n)


@pytest.mark.parametrize("n", [1, 7, 10, 12])
@pytest.mark.parametrize("batch_size", [1, 3, 5, 20])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_and_batch_sizes_match_a_dataloader(n, batch_size, drop_last):
    X, y = data(n)
    loader = TensorBatchLoader(X, y, batch_size=batch_size, drop_last=drop_last,
                               generator=torch.Generator().manual_seed(0))
    reference = DataLoader(TensorDataset(X, y), batch_size=batch_size, drop_last=drop_last,
                           shuffle=True)
    assert len(loader) == len(reference)
    assert [len(yb) for _, yb in loader] == [len(yb) for _, yb in reference]


def test_every_sample_once_per_epoch_and_rows_stay_paired():
    X, y = data(50)
    loader = TensorBatchLoader(X, y, batch_size=8, generator=torch.Generator().manual_seed(1))
    for _ in range(2):
        ys = torch.cat([yb for _, yb in loader])
        xs = torch.cat([xb for xb, _ in loader])  # another epoch: check pairing separately
        assert sorted(ys.tolist()) == list(range(50))
        assert sorted(xs[:, 0].tolist()) == sorted(X[:, 0].tolist())
    for xb, yb in loader:
        assert torch.equal(xb, X[yb])
        assert isinstance((xb, yb), tuple)


def test_order_is_one_randperm_per_epoch_like_random_sampler():
    X, y = data(30)
    seed = 123
    loader = TensorBatchLoader(X, y, batch_size=7, generator=torch.Generator().manual_seed(seed))
    order = torch.cat([yb for _, yb in loader]).tolist()
    sampler = RandomSampler(range(30), generator=torch.Generator().manual_seed(seed))
    assert order == list(sampler)


def test_deterministic_under_a_generator_and_new_order_each_epoch():
    X, y = data(40)

    def epochs(seed):
        loader = TensorBatchLoader(X, y, batch_size=6,
                                   generator=torch.Generator().manual_seed(seed))
        return [torch.cat([yb for _, yb in loader]).tolist() for _ in range(2)]

    first = epochs(5)
    assert first == epochs(5)
    assert first[0] != first[1]
    assert first != epochs(6)


def test_without_generator_uses_torch_global_random_state():
    X, y = data(40)
    loader = TensorBatchLoader(X, y, batch_size=40)
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
def test_batches_are_fresh_tensors(shuffle):
    X, y = data(6)
    before = X.clone()
    for xb, yb in TensorBatchLoader(X, y, batch_size=4, shuffle=shuffle):
        xb.zero_()
        yb.fill_(-1)
    assert torch.equal(X, before) and y.tolist() == list(range(6))


def test_single_tensor_and_empty_tensors():
    X = torch.arange(5)
    batches = list(TensorBatchLoader(X, batch_size=2, shuffle=False))
    assert [b for (b,) in batches][0].tolist() == [0, 1]
    empty = TensorBatchLoader(torch.empty(0, 3), batch_size=2)
    assert len(empty) == 0 and list(empty) == []


def test_repr_names_shapes_and_options():
    X, y = data(4)
    text = repr(TensorBatchLoader(X, y, batch_size=2))
    assert "(4, 3)" in text and "batch_size=2" in text and "shuffle=True" in text


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
    for name, make in makers.items():
        xs, ys = (torch.cat(parts) for parts in zip(*make(), strict=True))
        assert sorted(ys.tolist()) == list(range(37)), name
        assert torch.equal(xs, X[ys]), name
        shuffled = ys.tolist() != list(range(37))
        assert shuffled == (name != "memory copy (limit)"), name


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
