"""Helpers for the classification-loss notebook: error tables, the BCE stability table, loss curves.

``error_rows`` calls each case and records what happened (the value, or the
exception's type and message), so a notebook can show torch's real error messages
without a single raising cell:

>>> rows = error_rows({"fine": lambda: 1 + 1, "bad": lambda: int("x")})
>>> rows[0]
('fine', 'no error -> 2')
>>> rows[1][1]
"ValueError: invalid literal for int() with base 10: 'x'"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn as nn

from ._checks import check_real
from .tables import text_table

__all__ = [
    "bce_stability",
    "bce_with_logits_by_hand",
    "binary_losses_explorer",
    "error_rows",
    "error_table",
    "outcome",
    "plot_binary_losses",
    "stability_table",
]


def _summary(value) -> str:
    if isinstance(value, torch.Tensor):
        if value.numel() == 1:
            return f"loss = {value.item():.4g}"
        return f"tensor of shape {list(value.shape)}"
    return repr(value)


def outcome(fn: Callable[[], object]) -> str:
    """Call ``fn()`` and describe what happened in one line.

    An exception becomes ``"TypeName: message"`` (the message's first line); a
    return value becomes ``"no error -> ..."`` (a one-element tensor as its rounded value).

    >>> outcome(lambda: torch.tensor(0.123456))
    'no error -> loss = 0.1235'
    >>> outcome(lambda: [][1])
    'IndexError: list index out of range'
    """
    if not callable(fn):
        raise TypeError(f"fn must be a callable taking no arguments, got {type(fn).__name__}")
    try:
        value = fn()
    except Exception as err:  # every error is the point here: we show it, not raise it
        message = str(err).strip().splitlines()
        return f"{type(err).__name__}: {message[0] if message else ''}".rstrip()
    return f"no error -> {_summary(value)}"


def error_rows(cases: Mapping[str, Callable[[], object]]) -> list[tuple[str, str]]:
    """``[(name, outcome(fn)), ...]`` for every ``name -> fn`` in ``cases``, in order.

    >>> error_rows({"empty list": lambda: [][0]})
    [('empty list', 'IndexError: list index out of range')]
    """
    if not isinstance(cases, Mapping) or not cases:
        raise ValueError("cases must be a non-empty mapping of name -> callable with no arguments")
    rows = []
    for name, fn in cases.items():
        if not isinstance(name, str):
            raise TypeError(f"cases keys must be strings, got {type(name).__name__} {name!r}")
        if not callable(fn):
            raise TypeError(f"cases[{name!r}] must be callable, got {type(fn).__name__}")
        rows.append((name, outcome(fn)))
    return rows


def error_table(cases: Mapping[str, Callable[[], object]]) -> str:
    """``error_rows(cases)`` as a two-column text table (case, what torch says).

    >>> print(error_table({"1 / 0": lambda: 1 / 0}))
    case  | what happens
    ------+------------------------------------
    1 / 0 | ZeroDivisionError: division by zero
    """
    return text_table(error_rows(cases), ("case", "what happens"))


def bce_with_logits_by_hand(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Element-wise binary cross-entropy from logits, written the stable way.

    ``-[y log σ(x) + (1 - y) log(1 - σ(x))]`` equals ``log(1 + e^x) - y x``, and
    ``log(1 + e^x) = max(x, 0) + log1p(e^(-|x|))`` never exponentiates a positive
    number, so it cannot overflow (the log-sum-exp trick for ``log(e^0 + e^x)``).

    >>> x, y = torch.tensor([-100.0, 0.0, 100.0]), torch.tensor([1.0, 1.0, 0.0])
    >>> bce_with_logits_by_hand(x, y).tolist()
    [100.0, 0.6931471824645996, 100.0]
    """
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError("logits must be a floating-point tensor")
    if not isinstance(targets, torch.Tensor):
        raise TypeError(f"targets must be a tensor, got {type(targets).__name__}")
    return logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))


def bce_stability(logits: Sequence[float], targets: Sequence[float]) -> list[dict]:
    """For each pair ``(x, y)``: loss and gradient d loss / d x three ways.

    ``bce``: ``BCELoss()(sigmoid(x), y)`` in float32; ``logits``:
    ``BCEWithLogitsLoss()(x, y)`` in float32; ``exact``: the stable formula in float64
    (gradient ``sigmoid(x) - y``). Each row is a dict with keys ``x, y, bce_loss,
    bce_grad, logits_loss, logits_grad, exact_loss, exact_grad`` (Python floats).

    >>> row = bce_stability([20.0], [0.0])[0]
    >>> row["bce_loss"], row["logits_loss"], row["bce_grad"], row["logits_grad"]
    (100.0, 20.0, 0.0, 1.0)
    """
    xs = [check_real(v, "logits[i]") for v in logits]
    ys = [check_real(v, "targets[i]", minimum=0.0, maximum=1.0) for v in targets]
    if len(xs) != len(ys) or not xs:
        raise ValueError(f"logits and targets must be non-empty and of equal length, "
                         f"got {len(xs)} and {len(ys)}")
    rows = []
    for x0, y0 in zip(xs, ys, strict=True):
        y = torch.tensor([y0])
        out = {"x": x0, "y": y0}
        for key in ("bce", "logits"):
            x = torch.tensor([x0], requires_grad=True)
            loss = (nn.BCELoss()(torch.sigmoid(x), y) if key == "bce"
                    else nn.BCEWithLogitsLoss()(x, y))
            loss.backward()
            out[f"{key}_loss"], out[f"{key}_grad"] = loss.item(), x.grad.item()
        x64 = torch.tensor([x0], dtype=torch.float64)
        out["exact_loss"] = bce_with_logits_by_hand(x64, y.double()).item()
        out["exact_grad"] = (torch.sigmoid(x64) - y.double()).item()
        rows.append(out)
    return rows


