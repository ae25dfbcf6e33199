"""Mini-batch SGD on a two-parameter model ``y = w·x + b``, and pictures of it (notebook 05).

With two parameters the whole loss surface fits on a page: :func:`sgd_run` trains
``torch.nn.Linear(1, 1)`` with a real ``DataLoader`` and ``torch.optim.SGD`` and records
the parameters and the full-data loss after every step; :func:`plot_sgd` draws the loss
curve and the path over the loss contours. For the mean squared error the loss is a
quadratic whose Hessian is ``H = 2·[[mean x², mean x], [mean x, 1]]`` whatever ``w, b``
are (:func:`mse_hessian`); full-batch gradient descent converges exactly when
``0 < lr < 2/λ_max(H)`` (:func:`lr_stability_limit`).

Everything runs on the CPU (a two-parameter model gains nothing from a GPU), so the
pictures are the same on every machine.

>>> from batchlab.data.datasets import LinearRegressionDataset
>>> ds = LinearRegressionDataset(32, seed=0)
>>> run = sgd_run(ds, batch_size=8, lr=0.1, epochs=2)
>>> run["params"].shape, run["steps_per_epoch"], run["diverged"]
(torch.Size([9, 2]), 4, False)
"""

from __future__ import annotations

import math
import numbers
import time

import torch
from torch import Tensor
from torch.utils.data import DataLoader, RandomSampler

from batchlab._checks import check_bool, check_generator, check_int, check_positive_int, check_real
from batchlab.train import _check_loss_fn, _check_model, _split_batch

__all__ = ["gradient_noise_theory", "loss_grid", "lr_stability_limit",
           "minibatch_gradient_variance", "mse_hessian", "per_sample_gradient_variance",
           "per_sample_gradients", "plot_runs", "plot_sgd", "run_summary",
           "sampled_gradient_variance", "sgd_explorer", "sgd_run", "widget_dataset"]

DIVERGED_FACTOR = 1e3  # a loss this many times the starting loss (or inf/nan) counts as diverged


def _xy(dataset):
    """All inputs and targets of a (1-D input, 1-D target) dataset as float64 vectors."""
    if hasattr(dataset, "x") and hasattr(dataset, "y"):
        x, y = dataset.x, dataset.y
    else:
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"dataset must be a map-style Dataset of (x, y) pairs, "
                            f"got {type(dataset).__name__}")
        pairs = [dataset[i] for i in range(len(dataset))]
        x = torch.stack([torch.as_tensor(p[0]) for p in pairs])
        y = torch.stack([torch.as_tensor(p[1]) for p in pairs])
    if x.numel() != len(x) or y.numel() != len(y) or len(x) == 0:
        raise ValueError("dataset must hold one number per input and per target "
                         f"(shapes [N] or [N, 1]), got {tuple(x.shape)} and {tuple(y.shape)}")
    return x.reshape(-1).double(), y.reshape(-1).double()


def mse_hessian(dataset) -> torch.Tensor:
    """The 2 × 2 Hessian of the MSE of ``y ≈ w·x + b`` with respect to ``(w, b)`` (float64).

    ``H = 2·[[mean x², mean x], [mean x, 1]]``: it does not depend on ``w, b`` (the loss
    is a quadratic), and it is positive semi-definite, so the loss has no local minimum
    other than the global one.

    >>> from batchlab.data.datasets import LinearRegressionDataset
    >>> mse_hessian(LinearRegressionDataset(3, seed=0)).shape
    torch.Size([2, 2])
    """
    x, _ = _xy(dataset)
    return 2 * torch.tensor([[float((x * x).mean()), float(x.mean())],
                             [float(x.mean()), 1.0]], dtype=torch.float64)


def lr_stability_limit(dataset) -> float:
    """``2 / λ_max(H)``: full-batch gradient descent on the MSE converges iff ``lr`` is below it.

    One step maps the error ``e = θ − θ*`` to ``(I − lr·H) e``; it shrinks in every
    direction exactly when ``|1 − lr·λ| < 1`` for every eigenvalue ``λ`` of ``H``.

    >>> from batchlab.data.datasets import LinearRegressionDataset
    >>> round(lr_stability_limit(LinearRegressionDataset(1000, seed=0)), 1)  # mean x² ≈ 1/3
    1.0
    """
    return 2.0 / float(torch.linalg.eigvalsh(mse_hessian(dataset)).max())


