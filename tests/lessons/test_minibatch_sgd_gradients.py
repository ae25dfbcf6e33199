"""batchlab.lessons.minibatch_sgd: per-sample gradients and gradient-noise helpers."""

import math

import pytest
import torch
from support import linear
from torch import nn

from batchlab.data.datasets import Blobs2D, LinearRegressionDataset
from batchlab.lessons.minibatch_sgd import (
    gradient_noise_theory,
    minibatch_gradient_variance,
    per_sample_gradient_variance,
    per_sample_gradients,
    sampled_gradient_variance,
)


def test_per_sample_gradients_average_to_the_batch_gradient():
    torch.manual_seed(0)
    ds = Blobs2D((20, 12), seed=1)
    model = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 2))
    grads = per_sample_gradients(model, nn.CrossEntropyLoss(), ds)
    n_params = sum(p.numel() for p in model.parameters())
    assert grads.shape == (32, n_params)
    idx = torch.tensor([0, 3, 7, 25, 31])
    nn.CrossEntropyLoss()(model(ds.features[idx]), ds.labels[idx]).backward()
    batch_grad = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
    torch.testing.assert_close(grads[idx].mean(0), batch_grad, rtol=1e-5, atol=1e-6)


def test_per_sample_gradients_bad_input():
    with pytest.raises(TypeError, match="dataset must be"):
        per_sample_gradients(linear(), nn.MSELoss(), [1, 2, 3])
    with pytest.raises(ValueError, match="same first dimension"):
        per_sample_gradients(linear(), nn.MSELoss(), (torch.zeros(3, 1), torch.zeros(2, 1)))
    frozen = linear().requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        per_sample_gradients(frozen, nn.MSELoss(), (torch.zeros(3, 1), torch.zeros(3, 1)))


@pytest.mark.parametrize("replacement", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 10, 25])
def test_minibatch_gradient_variance_matches_theory(batch_size, replacement):
    ds = LinearRegressionDataset(30, noise=0.3, seed=2)
    model, loss_fn = linear(-0.5, 0.4), nn.MSELoss()
    sigma2 = per_sample_gradient_variance(model, loss_fn, ds)
    g = torch.Generator().manual_seed(batch_size)
    measured = minibatch_gradient_variance(model, ds, batch_size, loss_fn=loss_fn,
                                           num_batches=20000, replacement=replacement,
                                           generator=g)
    theory = gradient_noise_theory(sigma2, 30, batch_size, replacement)
    assert measured == pytest.approx(theory, rel=0.06)


def test_full_batch_without_replacement_has_no_noise():
    ds = LinearRegressionDataset(12, seed=0)
    measured = minibatch_gradient_variance(linear(), ds, 12, loss_fn=nn.MSELoss(),
                                           num_batches=50)
    assert measured == pytest.approx(0.0, abs=1e-20)
    assert gradient_noise_theory(5.0, 12, 12) == 0.0
    with pytest.raises(ValueError, match="batch_size must be <= len"):
        minibatch_gradient_variance(linear(), ds, 13, loss_fn=nn.MSELoss())
    # with replacement the same sample can be drawn twice, so B = N still scatters
    assert minibatch_gradient_variance(linear(), ds, 12, loss_fn=nn.MSELoss(),
                                       num_batches=50, replacement=True) > 0


def test_gradient_variance_bad_input():
    ds = LinearRegressionDataset(12, seed=0)
    with pytest.raises(ValueError, match="num_batches"):
        minibatch_gradient_variance(linear(), ds, 2, loss_fn=nn.MSELoss(), num_batches=0)
    with pytest.raises(TypeError, match="generator"):
        minibatch_gradient_variance(linear(), ds, 2, loss_fn=nn.MSELoss(), generator=0)
    with pytest.raises(TypeError, match="loss_fn"):
        minibatch_gradient_variance(linear(), ds, 2, loss_fn=None)
    with pytest.raises(ValueError, match="sigma2"):
        gradient_noise_theory(-1.0, 10, 2)
    with pytest.raises(ValueError, match="sigma2"):
        gradient_noise_theory(math.nan, 10, 2)
    with pytest.raises(ValueError, match="batch_size must be <= n"):
        gradient_noise_theory(1.0, 10, 11)
    with pytest.raises(TypeError, match="replacement"):
        gradient_noise_theory(1.0, 10, 2, replacement="no")
    assert gradient_noise_theory(1.0, 10, 11, replacement=True) == pytest.approx(1 / 11)


def test_sampled_gradient_variance_from_precomputed_rows():
    grads = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
    sigma2 = ((grads - grads.mean(0)) ** 2).sum(1).mean().item()   # 2.5
    g = torch.Generator().manual_seed(0)
    for batch_size in (1, 2, 3):
        measured = sampled_gradient_variance(grads, batch_size, num_batches=40000, generator=g)
        assert measured == pytest.approx(gradient_noise_theory(sigma2, 4, batch_size), rel=0.05)
    assert sampled_gradient_variance(grads, 4) == pytest.approx(0.0, abs=1e-24)
    with pytest.raises(ValueError, match=r"per_sample_grads must be a non-empty \[N, P\]"):
        sampled_gradient_variance(torch.zeros(4), 2)
    with pytest.raises(ValueError, match="per_sample_grads"):
        sampled_gradient_variance([[1.0]], 1)
    with pytest.raises(ValueError, match="batch_size must be <= len"):
        sampled_gradient_variance(grads, 5)
