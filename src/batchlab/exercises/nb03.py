"""Exercises for notebook 03 (mini-batch SGD).

Question 1 asks for code: the student completes a function stub and passes the function
itself; a stub whose body is still ``...`` counts as not attempted.

>>> from batchlab.exercises import nb03
>>> nb03.q3.check(0.25)
Correct!
>>> def per_sample_grads(model, loss_fn, inputs, targets):
...     ...  # your code here
>>> nb03.q1.check(per_sample_grads)
Not attempted yet: write the function's body (replace ...) and run the cell again.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..training import gradient_noise_theory
from ._question import NOT_ATTEMPTED, Question, as_float, questions


def _empty(*args, **kwargs):
    ...


def is_stub(answer) -> bool:
    """``True`` for a function whose body is only ``...`` (or ``pass``): an unwritten stub.

    >>> def todo(x):
    ...     ...  # your code here
    >>> is_stub(todo), is_stub(len), is_stub(lambda x: x)
    (True, False, False)
    """
    code = getattr(answer, "__code__", None)
    return code is not None and code.co_code == _empty.__code__.co_code


class CodeQuestion(Question):
    """A question answered with a function: an unwritten stub says "Not attempted yet"."""

    def verdict(self, answer=NOT_ATTEMPTED):
        if is_stub(answer):
            return None, ("Not attempted yet: write the function's body (replace ...) and run "
                          "the cell again.")
        return super().verdict(answer)


def _number(answer):
    """``as_float(answer)``, or ``None`` when the answer is not one number."""
    try:
        return as_float(answer)
    except ValueError:
        return None


# --- q1: per-sample gradients -------------------------------------------------------------

def _q1_problem():
    """A fresh model and batch, different from the notebook's (seeded, CPU)."""
    g = torch.Generator().manual_seed(3)
    model = nn.Linear(3, 2)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    inputs = torch.randn(5, 3, generator=g)
    targets = torch.tensor([0, 1, 1, 0, 1])
    return model, nn.CrossEntropyLoss(), inputs, targets


def _loop_truth(model, loss_fn, inputs, targets):
    rows = []
    for x, y in zip(inputs, targets, strict=True):
        grads = torch.autograd.grad(loss_fn(model(x.unsqueeze(0)), y.unsqueeze(0)),
                                    list(model.parameters()))
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
    return torch.stack(rows)


def _judge_q1(fn):
    if not callable(fn):
        return "Give the function itself: ex.q1.check(per_sample_grads), no parentheses."
    model, loss_fn, inputs, targets = _q1_problem()
    truth = _loop_truth(model, loss_fn, inputs, targets)
    with torch.random.fork_rng():
        out = fn(model, loss_fn, inputs, targets)
    if out is None:
        return "The function returned None: return the [N, P] tensor."
    if not isinstance(out, torch.Tensor) or out.shape != truth.shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        return f"Return one tensor of shape {tuple(truth.shape)} (samples × parameters), got {got}."
    out = out.detach().to("cpu", torch.float32)
    if torch.allclose(out, truth.mean(0).expand_as(truth), atol=1e-5):
        return "Every row is the batch's mean gradient: each row must use one sample only."
    if torch.allclose(out, truth, atol=1e-5):
        return True
    return "The rows differ from each sample's own gradient (order: model.parameters())."


def _reference_q1(model, loss_fn, inputs, targets):
    from torch.func import functional_call, grad, vmap

    params = {name: p.detach() for name, p in model.named_parameters()}

    def sample_loss(params, x, y):
        return loss_fn(functional_call(model, params, (x.unsqueeze(0),)), y.unsqueeze(0))

    grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, inputs, targets)
    return torch.cat([grads[name].reshape(len(inputs), -1) for name in params], dim=1)


def _wrong_batch_gradient(model, loss_fn, inputs, targets):
    model.zero_grad()
    loss_fn(model(inputs), targets).backward()
    row = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
    return row.expand(len(inputs), -1)


def _wrong_order(model, loss_fn, inputs, targets):
    return _reference_q1(model, loss_fn, inputs, targets).flip(1)


q1 = CodeQuestion(
    "Write per_sample_grads(model, loss_fn, inputs, targets): the gradient of each sample's "
    "loss alone, as one [N, P] tensor (row i: sample i; columns: every parameter, in "
    "model.parameters() order, flattened). The checker calls it on a fresh model and batch.",
    _judge_q1,
    hint="Either loop over the samples (one backward or torch.autograd.grad each), or write "
         "the loss of ONE sample with torch.func.functional_call and map grad over the batch "
         "with torch.func.vmap. Keep a batch dimension of 1 for the model.",
    solution=("def per_sample_grads(model, loss_fn, inputs, targets):\n"
              "    params = {name: p.detach() for name, p in model.named_parameters()}\n\n"
              "    def sample_loss(params, x, y):\n"
              "        out = functional_call(model, params, (x.unsqueeze(0),))\n"
              "        return loss_fn(out, y.unsqueeze(0))\n\n"
              "    grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, inputs, targets)\n"
              "    return torch.cat([grads[n].reshape(len(inputs), -1) for n in params], dim=1)"),
    reference=_reference_q1,
    wrong=[_wrong_batch_gradient, _wrong_order, 42],
)


# --- q2: the noise formula -------------------------------------------------------------------

def _judge_noise(answer):
    value = _number(answer)
    if value is None:
        return "Give a number, e.g. answer = 0.5."
    if math.isclose(value, gradient_noise_theory(4.0, 100, 10, replacement=True), rel_tol=1e-3):
        return "That is the with-replacement value; a shuffled epoch draws distinct samples."
    return math.isclose(value, gradient_noise_theory(4.0, 100, 10), rel_tol=1e-3)


q2 = Question(
    "The per-sample gradients of a 100-sample dataset scatter with variance σ² = 4.0 "
    "around the full-batch gradient. What is E‖g_B − ḡ‖² for a mini-batch of B = 10 "
    "distinct samples (a shuffled DataLoader)? Give 3 significant digits or more.",
    _judge_noise,
    hint="Averaging B independent draws divides the variance by B; drawing without "
         "replacement from only N samples shrinks it a little more (to 0 at B = N).",
    solution="answer = 4.0 / 10 * (100 - 10) / (100 - 1)  # σ²/B · (N − B)/(N − 1) ≈ 0.364",
    reference=4.0 / 10 * 90 / 99,
    wrong=[0.4, 0.04, 4.0, 0.36, "0.364"],
)


# --- q3: the stability limit -----------------------------------------------------------------

def _judge_stability(answer):
    value = _number(answer)
    if value is None:
        return "Give a number, e.g. answer = 0.1."
    if math.isclose(value, 1 / 8):
        return "That is 1/λ_max; gradient descent tolerates up to twice that."
    return math.isclose(value, 2 / 8, rel_tol=1e-6)


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


# --- q4: linear scaling ----------------------------------------------------------------------

def _judge_scaling(answer):
    value = _number(answer)
    if value is None:
        return "Give a number, e.g. answer = 0.1."
    if math.isclose(value, 0.05 * math.sqrt(256 / 32), rel_tol=1e-3):
        return "That is square-root scaling; the linear rule scales lr by the same factor as B."
    return math.isclose(value, 0.05 * 256 / 32, rel_tol=1e-6)


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
