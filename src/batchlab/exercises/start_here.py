"""Exercises for notebook 00 (start here).

>>> from batchlab.exercises import start_here
>>> start_here.q1.check(10)
Correct!
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch
from torch.utils.data import DataLoader

from batchlab.data.datasets import NumbersDataset
from batchlab.device import ENV_VAR, get_device

from ._question import Question, as_int, questions


def _judge_last_number(answer):
    if isinstance(answer, (str, bool)):
        return "Give a whole number, e.g. answer = 3."
    answer = as_int(answer)  # 10, 10.0, np.int64(10) and torch.tensor(10) are the same answer
    if answer == NumbersDataset(10)[9] - 1:
        return "That is the last index; the dataset holds the numbers 1..10."
    return answer == NumbersDataset(10)[9]


q1 = Question(
    "Warm-up: `NumbersDataset(10)` has indices 0..9. What number does `dataset[9]` return?",
    _judge_last_number,
    hint="NumbersDataset(n) holds the numbers 1, 2, ..., n; index 0 gives the first of them.",
    solution="answer = 10  # batchlab.NumbersDataset(10)[9]",
    reference=10,
    wrong=[9, 11, "10", True],
)


def _judge_device_string(answer):
    if not isinstance(answer, str):
        return "Give the value as a string, e.g. answer = \"...\"."
    if not answer.strip():
        return "An empty value means 'choose automatically': that picks a GPU when there is one."
    old = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = answer
    try:
        return get_device().type == "cpu"
    finally:
        if old is None:
            del os.environ[ENV_VAR]
        else:
            os.environ[ENV_VAR] = old


q2 = Question(
    "Which value of the environment variable `BATCHLAB_DEVICE` makes "
    "`batchlab.get_device()` return the CPU, even on a machine with a GPU? (a string)",
    _judge_device_string,
    hint="Section 1 ('Which device?') lists the values get_device() understands; one of them "
         "names the processor every computer has.",
    solution='answer = "cpu"  # os.environ["BATCHLAB_DEVICE"] = "cpu" before get_device()',
    reference="cpu",
    wrong=["", "CPU", "gpu", "none", 0],
)


_PATH = ("sampler", "dataset[i]", "collate_fn", "model", "loss")
_ALIASES = {"dataset": "dataset[i]", "dataset[idx]": "dataset[i]", "dataset[index]": "dataset[i]",
            "__getitem__": "dataset[i]", "getitem": "dataset[i]", "collate": "collate_fn",
            "collate_fn()": "collate_fn", "model(x)": "model", "loss_fn": "loss"}


def _stop(name):
    key = name.strip().strip("`").strip("'\"").lower().replace(" ", "")
    return _ALIASES.get(key, key)


def _judge_data_path(answer):
    if hasattr(answer, "tolist") and not isinstance(answer, (list, tuple)):
        answer = answer.tolist()  # a NumPy array of strings
    if isinstance(answer, str) or not isinstance(answer, (list, tuple)):
        return "Give the five names as a list: answer = ['...', '...', ...]."
    if not all(isinstance(name, str) for name in answer):
        return "Give each stop as a string, e.g. 'sampler'."
    stops = [_stop(name) for name in answer]
    if sorted(stops) != sorted(_PATH):
        return f"Use each of these five exactly once: {list(_PATH)}."
    if stops.index("dataset[i]") < stops.index("sampler"):
        return "dataset[i] needs an index: where do the indices come from?"
    if stops.index("collate_fn") < stops.index("dataset[i]"):
        return "collate_fn merges samples: it cannot run before there are samples."
    if stops.index("model") < stops.index("collate_fn"):
        return "The model works on a whole mini-batch: which stop builds it?"
    if stops.index("loss") < stops.index("model"):
        return "The loss compares predictions with the targets: where do predictions come from?"
    return tuple(stops) == _PATH


q3 = Question(
    "Put these stops in the order one mini-batch travels through them: 'collate_fn', "
    "'dataset[i]', 'loss', 'model', 'sampler'. Answer with a list of the five names.",
    _judge_data_path,
    hint="Ask, for each stop, what it needs as input and who produces that.",
    solution="answer = ['sampler', 'dataset[i]', 'collate_fn', 'model', 'loss']\n"
             "# indices -> one sample per index -> a batch -> predictions -> a number to minimise",
    reference=["sampler", "dataset[i]", "collate_fn", "model", "loss"],
    wrong=[["dataset[i]", "sampler", "collate_fn", "model", "loss"],
           ["sampler", "collate_fn", "dataset[i]", "model", "loss"],
           ["sampler", "dataset[i]", "collate_fn", "loss", "model"],
           ["sampler", "dataset[i]", "model", "loss"], "sampler",
           ["sampler", "dataset[i]", "collate_fn", "model", 3]],
)


def _flat_numbers(result, call):
    """The numbers a student's function returned, or a message saying what is wrong."""
    if result is None or result is ...:
        return (f"{call} returned None: write the function's body in place of `...` "
                "(it must return a list).")
    if hasattr(result, "tolist") and not isinstance(result, (list, tuple)):
        result = result.tolist()
    if not isinstance(result, (list, tuple)):
        return f"{call} must return a list of numbers, got {type(result).__name__}."
    numbers = []
    for x in result:
        if isinstance(x, (list, tuple)) or (hasattr(x, "numel") and x.numel() != 1):
            return (f"{call} returned a list of batches: return one flat list of numbers "
                    "(take the numbers out of each batch).")
        numbers.append(as_int(x))
    return numbers


