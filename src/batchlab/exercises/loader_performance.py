"""Exercises for notebook 11 (loader performance).

>>> from batchlab.exercises import loader_performance
>>> loader_performance.q1.check(12)
Correct!
>>> def worker_init_fn(worker_id):
...     ...
>>> loader_performance.q3.check(worker_init_fn)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
"""

from __future__ import annotations

import contextlib
import copy
import random

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from batchlab.lessons.loader_performance import JitterDataset

from ._question import CodeQuestion, Question, as_int, questions

# --------------------------------------------------------------------------- q1, q2

def _judge_prefetched(answer):
    answer = as_int(answer)
    if answer == 3:
        return "That is per worker; every worker gets that many requests."
    return answer == 4 * 3


q1 = Question(
    "A `DataLoader` has `num_workers=4` and `prefetch_factor=3`. How many batches does it keep "
    "requested from the workers ahead of the training loop (at most)?",
    _judge_prefetched,
    hint="prefetch_factor counts batches per worker; section 4 counted what 2 workers had "
         "loaded (one batch had already been handed over).",
    solution="answer = 12  # prefetch_factor * num_workers = 3 * 4",
    reference=12,
    wrong=[3, 4, 7, 13, 12.5],
)


def _judge_round_robin(answer):
    answer = as_int(answer)
    if not 0 <= answer <= 2:
        return "With 3 workers the ids are 0, 1 and 2."
    return answer == 5 % 3  # batch k goes to worker k % num_workers (in_order=True)


q2 = Question(
    "`DataLoader(dataset, batch_size=4, num_workers=3)` (no shuffling). Which worker (its "
    "`get_worker_info().id`) loads the batch with index 5, i.e. the sixth batch?",
    _judge_round_robin,
    hint="Section 1 printed which worker loaded each of 4 batches with 2 workers. Number "
         "the batches from 0 and write down, batch by batch, which of the 3 workers gets it.",
    solution="answer = 2  # batch k goes to worker k % num_workers: 5 % 3 == 2",
    reference=2,
    wrong=[0, 1, 5, 3],
)


# --------------------------------------------------------------------------- q3: worker_init_fn

