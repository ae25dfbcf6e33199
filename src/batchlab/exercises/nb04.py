"""Exercises for notebook 04 (the training step).

>>> from batchlab.exercises import nb04
>>> nb04.q2.check(1.375)
Correct!
"""

from __future__ import annotations

import math
import numbers

import torch

from ._question import Question, questions


def _as_numbers(answer):
    """A list of floats from a list/tuple/tensor of numbers, or ``None``."""
    if isinstance(answer, torch.Tensor):
        return [float(v) for v in answer.detach().reshape(-1).tolist()]
    if isinstance(answer, (list, tuple)) and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in answer):
        return [float(v) for v in answer]
    return None


def _judge_accumulated(answer):
    values = _as_numbers(answer)
    if values is None or len(values) != 2:
        return "Give the two numbers of .grad, e.g. answer = [0.0, 0.0]."
    if values == [3.0, -1.0]:
        return "That is only the second backward pass; without zero_grad() the first one stays."
    if values == [2.0, 0.5]:
        return "backward() adds gradients; it does not average them."
    return values == [4.0, 1.0]


q1 = Question(
    "A parameter `w` has `w.grad is None`. You run `loss1.backward()`, which alone would give "
    "the gradient `[1.0, 2.0]`, then — without `optimizer.zero_grad()` — `loss2.backward()`, "
    "which alone would give `[3.0, -1.0]`. What is `w.grad` now? (a list of two numbers)",
    _judge_accumulated,
    hint="backward() accumulates into .grad: it adds the new gradient to what is there.",
    solution="answer = [4.0, 1.0]  # [1 + 3, 2 + (-1)]",
    reference=[4.0, 1.0],
    wrong=[[3.0, -1.0], [2.0, 0.5], [1.0, 2.0], [4, 1, 0]],
)


def _judge_full_mean(answer):
    if not isinstance(answer, numbers.Real) or isinstance(answer, bool):
        return "Give one number, e.g. answer = 1.0."
    if math.isclose(answer, 1.5):
        return "That is the mean of the two means; the 5 samples of the second batch count more."
    return math.isclose(answer, (3 * 2.0 + 5 * 1.0) / 8, rel_tol=1e-9)


q2 = Question(
    "You accumulate gradients over two micro-batches of 3 and 5 samples. Their mean losses are "
    "2.0 and 1.0. What is the mean loss over all 8 samples — the number whose gradient a single "
    "batch of 8 would give?",
    _judge_full_mean,
    hint="Turn each mean back into a sum (mean × size), add, divide by the total count.",
    solution="answer = (3 * 2.0 + 5 * 1.0) / 8  # 1.375",
    reference=1.375,
    wrong=[1.5, 1.0, 11.0, 3.0],
)

_SWITCHES = {"model.eval()", "torch.no_grad()", "optimizer.zero_grad()", "model.train()"}


def _judge_dropout_off(answer):
    if not isinstance(answer, str) or answer.strip() not in _SWITCHES:
        return f"Give one of these strings: {sorted(_SWITCHES)}."
    if answer.strip() == "torch.no_grad()":
        return "no_grad() stops recording gradients; dropout keeps dropping in training mode."
    return answer.strip() == "model.eval()"


q3 = Question(
    "Which one call makes `nn.Dropout` layers stop dropping? Answer with one of the strings "
    "'model.eval()', 'torch.no_grad()', 'optimizer.zero_grad()', 'model.train()'.",
    _judge_dropout_off,
    hint="Dropout looks at the module's `training` flag, not at whether gradients are recorded.",
    solution='answer = "model.eval()"  # sets module.training = False in every submodule',
    reference="model.eval()",
    wrong=["torch.no_grad()", "optimizer.zero_grad()", "model.train()", "eval"],
)


def _judge_bn_numbers(answer):
    if not isinstance(answer, numbers.Integral) or isinstance(answer, bool):
        return "Give a whole number, e.g. answer = 1."
    if answer == 8:
        return "8 is the batch size; BatchNorm keeps statistics per channel."
    return answer == torch.nn.BatchNorm2d(16).running_mean.numel()


q4 = Question(
    "`bn = nn.BatchNorm2d(16)` receives inputs of shape `[8, 16, 32, 32]`. How many numbers does "
    "`bn.running_mean` hold?",
    _judge_bn_numbers,
    hint="The argument of BatchNorm2d is num_features: the C of an [N, C, H, W] input.",
    solution="answer = 16  # one mean per channel: nn.BatchNorm2d(16).running_mean.shape == (16,)",
    reference=16,
    wrong=[8, 32, 16 * 32 * 32, 8 * 16],
)

QUESTIONS = questions(globals())
