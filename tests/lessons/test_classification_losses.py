"""Tests for batchlab.lessons.classification_losses: outcomes, tables, the stability
comparison, the loss-curve widget,
the pos_weight decision rule and its widget, the CUDA-autocast rule."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import sweep_ends

from batchlab.lessons import classification_losses as losses


def test_outcome_reports_errors_and_values():
    assert losses.outcome(lambda: torch.tensor([2.5])) == "no error -> loss = 2.5"
    assert losses.outcome(lambda: torch.zeros(2, 3)) == "no error -> tensor of shape [2, 3]"
    assert losses.outcome(lambda: "x") == "no error -> 'x'"
    assert losses.outcome(lambda: {}["k"]) == "KeyError: 'k'"


def test_outcome_keeps_only_first_line_of_message():
    def fail():
        raise RuntimeError("first line\nsecond line")

    assert losses.outcome(fail) == "RuntimeError: first line"


def test_outcome_shows_torch_errors_by_type():
    # the type is behaviour; the message is torch's wording and may change between releases
    text = losses.outcome(lambda: F.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 3])))
    assert text.startswith("IndexError: ") and "\n" not in text


def test_outcome_rejects_non_callable():
    with pytest.raises(TypeError, match="fn must be a callable"):
        losses.outcome(42)


def test_error_rows_keeps_order_and_names():
    rows = losses.error_rows({"b": lambda: 1, "a": lambda: 1 / 0})
    assert [name for name, _ in rows] == ["b", "a"]
    assert rows[1][1].startswith("ZeroDivisionError")


@pytest.mark.parametrize("bad, error", [({}, ValueError), ([("a", print)], ValueError),
                                        ({1: print}, TypeError), ({"a": 3}, TypeError)])
def test_error_rows_rejects_bad_cases(bad, error):
    with pytest.raises(error, match="cases"):
        losses.error_rows(bad)


def test_error_table_has_header_and_one_line_per_case():
    table = losses.error_table({"ok": lambda: 1, "bad": lambda: [][0]})
    lines = table.splitlines()
    assert lines[0].startswith("case") and len(lines) == 4
    assert "IndexError: list index out of range" in lines[3]


@pytest.mark.parametrize("x", [-100.0, -30.0, -1.0, 0.0, 2.5, 30.0, 100.0])
@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
def test_bce_by_hand_matches_torch(x, y):
    xs, ys = torch.tensor([x], dtype=torch.float64), torch.tensor([y], dtype=torch.float64)
    want = F.binary_cross_entropy_with_logits(xs, ys, reduction="none")
    assert torch.allclose(losses.bce_with_logits_by_hand(xs, ys), want)
    exact = max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))
    assert math.isclose(losses.bce_with_logits_by_hand(xs, ys).item(), exact, rel_tol=1e-12)


def test_bce_by_hand_checks_types():
    with pytest.raises(TypeError, match="logits"):
        losses.bce_with_logits_by_hand(torch.tensor([1]), torch.tensor([1.0]))
    with pytest.raises(TypeError, match="targets"):
        losses.bce_with_logits_by_hand(torch.tensor([1.0]), [1.0])


def test_bce_stability_shows_the_clamp_and_lost_gradients():
    rows = losses.bce_stability([20.0, -50.0, 1.0], [0.0, 1.0, 1.0])
    confident_wrong, underflow, normal = rows
    assert confident_wrong["bce_loss"] == 100.0 and confident_wrong["bce_grad"] == 0.0
    assert math.isclose(confident_wrong["logits_loss"], 20.0, rel_tol=1e-6)
    assert math.isclose(confident_wrong["logits_grad"], 1.0, rel_tol=1e-6)
    assert abs(underflow["bce_grad"]) < 1e-9 and math.isclose(underflow["logits_grad"], -1.0)
    for key in ("bce_loss", "logits_loss"):
        assert math.isclose(normal[key], normal["exact_loss"], rel_tol=1e-5)
    for key in ("bce_grad", "logits_grad"):
        assert math.isclose(normal[key], normal["exact_grad"], rel_tol=1e-5)


@pytest.mark.parametrize("xs, ys, error", [([], [], ValueError), ([1.0], [0.0, 1.0], ValueError),
                                           ([1.0], [2.0], ValueError), (["a"], [1.0], TypeError)])
def test_bce_stability_rejects_bad_input(xs, ys, error):
    with pytest.raises(error):
        losses.bce_stability(xs, ys)


def test_stability_table_has_one_row_per_pair():
    table = losses.stability_table([5.0, -5.0], [0.0, 1.0])
    assert len(table.splitlines()) == 4
    assert table.splitlines()[2].split("|")[0].strip() == "5"


def _curves(fig):
    return [np.asarray(line.get_ydata()) for ax in fig.axes for line in ax.get_lines()]


def test_plot_binary_losses_curves_agree_for_small_logits():
    fig = losses.plot_binary_losses(limit=10, target=1, pos_weight=2.0)
    bce_loss, logits_loss, bce_grad, logits_grad = _curves(fig)
    np.testing.assert_allclose(bce_loss, logits_loss, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bce_grad, logits_grad, rtol=1e-3, atol=1e-5)
    assert logits_grad.min() == pytest.approx(-2.0, abs=1e-3)  # pos_weight scales the gradient


def test_plot_binary_losses_shows_the_break_for_large_logits():
    bce_loss, logits_loss, bce_grad, logits_grad = _curves(
        losses.plot_binary_losses(limit=100, target=0))
    assert bce_loss.max() == 100.0 and logits_loss.max() == pytest.approx(100.0)
    assert bce_grad[-1] == 0.0 and logits_grad[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs, error", [({"limit": 0.5}, ValueError),
                                           ({"target": 2}, ValueError),
                                           ({"target": True}, ValueError),
                                           ({"pos_weight": -1.0}, ValueError),
                                           ({"limit": "10"}, TypeError)])
def test_plot_binary_losses_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        losses.plot_binary_losses(**kwargs)


def test_binary_losses_explorer_every_control_at_both_ends():
    explorer = losses.binary_losses_explorer()
    assert sorted(explorer.controls) == ["limit", "target"]
    for name, (low, high) in sweep_ends(explorer, _curves).items():
        assert any(not np.array_equal(a, b) for a, b in zip(low, high, strict=True)), name


# ----------------------------------------------------------------------------- pos_weight
@pytest.mark.parametrize("pos_weight", losses.POS_WEIGHTS)
@pytest.mark.parametrize("prevalence", losses.PREVALENCES)
def test_pos_weight_decision_is_the_threshold_rule(pos_weight, prevalence):
    d = losses.pos_weight_decision(pos_weight, prevalence)
    assert d["cut"] == pytest.approx(1 / (1 + pos_weight))
    # at the threshold the true probability q(x) equals the cut 1 / (1 + pos_weight)
    t = d["threshold"]
    true_logit = 2.0 * t - 2.0 + math.log(prevalence / (1 - prevalence))
    assert 1 / (1 + math.exp(-true_logit)) == pytest.approx(d["cut"], rel=1e-9)
    assert 0.0 <= d["false_positive_rate"] <= d["recall"] <= 1.0


def test_pos_weight_decision_minimises_the_weighted_loss():
    # brute force: the logit minimising pos_weight*q*softplus(-z) + (1-q)*softplus(z)
    pos_weight, q = 4.0, 0.15
    z = torch.linspace(-10, 10, 200_001, dtype=torch.float64)
    loss = pos_weight * q * F.softplus(-z) + (1 - q) * F.softplus(z)
    best = float(z[loss.argmin()])
    assert best == pytest.approx(math.log(q / (1 - q)) + math.log(pos_weight), abs=1e-3)


def test_pos_weight_trades_precision_for_recall():
    rows = [losses.pos_weight_decision(w, 0.05) for w in losses.POS_WEIGHTS]
    recalls, precisions = [r["recall"] for r in rows], [r["precision"] for r in rows]
    assert recalls == sorted(recalls) and precisions == sorted(precisions, reverse=True)
    # the docs' recipe negatives / positives puts the boundary half-way between the classes
    assert losses.pos_weight_decision(19, 0.05)["threshold"] == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs, error", [({"pos_weight": 0.0}, ValueError),
                                           ({"prevalence": 1.0}, ValueError),
                                           ({"prevalence": 0.0}, ValueError),
                                           ({"separation": -1.0}, ValueError),
                                           ({"pos_weight": "19"}, TypeError)])
def test_pos_weight_decision_rejects_bad_arguments(kwargs, error):
    args = {"pos_weight": 1.0, "prevalence": 0.1} | kwargs
    with pytest.raises(error):
        losses.pos_weight_decision(**args)


def _decision(fig):
    return fig.axes[0].get_title(), fig.axes[1].get_title()


def test_render_pos_weight_marks_the_threshold():
    fig = losses.plot_pos_weight(4, 0.05)
    d = losses.pos_weight_decision(4, 0.05)
    vertical = [line for line in fig.axes[1].get_lines() if len(set(line.get_xdata())) == 1]
    assert vertical and vertical[0].get_xdata()[0] == pytest.approx(d["threshold"])
    assert f"{d['recall']:.2f}" in fig.axes[1].get_title()


def test_pos_weight_explorer_every_control_at_both_ends():
    explorer = losses.pos_weight_explorer()
    assert sorted(explorer.controls) == ["pos_weight", "prevalence"]
    for name, (low, high) in sweep_ends(explorer, _decision).items():
        assert low != high, name
        assert low[1] != high[1], name            # the decision's recall and precision move


# ----------------------------------------------------------------------------- autocast
def test_cuda_autocast_refuses_bce_but_not_bce_with_logits():
    result = losses.cuda_autocast_outcomes()
    assert set(result) == {"BCELoss", "BCEWithLogitsLoss", "source"}
    if result["BCELoss"] is None:
        pytest.skip(result["source"])
    assert result["BCELoss"].startswith("RuntimeError")
    assert result["BCEWithLogitsLoss"].startswith("no error")
