"""Exercises for notebook 07 (samplers).

>>> q1.check(500)
Not quite. Weight 4 is not one over the class size: the classes are not balanced. Hint: ex.q1.hint()
>>> q2.check("C")
Correct!
>>> def make_sampler(labels, class_share, generator):
...     ...  # not written yet
>>> q3.check(make_sampler)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
"""

from __future__ import annotations

import torch
from torch.utils.data import WeightedRandomSampler

from ._question import CodeQuestion, Question, as_float, questions

__all__ = ["q1", "q2", "q3", "q4"]


# --- q1: a class's expected share, from per-sample weights (transfer of section 4) -------------

def _judge_q1(answer):
    try:
        value = as_float(answer)
    except ValueError:
        return "Give a number: the average count of class-1 draws in one epoch."
    if abs(value - 500) < 1:
        return "Weight 4 is not one over the class size: the classes are not balanced."
    if abs(value - 400) < 1:
        return "400 is 100 samples x weight 4: divide by the total weight and scale to 1000 draws."
    if 0 < value < 1:
        return "That looks like a share; the question asks for a count out of 1000 draws."
    return abs(value - 4000 / 13) < 1 or (
        "Compare the total weight of class 1 with the total weight of all samples.")


q1 = Question(
    "labels = 900 zeros and 100 ones; weights = torch.where(labels == 1, 4.0, 1.0); "
    "WeightedRandomSampler(weights, num_samples=1000, replacement=True): how many class-1 "
    "draws does one epoch hold on average?",
    _judge_q1,
    hint=("The sampler knows nothing about classes: add up what class 1's samples weigh, "
          "against what all samples weigh. Section 4's weight-2 example did this with "
          "other numbers."),
    solution="answer = 1000 * (100 * 4) / (100 * 4 + 900 * 1)  # about 307.7",
    reference=4000 / 13,
    wrong=[500, 400, 100, 0.3077, "307"],
)


# --- q2: replacement=False with fewer draws than samples (transfer of section 5b) -----------------

_Q2_REASONS = {
    "a": "Without replacement each sample can be drawn only once, and class 1 has only 50.",
    "b": ("5 % of 400 is the dataset's share; but the weights still make class-1 samples "
          "far more likely at every draw."),
}


def _judge_q2(answer):
    if not isinstance(answer, str) or answer.strip().lower() not in {"a", "b", "c"}:
        return "Answer 'a', 'b' or 'c'."
    choice = answer.strip().lower()
    return True if choice == "c" else _Q2_REASONS[choice]


q2 = Question(
    "A dataset has 950 samples of class 0 and 50 of class 1, weighted to balance the "
    "classes (one over the class count). WeightedRandomSampler(weights, num_samples=400, "
    "replacement=False): how many class-1 samples does one epoch hold? (a) about 200, "
    "(b) about 20, (c) at most 50 - usually all of them. Answer 'a', 'b' or 'c'.",
    _judge_q2,
    hint=("Two things limit the count: what the weights ask for, and what a draw without "
          "replacement can give. Which one binds here?"),
    solution=("answer = 'c'  # the weights ask for ~200, but without replacement class 1 "
              "has only 50 to give"),
    reference="c",
    wrong=["a", "b", 3],
)


# --- q3: a sampler with chosen class shares (transfer of the one-line weights) -------------------

def _q3_labels():
    return torch.tensor([0] * 80 + [1] * 15 + [2] * 5)


_Q3_SHARES = ([0.5, 0.3, 0.2], [0.2, 0.2, 0.6])


def _probe_q3(make_sampler):
    return make_sampler(_q3_labels(), torch.tensor(_Q3_SHARES[0]),
                        torch.Generator().manual_seed(0))


