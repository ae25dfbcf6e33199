"""Exercises for notebook 08 (loader performance).

>>> from batchlab.exercises import nb08
>>> nb08.q1.check(12)
Correct!
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import warnings

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from ..perf import JitterDataset, augment_draws, worker_batches
from ._question import Question, questions


def _whole_number(answer) -> bool:
    return isinstance(answer, int) and not isinstance(answer, bool)


def _judge_prefetched(answer):
    if not _whole_number(answer):
        return "Give a whole number of batches, e.g. answer = 5."
    if answer == 3:
        return "That is per worker; every worker gets that many requests."
    return answer == 4 * 3


q1 = Question(
    "A `DataLoader` has `num_workers=4` and `prefetch_factor=3`. How many batches does it keep "
    "requested from the workers ahead of the training loop (at most)?",
    _judge_prefetched,
    hint="prefetch_factor counts batches per worker (section 4: 2k + 1 samples were loaded "
         "with 2 workers, one of them already handed over).",
    solution="answer = 12  # prefetch_factor * num_workers = 3 * 4",
    reference=12,
    wrong=[3, 4, 7, 13, 12.0],
)


@functools.lru_cache(maxsize=1)
def _worker_of_batch_5() -> int:
    with warnings.catch_warnings():  # 3 workers on a 2-core machine: torch warns
        warnings.simplefilter("ignore", UserWarning)
        batches = worker_batches(3, n=4 * 8, batch_size=4)
    workers = batches[5]["workers"]
    assert len(set(workers)) == 1  # a batch is loaded by one worker
    return workers[0]


def _judge_round_robin(answer):
    if not _whole_number(answer):
        return "Give the worker id, a whole number from 0 to 2."
    if not 0 <= answer <= 2:
        return "With 3 workers the ids are 0, 1 and 2."
    return answer == _worker_of_batch_5()


q2 = Question(
    "`DataLoader(dataset, batch_size=4, num_workers=3)` (no shuffling). Which worker (its "
    "`get_worker_info().id`) loads the batch with index 5, i.e. the sixth batch?",
    _judge_round_robin,
    hint="The workers take turns, one whole batch each: batch 0 -> worker 0, batch 1 -> "
         "worker 1, ... (section 1).",
    solution="answer = 2  # batch k goes to worker k % num_workers: 5 % 3 == 2",
    reference=2,
    wrong=[0, 1, 5, 3],
)


def _start_method():
    return "fork" if "fork" in mp.get_all_start_methods() else None


def _offsets(worker_init_fn, seed: int):
    return augment_draws(JitterDataset(8, seed=0), 2, worker_init_fn=worker_init_fn,
                         generator=torch.Generator().manual_seed(seed), epochs=2,
                         context=_start_method())


def _judge_worker_init(answer):
    if not callable(answer):
        return ("Give a function: def worker_init_fn(worker_id): ...; "
                "then answer = worker_init_fn")
    first = _offsets(answer, 0)
    by_worker = [[o for _, w, o in first[0] if w == wid] for wid in (0, 1)]
    if by_worker[0] == by_worker[1]:
        return ("Both workers still draw the same offsets: replace info.dataset.rng in each "
                "worker (info = torch.utils.data.get_worker_info()).")
    if first[0] == first[1]:
        return ("Every epoch repeats the same offsets: seed from get_worker_info().seed, "
                "which changes every epoch.")
    if _offsets(answer, 0) != first:
        return ("Two runs with the same generator seed differ: seed from "
                "get_worker_info().seed, not from the clock or the operating system.")
    return True


def _reseed_reference(worker_id):
    info = torch.utils.data.get_worker_info()
    info.dataset.rng = np.random.default_rng(info.seed)


def _does_nothing(worker_id):
    pass


def _seeds_global_numpy(worker_id):
    np.random.seed(worker_id)


def _seeds_with_worker_id(worker_id):
    info = torch.utils.data.get_worker_info()
    info.dataset.rng = np.random.default_rng(worker_id)


def _seeds_from_entropy(worker_id):
    info = torch.utils.data.get_worker_info()
    info.dataset.rng = np.random.default_rng()


q3 = Question(
    "Write a `worker_init_fn(worker_id)` for `perf.JitterDataset` so that the workers draw "
    "different offsets, every epoch draws new ones, and a run with the same `generator=` seed "
    "repeats exactly. (The dataset keeps its NumPy generator in `self.rng`.)",
    _judge_worker_init,
    hint="Inside the worker, info = torch.utils.data.get_worker_info() gives info.dataset "
         "(this worker's copy) and info.seed (base_seed + worker id, new every epoch).",
    solution=(
        "import numpy as np\n"
        "\n"
        "def worker_init_fn(worker_id):\n"
        "    info = torch.utils.data.get_worker_info()\n"
        "    info.dataset.rng = np.random.default_rng(info.seed)\n"
        "\n"
        "answer = worker_init_fn  # or answer = perf.reseed_worker"
    ),
    reference=_reseed_reference,
    wrong=[_does_nothing, _seeds_global_numpy, _seeds_with_worker_id, _seeds_from_entropy,
           "reseed"],
)


class _CountingTensorDataset(TensorDataset):
    def __init__(self, *tensors):
        super().__init__(*tensors)
        self.calls = 0

    def __getitem__(self, index):
        self.calls += 1
        return super().__getitem__(index)


@functools.lru_cache(maxsize=1)
def _getitem_calls() -> tuple[int, int]:
    g = torch.Generator().manual_seed(0)
    counts = []
    for per_item in (True, False):
        ds = _CountingTensorDataset(torch.arange(1000.0))
        if per_item:
            loader = DataLoader(ds, batch_size=250, shuffle=True, generator=g)
        else:
            loader = DataLoader(ds, sampler=BatchSampler(RandomSampler(ds, generator=g), 250,
                                                         False), batch_size=None)
        for _ in loader:
            pass
        counts.append(ds.calls)
    return tuple(counts)


def _judge_getitem_calls(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return "Give two numbers: answer = (a, b)."
    if not all(_whole_number(a) for a in answer):
        return "Call counts are whole numbers."
    expected = _getitem_calls()
    if tuple(answer) == expected[::-1]:
        return "You swapped them: which loader calls __getitem__ once per index?"
    return tuple(answer) == expected


q4 = Question(
    "A `TensorDataset` holds 1000 samples. How many times is its `__getitem__` called in one "
    "epoch of (a) `DataLoader(ds, batch_size=250, shuffle=True)` and (b) `DataLoader(ds, "
    "sampler=BatchSampler(RandomSampler(ds), 250, False), batch_size=None)`? Answer `(a, b)`.",
    _judge_getitem_calls,
    hint="With automatic batching the loader calls dataset[i] for every index; with "
         "batch_size=None it passes each item of the sampler - here a list of 250 indices - "
         "to dataset[...] once (section 7).",
    solution="answer = (1000, 4)  # once per sample vs once per batch of 250",
    reference=(1000, 4),
    wrong=[(4, 1000), (1000, 1000), (4, 4), (250, 4)],
)

QUESTIONS = questions(globals())
