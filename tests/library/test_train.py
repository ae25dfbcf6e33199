"""batchlab.train: fit, train_one_epoch, evaluate, predict."""


import pytest
import torch
from support import linear
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from batchlab.data.datasets import Blobs2D
from batchlab.train import evaluate, fit, predict, train_one_epoch

CPU = "cpu"


def regression_loader(n=10, batch_size=4):
    x = torch.linspace(-1, 1, n).unsqueeze(1)
    return DataLoader(TensorDataset(x, 2 * x + 0.5), batch_size=batch_size)


# ----------------------------------------------------------------------------- bad input
def test_bad_model_loader_loss_optimizer_are_named():
    model = linear()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = regression_loader()
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        train_one_epoch(lambda x: x, loader, nn.MSELoss(), opt, device=CPU)
    with pytest.raises(TypeError, match="loader must be an iterable"):
        train_one_epoch(model, 42, nn.MSELoss(), opt, device=CPU)
    with pytest.raises(ValueError, match="loader is empty"):
        train_one_epoch(model, [], nn.MSELoss(), opt, device=CPU)
    with pytest.raises(TypeError, match="loss_fn must be a callable"):
        train_one_epoch(model, loader, "mse", opt, device=CPU)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        train_one_epoch(model, loader, nn.MSELoss(), model.parameters(), device=CPU)
    with pytest.raises(TypeError, match="progress must be True or False"):
        train_one_epoch(model, loader, nn.MSELoss(), opt, device=CPU, progress=1)
    with pytest.raises(TypeError, match="device must be None, a str or a torch.device"):
        train_one_epoch(model, loader, nn.MSELoss(), opt, device=0)
    with pytest.raises(ValueError, match="device must name a torch device"):
        evaluate(model, loader, device="gpu")
    with pytest.raises(TypeError, match="desc must be a str"):
        train_one_epoch(model, loader, nn.MSELoss(), opt, device=CPU, desc=3)


def test_empty_dataloader_and_bad_batches_are_named():
    model = linear()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.zeros(3, 1)
    empty = DataLoader(TensorDataset(x, x), batch_size=4, drop_last=True)
    with pytest.raises(ValueError, match="train_loader is empty"):
        fit(model, empty, nn.MSELoss(), opt, epochs=1, device=CPU, progress=False)
    with pytest.raises(ValueError, match="val_loader is empty"):
        fit(model, regression_loader(), nn.MSELoss(), opt, epochs=1, val_loader=empty,
            device=CPU, progress=False)
    triples = DataLoader(TensorDataset(x, x, x), batch_size=2)
    with pytest.raises(TypeError, match=r"loader must yield \(inputs, targets\) pairs"):
        train_one_epoch(model, triples, nn.MSELoss(), opt, device=CPU, progress=False)
    with pytest.raises(ValueError, match="loss_fn must return a single number"):
        train_one_epoch(model, regression_loader(), nn.MSELoss(reduction="none"), opt,
                        device=CPU, progress=False)
    with pytest.raises(ValueError, match="loader is empty"):
        predict(model, iter([]), device=CPU)


@pytest.mark.parametrize("epochs, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError),
                                           (True, TypeError)])
def test_fit_rejects_bad_epochs(epochs, error):
    model = linear()
    with pytest.raises(error, match="epochs"):
        fit(model, regression_loader(), nn.MSELoss(),
            torch.optim.SGD(model.parameters(), lr=0.1), epochs=epochs, device=CPU)


def test_evaluate_accepts_no_loss_but_rejects_non_callable():
    with pytest.raises(TypeError, match="loss_fn must be .* or None"):
        evaluate(linear(), regression_loader(), loss_fn=3, device=CPU)
    assert evaluate(linear(), regression_loader(), device=CPU)["loss"] is None


# ----------------------------------------------------------------------------- loops


def test_train_one_epoch_updates_parameters_with_a_step_per_batch():
    model = linear()
    steps = []
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.register_step_post_hook(lambda *args: steps.append(1))
    train_one_epoch(model, regression_loader(10, 3), nn.MSELoss(), opt, device=CPU,
                    progress=True, desc="test")
    assert len(steps) == 4
    assert model.weight.item() != 0.0
    assert model.training


def test_accuracy_counts_argmax_hits():
    model = nn.Linear(2, 3)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.copy_(torch.tensor([0.0, 1.0, 0.0]))
    targets = torch.tensor([1, 1, 1, 0, 2])
    loader = DataLoader(TensorDataset(torch.randn(5, 2), targets), batch_size=2)
    out = evaluate(model, loader, nn.CrossEntropyLoss(), device=CPU)
    assert out["accuracy"] == pytest.approx(3 / 5)
    expected = float(nn.CrossEntropyLoss()(model.bias.detach().expand(5, 3), targets))
    assert out["loss"] == pytest.approx(expected, rel=1e-6)


