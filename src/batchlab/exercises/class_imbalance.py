"""Exercises for notebook 08 (class imbalance: class weights, loss weights and resampling).

>>> q2.check(2.22)
Correct!
>>> def dataset_weighted_loss(logits, targets, class_weight, total_weight):
...     ...  # not written yet
>>> q3.check(dataset_weighted_loss)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._question import CodeQuestion, Question, as_float, as_float_list, questions

__all__ = ["q1", "q2", "q3"]


# --- q1: scikit-learn's "balanced" weights ---------------------------------------------------

def _judge_balanced(answer):
    try:
        values = as_float_list(answer)
    except ValueError:
        return "Answer with a list of three numbers, one weight per class."
    if len(values) != 3:
        return "Answer with a list of three numbers, one weight per class."
    want = [1000 / (3 * 600), 1000 / (3 * 300), 1000 / (3 * 100)]

    def close(got, expected):            # answers rounded to two decimals are right too
        return all(math.isclose(v, w, rel_tol=1e-3, abs_tol=0.006)
                   for v, w in zip(got, expected, strict=True))

    if close(values, want):
        return True
    if close(values, [3 * w for w in want]):
        return "Those are the inverse-frequency weights N / n_c; 'balanced' also divides by C."
    if close(values, [w * 3 / 1000 for w in want]) or close(values, [0.6, 0.3, 0.1]):
        return "Those are about the class shares; a weight grows as its class gets rarer."
    return "Not those numbers: check N, C and each n_c."


q1 = Question(
    "Class counts [600, 300, 100]: what does compute_class_weight('balanced', ...) return? "
    "A list of three numbers.",
    _judge_balanced,
    hint="N = 1000 samples, C = 3 classes; scikit-learn's formula is in section 4. Rounding "
         "to two decimals is fine.",
    solution="answer = [1000 / (3 * 600), 1000 / (3 * 300), 1000 / (3 * 100)]  "
             "# [0.556, 1.111, 3.333]",
    reference=[1000 / 1800, 1000 / 900, 1000 / 300],
    wrong=[[1000 / 600, 1000 / 300, 1000 / 100], [0.6, 0.3, 0.1]],
)


# --- q2: expected class-2 count under square-root weights -----------------------------------

_Q2_COUNTS = (900, 90, 10)
_Q2_WANT = 30 * math.sqrt(10) / sum(math.sqrt(n) for n in _Q2_COUNTS)      # 2.224


def _judge_expected_count(answer):
    try:
        value = as_float(answer)
    except ValueError:
        return "Answer with a number."
    if math.isclose(value, _Q2_WANT, abs_tol=0.01):
        return True
    if math.isclose(value, 0.3, abs_tol=0.01):
        return "That is what shuffle=True gives: the dataset's 1 % of 30."
    if math.isclose(value, 10.0, abs_tol=0.01):
        return "That is what inverse-frequency weights 1 / n_c give; these are 1 / sqrt(n_c)."
    return "Not that number."


q2 = Question(
    "900 / 90 / 10 samples, WeightedRandomSampler with sample weights 1 / sqrt(n_c), "
    "batch_size=30: how many class-2 samples does a batch hold on average?",
    _judge_expected_count,
    hint="Each draw picks class c with probability (total weight of class c) / (total weight "
         "of all samples). What is the total weight of n_c samples that weigh 1 / sqrt(n_c) "
         "each?",
    solution="counts = [900, 90, 10]\n"
             "totals = [n / n ** 0.5 for n in counts]        # = sqrt(n_c)\n"
             "answer = 30 * totals[2] / sum(totals)          # about 2.22",
    reference=_Q2_WANT,
    wrong=[0.3, 10, 30],
)


# --- q3: a weighted loss that does not depend on the batch's mix -----------------------------

_Q3_BATCHES = (7, 13, 10, 20)                      # unequal batches that cover all 50 samples


def _q3_cases():
    """Logits, targets and class weights for 50 samples: three classes, then two."""
    g = torch.Generator().manual_seed(6)
    for counts in ((40, 8, 2), (45, 5)):
        n_classes = len(counts)
        targets = torch.repeat_interleave(torch.arange(n_classes), torch.tensor(counts))
        targets = targets[torch.randperm(len(targets), generator=g)]
        logits = torch.randn(len(targets), n_classes, generator=g)
        class_weight = len(targets) / (n_classes * torch.tensor(counts, dtype=torch.float32))
        yield logits, targets, class_weight


def _reference_weighted_sum(logits, targets, class_weight, total_weight):
    loss = F.cross_entropy(logits, targets, weight=class_weight, reduction="sum")
    return loss / total_weight


def _q3_probe(fn):
    logits, targets, class_weight = next(_q3_cases())
    return fn(logits[:7], targets[:7], class_weight, class_weight[targets].sum())


def _judge_weighted_sum(fn):
    if not callable(fn):
        return ("Answer with a function "
                "dataset_weighted_loss(logits, targets, class_weight, total_weight).")
    for logits, targets, class_weight in _q3_cases():
        total_weight = class_weight[targets].sum()
        full = F.cross_entropy(logits, targets, weight=class_weight).item()
        summed, start = 0.0, 0
        for size in _Q3_BATCHES:
            part = slice(start, start + size)
            start += size
            z = logits[part].clone().requires_grad_(True)
            got = fn(z, targets[part].clone(), class_weight.clone(), total_weight.clone())
            if not isinstance(got, torch.Tensor) or not got.requires_grad:
                return "Return the loss as a tensor that backward() can run through."
            want = _reference_weighted_sum(logits[part], targets[part], class_weight,
                                           total_weight)
            if not math.isclose(as_float(got), want.item(), rel_tol=1e-4, abs_tol=1e-6):
                per_batch_mean = F.cross_entropy(logits[part], targets[part],
                                                 weight=class_weight).item()
                if math.isclose(as_float(got), per_batch_mean, rel_tol=1e-4):
                    return ("That is the batch's own weighted mean, as CrossEntropyLoss(weight=…) "
                            "computes it: it divides by this batch's weight sum.")
                return (f"On a batch of {size} samples your loss is {as_float(got):.4f}, "
                        f"not {want.item():.4f}.")
            summed += as_float(got)
        if not math.isclose(summed, full, rel_tol=1e-4):
            return (f"Summed over the batches your losses give {summed:.4f}; the weighted "
                    f"loss over the whole dataset is {full:.4f}.")
    return True


q3 = CodeQuestion(
    "Write dataset_weighted_loss(logits, targets, class_weight, total_weight): a batch's part "
    "of the weighted cross-entropy of the whole training set, sum over the batch of "
    "class_weight[y_i] * loss_i, divided by total_weight (the sum of class_weight[y] over "
    "every training sample). Summed over the batches of an epoch it must equal the full-batch "
    "nn.CrossEntropyLoss(weight=class_weight), whatever each batch holds.",
    _judge_weighted_sum,
    probe=_q3_probe,
    hint="Section 5's CrossEntropyLoss(weight=…) part ends with the fix: which reduction of "
         "CrossEntropyLoss stops it dividing by the batch's own weight sum? Then divide by a "
         "number that is the same for every batch.",
    solution="def dataset_weighted_loss(logits, targets, class_weight, total_weight):\n"
             "    loss_sum = nn.CrossEntropyLoss(weight=class_weight, reduction=\"sum\")(logits, "
             "targets)\n"
             "    return loss_sum / total_weight",
    reference=_reference_weighted_sum,
    wrong=[
        lambda logits, targets, class_weight, total_weight: F.cross_entropy(
            logits, targets, weight=class_weight),
        lambda logits, targets, class_weight, total_weight: (
            class_weight[targets] * F.cross_entropy(logits, targets, reduction="none")
        ).sum() / len(targets),
        lambda logits, targets, class_weight, total_weight: F.cross_entropy(
            logits, targets, reduction="sum") / total_weight,
        lambda logits, targets, class_weight, total_weight: _reference_weighted_sum(
            logits, targets, class_weight, total_weight).item(),
    ],
)

QUESTIONS = questions(globals())
