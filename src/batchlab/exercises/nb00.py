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
    hint="It is the same string you would pass to torch.device(...) for the CPU; lower case.",
    solution='answer = "cpu"  # os.environ["BATCHLAB_DEVICE"] = "cpu" before get_device()',
    reference="cpu",
    wrong=["", "CPU", "gpu", "none", 0],
)


_PATH = ("sampler", "dataset[i]", "collate_fn", "model", "loss")
_ALIASES = {"dataset": "dataset[i]", "collate": "collate_fn", "collate_fn()": "collate_fn"}


def _stop(name):
    if not isinstance(name, str):
        raise ValueError(f"expected the names of the stops as strings, got {name!r:.40}")
    key = name.strip().strip("`").lower()
    return _ALIASES.get(key, key)


def _judge_data_path(answer):
    if isinstance(answer, str) or not isinstance(answer, (list, tuple)):
        return "Give the five names as a list: answer = ['...', '...', ...]."
    stops = [_stop(name) for name in answer]
    if sorted(stops) != sorted(_PATH):
        return f"Use each of these five exactly once: {list(_PATH)}."
    if stops.index("dataset[i]") < stops.index("sampler"):
        return "dataset[i] needs an index: where do the indices come from?"
    if stops.index("collate_fn") < stops.index("dataset[i]"):
        return "collate_fn merges samples: it cannot run before there are samples."
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
           ["sampler", "dataset[i]", "model", "loss"], "sampler"],
)


def _judge_shuffled_numbers(answer):
    if not callable(answer):
        return "Give a function: def shuffled_numbers(n, seed): ...; answer = shuffled_numbers"
    saved = torch.get_rng_state()
    try:
        torch.manual_seed(12345)  # the judge's own draws are repeatable too
        before = torch.get_rng_state()
        first = answer(10, 0)
        if first is None or first is ...:
            return ("shuffled_numbers(10, 0) returned None: write the function's body in place "
                    "of `...` (it must return a list).")
        first = [as_int(x) for x in first]
        if not torch.equal(before, torch.get_rng_state()):
            return ("Your function changed torch's global random state (it reseeded it or drew "
                    "from it). Give the DataLoader its own generator instead.")
        if sorted(first) != list(range(1, 11)):
            return f"shuffled_numbers(10, 0) must return the numbers 1..10 once each, got {first}"
        torch.rand(7)  # other code drawing random numbers in between
        again = [as_int(x) for x in answer(10, 0)]
        if again != first:
            return "The same seed gave two different orders."
        if [as_int(x) for x in answer(10, 1)] == first:
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
           _shuffled_numbers_not_shuffled],
)

QUESTIONS = questions(globals())