def loss_grid(dataset, w_values, b_values) -> torch.Tensor:
    """Full-data MSE at every ``(w, b)`` of a grid: a ``[len(b_values), len(w_values)]`` tensor.

    Vectorised and exact: ``mean((w·x + b − y)²)`` expanded into the sums of x², x, y², xy, y.

    >>> from batchlab.data.datasets import LinearRegressionDataset
    >>> grid = loss_grid(LinearRegressionDataset(10, seed=0), [1.0, 2.0], [0.0])
    >>> [round(v, 6) for v in grid[0].tolist()][1]  # w = 2, b = 0 fits y = 2x exactly
    0.0
    """
    x, y = _xy(dataset)
    w = torch.as_tensor(w_values, dtype=torch.float64).reshape(1, -1)
    b = torch.as_tensor(b_values, dtype=torch.float64).reshape(-1, 1)
    sxx, sx, syy, sxy, sy = ((x * x).mean(), x.mean(), (y * y).mean(), (x * y).mean(), y.mean())
    return (w * w * sxx + b * b + syy + 2 * w * b * sx - 2 * w * sxy - 2 * b * sy).clamp_min(0)


def sgd_run(dataset, batch_size, lr, *, epochs=5, init=(-1.0, 3.0), seed=0,
            max_loss=None, max_updates=None, stop_below=None, replacement=False) -> dict:
    """Train ``y = w·x + b`` with mini-batch SGD; record ``(w, b)`` and the loss after each step.

    A real ``DataLoader(dataset, batch_size, shuffle=True, generator=…)`` seeded with
    ``seed`` feeds ``torch.optim.SGD(lr=lr)`` on ``torch.nn.Linear(1, 1)`` started at
    ``init = (w, b)``, with the MSE loss. The run stops early, marked ``diverged``, when
    the full-data loss exceeds ``max_loss`` (default: 1000 × the starting loss) or stops
    being finite. ``max_updates`` (default: no limit) stops it after that many updates;
    ``stop_below`` (default: never) stops it at the first update whose full-data loss is
    at or below that value. ``replacement=True`` draws each epoch's ``N`` samples
    independently with replacement (``RandomSampler(replacement=True)``) instead of
    shuffling.

    Returns a dict: ``params`` (``[steps + 1, 2]`` float64, row 0 = ``init``), ``losses``
    (full-data MSE at each row), ``epochs`` (each row's position in epochs:
    ``step / steps_per_epoch``), ``samples`` (samples used by the updates so far: a short
    last batch counts what it holds), ``seconds`` (measured wall-clock time of the
    training steps so far — loading, forward, backward, update — not of the recording;
    it varies from run to run and machine to machine), ``steps_per_epoch``
    (``ceil(N / B)``), ``diverged``, ``steps`` (updates made), and the ``lr`` and
    ``batch_size`` it ran with.

    >>> from batchlab.data.datasets import LinearRegressionDataset
    >>> run = sgd_run(LinearRegressionDataset(16, seed=0), batch_size=16, lr=5.0, epochs=50)
    >>> run["diverged"], run["steps"] < 50
    (True, True)
    >>> sgd_run(LinearRegressionDataset(16, seed=0), 1, lr=0.1, max_updates=3)["steps"]
    3
    >>> sgd_run(LinearRegressionDataset(16, seed=0), 4, 0.5, epochs=50, stop_below=1e-3)["steps"]
    16
    """
    x_all, y_all = _xy(dataset)
    n = len(x_all)
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(f"batch_size must be <= len(dataset) = {n}, got {batch_size}")
    lr = check_real(lr, "lr", minimum=0.0)
    if lr == 0:
        raise ValueError("lr must be > 0, got 0")
    epochs = check_positive_int(epochs, "epochs")
    if not isinstance(init, (tuple, list)) or len(init) != 2:
        raise TypeError(f"init must be a pair (w, b) of numbers, got {init!r}")
    w0, b0 = (check_real(v, "init") for v in init)
    seed = check_int(seed, "seed", minimum=0)
    if max_loss is not None:
        max_loss = check_real(max_loss, "max_loss", minimum=0.0)
    if max_updates is not None:
        max_updates = check_positive_int(max_updates, "max_updates")
    if stop_below is not None:
        stop_below = check_real(stop_below, "stop_below", minimum=0.0)
    if not isinstance(replacement, bool):
        raise TypeError(f"replacement must be True or False, got {replacement!r}")

    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(w0)
        model.bias.fill_(b0)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    generator = torch.Generator().manual_seed(seed)
    if replacement:
        sampler = RandomSampler(dataset, replacement=True, generator=generator)
        loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    else:
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)

    # the full-data MSE from five averages: exact, and cheap enough to evaluate every step
    sxx, sx, syy, sxy, sy = (float(v) for v in ((x_all * x_all).mean(), x_all.mean(),
                                                  (y_all * y_all).mean(), (x_all * y_all).mean(),
                                                  y_all.mean()))

    def full_loss(w, b):
        try:
            value = w * w * sxx + b * b + syy + 2 * w * b * sx - 2 * w * sxy - 2 * b * sy
        except OverflowError:
            return math.inf
        return max(value, 0.0)

    params = [(w0, b0)]
    losses = [full_loss(w0, b0)]
    samples, seconds = [0], [0.0]
    if max_loss is None:
        max_loss = DIVERGED_FACTOR * max(losses[0], 1e-12)
    diverged = False
    for _ in range(epochs):
        start = time.perf_counter()
        for inputs, targets in loader:
            loss = loss_fn(model(inputs.reshape(-1, 1).float()), targets.reshape(-1, 1).float())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            w, b = model.weight.item(), model.bias.item()
            seconds.append(seconds[-1] + time.perf_counter() - start)
            samples.append(samples[-1] + len(inputs))
            params.append((w, b))
            losses.append(full_loss(w, b))
            if not math.isfinite(losses[-1]) or losses[-1] > max_loss:
                diverged = True
                break
            if len(params) - 1 == max_updates or (
                    stop_below is not None and losses[-1] <= stop_below):
                break
            start = time.perf_counter()  # the next step's clock starts with its batch
        if diverged or len(params) - 1 == max_updates or (
                stop_below is not None and losses[-1] <= stop_below):
            break
    steps_per_epoch = len(loader)
    steps = len(params) - 1
    return {"params": torch.tensor(params, dtype=torch.float64),
            "losses": torch.tensor(losses, dtype=torch.float64),
            "epochs": torch.arange(steps + 1, dtype=torch.float64) / steps_per_epoch,
            "samples": torch.tensor(samples, dtype=torch.int64),
            "seconds": torch.tensor(seconds, dtype=torch.float64),
            "steps_per_epoch": steps_per_epoch, "steps": steps, "diverged": diverged,
            "lr": lr, "batch_size": batch_size}


