"""batchlab.distributed: the distributed weighted sampler, the shard picture, a real DDP run."""

import math
import multiprocessing
import socket
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DistributedSampler, WeightedRandomSampler

from batchlab.distributed import (
    MAX_SHARD_ITEMS,
    MAX_SHARD_RANKS,
    PARTS,
    DistributedWeightedSampler,
    RankWorkerStream,
    ddp_demo_data,
    ddp_demo_model,
    free_port,
    plot_shards,
    port_is_free,
    run_ddp_demo,
    run_torchrun,
    sampler_shards,
    shards_explorer,
    squared_errors,
    train_single_process,
)
from batchlab.weights import sample_weights
from batchlab.widgets import slider_ends


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


# --- the shard picture and its widget ----------------------------------------------------------

def test_sampler_shards_match_distributed_sampler():
    out = sampler_shards(10, 3)
    assert out["shards"] == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert out["padded"] == [[False] * 4, [False, False, False, True],
                             [False, False, False, True]]
    out = sampler_shards(10, 3, drop_last=True)
    assert out["shards"] == [[0, 3, 6], [1, 4, 7], [2, 5, 8]] and out["dropped"] == [9]
    out = sampler_shards(10, 3, shuffle=True, epoch=2, seed=1)
    perm = torch.randperm(10, generator=torch.Generator().manual_seed(3)).tolist()
    assert out["shards"] == [(perm + perm[:2])[r::3] for r in range(3)]
    for rank in range(3):
        s = DistributedSampler(range(10), num_replicas=3, rank=rank, seed=1)
        s.set_epoch(2)
        assert list(s) == out["shards"][rank]


def _title(fig):
    return fig.axes[0].get_title()


def test_plot_shards_title_and_squares():
    fig = plot_shards(10, 3, drop_last=True)
    assert _title(fig).splitlines()[2] == "len(sampler) = 3 per rank, 0 padded, 1 dropped"
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["rank 0", "rank 1", "rank 2", "dropped"]
    assert [t.get_text() for t in fig.axes[0].texts] == list("036147258") + ["9"]
    fig = plot_shards(1, 8)
    assert _title(fig).splitlines()[2] == "len(sampler) = 1 per rank, 7 padded, 0 dropped"


@pytest.mark.parametrize("args, error, match", [
    ((MAX_SHARD_ITEMS + 1, 3), ValueError, "num_items must be at most"),
    ((10, MAX_SHARD_RANKS + 1), ValueError, "num_replicas must be at most"),
    ((0, 3), ValueError, "num_items must be a positive integer"),
    ((10, 3.0), TypeError, "num_replicas must be a positive integer"),
])
def test_plot_shards_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        plot_shards(*args)


def test_explorer_every_control_at_both_ends():
    ex = shards_explorer(10, 3, shuffle=True, drop_last=True, epoch=1)
    assert ex.values == {"num_items": 10, "num_replicas": 3, "shuffle": True,
                         "drop_last": True, "epoch": 1}
    assert _title(ex.last_result) == _title(plot_shards(10, 3, shuffle=True, drop_last=True,
                                                        epoch=1))
    for name, control in ex.controls.items():
        for value in slider_ends(control):
            if control.value == value:
                continue
            before = _title(ex.last_result)
            control.value = value
            after = _title(ex.last_result)
            assert after != before, (name, value)
            assert f"{name}={value}" in after


# --- ports and a real 2-process DDP run -----------------------------------------------------------

def test_port_is_free_sees_a_listening_socket():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        assert not port_is_free(port)
    assert port_is_free(port)
    assert port_is_free(free_port())


def test_real_two_process_ddp_run():
    """One real 2-process run with every part; each part's promise is checked below."""
    start = time.monotonic()
    result = run_ddp_demo(world_size=2, steps=4, per_rank_batch=4, num_samples=16, timeout=60,
                          parts=PARTS)
    elapsed = time.monotonic() - start
    assert elapsed <= 40, elapsed
    ranks = result["ranks"]
    _check_train(ranks)
    _check_params_sync(ranks)
    _check_accumulate(ranks)
    _check_evaluate(ranks)
    _check_checkpoint(ranks)
    assert not multiprocessing.active_children()
    assert port_is_free(result["port"])


def _check_train(ranks):
    assert [r["rank"] for r in ranks] == [0, 1] and all(r["world_size"] == 2 for r in ranks)
    assert ranks[0]["params"] == ranks[1]["params"]  # identical, bit for bit
    assert ranks[0]["params"] != train_single_process([], num_samples=16)  # it did train
    for step in range(4):  # each step: disjoint batches of 4, within an epoch disjoint shards
        a, b = (r["steps"][step]["indices"] for r in ranks)
        assert len(a) == len(b) == 4 and not set(a) & set(b)
    for epoch in (0, 1):
        seen = sorted(i for r in ranks for s in r["steps"] if s["epoch"] == epoch
                      for i in s["indices"])
        assert seen == list(range(16))  # one epoch = every sample once, over both ranks
    epochs = [[i for s in ranks[0]["steps"] if s["epoch"] == e for i in s["indices"]]
              for e in (0, 1)]
    assert epochs[0] != epochs[1]  # set_epoch reshuffled
    global_batches = [a["indices"] + b["indices"]
                      for a, b in zip(ranks[0]["steps"], ranks[1]["steps"], strict=True)]
    single = train_single_process(global_batches, num_samples=16, lr=0.1, seed=0)
    assert torch.allclose(torch.tensor(single), torch.tensor(ranks[0]["params"]), atol=1e-6)


