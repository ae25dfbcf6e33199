"""batchlab.lessons.distributed_sampling: the shard picture, a real DDP run, torchrun,
the exercises."""

import multiprocessing
import socket
import tempfile
import time
from pathlib import Path

import pytest
import torch
from support import free_port, slider_ends
from torch.utils.data import DistributedSampler

from batchlab.data.distributed import DistributedWeightedSampler
from batchlab.lessons.distributed_sampling import (
    MAX_SHARD_ITEMS,
    MAX_SHARD_RANKS,
    PARTS,
    ddp_demo_data,
    ddp_demo_model,
    plot_shards,
    port_is_free,
    run_ddp_demo,
    run_torchrun,
    sampler_shards,
    shards_explorer,
    squared_errors,
    train_single_process,
)


def shards_of(weights, num_samples=None, num_replicas=2, **kw):
    samplers = [DistributedWeightedSampler(weights, num_samples, num_replicas=num_replicas,
                                           rank=r, **kw) for r in range(num_replicas)]
    return samplers, [list(s) for s in samplers]


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
    from batchlab.lessons import distributed_sampling

    monkeypatch.setattr(distributed_sampling, "ddp_demo_worker", _failing_worker)
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
    with pytest.raises(TimeoutError, match="torchrun did not finish within timeout=3"):
        run_torchrun(script, tmp_path, nproc_per_node=1, timeout=3, grace=10)
    assert time.monotonic() - start < 30
    for pid_file in tmp_path.glob("pid*"):  # the worker, if it got that far, is gone
        status = Path(f"/proc/{pid_file.read_text()}/status")
        assert not status.exists() or "\nState:\tZ" in status.read_text()


def test_run_torchrun_bad_input():
    with pytest.raises(ValueError, match="nproc_per_node"):
        run_torchrun("x.py", nproc_per_node=0)
    with pytest.raises(ValueError, match="timeout"):
        run_torchrun("x.py", timeout=-1)


# ----- the notebook's exercises (batchlab.exercises.distributed_sampling) ------------------

@pytest.mark.parametrize("n, world_size", [(10, 3), (2, 5), (1, 4), (3, 8), (7, 7), (9, 2)])
def test_q3_reference_shards_like_distributed_sampler_even_when_padding_wraps(n, world_size):
    from batchlab.exercises import distributed_sampling as nb09

    for rank in range(world_size):
        want = list(DistributedSampler(range(n), num_replicas=world_size, rank=rank,
                                       shuffle=False))
        assert nb09._reference_shard(list(range(n)), rank, world_size) == want


def test_q3_pasted_solution_runs_in_a_fresh_namespace_and_is_accepted():
    from batchlab.exercises import distributed_sampling as nb09

    namespace = {}
    exec(nb09.q3._solution, namespace)  # what a student pastes into an empty cell
    assert nb09._judge_shard(namespace["shard"]) is True
    assert nb09._judge_shard(nb09._pad_once) is not True  # a draw of 2 on 5 ranks must wrap


def test_q2_says_drop_last_trims_the_epoch():
    from batchlab.exercises import distributed_sampling as nb09

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
