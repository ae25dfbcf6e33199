"""Exercises for notebook 06 (class imbalance).

>>> q2.check(10)
Correct!
>>> def choose_threshold(scores, labels, cost_fp, cost_fn):
...     ...  # not written yet
>>> q4.check(choose_threshold)
Not attempted yet: write the body of your function (it returned None) and run the cell again.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._question import NOT_ATTEMPTED, Question, as_float, as_float_list, questions

__all__ = ["CodeQuestion", "q1", "q2", "q3", "q4", "threshold_cost"]


class CodeQuestion(Question):
    """A question answered with a function the student writes.

    ``probe(fn)`` calls the function once on small inputs. While the function is still a
    stub (its body is ``...``, so it returns ``None``), the verdict is "Not attempted yet",
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


# --- q1: scikit-learn's "balanced" weights ---------------------------------------------------

def _judge_balanced(answer):
    try:
        values = as_float_list(answer)
    except ValueError:
        return "Answer with a list of three numbers, one weight per class."
    if len(values) != 3:
        return "Answer with a list of three numbers, one weight per class."
    want = [1000 / (3 * 600), 1000 / (3 * 300), 1000 / (3 * 100)]
    if all(math.isclose(v, w, rel_tol=1e-3) for v, w in zip(values, want, strict=True)):
        return True
    if all(math.isclose(v, 3 * w, rel_tol=1e-3) for v, w in zip(values, want, strict=True)):
        return "Those are the inverse-frequency weights N / n_c; 'balanced' also divides by C."
    return "Weight of class c = N / (C * n_c)."


q1 = Question(
    "Class counts [600, 300, 100]: what does compute_class_weight('balanced', ...) return? "
    "A list of three numbers.",
    _judge_balanced,
    hint="N = 1000 samples, C = 3 classes; scikit-learn's formula is in section 4.",
    solution="answer = [1000 / (3 * 600), 1000 / (3 * 300), 1000 / (3 * 100)]  "
             "# [0.556, 1.111, 3.333]",
    reference=[1000 / 1800, 1000 / 900, 1000 / 300],
    wrong=[[1000 / 600, 1000 / 300, 1000 / 100], [0.6, 0.3, 0.1]],
)


# --- q2: expected class-2 count in a weighted batch -------------------------------------------

def _judge_expected_count(answer):
    try:
        value = as_float(answer)
    except ValueError:
        return "Answer with a number."
    if math.isclose(value, 0.3, rel_tol=1e-6):
        return "That is what shuffle=True gives: the dataset's 1 % of 30."
    return math.isclose(value, 10.0, rel_tol=1e-6)


q2 = Question(
    "900 / 90 / 10 samples, WeightedRandomSampler with inverse-frequency sample weights, "
    "batch_size=30: how many class-2 samples does a batch hold on average?",
    _judge_expected_count,
    hint="Add up the sample weights of each class: what share of the total weight does "
         "class 2 hold? Each of the 30 draws picks class 2 with that probability.",
    solution="answer = 30 / 3  # = 10 on average; a single batch varies (Binomial(30, 1/3))",
    reference=10,
    wrong=[0.3, 30],
)


# --- q3: prior correction ---------------------------------------------------------------------

def _q3_inputs():
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(6, 3, generator=g)
    return logits, torch.tensor([1 / 3, 1 / 3, 1 / 3]), torch.tensor([0.9, 0.09, 0.01])


def _judge_correction(fn):
    if not callable(fn):
        return "Answer with a function correct_prior(logits, train_prior, true_prior)."
    logits, train_prior, true_prior = _q3_inputs()
    got = fn(logits.clone(), train_prior.clone(), true_prior.clone())
    if not isinstance(got, torch.Tensor) or got.shape != logits.shape:
        return f"Return a tensor of logits with the same shape {list(logits.shape)}."
    want = (logits + true_prior.log() - train_prior.log()).softmax(dim=1)
    if not torch.allclose(got.softmax(dim=1).float(), want, atol=1e-5):
        return "After your correction the softmax should follow the true prior."
    return True


q3 = CodeQuestion(
    "Write correct_prior(logits, train_prior, true_prior) that corrects logits [N, C] from "
    "the class prior the model was trained under to the true prior (both [C]).",
    _judge_correction,
    probe=lambda fn: fn(*_q3_inputs()),
    hint="Bayes' rule: p(c | x) is proportional to p(x | c) p(c); in logits a prior is an "
         "additive log term.",
    solution="def correct_prior(logits, train_prior, true_prior):\n"
             "    return logits + true_prior.log() - train_prior.log()",
    reference=lambda logits, train_prior, true_prior: logits + true_prior.log()
    - train_prior.log(),
    wrong=[
        lambda logits, train_prior, true_prior: logits - true_prior.log() + train_prior.log(),
        lambda logits, train_prior, true_prior: logits,
        lambda logits, train_prior, true_prior: logits * true_prior / train_prior,
    ],
)


