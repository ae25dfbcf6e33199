"""Exercises for notebook 02 (DataLoader batching and collate functions).

>>> q1.check((7, 6))
Correct!
>>> q2.check(default_collate)
Not quite. labels must be the samples' labels, in the batch's order, unchanged. Hint: ex.q2.hint()
"""

from __future__ import annotations

import torch
from torch.utils.data import default_collate

from ._question import Question, as_int_list, questions

# --- q1: len(loader) -----------------------------------------------------------------------


def _judge_q1(answer):
    counts = as_int_list(answer)  # (7, 6), [7, 6], [7.0, 6.0], np.array([7, 6]), ...
    if len(counts) != 2:
        return "Give two whole numbers: (without drop_last, with drop_last)."
    if counts == [6, 7]:
        return "Swapped: drop_last=True can only make the loader shorter."
    return counts == [7, 6] or "Count full batches, then decide about the leftover items."


q1 = Question(
    "A DataLoader over a Dataset of N = 50 samples uses batch_size = 8. "
    "What is len(loader) with drop_last=False, and with drop_last=True? "
    "Answer a tuple (without, with).",
    _judge_q1,
    hint="How many full batches of 8 fit in 50, and what happens to the items left over?",
    solution="answer = (math.ceil(50 / 8), 50 // 8)  # (7, 6): the last 2 items kept or dropped",
    reference=(7, 6),
    wrong=[(6, 7), (7, 7), (6, 6), 6.25, (6.25, 6)],
)


# --- q2: a collate_fn that keeps labels as a list ------------------------------------------

def _q2_batch():
    xs = [torch.tensor([float(i), float(i) + 0.5]) for i in range(3)]
    labels = [("dog", 2), ("cat", 0), ("cow", 1)]  # default_collate would transpose these pairs
    return list(zip(xs, labels, strict=True)), xs, labels


def _judge_q2(collate_fn):
    if not callable(collate_fn):
        return "Give a function: answer = my_collate (no parentheses)."
    batch, xs, labels = _q2_batch()
    out = collate_fn(batch)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return f"It must return a pair (xs, labels), got {type(out).__name__}."
    stacked, got_labels = out
    if isinstance(got_labels, torch.Tensor) or not isinstance(got_labels, (list, tuple)):
        return f"labels must be a Python list (or tuple), got {type(got_labels).__name__}."
    if list(got_labels) != labels:
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


def _wrong_reversed_labels(batch):
    xs, labels = zip(*batch, strict=True)
    return torch.stack(xs), list(labels)[::-1]


def _wrong_list_of_tensors(batch):
    return [x for x, _ in batch], [y for _, y in batch]


