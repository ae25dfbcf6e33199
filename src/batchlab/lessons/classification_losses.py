"""Helpers for the classification-loss notebook: error tables, the BCE stability table, loss
curves, what ``pos_weight`` does to decisions, and the CUDA-autocast rule for ``BCELoss``.

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

import math
from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn as nn

from batchlab._checks import check_real
from batchlab.viz.tables import text_table

__all__ = ["POS_WEIGHTS", "PREVALENCES", "bce_stability", "bce_with_logits_by_hand",
           "binary_losses_explorer", "cuda_autocast_outcomes", "error_rows", "error_table",
           "outcome", "plot_binary_losses", "plot_pos_weight", "pos_weight_decision",
           "pos_weight_explorer", "stability_table"]


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
    from batchlab.viz.figures import new_figure

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
    ax_grad.set(xlabel="logit x", ylabel="d loss / d x",
                title="gradient" if pos_weight == 1 else f"gradient, pos_weight = {pos_weight:g}")
    ax_loss.legend(fontsize=7)
    fig.tight_layout()
    return fig


def binary_losses_explorer():
    """The notebook's widget: ``plot_binary_losses`` under a slider for the range of logits and
    a toggle for the target.

    >>> ex = binary_losses_explorer()
    >>> sorted(ex.controls)
    ['limit', 'target']
    """
    import ipywidgets as w

    from batchlab.viz.widgets import Explorer

    controls = {
        "limit": w.IntSlider(value=30, min=10, max=100, step=10, description="|x| up to"),
        "target": w.ToggleButtons(options=[0, 1], value=0, description="target y"),
    }
    return Explorer(plot_binary_losses, controls,
                    title="BCELoss(sigmoid(x)) vs BCEWithLogitsLoss(x)")


# ----------------------------------------------------------------------------- pos_weight
POS_WEIGHTS = (0.25, 0.5, 1, 2, 4, 9, 19, 49)
PREVALENCES = (0.01, 0.05, 0.1, 0.25, 0.5)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def pos_weight_decision(pos_weight: float, prevalence: float, *,
                        separation: float = 2.0) -> dict:
    """What the loss-minimising model decides under ``BCEWithLogitsLoss(pos_weight=...)``.

    The population: one feature ``x``, negatives ``~ N(0, 1)``, positives
    ``~ N(separation, 1)``, a share ``prevalence`` of positives. The true log-odds are
    ``logit q(x) = separation * x - separation**2 / 2 + log(prevalence / (1 - prevalence))``.
    Minimising the expected loss ``pos_weight * q * softplus(-z) + (1 - q) * softplus(z)``
    over ``z`` gives ``z = logit q(x) + log(pos_weight)``: the weighted model says
    "positive" (``z > 0``) exactly where ``q(x) > 1 / (1 + pos_weight)``, i.e. for
    ``x > threshold``. Returns a dict of Python floats: ``threshold`` (in ``x``),
    ``cut`` (``1 / (1 + pos_weight)``, on the true probability), and the population's
    ``recall``, ``precision`` and ``false_positive_rate`` of that decision.

    >>> d = pos_weight_decision(1.0, 0.5)
    >>> d["threshold"], d["cut"], round(d["recall"], 4), round(d["precision"], 4)
    (1.0, 0.5, 0.8413, 0.8413)
    >>> pos_weight_decision(4.0, 0.5)["threshold"] < 1.0          # more positives called
    True
    """
    pos_weight = check_real(pos_weight, "pos_weight")
    if pos_weight <= 0:
        raise ValueError(f"pos_weight must be > 0, got {pos_weight}")
    prevalence = check_real(prevalence, "prevalence")
    if not 0.0 < prevalence < 1.0:
        raise ValueError(f"prevalence must be strictly between 0 and 1, got {prevalence}")
    separation = check_real(separation, "separation")
    if separation <= 0:
        raise ValueError(f"separation must be > 0, got {separation}")
    prior_logit = math.log(prevalence / (1.0 - prevalence))
    threshold = (separation ** 2 / 2 - prior_logit - math.log(pos_weight)) / separation
    recall = 1.0 - _normal_cdf(threshold - separation)
    fpr = 1.0 - _normal_cdf(threshold)
    called = prevalence * recall + (1.0 - prevalence) * fpr
    precision = prevalence * recall / called if called > 0 else float("nan")
    return {"threshold": threshold, "cut": 1.0 / (1.0 + pos_weight), "recall": recall,
            "precision": precision, "false_positive_rate": fpr}


def plot_pos_weight(pos_weight: float = 1, prevalence: float = 0.05):
    """Where ``BCEWithLogitsLoss(pos_weight=...)`` puts the decision, and what it costs.

    The population of :func:`pos_weight_decision` (one feature, two unit-variance
    Gaussians two apart). Left: the class densities scaled by their shares; shaded, what
    the loss-minimising model calls positive (its true and its false positives). Right:
    the true probability ``q(x)`` and the weighted model's ``sigmoid(z(x))``; the model's
    0.5 line and the cut ``1 / (1 + pos_weight)`` on ``q`` meet at the same ``x``.
    Returns a closed ``Figure``.

    >>> fig = plot_pos_weight(19, 0.05)
    >>> fig.axes[1].get_title()
    'recall 0.84, precision 0.22'
    """
    from batchlab.viz.figures import new_figure

    d = pos_weight_decision(pos_weight, prevalence)
    separation = 2.0
    x = torch.linspace(-4.0, 6.0, 401, dtype=torch.float64)
    density = torch.exp(-x ** 2 / 2) / math.sqrt(2 * math.pi)
    negatives = (1 - prevalence) * density
    positives = prevalence * torch.exp(-(x - separation) ** 2 / 2) / math.sqrt(2 * math.pi)
    true_logit = separation * x - separation ** 2 / 2 + math.log(prevalence / (1 - prevalence))
    fig = new_figure(1, 2, width=3.8, height=3.0)
    ax, ax_p = fig.axes
    ax.plot(x, negatives, label=f"negatives ({1 - prevalence:.0%})")
    ax.plot(x, positives, label=f"positives ({prevalence:.0%})")
    called = x > d["threshold"]
    ax.fill_between(x[called], 0, negatives[called], alpha=0.3, color="tab:blue",
                    label="false positives")
    ax.fill_between(x[called], 0, positives[called], alpha=0.5, color="tab:orange",
                    label="true positives")
    ax.axvline(d["threshold"], color="tab:red", linewidth=1)
    ax.set(xlabel="feature x", ylabel="density × share",
           title=f"pos_weight {pos_weight:g}: positive for x > {d['threshold']:.2f}")
    ax.legend(fontsize=7, loc="upper left")
    ax_p.plot(x, torch.sigmoid(true_logit), "--", label="true q(x)")
    ax_p.plot(x, torch.sigmoid(true_logit + math.log(pos_weight)),
              label="weighted model σ(z)")
    ax_p.axhline(0.5, color="grey", linewidth=1, linestyle=":")
    ax_p.axhline(d["cut"], color="tab:red", linewidth=1, linestyle=":",
                 label=f"1 / (1 + pos_weight) = {d['cut']:.2f}")
    ax_p.axvline(d["threshold"], color="tab:red", linewidth=1)
    ax_p.set(xlabel="feature x", ylabel="probability of positive", ylim=(-0.02, 1.02),
             title=f"recall {d['recall']:.2f}, precision {d['precision']:.2f}")
    ax_p.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def pos_weight_explorer():
    """The notebook's widget: ``plot_pos_weight`` under sliders for ``pos_weight`` and the
    share of positives.

    >>> ex = pos_weight_explorer()
    >>> sorted(ex.controls)
    ['pos_weight', 'prevalence']
    """
    import ipywidgets as w

    from batchlab.viz.widgets import Explorer

    controls = {
        "pos_weight": w.SelectionSlider(options=list(POS_WEIGHTS), value=1,
                                        description="pos_weight"),
        "prevalence": w.SelectionSlider(options=list(PREVALENCES), value=0.05,
                                        description="positives"),
    }
    return Explorer(plot_pos_weight, controls,
                    title="BCEWithLogitsLoss(pos_weight): where the decision moves")


# ----------------------------------------------------------------------------- autocast
def cuda_autocast_outcomes() -> dict:
    """What ``BCELoss`` and ``BCEWithLogitsLoss`` do under CUDA autocast, in this torch.

    With a CUDA device, both losses are called inside ``torch.autocast("cuda",
    dtype=torch.float16)`` and ``source`` says so. Without one, the kernels that this
    torch build registers for CUDA autocast (the ``AutocastCUDA`` dispatch key) are
    called directly on CPU tensors, through the dispatcher's ``redispatch``: the same
    kernel a GPU run would reach first. If this torch has no such private API, the two
    outcomes are ``None``. Each outcome is a line from :func:`outcome`.

    >>> sorted(cuda_autocast_outcomes())
    ['BCELoss', 'BCEWithLogitsLoss', 'source']
    """
    probs, targets = torch.tensor([0.2, 0.9]), torch.tensor([0.0, 1.0])
    logits = torch.log(probs / (1 - probs))
    if torch.cuda.is_available():
        probs, targets, logits = probs.cuda(), targets.cuda(), logits.cuda()
        with torch.autocast("cuda", dtype=torch.float16):
            return {"BCELoss": outcome(lambda: nn.BCELoss()(probs, targets)),
                    "BCEWithLogitsLoss": outcome(lambda: nn.BCEWithLogitsLoss()(logits, targets)),
                    "source": "ran under torch.autocast('cuda') on this machine's GPU"}
    try:
        keyset = torch._C.DispatchKeySet(torch._C.DispatchKey.AutocastCUDA)
        bce = torch.ops.aten.binary_cross_entropy.default
        bce_logits = torch.ops.aten.binary_cross_entropy_with_logits.default
    except (AttributeError, RuntimeError):
        return {"BCELoss": None, "BCEWithLogitsLoss": None,
                "source": "no CUDA device, and this torch has no dispatcher API to ask"}
    mean = 1  # the reduction code for "mean"
    return {"BCELoss": outcome(lambda: bce.redispatch(keyset, probs, targets, None, mean)),
            "BCEWithLogitsLoss": outcome(
                lambda: bce_logits.redispatch(keyset, logits, targets, None, None, mean)),
            "source": "no CUDA device: called the kernels registered for CUDA autocast"}