# --- q4: a threshold for a cost of errors ------------------------------------------------------

def threshold_cost(scores, labels, threshold, cost_fp: float, cost_fn: float) -> float:
    """Total cost of the decision ``scores >= threshold``: ``cost_fp * FP + cost_fn * FN``.

    >>> threshold_cost(np.array([0.1, 0.4, 0.8]), np.array([0, 1, 1]), 0.5, 1.0, 10.0)
    10.0
    """
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels)
    called = scores >= threshold
    false_positives = np.sum(called & (labels == 0))
    false_negatives = np.sum(~called & (labels == 1))
    return float(cost_fp * false_positives + cost_fn * false_negatives)


def _q4_cases():
    """Fresh validation sets: 950 negatives ~ N(0, 1), 50 positives ~ N(1.5, 1); three costs."""
    for seed, (cost_fp, cost_fn) in zip((11, 12, 13), ((1.0, 20.0), (1.0, 5.0), (2.0, 50.0)),
                                        strict=True):
        rng = np.random.default_rng(seed)
        labels = np.r_[np.zeros(950, dtype=np.int64), np.ones(50, dtype=np.int64)]
        scores = rng.normal(size=1000) + 1.5 * labels
        yield scores, labels, cost_fp, cost_fn


def _best_cost(scores, labels, cost_fp, cost_fn):
    from sklearn.metrics import precision_recall_curve

    _, _, thresholds = precision_recall_curve(labels, scores)
    return min(threshold_cost(scores, labels, t, cost_fp, cost_fn) for t in thresholds)


def _judge_threshold(fn):
    if not callable(fn):
        return "Answer with a function choose_threshold(scores, labels, cost_fp, cost_fn)."
    for scores, labels, cost_fp, cost_fn in _q4_cases():
        try:
            threshold = as_float(fn(scores.copy(), labels.copy(), cost_fp, cost_fn))
        except ValueError:
            return "Return one number: the threshold t (predict positive when score >= t)."
        got = threshold_cost(scores, labels, threshold, cost_fp, cost_fn)
        best = _best_cost(scores, labels, cost_fp, cost_fn)
        if got > best + 1e-9:
            return (f"With cost_fp={cost_fp:g}, cost_fn={cost_fn:g} your threshold costs "
                    f"{got:g}; the best threshold on the curve costs {best:g}.")
    return True


def _reference_threshold(scores, labels, cost_fp, cost_fn):
    from sklearn.metrics import precision_recall_curve

    _, _, thresholds = precision_recall_curve(labels, scores)
    called = scores[None, :] >= thresholds[:, None]          # one row per threshold
    fp = (called & (labels == 0)).sum(axis=1)
    fn = (~called & (labels == 1)).sum(axis=1)
    return thresholds[np.argmin(cost_fp * fp + cost_fn * fn)]


q4 = CodeQuestion(
    "Write choose_threshold(scores, labels, cost_fp, cost_fn): among the thresholds of "
    "sklearn.metrics.precision_recall_curve(labels, scores), return the one whose decision "
    "'positive when score >= t' has the smallest total cost "
    "cost_fp * (false positives) + cost_fn * (false negatives).",
    _judge_threshold,
    probe=lambda fn: fn(*next(_q4_cases())),
    hint="precision_recall_curve returns (precision, recall, thresholds): every threshold is "
         "a candidate. For each one, count the false positives (negatives with score >= t) "
         "and the false negatives (positives below t); NumPy broadcasting does all "
         "thresholds at once.",
    solution="def choose_threshold(scores, labels, cost_fp, cost_fn):\n"
             "    _, _, thresholds = metrics.precision_recall_curve(labels, scores)\n"
             "    called = scores[None, :] >= thresholds[:, None]   # one row per threshold\n"
             "    fp = (called & (labels == 0)).sum(axis=1)\n"
             "    fn = (~called & (labels == 1)).sum(axis=1)\n"
             "    return thresholds[np.argmin(cost_fp * fp + cost_fn * fn)]",
    reference=_reference_threshold,
    wrong=[
        lambda scores, labels, cost_fp, cost_fn: 0.5,
        lambda scores, labels, cost_fp, cost_fn: _reference_threshold(scores, labels,
                                                                      cost_fn, cost_fp),
    ],
)

QUESTIONS = questions(globals())