q2 = Question(
    "Write collate_fn(batch) for samples (x: tensor of shape [2], label: anything). "
    "It must return a pair (xs, labels): xs one tensor of shape [B, 2], labels a plain "
    "Python list (or tuple) of the B labels, unchanged. The checker calls it on a batch of 3.",
    _judge_q2,
    hint="Which torch function adds a new leading dimension: torch.cat or torch.stack? The "
         "labels need no conversion at all.",
    solution=("def my_collate(batch):\n"
              "    xs, labels = zip(*batch)\n"
              "    return torch.stack(xs), list(labels)\n\n"
              "answer = my_collate"),
    reference=_reference_q2,
    wrong=[default_collate, _wrong_cat, _wrong_reversed_labels, _wrong_list_of_tensors, 42],
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
    if isinstance(name, torch.Tensor) or not isinstance(name, (list, tuple)):
        return "Strings can't become a tensor: default_collate keeps them in a Python list."
    return list(name) == ["a", "b", "c"] or "Keep the strings in the samples' order."


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

# --- q4: a padding collate_fn that also truncates -----------------------------------------

MAX_LEN = 8


def _q4_batches():
    g = torch.Generator().manual_seed(4)
    long_and_short = [(torch.randint(1, 50, (n,), generator=g), label)
                      for n, label in ((11, 1), (3, 0), (8, 1), (5, 0))]
    all_short = [(torch.randint(1, 50, (n,), generator=g), label)
                 for n, label in ((2, 0), (6, 1), (4, 1))]
    return long_and_short, all_short


def _expected_q4(batch):
    kept = [tokens[:MAX_LEN] for tokens, _ in batch]
    lengths = [len(t) for t in kept]
    padded = torch.zeros(len(batch), max(lengths), dtype=torch.int64)
    for i, t in enumerate(kept):
        padded[i, :len(t)] = t
    return padded, lengths, [label for _, label in batch]


def _judge_q4(collate_fn):
    if not callable(collate_fn):
        return "Give the function itself: answer = pad_truncate_collate (no parentheses)."
    for batch in _q4_batches():
        out = collate_fn(batch)
        if out is None or out is ...:
            return "Your collate_fn returned None: write its body in place of `...`."
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            return "Return three things: (padded, lengths, labels)."
        padded, lengths, labels = out
        want_padded, want_lengths, want_labels = _expected_q4(batch)
        if not isinstance(padded, torch.Tensor) or padded.dim() != 2:
            return "padded must be one 2-d tensor [B, longest]."
        if tuple(padded.shape) != tuple(want_padded.shape):
            return (f"For sequences of lengths {[len(t) for t, _ in batch]}, padded should have "
                    f"shape {tuple(want_padded.shape)}, got {tuple(padded.shape)}.")
        if not torch.equal(padded.long(), want_padded):
            return "padded has the right shape but not the right values (tokens first, then 0s)."
        if as_int_list(lengths) != want_lengths:
            return f"lengths should count the tokens kept: {want_lengths}, got {lengths}."
        if as_int_list(labels) != want_labels:
            return "labels should be the samples' labels, in order."
    return True


def _reference_q4(batch):
    sequences = [tokens[:MAX_LEN] for tokens, _ in batch]
    lengths = torch.tensor([len(s) for s in sequences])
    padded = torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True)
    return padded, lengths, torch.tensor([label for _, label in batch])


def _wrong_q4_always_max_len(batch):
    padded, lengths, labels = _reference_q4(batch)
    full = torch.zeros(len(batch), MAX_LEN, dtype=padded.dtype)
    full[:, :padded.shape[1]] = padded
    return full, lengths, labels


def _wrong_q4_lengths_before_truncation(batch):
    padded, _, labels = _reference_q4(batch)
    return padded, torch.tensor([len(t) for t, _ in batch]), labels


def _wrong_q4_no_truncation(batch):
    sequences = [tokens for tokens, _ in batch]
    padded = torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True)
    return padded, torch.tensor([len(s) for s in sequences]), [label for _, label in batch]


q4 = Question(
    "Write pad_truncate_collate(batch) for samples (tokens: int64 tensor [length], label: int): "
    f"cut every sequence to at most MAX_LEN = {MAX_LEN} tokens, pad the batch with 0 up to its "
    "longest sequence after cutting, and return (padded [B, longest], lengths [B] of the tokens "
    "kept, labels [B]).",
    _judge_q4,
    hint="Cut first, then pad. How long is the batch when every sequence is shorter than "
         "MAX_LEN?",
    solution=("def pad_truncate_collate(batch):\n"
              "    sequences = [tokens[:MAX_LEN] for tokens, _ in batch]\n"
              "    lengths = torch.tensor([len(s) for s in sequences])\n"
              "    padded = torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True)\n"
              "    labels = torch.tensor([label for _, label in batch])\n"
              "    return padded, lengths, labels\n\n"
              "answer = pad_truncate_collate"),
    reference=_reference_q4,
    wrong=[_wrong_q4_always_max_len, _wrong_q4_lengths_before_truncation,
           _wrong_q4_no_truncation, 8],
)

QUESTIONS = questions(globals())
