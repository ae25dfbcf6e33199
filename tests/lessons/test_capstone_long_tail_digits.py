"""batchlab.lessons.capstone_long_tail_digits: logit adjustment and the recall plots."""


import numpy as np
import pytest
import torch
from support import slider_ends, sweep_ends

from batchlab.lessons.capstone_long_tail_digits import (
    adjust_logits,
    plot_head_to_tail,
    plot_recall,
    recall_explorer,
)


# ------------------------------------------------------------------------ adjust_logits
def test_adjust_logits_subtracts_tau_log_prior():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 3, generator=g)
    prior = torch.tensor([0.7, 0.2, 0.1])
    for tau in (0.0, 0.5, 1.0, 2.0):
        assert torch.allclose(adjust_logits(logits, prior, tau), logits - tau * prior.log())
    assert torch.equal(adjust_logits(logits, prior, tau=0), logits)
    assert torch.allclose(adjust_logits(logits, [0.7, 0.2, 0.1]), adjust_logits(logits, prior))
    assert torch.allclose(adjust_logits(logits, np.array([0.7, 0.2, 0.1])),
                          adjust_logits(logits, prior))


def test_adjust_logits_removes_the_prior_from_bayes_scores():
    # Scores log p(x|y) + log pi + a per-row constant: the adjustment leaves log p(x|y) + const,
    # whose argmax is the balanced-error decision.
    g = torch.Generator().manual_seed(1)
    log_lik = torch.randn(100, 4, generator=g, dtype=torch.float64)
    prior = torch.tensor([0.55, 0.25, 0.15, 0.05], dtype=torch.float64)
    scores = log_lik + prior.log() + torch.randn(100, 1, generator=g, dtype=torch.float64)
    adjusted = adjust_logits(scores, prior)
    diff = adjusted - log_lik
    assert torch.allclose(diff, diff[:, :1].expand_as(diff))
    assert torch.equal(adjusted.argmax(dim=1), log_lik.argmax(dim=1))
    assert not torch.equal(scores.argmax(dim=1), log_lik.argmax(dim=1))


def test_adjust_logits_keeps_dtype_shape_and_a_uniform_prior_changes_nothing():
    logits = torch.randn(2, 5, 4, dtype=torch.float64)
    out = adjust_logits(logits, torch.full((4,), 0.25))
    assert out.dtype == torch.float64 and out.shape == logits.shape
    assert torch.allclose(out.softmax(dim=-1), logits.softmax(dim=-1))
    one = adjust_logits(torch.tensor([1.5, 0.0]), [0.9, 0.1])
    assert one.argmax().item() == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_adjust_logits_on_the_gpu():
    logits = torch.randn(3, 2, device="cuda")
    assert adjust_logits(logits, [0.5, 0.5]).device == logits.device


@pytest.mark.parametrize("logits, prior, tau, exc, word", [
    ([[1.0, 2.0]], [0.5, 0.5], 1.0, TypeError, "logits"),
    (torch.tensor([[1, 2]]), [0.5, 0.5], 1.0, TypeError, "logits"),
    (torch.tensor(1.0), [1.0], 1.0, ValueError, "class dimension"),
    (torch.zeros(2, 3), [0.5, 0.5], 1.0, ValueError, "one entry per class"),
    (torch.zeros(2, 2), [90, 10], 1.0, ValueError, "sum to 1"),
    (torch.zeros(2, 2), [1.0, 0.0], 1.0, ValueError, "positive"),
    (torch.zeros(2, 2), [0.5, 0.5], -1.0, ValueError, "tau"),
    (torch.zeros(2, 2), "uniform", 1.0, TypeError, "class_prior"),
    (torch.zeros(2, 2), [0.5, 0.5], "1", TypeError, "tau"),
])
def test_adjust_logits_rejects_bad_input(logits, prior, tau, exc, word):
    with pytest.raises(exc, match=word):
        adjust_logits(logits, prior, tau)