def _check_params_sync(ranks):
    sync = [r["params_sync"] for r in ranks]
    assert sync[0]["before"] != sync[1]["before"]
    assert sync[0]["wrapped"] == sync[1]["wrapped"] == sync[0]["before"]  # broadcast once
    gap = torch.tensor(sync[1]["after_step"]) - torch.tensor(sync[0]["after_step"])
    assert torch.allclose(gap, torch.tensor([0.0, 0.0, 0.0, 1.0]), atol=1e-6)  # never again


def _check_accumulate(ranks):
    acc = [r["accumulate"] for r in ranks]
    assert [acc[0][m]["all_reduces"] for m in ("no_sync", "every_step")] == [2, 4]
    assert all(a[m]["optimizer_steps"] == 2 for a in acc for m in a)
    same = {m: [x == y for x, y in zip(acc[0][m]["grads"], acc[1][m]["grads"], strict=True)]
            for m in ("no_sync", "every_step")}
    assert same == {"no_sync": [False, True, False, True], "every_step": [True] * 4}
    p = {m: torch.tensor(acc[0][m]["params"]) for m in ("no_sync", "every_step")}
    assert torch.allclose(p["no_sync"], p["every_step"], atol=1e-6)
    assert acc[0]["no_sync"]["params"] == acc[1]["no_sync"]["params"]
    batches = [a + b for a, b in zip(acc[0]["no_sync"]["global_batches"],
                                     acc[1]["no_sync"]["global_batches"], strict=True)]
    assert sorted(i for b in batches for i in b) == list(range(16))
    single = torch.tensor(train_single_process(batches, num_samples=16, lr=0.1))
    assert torch.allclose(p["no_sync"], single, atol=1e-6)


def _check_evaluate(ranks):
    ev = ranks[0]["evaluate"]
    model = ddp_demo_model(0)  # evaluate ran on the model trained by accumulate (no_sync)
    torch.nn.utils.vector_to_parameters(torch.tensor(ranks[0]["accumulate"]["no_sync"]["params"]),
                                        model.parameters())
    _, errors = squared_errors(model, [ddp_demo_data(11, seed=1).tensors])
    truth = errors.mean().item()
    assert ev["padded"]["count"] == 12 and ev["padded"]["mse"] != pytest.approx(truth)
    padded_truth = (errors.sum() + errors[0]).item() / 12  # index 0 is the padding repeat
    assert ev["padded"]["mse"] == pytest.approx(padded_truth, rel=1e-6)
    for way in ("gathered", "uneven"):
        assert ev[way]["count"] == 11 and ev[way]["mse"] == pytest.approx(truth, rel=1e-6)
        assert ranks[1]["evaluate"][way]["mse"] == pytest.approx(ev[way]["mse"], rel=1e-12)


def _check_checkpoint(ranks):
    for r in ranks:
        ck = r["checkpoint"]
        assert ck["files"] == ["checkpoint.pt"] and ck["loaded_equals_own"]
        assert ck["saved_keys"] == ["weight", "bias"]
        assert ck["ddp_keys"] == ["module.weight", "module.bias"]


def test_ddp_run_times_out_cleanly():
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="did not finish within timeout=0.2 s"):
        run_ddp_demo(timeout=0.2)
    assert time.monotonic() - start < 10
    assert not multiprocessing.active_children()


def _failing_worker(rank, world_size, init_method, cfg, out_dir):
    """Stands in for ddp_demo_worker: rank 1 fails at once, rank 0 would wait for a minute."""
    if rank == 1:
        raise ValueError("rank 1 broke on purpose")
    time.sleep(60)


def test_a_failing_worker_is_reported_and_the_others_are_stopped(monkeypatch):
    from batchlab import distributed

    monkeypatch.setattr(distributed, "ddp_demo_worker", _failing_worker)
    start, wall_start = time.monotonic(), time.time()
    with pytest.raises(RuntimeError, match=r"(?s)a DDP worker failed \(rank 1\).*"
                                           r"ValueError: rank 1 broke on purpose"):
        run_ddp_demo(world_size=2, timeout=30)
    assert time.monotonic() - start < 20  # rank 0 was stopped, not waited for
    assert not multiprocessing.active_children()
    assert not any(f.name.startswith("pytorch-errorfile-")
                   and f.stat().st_mtime >= wall_start - 1
                   for f in Path(tempfile.gettempdir()).iterdir())  # torch's file removed