def _judge_q3(make_sampler):
    if not callable(make_sampler):
        return "Give your function itself: ex.q3.check(make_sampler), no parentheses."
    labels = _q3_labels()
    for target in _Q3_SHARES:
        sampler = make_sampler(labels, torch.tensor(target), torch.Generator().manual_seed(0))
        if isinstance(sampler, (list, tuple, torch.Tensor)):
            return ("You returned one fixed list of indices; return a sampler, which draws "
                    "anew every epoch (iter).")
        if not hasattr(sampler, "__iter__") or not hasattr(sampler, "__len__"):
            return f"Return a sampler (with __iter__ and __len__), got {type(sampler).__name__}."
        if len(sampler) != len(labels):
            return f"num_samples should be len(labels) = {len(labels)}, got {len(sampler)}."
        epochs = [[int(i) for i in sampler] for _ in range(40)]
        draws = torch.tensor([i for e in epochs for i in e])
        if draws.numel() == 0 or int(draws.min()) < 0 or int(draws.max()) >= len(labels):
            return "The sampler must yield indices of samples, 0 ... len(labels) - 1."
        if len({tuple(e) for e in epochs}) == 1:
            return "Every epoch is the same: the sampler must draw at random with the generator."
        if int(draws.max()) < 3:
            return "Only indices 0-2 were drawn: you gave one weight per class, not per sample."
        share = torch.bincount(labels[draws], minlength=3).double() / len(draws)
        if (share - torch.tensor(target, dtype=torch.double)).abs().max() > 0.05:
            return (f"With class_share {target} the shares of the draws are "
                    f"{[round(v, 2) for v in share.tolist()]}.")
    return True


def _reference_q3(labels, class_share, generator):
    counts = torch.bincount(labels)
    weights = torch.as_tensor(class_share, dtype=torch.double)[labels] / counts[labels]
    return WeightedRandomSampler(weights, len(labels), generator=generator)


def _wrong_balanced_only(labels, class_share, generator):
    return WeightedRandomSampler(1.0 / torch.bincount(labels)[labels], len(labels),
                                 generator=generator)


def _wrong_share_only(labels, class_share, generator):
    return WeightedRandomSampler(torch.as_tensor(class_share)[labels], len(labels),
                                 generator=generator)


def _wrong_per_class(labels, class_share, generator):
    return WeightedRandomSampler(torch.as_tensor(class_share), len(labels), generator=generator)


def _wrong_no_replacement(labels, class_share, generator):
    counts = torch.bincount(labels)
    weights = torch.as_tensor(class_share, dtype=torch.double)[labels] / counts[labels]
    return WeightedRandomSampler(weights, len(labels), replacement=False, generator=generator)


def _wrong_fixed_list(labels, class_share, generator):
    return list(range(len(labels)))


q3 = CodeQuestion(
    "Write make_sampler(labels, class_share, generator): return a sampler that draws "
    "len(labels) indices per epoch so that class c makes up class_share[c] of the draws on "
    "average. labels is an int64 tensor, class_share a float tensor that sums to 1; the "
    "checker uses 3 classes of 80, 15 and 5 samples.",
    _judge_q3,
    probe=_probe_q3,
    hint=("The sampler needs one weight per SAMPLE. What total weight should class c's "
          "samples add up to, and how many samples share it?"),
    solution=("def make_sampler(labels, class_share, generator):\n"
              "    counts = torch.bincount(labels)\n"
              "    weights = class_share.double()[labels] / counts[labels]\n"
              "    return WeightedRandomSampler(weights, len(labels), generator=generator)"),
    reference=_reference_q3,
    wrong=[_wrong_balanced_only, _wrong_share_only, _wrong_per_class, _wrong_no_replacement,
           _wrong_fixed_list, 42],
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


q4 = CodeQuestion(
    "Write balanced_batches(labels, per_class, generator): one epoch of a batch sampler that "
    "UNDERsamples. Every batch holds per_class samples of every class, no index appears twice "
    "in the epoch, and the epoch has as many batches as the smallest class allows. Return a "
    "list of batches (lists of indices).",
    _judge_q4,
    probe=_probe_q4,
    hint=("Two questions decide it: which class runs out first, and how can each batch "
          "take samples at random while no sample is ever taken twice?"),
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
