"""Exercises for notebook 06 (class imbalance).

>>> q2.check(10)
Correct!
"""

from __future__ import annotations

import math

import torch

from ._question import Question, questions


def _numbers(answer, n):
    if isinstance(answer, torch.Tensor):
        answer = answer.tolist()
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or len(answer) != n:
        return None
    try:
        return [float(v) for v in answer]
    except (TypeError, ValueError):
        return None


def _judge_balanced(answer):
    values = _numbers(answer, 3)
    if values is None:
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
    hint="N = 1000 samples, C = 3 classes; the weight of class c is N / (C * n_c).",
    solution="answer = [1000 / (3 * 600), 1000 / (3 * 300), 1000 / (3 * 100)]  "
             "# [0.556, 1.111, 3.333]",
    reference=[1000 / 1800, 1000 / 900, 1000 / 300],
    wrong=[[1000 / 600, 1000 / 300, 1000 / 100], [0.6, 0.3, 0.1]],
)


def _judge_expected_count(answer):
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return "Answer with a number."
    return math.isclose(answer, 10.0, rel_tol=1e-6)


q2 = Question(
    "900 / 90 / 10 samples, WeightedRandomSampler with inverse-frequency sample weights, "
    "batch_size=30: how many class-2 samples does a batch hold on average?",
    _judge_expected_count,
    hint="With inverse-frequency weights every class has the same total weight, so each draw "
         "picks class 2 with probability 1/3.",
    solution="answer = 30 / 3  # = 10 on average; a single batch varies (Binomial(30, 1/3))",
    reference=10,
    wrong=[0.3, 30],
)


def _judge_correction(fn):
    if not callable(fn):
        return "Answer with a function answer(logits, train_prior, true_prior)."
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(6, 3, generator=g)
    train_prior = torch.tensor([1 / 3, 1 / 3, 1 / 3])
    true_prior = torch.tensor([0.9, 0.09, 0.01])
    got = fn(logits.clone(), train_prior.clone(), true_prior.clone())
    if not isinstance(got, torch.Tensor) or got.shape != logits.shape:
        return f"Return a tensor of logits with the same shape {list(logits.shape)}."
    want = (logits + true_prior.log() - train_prior.log()).softmax(dim=1)
    if not torch.allclose(got.softmax(dim=1), want, atol=1e-5):
        return "After your correction the softmax should follow the true prior."
    return True


q3 = Question(
    "Write answer(logits, train_prior, true_prior) that corrects logits [N, C] from the "
    "class prior the model was trained under to the true prior (both [C]).",
    _judge_correction,
    hint="Bayes' rule: p(c | x) is proportional to p(x | c) p(c); in logits a prior is an "
         "additive log term.",
    solution="def answer(logits, train_prior, true_prior):\n"
             "    return logits + true_prior.log() - train_prior.log()",
    reference=lambda logits, train_prior, true_prior: logits + true_prior.log()
    - train_prior.log(),
    wrong=[
        lambda logits, train_prior, true_prior: logits - true_prior.log() + train_prior.log(),
        lambda logits, train_prior, true_prior: logits,
        lambda logits, train_prior, true_prior: logits * true_prior / train_prior,
    ],
)


def _judge_pair(answer):
    values = _numbers(answer, 2)
    if values is None:
        return "Answer with a pair (accuracy, balanced_accuracy)."
    accuracy, balanced = values
    if not math.isclose(accuracy, 0.99, abs_tol=1e-6):
        return "Check the accuracy: what share of all samples is predicted correctly?"
    if not math.isclose(balanced, 0.5, abs_tol=1e-6):
        return "Check the balanced accuracy: the mean of the two classes' recalls."
    return True


q4 = Question(
    "990 negatives, 10 positives, a model that always predicts negative: "
    "(accuracy, balanced_accuracy)?",
    _judge_pair,
    hint="Balanced accuracy is the mean of the recalls: negatives 990/990, positives 0/10.",
    solution="answer = (0.99, 0.5)",
    reference=(0.99, 0.5),
    wrong=[(0.99, 0.99), (0.5, 0.5), (0.01, 0.5)],
)

QUESTIONS = questions(globals())
