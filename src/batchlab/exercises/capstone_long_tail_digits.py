"""Exercises for notebook 13 (capstone: long-tailed digits).

Q1 and Q2 ask for a function; the notebook holds a stub whose body is ``...`` (it returns
``None``), which these checkers report as not attempted.

>>> q3.check(0.6827)
Correct!
>>> def stub(n_max, num_classes, imbalance):
...     ...
>>> q1.check(stub)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
"""

from __future__ import annotations

import math

import torch

from ._question import CodeQuestion, Question, as_float, as_int_list, questions

# ------------------------------------------------------------------------------------ q1
_Q1_CASES = [(100, 10, 50), (500, 5, 10), (1000, 10, 100), (30, 3, 1), (64, 7, 8), (90, 4, 3)]


def _exact_counts(n_max, num_classes, imbalance):
    return [n_max * imbalance ** (-c / (num_classes - 1)) for c in range(num_classes)]


def _judge_counts(fn):
    if not callable(fn):
        return "Answer with a function my_long_tail_counts(n_max, num_classes, imbalance)."
    for case in _Q1_CASES:
        try:
            got = as_int_list(fn(*case))
        except ValueError as err:
            return f"For {case} return a list of whole numbers ({err})."
        exact = _exact_counts(*case)
        if len(got) != len(exact):
            return f"For {case} return {len(exact)} class sizes, got {len(got)}."
        # floor, allowing for floating point: a whole number may come out a hair below or above
        ok = all(math.floor(e - 1e-9) <= k <= math.floor(e + 1e-9) for k, e in
                 zip(got, exact, strict=True))
        if not ok:
            return f"For (n_max, C, ρ) = {case} you returned {got}."
    return True


def _reference_counts(n_max, num_classes, imbalance):
    return [int(n_max / imbalance ** (c / (num_classes - 1)) + 1e-9) for c in range(num_classes)]


q1 = CodeQuestion(
    "Write my_long_tail_counts(n_max, num_classes, imbalance) returning the list of class "
    "sizes floor(n_max * imbalance ** (-c / (num_classes - 1))) for c = 0 … num_classes - 1.",
    _judge_counts,
    hint="The exponent runs from 0 for the first class to -1 for the last one, so the last "
         "class gets n_max / imbalance. Round down with int(...) and mind floating point.",
    solution="def my_long_tail_counts(n_max, num_classes, imbalance):\n"
             "    return [int(n_max / imbalance ** (c / (num_classes - 1)) + 1e-9)\n"
             "            for c in range(num_classes)]",
    reference=_reference_counts,
    wrong=[
        lambda n_max, num_classes, imbalance: [  # exponent c / C: the last class is too big
            int(n_max / imbalance ** (c / num_classes) + 1e-9) for c in range(num_classes)],
        lambda n_max, num_classes, imbalance: [  # rounds to nearest instead of down
            round(n_max / imbalance ** (c / (num_classes - 1))) for c in range(num_classes)],
    ],
    probe=lambda fn: fn(100, 10, 50),
)


# ------------------------------------------------------------------------------------ q2
def _q2_cases():
    g = torch.Generator().manual_seed(10)
    yield (torch.randn(6, 4, generator=g), torch.tensor([0, 1, 2, 3, 0, 3]),
           torch.tensor([50, 30, 15, 5]), 1.0)
    yield (torch.randn(5, 3, generator=g), torch.tensor([2, 2, 1, 0, 0]),
           torch.tensor([7, 2, 1]), 0.5)
    yield (torch.randn(4, 2, generator=g), torch.tensor([1, 1, 0, 1]),
           torch.tensor([90, 10]), 2.0)


def _la_loss_truth(logits, targets, class_counts, tau):
    prior = class_counts.double() / class_counts.sum()
    return torch.nn.functional.cross_entropy(logits.double() + tau * prior.log(), targets).item()


def _judge_la_loss(fn):
    if not callable(fn):
        return "Answer with a function my_logit_adjusted_loss(logits, targets, class_counts, tau)."
    for logits, targets, counts, tau in _q2_cases():
        try:
            got = as_float(fn(logits.clone(), targets.clone(), counts.clone(), tau))
        except ValueError:
            return "Return one number: the mean loss over the batch (a 0-d tensor or a float)."
        want = _la_loss_truth(logits, targets, counts, tau)
        if abs(got - want) > 1e-4 * max(1.0, abs(want)):
            return (f"With class counts {counts.tolist()} and tau = {tau} the mean loss is not "
                    f"{got:.4f}.")
    return True


def _reference_la_loss(logits, targets, class_counts, tau):
    prior = class_counts / class_counts.sum()
    return torch.nn.functional.cross_entropy(logits + tau * torch.log(prior), targets)


q2 = CodeQuestion(
    "Write my_logit_adjusted_loss(logits, targets, class_counts, tau): the mean logit-adjusted "
    "cross-entropy of logits [N, C] and int64 targets [N], for the training class counts [C].",
    _judge_la_loss,
    hint="The loss is an ordinary cross-entropy, computed on logits that were shifted first: "
         "each class by an amount that depends on how common it is in training, scaled by tau. "
         "Think about the sign: the network should learn scores *without* the prior.",
    solution="def my_logit_adjusted_loss(logits, targets, class_counts, tau):\n"
             "    prior = class_counts / class_counts.sum()\n"
             "    return F.cross_entropy(logits + tau * torch.log(prior), targets)",
    reference=_reference_la_loss,
    wrong=[
        lambda logits, targets, class_counts, tau: torch.nn.functional.cross_entropy(
            logits - tau * torch.log(class_counts / class_counts.sum()), targets),   # wrong sign
        lambda logits, targets, class_counts, tau: torch.nn.functional.cross_entropy(
            logits + torch.log(class_counts / class_counts.sum()), targets),         # ignores tau
        lambda logits, targets, class_counts, tau: torch.nn.functional.cross_entropy(
            logits + tau * torch.log(class_counts / class_counts.sum()), targets,
            reduction="sum"),                                                       # not the mean
    ],
    probe=lambda fn: fn(torch.zeros(2, 2), torch.tensor([0, 1]), torch.tensor([3, 1]), 1.0),
)


# ------------------------------------------------------------------------------------ q3
_TAU_SWITCH = 1.5 / (math.log(0.9) - math.log(0.1))   # 1.5 + τ·(−log 0.9) = 0 + τ·(−log 0.1)


def _judge_tau(answer):
    try:
        value = as_float(answer)
    except ValueError:
        return "Answer with one number: the value of tau where the prediction switches."
    if abs(value - _TAU_SWITCH) <= 1e-3:
        return True
    if abs(value - 1.5) < 1e-6:
        return "1.5 is the gap between the two logits; how fast does the adjustment close it?"
    return f"At tau = {value:g} the two adjusted logits are not equal."


q3 = Question(
    "Priors (0.9, 0.1), logits (1.5, 0.0). Above which tau does post-hoc logit adjustment "
    "switch the prediction from class 0 to class 1?",
    _judge_tau,
    hint="The adjusted logits are 1.5 - tau·log(0.9) and 0 - tau·log(0.1). The switch is where "
         "they are equal: solve a linear equation in tau.",
    solution="answer = 1.5 / (math.log(0.9) - math.log(0.1))   # = 1.5 / log 9 ≈ 0.683",
    reference=round(_TAU_SWITCH, 4),
    wrong=[1.0, 1.5, 1.5 / math.log(10)],
)

QUESTIONS = questions(globals())
