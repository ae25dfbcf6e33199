"""Exercises for notebook 05 (samplers).

>>> q1.check(3000.0)
Correct!
>>> q2.check("a")
Not quite. Without replacement every sample can be drawn only once. Hint: ex.q2.hint()
>>> def make_sampler(labels, generator):
...     ...  # not written yet
>>> q3.check(make_sampler)
Not attempted yet: write the body of your function (it returned None) and run the cell again.
"""

from __future__ import annotations

import torch
from torch.utils.data import RandomSampler, WeightedRandomSampler

from ._question import NOT_ATTEMPTED, Question, as_float, questions

__all__ = ["WriteCodeQuestion", "q1", "q2", "q3", "q4"]


class WriteCodeQuestion(Question):
    """A question the student answers with a function they write.

    ``probe(fn)`` calls the function once on small inputs. While the function is still a
    stub (its body is ``...``, so it returns ``None``) the verdict is "Not attempted yet",
    not "wrong".
    """

    def __init__(self, *args, probe, **kwargs):
        super().__init__(*args, **kwargs)
        self.probe = probe

    def verdict(self, answer=NOT_ATTEMPTED):
        if answer is not NOT_ATTEMPTED and callable(answer):
            try:
                out = self.probe(answer)
            except Exception:  # noqa: BLE001 - the judge reports it
                out = True
            if out is None or out is NOT_ATTEMPTED:
                return None, ("Not attempted yet: write the body of your function (it returned "
                              "None) and run the cell again.")
        return super().verdict(answer)


# --- q1: expected count with replacement -------------------------------------------------------

def _judge_q1(answer):
    try:
        value = as_float(answer)
    except ValueError:
        return "Give a number."
    if abs(value - 2000) < 1:
        return "Index 0 has weight 0: it takes no share of the draws."
    return abs(value - 3000) < 1 or "Each draw picks index i with probability w_i / sum(w)."


q1 = Question(
    "WeightedRandomSampler([0, 3, 1], num_samples=4000, replacement=True): how many times "
    "is index 1 drawn, on average?",
    _judge_q1,
    hint="Each draw picks index i with probability w_i / sum(w), independently of the others.",
    solution="answer = 4000 * 3 / 4  # 3000",
    reference=3000,
    wrong=[2000, 1333, 4000, 0.75, "3000"],
)


# --- q2: replacement=False with num_samples == N ---------------------------------------------

_Q2_REASONS = {
    "a": "Without replacement every sample can be drawn only once.",
    "c": "With num_samples == N every sample is drawn exactly once, whatever the weights.",
}


def _judge_q2(answer):
    if not isinstance(answer, str) or answer.strip().lower() not in {"a", "b", "c"}:
        return "Answer 'a', 'b' or 'c'."
    choice = answer.strip().lower()
    return True if choice == "b" else _Q2_REASONS[choice]


q2 = Question(
    "A dataset has 900 samples of class 0 and 100 of class 1, all weights set to balance "
    "the classes. WeightedRandomSampler(weights, num_samples=1000, replacement=False): "
    "what are the class counts of one epoch? (a) about 500 / 500, (b) exactly 900 / 100, "
    "(c) it depends on the weights. Answer 'a', 'b' or 'c'.",
    _judge_q2,
    hint="How many times can each sample appear when drawing 1000 from 1000 without replacement?",
    solution="answer = 'b'  # a permutation: the weights only change the order",
    reference="b",
    wrong=["a", "c", 2],
)


# --- q3: build a class-balancing sampler from labels -----------------------------------------

def _q3_labels():
    return torch.tensor([0] * 80 + [1] * 15 + [2] * 5)


def _probe_q3(make_sampler):
    return make_sampler(_q3_labels(), torch.Generator().manual_seed(0))


def _judge_q3(make_sampler):
    if not callable(make_sampler):
        return "Give your function itself: ex.q3.check(make_sampler), no parentheses."
    labels = _q3_labels()
    sampler = make_sampler(labels, torch.Generator().manual_seed(0))
    if not hasattr(sampler, "__iter__") or not hasattr(sampler, "__len__"):
        return f"Return a sampler (with __iter__ and __len__), got {type(sampler).__name__}."
    if len(sampler) != len(labels):
        return f"num_samples should be len(labels) = {len(labels)}, got {len(sampler)}."
    draws = torch.tensor([int(i) for _ in range(40) for i in sampler])
    if draws.numel() == 0 or int(draws.min()) < 0 or int(draws.max()) >= len(labels):
        return "The sampler must yield indices of samples, 0 … len(labels) - 1."
    if int(draws.max()) < 3:
        return "Only indices 0-2 were drawn: you gave one weight per class, not per sample."
    share = torch.bincount(labels[draws], minlength=3).double() / len(draws)
    if (share - 1 / 3).abs().max() > 0.05:
        return (f"Class shares of the draws are {[round(s, 2) for s in share.tolist()]}; "
                f"they should each be about 1/3.")
    return True


def _reference_q3(labels, generator):
    weights = 1.0 / torch.bincount(labels)[labels]
    return WeightedRandomSampler(weights, len(labels), generator=generator)


def _wrong_random(labels, generator):
    return RandomSampler(range(len(labels)), generator=generator)


def _wrong_per_class(labels, generator):
    return WeightedRandomSampler(1.0 / torch.bincount(labels).double(), len(labels),
                                 generator=generator)


def _wrong_no_replacement(labels, generator):
    return WeightedRandomSampler(1.0 / torch.bincount(labels)[labels], len(labels),
                                 replacement=False, generator=generator)


