"""Exercises for notebook 10 (classification losses).

>>> q1.check("BCEWithLogitsLoss")
Correct!
>>> def my_cross_entropy(logits, targets):
...     ...  # not written yet
>>> q2.check(my_cross_entropy)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn as nn
import torch.nn.functional as F

from ._question import CodeQuestion, Question, as_float, questions


def _judge_loss_name(answer):
    if isinstance(answer, nn.Module):                 # an instance: nn.BCEWithLogitsLoss()
        answer = type(answer)
    if isinstance(answer, type):                      # the class itself
        answer = answer.__name__
    if not isinstance(answer, str):
        return "Answer with the class name as a string, e.g. 'BCELoss'."
    name = answer.strip().removeprefix("torch.").removeprefix("nn.").removesuffix("()")
    if name == "BCEWithLogitsLoss":
        return True
    if name == "CrossEntropyLoss":
        return ("CrossEntropyLoss picks exactly one class per sample; "
                "here a sample can have several.")
    if name == "BCELoss":
        return "BCELoss needs probabilities; this model outputs logits (no Sigmoid)."
    return "Choose one of 'BCELoss', 'BCEWithLogitsLoss', 'CrossEntropyLoss'."


q1 = Question(
    "A model ends in nn.Linear(64, 5) (no Sigmoid) and each image can show any subset of 5 "
    "objects; targets are multi-hot floats of shape [B, 5]. Which loss class do you use? "
    "Answer with its name as a string.",
    _judge_loss_name,
    hint="Several labels can be 1 at once (multi-label), and the outputs are raw logits.",
    solution='answer = "BCEWithLogitsLoss"  # 5 independent yes/no questions, on logits',
    reference="BCEWithLogitsLoss",
    wrong=["CrossEntropyLoss", "BCELoss", nn.BCELoss],
)


def _ce_cases():
    g = torch.Generator().manual_seed(7)
    yield torch.randn(6, 4, generator=g), torch.tensor([0, 3, 1, 2, 3, 0])
    yield torch.tensor([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 0.0]]), torch.tensor([2, 0])
    yield torch.randn(1, 2, generator=g), torch.tensor([1])


class _Banned(Exception):
    pass


@contextlib.contextmanager
def _banned_losses():
    """While active, the ready-made cross-entropy functions raise ``_Banned``."""
    def refuse(*args, **kwargs):
        raise _Banned

    saved = [(F, "cross_entropy"), (F, "nll_loss"),
             (nn.CrossEntropyLoss, "forward"), (nn.NLLLoss, "forward")]
    originals = [getattr(owner, name) for owner, name in saved]
    try:
        for owner, name in saved:
            setattr(owner, name, refuse)
        yield
    finally:
        for (owner, name), original in zip(saved, originals, strict=True):
            setattr(owner, name, original)


def _judge_cross_entropy(fn):
    if not callable(fn):
        return "Answer with a function my_cross_entropy(logits, targets) that returns the loss."
    for logits, targets in _ce_cases():
        try:
            with _banned_losses():
                got = fn(logits.clone(), targets.clone())
        except _Banned:
            return ("Your function calls F.cross_entropy, nn.CrossEntropyLoss or F.nll_loss; "
                    "write the formula yourself.")
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            return "Return the mean loss as a one-element tensor."
        want = F.cross_entropy(logits, targets)
        if not torch.isfinite(got).all():
            return "Your loss is not finite for large logits: use log_softmax, not log(softmax)."
        if not torch.allclose(got.reshape(()), want, rtol=1e-5, atol=1e-5):
            return f"For logits of shape {list(logits.shape)} you returned {got.item():.4f}, " \
                   f"expected {want.item():.4f}."
    return True


q2 = CodeQuestion(
    "Write my_cross_entropy(logits, targets) for logits [B, C] and int64 class indices [B] "
    "without "
    "F.cross_entropy / nn.CrossEntropyLoss / F.nll_loss: the mean over the batch of "
    "-log softmax(logits)[target]. It must stay finite for logits like 1000 or -1000.",
    _judge_cross_entropy,
    probe=lambda fn: fn(*next(_ce_cases())),
    hint="Section 3 shows how to get log-probabilities without forming probabilities "
         "first. Each sample's loss is minus the log-probability of its own target class.",
    solution="def my_cross_entropy(logits, targets):\n"
             "    log_p = logits.log_softmax(dim=1)\n"
             "    return -log_p[torch.arange(len(targets)), targets].mean()",
    reference=lambda logits, targets: -logits.log_softmax(dim=1)[
        torch.arange(len(targets)), targets].mean(),
    wrong=[
        lambda logits, targets: -logits.softmax(dim=1).log()[
            torch.arange(len(targets)), targets].mean(),
        lambda logits, targets: F.cross_entropy(logits.softmax(dim=1), targets),
        lambda logits, targets: F.cross_entropy(logits, targets),
        lambda logits, targets: F.nll_loss(logits.log_softmax(dim=1), targets),
    ],
)


def _q3_labels():
    return torch.tensor([[1, 0, 1], [0, 0, 1], [0, 1, 1], [1, 0, 0],
                         [0, 0, 1], [0, 0, 0], [0, 0, 1], [0, 0, 1]], dtype=torch.float32)


def _q3_cases():
    yield _q3_labels(), torch.tensor([6 / 2, 7 / 1, 2 / 6])
    no_positives = _q3_labels()
    no_positives[:, 1] = 0.0                              # label 1 never occurs
    yield no_positives, torch.tensor([6 / 2, 1.0, 2 / 6])


def _judge_pos_weight(fn):
    if not callable(fn):
        return "Answer with a function pos_weight_for(labels) that returns a tensor."
    for labels, want in _q3_cases():
        got = fn(labels.clone())
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            return f"Return one weight per label: a tensor of shape {list(want.shape)}."
        if not torch.isfinite(got).all():
            return ("For a label with no positives your pos_weight is not finite; "
                    "give such a label 1.")
        if not torch.allclose(got.float(), want, rtol=1e-4):
            return f"Got {[round(v, 3) for v in got.tolist()]}."
    return True


def _reference_pos_weight(labels):
    positives = labels.sum(dim=0)
    negatives = len(labels) - positives
    return torch.where(positives > 0, negatives / positives.clamp(min=1),
                       torch.ones_like(positives))


q3 = CodeQuestion(
    "Write pos_weight_for(labels) for a multi-hot float label matrix of shape [N, C]: the "
    "pos_weight for BCEWithLogitsLoss that makes each label's positives weigh as much as its "
    "negatives (shape [C]); 1 for a label with no positives.",
    _judge_pos_weight,
    probe=lambda fn: fn(_q3_labels()),
    hint="The documentation's example: 100 positives and 300 negatives give pos_weight 3. "
         "Count per column (dim=0); torch.where can pick 1 where a column has no positives.",
    solution="def pos_weight_for(labels):\n"
             "    pos = labels.sum(dim=0)\n"
             "    neg = len(labels) - pos\n"
             "    return torch.where(pos > 0, neg / pos.clamp(min=1), torch.ones_like(pos))",
    reference=_reference_pos_weight,
    wrong=[
        lambda labels: (len(labels) - labels.sum(dim=0)) / labels.sum(dim=0),
        lambda labels: labels.sum(dim=0) / (len(labels) - labels.sum(dim=0)),
        lambda labels: torch.ones(labels.shape[1]),
    ],
)


def _judge_weighted_mean(answer):
    try:
        value = as_float(answer)
    except ValueError:
        return "Answer with a number."
    if abs(value - 3.0) < 1e-6:
        return True
    if abs(value - 5.0) < 1e-6:
        return "That divides by the batch size; 'mean' with a weight divides by something else."
    if abs(value - 7 / 3) < 1e-6:
        return "That is the unweighted mean: the weights are missing."
    return "Not that number."



q4 = Question(
    "A batch has targets [0, 0, 1] and per-sample cross-entropy losses [1.0, 2.0, 4.0] "
    "(reduction='none'). What does nn.CrossEntropyLoss(weight=torch.tensor([1.0, 3.0])) "
    "return with the default reduction='mean'?",
    _judge_weighted_mean,
    hint="Section 5 wrote the weighted 'mean' by hand: which weights go in the numerator, "
         "and what is the denominator?",
    solution="answer = (1 * 1.0 + 1 * 2.0 + 3 * 4.0) / (1 + 1 + 3)  # = 3.0",
    reference=3.0,
    wrong=[5.0, 7 / 3],
)

QUESTIONS = questions(globals())
