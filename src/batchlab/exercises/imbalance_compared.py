"""Exercises for notebook 09 (class imbalance compared fairly).

>>> q2.check(0.02)
Correct!
>>> def choose_threshold(scores, labels, cost_fp, cost_fn):
...     ...  # not written yet
>>> q3.check(choose_threshold)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._question import CodeQuestion, Question, as_float, questions

__all__ = ["q1", "q2", "q3", "threshold_cost"]


# --- q1: prior correction of probabilities -------------------------------------------------

def _q1_cases():
    """Probabilities [N, C] and pairs of non-uniform priors (and one with C = 2)."""
    g = torch.Generator().manual_seed(3)
    for n_classes, train_prior, true_prior in (
            (3, [0.6, 0.3, 0.1], [0.9, 0.09, 0.01]),
            (3, [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]),
            (2, [0.95, 0.05], [0.5, 0.5])):
        probs = torch.randn(6, n_classes, generator=g, dtype=torch.float64).softmax(dim=1)
        yield (probs, torch.tensor(train_prior, dtype=torch.float64),
               torch.tensor(true_prior, dtype=torch.float64))


def _reference_probs(probs, train_prior, true_prior):
    p = probs * (true_prior / train_prior)
    return p / p.sum(dim=1, keepdim=True)


def _judge_correction(fn):
    if not callable(fn):
        return "Answer with a function correct_probs(probs, train_prior, true_prior)."
    for probs, train_prior, true_prior in _q1_cases():
        got = fn(probs.clone(), train_prior.clone(), true_prior.clone())
        if not isinstance(got, torch.Tensor):              # a NumPy array or nested lists
            try:
                got = torch.as_tensor(np.asarray(got, dtype=np.float64))
            except (TypeError, ValueError):
                got = None
        if got is None or got.shape != probs.shape:
            return f"Return probabilities [N, C] with the same shape {list(probs.shape)}."
        got = got.double()
        if not torch.allclose(got.sum(dim=1), torch.ones(len(got), dtype=torch.float64),
                              atol=1e-5):
            return "Each row of your result should sum to 1."
        if not torch.allclose(got, _reference_probs(probs, train_prior, true_prior), atol=1e-5):
            return (f"With train_prior {train_prior.tolist()} and true_prior "
                    f"{true_prior.tolist()} your probabilities are not the corrected ones.")
    return True


q1 = CodeQuestion(
    "Write correct_probs(probs, train_prior, true_prior) that turns probabilities [N, C] "
    "computed under train_prior into probabilities under true_prior (priors [C]).",
    _judge_correction,
    probe=lambda fn: fn(*next(_q1_cases())),
    hint="In logits a change of prior is an added log term (section 2). What does adding a "
         "log become once you exponentiate? And what keeps a row of probabilities summing "
         "to 1?",
    solution="def correct_probs(probs, train_prior, true_prior):\n"
             "    p = probs * (true_prior / train_prior)        # Bayes' rule, class by class\n"
             "    return p / p.sum(dim=1, keepdim=True)         # renormalise each row",
    reference=_reference_probs,
    wrong=[
        lambda probs, train_prior, true_prior: probs * (true_prior / train_prior),
        lambda probs, train_prior, true_prior: _reference_probs(probs, true_prior, train_prior),
        lambda probs, train_prior, true_prior: probs,
        lambda probs, train_prior, true_prior: (probs.log() + true_prior.log()
                                                - train_prior.log()),
    ],
)


# --- q2: the threshold for a cost of errors, from calibrated probabilities ----------------------

def _judge_cost_threshold(answer):
    try:
        value = as_float(answer)
    except ValueError:
        return "Answer with one number: a probability between 0 and 1."
    if math.isclose(value, 1 / 50, rel_tol=2e-3):
        return True
    if math.isclose(value, 1 / 49, rel_tol=2e-3):
        return "That is c_FP / c_FN; the formula divides by c_FP + c_FN."
    if math.isclose(value, 49 / 50, rel_tol=2e-3):
        return ("That is the threshold with the two costs swapped: missing a fraud is the "
                "costly error.")
    if math.isclose(value, 0.5, rel_tol=1e-3):
        return "0.5 treats both errors as equally costly."
    return "Not that number."


q2 = Question(
    "Flagging a genuine payment costs 1, missing a fraud costs 49. The model's P(fraud | x) is "
    "calibrated for the payments it will judge. Above which probability should it flag "
    "fraud? A number.",
    _judge_cost_threshold,
    hint="Flagging costs c_FP (1 - p) on average, letting the payment through costs c_FN p "
         "(section 3). Flag where flagging is the cheaper of the two.",
    solution="answer = 1 / (1 + 49)  # c_FP / (c_FP + c_FN) = 0.02",
    reference=1 / 50,
    wrong=[0.5, 1 / 49, 49 / 50],
)


# --- q3: a threshold for a cost of errors ------------------------------------------------------

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


def _q3_cases():
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


def _snap(threshold: float, scores) -> float:
    """The score nearest to ``threshold`` when it is within rounding (a float32 answer).

    >>> _snap(np.float32(0.1), np.array([0.1, 0.5])) == 0.1
    True
    """
    scores = np.asarray(scores, dtype=float)
    nearest = scores[np.argmin(np.abs(scores - threshold))]
    return float(nearest) if math.isclose(nearest, threshold, rel_tol=1e-6, abs_tol=1e-9) \
        else float(threshold)


def _judge_threshold(fn):
    if not callable(fn):
        return "Answer with a function choose_threshold(scores, labels, cost_fp, cost_fn)."
    for scores, labels, cost_fp, cost_fn in _q3_cases():
        try:
            threshold = as_float(fn(scores.copy(), labels.copy(), cost_fp, cost_fn))
        except ValueError:
            return "Return one number: the threshold t (predict positive when score >= t)."
        threshold = _snap(threshold, scores)
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


q3 = CodeQuestion(
    "Write choose_threshold(scores, labels, cost_fp, cost_fn): among the thresholds of "
    "sklearn.metrics.precision_recall_curve(labels, scores), return the one whose decision "
    "'positive when score >= t' has the smallest total cost "
    "cost_fp * (false positives) + cost_fn * (false negatives).",
    _judge_threshold,
    probe=lambda fn: fn(*next(_q3_cases())),
    hint="The third thing precision_recall_curve returns is the list of candidate "
         "thresholds. Work out the total cost of each candidate and keep the cheapest; a "
         "loop is fine.",
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
