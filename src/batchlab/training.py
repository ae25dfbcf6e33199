"""Training helpers: one epoch, evaluation, prediction, a full ``fit`` loop, gradient noise.

Every loop here is the textbook one, written once so the notebooks can reuse it::

    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        loss = loss_fn(model(inputs), targets)   # forward + loss
        optimizer.zero_grad()                    # forget the previous batch's gradients
        loss.backward()                          # fill every parameter's .grad
        optimizer.step()                         # update the parameters

Loaders must yield ``(inputs, targets)`` pairs. The loss reported for an epoch is the
mean per sample (each batch's mean loss weighted by its size), so a short last batch
counts for what it holds. Accuracy is reported when the model outputs ``[B, C]``
logits and the targets are ``int64`` class indices ``[B]``; otherwise it is ``None``.

>>> import torch
>>> from torch.utils.data import DataLoader, TensorDataset
>>> g = torch.Generator().manual_seed(0)
>>> x = torch.randn(64, 2, generator=g)
>>> ds = TensorDataset(x, (x[:, 0] > 0).long())
>>> model = torch.nn.Linear(2, 2)
>>> opt = torch.optim.SGD(model.parameters(), lr=0.5)
>>> history = fit(model, DataLoader(ds, batch_size=16, shuffle=True, generator=g),
...               torch.nn.CrossEntropyLoss(), opt, epochs=5, device="cpu", progress=False)
>>> history[-1]["train_loss"] < history[0]["train_loss"]
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import torch
from torch import Tensor, nn

from ._checks import check_bool, check_generator, check_positive_int

__all__ = [
    "evaluate",
    "fit",
    "gradient_noise_theory",
    "iterations_per_epoch",
    "minibatch_gradient_variance",
    "per_sample_gradient_variance",
    "per_sample_gradients",
    "predict",
    "sampled_gradient_variance",
    "train_one_epoch",
]


# ----------------------------------------------------------------------------- checks
def _check_model(model) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def _check_loss_fn(loss_fn, *, allow_none: bool = False):
    if loss_fn is None and allow_none:
        return None
    if not callable(loss_fn):
        allowed = "a callable such as torch.nn.MSELoss()" + (" or None" if allow_none else "")
        raise TypeError(f"loss_fn must be {allowed}, got {type(loss_fn).__name__}")
    return loss_fn


def _check_optimizer(optimizer) -> torch.optim.Optimizer:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError("optimizer must be a torch.optim.Optimizer (e.g. torch.optim.SGD("
                        f"model.parameters(), lr=0.1)), got {type(optimizer).__name__}")
    return optimizer


def _check_loader(loader, name: str):
    if isinstance(loader, (str, bytes, Tensor)) or not isinstance(loader, Iterable):
        raise TypeError(f"{name} must be an iterable of (inputs, targets) batches such as a "
                        f"DataLoader, got {type(loader).__name__}")
    try:
        length = len(loader)
    except TypeError:  # an IterableDataset's loader may have no length
        length = None
    if length == 0:
        raise ValueError(f"{name} is empty: it yields no batches "
                         "(an empty dataset, or drop_last=True with batch_size > len(dataset))")
    return loader


def _resolve_device(device) -> torch.device:
    if device is None:
        from .device import get_device

        return get_device()
    if isinstance(device, (str, torch.device)):
        try:
            return torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda', "
                             f"got {device!r}") from exc
    raise TypeError(f"device must be None, a str or a torch.device, got {type(device).__name__}")


def _split_batch(batch, name: str):
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(f"{name} must yield (inputs, targets) pairs, got a batch of type "
                        f"{type(batch).__name__}" + (f" with {len(batch)} items"
                                                     if isinstance(batch, (tuple, list)) else ""))
    return batch[0], batch[1]


def _to(value, device):
    return value.to(device) if isinstance(value, Tensor) else value


def _batch_size(inputs, targets) -> int:
    for value in (targets, inputs):
        if isinstance(value, Tensor) and value.dim() > 0:
            return value.shape[0]
    return len(targets)


def _num_correct(outputs, targets):
    """Correct predictions in a batch, or ``None`` when accuracy does not apply.

    Accuracy applies to class logits ``[B, C]`` with ``C >= 2`` and int64 class indices
    ``[B]``; a single logit column (``[B, 1]``) is a binary score, not ``C`` classes, and
    ``argmax`` over it would always say class 0.
    """
    if (isinstance(outputs, Tensor) and isinstance(targets, Tensor) and outputs.dim() == 2
            and outputs.shape[1] >= 2 and targets.dim() == 1 and targets.dtype == torch.int64
            and outputs.shape[0] == targets.shape[0]):
        return (outputs.argmax(dim=1) == targets).sum()
    return None


class _Meter:
    """Sums loss × batch size and correct predictions on the device; syncs once at the end."""

    def __init__(self):
        self.loss_sum = None
        self.correct = 0
        self.count = 0
        self.accuracy_ok = True

    def update(self, loss, outputs, targets, size):
        if loss is not None:
            weighted = loss.detach().reshape(()) * size
            self.loss_sum = weighted if self.loss_sum is None else self.loss_sum + weighted
        correct = _num_correct(outputs, targets)
        if correct is None:
            self.accuracy_ok = False
        elif self.accuracy_ok:
            self.correct = self.correct + correct
        self.count += size

    def result(self, name: str) -> dict:
        if self.count == 0:
            raise ValueError(f"{name} is empty: it yielded no samples")
        loss = None if self.loss_sum is None else float(self.loss_sum) / self.count
        accuracy = float(self.correct) / self.count if self.accuracy_ok else None
        return {"loss": loss, "accuracy": accuracy}


def _check_loss_value(loss) -> Tensor:
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        got = f"shape {tuple(loss.shape)}" if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError("loss_fn must return a single number (a 1-element tensor), e.g. with "
                         f"reduction='mean' (the default); got {got}")
    return loss


def _progress(loader, *, enabled: bool, desc):
    """``loader`` itself, or a ``tqdm.auto`` bar over it that draws the same batches.

    ``tqdm.auto``'s asyncio mix-in calls ``iter()`` on what it wraps when the bar is
    created, and the loop calls it again: a ``DataLoader`` handed over directly would start
    two iterators per epoch, drawing its shuffle generator twice (and, with workers,
    starting them twice), so ``progress=True`` would change the batches. Handing over
    ``iter(loader)`` starts exactly one.
    """
    if not enabled:
        return loader
    from tqdm.auto import tqdm

    try:
        total = len(loader)
    except TypeError:  # an IterableDataset's loader may have no length
        total = None
    return tqdm(iter(loader), total=total, desc=desc, leave=False)


# ----------------------------------------------------------------------------- loops
def train_one_epoch(model, loader, loss_fn, optimizer, *, device=None, progress=True,
                    desc=None) -> dict:
    """Train ``model`` for one pass over ``loader``; return ``{"loss", "accuracy"}``.

    Moves the model and every batch to ``device`` (``None``: ``batchlab.get_device()``),
    puts the model in training mode, and for each ``(inputs, targets)`` batch runs
    forward → loss → ``optimizer.zero_grad()`` → ``loss.backward()`` → ``optimizer.step()``.
    ``loss`` is the mean loss per sample over the epoch (batch means weighted by batch
    size), measured on each batch before its update; ``accuracy`` is the share of correct
    ``argmax`` predictions when outputs are ``[B, C]`` logits with ``int64`` targets, else
    ``None``. ``progress=True`` shows a ``tqdm.auto`` bar that disappears when done.

    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> x = torch.linspace(-1, 1, 8).unsqueeze(1)
    >>> model = torch.nn.Linear(1, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> out = train_one_epoch(model, DataLoader(TensorDataset(x, 2 * x), batch_size=4),
    ...                       torch.nn.MSELoss(), opt, device="cpu", progress=False)
    >>> sorted(out), out["accuracy"] is None
    (['accuracy', 'loss'], True)
    """
    _check_model(model)
    _check_loader(loader, "loader")
    _check_loss_fn(loss_fn)
    _check_optimizer(optimizer)
    check_bool(progress, "progress")
    if desc is not None and not isinstance(desc, str):
        raise TypeError(f"desc must be a str or None, got {type(desc).__name__}")
    device = _resolve_device(device)
    model.to(device)
    model.train()
    meter = _Meter()
    for batch in _progress(loader, enabled=progress, desc=desc):
        inputs, targets = _split_batch(batch, "loader")
        inputs, targets = _to(inputs, device), _to(targets, device)
        outputs = model(inputs)
        loss = _check_loss_value(loss_fn(outputs, targets))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        meter.update(loss, outputs.detach(), targets, _batch_size(inputs, targets))
    return meter.result("loader")


def evaluate(model, loader, loss_fn=None, *, device=None, progress=False) -> dict:
    """Mean loss per sample and accuracy of ``model`` over ``loader``, without training.

    Runs under ``torch.no_grad()`` with ``model.eval()`` (dropout off, BatchNorm uses its
    running statistics) and puts the model back in the mode it was in. ``loss`` is
    ``None`` when ``loss_fn`` is ``None``; ``accuracy`` as in :func:`train_one_epoch`.

    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> model = torch.nn.Linear(2, 3)
    >>> with torch.no_grad():
    ...     _ = model.weight.zero_(), model.bias.copy_(torch.tensor([0.0, 1.0, 0.0]))
    >>> ds = TensorDataset(torch.randn(10, 2), torch.tensor([1] * 7 + [0] * 3))
    >>> evaluate(model, DataLoader(ds, batch_size=4), device="cpu")
    {'loss': None, 'accuracy': 0.7}
    >>> model.training
    True
    """
    _check_model(model)
    _check_loader(loader, "loader")
    _check_loss_fn(loss_fn, allow_none=True)
    check_bool(progress, "progress")
    device = _resolve_device(device)
    was_training = model.training
    model.to(device)
    model.eval()
    meter = _Meter()
    try:
        with torch.no_grad():
            for batch in _progress(loader, enabled=progress, desc="evaluate"):
                inputs, targets = _split_batch(batch, "loader")
                inputs, targets = _to(inputs, device), _to(targets, device)
                outputs = model(inputs)
                loss = None if loss_fn is None else _check_loss_value(loss_fn(outputs, targets))
                meter.update(loss, outputs, targets, _batch_size(inputs, targets))
    finally:
        model.train(was_training)
    return meter.result("loader")


def predict(model, loader, *, device=None) -> tuple[Tensor, Tensor]:
    """``(outputs, targets)`` of every batch of ``loader``, concatenated on the CPU in order.

    Like :func:`evaluate` it uses ``model.eval()`` and ``torch.no_grad()`` and restores the
    model's mode afterwards. Use an unshuffled loader to keep the dataset's order.

    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> x = torch.arange(5.0).unsqueeze(1)
    >>> model = torch.nn.Linear(1, 1)
    >>> outputs, targets = predict(model, DataLoader(TensorDataset(x, 2 * x), batch_size=2),
    ...                            device="cpu")
    >>> outputs.shape, targets.view(-1).tolist()
    (torch.Size([5, 1]), [0.0, 2.0, 4.0, 6.0, 8.0])
    """
    _check_model(model)
    _check_loader(loader, "loader")
    device = _resolve_device(device)
    was_training = model.training
    model.to(device)
    model.eval()
    all_outputs, all_targets = [], []
    try:
        with torch.no_grad():
            for batch in loader:
                inputs, targets = _split_batch(batch, "loader")
                all_outputs.append(model(_to(inputs, device)).cpu())
                all_targets.append(targets.cpu() if isinstance(targets, Tensor)
                                   else torch.as_tensor(targets))
    finally:
        model.train(was_training)
    if not all_outputs:
        raise ValueError("loader is empty: it yielded no batches")
    return torch.cat(all_outputs), torch.cat(all_targets)


def fit(model, train_loader, loss_fn, optimizer, *, epochs, val_loader=None, device=None,
        progress=True) -> list[dict]:
    """Train for ``epochs`` epochs; return one history dict per epoch.

    Each dict has ``"epoch"`` (1, 2, …), ``"train_loss"``, ``"train_accuracy"`` (from
    :func:`train_one_epoch`: measured while training, batch by batch) and ``"val_loss"``,
    ``"val_accuracy"`` (from :func:`evaluate` on ``val_loader`` after the epoch; ``None``
    without a ``val_loader``). ``progress=True`` shows one ``tqdm.auto`` bar per epoch.

    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> x = torch.linspace(-1, 1, 16).unsqueeze(1)
    >>> loader = DataLoader(TensorDataset(x, 2 * x), batch_size=4)
    >>> model = torch.nn.Linear(1, 1)
    >>> history = fit(model, loader, torch.nn.MSELoss(),
    ...               torch.optim.SGD(model.parameters(), lr=0.3),
    ...               epochs=3, val_loader=loader, device="cpu", progress=False)
    >>> [h["epoch"] for h in history], sorted(history[0])
    ([1, 2, 3], ['epoch', 'train_accuracy', 'train_loss', 'val_accuracy', 'val_loss'])
    """
    _check_model(model)
    _check_loader(train_loader, "train_loader")
    _check_loss_fn(loss_fn)
    _check_optimizer(optimizer)
    epochs = check_positive_int(epochs, "epochs")
    if val_loader is not None:
        _check_loader(val_loader, "val_loader")
    check_bool(progress, "progress")
    device = _resolve_device(device)
    history = []
    for epoch in range(1, epochs + 1):
        train = train_one_epoch(model, train_loader, loss_fn, optimizer, device=device,
                                progress=progress, desc=f"epoch {epoch}/{epochs}")
        val = ({"loss": None, "accuracy": None} if val_loader is None
               else evaluate(model, val_loader, loss_fn, device=device))
        history.append({"epoch": epoch, "train_loss": train["loss"],
                        "train_accuracy": train["accuracy"],
                        "val_loss": val["loss"], "val_accuracy": val["accuracy"]})
    return history


# ----------------------------------------------------------------------------- gradient noise
def _full_batch(dataset):
    """All samples of ``dataset`` as one ``(inputs, targets)`` batch (via default_collate)."""
    from torch.utils.data import Dataset, default_collate

    if isinstance(dataset, (tuple, list)) and len(dataset) == 2 and all(
            isinstance(t, Tensor) for t in dataset):
        inputs, targets = dataset
        if inputs.dim() == 0 or targets.dim() == 0 or inputs.shape[0] != targets.shape[0]:
            raise ValueError("dataset given as (inputs, targets) tensors needs the same "
                             f"first dimension, got {tuple(inputs.shape)} and "
                             f"{tuple(targets.shape)}")
        if inputs.shape[0] == 0:
            raise ValueError("dataset is empty")
        return inputs, targets
    if not isinstance(dataset, Dataset) or not hasattr(dataset, "__len__"):
        raise TypeError("dataset must be a map-style Dataset of (input, target) samples or an "
                        f"(inputs, targets) pair of tensors, got {type(dataset).__name__}")
    if len(dataset) == 0:
        raise ValueError("dataset is empty")
    inputs, targets = _split_batch(default_collate([dataset[i] for i in range(len(dataset))]),
                                   "dataset")
    return inputs, targets


def per_sample_gradients(model, loss_fn, dataset) -> Tensor:
    """The gradient of ``loss_fn`` for each sample alone, flattened: a ``[N, P]`` tensor.

    Row ``i`` is the gradient of ``loss_fn(model(x_i), y_i)`` with respect to all of
    ``model``'s trainable parameters (in ``model.parameters()`` order, flattened and
    concatenated), computed in one vectorised pass with ``torch.func.vmap``. Because the
    gradient of a mean is the mean of the gradients, the gradient of a mini-batch's mean
    loss is the mean of its rows — for models whose samples do not interact (no
    BatchNorm in training mode). ``dataset`` is a map-style Dataset of ``(input, target)``
    pairs or an ``(inputs, targets)`` pair of tensors; it is moved to the model's device.

    >>> import torch
    >>> model = torch.nn.Linear(1, 1)
    >>> x = torch.tensor([[1.0], [2.0]])
    >>> with torch.no_grad():
    ...     _ = model.weight.fill_(0.0), model.bias.fill_(0.0)
    >>> per_sample_gradients(model, torch.nn.MSELoss(), (x, 2 * x)).tolist()  # d/dw, d/db
    [[-4.0, -4.0], [-16.0, -8.0]]
    """
    from torch.func import functional_call, grad, vmap

    _check_model(model)
    _check_loss_fn(loss_fn)
    inputs, targets = _full_batch(dataset)
    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}
    if not params:
        raise ValueError("model has no trainable parameters (requires_grad=True)")
    buffers = {name: b.detach() for name, b in model.named_buffers()}
    device = next(iter(params.values())).device
    inputs, targets = inputs.to(device), targets.to(device)

    def sample_loss(p, x, y):
        out = functional_call(model, (p, buffers), (x.unsqueeze(0),))
        return loss_fn(out, y.unsqueeze(0))

    grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, inputs, targets)
    return torch.cat([grads[name].reshape(len(inputs), -1) for name in params], dim=1)


def per_sample_gradient_variance(model, loss_fn, dataset) -> float:
    """σ²: the spread of the per-sample gradients around the full-batch gradient.

    ``σ² = (1/N) Σᵢ ‖gᵢ − ḡ‖²`` where ``gᵢ`` is sample ``i``'s gradient and ``ḡ`` their
    mean (the full-batch gradient): the trace of their covariance (divided by ``N``, not
    ``N − 1``), i.e. the total over all parameters. It is what :func:`gradient_noise_theory`
    needs.

    >>> import torch
    >>> model = torch.nn.Linear(1, 1)
    >>> with torch.no_grad():
    ...     _ = model.weight.fill_(0.0), model.bias.fill_(0.0)
    >>> x = torch.tensor([[1.0], [2.0]])
    >>> # gradients (-4, -4) and (-16, -8); their mean (-10, -6); both 6² + 2² = 40 away
    >>> per_sample_gradient_variance(model, torch.nn.MSELoss(), (x, 2 * x))
    40.0
    """
    g = per_sample_gradients(model, loss_fn, dataset).double()
    return float(((g - g.mean(dim=0)) ** 2).sum(dim=1).mean())


def gradient_noise_theory(sigma2, n, batch_size, replacement=False) -> float:
    """Expected ``E‖g_B − ḡ‖²`` of a mini-batch gradient drawn uniformly at random.

    ``sigma2`` is the per-sample gradient variance σ² (:func:`per_sample_gradient_variance`),
    ``n`` the dataset size N, ``batch_size`` B. Without replacement (a shuffled DataLoader:
    B distinct samples) it is ``σ²/B · (N − B)/(N − 1)`` — the finite-population correction
    makes it 0 at ``B = N``; with replacement (B independent draws) it is ``σ²/B``.

    >>> gradient_noise_theory(4.0, 100, 10)
    0.36363636363636365
    >>> gradient_noise_theory(4.0, 100, 10, replacement=True)
    0.4
    >>> gradient_noise_theory(4.0, 100, 100)
    0.0
    """
    if isinstance(sigma2, bool) or not isinstance(sigma2, numbers.Real) or not (
            math.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be a finite real number >= 0, got {sigma2!r}")
    n = check_positive_int(n, "n")
    batch_size = check_positive_int(batch_size, "batch_size")
    replacement = check_bool(replacement, "replacement")
    if replacement:
        return float(sigma2) / batch_size
    if batch_size > n:
        raise ValueError(f"batch_size must be <= n without replacement, got batch_size="
                         f"{batch_size} > n={n}")
    if n == 1:
        return 0.0
    return float(sigma2) / batch_size * (n - batch_size) / (n - 1)


def _batch_weights(n: int, batch_size: int, num_batches: int, replacement: bool,
                   generator) -> Tensor:
    """A ``[num_batches, n]`` matrix: row r holds (how often sample i is in batch r) / B."""
    if replacement:
        idx = torch.randint(n, (num_batches, batch_size), generator=generator)
    else:  # each row: the B largest of n uniform numbers sit at a uniformly random B-subset
        scores = torch.rand(num_batches, n, generator=generator)
        idx = scores.topk(batch_size, dim=1, sorted=False).indices
    weights = torch.zeros(num_batches, n, dtype=torch.float64)
    weights.scatter_add_(1, idx, torch.full(idx.shape, 1.0 / batch_size, dtype=torch.float64))
    return weights


def minibatch_gradient_variance(model, dataset, batch_size, *, loss_fn, num_batches=2000,
                                replacement=False, generator=None) -> float:
    """Measured ``E‖g_B − ḡ‖²``: how far mini-batch gradients scatter around the full gradient.

    Draws ``num_batches`` random mini-batches of ``batch_size`` samples (distinct
    samples, as in a shuffled epoch, or with ``replacement=True`` independent draws),
    computes each one's gradient of the mean loss at the model's current parameters
    and returns the mean squared distance to the full-batch gradient ``ḡ``, summed over
    all parameters. Vectorised: per-sample gradients are computed once
    (:func:`per_sample_gradients`) and every mini-batch gradient is an average of their
    rows (:func:`sampled_gradient_variance`), so thousands of draws take milliseconds.
    Compare with :func:`gradient_noise_theory`.

    >>> import torch
    >>> from batchlab.datasets import LinearRegressionDataset
    >>> ds = LinearRegressionDataset(50, seed=0)
    >>> model = torch.nn.Linear(1, 1)
    >>> loss_fn = torch.nn.MSELoss()
    >>> sigma2 = per_sample_gradient_variance(model, loss_fn, ds)
    >>> g = torch.Generator().manual_seed(0)
    >>> measured = minibatch_gradient_variance(model, ds, 5, loss_fn=loss_fn,
    ...                                        num_batches=4000, generator=g)
    >>> abs(measured / gradient_noise_theory(sigma2, 50, 5) - 1) < 0.1
    True
    """
    _check_model(model)
    _check_loss_fn(loss_fn)
    check_positive_int(batch_size, "batch_size")
    check_positive_int(num_batches, "num_batches")
    check_bool(replacement, "replacement")
    check_generator(generator)
    grads = per_sample_gradients(model, loss_fn, dataset)
    return sampled_gradient_variance(grads, batch_size, num_batches=num_batches,
                                     replacement=replacement, generator=generator)



def sampled_gradient_variance(per_sample_grads, batch_size, *, num_batches=2000,
                              replacement=False, generator=None) -> float:
    """``E‖g_B − ḡ‖²`` estimated from a ``[N, P]`` matrix of per-sample gradients.

    Each of ``num_batches`` random batches picks ``batch_size`` rows (distinct rows, or
    with ``replacement=True`` independent draws); its gradient ``g_B`` is the mean of
    those rows, ``ḡ`` the mean of all rows. One matrix product does every batch at once.
    Compute the rows once with :func:`per_sample_gradients` and call this for many batch
    sizes.

    >>> import torch
    >>> grads = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])   # σ² = 1
    >>> sampled_gradient_variance(grads, 2)                 # B = N: no noise
    0.0
    >>> g = torch.Generator().manual_seed(0)
    >>> round(sampled_gradient_variance(grads, 1, num_batches=100, generator=g), 6)
    1.0
    """
    if not isinstance(per_sample_grads, Tensor) or per_sample_grads.dim() != 2 or len(
            per_sample_grads) == 0:
        got = (f"shape {tuple(per_sample_grads.shape)}" if isinstance(per_sample_grads, Tensor)
               else type(per_sample_grads).__name__)
        raise ValueError(f"per_sample_grads must be a non-empty [N, P] tensor, got {got}")
    batch_size = check_positive_int(batch_size, "batch_size")
    num_batches = check_positive_int(num_batches, "num_batches")
    replacement = check_bool(replacement, "replacement")
    check_generator(generator)
    grads = per_sample_grads.detach().double().cpu()
    n = grads.shape[0]
    if not replacement and batch_size > n:
        raise ValueError(f"batch_size must be <= len(dataset) = {n} without replacement, "
                         f"got {batch_size}")
    batch_grads = _batch_weights(n, batch_size, num_batches, replacement, generator) @ grads
    return float(((batch_grads - grads.mean(dim=0)) ** 2).sum(dim=1).mean())


def iterations_per_epoch(n, batch_size, drop_last=False) -> int:
    """How many batches (optimizer steps) one epoch has: ``ceil(N/B)``, or ``floor(N/B)``
    with ``drop_last=True`` — what ``len(DataLoader(...))`` returns for a map-style dataset.

    >>> iterations_per_epoch(10, 3), iterations_per_epoch(10, 3, drop_last=True)
    (4, 3)
    """
    from .batching import num_batches  # the one formula, as notebook 02 teaches it

    return num_batches(n, batch_size, drop_last=drop_last)

