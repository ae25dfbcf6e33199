"""batchlab.data.distributed: DistributedWeightedSampler and RankWorkerStream."""

import math
from collections import Counter

import pytest
import torch
import torch.distributed as dist
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import WeightedRandomSampler

from batchlab.data.class_balance import sample_weights
from batchlab.data.distributed import DistributedWeightedSampler, RankWorkerStream


def shards_of(weights, num_samples=None, num_replicas=2, **kw):
    samplers = [DistributedWeightedSampler(weights, num_samples, num_replicas=num_replicas,
                                           rank=r, **kw) for r in range(num_replicas)]
    return samplers, [list(s) for s in samplers]




# --- DistributedWeightedSampler: properties ----------------------------------------------------

weights_st = st.lists(st.one_of(st.just(0.0), st.floats(0.01, 10)), min_size=1,
                      max_size=30).filter(lambda w: sum(w) > 0)


@settings(max_examples=60, deadline=None)
@given(weights=weights_st, num_samples=st.integers(1, 40), num_replicas=st.integers(1, 6),
       drop_last=st.booleans(), seed=st.integers(0, 1000), epoch=st.integers(0, 5))
def test_shards_are_strided_positions_of_one_global_draw(weights, num_samples, num_replicas,
                                                          drop_last, seed, epoch):
    if drop_last and num_samples < num_replicas:
        with pytest.raises(ValueError, match="leaves every rank empty"):
            DistributedWeightedSampler(weights, num_samples, num_replicas=num_replicas, rank=0,
                                       drop_last=drop_last)
        return
    samplers, shards = shards_of(weights, num_samples, num_replicas, seed=seed,
                                 drop_last=drop_last)
    for s in samplers:
        s.set_epoch(epoch)
    shards = [list(s) for s in samplers]
    draw = samplers[0].global_draw()
    assert all(s.global_draw() == draw for s in samplers)  # the same draw on every rank
    assert len(draw) == num_samples
    per_rank = num_samples // num_replicas if drop_last else math.ceil(num_samples / num_replicas)
    assert all(len(shard) == len(s) == per_rank for shard, s in zip(shards, samplers, strict=True))
    total = per_rank * num_replicas
    laid_out = [None] * total
    for rank, shard in enumerate(shards):
        laid_out[rank::num_replicas] = shard
    if drop_last:
        assert laid_out == draw[:total]  # the tail of the draw is dropped
    else:
        assert laid_out == (draw * math.ceil(total / len(draw)))[:total]  # padded from the start
        assert laid_out[:num_samples] == draw  # the union of the shards is the draw (+ repeats)
    assert Counter(sum(shards, [])) == Counter(laid_out)
    zero = {i for i, w in enumerate(weights) if w == 0}
    assert not zero & set(draw)


@settings(max_examples=40, deadline=None)
@given(weights=weights_st, num_replicas=st.integers(1, 5), seed=st.integers(0, 100))
def test_without_replacement_shards_never_share_an_index(weights, num_replicas, seed):
    nonzero = sum(w > 0 for w in weights)
    num_samples = nonzero - nonzero % num_replicas  # a multiple of num_replicas: no padding
    if num_samples == 0:
        return
    _, shards = shards_of(weights, num_samples, num_replicas, replacement=False, seed=seed)
    every = sum(shards, [])
    assert len(every) == num_samples and len(set(every)) == num_samples  # disjoint, no repeat


def test_union_of_shards_is_the_global_draw_and_matches_weighted_random_sampler():
    w = [0.0, 1.0, 3.0, 0.5, 2.0, 1.0, 0.0, 4.0]
    samplers, shards = shards_of(w, 12, num_replicas=3, seed=5)
    draw = samplers[0].global_draw()
    assert Counter(sum(shards, [])) == Counter(draw)
    reference = WeightedRandomSampler(w, 12, generator=torch.Generator().manual_seed(5))
    assert draw == list(reference)  # the same multinomial draw torch's sampler makes
    samplers[0].set_epoch(2)
    reference = WeightedRandomSampler(w, 12, generator=torch.Generator().manual_seed(7))
    assert samplers[0].global_draw() == list(reference)  # seed + epoch


def test_padding_and_dropping_like_distributed_sampler():
    w = [1.0] * 10
    samplers, shards = shards_of(w, 10, num_replicas=3)
    draw = samplers[0].global_draw()
    assert [len(s) for s in shards] == [4, 4, 4]
    assert shards[1][-1] == draw[0] and shards[2][-1] == draw[1]  # 2 repeats from the start
    samplers, shards = shards_of(w, 10, num_replicas=3, drop_last=True)
    assert [len(s) for s in shards] == [3, 3, 3]
    assert sorted(sum(shards, [])) == sorted(samplers[0].global_draw()[:9])


def test_deterministic_and_set_epoch_changes_the_draw():
    w = sample_weights([0] * 40 + [1] * 10)
    a = DistributedWeightedSampler(w, num_replicas=2, rank=1, seed=3)
    b = DistributedWeightedSampler(w, num_replicas=2, rank=1, seed=3)
    assert list(a) == list(b) == list(a)  # no hidden state: every epoch repeats without set_epoch
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    a.set_epoch(0)
    assert list(a) == first
    assert list(DistributedWeightedSampler(w, num_replicas=2, rank=1, seed=4)) != first