# ------------------------------------------------------------------------ figures and widget
RECALLS = {
    1: {"plain CE": [[0.98] * 4, [0.96] * 4]},
    10: {"plain CE": [[1.0, 0.9, 0.8, 0.6], [1.0, 0.9, 0.7, 0.5]],
         "logit-adjusted loss": [[0.95, 0.9, 0.85, 0.8], [0.97, 0.9, 0.8, 0.7]]},
    50: {"plain CE": [[1.0, 0.9, 0.5, 0.2], [1.0, 0.8, 0.4, 0.1]],
         "logit-adjusted loss": [[0.95, 0.9, 0.7, 0.5], [0.9, 0.9, 0.6, 0.4]],
         "WeightedRandomSampler": [[0.97, 0.9, 0.6, 0.3], [0.98, 0.8, 0.6, 0.4]]},
}
SIZES = {1: [10, 10, 10, 10], 10: [10, 5, 2, 1], 50: [50, 12, 3, 1]}


def test_head_to_tail_draws_one_line_per_method_and_one_panel_per_rho():
    fig = plot_head_to_tail(RECALLS, SIZES, [10, 50], ["plain CE", "logit-adjusted loss"])
    assert [ax.get_title() for ax in fig.axes] == ["ρ = 10", "ρ = 50"]
    assert all(len(ax.lines) == 2 for ax in fig.axes)
    means = fig.axes[1].lines[0].get_ydata()
    assert np.allclose(means, np.mean(RECALLS[50]["plain CE"], axis=0))
    assert fig.axes[0].get_xticklabels()[3].get_text() == "3\n1"


@pytest.mark.parametrize("rhos, methods, word", [
    ([5], ["plain CE"], "rhos"),
    ([50], ["nope"], "nope"),
    ([1, 50], ["logit-adjusted loss"], "logit-adjusted loss"),
    ([50], [], "methods"),
])
def test_head_to_tail_rejects_unknown_keys(rhos, methods, word):
    with pytest.raises(ValueError, match=word):
        plot_head_to_tail(RECALLS, SIZES, rhos, methods)


def test_recall_view_bars_reference_and_title():
    fig = plot_recall(RECALLS, SIZES, 50, "logit-adjusted loss")
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert np.allclose(heights, np.mean(RECALLS[50]["logit-adjusted loss"], axis=0))
    assert len(ax.lines) >= 1                      # plain CE as a dashed reference
    balanced = np.mean(RECALLS[50]["logit-adjusted loss"])      # mean recall, then over seeds
    assert f"balanced accuracy {balanced:.3f}" in ax.get_title() and round(balanced, 3) == 0.731
    alone = plot_recall(RECALLS, SIZES, 50, "plain CE")
    assert not any(line.get_linestyle() == "--" for line in alone.axes[0].lines)
    with pytest.raises(ValueError, match="rho"):
        plot_recall(RECALLS, SIZES, 20, "plain CE")
    with pytest.raises(ValueError, match="method"):
        plot_recall(RECALLS, SIZES, 1, "logit-adjusted loss")
    with pytest.raises(ValueError, match="counts"):
        plot_recall(RECALLS, {1: [10] * 4}, 50, "plain CE")
    with pytest.raises(ValueError, match=r"\[seeds, C\]"):
        plot_recall({50: {"plain CE": [[1.0, 0.5]]}}, {50: [9, 3, 1]}, 50, "plain CE")


def summary(result):
    if isinstance(result, str):
        return result
    ax = result.axes[0]
    return ax.get_title(), tuple(round(p.get_height(), 6) for p in ax.patches)


def test_explorer_works_at_both_ends_of_every_control():
    ex = recall_explorer(RECALLS, SIZES)
    assert slider_ends(ex.controls["rho"]) == [1, 50]
    assert slider_ends(ex.controls["method"]) == ["plain CE", "WeightedRandomSampler"]
    seen = sweep_ends(ex, summary)
    for name, (low, high) in seen.items():
        assert low != high, f"moving {name} changed nothing"
    ex.controls["method"].value = "WeightedRandomSampler"
    ex.controls["rho"].value = 1
    assert isinstance(ex.last_result, str) and "not trained at ρ = 1" in ex.last_result
    ex.controls["rho"].value = 50
    assert "WeightedRandomSampler" in ex.last_result.axes[0].get_title()


def test_explorer_rejects_bad_results():
    with pytest.raises(TypeError, match="recalls"):
        recall_explorer({}, SIZES)
    with pytest.raises(ValueError, match="counts"):
        recall_explorer(RECALLS, {1: [10] * 4})