def run_summary(run, *, floor=1e-10) -> str:
    """One line about a :func:`sgd_run` result: updates made and the final loss, or "diverged".

    Losses below ``floor`` print as ``< floor``: at that level the value is rounding noise
    (float32 parameters), which differs from machine to machine.

    >>> from batchlab.data.datasets import LinearRegressionDataset
    >>> ds = LinearRegressionDataset(16, seed=0)
    >>> run_summary(sgd_run(ds, 16, lr=5.0, epochs=20))
    'diverged after 2 updates'
    >>> run_summary(sgd_run(ds, 4, lr=0.5, epochs=200))
    '800 updates, final loss < 1e-10'
    """
    if not isinstance(run, dict) or not {"losses", "steps", "diverged"} <= set(run):
        raise ValueError("run must be a dict returned by sgd_run")
    floor = check_real(floor, "floor", minimum=0.0)
    if run["diverged"]:
        return f"diverged after {run['steps']} updates"
    final = float(run["losses"][-1])
    loss = f"< {floor:g}" if final < floor else f"{final:.2e}"
    return f"{run['steps']} updates, final loss {loss}"


_WIDGET_DATASET = None


def widget_dataset():
    """The dataset behind :func:`plot_sgd`: 64 points, ``y = 2x + noise`` (σ = 0.5), x in (0, 2).

    Inputs away from 0 make ``w`` and ``b`` compete (a long, tilted valley) and the
    noise keeps single-sample gradients from all vanishing at the best fit.

    >>> len(widget_dataset())
    64
    """
    global _WIDGET_DATASET
    if _WIDGET_DATASET is None:
        from batchlab.data.datasets import LinearRegressionDataset

        _WIDGET_DATASET = LinearRegressionDataset(64, noise=0.5, x_range=(0.0, 2.0), seed=0)
    return _WIDGET_DATASET


