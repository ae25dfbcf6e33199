"""Tests for batchlab.lessons.samplers: expectations, real draws, the figure and the widget."""

import pytest
import torch
from support import sweep_ends
from torch.utils.data import WeightedRandomSampler

from batchlab.lessons.samplers import (
    PICTURE_WEIGHTS,
    expected_counts,
    plot_six_weighted_draws,
    plot_weighted_draws,
    weighted_draws,
    weighted_draws_explorer,
)


def figure_state(fig):
    """What a figure shows: bar heights and all texts, for comparing two renders."""
    ax = fig.axes[0]
    heights = [round(p.get_height(), 6) for p in ax.patches]
    texts = [t.get_text() for t in ax.texts] + [ax.get_title()]
    return heights, texts


def test_expected_with_replacement():
    e = expected_counts([0, 10, 1, 1, 1, 1], 6, True)
    assert torch.allclose(e, 6 * torch.tensor([0, 10, 1, 1, 1, 1], dtype=torch.double) / 14)


def test_expected_without_replacement_by_hand():
    # two draws from weights (1, 1, 2): P(index 2 drawn) = 2/4 + 2 * (1/4 * 2/3) = 5/6
    e = expected_counts([1, 1, 2], 2, False)
    assert e.tolist() == pytest.approx([7 / 12, 7 / 12, 5 / 6])
    assert e.sum().item() == pytest.approx(2.0)
    assert expected_counts([0, 1, 1], 3, False).tolist() == [0.0, 1.0, 1.0]


def test_expected_without_replacement_matches_torch():
    weights = [5, 1, 1, 3, 0, 2]
    exact = expected_counts(weights, 3, False)
    g = torch.Generator().manual_seed(0)
    sampler = WeightedRandomSampler(weights, 3, replacement=False, generator=g)
    runs = 20000
    counts = torch.bincount(torch.tensor([list(sampler) for _ in range(runs)]).flatten(),
                            minlength=6)
    assert torch.allclose(counts.double() / runs, exact, atol=0.015)


@pytest.mark.parametrize("args, match", [
    (([0, 0], 2, True), "all zero"),
    (([1, 1], 3, False), "exceeds the 2 samples"),
    (([1] * 11, 2, False), "at most 10"),
    (([1, -1], 1, True), ">= 0"),
    (([], 1, True), "non-empty"),
    (([1, 1], 0, True), "num_samples"),
])
def test_expected_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        expected_counts(*args)


def test_weighted_draws_blog_picture():
    out = weighted_draws(PICTURE_WEIGHTS, 6, True, epochs=500)
    assert out["error"] is None and out["note"] == ""
    assert out["observed"][0] == 0 and out["observed"].sum() == 3000
    assert out["observed"][1].item() / 3000 == pytest.approx(10 / 14, abs=0.03)
    assert len(out["first_epoch"]) == 6
    again = weighted_draws(PICTURE_WEIGHTS, 6, True, epochs=500)
    assert torch.equal(out["observed"], again["observed"])  # seeded


def test_weighted_draws_edges_are_reported_not_raised():
    out = weighted_draws([0] * 6, 6, True)
    assert out["error"].startswith("RuntimeError: ")  # torch's message follows
    assert out["observed"].tolist() == [0] * 6 and out["expected"] is None
    out = weighted_draws([1] * 6, 12, False)
    assert out["error"].startswith("RuntimeError: ")
    out = weighted_draws([0, 10, 1, 1, 1, 1], 6, False, epochs=50)
    assert out["error"] is None and out["observed"][0] == 50  # torch fills with index 0
    assert "zero-weight indices [0]" in out["note"]


def test_plot_shows_messages():
    _, texts = figure_state(plot_weighted_draws([0, 0, 0], 3, True, epochs=5))
    assert any("iterating the sampler raised\nRuntimeError" in t for t in texts)
    _, texts = figure_state(plot_weighted_draws([0, 1, 1], 3, False, epochs=5))
    assert any("zero-weight" in t for t in texts)
    heights, _ = figure_state(plot_weighted_draws([1, 3], 4, True, epochs=5))
    assert sum(heights[:2]) == 20  # observed bars: 5 epochs x 4 draws


def test_render_all_weights_zero_and_ends():
    _, texts = figure_state(plot_six_weighted_draws(0, 0, 0, 0, 0, 0))
    assert any("Nothing drawn" in t for t in texts)
    figure_state(plot_six_weighted_draws(10, 10, 10, 10, 10, 10, num_samples=12, replacement=False))
    heights, _ = figure_state(plot_six_weighted_draws(epochs=10))
    assert sum(heights[:6]) == 60  # observed bars: 10 epochs x 6 draws


def test_explorer_num_samples_never_raises_without_replacement():
    ex = weighted_draws_explorer()
    top = ex.controls["num_samples"].max
    assert top == len(PICTURE_WEIGHTS)
    _, texts = figure_state(plot_six_weighted_draws(num_samples=top, replacement=False))
    assert not any("Nothing drawn" in t for t in texts)  # a full epoch, not an error


def test_explorer_every_control_at_both_ends():
    ex = weighted_draws_explorer()
    assert set(ex.controls) == {"w0", "w1", "w2", "w3", "w4", "w5", "num_samples",
                                "replacement", "epochs"}
    for name, (low, high) in sweep_ends(ex, figure_state).items():
        assert low != high, name
    assert figure_state(ex.last_result) == figure_state(plot_six_weighted_draws())
