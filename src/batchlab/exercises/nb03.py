"""Exercises for notebook 03 (mini-batch SGD).

>>> from batchlab.exercises import nb03
>>> nb03.q1.check(16)
Correct!
"""

from __future__ import annotations

import math
import numbers

from ..training import gradient_noise_theory
from ._question import Question, questions


def _is_number(answer) -> bool:
    return isinstance(answer, numbers.Real) and not isinstance(answer, bool)


def _judge_updates(answer):
    if not _is_number(answer) or answer != int(answer):
        return "Give a whole number of parameter updates, e.g. answer = 10."
    if answer == 1000 // 64:
        return "The last, shorter batch (1000 - 15 * 64 = 40 samples) is still a batch."
    if answer == 1000:
        return "That is one update per sample (batch size 1)."
    return int(answer) == math.ceil(1000 / 64)


q1 = Question(
    "A dataset holds 1000 samples. How many parameter updates (`optimizer.step()` calls) "
    "does one epoch make with `DataLoader(dataset, batch_size=64, shuffle=True)`?",
    _judge_updates,
    hint="One update per batch; the last batch keeps the leftover samples unless drop_last=True.",
    solution="answer = 16  # math.ceil(1000 / 64) == len(DataLoader(...))",
    reference=16,
    wrong=[15, 1000, 15.625, "16"],
)


def _judge_noise(answer):
    if not _is_number(answer):
        return "Give a number, e.g. answer = 0.5."
    expected = gradient_noise_theory(4.0, 100, 10, replacement=False)
    if math.isclose(answer, gradient_noise_theory(4.0, 100, 10, replacement=True), rel_tol=1e-3):
        return "That is the with-replacement value; a shuffled epoch draws distinct samples."
    return math.isclose(answer, expected, rel_tol=1e-3)


q2 = Question(
    "The per-sample gradients of a 100-sample dataset scatter with variance σ² = 4.0 "
    "around the full-batch gradient. What is E‖g_B − ḡ‖² for a mini-batch of B = 10 "
    "distinct samples (a shuffled DataLoader)? Give 3 significant digits or more.",
    _judge_noise,
    hint="σ²/B · (N − B)/(N − 1): the second factor is the finite-population correction.",
    solution="answer = 4.0 / 10 * (100 - 10) / (100 - 1)  # ≈ 0.364",
    reference=4.0 / 10 * 90 / 99,
    wrong=[0.4, 0.04, 4.0, 0.36],
)


def _judge_stability(answer):
    if not _is_number(answer):
        return "Give a number, e.g. answer = 0.1."
    if math.isclose(answer, 1 / 8):
        return "That is 1/λ_max; gradient descent tolerates up to twice that."
    return math.isclose(answer, 2 / 8, rel_tol=1e-6)


q3 = Question(
    "The MSE loss of a linear model has a Hessian with eigenvalues 0.5 and 8. Above which "
    "learning rate does full-batch gradient descent diverge?",
    _judge_stability,
    hint="Each step multiplies the error along an eigenvector by (1 − lr·λ); it must stay "
         "within (−1, 1) for every λ.",
    solution="answer = 2 / 8  # 2 / λ_max = 0.25",
    reference=0.25,
    wrong=[0.125, 4.0, 2 / 0.5, 0.5],
)


def _judge_scaling(answer):
    if not _is_number(answer):
        return "Give a number, e.g. answer = 0.1."
    if math.isclose(answer, 0.05 * math.sqrt(256 / 32), rel_tol=1e-3):
        return "That is square-root scaling; the linear rule scales lr by the same factor as B."
    return math.isclose(answer, 0.05 * 256 / 32, rel_tol=1e-6)


q4 = Question(
    "Training works well with batch size 32 and lr = 0.05. Following the linear-scaling "
    "heuristic, which lr would you try with batch size 256 (before checking it is still "
    "below the stability limit)?",
    _judge_scaling,
    hint="Multiply the batch size by k, multiply the learning rate by k.",
    solution="answer = 0.05 * 256 / 32  # 0.4",
    reference=0.4,
    wrong=[0.05, 0.05 * math.sqrt(8), 0.00625, 12.8],
)

QUESTIONS = questions(globals())
