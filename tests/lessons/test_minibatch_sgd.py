import math

import pytest
import torch
from support import slider_ends, sweep_ends

from batchlab.data.datasets import LinearRegressionDataset
from batchlab.lessons.minibatch_sgd import (
    loss_grid,
    lr_stability_limit,
    mse_hessian,
    plot_sgd,
    run_summary,
    sgd_explorer,
    sgd_run,
    widget_dataset,
)


def test_hessian_matches_autograd():
    ds = LinearRegressionDataset(20, noise=0.2, x_range=(0.0, 2.0), seed=3)
    x, y = ds.x.double().view(-1), ds.y.double().view(-1)

    def loss(theta):
        return ((theta[0] * x + theta[1] - y) ** 2).mean()

    hess = torch.autograd.functional.hessian(loss, torch.tensor([0.3, -1.0], dtype=torch.float64))
    torch.testing.assert_close(mse_hessian(ds), hess)
    assert lr_stability_limit(ds) == pytest.approx(2 / torch.linalg.eigvalsh(hess).max().item())


def test_loss_grid_matches_direct_computation():
    ds = LinearRegressionDataset(15, noise=0.4, seed=1)
    ws, bs = [-1.0, 0.5, 2.0], [0.0, 1.5]
    grid = loss_grid(ds, ws, bs)
    assert grid.shape == (2, 3)
    for i, b in enumerate(bs):
        for j, w in enumerate(ws):
            direct = float(((w * ds.x.double() + b - ds.y.double()) ** 2).mean())
            assert grid[i, j].item() == pytest.approx(direct, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("factor, diverges", [(0.95, False), (1.05, True)])
def test_full_batch_gd_diverges_exactly_above_the_stability_limit(factor, diverges):
    ds = LinearRegressionDataset(40, x_range=(0.0, 2.0), seed=0)
    lr = factor * lr_stability_limit(ds)
    run = sgd_run(ds, batch_size=40, lr=lr, epochs=400)
    assert run["diverged"] is diverges
    if not diverges:
        assert run["losses"][-1] < 1e-3 * run["losses"][0]


def test_sgd_run_records_every_step_with_a_real_loader():
    ds = LinearRegressionDataset(10, seed=0)
    run = sgd_run(ds, batch_size=3, lr=0.1, epochs=2, init=(0.0, 0.0))
    assert run["steps_per_epoch"] == 4 and run["steps"] == 8
    assert run["params"].shape == (9, 2) and run["losses"].shape == (9,)
    assert run["params"][0].tolist() == [0.0, 0.0]
    assert run["epochs"][-1].item() == 2.0
    assert run["losses"][-1] < run["losses"][0]
    again = sgd_run(ds, batch_size=3, lr=0.1, epochs=2, init=(0.0, 0.0))
    assert torch.equal(run["params"], again["params"])  # seeded: the same path every time
    other = sgd_run(ds, batch_size=3, lr=0.1, epochs=2, init=(0.0, 0.0), seed=1)
    assert not torch.equal(run["params"], other["params"])


def test_sgd_run_bad_input():
    ds = LinearRegressionDataset(10, seed=0)
    with pytest.raises(ValueError, match="batch_size must be <= len"):
        sgd_run(ds, 11, 0.1)
    with pytest.raises(ValueError, match="batch_size"):
        sgd_run(ds, 0, 0.1)
    with pytest.raises(ValueError, match="lr must be > 0"):
        sgd_run(ds, 2, 0.0)
    with pytest.raises(ValueError, match="lr must be finite"):
        sgd_run(ds, 2, math.inf)
    with pytest.raises(TypeError, match="init"):
        sgd_run(ds, 2, 0.1, init=1.0)
    with pytest.raises(TypeError, match="dataset"):
        sgd_run(42, 2, 0.1)


def test_render_at_both_ends_of_every_control():
    explorer = sgd_explorer()
    defaults = explorer.values
    titles = {}
    for name, control in explorer.controls.items():
        for value in slider_ends(control):
            fig = plot_sgd(**{**defaults, name: value})
            titles[(name, value)] = [ax.get_title() for ax in fig.axes]
    lo, hi = explorer.controls["lr"].min, explorer.controls["lr"].max
    assert titles[("lr", lo)] != titles[("lr", hi)]
    assert "diverged" in titles[("lr", hi)][1]
    assert "diverged" not in titles[("lr", lo)][1]
    b_lo, b_hi = slider_ends(explorer.controls["batch_size"])
    assert titles[("batch_size", b_lo)][0] == "B = 1: 64 steps per epoch"
    assert titles[("batch_size", b_hi)][0] == "B = 64: 1 step per epoch"


def test_explorer_changes_with_every_control_and_never_raises():
    explorer = sgd_explorer()
    titles = sweep_ends(explorer, lambda fig: [ax.get_title() for ax in fig.axes])
    for name, (low, high) in titles.items():
        assert low != high, name
    top = sgd_run(widget_dataset(), 64, explorer.controls["lr"].max)   # full batch, top lr
    assert top["losses"][-1] > 10 * top["losses"][0]                     # past the limit: grows


def test_batch_size_slider_gives_a_different_step_count_at_every_position():
    explorer = sgd_explorer()
    sizes = list(explorer.controls["batch_size"].options)
    assert sizes == [1, 2, 4, 8, 16, 32, 64]
    assert len({math.ceil(64 / b) for b in sizes}) == len(sizes)
    lr = explorer.controls["lr"]
    assert lr.min < lr_stability_limit(widget_dataset()) < lr.max < 1.7 * lr_stability_limit(
        widget_dataset())


def test_sgd_run_stop_below_and_replacement():
    ds = LinearRegressionDataset(20, seed=0)
    full = sgd_run(ds, 4, lr=0.5, epochs=30, init=(0.0, 0.0))
    stopped = sgd_run(ds, 4, lr=0.5, epochs=30, init=(0.0, 0.0), stop_below=1e-3)
    k = int((full["losses"] <= 1e-3).nonzero()[0])
    assert stopped["steps"] == k and torch.equal(stopped["params"], full["params"][: k + 1])
    drawn = sgd_run(ds, 4, lr=0.5, epochs=3, init=(0.0, 0.0), replacement=True)
    assert drawn["steps"] == 15 and not torch.equal(drawn["params"], full["params"][:16])
    with pytest.raises(TypeError, match="replacement"):
        sgd_run(ds, 4, 0.5, replacement=1)
    with pytest.raises(ValueError, match="stop_below"):
        sgd_run(ds, 4, 0.5, stop_below=-1.0)


def test_explorer_bad_input():
    with pytest.raises(ValueError, match="max_batch_size must be <= 64"):
        sgd_explorer(max_batch_size=65)
    assert len(widget_dataset()) == 64


def test_run_summary():
    ds = LinearRegressionDataset(16, seed=0)
    assert run_summary(sgd_run(ds, 16, lr=5.0, epochs=20)).startswith("diverged after")
    slow = sgd_run(ds, 16, lr=0.01, epochs=3)
    assert run_summary(slow) == f"3 updates, final loss {slow['losses'][-1].item():.2e}"
    assert run_summary(slow, floor=1e6) == "3 updates, final loss < 1e+06"
    with pytest.raises(ValueError, match="run must be a dict returned by sgd_run"):
        run_summary({"losses": []})


def test_sgd_run_counts_samples_times_steps_and_stops_at_max_updates():
    ds = LinearRegressionDataset(10, seed=0)
    run = sgd_run(ds, batch_size=4, lr=0.1, epochs=2, init=(0.0, 0.0))
    assert run["samples"].tolist() == [0, 4, 8, 10, 14, 18, 20]  # the short batch counts 2
    assert run["seconds"][0] == 0 and (run["seconds"].diff() >= 0).all()
    assert run["lr"] == 0.1 and run["batch_size"] == 4
    short = sgd_run(ds, batch_size=4, lr=0.1, epochs=2, init=(0.0, 0.0), max_updates=4)
    assert short["steps"] == 4 and torch.equal(short["params"], run["params"][:5])
    with pytest.raises(ValueError, match="max_updates"):
        sgd_run(ds, 4, 0.1, max_updates=0)


def test_plot_runs_draws_the_requested_axes_and_marks_sparse_runs():
    from batchlab.lessons.minibatch_sgd import plot_runs

    ds = LinearRegressionDataset(16, seed=0)
    runs = {"B = 1": sgd_run(ds, 1, 0.1, epochs=2), "B = 16": sgd_run(ds, 16, 0.1, epochs=2)}
    fig = plot_runs(runs, axes=("updates", "samples", "seconds"))
    assert [ax.get_xlabel().split()[0] for ax in fig.axes] == ["parameter", "samples", "measured"]
    dense, sparse = fig.axes[1].lines
    assert dense.get_marker() in ("None", None, "") and sparse.get_marker() == "o"
    assert list(sparse.get_xdata()) == [1.0, 17.0, 33.0]          # samples + 1
    assert not any("drawn at" in str(line.get_label()) for line in fig.axes[0].lines)
    zero = {"exact": {"epochs": [0, 1], "losses": [1.0, 0.0], "steps_per_epoch": 1}}
    floor = plot_runs(zero, axes=("epochs",)).axes[0].lines[-1]
    assert "drawn at 1e-12" in floor.get_label() and list(floor.get_ydata()) == [1e-12, 1e-12]
    with pytest.raises(ValueError, match="axes must be"):
        plot_runs(runs, axes=("minutes",))
    with pytest.raises(ValueError, match="'samples'"):
        plot_runs({"x": {"epochs": [0], "losses": [1.0], "steps_per_epoch": 1}},
                  axes=("samples",))
