"""Exercises for notebook 01 (datasets: the map-style contract, splits, streams).

>>> q2.check((17, 4, 2))
Correct!
>>> q2.check([16, 5, 2])
Not quite. The sizes add up, but not these. Hint: ex.q2.hint()
"""

from __future__ import annotations

import math

import torch
from torch.utils.data import DataLoader, Dataset

from ._question import CodeQuestion, Question, as_int, as_int_list, questions

# ----- q1: write a map-style Dataset ------------------------------------------------------------

class SquaresDataset(Dataset):
    """The reference answer to q1: ``ds[i] == (i, i * i)`` for ``0 <= i < n``.

    >>> ds = SquaresDataset(4)
    >>> len(ds), ds[3]
    (4, (3, 9))
    """

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        if not 0 <= idx < self.n:
            raise IndexError(f"index {idx} is out of range for {self.n} samples")
        return idx, idx * idx


class _ReturnsWholeBatch(SquaresDataset):
    def __getitem__(self, idx):  # returns every sample at once: a "batch", not one sample
        return [(i, i * i) for i in range(self.n)]


class _LengthOffByOne(SquaresDataset):
    def __len__(self):
        return self.n - 1


class _SwappedPair(SquaresDataset):
    def __getitem__(self, idx):
        return idx * idx, idx


class _OneTensor(SquaresDataset):
    def __getitem__(self, idx):  # one field, not two: batches to [B, 2]
        return torch.tensor([idx, idx * idx])


def _describe(sample) -> str:
    size = f" of length {len(sample)}" if hasattr(sample, "__len__") else ""
    return f"{type(sample).__name__}{size}"


def _probe_squares(cls):
    """What the class gives for ``cls(5)[0]``: ``None`` while its methods are still ``...``."""
    if not isinstance(cls, type):
        return True  # not a class: the judge explains
    return cls(5)[0]


def _judge_squares(cls):
    if not isinstance(cls, type):
        return (f"Pass the class itself (SquaresDataset), not "
                f"{'an instance' if hasattr(cls, '__getitem__') else type(cls).__name__}.")
    probe = cls(5)
    if probe.__len__() is None or probe.__getitem__(0) is None:
        return ("__len__ or __getitem__ still returns None: write the methods' bodies in place "
                "of `...`.")
    for n in (5, 1, 8):
        ds = cls(n)
        if len(ds) != n:
            return f"len(SquaresDataset({n})) should be {n}, got {len(ds)}."
        for i in range(n):
            sample = ds[i]
            if hasattr(sample, "numel") and sample.numel() == 2:
                return (f"ds[{i}] is one tensor of two numbers; return the pair as two fields, "
                        f"(i, i * i), so that a DataLoader batches the i's and the squares "
                        f"separately.")
            if not isinstance(sample, (tuple, list)) or len(sample) != 2:
                return (f"ds[{i}] should be ONE sample, the pair (i, i * i); got "
                        f"{_describe(sample)}.")
            got = (as_int(sample[0]), as_int(sample[1]))
            if got != (i, i * i):
                return f"ds[{i}] should be ({i}, {i * i}), got {got}."
    batch = next(iter(DataLoader(cls(6), batch_size=4)))
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        return (f"A DataLoader over it should give two fields per batch (the i's and the "
                f"squares), got {_describe(batch)}.")
    x, y = (field.reshape(-1).tolist() for field in batch)  # [4] or [4, 1]: both hold 4 numbers
    if x != [0, 1, 2, 3] or y != [0, 1, 4, 9]:
        return (f"The first batch of 4 from a DataLoader should hold 0..3 and their squares, "
                f"got {x} and {y}.")
    return True


q1 = CodeQuestion(
    "Write a map-style dataset class SquaresDataset(n) with len(ds) == n and "
    "ds[i] == (i, i * i) for 0 <= i < n. Check the class itself: ex.q1.check(SquaresDataset).",
    _judge_squares,
    hint="What does the dataset need to remember from __init__ to answer __len__? And "
         "__getitem__ answers for ONE index: the DataLoader does the batching.",
    solution="class SquaresDataset(Dataset):\n"
             "    def __init__(self, n):\n"
             "        self.n = n\n"
             "    def __len__(self):\n"
             "        return self.n\n"
             "    def __getitem__(self, idx):\n"
             "        return idx, idx * idx\n\n"
             "ex.q1.check(SquaresDataset)",
    reference=SquaresDataset,
    wrong=[_ReturnsWholeBatch, _LengthOffByOne, _SwappedPair, _OneTensor, SquaresDataset(3)],
    probe=_probe_squares,
)


# ----- q2: random_split with fractions -----------------------------------------------------------

def _split_sizes(n: int, fractions) -> list[int]:
    """What ``random_split`` does with fractions: floor each share, then hand out the
    remainder one by one from the first split on (torch.utils.data.random_split).

    >>> _split_sizes(11, [0.8, 0.2])
    [9, 2]
    """
    sizes = [math.floor(n * f) for f in fractions]
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes


def _judge_split(answer):
    sizes = as_int_list(answer)  # a list, a tuple, an array or a tensor of three whole numbers
    if len(sizes) != 3:
        return "Answer with three sizes, e.g. [a, b, c]."
    if sum(sizes) != 23:
        return f"The sizes add up to {sum(sizes)}, but random_split always uses all 23 samples."
    return sizes == _split_sizes(23, [0.7, 0.2, 0.1]) or "The sizes add up, but not these."


q2 = Question(
    "train, val, test = random_split(range(23), [0.7, 0.2, 0.1], generator=g). "
    "What are [len(train), len(val), len(test)]?",
    _judge_split,
    hint="Section 5 shows how random_split turns fractions into whole lengths: start from "
         "23 * 0.7, 23 * 0.2 and 23 * 0.1, and remember that every sample is used.",
    solution="answer = [17, 4, 2]  # floors 16, 4, 2 (sum 22); the 1 left over goes to the first",
    reference=[17, 4, 2],
    wrong=[[16, 5, 2], [16, 4, 2], [16, 4, 3], [16, 5, 3]],
)


# ----- q3: IterableDataset, workers and drop_last ------------------------------------------------

def _judge_stream(answer):
    n = as_int(answer)
    if n == 9:
        return ("That is 10 // 3 * 3, as if one loader cut the whole stream into batches. With "
                "an IterableDataset the batches are formed inside each worker, from its share.")
    if n == 10:
        return ("That is every number. With drop_last=True each worker drops the short last "
                "batch of its own share.")
    if n in (20, 18):
        return "RangeStream shards: each worker yields only its share of 0..9. Then drop_last."
    return n == 6


q3 = Question(
    "RangeStream(0, 10) shards its numbers across workers (section 4). How many numbers does "
    "one pass over DataLoader(RangeStream(0, 10), batch_size=3, num_workers=2, drop_last=True) "
    "give?",
    _judge_stream,
    hint="Write down the numbers worker 0 and worker 1 each yield, then cut each worker's "
         "numbers into batches of 3 on its own.",
    solution="answer = 6  # worker 0 yields 0 2 4 6 8 -> [0, 2, 4], drops [6, 8];\n"
             "#             worker 1 yields 1 3 5 7 9 -> [1, 3, 5], drops [7, 9]",
    reference=6,
    wrong=[9, 10, 18, 20],
)

QUESTIONS = questions(globals())
