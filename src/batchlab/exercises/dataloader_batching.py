"""Exercises for notebook 03 (DataLoader batching and collate functions).

>>> q1.check((16, 15))
Correct!
>>> q2.check(_wrong_float64)
Not quite. xs must stay float32, like the samples' tensors; got torch.float64. Hint: ex.q2.hint()
"""

from __future__ import annotations

import torch
from torch.utils.data import default_collate

from ._question import Question, as_int_list, questions

# --- q1: len(loader) -----------------------------------------------------------------------


def _judge_q1(answer):
    counts = as_int_list(answer)  # (16, 15), [16, 15], [16.0, 15.0], np.array([16, 15]), ...
    if len(counts) != 2:
        return "Give two whole numbers: (without drop_last, with drop_last)."
    if counts == [15, 16]:
        return "Swapped: drop_last=True can only make the loader shorter."
    return counts == [16, 15] or "Count full batches, then decide about the leftover items."


q1 = Question(
    "A DataLoader over a Dataset of N = 1000 samples uses batch_size = 64. "
    "What is len(loader) with drop_last=False, and with drop_last=True? "
    "Answer a tuple (without, with).",
    _judge_q1,
    hint="How many full batches of 64 fit in 1000, and what happens to the items left over?",
    solution="answer = (math.ceil(1000 / 64), 1000 // 64)  # (16, 15): the last 40 items kept "
             "or dropped",
    reference=(16, 15),
    wrong=[(15, 16), (16, 16), (15, 15), 15.625, (15.625, 15)],
)


# --- q2: a collate_fn that keeps labels as a list ------------------------------------------

def _q2_batches():
    """Three batches of 3 samples: labels that are strings, tuples, then dicts."""
    xs = [torch.tensor([float(i), float(i) + 0.5]) for i in range(3)]  # float32
    label_kinds = [["dog", "cat", "cow"],  # default_collate keeps these as a list: fine
                   [("dog", 2), ("cat", 0), ("cow", 1)],  # default_collate would transpose these
                   [{"name": "dog", "id": 2}, {"name": "cat", "id": 0},
                    {"name": "cow", "id": 1}]]  # ... and turn these into one dict
    return [(list(zip(xs, labels, strict=True)), xs, labels) for labels in label_kinds]


def _judge_q2(collate_fn):
    if not callable(collate_fn):
        return "Give a function: answer = my_collate (no parentheses)."
    for batch, xs, labels in _q2_batches():
        out = collate_fn(batch)
        if out is None or out is ...:
            return "Your collate_fn returned None: write its body in place of `...`."
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            return f"It must return a pair (xs, labels), got {type(out).__name__}."
        stacked, got_labels = out
        kind = type(labels[0]).__name__
        if isinstance(got_labels, torch.Tensor) or not isinstance(got_labels, (list, tuple)):
            return (f"With {kind} labels, labels must be a Python list (or tuple), "
                    f"got {type(got_labels).__name__}.")
        if list(got_labels) != labels:
            return (f"With {kind} labels, labels must be the samples' labels, in the batch's "
                    "order, unchanged.")
        if not isinstance(stacked, torch.Tensor) or stacked.shape != (3, 2):
            got = (tuple(stacked.shape) if isinstance(stacked, torch.Tensor)
                   else type(stacked).__name__)
            return f"xs must be one tensor of shape (3, 2) (a new leading batch dim), got {got}."
        if stacked.dtype != torch.float32:
            return f"xs must stay float32, like the samples' tensors; got {stacked.dtype}."
        if not torch.equal(stacked, torch.stack(xs)):
            return "xs must be the samples' tensors, in the batch's order."
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


def _wrong_float64(batch):
    xs, labels = zip(*batch, strict=True)
    return torch.stack(xs).double(), list(labels)


def _wrong_collate_only_pairs(batch):  # right for string labels, wrong for tuples and dicts
    xs, labels = default_collate(batch)
    return xs, list(labels)