@contextlib.contextmanager
def _as_worker(worker_id: int, num_workers: int, seed: int, base_seed: int, dataset):
    """Run a block as DataLoader worker ``worker_id`` would: get_worker_info() answers, and
    random, torch and NumPy's global generators are seeded as the worker loop seeds them.
    Everything is restored afterwards."""
    from torch.utils.data._utils import worker as worker_module

    saved = (random.getstate(), torch.get_rng_state(), np.random.get_state(),
             worker_module._worker_info)
    try:
        random.seed(seed)
        torch.manual_seed(seed)
        generate = getattr(worker_module, "_generate_state", None)
        np.random.seed(generate(base_seed, worker_id) if generate else seed % 2**32)
        worker_module._worker_info = worker_module.WorkerInfo(
            id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        yield
    finally:
        random.setstate(saved[0])
        torch.set_rng_state(saved[1])
        np.random.set_state(saved[2])
        worker_module._worker_info = saved[3]


def simulated_offsets(worker_init_fn, generator_seed: int, *, epochs: int = 2,
                      num_workers: int = 2, n: int = 8, batch_size: int = 2) -> list[dict]:
    """The offsets ``DataLoader(JitterDataset(n, seed=0), batch_size, num_workers=...,
    worker_init_fn=..., generator=torch.Generator().manual_seed(generator_seed))`` draws,
    per epoch and worker, simulated in this process.

    Each epoch draws a base seed from the generator; each worker gets its own copy of
    the dataset, is seeded with ``base_seed + worker_id``, runs ``worker_init_fn`` and
    then loads its batches (batch ``k`` goes to worker ``k % num_workers``) — what real
    workers do, without starting processes, so a function defined in a notebook can be
    checked under every start method (a ``spawn``ed worker could not import it).

    >>> from torch.utils.data import DataLoader
    >>> from batchlab.lessons.loader_performance import reseed_worker
    >>> def real(seed):
    ...     loader = DataLoader(JitterDataset(8, seed=0), batch_size=2, num_workers=2,
    ...                         worker_init_fn=reseed_worker,
    ...                         generator=torch.Generator().manual_seed(seed))
    ...     epochs = []
    ...     for _ in range(2):
    ...         by_worker = {0: [], 1: []}
    ...         for _, worker, offset in loader:
    ...             by_worker[int(worker[0])] += offset.tolist()
    ...         epochs.append(by_worker)
    ...     return epochs
    >>> simulated_offsets(reseed_worker, 3) == real(3)
    True
    """
    template = JitterDataset(n, seed=0)
    g = torch.Generator().manual_seed(generator_seed)
    num_batches = n // batch_size
    epochs_out = []
    for _ in range(epochs):
        base_seed = int(torch.empty((), dtype=torch.int64).random_(generator=g).item())
        by_worker = {}
        for w in range(num_workers):
            dataset = copy.deepcopy(template)  # what fork or pickle gives each worker
            with _as_worker(w, num_workers, base_seed + w, base_seed, dataset):
                if worker_init_fn is not None:
                    worker_init_fn(w)
                by_worker[w] = [dataset[i][2] for b in range(w, num_batches, num_workers)
                                for i in range(b * batch_size, (b + 1) * batch_size)]
        epochs_out.append(by_worker)
    return epochs_out


def _judge_worker_init(answer):
    if not callable(answer):
        return "Give your function itself: ex.q3.check(worker_init_fn)."
    first = simulated_offsets(answer, 0)
    if first[0][0] == first[0][1]:
        return ("Both workers still draw the same offsets: give this worker's copy of the "
                "dataset a new generator.")
    if first[0] == first[1]:
        return "Every epoch repeats the same offsets: seed from something that changes per epoch."
    if simulated_offsets(answer, 0) != first:
        return ("Two runs with the same generator seed differ: seed from the worker's seed, "
                "not from the clock or the operating system.")
    return True


def _reseed_reference(worker_id):
    info = torch.utils.data.get_worker_info()
    info.dataset.rng = np.random.default_rng(info.seed)


def _does_nothing(worker_id):
    del worker_id


def _seeds_global_numpy(worker_id):
    np.random.seed(worker_id)


def _seeds_with_worker_id(worker_id):
    info = torch.utils.data.get_worker_info()
    info.dataset.rng = np.random.default_rng(worker_id)


def _seeds_from_entropy(worker_id):
    info = torch.utils.data.get_worker_info()
    info.dataset.rng = np.random.default_rng()


q3 = CodeQuestion(
    "Complete `worker_init_fn(worker_id)` for `perf.JitterDataset` so that the workers draw "
    "different offsets, every epoch draws new ones, and a run with the same `generator=` seed "
    "repeats exactly. (The dataset keeps its NumPy generator in `self.rng`.)",
    _judge_worker_init,
    hint="Inside a worker, torch.utils.data.get_worker_info() describes it: which of its "
         "attributes is this worker's copy of the dataset, and which one changes with every "
         "worker and every epoch?",
    solution=(
        "def worker_init_fn(worker_id):\n"
        "    info = torch.utils.data.get_worker_info()\n"
        "    info.dataset.rng = np.random.default_rng(info.seed)\n"
        "\n"
        "# perf.reseed_worker does the same for every generator a dataset stores."
    ),
    reference=_reseed_reference,
    wrong=[_does_nothing, _seeds_global_numpy, _seeds_with_worker_id, _seeds_from_entropy,
           "reseed"],
)


# --------------------------------------------------------------------------- q4: __getitems__

class _CountingTensorDataset(TensorDataset):
    def __init__(self, *tensors):
        super().__init__(*tensors)
        self.getitem_calls = 0

    def __getitem__(self, index):
        self.getitem_calls += 1
        return super().__getitem__(index)


def _batches(dataset, seed: int):
    loader = DataLoader(dataset, batch_size=4, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    return list(loader)


def _judge_getitems(answer):
    if not callable(answer):
        return "Give your function itself: ex.q4.check(getitems)."
    g = torch.Generator().manual_seed(1)
    X, y = torch.randn(10, 3, generator=g), torch.randint(0, 5, (10,), generator=g)
    batched_cls = type("WithGetitems", (_CountingTensorDataset,), {"__getitems__": answer})
    ds = batched_cls(X, y)
    got = _batches(ds, 0)
    expected = _batches(TensorDataset(X, y), 0)
    if ds.getitem_calls:
        return (f"The loader still called __getitem__ {ds.getitem_calls} times: fetch the "
                "batch without dataset[i].")
    if len(got) != len(expected) or not all(
            len(a) == len(b) and all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
            for a, b in zip(got, expected, strict=True)):
        return ("The batches differ from the per-item loader's: return one sample per index, "
                "in the order of indices.")
    return True


def _getitems_reference(self, indices):
    idx = torch.as_tensor(indices)
    return list(zip(*(t[idx] for t in self.tensors), strict=True))


def _getitems_per_index(self, indices):
    return [self[i] for i in indices]


def _getitems_sorted(self, indices):
    idx = torch.as_tensor(sorted(indices))
    return list(zip(*(t[idx] for t in self.tensors), strict=True))


def _getitems_returns_the_batch(self, indices):
    idx = torch.as_tensor(indices)
    return [t[idx] for t in self.tensors]


q4 = CodeQuestion(
    "`TensorDataset` defines no `__getitems__`, so with `batch_size=4` the loader calls "
    "`dataset[i]` once per index. Complete `getitems(self, indices)`, to be used as "
    "`__getitems__`: fetch the whole batch with one indexing call per tensor "
    "(`self.tensors` holds them) and return what the fetcher expects, a list with one sample "
    "(a tuple of tensors) per index, in the order of `indices`.",
    _judge_getitems,
    hint="A tensor can be indexed with a tensor of indices. Then turn the gathered tensors "
         "back into one tuple per row; zip can walk several tensors row by row.",
    solution=(
        "def getitems(self, indices):\n"
        "    idx = torch.as_tensor(indices)\n"
        "    return list(zip(*(t[idx] for t in self.tensors)))"
    ),
    reference=_getitems_reference,
    wrong=[_getitems_per_index, _getitems_sorted, _getitems_returns_the_batch, 42],
)

QUESTIONS = questions(globals())
