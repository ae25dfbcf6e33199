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

from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn

from batchlab._checks import check_bool, check_positive_int
from batchlab._types import DeviceLike

__all__ = ["evaluate", "fit", "predict", "train_one_epoch"]


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
        from batchlab.device import get_device

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
def train_one_epoch(model: nn.Module, loader: Iterable, loss_fn: Callable,
                    optimizer: torch.optim.Optimizer, *, device: DeviceLike = None,
                    progress: bool = True, desc: str | None = None) -> dict:
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


def evaluate(model: nn.Module, loader: Iterable, loss_fn: Callable | None = None, *,
             device: DeviceLike = None, progress: bool = False) -> dict:
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


def predict(model: nn.Module, loader: Iterable, *, device: DeviceLike = None,
            ) -> tuple[Tensor, Tensor]:
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


def fit(model: nn.Module, train_loader: Iterable, loss_fn: Callable,
        optimizer: torch.optim.Optimizer, *, epochs: int, val_loader: Iterable | None = None,
        device: DeviceLike = None, progress: bool = True) -> list[dict]:
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


