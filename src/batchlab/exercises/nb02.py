"""Exercises for notebook 02 (DataLoader batching and collate functions).

>>> q1.check((7, 6))
Correct!
>>> q2.check(default_collate)
Not quite. labels must be a Python list, got tuple. Hint: ex.q2.hint()
"""

from __future__ import annotations

import torch
from torch.utils.data import default_collate

from ._question import Question, questions

# --- q1: len(loader) -----------------------------------------------------------------------


def _judge_q1(answer):
    if not isinstance(answer, tuple) or len(answer) != 2:
        return "Give a tuple of two ints: (without drop_last, with drop_last)."
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in answer):
        return "Both numbers must be ints (len(loader) is a whole number of batches)."
    if answer == (6, 7):
        return "Swapped: drop_last=True can only make the loader shorter."
    return answer == (7, 6) or "Count full batches, then decide about the leftover items."


q1 = Question(
    "A DataLoader over a Dataset of N = 50 samples uses batch_size = 8. "
    "What is len(loader) with drop_last=False, and with drop_last=True? "
    "Answer a tuple (without, with).",
    _judge_q1,
    hint="50 = 6 * 8 + 2: six full batches and 2 items left over.",
    solution="answer = (math.ceil(50 / 8), 50 // 8)  # (7, 6): the last 2 items kept or dropped",
    reference=(7, 6),
    wrong=[(6, 7), (7, 7), (6, 6), 6.25, (6.25, 6)],
)


# --- q2: a collate_fn that keeps labels as a list ------------------------------------------

def _q2_batch():
    xs = [torch.tensor([float(i), float(i) + 0.5]) for i in range(3)]
    labels = ["cat", ("dog", 2), {"box": [1, 2]}]  # labels default_collate could not keep as-is
    return list(zip(xs, labels, strict=True)), xs, labels


def _judge_q2(collate_fn):
    if not callable(collate_fn):
        return "Give a function: answer = my_collate (no parentheses)."
    batch, xs, labels = _q2_batch()
    out = collate_fn(batch)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return f"It must return a pair (xs, labels), got {type(out).__name__}."
    stacked, got_labels = out
    if not isinstance(got_labels, list):
        return f"labels must be a Python list, got {type(got_labels).__name__}."
    if got_labels != labels:
        return "labels must be the samples' labels, in the batch's order, unchanged."
    if not isinstance(stacked, torch.Tensor) or stacked.shape != (3, 2):
        got = tuple(stacked.shape) if isinstance(stacked, torch.Tensor) else type(stacked).__name__
        return f"xs must be one tensor of shape (3, 2) (a new leading batch dim), got {got}."
    if not torch.equal(stacked, torch.stack(xs)):
        return "xs must be the samples' tensors, stacked in order."
    return True


def _reference_q2(batch):
    xs, labels = zip(*batch, strict=True)
    return torch.stack(xs), list(labels)


def _wrong_cat(batch):
    return torch.cat([x for x, _ in batch]), [y for _, y in batch]


def _wrong_tuple_labels(batch):
    xs, labels = zip(*batch, strict=True)
    return torch.stack(xs), labels


def _wrong_list_of_tensors(batch):
    return [x for x, _ in batch], [y for _, y in batch]


q2 = Question(
    "Write collate_fn(batch) for samples (x: tensor of shape [2], label: anything). "
    "It must return a tuple (xs, labels): xs one tensor of shape [B, 2], labels a plain "
    "Python list of the B labels, unchanged. The checker calls it on a batch of 3.",
    _judge_q2,
    hint="zip(*batch) splits the pairs into xs and labels; torch.stack adds the batch dimension.",
    solution=("def my_collate(batch):\n"
              "    xs, labels = zip(*batch)\n"
              "    return torch.stack(xs), list(labels)\n\n"
              "answer = my_collate"),
    reference=_reference_q2,
    wrong=[default_collate, _wrong_cat, _wrong_tuple_labels, _wrong_list_of_tensors, 42],
)


# --- q3: default_collate on a list of dicts ------------------------------------------------

def _judge_q3(answer):
    if isinstance(answer, list):
        return "default_collate does not return the list of dicts: it returns ONE dict."
    if not isinstance(answer, dict) or set(answer) != {"x", "name"}:
        return "Give a dict with the same keys as each sample: 'x' and 'name'."
    x, name = answer["x"], answer["name"]
    if not isinstance(x, torch.Tensor):
        return "Python ints are turned into a tensor."
    if x.dtype != torch.int64 or x.tolist() != [1, 2, 3]:
        return f"'x' should hold [1, 2, 3] as int64, got {x.tolist()} as {x.dtype}."
    if isinstance(name, torch.Tensor) or not isinstance(name, list):
        return "Strings can't become a tensor: default_collate keeps them in a Python list."
    return name == ["a", "b", "c"] or "Keep the strings in the samples' order."


q3 = Question(
    "What does default_collate return for the batch "
    "[{'x': 1, 'name': 'a'}, {'x': 2, 'name': 'b'}, {'x': 3, 'name': 'c'}]? "
    "Write the value itself (you may use torch.tensor).",
    _judge_q3,
    hint="A dict of samples becomes a dict of batches: each key is collated on its own.",
    solution="answer = {'x': torch.tensor([1, 2, 3]), 'name': ['a', 'b', 'c']}",
    reference={"x": torch.tensor([1, 2, 3]), "name": ["a", "b", "c"]},
    wrong=[
        [{"x": 1, "name": "a"}, {"x": 2, "name": "b"}, {"x": 3, "name": "c"}],
        {"x": [1, 2, 3], "name": ["a", "b", "c"]},
        {"x": torch.tensor([1.0, 2.0, 3.0]), "name": ["a", "b", "c"]},
        {"x": torch.tensor([1, 2, 3]), "name": "abc"},
    ],
)

QUESTIONS = questions(globals())
