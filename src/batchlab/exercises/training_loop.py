"""Exercises for notebook 06 (the training loop: train, evaluate, checkpoint, resume).

Both questions ask for code: complete the function stub and pass the function itself.
The checkers run it on the CPU on fresh models and compare with the truth; they leave
your global random state as it was.

>>> from batchlab.exercises import training_loop
>>> def resume_training(checkpoint, model, optimizer, scheduler, shuffle_gen):
...     ...  # your code here
>>> training_loop.q1.check(resume_training)
Not attempted yet: write the body of your function (replace ...) and run the cell again.
>>> def evaluate_f1(model, loader, loss_fn, device):
...     model.eval()
...     losses, predictions, labels = [], [], []
...     with torch.no_grad():
...         for x, y in loader:
...             outputs = model(x.to(device))
...             losses.append(loss_fn(outputs, y.to(device)).item() * len(y))
...             predictions.append(outputs.argmax(dim=1).cpu())
...             labels.append(y)
...     from sklearn.metrics import f1_score
...     f1 = f1_score(torch.cat(labels), torch.cat(predictions), average="macro")
...     return sum(losses) / len(torch.cat(labels)), f1
>>> training_loop.q2.check(evaluate_f1)
Correct!
"""

from __future__ import annotations

import io
import warnings

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ._question import CodeQuestion, as_float, as_float_list, questions


def _not_a_function(fn, name):
    if callable(fn):
        return None
    return f"Give the function itself: ex.{name}.check(my_function), without parentheses."


# --- q1: resume from a checkpoint ----------------------------------------------------------------

def _q1_make_run(init_seed):
    torch.manual_seed(init_seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[3], gamma=0.1)
    shuffle_gen = torch.Generator().manual_seed(8)
    return model, optimizer, scheduler, shuffle_gen


def _q1_epoch(model, optimizer, scheduler, shuffle_gen):
    data_gen = torch.Generator().manual_seed(9)
    inputs, targets = torch.randn(24, 2, generator=data_gen), torch.randint(0, 2, (24,),
                                                                             generator=data_gen)
    losses = []
    for idx in torch.randperm(24, generator=shuffle_gen).split(8):
        loss = nn.functional.cross_entropy(model(inputs[idx]), targets[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()
    return losses


def _q1_checkpoint():
    """Epochs 3 and 4 of an uninterrupted run (the lr drops after epoch 3), and a checkpoint
    written after epoch 2."""
    run = _q1_make_run(0)
    for _ in range(2):
        _q1_epoch(*run)
    model, optimizer, scheduler, shuffle_gen = run
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": 2,
                "shuffle_rng": shuffle_gen.get_state(), "torch_rng": torch.get_rng_state()},
               buffer)
    return _q1_epoch(*run) + _q1_epoch(*run), buffer.getvalue()


def _judge_q1(fn):
    wrong = _not_a_function(fn, "q1")
    if wrong:
        return wrong
    with torch.random.fork_rng():
        truth, saved = _q1_checkpoint()
        checkpoint = torch.load(io.BytesIO(saved), weights_only=True)
        run = _q1_make_run(123)  # a different start: only the checkpoint can make it right
        epoch = fn(checkpoint, *run)
        losses = _q1_epoch(*run) + _q1_epoch(*run)
    try:
        if as_float(epoch) != 2:
            return "Return the epoch stored in the checkpoint."
    except ValueError:
        return "Return the epoch stored in the checkpoint (a whole number)."
    if losses[0] != truth[0]:
        return ("The first step already differs: its batch or its dropout mask is not the "
                "uninterrupted run's.")
    if losses[:3] != truth[:3]:
        return "The first step matches, later ones do not: what else decides how a step updates?"
    return True if losses == truth else (
        "Epoch 3 matches, epoch 4 does not: what decides the learning rate of later epochs?")


def _reference_q1(checkpoint, model, optimizer, scheduler, shuffle_gen):
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    shuffle_gen.set_state(checkpoint["shuffle_rng"])
    torch.set_rng_state(checkpoint["torch_rng"])
    return checkpoint["epoch"]


def _without(key):
    def resume(checkpoint, model, optimizer, scheduler, shuffle_gen):
        partial = {**checkpoint, key: None}
        model.load_state_dict(checkpoint["model"])
        if partial["optimizer"] is not None:
            optimizer.load_state_dict(partial["optimizer"])
        if partial["scheduler"] is not None:
            scheduler.load_state_dict(partial["scheduler"])
        if partial["shuffle_rng"] is not None:
            shuffle_gen.set_state(partial["shuffle_rng"])
        if partial["torch_rng"] is not None:
            torch.set_rng_state(partial["torch_rng"])
        return checkpoint["epoch"]

    resume.__name__ = f"resume_without_{key}"
    return resume