def test_evaluate_and_predict_restore_the_mode_and_leave_parameters_alone():
    model = nn.Sequential(nn.Linear(1, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    before = [p.detach().clone() for p in model.parameters()]
    for mode in (True, False):
        model.train(mode)
        evaluate(model, regression_loader(), nn.MSELoss(), device=CPU)
        assert model.training is mode
        predict(model, regression_loader(), device=CPU)
        assert model.training is mode
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert all(p.grad is None for p in model.parameters())


def test_evaluate_uses_eval_mode_dropout_off():
    model = nn.Sequential(nn.Dropout(0.9))
    x = torch.ones(50, 3)
    loader = DataLoader(TensorDataset(x, x), batch_size=10)
    assert evaluate(model, loader, nn.MSELoss(), device=CPU)["loss"] == 0.0


def test_predict_concatenates_in_loader_order_on_cpu():
    x = torch.arange(7.0).unsqueeze(1)
    model = linear(1.0, 0.0)
    outputs, targets = predict(model, DataLoader(TensorDataset(x, 3 * x), batch_size=3),
                               device=CPU)
    assert outputs.device.type == "cpu" and not outputs.requires_grad
    assert outputs.view(-1).tolist() == x.view(-1).tolist()
    assert targets.view(-1).tolist() == (3 * x).view(-1).tolist()


def test_fit_reduces_loss_on_an_easy_problem():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    ds = Blobs2D((100, 100), spread=0.7, seed=0)
    train = DataLoader(ds, batch_size=16, shuffle=True, generator=g)
    val = DataLoader(ds, batch_size=64)
    model = nn.Linear(2, 2)
    history = fit(model, train, nn.CrossEntropyLoss(),
                  torch.optim.SGD(model.parameters(), lr=0.2), epochs=5, val_loader=val,
                  device=CPU, progress=False)
    assert [h["epoch"] for h in history] == [1, 2, 3, 4, 5]
    assert set(history[0]) == {"epoch", "train_loss", "train_accuracy", "val_loss",
                               "val_accuracy"}
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert history[-1]["val_accuracy"] > 0.95


def test_fit_without_val_loader_reports_none():
    model = linear()
    history = fit(model, regression_loader(), nn.MSELoss(),
                  torch.optim.SGD(model.parameters(), lr=0.3), epochs=2, device=CPU,
                  progress=False)
    assert history[0]["val_loss"] is None and history[0]["val_accuracy"] is None
    assert history[1]["train_loss"] < history[0]["train_loss"]


def test_device_none_uses_batchlab_device(monkeypatch):
    monkeypatch.setenv("BATCHLAB_DEVICE", "cpu")
    out = evaluate(linear(), regression_loader(), nn.MSELoss())
    assert out["loss"] > 0


# ----------------------------------------------------------------------------- gradient noise


def test_a_single_logit_column_reports_no_accuracy():
    # [B, 1] outputs are binary scores: argmax over one column would always say class 0
    model = torch.nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.fill_(5.0)  # predicts "class 1" for everything
    x = torch.randn(10, 2)
    y = torch.tensor([1] * 7 + [0] * 3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=5)
    loss_fn = lambda out, t: torch.nn.functional.binary_cross_entropy_with_logits(  # noqa: E731
        out.squeeze(1), t.float())
    result = evaluate(model, loader, loss_fn, device="cpu")
    assert result["accuracy"] is None
    assert result["loss"] > 0


def test_progress_bar_does_not_change_the_batches():
    """tqdm.auto calls iter() on what it wraps when created; fit must not let that draw an
    extra shuffle from the loader's generator (progress=True and False train alike)."""
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    ds = TensorDataset(x, (x[:, 0] > 0).long())
    params = []
    for progress in (False, True):
        torch.manual_seed(0)
        model = torch.nn.Linear(2, 2)
        loader = DataLoader(ds, batch_size=16, shuffle=True,
                            generator=torch.Generator().manual_seed(0))
        fit(model, loader, torch.nn.CrossEntropyLoss(),
            torch.optim.SGD(model.parameters(), lr=0.5), epochs=2, device="cpu",
            progress=progress)
        params.append([p.detach().clone() for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*params, strict=True))


def test_epoch_loss_is_the_mean_per_sample_weighted_by_batch_size():
    model = linear(0.3, -0.2)
    loader = regression_loader(n=10, batch_size=4)  # batches of 4, 4, 2
    x, y = loader.dataset.tensors
    expected = float(((0.3 * x - 0.2 - y) ** 2).mean())
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: parameters stay, loss is exact
    out = train_one_epoch(model, loader, nn.MSELoss(), opt, device=CPU, progress=False)
    assert out["loss"] == pytest.approx(expected, rel=1e-6)
    assert out["accuracy"] is None
    batch_means = [float(((0.3 * xb - 0.2 - yb) ** 2).mean()) for xb, yb in loader]
    assert out["loss"] != pytest.approx(sum(batch_means) / 3, rel=1e-3)  # not a mean of means
    assert evaluate(model, loader, nn.MSELoss(), device=CPU)["loss"] == pytest.approx(expected)
