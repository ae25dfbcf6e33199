"""Sampling across processes: a distributed weighted sampler and a real 2-process DDP demo.

- ``DistributedWeightedSampler``: what ``WeightedRandomSampler`` is for one process,
  across ``num_replicas`` processes. PyTorch ships none (pytorch/pytorch#77154): every rank
  makes the *same* global weighted draw and keeps its own stride of it, like
  ``DistributedSampler`` does with a shuffled ``range(len(dataset))``.
- ``run_ddp_demo``: start ``world_size`` processes on this machine (``spawn``), join them
  into a ``gloo`` process group on ``127.0.0.1``, train a tiny linear model with
  ``DistributedDataParallel`` for a few steps and return what every rank saw and ended with.
  It never hangs: the process group has a timeout, the parent waits at most ``timeout``
  seconds, and every child is stopped and joined before it returns or raises.
- ``train_single_process``: the same model trained in one process on the global batches
  (the ranks' batches put together), to compare with the DDP result.

>>> s = DistributedWeightedSampler([1, 1, 0, 2], num_replicas=2, rank=0, seed=0)
>>> len(s), 2 in list(s)
(2, False)
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import torch
from torch.utils.data import Sampler, TensorDataset

from ._checks import check_bool, check_int, check_positive_int, check_real
from .samplers import check_weights

__all__ = ["DistributedWeightedSampler", "ddp_demo_data", "ddp_demo_model", "ddp_demo_worker",
           "free_port", "plot_shards", "port_is_free", "run_ddp_demo", "sampler_shards",
           "shards_explorer", "train_single_process"]


def _resolve_replicas(num_replicas, rank) -> tuple[int, int]:
    """``(num_replicas, rank)``: the given values, or the default process group's."""
    if num_replicas is None or rank is None:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            missing = " and ".join(name for name, value in (("num_replicas", num_replicas),
                                                            ("rank", rank)) if value is None)
            raise ValueError(f"{missing} not given and no process group is initialised: pass "
                             f"{missing} explicitly or call "
                             f"torch.distributed.init_process_group first")
        if num_replicas is None:
            num_replicas = dist.get_world_size()
        if rank is None:
            rank = dist.get_rank()
    num_replicas = check_positive_int(num_replicas, "num_replicas")
    rank = check_int(rank, "rank")
    if not 0 <= rank < num_replicas:
        raise ValueError(f"rank must be in [0, {num_replicas}) for num_replicas={num_replicas}, "
                         f"got {rank}")
    return num_replicas, rank


class DistributedWeightedSampler(Sampler[int]):
    """A weighted random sampler for distributed training: one global draw, split by rank.

    Each epoch every rank draws the same ``num_samples`` indices with
    ``torch.multinomial(weights, num_samples, replacement, generator)`` (what
    ``WeightedRandomSampler`` does), from a generator seeded with ``seed + epoch``, and
    keeps the positions ``rank, rank + num_replicas, …`` of that draw. So the shards of
    all ranks are disjoint *positions* of one draw and together they are the draw (plus
    the padding repeats, if any).
    As in ``DistributedSampler``, the draw is first made evenly divisible: with
    ``drop_last=False`` it is padded by repeating its first indices; with
    ``drop_last=True`` its tail is dropped. Every rank then gets ``len(sampler)`` indices.

    ``num_samples`` (the size of the global draw) defaults to ``len(weights)``; without
    replacement it may not exceed the number of nonzero weights. ``num_replicas`` and
    ``rank`` default to the initialised process group's world size and rank. All ranks
    must use the same ``weights``, ``num_samples``, ``seed`` and epoch (and torch version).
    Call ``set_epoch(epoch)`` before each epoch, or every epoch repeats the same draw.

    >>> weights = [0.0, 1.0, 1.0, 2.0, 4.0]
    >>> shards = [list(DistributedWeightedSampler(weights, 6, num_replicas=2, rank=r))
    ...           for r in range(2)]
    >>> draw = DistributedWeightedSampler(weights, 6, num_replicas=2, rank=0).global_draw()
    >>> sorted(shards[0] + shards[1]) == sorted(draw), 0 in draw
    (True, False)
    >>> DistributedWeightedSampler(weights, num_replicas=2, rank=2)
    Traceback (most recent call last):
    ...
    ValueError: rank must be in [0, 2) for num_replicas=2, got 2
    """

    def __init__(self, weights, num_samples: int | None = None, *,
                 num_replicas: int | None = None, rank: int | None = None,
                 replacement: bool = True, seed: int = 0, drop_last: bool = False):
        self.weights = check_weights(weights)
        self.replacement = check_bool(replacement, "replacement")
        self.drop_last = check_bool(drop_last, "drop_last")
        self.seed = check_int(seed, "seed", minimum=0)
        if self.seed >= 2**63:
            raise ValueError(f"seed must be < 2**63, got {self.seed}")
        if num_samples is None:
            num_samples = len(self.weights)
        self.num_samples = check_positive_int(num_samples, "num_samples")
        nonzero = int((self.weights > 0).sum())
        if not self.replacement and self.num_samples > nonzero:
            raise ValueError(f"num_samples={self.num_samples} exceeds the {nonzero} nonzero "
                             f"weights, which replacement=False cannot draw")
        self.num_replicas, self.rank = _resolve_replicas(num_replicas, rank)
        if self.drop_last:
            self.per_rank = self.num_samples // self.num_replicas
            if self.per_rank == 0:
                raise ValueError(f"drop_last=True with num_samples={self.num_samples} < "
                                 f"num_replicas={self.num_replicas} leaves every rank empty")
        else:
            self.per_rank = math.ceil(self.num_samples / self.num_replicas)
        self.total_size = self.per_rank * self.num_replicas
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use the draw of ``epoch`` (seeded with ``seed + epoch``) from now on."""
        self.epoch = check_int(epoch, "epoch", minimum=0)

    def global_draw(self) -> list[int]:
        """This epoch's global draw of ``num_samples`` indices (the same on every rank)."""
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        return torch.multinomial(self.weights, self.num_samples, self.replacement,
                                 generator=g).tolist()

    def __iter__(self) -> Iterator[int]:
        indices = self.global_draw()
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            padding = self.total_size - len(indices)  # 0 <= padding < num_replicas
            indices += (indices * math.ceil(padding / len(indices)))[:padding]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.per_rank


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
    from .batching import item_colors
    from .plots import item_rows

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

    from .widgets import Explorer

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