def plot_sgd(batch_size=8, lr=0.3, *, epochs=5, dataset=None, seed=0):
    """Loss curve and parameter path of :func:`sgd_run`, over the loss contours (a ``Figure``).

    Left: the full-data loss against epochs (log scale). Right: contours of the loss over
    ``(w, b)``, the path SGD took, its start (○), its end (×) and the least-squares
    optimum (★). A run that blows up is cut where it left the picture and the title says
    "diverged" — no error, whatever ``lr`` is. ``dataset`` defaults to
    :func:`widget_dataset`.

    >>> fig = plot_sgd(batch_size=64, lr=1.0)
    >>> "diverged" in fig.axes[1].get_title()
    True
    """
    import numpy as np

    from batchlab.viz.figures import new_figure

    dataset = widget_dataset() if dataset is None else dataset
    run = sgd_run(dataset, batch_size, lr, epochs=epochs, seed=seed)
    x, y = _xy(dataset)
    design = torch.stack([x, torch.ones_like(x)], dim=1)
    w_star, b_star = torch.linalg.lstsq(design, y.unsqueeze(1)).solution.reshape(-1).tolist()
    limit = lr_stability_limit(dataset)

    fig = new_figure(1, 2, width=4.2, height=3.4)
    ax_loss, ax_path = fig.axes
    losses = run["losses"].numpy()
    ax_loss.plot(run["epochs"].numpy(), np.clip(losses, 1e-12, None), lw=1)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epochs")
    ax_loss.set_ylabel("full-data MSE")
    ax_loss.set_xlim(0, epochs)
    k = run["steps_per_epoch"]
    ax_loss.set_title(f"B = {batch_size}: {k} step{'' if k == 1 else 's'} per epoch", fontsize=9)

    w_lo, w_hi = min(-1.5, w_star - 3.5), max(4.5, w_star + 2.5)
    b_lo, b_hi = min(-2.0, b_star - 3.0), max(3.5, b_star + 3.5)
    ws, bs = np.linspace(w_lo, w_hi, 80), np.linspace(b_lo, b_hi, 80)
    grid = loss_grid(dataset, ws, bs).numpy()
    levels = np.quantile(grid, np.linspace(0.0, 1.0, 16) ** 2)[1:]
    ax_path.contour(ws, bs, grid, levels=np.unique(levels), cmap="viridis", linewidths=0.7)
    path = run["params"].numpy()
    inside = np.all(np.isfinite(path), axis=1)
    path = path[inside]
    clipped = np.column_stack([np.clip(path[:, 0], w_lo, w_hi), np.clip(path[:, 1], b_lo, b_hi)])
    ax_path.plot(clipped[:, 0], clipped[:, 1], "-", color="tab:red", lw=0.8, alpha=0.8)
    ax_path.plot(*clipped[0], "o", color="black", mfc="none")
    ax_path.plot(*clipped[-1], "x", color="tab:red")
    ax_path.plot(w_star, b_star, "*", color="gold", mec="black", ms=11)
    ax_path.set_xlim(w_lo, w_hi)
    ax_path.set_ylim(b_lo, b_hi)
    ax_path.set_xlabel("w")
    ax_path.set_ylabel("b")
    status = (f"diverged after {run['steps']} steps" if run["diverged"]
              else f"final loss {float(run['losses'][-1]):.3g}")
    ax_path.set_title(f"lr = {lr:g} (full-batch limit {limit:.2f}): {status}", fontsize=9)
    fig.tight_layout()
    return fig


def sgd_explorer(*, max_batch_size=None):
    """The notebook-03 widget: batch-size and learning-rate sliders driving :func:`plot_sgd`.

    Batch sizes are powers of 2 up to the dataset size (each gives a different number of
    steps per epoch); ``lr`` runs from 0.01 to 0.8, past the full-batch stability
    limit (about 0.49) of :func:`widget_dataset`.

    >>> explorer = sgd_explorer()
    >>> sorted(explorer.controls)
    ['batch_size', 'lr']
    """
    import ipywidgets as widgets

    from batchlab.viz.widgets import Explorer

    n = len(widget_dataset())
    if max_batch_size is not None:
        max_batch_size = check_positive_int(max_batch_size, "max_batch_size")
        if max_batch_size > n:
            raise ValueError(f"max_batch_size must be <= {n} (the dataset size), "
                             f"got {max_batch_size}")
        n = max_batch_size
    sizes = [2 ** k for k in range(n.bit_length()) if 2 ** k < n] + [n]  # 1, 2, 4, …, n
    controls = {
        "batch_size": widgets.SelectionSlider(options=sizes, value=8 if 8 in sizes else sizes[0],
                                              description="batch size"),
        "lr": widgets.FloatSlider(value=0.3, min=0.01, max=0.8, step=0.01,
                                  description="lr", readout_format=".2f"),
    }
    return Explorer(lambda batch_size, lr: plot_sgd(batch_size, lr), controls,
                    title="Mini-batch SGD on y = w·x + b")


