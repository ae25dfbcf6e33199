"""Real DDP runs and the shard picture of ``12_distributed_sampling``.

The library pieces (``DistributedWeightedSampler``, ``RankWorkerStream``) live in
``batchlab.data.distributed``; this module holds the lesson's demos:

- ``sampler_shards`` / ``plot_shards`` / ``shards_explorer``: which indices each rank's
  ``DistributedSampler`` gets;
- ``run_ddp_demo``: start ``world_size`` processes on this machine (``spawn``), join them
  into a ``gloo`` process group on ``127.0.0.1`` and run the lesson functions in each:
  ``ddp_train`` (a training loop with ``DistributedDataParallel``), ``ddp_params_sync``,
  ``ddp_accumulate`` (``no_sync()``), ``ddp_evaluate`` (padding and metrics) and
  ``ddp_save_checkpoint`` (rank 0 writes, a barrier, every rank reads). It never hangs: the
  process group has a timeout, the parent waits at most ``timeout`` seconds, and every
  child is stopped and joined before it returns or raises. ``ddp_demo_worker`` is the
  function each process runs.
- ``run_torchrun``: ``torchrun --standalone`` on this machine, with the same guarantees.
- ``train_single_process``: the same model trained in one process on the global batches
  (the ranks' batches put together), to compare with the DDP result.

>>> sampler_shards(5, 2)["shards"]
[[0, 2, 4], [1, 3, 0]]
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import torch
from torch.utils.data import TensorDataset

from batchlab._checks import check_bool, check_int, check_positive_int, check_real

__all__ = ["PARTS", "count_all_reduces", "ddp_accumulate", "ddp_demo_data", "ddp_demo_model",
           "ddp_demo_worker", "ddp_evaluate", "ddp_params_sync", "ddp_save_checkpoint",
           "ddp_train", "plot_shards", "port_is_free", "run_ddp_demo",
           "run_torchrun", "sampler_shards", "shards_explorer", "squared_errors",
           "train_single_process"]


# ----- an IterableDataset split across ranks and DataLoader workers -----------------------------


# ----- what DistributedSampler hands each rank (pure functions for the picture and widget) -----

#: The largest number of items and of ranks :func:`plot_shards` draws.
MAX_SHARD_ITEMS = 24
MAX_SHARD_RANKS = 8


def sampler_shards(num_items: int, num_replicas: int, *, shuffle: bool = False,
                   drop_last: bool = False, epoch: int = 0, seed: int = 0) -> dict:
    """What a real ``DistributedSampler`` over ``num_items`` items gives each of the ranks.

    Returns ``{"shards": [rank 0's indices, …], "padded": [[bool per index], …],
    "dropped": [indices no rank gets]}``; an index is *padded* when it is one of the
    repeats added to make the total divisible by ``num_replicas``.

    >>> out = sampler_shards(10, 3)
    >>> out["shards"], out["padded"][1], out["dropped"]
    ([[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]], [False, False, False, True], [])
    >>> sampler_shards(10, 3, drop_last=True)["dropped"]
    [9]
    """
    from torch.utils.data import DistributedSampler

    num_items = check_positive_int(num_items, "num_items")
    num_replicas = check_positive_int(num_replicas, "num_replicas")
    shuffle, drop_last = check_bool(shuffle, "shuffle"), check_bool(drop_last, "drop_last")
    epoch, seed = check_int(epoch, "epoch", minimum=0), check_int(seed, "seed", minimum=0)
    shards = []
    for rank in range(num_replicas):
        sampler = DistributedSampler(range(num_items), num_replicas=num_replicas, rank=rank,
                                     shuffle=shuffle, seed=seed, drop_last=drop_last)
        sampler.set_epoch(epoch)
        shards.append(list(sampler))
    # rank r's j-th index sits at position r + j * num_replicas of the padded global list
    padded = [[rank + j * num_replicas >= num_items for j in range(len(shard))]
              for rank, shard in enumerate(shards)]
    seen = {i for shard in shards for i in shard}
    return {"shards": shards, "padded": padded,
            "dropped": [i for i in range(num_items) if i not in seen]}


def plot_shards(num_items: int = 10, num_replicas: int = 3, *, shuffle: bool = False,
                drop_last: bool = False, epoch: int = 0, seed: int = 0):
    """Draw what each rank's ``DistributedSampler`` yields: one row per rank.

    Each square is a dataset index (its colour follows the index); hatched squares are
    the padding repeats (``drop_last=False``); indices no rank gets this epoch
    (``drop_last=True``) sit greyed in a last row marked "dropped". Returns a closed
    ``Figure``.

    >>> fig = plot_shards(10, 3)
    >>> fig.axes[0].get_title().splitlines()[2]
    'len(sampler) = 4 per rank, 2 padded, 0 dropped'
    """
    from batchlab.lessons.dataloader_batching import item_colors
    from batchlab.viz.figures import item_rows

    if check_positive_int(num_items, "num_items") > MAX_SHARD_ITEMS:
        raise ValueError(f"num_items must be at most {MAX_SHARD_ITEMS} to be drawn, "
                         f"got {num_items}")
    if check_positive_int(num_replicas, "num_replicas") > MAX_SHARD_RANKS:
        raise ValueError(f"num_replicas must be at most {MAX_SHARD_RANKS} to be drawn, "
                         f"got {num_replicas}")
    out = sampler_shards(num_items, num_replicas, shuffle=shuffle, drop_last=drop_last,
                         epoch=epoch, seed=seed)
    rows = [(f"rank {r}", shard, out["padded"][r], False)
            for r, shard in enumerate(out["shards"])]
    if out["dropped"]:
        rows.append(("dropped", out["dropped"], [True] * len(out["dropped"]), True))
    fig = item_rows(rows, item_colors(num_items), extra_height=0.2)
    ax = fig.axes[0]
    n_padded = sum(map(sum, out["padded"]))
    ax.set_title(f"num_items={num_items}, num_replicas={num_replicas}\n"
                 f"shuffle={shuffle}, drop_last={drop_last}, epoch={epoch}\n"
                 f"len(sampler) = {len(out['shards'][0])} per rank, {n_padded} padded, "
                 f"{len(out['dropped'])} dropped", fontsize=8)
    fig.tight_layout()
    return fig


def shards_explorer(num_items: int = 10, num_replicas: int = 3, *, shuffle: bool = False,
                    drop_last: bool = False, epoch: int = 0, seed: int = 0):
    """A widget over :func:`plot_shards`: sliders for ``num_items`` (1 … 24), ``num_replicas``
    (1 … 8) and ``epoch`` (0 … 3), check boxes for ``shuffle`` and ``drop_last``.

    >>> ex = shards_explorer(10, 3)
    >>> ex.controls["drop_last"].value = True
    >>> ex.last_result.axes[0].get_title().splitlines()[2]
    'len(sampler) = 3 per rank, 0 padded, 1 dropped'
    """
    import ipywidgets as w

    from batchlab.viz.widgets import Explorer

    seed = check_int(seed, "seed", minimum=0)

    def render(num_items, num_replicas, shuffle, drop_last, epoch):
        return plot_shards(num_items, num_replicas, shuffle=shuffle, drop_last=drop_last,
                           epoch=epoch, seed=seed)

    controls = {
        "num_items": w.IntSlider(value=num_items, min=1, max=MAX_SHARD_ITEMS,
                                 description="num_items"),
        "num_replicas": w.IntSlider(value=num_replicas, min=1, max=MAX_SHARD_RANKS,
                                    description="num_replicas"),
        "shuffle": w.Checkbox(value=check_bool(shuffle, "shuffle"), description="shuffle"),
        "drop_last": w.Checkbox(value=check_bool(drop_last, "drop_last"),
                                description="drop_last"),
        "epoch": w.IntSlider(value=epoch, min=0, max=3, description="epoch"),
    }
    return Explorer(render, controls, title="What DistributedSampler gives each rank")


# ----- a real DistributedDataParallel run on this machine ---------------------------------------

def _free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now (the OS picks it when we bind port 0).

    Another program could take it before we use it; for a demo on one machine that is rare.

    >>> 0 < _free_port() < 65536
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``port`` now (nothing else is listening there).

    Binds with ``SO_REUSEADDR``, as servers (and torch's TCP store) do, so connections that
    were closed a moment ago (``TIME_WAIT``: the OS keeps a closed connection's port for a
    minute or so) do not count as "in use". On Windows ``SO_REUSEADDR`` would even let the
    bind succeed on a port another program listens on, so there it binds with
    ``SO_EXCLUSIVEADDRUSE`` instead.

    >>> port_is_free(_free_port())
    True
    """
    port = check_int(port, "port", minimum=1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sys.platform == "win32":  # SO_REUSEADDR means "share the port" on Windows
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen(1)
        except OSError:
            return False
    return True


TRUE_WEIGHT = (2.0, -1.0, 0.5)


def ddp_demo_data(num_samples: int = 16, seed: int = 0) -> TensorDataset:
    """``(index, x, y)`` samples with ``y = x @ [2, -1, 0.5] + noise``, the same for every seed.

    The index is part of each sample so a training loop can record which samples it saw.

    >>> data = ddp_demo_data(4)
    >>> len(data), [t.shape for t in data[0]]
    (4, [torch.Size([]), torch.Size([3]), torch.Size([1])])
    """
    num_samples = check_positive_int(num_samples, "num_samples")
    seed = check_int(seed, "seed", minimum=0)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(num_samples, 3, generator=g)
    y = x @ torch.tensor(TRUE_WEIGHT).unsqueeze(1) + 0.1 * torch.randn(num_samples, 1,
                                                                        generator=g)
    return TensorDataset(torch.arange(num_samples), x, y)


def ddp_demo_model(seed: int = 0) -> torch.nn.Linear:
    """A ``Linear(3, 1)`` whose initial parameters depend only on ``seed``.

    The global RNG is left as it was, so building the model changes no other random draw.

    >>> torch.equal(ddp_demo_model(1).weight, ddp_demo_model(1).weight)
    True
    """
    g = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
    with torch.random.fork_rng(devices=[]):  # Linear's own init draws from the global RNG
        model = torch.nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.copy_(0.5 * torch.randn(1, 3, generator=g))
        model.bias.copy_(0.5 * torch.randn(1, generator=g))
    return model


def _flat_params(model: torch.nn.Module) -> list[float]:
    return torch.cat([p.detach().flatten() for p in model.parameters()]).tolist()


def _flat_grads(model: torch.nn.Module) -> list[float]:
    return torch.cat([p.grad.flatten() for p in model.parameters()]).tolist()


def ddp_train(cfg: dict) -> tuple[torch.nn.Module, dict]:
    """One rank's training loop; the process group is already initialised.

    Returns the DDP-wrapped model and what this rank saw: ``rank``, ``world_size``,
    ``sampler_len``, ``steps`` (``epoch``, ``indices``, ``loss`` per step) and ``params``.
    Run it through :func:`run_ddp_demo`.

    >>> callable(ddp_train)
    True
    """
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler

    data = ddp_demo_data(cfg["num_samples"], cfg["seed"])  # the same data on every rank
    sampler = DistributedSampler(data, shuffle=True, seed=cfg["seed"])  # shared seed!
    rank_rng = torch.Generator().manual_seed(cfg["seed"] + dist.get_rank())  # per rank
    loader = DataLoader(data, batch_size=cfg["per_rank_batch"], sampler=sampler,
                        generator=rank_rng)  # seeds workers/augmentation: differ per rank
    model = DistributedDataParallel(ddp_demo_model(cfg["seed"]))
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"])
    log, epoch = [], 0
    while len(log) < cfg["steps"]:
        sampler.set_epoch(epoch)
        for index, x, y in loader:
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()  # DDP all-reduces (averages) the gradients here
            optimizer.step()
            log.append({"epoch": epoch, "indices": index.tolist(), "loss": loss.item()})
            if len(log) == cfg["steps"]:
                break
        epoch += 1
    return model, {"rank": dist.get_rank(), "world_size": dist.get_world_size(),
                   "sampler_len": len(sampler), "steps": log,
                   "params": _flat_params(model.module)}


def count_all_reduces(model) -> dict:
    """Make a ``DistributedDataParallel`` model count its gradient all-reduces.

    Registers a communication hook that adds 1 to ``counter["all_reduces"]`` and then does
    what DDP does without a hook (``allreduce_hook``: all-reduce the bucket, divide by the
    world size). Returns ``counter``. A model this small has one gradient bucket, so the
    count is the number of synchronised ``backward()`` calls.

    >>> callable(count_all_reduces)
    True
    """
    from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook

    def hook(counter, bucket):
        counter["all_reduces"] += 1
        return allreduce_hook(None, bucket)  # None: the default process group

    counter = {"all_reduces": 0}
    model.register_comm_hook(counter, hook)
    return counter


def ddp_accumulate(cfg: dict, *, use_no_sync: bool) -> tuple[torch.nn.Module, dict]:
    """Gradient accumulation under DDP: ``accumulate`` micro-batches per optimizer step.

    With ``use_no_sync=True`` the micro-batches before the last one of each step run inside
    ``model.no_sync()``, so their ``backward()`` does not all-reduce. Returns the model and
    ``{"all_reduces", "optimizer_steps", "grads" (after every backward), "global_batches"
    (this rank's indices per step), "params"}``.

    >>> callable(ddp_accumulate)
    True
    """
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler

    data = ddp_demo_data(cfg["num_samples"], cfg["seed"])
    loader = DataLoader(data, batch_size=cfg["micro_batch"],
                        sampler=DistributedSampler(data, shuffle=False))
    model = DistributedDataParallel(ddp_demo_model(cfg["seed"]))
    counter = count_all_reduces(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"])
    k, grads, batches, seen = cfg["accumulate"], [], [], []
    for step, (index, x, y) in enumerate(loader, start=1):
        last = step % k == 0  # the last micro-batch of this optimizer step
        skip_sync = model.no_sync() if use_no_sync and not last else contextlib.nullcontext()
        with skip_sync:  # the forward pass must be inside no_sync() too
            loss = torch.nn.functional.mse_loss(model(x), y) / k  # mean over k micro-batches
            loss.backward()
        grads.append(_flat_grads(model.module))
        seen += index.tolist()
        if last:
            optimizer.step()
            optimizer.zero_grad()
            batches.append(seen)
            seen = []
    return model, {"all_reduces": counter["all_reduces"], "optimizer_steps": len(batches),
                   "grads": grads, "global_batches": batches,
                   "params": _flat_params(model.module)}


def ddp_evaluate(model: torch.nn.Module, cfg: dict) -> dict:
    """Mean squared error of ``model`` on ``cfg["eval_samples"]`` held-out samples, three ways.

    ``padded``: a ``DistributedSampler`` (which pads), summed over ranks: repeats count twice.
    ``gathered``: the same shards, but every rank's ``(index, error)`` pairs are gathered
    and each index is counted once. ``uneven``: shards without padding (rank ``r`` takes
    ``r, r + world_size, …``), sums and counts all-reduced. Every rank returns the same.

    >>> callable(ddp_evaluate)
    True
    """
    import torch.distributed as dist
    from torch.utils.data import DataLoader, DistributedSampler

    data = ddp_demo_data(cfg["eval_samples"], cfg["seed"] + 1)  # not the training data
    rank, world_size = dist.get_rank(), dist.get_world_size()
    padded_loader = DataLoader(data, batch_size=4,
                               sampler=DistributedSampler(data, shuffle=False))
    index, errors = squared_errors(model, padded_loader)
    totals = torch.tensor([errors.sum().item(), len(errors)], dtype=torch.float64)
    dist.all_reduce(totals)  # sums over the ranks
    padded = {"mse": (totals[0] / totals[1]).item(), "count": int(totals[1])}
    everyone = [None] * world_size
    dist.all_gather_object(everyone, (index.tolist(), errors.tolist()))
    by_index = {i: e for idx, err in everyone for i, e in zip(idx, err, strict=True)}
    gathered = {"mse": sum(by_index.values()) / len(by_index), "count": len(by_index)}
    uneven_loader = DataLoader(data, batch_size=4, sampler=range(rank, len(data), world_size))
    _, errors = squared_errors(model, uneven_loader)
    totals = torch.tensor([errors.sum().item(), len(errors)], dtype=torch.float64)
    dist.all_reduce(totals)
    uneven = {"mse": (totals[0] / totals[1]).item(), "count": int(totals[1])}
    return {"padded": padded, "gathered": gathered, "uneven": uneven}


def squared_errors(model: torch.nn.Module, loader) -> tuple[torch.Tensor, torch.Tensor]:
    """``(indices, squared errors)`` of every sample ``loader`` yields, in order.

    Runs the plain module (``model.module`` for a DDP model) under ``torch.no_grad()``.

    >>> index, err = squared_errors(ddp_demo_model(), [ddp_demo_data(3).tensors])
    >>> index.tolist(), err.shape
    ([0, 1, 2], torch.Size([3]))
    """
    net = getattr(model, "module", model)
    indices, errors = [], []
    with torch.no_grad():
        for index, x, y in loader:
            indices.append(index)
            errors.append(((net(x) - y) ** 2).flatten().double())
    return torch.cat(indices), torch.cat(errors)


def ddp_save_checkpoint(model: torch.nn.Module, path) -> dict:
    """Rank 0 saves ``model.module.state_dict()`` to ``path``; after a barrier every rank
    loads it. Returns what this rank saw: the saved keys, the DDP wrapper's own keys, and
    whether the loaded tensors equal this rank's parameters.

    >>> callable(ddp_save_checkpoint)
    True
    """
    import torch.distributed as dist

    if dist.get_rank() == 0:  # one writer: every rank holds the same parameters
        torch.save(model.module.state_dict(), path)  # .module: keys without "module."
    dist.barrier()  # no rank goes on (and reads the file) before rank 0 has written it
    state = torch.load(path, map_location="cpu", weights_only=True)
    own = model.module.state_dict()
    return {"saved_keys": list(state), "ddp_keys": list(model.state_dict()),
            "loaded_equals_own": all(torch.equal(state[k], own[k]) for k in own)}


def ddp_params_sync(cfg: dict) -> dict:
    """When does DDP copy parameters between ranks? Only when it wraps the model.

    Every rank builds its model from a different seed, wraps it in DDP, then adds its rank
    to the bias and takes one SGD step. Returns this rank's parameters at each stage.

    >>> callable(ddp_params_sync)
    True
    """
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    rank = dist.get_rank()
    local = ddp_demo_model(cfg["seed"] + rank)  # a different start on every rank
    before = _flat_params(local)
    model = DistributedDataParallel(local)  # copies rank 0's parameters to every rank
    wrapped = _flat_params(model.module)
    with torch.no_grad():
        model.module.bias += rank  # the ranks now disagree
    _, x, y = ddp_demo_data(cfg["num_samples"], cfg["seed"])[rank::dist.get_world_size()]
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"])
    torch.nn.functional.mse_loss(model(x), y).backward()  # gradients are averaged...
    optimizer.step()  # ...but parameters are not sent again
    return {"before": before, "wrapped": wrapped, "after_step": _flat_params(model.module)}


#: What a worker can do, in this order (``run_ddp_demo(parts=...)``).
PARTS = ("train", "params_sync", "accumulate", "evaluate", "checkpoint")


def _run_parts(cfg: dict, out_dir: str) -> dict:
    """Run the requested lesson functions in order; evaluate and checkpoint the last model."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    result, model = {}, None
    if "train" in cfg["parts"]:
        model, train = ddp_train(cfg)
        result.update(train)
    if "params_sync" in cfg["parts"]:
        result["params_sync"] = ddp_params_sync(cfg)
    if "accumulate" in cfg["parts"]:
        model, no_sync = ddp_accumulate(cfg, use_no_sync=True)
        _, every_step = ddp_accumulate(cfg, use_no_sync=False)
        result["accumulate"] = {"no_sync": no_sync, "every_step": every_step}
    if model is None:
        model = DistributedDataParallel(ddp_demo_model(cfg["seed"]))
    if "evaluate" in cfg["parts"]:
        result["evaluate"] = ddp_evaluate(model, cfg)
    if "checkpoint" in cfg["parts"]:
        result["checkpoint"] = ddp_save_checkpoint(model, Path(out_dir) / "checkpoint.pt")
        result["checkpoint"]["files"] = sorted(p.name for p in Path(out_dir).glob("*.pt"))
    result.setdefault("rank", dist.get_rank())
    result.setdefault("world_size", dist.get_world_size())
    return result


def _log_to_file(out_dir: str, rank: int) -> None:
    """Send this process's stdout and stderr to ``out_dir/rank{rank}.log``."""
    log = os.open(Path(out_dir) / f"rank{rank}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)


def _write_and_exit(result: dict, out_dir: str, rank: int) -> None:
    """Write ``out_dir/rank{rank}.json`` atomically, then leave without interpreter teardown."""
    path = Path(out_dir) / f"rank{rank}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    tmp.replace(path)  # the parent never reads a half-written file
    # Leave now, skipping the interpreter's teardown. After DistributedDataParallel was
    # used, the gloo backend's threads are still running even after destroy_process_group
    # (the DDP reducer keeps the group alive), and destroying them while the interpreter
    # shuts down sometimes aborts the process ("terminate called without an active
    # exception", SIGABRT) — after the work is done. Everything is written; nothing is lost.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def ddp_demo_worker(rank: int, world_size: int, init_method: str, cfg: dict,
                    out_dir: str) -> None:
    """The function each spawned process runs (``fn(i, *args)`` for ``mp.start_processes``).

    Joins the ``gloo`` process group, runs the lesson functions named in ``cfg["parts"]``
    (:func:`ddp_train` first), always destroys the group, and writes its result to
    ``out_dir/rank{rank}.json``. Use it through :func:`run_ddp_demo`.

    >>> callable(ddp_demo_worker)
    True
    """
    import torch.distributed as dist

    started = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes on Linux
    _log_to_file(out_dir, rank)  # prints would interleave at random in the notebook
    torch.set_num_threads(1)  # 2 processes on a small CPU: no oversubscription
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size,
                            timeout=timedelta(seconds=cfg["timeout"]))
    joined = time.monotonic()
    try:
        result = _run_parts(cfg, out_dir)  # ddp_train(cfg), then the other parts asked for
        trained = time.monotonic()
    finally:
        dist.destroy_process_group()  # always, even if training failed
    result["clock"] = {"started": started, "joined": joined, "trained": trained,
                       "destroyed": time.monotonic()}
    _write_and_exit(result, out_dir, rank)


def _check_parts(parts) -> list[str]:
    if isinstance(parts, str) or not isinstance(parts, (list, tuple)):
        raise TypeError(f"parts must be a tuple of names from {PARTS}, "
                        f"got {type(parts).__name__}")
    for part in parts:
        if part not in PARTS:
            raise ValueError(f"parts must name some of {PARTS}, got {part!r}")
    if not parts:
        raise ValueError(f"parts must name at least one of {PARTS}")
    return list(parts)


@contextlib.contextmanager
def _environ(**values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _stop(processes, grace: float = 5.0) -> None:
    """Terminate (then kill) any process still alive and join all of them."""
    for p in processes:
        if p.is_alive():
            p.terminate()
    end = time.monotonic() + grace
    for p in processes:
        p.join(max(0.0, end - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join()


def _log_tails(out_dir, world_size: int, chars: int = 2000) -> str:
    tails = []
    for rank in range(world_size):
        path = Path(out_dir) / f"rank{rank}.log"
        text = path.read_text(errors="replace").strip() if path.exists() else ""
        if text:
            tails.append(f"\n-- rank {rank} output (last {chars} characters):\n{text[-chars:]}")
    return "".join(tails)


def run_ddp_demo(world_size: int = 2, steps: int = 4, per_rank_batch: int = 4, *,
                 num_samples: int = 16, lr: float = 0.1, seed: int = 0,
                 timeout: float = 60.0, parts=("train",), accumulate: int = 2,
                 micro_batch: int = 2, eval_samples: int = 11) -> dict:
    """Train ``ddp_demo_model`` with ``DistributedDataParallel`` in ``world_size`` processes.

    The processes are started with ``torch.multiprocessing.start_processes(...,
    start_method="spawn")``, meet at ``tcp://127.0.0.1:<free port>`` and use the ``gloo``
    backend (CPU); on macOS it sets ``GLOO_SOCKET_IFNAME=lo0`` (unless already set), because
    gloo binds to the address the hostname resolves to. Each runs :func:`ddp_demo_worker`,
    which runs the lesson functions named in ``parts`` (a subset of :data:`PARTS`), in that
    order:

    - ``"train"``: :func:`ddp_train`, a ``DistributedSampler`` (``set_epoch`` every epoch),
      a DataLoader with ``batch_size=per_rank_batch``, ``steps`` SGD steps;
    - ``"params_sync"``: :func:`ddp_params_sync`;
    - ``"accumulate"``: :func:`ddp_accumulate` with and without ``no_sync()``
      (``accumulate`` micro-batches of ``micro_batch`` per optimizer step);
    - ``"evaluate"``: :func:`ddp_evaluate` on ``eval_samples`` held-out samples;
    - ``"checkpoint"``: :func:`ddp_save_checkpoint`.

    Returns ``{"world_size", "port", "elapsed_s", "config", "ranks"}``; ``ranks[r]`` holds
    rank ``r``'s results: for ``"train"`` its ``steps`` (``epoch``, ``indices``, ``loss`` per
    step), ``sampler_len`` and final ``params`` (weight then bias, as floats); for each other
    part a key of that name. Always ``rank``, ``world_size`` and ``times`` in seconds:
    ``start`` (from
    the launch until its worker function ran: a new interpreter importing torch), ``init``
    (``init_process_group``), ``train`` (building the models and running ``parts``) and
    ``destroy``
    (``destroy_process_group``). Raises ``TimeoutError`` if the run takes longer than
    ``timeout`` seconds and ``RuntimeError`` if a worker fails; in every case all children
    have been stopped and joined, and the temporary folder removed.

    >>> run_ddp_demo(world_size=0)
    Traceback (most recent call last):
    ...
    ValueError: world_size must be a positive integer (>= 1), got 0
    >>> run_ddp_demo(parts=("train", "fly"))
    Traceback (most recent call last):
    ...
    ValueError: parts must name some of ('train', 'params_sync', 'accumulate', 'evaluate', \
'checkpoint'), got 'fly'
    """
    import torch.multiprocessing as mp

    world_size = check_positive_int(world_size, "world_size")
    cfg = {"steps": check_positive_int(steps, "steps"),
           "per_rank_batch": check_positive_int(per_rank_batch, "per_rank_batch"),
           "num_samples": check_positive_int(num_samples, "num_samples"),
           "lr": check_real(lr, "lr", minimum=0), "seed": check_int(seed, "seed", minimum=0),
           "timeout": check_real(timeout, "timeout", minimum=0),
           "parts": _check_parts(parts),
           "accumulate": check_positive_int(accumulate, "accumulate"),
           "micro_batch": check_positive_int(micro_batch, "micro_batch"),
           "eval_samples": check_positive_int(eval_samples, "eval_samples")}
    if cfg["timeout"] == 0:
        raise ValueError("timeout must be > 0 seconds, got 0.0")
    if num_samples < world_size:
        raise ValueError(f"num_samples must be >= world_size={world_size}, got {num_samples}")
    if eval_samples < world_size:
        raise ValueError(f"eval_samples must be >= world_size={world_size}, got {eval_samples}")
    port = _free_port()
    start = time.monotonic()
    env = {"OMP_NUM_THREADS": "1"}
    if sys.platform == "darwin" and "GLOO_SOCKET_IFNAME" not in os.environ:
        env["GLOO_SOCKET_IFNAME"] = "lo0"  # macOS: the hostname may not resolve; use loopback
    with tempfile.TemporaryDirectory(prefix="batchlab_ddp_") as out_dir:
        with _environ(**env):  # inherited by the children at start
            context = mp.start_processes(
                ddp_demo_worker, args=(world_size, f"tcp://127.0.0.1:{port}", cfg, out_dir),
                nprocs=world_size, join=False, start_method="spawn")
        try:
            # join() returns True when all exited cleanly, raises if one failed
            # (after stopping the others), returns False on timeout.
            while not context.join(timeout=max(0.0, start + cfg["timeout"] - time.monotonic())):
                if time.monotonic() >= start + cfg["timeout"]:
                    raise TimeoutError(f"the DDP demo did not finish within timeout="
                                       f"{cfg['timeout']} s; its processes were stopped")
        except (mp.ProcessRaisedException, mp.ProcessExitedException) as err:
            raise RuntimeError(f"a DDP worker failed (rank {err.error_index}): {err}"
                               f"{_log_tails(out_dir, world_size)}") from err
        finally:
            _stop(context.processes)
            for path in context.error_files:  # torch leaves a failed worker's traceback file
                with contextlib.suppress(OSError):
                    os.unlink(path)
        elapsed = time.monotonic() - start
        ranks = [json.loads((Path(out_dir) / f"rank{r}.json").read_text())
                 for r in range(world_size)]
    for r in ranks:  # seconds: from the launch until the worker ran, in the group, training
        clock = r.pop("clock")
        r["times"] = {"start": clock["started"] - start,
                      "init": clock["joined"] - clock["started"],
                      "train": clock["trained"] - clock["joined"],
                      "destroy": clock["destroyed"] - clock["trained"]}
    return {"world_size": world_size, "port": port, "elapsed_s": elapsed, "config": cfg,
            "ranks": ranks}


def _descendants(pid: int) -> list[int]:
    """The process ids of ``pid``'s children, grandchildren, … (Linux ``/proc``; else [])."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def run_torchrun(script, *script_args, nproc_per_node: int = 2, timeout: float = 60.0,
                 grace: float = 10.0) -> subprocess.CompletedProcess:
    """Run ``torchrun --standalone --nproc-per-node=N script args…`` on this machine.

    The same as typing the command in a terminal (``python -m torch.distributed.run`` is
    ``torchrun``): one node, a rendezvous on a free local port. Returns the finished
    process (``returncode``, ``stdout``, ``stderr``). After ``timeout`` seconds torchrun gets
    ``SIGTERM``, on which it stops its workers; whatever is still running ``grace`` seconds
    later is killed, and ``TimeoutError`` is raised. Torchrun starts each worker in a
    session of its own, so killing torchrun's process group would not reach them. Finding
    those workers reads ``/proc``, so the last-resort kill reaches them on Linux only;
    elsewhere it relies on torchrun stopping its workers on ``SIGTERM``.

    >>> run_torchrun("train.py", nproc_per_node=0)
    Traceback (most recent call last):
    ...
    ValueError: nproc_per_node must be a positive integer (>= 1), got 0
    """
    nproc = check_positive_int(nproc_per_node, "nproc_per_node")
    timeout = check_real(timeout, "timeout", minimum=0)
    grace = check_real(grace, "grace", minimum=0)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc-per-node={nproc}", str(script), *map(str, script_args)]
    # Output goes to files, not pipes: a worker that outlives torchrun cannot block us.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            family = _descendants(proc.pid)  # before torchrun exits and they are re-parented
            proc.terminate()  # torchrun's agent stops its workers on SIGTERM
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                for pid in (proc.pid, *family):
                    with contextlib.suppress(OSError):
                        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
                proc.wait()
            raise TimeoutError(f"torchrun did not finish within timeout={timeout} s; it and "
                               f"its workers were stopped") from None
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())


def train_single_process(global_batches, *, num_samples: int = 16, lr: float = 0.1,
                         seed: int = 0) -> list[float]:
    """Train ``ddp_demo_model(seed)`` in this process, one SGD step per batch of indices.

    With a mean loss, one step on the global batch (all ranks' batches together) takes the
    same step as DDP, which averages the ranks' gradients — when the ranks' batches are
    equally large. Returns the final parameters (weight then bias).

    >>> train_single_process([[0, 1, 2, 3]], num_samples=4, lr=0.0) == _flat_params(
    ...     ddp_demo_model(0))
    True
    """
    data = ddp_demo_data(num_samples, seed)
    _, x_all, y_all = data.tensors
    model = ddp_demo_model(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=check_real(lr, "lr", minimum=0))
    for batch in global_batches:
        index = torch.as_tensor(batch, dtype=torch.long)
        loss = torch.nn.functional.mse_loss(model(x_all[index]), y_all[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return _flat_params(model)
