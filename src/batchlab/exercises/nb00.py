"""Exercises for notebook 00 (start here).

>>> from batchlab.exercises import nb00
>>> nb00.q1.check(10)
Correct!
"""

from __future__ import annotations

import os

import torch
from torch.utils.data import DataLoader

from ..datasets import NumbersDataset
from ..device import ENV_VAR, get_device
from ._question import Question, questions


def _judge_last_number(answer):
    if isinstance(answer, bool) or not isinstance(answer, int):
        return "Give a whole number, e.g. answer = 3."
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
    hint="It is the same string you would pass to torch.device(...) for the CPU; lower case.",
    solution='answer = "cpu"  # os.environ["BATCHLAB_DEVICE"] = "cpu" before get_device()',
    reference="cpu",
    wrong=["", "CPU", "gpu", "none", 0],
)


def _judge_batch_counts(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return "Give two numbers: answer = (without_drop_last, with_drop_last)."
    if any(isinstance(a, bool) or not isinstance(a, int) for a in answer):
        return "Batch counts are whole numbers."
    data = NumbersDataset(10)
    expected = tuple(len(DataLoader(data, batch_size=3, drop_last=d)) for d in (False, True))
    if tuple(answer) == expected[::-1]:
        return "You swapped them: drop_last=True is the one that loses a batch."
    return tuple(answer) == expected


q3 = Question(
    "How many batches does one epoch of `DataLoader(NumbersDataset(10), batch_size=3, "
    "drop_last=...)` have? Answer `(with drop_last=False, with drop_last=True)`.",
    _judge_batch_counts,
    hint="10 numbers in batches of 3: three full batches and one number left over. "
         "What does drop_last do with that leftover batch?",
    solution="answer = (4, 3)  # ceil(10 / 3) and 10 // 3; the batch [10] is dropped",
    reference=(4, 3),
    wrong=[(3, 4), (3, 3), (4, 4), (3.33, 3)],
)


def _judge_shuffled_numbers(answer):
    if not callable(answer):
        return "Give a function: def shuffled_numbers(n, seed): ...; answer = shuffled_numbers"
    saved = torch.get_rng_state()
    try:
        torch.manual_seed(12345)  # the judge's own draws are repeatable too
        before = torch.get_rng_state()
        first = list(answer(10, 0))
        if not torch.equal(before, torch.get_rng_state()):
            return ("Your function changed torch's global random state (it reseeded it or drew "
                    "from it). Give the DataLoader its own generator instead.")
        if sorted(first) != list(range(1, 11)):
            return f"shuffled_numbers(10, 0) must return the numbers 1..10 once each, got {first}"
        torch.rand(7)  # other code drawing random numbers in between
        again = list(answer(10, 0))
        if again != first:
            return "The same seed gave two different orders."
        if list(answer(10, 1)) == first:
            return "Seeds 0 and 1 gave the same order: is the loader shuffled with your seed?"
        return True
    finally:
        torch.set_rng_state(saved)


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


q4 = Question(
    "Write `shuffled_numbers(n, seed)`: return the numbers of `NumbersDataset(n)` in the order "
    "a shuffled `DataLoader` (batch_size=4) gives them, as one flat list. The same seed must "
    "give the same order even if other code draws random numbers in between, and the function "
    "must not reseed or use torch's global random state.",
    _judge_shuffled_numbers,
    hint="Build g = torch.Generator().manual_seed(seed) and pass generator=g to the "
         "DataLoader; flatten with [x for batch in loader for x in batch.tolist()].",
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
           _shuffled_numbers_not_shuffled],
)

QUESTIONS = questions(globals())