q2 = Question(
    "Write collate_fn(batch) for samples (x: tensor of shape [2], label: anything). "
    "It must return a pair (xs, labels): xs one tensor of shape [B, 2], labels a plain "
    "Python list (or tuple) of the B labels, unchanged, and xs float32 like the samples. The "
    "checker calls it on batches of 3 whose labels are strings, tuples, then dicts.",
    _judge_q2,
    hint="Split the batch into two lists first, one of xs and one of labels. The xs need a new "
         "leading batch dimension (section 6 shows which torch function adds one); the labels "
         "need no conversion at all.",
    solution=("def my_collate(batch):\n"
              "    xs, labels = zip(*batch)\n"
              "    return torch.stack(xs), list(labels)\n\n"
              "answer = my_collate"),
    reference=_reference_q2,
    wrong=[default_collate, _wrong_cat, _wrong_reversed_labels, _wrong_list_of_tensors,
           _wrong_float64, _wrong_collate_only_pairs, 42],
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
    if not isinstance(name, list):
        return (f"Strings can't become a tensor: default_collate keeps them in a Python list, "
                f"got {type(name).__name__}.")
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
        {"x": torch.tensor([1, 2, 3]), "name": ("a", "b", "c")},
    ],
)

# --- q4: a padding collate_fn that also truncates -----------------------------------------

MAX_LEN = 8


def _q4_batches():
    """Three batches: one with sequences longer than MAX_LEN, two with all shorter."""
    g = torch.Generator().manual_seed(4)
    shapes = [((11, 1), (3, 0), (8, 1), (5, 0)),
              ((2, 0), (6, 1), (4, 1)),
              ((13, 0), (9, 1), (1, 1), (7, 0), (20, 1))]
    return [[(torch.randint(1, 50, (n,), generator=g), label) for n, label in batch]
            for batch in shapes]


def _expected_q4(batch):
    kept = [tokens[:MAX_LEN] for tokens, _ in batch]
    lengths = [len(t) for t in kept]
    padded = torch.zeros(len(batch), max(lengths), dtype=torch.int64)
    for i, t in enumerate(kept):
        padded[i, :len(t)] = t
    return padded, lengths, [label for _, label in batch]


def _kept_last(batch):
    """What keeping the LAST MAX_LEN tokens would give (a common slip)."""
    kept = [tokens[-MAX_LEN:] for tokens, _ in batch]
    return torch.nn.utils.rnn.pad_sequence(kept, batch_first=True)


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
        for name, value in (("padded", padded), ("lengths", lengths), ("labels", labels)):
            if not isinstance(value, torch.Tensor) or value.dtype != torch.int64:
                got = value.dtype if isinstance(value, torch.Tensor) else type(value).__name__
                return f"{name} must be an int64 tensor, got {got}."
        if padded.dim() != 2:
            return "padded must be one 2-d tensor [B, longest]."
        if tuple(padded.shape) != tuple(want_padded.shape):
            return (f"For sequences of lengths {[len(t) for t, _ in batch]}, padded should have "
                    f"shape {tuple(want_padded.shape)}, got {tuple(padded.shape)}.")
        if not torch.equal(padded, want_padded):
            if torch.equal(padded, _kept_last(batch)):
                return "You kept the last MAX_LEN tokens; keep the FIRST ones: tokens[:MAX_LEN]."
            return "padded has the right shape but not the right values (tokens first, then 0s)."
        if lengths.tolist() != want_lengths:
            return f"lengths should count the tokens kept: {want_lengths}, got {lengths.tolist()}."
        if labels.tolist() != want_labels:
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
    return padded, torch.tensor([len(s) for s in sequences]), torch.tensor([y for _, y in batch])


def _wrong_q4_keeps_last(batch):
    _, lengths, labels = _reference_q4(batch)
    return _kept_last(batch), lengths, labels


def _wrong_q4_float(batch):
    padded, lengths, labels = _reference_q4(batch)
    return padded.float(), lengths.float(), labels


q4 = Question(
    "Write pad_truncate_collate(batch) for samples (tokens: int64 tensor [length], label: int): "
    f"keep the first MAX_LEN = {MAX_LEN} tokens of every sequence, pad the batch with 0 up to "
    "its longest sequence after cutting, and return three int64 tensors (padded [B, longest], "
    "lengths [B] of the tokens kept, labels [B]). The checker calls it on a few batches.",
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
           _wrong_q4_no_truncation, _wrong_q4_keeps_last, _wrong_q4_float, 8],
)

QUESTIONS = questions(globals())