_AXES = {
    "epochs": ("epochs", False),
    "updates": ("parameter updates + 1 (log scale)", True),
    "samples": ("samples used by the updates + 1 (log scale)", True),
    "seconds": ("measured seconds of training (varies by machine)", False),
}
CLIP = 1e-12  # losses below this are drawn at it (a log axis cannot show 0)
SPARSE = 20  # runs with at most this many points get a marker at every measured point


def _x_values(run, axis):
    import numpy as np

    if axis == "epochs":
        return np.asarray(run["epochs"], dtype=float)
    if axis == "updates":
        return np.asarray(run["epochs"], dtype=float) * run["steps_per_epoch"] + 1
    if axis == "samples":
        return np.asarray(run["samples"], dtype=float) + 1
    return np.asarray(run["seconds"], dtype=float)


def plot_runs(runs, *, ylabel="full-data loss", axes=("epochs", "updates")):
    """Loss of several runs against epochs, parameter updates, samples or measured seconds.

    ``runs`` maps a label (e.g. ``"B = 8"``) to a run: a dict with ``epochs``, ``losses``
    and ``steps_per_epoch`` (what :func:`sgd_run` returns, or a hand-written loop's record),
    plus ``samples`` or ``seconds`` when those axes are asked for. ``axes`` names one panel
    per entry: ``"epochs"``, ``"updates"`` (drawn as updates + 1 on a log axis so the start
    shows), ``"samples"`` (likewise) or ``"seconds"``. The y axes are logarithmic. A run
    with at most 20 points gets a marker at each point: lines between far-apart
    measurements are not measurements. Losses below 1e-12 are drawn at 1e-12 (a log axis
    cannot show 0), and a dotted line labelled so marks that floor whenever it is used.

    >>> from batchlab.data.datasets import LinearRegressionDataset
    >>> ds = LinearRegressionDataset(16, seed=0)
    >>> fig = plot_runs({f"B = {b}": sgd_run(ds, b, 0.1, epochs=2) for b in (1, 16)})
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['epochs', 'parameter updates + 1 (log scale)']
    >>> [len(ax.lines[1].get_marker()) for ax in fig.axes]  # B = 16: 3 points, marked
    [1, 1]
    """
    import numpy as np

    from batchlab.viz.figures import new_figure

    if not isinstance(runs, dict) or not runs:
        raise ValueError("runs must be a non-empty dict: label -> run (a dict with 'epochs', "
                         "'losses' and 'steps_per_epoch')")
    if isinstance(axes, str) or not isinstance(axes, (tuple, list)) or not axes or any(
            a not in _AXES for a in axes):
        raise ValueError(f"axes must be a non-empty tuple of {sorted(_AXES)}, got {axes!r}")
    fig = new_figure(1, len(axes))
    clipped = False
    needed = {"epochs", "losses", "steps_per_epoch"} | ({"samples"} & set(axes)) | (
        {"seconds"} & set(axes))
    for label, run in runs.items():
        if not isinstance(run, dict) or not needed <= set(run):
            raise ValueError(f"runs[{label!r}] must be a dict with {sorted(needed)}")
        raw = np.asarray(run["losses"], dtype=float)
        clipped = clipped or bool((raw < CLIP).any())
        losses = np.clip(raw, CLIP, None)
        style = {"marker": "o", "ms": 3} if len(losses) <= SPARSE else {}
        for ax, axis in zip(fig.axes, axes, strict=True):
            ax.plot(_x_values(run, axis), losses, label=str(label), lw=1, **style)
    for ax, axis in zip(fig.axes, axes, strict=True):
        xlabel, log_x = _AXES[axis]
        ax.set_xlabel(xlabel)
        if log_x:
            ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel(ylabel)
        if clipped:
            ax.axhline(CLIP, color="gray", ls=":", lw=0.8,
                       label=f"losses below {CLIP:g} drawn at {CLIP:g}")
    fig.axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig




# ----------------------------------------------------------------------------- checks


# ----------------------------------------------------------------------------- loops


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
    >>> from batchlab.data.datasets import LinearRegressionDataset
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
