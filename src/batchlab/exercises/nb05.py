"""Exercises for notebook 05 (samplers).

>>> q2.check(3000)
Correct!
>>> q4.check("a")
Not quite. Without replacement every sample can be drawn only once. Hint: ex.q4.hint()
"""

from __future__ import annotations

import numbers

import torch
from torch.utils.data import RandomSampler, WeightedRandomSampler

from ._question import Question, questions

# --- q1: per-sample weights by hand --------------------------------------------------------


def _judge_q1(answer):
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__"):
        return "Give a list of numbers, one per sample."
    values = torch.as_tensor(answer, dtype=torch.double).flatten().tolist()
    if len(values) == 2:
        return "That is one weight per class; WeightedRandomSampler needs one per sample (4)."
    if len(values) != 4:
        return f"Give one weight per sample: 4 numbers, got {len(values)}."
    if [round(v, 2) for v in values] == [1.0, 3.0, 3.0, 3.0]:
        return "Those are the class counts: the weight is one over the class share."
    expected = [4.0, 4 / 3, 4 / 3, 4 / 3]
    if all(abs(v - e) < 0.01 for v, e in zip(values, expected, strict=True)):
        return True
    return "Weight of a sample = N / (count of its class), with N = 4."


q1 = Question(
    "The labels are [0, 1, 1, 1]. Using seed 001's rule (weight = one over the class share, "
    "N / n_c), give the list of weights to pass to WeightedRandomSampler.",
    _judge_q1,
    hint="Class 0 has a share of 1/4, class 1 a share of 3/4. One weight per SAMPLE.",
    solution="answer = [4, 4 / 3, 4 / 3, 4 / 3]  # batchlab.weights.sample_weights([0, 1, 1, 1])",
    reference=[4, 4 / 3, 4 / 3, 4 / 3],
    wrong=[[4, 4 / 3], [1, 3, 3, 3], [0.25, 0.75, 0.75, 0.75], "4, 4/3"],
)


# --- q2: expected count with replacement -------------------------------------------------------

def _judge_q2(answer):
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return "Give a number."
    if abs(answer - 2000) < 1:
        return "Index 0 has weight 0: it takes no share of the draws."
    return abs(answer - 3000) < 1 or "Each draw picks index i with probability w_i / sum(w)."


q2 = Question(
    "WeightedRandomSampler([0, 3, 1], num_samples=4000, replacement=True): how many times "
    "is index 1 drawn, on average?",
    _judge_q2,
    hint="Probability of index 1 per draw: 3 / (0 + 3 + 1).",
    solution="answer = 4000 * 3 / 4  # 3000",
    reference=3000,
    wrong=[2000, 1333, 4000, 0.75, "3000"],
)


# --- q3: build a class-balancing sampler from labels -----------------------------------------

def _q3_labels():
    return torch.tensor([0] * 80 + [1] * 15 + [2] * 5)


def _judge_q3(make_sampler):
    if not callable(make_sampler):
        return "Give a function: answer = make_sampler (no parentheses)."
    labels = _q3_labels()
    sampler = make_sampler(labels, torch.Generator().manual_seed(0))
    if not hasattr(sampler, "__iter__") or not hasattr(sampler, "__len__"):
        return f"Return a sampler (with __iter__ and __len__), got {type(sampler).__name__}."
    if len(sampler) != len(labels):
        return f"num_samples should be len(labels) = {len(labels)}, got {len(sampler)}."
    draws = torch.tensor([i for _ in range(40) for i in sampler])
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
    counts = torch.bincount(labels)
    return WeightedRandomSampler(1.0 / counts[labels].double(), len(labels), generator=generator)


def _wrong_random(labels, generator):
    return RandomSampler(range(len(labels)), generator=generator)


def _wrong_per_class(labels, generator):
    return WeightedRandomSampler(1.0 / torch.bincount(labels).double(), len(labels),
                                 generator=generator)


def _wrong_no_replacement(labels, generator):
    counts = torch.bincount(labels)
    return WeightedRandomSampler(1.0 / counts[labels].double(), len(labels),
                                 replacement=False, generator=generator)


q3 = Question(
    "Write make_sampler(labels, generator) that returns a sampler drawing len(labels) "
    "indices per epoch so that each class is drawn equally often on average. labels is an "
    "int64 tensor; the checker uses 3 classes of 80, 15 and 5 samples.",
    _judge_q3,
    hint=("WeightedRandomSampler with one weight per sample: 1 / (count of that sample's class); "
          "torch.bincount(labels)[labels] gives each sample its class count."),
    solution=("def make_sampler(labels, generator):\n"
              "    counts = torch.bincount(labels)\n"
              "    weights = 1.0 / counts[labels].double()\n"
              "    return WeightedRandomSampler(weights, len(labels), generator=generator)\n\n"
              "answer = make_sampler"),
    reference=_reference_q3,
    wrong=[_wrong_random, _wrong_per_class, _wrong_no_replacement, 42],
)


# --- q4: replacement=False with num_samples == N ---------------------------------------------

_Q4_REASONS = {
    "a": "Without replacement every sample can be drawn only once.",
    "c": "With num_samples == N every sample is drawn exactly once, whatever the weights.",
}


def _judge_q4(answer):
    if not isinstance(answer, str) or answer.strip().lower() not in {"a", "b", "c"}:
        return "Answer 'a', 'b' or 'c'."
    choice = answer.strip().lower()
    return True if choice == "b" else _Q4_REASONS[choice]


q4 = Question(
    "A dataset has 900 samples of class 0 and 100 of class 1, all weights set to balance "
    "the classes. WeightedRandomSampler(weights, num_samples=1000, replacement=False): "
    "what are the class counts of one epoch? (a) about 500 / 500, (b) exactly 900 / 100, "
    "(c) it depends on the weights. Answer 'a', 'b' or 'c'.",
    _judge_q4,
    hint="How many times can each sample appear when drawing 1000 from 1000 without replacement?",
    solution="answer = 'b'  # a permutation: the weights only change the order",
    reference="b",
    wrong=["a", "c", 2],
)

QUESTIONS = questions(globals())