q1 = CodeQuestion(
    "Write resume_training(checkpoint, model, optimizer, scheduler, shuffle_gen): restore "
    "everything "
    "the checkpoint holds — keys 'model', 'optimizer', 'scheduler' (state_dicts), "
    "'shuffle_rng' (the loader generator's state), 'torch_rng' (torch's global CPU RNG "
    "state, which Dropout draws from) — and return checkpoint['epoch']. The checker trains "
    "two epochs after your resume and compares every loss with an uninterrupted run.",
    _judge_q1,
    hint="Each key was saved from one object. Every object that gave its state can take it "
         "back, with the method that mirrors the one that saved it — and the checkpoint also "
         "holds what your function must return.",
    solution=("def resume_training(checkpoint, model, optimizer, scheduler, shuffle_gen):\n"
              "    model.load_state_dict(checkpoint['model'])\n"
              "    optimizer.load_state_dict(checkpoint['optimizer'])\n"
              "    scheduler.load_state_dict(checkpoint['scheduler'])\n"
              "    shuffle_gen.set_state(checkpoint['shuffle_rng'])\n"
              "    torch.set_rng_state(checkpoint['torch_rng'])\n"
              "    return checkpoint['epoch']"),
    reference=_reference_q1,
    wrong=[_without("optimizer"), _without("scheduler"), _without("shuffle_rng"),
           _without("torch_rng"), 42],
)


# --- q2: evaluate: the mean loss per sample and macro-F1 over the whole set ----------------------