@pytest.mark.parametrize("kwargs, error, match", [
    ({"world_size": 0}, ValueError, "world_size must be a positive integer"),
    ({"steps": 0}, ValueError, "steps must be a positive integer"),
    ({"timeout": 0}, ValueError, "timeout must be > 0"),
    ({"timeout": -1}, ValueError, "timeout must be >= 0"),
    ({"world_size": 3, "num_samples": 2}, ValueError, "num_samples must be >= world_size=3"),
    ({"lr": "0.1"}, TypeError, "lr must be a real number"),
    ({"parts": ("train", "fly")}, ValueError, "parts must name some of"),
    ({"parts": "train"}, TypeError, "parts must be a tuple"),
    ({"parts": ()}, ValueError, "at least one"),
    ({"accumulate": 0}, ValueError, "accumulate must be a positive integer"),
    ({"eval_samples": 1}, ValueError, "eval_samples must be >= world_size=2"),
])
def test_ddp_run_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        run_ddp_demo(**kwargs)
    assert not multiprocessing.active_children()


def test_demo_data_and_model_are_seeded():
    a, b = ddp_demo_data(8, seed=1), ddp_demo_data(8, seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a.tensors, b.tensors, strict=True))
    assert not torch.equal(ddp_demo_data(8, seed=2).tensors[1], a.tensors[1])
    state = torch.random.get_rng_state()
    model = ddp_demo_model(3)
    assert torch.equal(torch.random.get_rng_state(), state)  # global RNG untouched
    assert torch.equal(model.weight, ddp_demo_model(3).weight)


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


# --- torchrun -----------------------------------------------------------------------------------

ENV_SCRIPT = """import json, os, sys
with open(os.path.join(sys.argv[1], "rank" + os.environ["RANK"] + ".json"), "w") as f:
    json.dump({k: os.environ.get(k) for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE")}, f)
"""


def test_run_torchrun_starts_the_workers_with_their_environment(tmp_path):
    script = tmp_path / "env.py"
    script.write_text(ENV_SCRIPT)
    done = run_torchrun(script, tmp_path, nproc_per_node=2, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    envs = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert envs == [{"RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": "2"} for r in range(2)]


def test_run_torchrun_times_out_and_leaves_no_worker(tmp_path):
    script = tmp_path / "sleep.py"
    script.write_text("import os, sys, time\n"
                      "open(os.path.join(sys.argv[1], 'pid' + os.environ['RANK']), 'w')"
                      ".write(str(os.getpid()))\n"
                      "time.sleep(120)\n")
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="torchrun did not finish within timeout=6"):
        run_torchrun(script, tmp_path, nproc_per_node=1, timeout=6, grace=10)
    assert time.monotonic() - start < 30
    for pid_file in tmp_path.glob("pid*"):  # the worker, if it got that far, is gone
        status = Path(f"/proc/{pid_file.read_text()}/status")
        assert not status.exists() or "\nState:\tZ" in status.read_text()


def test_run_torchrun_bad_input():
    with pytest.raises(ValueError, match="nproc_per_node"):
        run_torchrun("x.py", nproc_per_node=0)
    with pytest.raises(ValueError, match="timeout"):
        run_torchrun("x.py", timeout=-1)


# ----- the notebook's exercises (batchlab.exercises.nb09) ---------------------------------------

@pytest.mark.parametrize("n, world_size", [(10, 3), (2, 5), (1, 4), (3, 8), (7, 7), (9, 2)])
def test_q3_reference_shards_like_distributed_sampler_even_when_padding_wraps(n, world_size):
    from batchlab.exercises import nb09

    for rank in range(world_size):
        want = list(DistributedSampler(range(n), num_replicas=world_size, rank=rank,
                                       shuffle=False))
        assert nb09._reference_shard(list(range(n)), rank, world_size) == want


def test_q3_pasted_solution_runs_in_a_fresh_namespace_and_is_accepted():
    from batchlab.exercises import nb09

    namespace = {}
    exec(nb09.q3._solution, namespace)  # what a student pastes into an empty cell
    assert nb09._judge_shard(namespace["shard"]) is True
    assert nb09._judge_shard(nb09._pad_once) is not True  # a draw of 2 on 5 ranks must wrap


def test_q2_says_drop_last_trims_the_epoch():
    from batchlab.exercises import nb09

    def with_drop_last(dataset, rank, world_size, num_epochs):
        sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, seed=0,
                                     drop_last=True)
        read = {}
        for epoch in range(num_epochs):
            sampler.set_epoch(epoch)
            read[epoch] = list(sampler)
        return read

    verdict = nb09._judge_epoch_shards(with_drop_last)
    assert isinstance(verdict, str) and "drop_last" in verdict and "shared" not in verdict