def test_class_proportions_follow_the_weights():
    labels = torch.tensor([0] * 90 + [1] * 10)
    w = sample_weights(labels)  # each class carries half the total weight
    _, shards = shards_of(w, 20_000, num_replicas=4, seed=0)
    drawn = labels[torch.tensor(sum(shards, []))]
    share = drawn.float().mean().item()
    assert abs(share - 0.5) < 0.02, share  # 5 standard errors is 0.018
    # and each item is drawn in proportion to its weight
    odd = torch.arange(6).double() + 1.0
    _, shards = shards_of(odd, 42_000, num_replicas=3, seed=1)
    freq = torch.bincount(torch.tensor(sum(shards, [])), minlength=6).double() / 42_000
    assert torch.allclose(freq, odd / odd.sum(), atol=0.01), freq.tolist()


# --- DistributedWeightedSampler: bad input -----------------------------------------------------

@pytest.mark.parametrize("kwargs, error, match", [
    ({"rank": 2}, ValueError, r"rank must be in \[0, 2\) for num_replicas=2, got 2"),
    ({"rank": -1}, ValueError, "rank must be in"),
    ({"num_replicas": 0, "rank": 0}, ValueError, "num_replicas must be a positive integer"),
    ({"rank": 1.0}, TypeError, "rank must be an integer"),
    ({"weights": [1.0, -1.0]}, ValueError, "weights must be >= 0"),
    ({"weights": [1.0, float("nan")]}, ValueError, "weights must not be NaN"),
    ({"weights": [1.0, float("inf")]}, ValueError, "weights must be finite"),
    ({"weights": [0.0, 0.0]}, ValueError, "weights are all zero"),
    ({"weights": [[1.0, 2.0]]}, ValueError, "weights must be 1-D"),
    ({"weights": "abc"}, TypeError, "weights must be a 1-D sequence"),
    ({"num_samples": 0}, ValueError, "num_samples must be a positive integer"),
    ({"num_samples": 3, "replacement": False}, ValueError,
     "num_samples=3 exceeds the 2 nonzero weights"),
    ({"replacement": 1}, TypeError, "replacement must be True or False"),
    ({"drop_last": "yes"}, TypeError, "drop_last must be True or False"),
    ({"seed": -1}, ValueError, "seed must be an integer >= 0"),
    ({"seed": 2**63}, ValueError, "seed must be < 2"),
    ({"num_samples": 1, "drop_last": True}, ValueError, "leaves every rank empty"),
])
def test_bad_input(kwargs, error, match):
    args = {"weights": [1.0, 0.0, 2.0], "num_samples": None, "num_replicas": 2, "rank": 0,
            **kwargs}
    weights, num_samples = args.pop("weights"), args.pop("num_samples")
    with pytest.raises(error, match=match):
        DistributedWeightedSampler(weights, num_samples, **args)


def test_bad_epoch():
    s = DistributedWeightedSampler([1.0, 2.0], num_replicas=1, rank=0)
    with pytest.raises(ValueError, match="epoch must be an integer >= 0"):
        s.set_epoch(-1)


@pytest.mark.parametrize("kwargs, missing", [({}, "num_replicas and rank"),
                                             ({"num_replicas": 2}, "rank"),
                                             ({"rank": 0}, "num_replicas")])
def test_without_a_process_group_num_replicas_and_rank_are_required(kwargs, missing):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match=f"^{missing} not given and no process group is "
                                         f"initialised: pass {missing} explicitly or call "
                                         f"torch.distributed.init_process_group first$"):
        DistributedWeightedSampler([1.0, 2.0], **kwargs)


def test_defaults_come_from_the_process_group():
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        s = DistributedWeightedSampler([1.0, 2.0, 3.0])
        assert (s.num_replicas, s.rank, len(s)) == (1, 0, 3)
        assert list(s) == s.global_draw()
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


# --- an IterableDataset split across ranks and DataLoader workers -------------------------------

@pytest.mark.parametrize("num_items, world_size", [(18, 2), (7, 3), (2, 4)])
def test_rank_worker_stream_in_the_main_process(num_items, world_size):
    shards = [list(RankWorkerStream(num_items, rank=r, world_size=world_size))
              for r in range(world_size)]
    assert sorted(i for s in shards for i in s) == list(range(num_items))
    assert shards[0] == list(range(0, num_items, world_size))


def test_rank_worker_stream_with_workers_yields_every_item_once():
    from torch.utils.data import DataLoader

    seen = []
    for rank in range(2):
        stream = RankWorkerStream(11, rank=rank, world_size=2)
        seen += [int(i) for b in DataLoader(stream, batch_size=2, num_workers=2) for i in b]
    assert sorted(seen) == list(range(11))
    naive = RankWorkerStream(11, rank=0, world_size=2, split_workers=False)
    twice = [int(i) for b in DataLoader(naive, batch_size=2, num_workers=2) for i in b]
    assert Counter(twice) == Counter(2 * list(range(0, 11, 2)))  # each worker repeats it


def test_rank_worker_stream_bad_input():
    with pytest.raises(ValueError, match="^world_size and rank not given"):
        RankWorkerStream(5)
    with pytest.raises(ValueError, match="rank must be in \\[0, 2\\) for world_size=2"):
        RankWorkerStream(5, rank=2, world_size=2)
    with pytest.raises(ValueError, match="num_items"):
        RankWorkerStream(0, rank=0, world_size=1)
    with pytest.raises(TypeError, match="split_workers"):
        RankWorkerStream(3, rank=0, world_size=1, split_workers="yes")
    assert "rank=1" in repr(RankWorkerStream(3, rank=1, world_size=2))


