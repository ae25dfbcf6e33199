"""Exercises for notebook 04 (the training step, in slow motion).

Questions 1 and 2 ask for code: complete the function stub and pass the function itself.
The checkers run it on the CPU on fresh models and compare with the truth; they leave
your global random state as it was.

>>> from batchlab.exercises import training_step
>>> training_step.q3.check("model.eval()")
Correct!
>>> def train_step(model, batch, loss_fn, optimizer, max_norm):
...     ...  # your code here
>>> training_step.q1.check(train_step)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
"""

from __future__ import annotations

import torch
from torch import nn

from ._question import CodeQuestion, Question, as_float, questions


def _not_a_function(fn, name):
    if callable(fn):
        return None
    return f"Give the function itself: ex.{name}.check(my_function), without parentheses."


def _close(a, b) -> bool:
    return all(torch.allclose(x, y, atol=1e-6, rtol=1e-5) for x, y in zip(a, b, strict=True))


# --- q1: one training step with gradient clipping ------------------------------------------------

def _q1_setup():
    """A model, an optimizer with momentum and 3 batches (the first two need clipping to 1.0)."""
    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    g = torch.Generator().manual_seed(5)
    batches = [(10 * torch.randn(6, 3, generator=g), torch.randint(0, 2, (6,), generator=g))
               for _ in range(3)]
    for p in model.parameters():  # stale gradients from "an earlier batch"
        p.grad = torch.ones_like(p)
    return model, optimizer, batches


def _run_q1(fn):
    with torch.random.fork_rng():
        model, optimizer, batches = _q1_setup()
        losses = [fn(model, batch, nn.CrossEntropyLoss(), optimizer, 1.0) for batch in batches]
    return [p.detach().clone() for p in model.parameters()], losses