def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now (the OS picks it when we bind port 0).

    Another program could take it before we use it; for a demo on one machine that is rare.

    >>> 0 < free_port() < 65536
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``port`` now (nothing else is listening there).

    Binds with ``SO_REUSEADDR``, as servers (and torch's TCP store) do, so connections that
    were closed a moment ago (``TIME_WAIT``) do not count as "in use".

    >>> port_is_free(free_port())
    True
    """
    port = check_int(port, "port", minimum=1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
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


def _ddp_train(rank: int, world_size: int, cfg: dict) -> dict:
    """One rank's training loop (the process group is already initialised)."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler

    data = ddp_demo_data(cfg["num_samples"], cfg["seed"])  # the same data on every rank
    sampler = DistributedSampler(data, shuffle=True, seed=cfg["seed"])  # ranks from the group
    loader = DataLoader(data, batch_size=cfg["per_rank_batch"], sampler=sampler,
                        generator=torch.Generator().manual_seed(cfg["seed"]))
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
    return {"rank": dist.get_rank(), "world_size": dist.get_world_size(),
            "sampler_len": len(sampler), "steps": log, "params": _flat_params(model.module)}


def ddp_demo_worker(rank: int, world_size: int, init_method: str, cfg: dict,
                    out_dir: str) -> None:
    """The function each spawned process runs (``fn(i, *args)`` for ``mp.start_processes``).

    Joins the ``gloo`` group, trains (``_ddp_train``), always destroys the group, and writes
    its result to ``out_dir/rank{rank}.json``. Use it through ``run_ddp_demo``.

    >>> callable(ddp_demo_worker)
    True
    """
    started = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes on Linux
    import torch.distributed as dist

    # This process's output goes to a log file, not to the parent's terminal or notebook
    # cell (where it would interleave at random); run_ddp_demo shows it if a worker fails.
    log = os.open(Path(out_dir) / f"rank{rank}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    torch.set_num_threads(1)  # 2 processes on a small CPU: no oversubscription
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size,
                            timeout=timedelta(seconds=cfg["timeout"]))
    joined = time.monotonic()
    try:
        result = _ddp_train(rank, world_size, cfg)
        trained = time.monotonic()
    finally:
        dist.destroy_process_group()
    result["clock"] = {"started": started, "joined": joined, "trained": trained,
                       "destroyed": time.monotonic()}
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
                 timeout: float = 60.0) -> dict:
    """Train ``ddp_demo_model`` with ``DistributedDataParallel`` in ``world_size`` processes.

    The processes are started with ``torch.multiprocessing.start_processes(...,
    start_method="spawn")``, meet at ``tcp://127.0.0.1:<free port>`` and use the ``gloo``
    backend (CPU). Each uses a ``DistributedSampler`` (``set_epoch`` every epoch) and a
    DataLoader with ``batch_size=per_rank_batch``, and takes ``steps`` SGD steps.

    Returns ``{"world_size", "port", "elapsed_s", "config", "ranks"}``; ``ranks[r]`` holds
    rank ``r``'s ``steps`` (``epoch``, ``indices``, ``loss`` per step), ``sampler_len``,
    final ``params`` (weight then bias, as floats) and ``times`` in seconds: ``start`` (from
    the launch until its worker function ran: a new interpreter importing torch), ``init``
    (``init_process_group``), ``train`` (building the model and training) and ``destroy``
    (``destroy_process_group``). Raises ``TimeoutError`` if the run takes longer than
    ``timeout`` seconds and ``RuntimeError`` if a worker fails; in every case all children
    have been stopped and joined, and the temporary folder removed.

    >>> run_ddp_demo(world_size=0)
    Traceback (most recent call last):
    ...
    ValueError: world_size must be a positive integer (>= 1), got 0
    """
    import torch.multiprocessing as mp

    world_size = check_positive_int(world_size, "world_size")
    cfg = {"steps": check_positive_int(steps, "steps"),
           "per_rank_batch": check_positive_int(per_rank_batch, "per_rank_batch"),
           "num_samples": check_positive_int(num_samples, "num_samples"),
           "lr": check_real(lr, "lr", minimum=0), "seed": check_int(seed, "seed", minimum=0),
           "timeout": check_real(timeout, "timeout", minimum=0)}
    if cfg["timeout"] == 0:
        raise ValueError("timeout must be > 0 seconds, got 0.0")
    if num_samples < world_size:
        raise ValueError(f"num_samples must be >= world_size={world_size}, got {num_samples}")
    port = free_port()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="batchlab_ddp_") as out_dir:
        with _environ(OMP_NUM_THREADS="1"):  # inherited by the children at start
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
