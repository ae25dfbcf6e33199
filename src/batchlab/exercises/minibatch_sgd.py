"""Exercises for notebook 05 (mini-batch SGD).

Question 1 asks for code: the student completes a function stub and passes the function
itself; a stub whose body is still ``...`` counts as not attempted.

>>> from batchlab.exercises import minibatch_sgd
>>> minibatch_sgd.q3.check(0.25)
Correct!
>>> def per_sample_grads(model, loss_fn, inputs, targets):
...     ...  # your code here
>>> minibatch_sgd.q1.check(per_sample_grads)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from batchlab.lessons.minibatch_sgd import gradient_noise_theory

from ._question import CodeQuestion, Question, as_float, questions


def _number(answer):
    """``as_float(answer)``, or ``None`` when the answer is not one number."""
    try:
        return as_float(answer)
    except ValueError:
        return None


# --- q1: per-sample gradients -------------------------------------------------------------

def _q1_problem():
    """A fresh two-layer model (first bias frozen) and batch, unlike the notebook's (seeded)."""
    g = torch.Generator().manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    model[0].bias.requires_grad_(False)            # frozen: no column for it
    inputs = torch.randn(5, 3, generator=g)
    targets = torch.tensor([0, 1, 1, 0, 1])
    return model, nn.CrossEntropyLoss(), inputs, targets


def _loop_truth(model, loss_fn, inputs, targets):
    trainable = [p for p in model.parameters() if p.requires_grad]
    rows = []
    for x, y in zip(inputs, targets, strict=True):
        grads = torch.autograd.grad(loss_fn(model(x.unsqueeze(0)), y.unsqueeze(0)), trainable)
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
    return torch.stack(rows)


def _names_used(code) -> set:
    """Every global or attribute name a function's code (and its nested functions) uses."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names_used(const)
    return names


def _uses_library_helper(fn) -> bool:
    from batchlab.lessons import minibatch_sgd as lesson

    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    names = _names_used(code)
    space = getattr(fn, "__globals__", {})
    return "per_sample_gradients" in names or any(
        space.get(name) is lesson.per_sample_gradients for name in names)


def _judge_q1(fn):
    if not callable(fn):
        return "Give the function itself: ex.q1.check(per_sample_grads), no parentheses."
    if _uses_library_helper(fn):
        return ("batchlab.lessons.minibatch_sgd.per_sample_gradients is the ready-made version "
                "of this exercise: write the computation yourself (a loop or torch.func).")
    model, loss_fn, inputs, targets = _q1_problem()
    truth = _loop_truth(model, loss_fn, inputs, targets)
    with torch.random.fork_rng():
        out = fn(model, loss_fn, inputs, targets)
    if out is None:
        return "The function returned None: return the [N, P] tensor."
    if isinstance(out, torch.Tensor) and out.shape == (len(inputs), truth.shape[1] + 4):
        return ("Too many columns: leave out the parameters with "
                "requires_grad=False (the checker's model freezes one bias).")
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

    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}

    def sample_loss(params, x, y):
        return loss_fn(functional_call(model, params, (x.unsqueeze(0),), strict=False),
                       y.unsqueeze(0))

    grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, inputs, targets)
    return torch.cat([grads[name].reshape(len(inputs), -1) for name in params], dim=1)


def _wrong_batch_gradient(model, loss_fn, inputs, targets):
    model.zero_grad()
    loss_fn(model(inputs), targets).backward()
    row = torch.cat([p.grad.reshape(-1) for p in model.parameters() if p.requires_grad])
    return row.expand(len(inputs), -1)


def _wrong_order(model, loss_fn, inputs, targets):
    return _reference_q1(model, loss_fn, inputs, targets).flip(1)


def _wrong_frozen_too(model, loss_fn, inputs, targets):
    rows = []
    for x, y in zip(inputs, targets, strict=True):
        model.zero_grad()
        loss_fn(model(x.unsqueeze(0)), y.unsqueeze(0)).backward()
        rows.append(torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                               for p in model.parameters()]))
    return torch.stack(rows)


def _wrong_uses_helper(model, loss_fn, inputs, targets):
    from batchlab.lessons.minibatch_sgd import per_sample_gradients

    return per_sample_gradients(model, loss_fn, (inputs, targets))


q1 = CodeQuestion(
    "Write per_sample_grads(model, loss_fn, inputs, targets): the gradient of each sample's "
    "loss alone, as one [N, P] tensor (row i: sample i; columns: every parameter with "
    "requires_grad=True, in model.parameters() order, flattened). The checker calls it on a "
    "fresh two-layer model with one frozen bias; calling batchlab's per_sample_gradients "
    "does not count.",
    _judge_q1,
    hint="Either loop over the samples (torch.autograd.grad of one sample's loss with respect "
         "to the trainable parameters), or write the loss of ONE sample with "
         "torch.func.functional_call and map grad over the batch with torch.func.vmap. Keep a "
         "batch dimension of 1 for the model, and skip parameters with requires_grad=False.",
    solution=("from torch.func import functional_call, grad, vmap  # as in section 3\n\n\n"
              "def per_sample_grads(model, loss_fn, inputs, targets):\n"
              "    params = {n: p.detach() for n, p in model.named_parameters() "
              "if p.requires_grad}\n\n"
              "    def sample_loss(params, x, y):   # strict=False: frozen ones keep their value\n"
              "        out = functional_call(model, params, (x.unsqueeze(0),), strict=False)\n"
              "        return loss_fn(out, y.unsqueeze(0))\n\n"
              "    grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, inputs, targets)\n"
              "    return torch.cat([grads[n].reshape(len(inputs), -1) for n in params], dim=1)"),
    reference=_reference_q1,
    wrong=[_wrong_batch_gradient, _wrong_order, _wrong_frozen_too, _wrong_uses_helper, 42],
)


# --- q2: the noise formula -------------------------------------------------------------------

def _judge_noise(answer):
    value = _number(answer)
    if value is None:
        return "Give a number, e.g. answer = 0.5."
    if math.isclose(value, gradient_noise_theory(4.0, 100, 10, replacement=True), rel_tol=2e-3):
        return "That is the with-replacement value; a shuffled epoch draws distinct samples."
    if math.isclose(value, gradient_noise_theory(4.0 * 99 / 100, 100, 10), rel_tol=2e-3):
        return ("That treats 4.0 as a variance divided by N − 1; here σ² divides by N, as in "
                "section 3.")
    return math.isclose(value, gradient_noise_theory(4.0, 100, 10), rel_tol=2e-3)


q2 = Question(
    "The per-sample gradients of a 100-sample dataset scatter around the full-batch "
    "gradient with σ² = (1/N) Σᵢ ‖gᵢ − ḡ‖² = 4.0 (divided by N, as in section 3). What is "
    "E‖g_B − ḡ‖² for a mini-batch of B = 10 distinct samples (a shuffled DataLoader)? Give 3 "
    "significant digits or more.",
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
    hint="Section 4: write what one full-batch step does to the error along each eigenvector "
         "of the Hessian, and ask which of the two directions overshoots first.",
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
    hint="First work out by what factor the batch size grows; section 4's heuristic says "
         "what the learning rate does with that factor.",
    solution="answer = 0.05 * 256 / 32  # 0.4",
    reference=0.4,
    wrong=[0.05, 0.05 * math.sqrt(8), 0.00625, 12.8],
)

QUESTIONS = questions(globals())
