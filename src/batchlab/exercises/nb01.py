"""Exercises for notebook 01 (datasets).

>>> q2.check((12, 101))
Correct!
>>> q3.check([16, 5, 2])
Not quite. The sizes add up, but not these. Hint: ex.q3.hint()
"""

from __future__ import annotations

import math

from torch.utils.data import DataLoader, Dataset

from ._question import Question, as_int, questions

# ----- q1: write a map-style Dataset ------------------------------------------------------------

class SquaresDataset(Dataset):
    """The reference answer to q1: ``ds[i] == (i, i * i)`` for ``0 <= i < n``."""

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




def _judge_squares(cls):
    if not isinstance(cls, type):
        return (f"Pass the class itself (answer = SquaresDataset), not "
                f"{'an instance' if hasattr(cls, '__getitem__') else type(cls).__name__}.")
    for n in (5, 1, 8):
        ds = cls(n)
        if len(ds) != n:
            return f"len(SquaresDataset({n})) should be {n}, got {len(ds)}."
        for i in range(n):
            sample = ds[i]
            if not isinstance(sample, (tuple, list)) or len(sample) != 2:
                return (f"ds[{i}] should be ONE sample, the pair (i, i * i); got "
                        f"{type(sample).__name__} of length {len(sample)}.")
            got = (as_int(sample[0]), as_int(sample[1]))
            if got != (i, i * i):
                return f"ds[{i}] should be ({i}, {i * i}), got {got}."
    x, y = next(iter(DataLoader(cls(6), batch_size=4)))
    if x.tolist() != [0, 1, 2, 3] or y.tolist() != [0, 1, 4, 9]:
        return "A DataLoader over it should batch (i, i * i) pairs into two tensors."
    return True


q1 = Question(
    "Write a map-style dataset class SquaresDataset(n) with len(ds) == n and "
    "ds[i] == (i, i * i) for 0 <= i < n. Answer with the class itself: answer = SquaresDataset.",
    _judge_squares,
    hint="Store n in __init__; __len__ returns it; __getitem__(self, idx) returns ONE pair "
         "(idx, idx * idx) — not a list of pairs. The DataLoader does the batching.",
    solution="class SquaresDataset(Dataset):\n"
             "    def __init__(self, n):\n"
             "        self.n = n\n"
             "    def __len__(self):\n"
             "        return self.n\n"
             "    def __getitem__(self, idx):\n"
             "        return idx, idx * idx\n\n"
             "answer = SquaresDataset",
    reference=SquaresDataset,
    wrong=[_ReturnsWholeBatch, _LengthOffByOne, _SwappedPair, SquaresDataset(3)],
)


# ----- q2: ConcatDataset length and index mapping -------------------------------------------------

def _judge_concat(answer):
    if not isinstance(answer, tuple) or len(answer) != 2:
        return "Answer with a pair: (len(c), c[8])."
    length, value = (as_int(v) for v in answer)
    if length != 12:
        return "The length is not right: lengths add up."
    if value != 101:
        return "The length is right, but c[8] is not."
    return True


q2 = Question(
    "c = ConcatDataset([NumbersDataset(7), NumbersDataset(5, start=100)]). "
    "The first dataset holds 1..7, the second 100..104. What are len(c) and c[8]? "
    "Answer with a pair: answer = (len_c, c8).",
    _judge_concat,
    hint="Indices 0..6 go to the first dataset; index 7 is the second dataset's index 0.",
    solution="answer = (12, 101)  # 7 + 5 samples; c[8] is the second dataset's [8 - 7] = [1]",
    reference=(12, 101),
    wrong=[(12, 8), (12, 9), (12, 100), (7, 101), (35, 101)],
)


# ----- q3: random_split with fractions -----------------------------------------------------------

def _split_sizes(n: int, fractions) -> list[int]:
    """What ``random_split`` does with fractions: floor each share, then hand out the
    remainder one by one from the first split on (torch.utils.data.random_split)."""
    sizes = [math.floor(n * f) for f in fractions]
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes


def _judge_split(answer):
    if not isinstance(answer, (list, tuple)) or len(answer) != 3:
        return "Answer with three sizes, e.g. [a, b, c]."
    sizes = [as_int(v) for v in answer]
    if sum(sizes) != 23:
        return f"The sizes add up to {sum(sizes)}, but random_split always uses all 23 samples."
    return sizes == _split_sizes(23, [0.7, 0.2, 0.1]) or "The sizes add up, but not these."


q3 = Question(
    "train, val, test = random_split(range(23), [0.7, 0.2, 0.1], generator=g). "
    "What are [len(train), len(val), len(test)]?",
    _judge_split,
    hint="random_split takes floor(23 * fraction) for each split, then gives the samples "
         "left over one at a time to the splits in order, starting with the first.",
    solution="answer = [17, 4, 2]  # floors 16, 4, 2 (sum 22); the 1 left over goes to the first",
    reference=[17, 4, 2],
    wrong=[[16, 5, 2], [16, 4, 2], [16, 4, 3], [16, 5, 3]],
)


# ----- q4: IterableDataset with workers ----------------------------------------------------------

def _judge_stream(answer):
    n = as_int(answer)
    if n == 10:
        return "Each worker runs its own copy of __iter__ — and this one does not shard."
    return n == 30


q4 = Question(
    "An IterableDataset yields the 10 numbers 0..9 and does not look at get_worker_info(). "
    "How many numbers does one pass over DataLoader(stream, batch_size=2, num_workers=3) give?",
    _judge_stream,
    hint="Every worker process gets its own copy of the dataset and iterates over all of it.",
    solution="answer = 30  # each of the 3 workers yields all 10 numbers: every number 3 times",
    reference=30,
    wrong=[10, 5, 15],
)

QUESTIONS = questions(globals())