q3 = WriteCodeQuestion(
    "Write make_sampler(labels, generator): return a sampler that draws len(labels) indices "
    "per epoch so that each class is drawn equally often on average. labels is an int64 "
    "tensor; the checker uses 3 classes of 80, 15 and 5 samples.",
    _judge_q3,
    probe=_probe_q3,
    hint=("The sampler needs one weight per SAMPLE, and a class's weights must add up to the "
          "same total for every class. Which default of WeightedRandomSampler lets a small "
          "class be drawn more often than it has samples?"),
    solution=("def make_sampler(labels, generator):\n"
              "    weights = 1.0 / torch.bincount(labels)[labels]\n"
              "    return WeightedRandomSampler(weights, len(labels), generator=generator)"),
    reference=_reference_q3,
    wrong=[_wrong_random, _wrong_per_class, _wrong_no_replacement, 42],
)


# --- q4: a batch sampler that undersamples: balanced batches, no repeats -------------------------

def _q4_cases():
    return [(torch.tensor([0] * 9 + [1] * 4 + [2] * 7), 2),
            (torch.tensor([1, 0, 1, 1, 0, 1, 1, 0, 1, 1]), 1),
            (torch.tensor([2] * 12 + [0] * 6 + [1] * 6), 3)]


def _probe_q4(fn):
    labels, per_class = _q4_cases()[0]
    return fn(labels, per_class, torch.Generator().manual_seed(0))


def _epoch(fn, labels, per_class, seed):
    batches = fn(labels, per_class, torch.Generator().manual_seed(seed))
    if isinstance(batches, torch.Tensor):
        batches = batches.tolist()
    return [[int(i) for i in (b.tolist() if isinstance(b, torch.Tensor) else b)]
            for b in batches]


def _judge_q4(fn):
    if not callable(fn):
        return "Give your function itself: ex.q4.check(balanced_batches), no parentheses."
    for labels, per_class in _q4_cases():
        counts = torch.bincount(labels)
        want = int(counts.min()) // per_class
        epochs = [_epoch(fn, labels, per_class, seed) for seed in range(40)]
        batches = epochs[0]
        if len(batches) != want:
            return (f"with class counts {counts.tolist()} and per_class={per_class} an epoch "
                    f"has {want} batches (the smallest class runs out), got {len(batches)}.")
        for b in batches:
            mix = torch.bincount(labels[b], minlength=len(counts)).tolist()
            if mix != [per_class] * len(counts):
                return f"a batch's class counts are {mix}, not {[per_class] * len(counts)}."
        flat = [i for b in batches for i in b]
        if len(set(flat)) != len(flat):
            return "an index appears twice in one epoch: draw each class without replacement."
        if len({tuple(map(tuple, e)) for e in epochs}) == 1:
            return "every generator gives the same epoch: shuffle with the generator."
        picked = {i for e in epochs for b in e for i in b}
        if picked != set(range(len(labels))):
            return ("some samples are never picked: shuffle each class before taking its "
                    "first samples.")
    return True


def _reference_q4(labels, per_class, generator):
    by_class = [torch.nonzero(labels == c).flatten() for c in torch.unique(labels)]
    num_batches = min(len(idx) for idx in by_class) // per_class
    shuffled = [idx[torch.randperm(len(idx), generator=generator)] for idx in by_class]
    return [[i for idx in shuffled for i in idx[b * per_class:(b + 1) * per_class].tolist()]
            for b in range(num_batches)]


def _wrong_unshuffled(labels, per_class, generator):
    by_class = [torch.nonzero(labels == c).flatten() for c in torch.unique(labels)]
    num_batches = min(len(idx) for idx in by_class) // per_class
    return [[i for idx in by_class for i in idx[b * per_class:(b + 1) * per_class].tolist()]
            for b in range(num_batches)]


def _wrong_with_repeats(labels, per_class, generator):
    by_class = [torch.nonzero(labels == c).flatten() for c in torch.unique(labels)]
    num_batches = min(len(idx) for idx in by_class) // per_class
    return [[int(idx[torch.randint(len(idx), (1,), generator=generator)])
             for idx in by_class for _ in range(per_class)] for _ in range(num_batches)]


def _wrong_largest_class(labels, per_class, generator):
    by_class = [torch.nonzero(labels == c).flatten() for c in torch.unique(labels)]
    num_batches = max(len(idx) for idx in by_class) // per_class
    out = []
    for b in range(num_batches):
        out.append([int(idx[(b * per_class + j) % len(idx)]) for idx in by_class
                    for j in range(per_class)])
    return out


q4 = WriteCodeQuestion(
    "Write balanced_batches(labels, per_class, generator): one epoch of a batch sampler that "
    "UNDERsamples. Every batch holds per_class samples of every class, no index appears twice "
    "in the epoch, and the epoch has as many batches as the smallest class allows. Return a "
    "list of batches (lists of indices).",
    _judge_q4,
    probe=_probe_q4,
    hint=("Start from the indices of each class, shuffled with the generator. The smallest "
          "class decides how many batches there are; batch b takes the b-th slice of "
          "per_class indices from every class."),
    solution=("def balanced_batches(labels, per_class, generator):\n"
              "    by_class = [torch.nonzero(labels == c).flatten()\n"
              "                for c in torch.unique(labels)]\n"
              "    num_batches = min(len(idx) for idx in by_class) // per_class\n"
              "    shuffled = [idx[torch.randperm(len(idx), generator=generator)] "
              "for idx in by_class]\n"
              "    return [[i for idx in shuffled\n"
              "             for i in idx[b * per_class:(b + 1) * per_class].tolist()]\n"
              "            for b in range(num_batches)]"),
    reference=_reference_q4,
    wrong=[_wrong_unshuffled, _wrong_with_repeats, _wrong_largest_class, [[0, 9]]],
)

QUESTIONS = questions(globals())
