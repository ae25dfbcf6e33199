import pytest
import torch

from batchlab import get_device, seed_everything
from batchlab.device import ENV_VAR


def test_default_device_is_best_available(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    device = get_device()
    assert isinstance(device, torch.device)
    if expected:
        assert device.type == expected
    else:
        assert device.type in {"cpu", "mps"}


def test_env_var_overrides(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv(ENV_VAR, "  cpu ")
    assert get_device() == torch.device("cpu")


@pytest.mark.parametrize("value", ["tpu", "gpu", "cuda:x"])
def test_env_var_rejects_unknown_devices(monkeypatch, value):
    monkeypatch.setenv(ENV_VAR, value)
    with pytest.raises(ValueError, match=ENV_VAR):
        get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_env_var_cuda_without_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        get_device()


def test_seed_everything_repeats_every_stream():
    import random

    import numpy as np

    def draw(g):
        return (random.random(), float(np.random.rand()), torch.rand(1).item(),
                torch.randperm(10, generator=g).tolist())

    first = draw(seed_everything(7))
    second = draw(seed_everything(7))
    assert first == second
    assert draw(seed_everything(8)) != first


def test_seed_generator_is_independent_of_global_stream():
    g = seed_everything(0)
    order = torch.randperm(10, generator=g).tolist()
    g = seed_everything(0)
    torch.rand(100)  # an unrelated random call in between
    assert torch.randperm(10, generator=g).tolist() == order


@pytest.mark.parametrize("seed, exc", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError),
                                       ("0", TypeError), (True, TypeError)])
def test_seed_everything_rejects_bad_seeds(seed, exc):
    with pytest.raises(exc, match="seed"):
        seed_everything(seed)
