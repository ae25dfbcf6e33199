"""Exercises for the worked example notebook, written as ``batchlab.exercises`` writes them.

Each question is a ``batchlab.exercises.Question``: a prompt, a *judge* that returns ``True``
or a string saying what is wrong, a hint, a solution, a correct ``reference`` answer and at
least one ``wrong`` answer (a test checks that the judge accepts the one and rejects the
others). ``...`` means "not attempted"; so does a function whose body is still ``...``
(``CodeQuestion``, the question type for answers that are functions).

>>> q1.check(8)
Correct!
>>> def my_padding_share(batches):
...     ...
>>> q2.check(my_padding_share)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
"""

from __future__ import annotations

import math
import random

from batchlab.exercises import CodeQuestion, Question
from batchlab.exercises._question import as_float, as_int, questions

# --- q1: count the padding of one batch ---------------------------------------------------


def _judge_q1(answer):
    if isinstance(answer, (str, bool)):
        return "Give a whole number, e.g. answer = 5."
    answer = as_int(answer)  # 8, 8.0, np.int64(8) and torch.tensor(8) are the same answer
    if answer == 24:
        return "24 is every position of the padded batch; count only the padding."
    return answer == 8 or "Pad each sequence to the longest one, then count the added zeros."


q1 = Question(
    "A batch holds three sequences of lengths 3, 5 and 8. Padded to the longest, how many of "
    "its positions are padding?",
    _judge_q1,
    hint="The padded batch has shape [3, 8]. How many of its positions hold real tokens?",
    solution="answer = 3 * 8 - (3 + 5 + 8)  # 24 positions, 16 tokens: 8 are padding",
    reference=8,
    wrong=[24, 16, 5, 0],
)


# --- q2: write the padding share ----------------------------------------------------------


def _reference_q2(batches):
    padded = sum(len(batch) * max(batch) for batch in batches)
    return (padded - sum(sum(batch) for batch in batches)) / padded


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)  # a float32 tensor is right too


def _judge_q2(fn):
    if not callable(fn):
        return "Give the function itself: ex.q2.check(my_padding_share), no parentheses."
    rng = random.Random(7)  # fresh batches, not the notebook's
    for _ in range(5):
        batches = [[rng.randint(1, 9) for _ in range(rng.randint(1, 4))]
                   for _ in range(rng.randint(1, 5))]
        out = fn([list(b) for b in batches])
        if out is None or out is ...:
            return "The function returned nothing: return the share as a number."
        truth = _reference_q2(batches)
        got = as_float(out)
        if _close(got, 1 - truth) and not _close(truth, 0.5):
            return "That is the share of real tokens; return the share of padding."
        if not _close(got, truth):
            return f"For the batches {batches} the share of padding is not {got:.3f}."
    return True


def _wrong_per_batch_mean(batches):
    shares = [(len(b) * max(b) - sum(b)) / (len(b) * max(b)) for b in batches]
    return sum(shares) / len(shares)  # averages the batches' shares: a small batch counts too much


def _wrong_token_share(batches):
    return 1 - _reference_q2(batches)


q2 = CodeQuestion(
    "Write my_padding_share(batches): batches is a list of batches, each a list of sequence "
    "lengths; pad every batch to its longest sequence and return the share of all positions "
    "that are padding (a float between 0 and 1).",
    _judge_q2,
    hint="Count all positions (each batch: its size times its longest length) and all real "
         "tokens (the sum of the lengths); padding is the difference.",
    solution="def my_padding_share(batches):\n"
             "    padded = sum(len(b) * max(b) for b in batches)\n"
             "    return (padded - sum(sum(b) for b in batches)) / padded",
    reference=_reference_q2,
    wrong=[_wrong_per_batch_mean, _wrong_token_share, 0.25],
)

QUESTIONS = questions(globals())