def stability_table(logits: Sequence[float], targets: Sequence[float], *,
                    digits: int = 4) -> str:
    """``bce_stability`` as a text table, numbers to ``digits`` significant digits.

    >>> table = stability_table([-50.0], [1.0])
    >>> [c.strip() for c in table.splitlines()[0].split(" | ")][:4]
    ['x', 'y', 'BCELoss(sigmoid)', 'its grad']
    >>> [c.strip() for c in table.splitlines()[2].split(" | ")][:4]
    ['-50', '1', '50', '-1.929e-10']
    """
    rows = [(f"{r['x']:g}", f"{r['y']:g}", f"{r['bce_loss']:.{digits}g}",
             f"{r['bce_grad']:.{digits}g}", f"{r['logits_loss']:.{digits}g}",
             f"{r['logits_grad']:.{digits}g}", f"{r['exact_loss']:.{digits}g}",
             f"{r['exact_grad']:.{digits}g}") for r in bce_stability(logits, targets)]
    headers = ("    x", "y", "BCELoss(sigmoid)", "its grad", "BCEWithLogits", "its grad",
               "exact (float64)", "exact grad")
    return text_table(rows, headers)


def plot_binary_losses(limit: float = 30.0, target: int = 0, pos_weight: float = 1.0):
    """Loss and gradient against the logit ``x`` for one target, two ways (a closed ``Figure``).

    Dashed: ``BCELoss(sigmoid(x))``; solid: ``BCEWithLogitsLoss(pos_weight=...)``
    (``BCELoss`` gets the same weighting through ``weight=pos_weight`` on positives).
    Both in float32, for ``x`` in ``[-limit, limit]``. Where the dashed line leaves the
    solid one, float32 ``sigmoid`` has rounded to exactly 0 or 1.

    >>> fig = plot_binary_losses(limit=50, target=1, pos_weight=2.0)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['logit x', 'logit x']
    """
    from .plots import new_figure

    limit = check_real(limit, "limit", minimum=1.0)
    pos_weight = check_real(pos_weight, "pos_weight", minimum=0.0)
    if target not in (0, 1) or isinstance(target, bool):
        raise ValueError(f"target must be 0 or 1, got {target!r}")
    x = torch.linspace(-limit, limit, 401)
    y = torch.full_like(x, float(target))
    weight = torch.where(y == 1, torch.tensor(pos_weight), torch.tensor(1.0))
    losses = {
        "BCELoss(sigmoid(x))": lambda v: nn.BCELoss(weight=weight, reduction="none")(
            torch.sigmoid(v), y),
        "BCEWithLogitsLoss(x)": lambda v: nn.BCEWithLogitsLoss(
            pos_weight=torch.tensor(pos_weight), reduction="none")(v, y),
    }
    curves = {}
    for name, fn in losses.items():
        v = x.clone().requires_grad_(True)
        per_sample = fn(v)
        per_sample.sum().backward()  # each sample's loss depends only on its own x
        curves[name] = (per_sample.detach(), v.grad)
    fig = new_figure(1, 2)
    ax_loss, ax_grad = fig.axes
    for (name, (values, grads)), style in zip(curves.items(), ("--", "-"), strict=True):
        ax_loss.plot(x, values, style, label=name)
        ax_grad.plot(x, grads, style, label=name)
    ax_loss.set(xlabel="logit x", ylabel="loss", title=f"target y = {target}")
    ax_grad.set(xlabel="logit x", ylabel="d loss / d x", title=f"pos_weight = {pos_weight:g}")
    ax_loss.legend(fontsize=7)
    fig.tight_layout()
    return fig


def binary_losses_explorer():
    """The notebook's widget: ``plot_binary_losses`` under sliders for limit, target, pos_weight.

    >>> ex = binary_losses_explorer()
    >>> sorted(ex.controls)
    ['limit', 'pos_weight', 'target']
    """
    import ipywidgets as w

    from .widgets import Explorer

    controls = {
        "limit": w.IntSlider(value=30, min=10, max=100, step=10, description="|x| up to"),
        "target": w.ToggleButtons(options=[0, 1], value=0, description="target y"),
        "pos_weight": w.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.25,
                                    description="pos_weight"),
    }
    return Explorer(plot_binary_losses, controls,
                    title="BCELoss(sigmoid(x)) vs BCEWithLogitsLoss(x)")