def _q2_setup():
    """A briefly trained model with Dropout, and an unshuffled loader of 50 imbalanced samples
    whose last batch holds only 2 of them."""
    torch.manual_seed(10)
    g = torch.Generator().manual_seed(11)
    centres = torch.tensor([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    targets = torch.tensor([0] * 30 + [1] * 14 + [2] * 6)[torch.randperm(50, generator=g)]
    inputs = centres[targets] + 1.2 * torch.randn(50, 2, generator=g)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(30):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(inputs), targets).backward()
        optimizer.step()
    model.train()
    return model, DataLoader(TensorDataset(inputs, targets), batch_size=16)


def _run_q2(fn):
    """What ``fn`` returns, and (grad enabled, Dropout training) for every forward pass it ran."""
    calls = []
    with torch.random.fork_rng(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about classes a batch never predicts
        model, loader = _q2_setup()
        model[2].register_forward_hook(  # the Dropout layer: is it dropping, is autograd on?
            lambda module, args, output: calls.append((torch.is_grad_enabled(), module.training)))
        result = fn(model, loader, nn.CrossEntropyLoss(), torch.device("cpu"))
    return result, calls


def _macro_f1(labels, predictions):
    from sklearn.metrics import f1_score

    return f1_score(labels.numpy(), predictions.numpy(), average="macro", zero_division=0)


def _reference_q2(model, loader, loss_fn, device):
    model.eval()
    loss_sum, count, predictions, labels = 0.0, 0, [], []
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            outputs = model(x)
            loss_sum += loss_fn(outputs, y).item() * len(y)
            count += len(y)
            predictions.append(outputs.argmax(dim=1).cpu())
            labels.append(y.cpu())
    return loss_sum / count, _macro_f1(torch.cat(labels), torch.cat(predictions))


def _per_batch(model, loader, loss_fn, device):
    """Per-batch mean losses and per-batch macro-F1s, each averaged over the batches."""
    model.eval()
    losses, f1s = [], []
    with torch.no_grad():
        for x, y in loader:
            outputs = model(x.to(device))
            losses.append(loss_fn(outputs, y.to(device)).item())
            f1s.append(_macro_f1(y, outputs.argmax(dim=1).cpu()))
    return sum(losses) / len(losses), sum(f1s) / len(f1s)


def _mean_of_batch_means(model, loader, loss_fn, device):
    _, f1 = _reference_q2(model, loader, loss_fn, device)
    return _per_batch(model, loader, loss_fn, device)[0], f1


def _mean_of_batch_f1s(model, loader, loss_fn, device):
    loss, _ = _reference_q2(model, loader, loss_fn, device)
    return loss, _per_batch(model, loader, loss_fn, device)[1]


def _accuracy_not_f1(model, loader, loss_fn, device):
    loss, _ = _reference_q2(model, loader, loss_fn, device)
    with torch.no_grad():
        correct = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in loader)
    return loss, correct / len(loader.dataset)


def _no_eval(model, loader, loss_fn, device):
    model.eval = lambda: model  # the call does nothing: the model stays in training mode
    return _reference_q2(model, loader, loss_fn, device)


def _no_no_grad(model, loader, loss_fn, device):
    with torch.enable_grad():
        model.eval()
        loss_sum, predictions, labels = 0.0, [], []
        for x, y in loader:
            outputs = model(x)
            loss_sum += loss_fn(outputs, y).item() * len(y)
            predictions.append(outputs.argmax(dim=1))
            labels.append(y)
    return loss_sum / 50, _macro_f1(torch.cat(labels), torch.cat(predictions).detach())


def _close_number(a, b):
    return abs(a - b) <= 1e-5 * max(1.0, abs(b))


def _judge_q2(fn):
    wrong = _not_a_function(fn, "q2")
    if wrong:
        return wrong
    result, calls = _run_q2(fn)
    (truth_loss, truth_f1), _ = _run_q2(_reference_q2)
    try:
        loss, f1 = as_float_list(result)
    except ValueError:
        return "Return two numbers: (mean loss per sample, macro-F1)."
    if not calls:
        return "Your function never called the model."
    if any(training for _, training in calls):
        return ("The model ran in training mode, so Dropout was still dropping: switch it to "
                "evaluation mode first.")
    if not _close_number(loss, truth_loss):
        if _close_number(loss, _run_q2(_mean_of_batch_means)[0][0]):
            return ("Your loss is the mean of the batches' mean losses: the last batch holds 2 "
                    "samples and counts as much as one of 16. Weigh each batch by its size.")
        return "The mean loss per sample is not right."
    if not _close_number(f1, truth_f1):
        if _close_number(f1, _run_q2(_mean_of_batch_f1s)[0][1]):
            return ("The loss is right; your F1 is the mean of the batches' F1s. F1 is not a mean "
                    "over samples: collect every prediction and label, then compute it once.")
        if _close_number(f1, _run_q2(_accuracy_not_f1)[0][1]):
            return "The loss is right; your second number is the accuracy, not the macro-F1."
        return "The loss is right, the macro-F1 is not."
    if any(grad_enabled for grad_enabled, _ in calls):
        return ("Both numbers are right, but autograd recorded every forward pass for a "
                "backward() that never comes: evaluate without recording gradients.")
    return True


q2 = CodeQuestion(
    "Write evaluate_f1(model, loader, loss_fn, device): evaluate the model on every batch of "
    "loader, as an evaluation should run, and return (mean loss per sample, macro-F1). "
    "loss_fn returns a batch's mean loss; macro-F1 is "
    "sklearn.metrics.f1_score(labels, predictions, average='macro') over the whole set, with "
    "the class of the largest logit as the prediction. The checker's loader has 50 samples of "
    "3 classes in batches of 16, 16, 16 and 2, and its model has a Dropout layer.",
    _judge_q2,
    hint="Two switches make an evaluation (notebook 04, section 7). The loss is a mean over "
         "samples, so batch means can be combined if each counts for its size; F1 is not a mean "
         "over samples.",
    solution=("from sklearn.metrics import f1_score\n\n\n"
              "def evaluate_f1(model, loader, loss_fn, device):\n"
              "    model.eval()\n"
              "    loss_sum, count, predictions, labels = 0.0, 0, [], []\n"
              "    with torch.no_grad():\n"
              "        for x, y in loader:\n"
              "            x, y = x.to(device), y.to(device)\n"
              "            outputs = model(x)\n"
              "            loss_sum += loss_fn(outputs, y).item() * len(y)\n"
              "            count += len(y)\n"
              "            predictions.append(outputs.argmax(dim=1).cpu())\n"
              "            labels.append(y.cpu())\n"
              "    f1 = f1_score(torch.cat(labels), torch.cat(predictions), average='macro')\n"
              "    return loss_sum / count, f1"),
    reference=_reference_q2,
    wrong=[_mean_of_batch_means, _mean_of_batch_f1s, _accuracy_not_f1, _no_eval, _no_no_grad,
           42],
)

QUESTIONS = questions(globals())