def _reference_q1(model, batch, loss_fn, optimizer, max_norm):
    inputs, targets = batch
    loss = loss_fn(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def _judge_q1(fn):
    wrong = _not_a_function(fn, "q1")
    if wrong:
        return wrong
    params, losses = _run_q1(fn)
    truth_params, truth_losses = _run_q1(_reference_q1)
    if not _close(params, truth_params):
        for candidate, message in _Q1_MISTAKES:
            if _close(params, _run_q1(candidate)[0]):
                return message
        return "The parameters after 3 steps differ from a correct step's."
    if any(v is None for v in losses):
        return "The parameters are right; now return the batch's loss (loss.item())."
    try:
        losses = [as_float(v.detach() if isinstance(v, torch.Tensor) else v) for v in losses]
    except ValueError:
        return "Return the batch's loss as one number (loss.item())."
    if not all(abs(a - b) <= 1e-5 * max(1.0, abs(b)) for a, b in zip(losses, truth_losses,
                                                                       strict=True)):
        return "The parameters are right, the returned losses are not: return this batch's loss."
    return True


def _no_clip(model, batch, loss_fn, optimizer, max_norm):
    inputs, targets = batch
    loss = loss_fn(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _clip_late(model, batch, loss_fn, optimizer, max_norm):
    inputs, targets = batch
    loss = loss_fn(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return loss.item()


def _no_zero_grad(model, batch, loss_fn, optimizer, max_norm):
    inputs, targets = batch
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def _zero_grad_after_step(model, batch, loss_fn, optimizer, max_norm):
    inputs, targets = batch
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def _clip_value(model, batch, loss_fn, optimizer, max_norm):
    inputs, targets = batch
    loss = loss_fn(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_value_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


_Q1_MISTAKES = [
    (_no_clip, "Your parameters match steps whose clipping changed nothing: no clipping, clipping "
               "after step() (too late), or clip_grad_value_ (it clips each entry on its own, and "
               "no entry here exceeds max_norm). Clip the total norm with clip_grad_norm_, after "
               "backward() and before step()."),
    (_zero_grad_after_step, "Your parameters match zero_grad() called after step(): the first "
                            "step added this batch's gradient to the stale one already in .grad. "
                            "Clear .grad before backward()."),
    (_no_zero_grad, "Your parameters match a step with no zero_grad(): every backward() adds to "
                    "the gradients already in .grad."),
]


q1 = CodeQuestion(
    "Write train_step(model, batch, loss_fn, optimizer, max_norm): one training step on "
    "batch = (inputs, targets) that clips the gradients' total norm to max_norm with "
    "torch.nn.utils.clip_grad_norm_, and returns the batch's loss as a float. The checker "
    "runs 3 steps on a fresh model whose .grad holds stale values.",
    _judge_q1,
    hint="Clipping changes .grad, so it must sit where .grad already holds this batch's "
         "gradient and step() has not used it yet.",
    solution=("def train_step(model, batch, loss_fn, optimizer, max_norm):\n"
              "    inputs, targets = batch\n"
              "    loss = loss_fn(model(inputs), targets)\n"
              "    optimizer.zero_grad()\n"
              "    loss.backward()\n"
              "    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"
              "    optimizer.step()\n"
              "    return loss.item()"),
    reference=_reference_q1,
    wrong=[_no_clip, _clip_late, _no_zero_grad, _zero_grad_after_step, _clip_value, 42],
)


# --- q2: gradient accumulation over unequal micro-batches ----------------------------------------

def _q2_setup():
    torch.manual_seed(6)
    model = nn.Linear(2, 3)
    g = torch.Generator().manual_seed(7)
    inputs, targets = torch.randn(12, 2, generator=g), torch.randint(0, 3, (12,), generator=g)
    sizes = [2, 3, 7]
    micro_batches = list(zip(inputs.split(sizes), targets.split(sizes), strict=True))
    return model, inputs, targets, micro_batches


def _q2_grads(fn):
    """The gradients after ``fn`` accumulated the micro-batches, and the 12-sample truth."""
    with torch.random.fork_rng():
        model, inputs, targets, micro_batches = _q2_setup()
        nn.functional.cross_entropy(model(inputs), targets).backward()
        truth = [p.grad.clone() for p in model.parameters()]
        model.zero_grad()
        fn(model, nn.CrossEntropyLoss(), micro_batches)
        return [p.grad for p in model.parameters()], truth


def _judge_q2(fn):
    wrong = _not_a_function(fn, "q2")
    if wrong:
        return wrong
    grads, truth = _q2_grads(fn)
    if any(g is None for g in grads):
        return "Some .grad is None: call backward() on each micro-batch's (scaled) loss."
    if _close(grads, truth):
        return True
    for candidate, message in _Q2_MISTAKES:
        if _close(grads, _q2_grads(candidate)[0]):
            return message
    return ("The accumulated gradient is not the 12-sample batch's: how much should a micro-batch "
            "of 2 count against one of 7?")


def _reference_q2(model, loss_fn, micro_batches):
    total = sum(len(targets) for _, targets in micro_batches)
    for inputs, targets in micro_batches:
        (loss_fn(model(inputs), targets) * len(targets) / total).backward()


def _mean_of_means(model, loss_fn, micro_batches):
    for inputs, targets in micro_batches:
        (loss_fn(model(inputs), targets) / len(micro_batches)).backward()


def _unscaled(model, loss_fn, micro_batches):
    for inputs, targets in micro_batches:
        loss_fn(model(inputs), targets).backward()


def _zeroed_each_time(model, loss_fn, micro_batches):
    total = sum(len(targets) for _, targets in micro_batches)
    for inputs, targets in micro_batches:
        model.zero_grad()
        (loss_fn(model(inputs), targets) * len(targets) / total).backward()


_Q2_MISTAKES = [
    (_unscaled, "Your gradient is that of the SUM of the micro-batches' mean losses: each "
                "backward() adds to .grad, so scale each micro-batch's loss before it."),
    (_mean_of_means, "Your gradient is that of the mean of the micro-batch means: a micro-batch "
                     "of 2 samples counts as much as one of 7. Weigh each by its share of the "
                     "samples."),
    (_zeroed_each_time, "Only the last micro-batch's gradient is left: zeroing .grad between the "
                        "micro-batches throws the earlier ones away."),
]


q2 = CodeQuestion(
    "Write accumulate(model, loss_fn, micro_batches): micro_batches is a list of "
    "(inputs, targets) of UNEQUAL sizes and loss_fn returns a batch's mean loss. Call "
    "backward() once per micro-batch so that afterwards .grad holds the gradient of the mean "
    "loss over ALL their samples, as one big batch would. .grad starts empty (None).",
    _judge_q2,
    hint="A micro-batch's mean loss times its size is its sum of losses. What should the "
         "sums be divided by so they add up to the overall mean?",
    solution=("def accumulate(model, loss_fn, micro_batches):\n"
              "    total = sum(len(targets) for _, targets in micro_batches)\n"
              "    for inputs, targets in micro_batches:\n"
              "        loss = loss_fn(model(inputs), targets)\n"
              "        (loss * len(targets) / total).backward()"),
    reference=_reference_q2,
    wrong=[_mean_of_means, _unscaled, _zeroed_each_time, 42],
)


# --- q3: which switch turns dropout off ----------------------------------------------------------

_SWITCHES = {"model.eval()", "torch.no_grad()", "optimizer.zero_grad()", "model.train()"}


_SAME_AS_EVAL = {"model.train(False)", "model.train(mode=False)"}


def _judge_dropout_off(answer):
    if isinstance(answer, str) and answer.replace(" ", "") in _SAME_AS_EVAL:
        return True  # model.eval() is model.train(False)
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

QUESTIONS = questions(globals())