def _random_states():
    return torch.get_rng_state(), random.getstate(), np.random.get_state()


def _same_states(a, b) -> bool:
    (torch_a, python_a, numpy_a), (torch_b, python_b, numpy_b) = a, b
    return (torch.equal(torch_a, torch_b) and python_a == python_b
            and all(np.array_equal(x, y) for x, y in zip(numpy_a, numpy_b, strict=True)))


def _judge_shuffled_numbers(answer):
    if not callable(answer):
        return "Give a function: def shuffled_numbers(n, seed): ...; answer = shuffled_numbers"
    saved = _random_states()
    original_iter = DataLoader.__iter__
    loops = []

    def counting_iter(loader):  # counts the passes over any DataLoader while answer runs
        loops.append(loader)
        return original_iter(loader)

    try:
        torch.manual_seed(12345)  # the judge's own draws are repeatable too
        random.seed(12345)
        np.random.seed(12345)
        before = _random_states()
        DataLoader.__iter__ = counting_iter
        first = _flat_numbers(answer(10, 0), "shuffled_numbers(10, 0)")
        DataLoader.__iter__ = original_iter
        if isinstance(first, str):
            return first
        if not _same_states(before, _random_states()):
            return ("Your function changed a global random state (torch's, NumPy's or Python's "
                    "random): it reseeded it or drew from it. Give the DataLoader its own "
                    "generator instead.")
        if not loops:
            return "The question asks for the order a shuffled DataLoader gives: use one."
        if sorted(first) != list(range(1, 11)):
            return f"shuffled_numbers(10, 0) must return the numbers 1..10 once each, got {first}"
        torch.rand(7)  # other code drawing random numbers in between
        again = _flat_numbers(answer(10, 0), "shuffled_numbers(10, 0)")
        if again != first:
            return "The same seed gave two different orders."
        if _flat_numbers(answer(10, 1), "shuffled_numbers(10, 1)") == first:
            return "Seeds 0 and 1 gave the same order: is the loader shuffled with your seed?"
        return True
    finally:
        DataLoader.__iter__ = original_iter
        torch.set_rng_state(saved[0])
        random.setstate(saved[1])
        np.random.set_state(saved[2])


def _shuffled_numbers_reference(n, seed):
    g = torch.Generator().manual_seed(seed)
    loader = DataLoader(NumbersDataset(n), batch_size=4, shuffle=True, generator=g)
    return [x for batch in loader for x in batch.tolist()]


def _shuffled_numbers_global_rng(n, seed):
    loader = DataLoader(NumbersDataset(n), batch_size=4, shuffle=True)
    return [x for batch in loader for x in batch.tolist()]


def _shuffled_numbers_reseeds_global(n, seed):
    torch.manual_seed(seed)
    return _shuffled_numbers_global_rng(n, seed)


def _shuffled_numbers_not_shuffled(n, seed):
    g = torch.Generator().manual_seed(seed)
    loader = DataLoader(NumbersDataset(n), batch_size=4, generator=g)
    return [x for batch in loader for x in batch.tolist()]


def _shuffled_numbers_without_loader(n, seed):
    numbers = list(range(1, n + 1))
    random.Random(seed).shuffle(numbers)
    return numbers


def _shuffled_numbers_reseeds_numpy(n, seed):
    np.random.seed(seed)
    return _shuffled_numbers_reference(n, seed)


def _shuffled_numbers_as_batches(n, seed):
    g = torch.Generator().manual_seed(seed)
    return list(DataLoader(NumbersDataset(n), batch_size=4, shuffle=True, generator=g))


q4 = Question(
    "Write `shuffled_numbers(n, seed)`: return the numbers of `NumbersDataset(n)` in the order "
    "a shuffled `DataLoader` (batch_size=4) gives them, as one flat list. The same seed must "
    "give the same order even if other code draws random numbers in between, and the function "
    "must not reseed or draw from a global random state (torch's, NumPy's or Python's).",
    _judge_shuffled_numbers,
    hint="A DataLoader can shuffle with a random number generator of its own instead of "
         "torch's global one: look at its generator= argument (section 5).",
    solution=(
        "def shuffled_numbers(n, seed):\n"
        "    g = torch.Generator().manual_seed(seed)\n"
        "    loader = DataLoader(batchlab.NumbersDataset(n), batch_size=4, shuffle=True,\n"
        "                        generator=g)\n"
        "    return [x for batch in loader for x in batch.tolist()]\n"
        "\n"
        "answer = shuffled_numbers"
    ),
    reference=_shuffled_numbers_reference,
    wrong=[_shuffled_numbers_global_rng, _shuffled_numbers_reseeds_global,
           _shuffled_numbers_not_shuffled, _shuffled_numbers_without_loader,
           _shuffled_numbers_reseeds_numpy, _shuffled_numbers_as_batches],
)

QUESTIONS = questions(globals())
