"""Notebook 00's exercise checkers leave no trace: the environment and the RNG are restored."""

import os

import torch

from batchlab.device import ENV_VAR
from batchlab.exercises import start_here as ex


def test_device_question_restores_the_environment(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "cpu:0")
    assert ex.q2.is_correct("cpu")
    assert not ex.q2.is_correct("tpu")
    assert os.environ[ENV_VAR] == "cpu:0"
    monkeypatch.delenv(ENV_VAR)
    assert ex.q2.is_correct(" cpu ")
    assert ENV_VAR not in os.environ


def test_device_question_rejects_blank_which_means_automatic():
    ok, message = ex.q2.verdict("")
    assert ok is False and "automatically" in message


def test_generator_question_restores_the_global_rng():
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    for answer in [ex.q4.reference, *ex.q4.wrong]:
        ex.q4.verdict(answer)
    assert torch.equal(torch.rand(4), expected)


def test_generator_question_explains_each_wrong_answer():
    global_rng, reseeds, unshuffled, no_loader, reseeds_numpy, batches = ex.q4.wrong
    assert "use one" in ex.q4.verdict(no_loader)[1]
    assert "NumPy" in ex.q4.verdict(reseeds_numpy)[1]
    assert "list of batches" in ex.q4.verdict(batches)[1]
    assert "global random state" in ex.q4.verdict(global_rng)[1]
    assert "global random state" in ex.q4.verdict(reseeds)[1]
    assert "same order" in ex.q4.verdict(unshuffled)[1]
    assert "Give a function" in ex.q4.verdict([1, 2, 3])[1]


def test_data_path_question_explains_the_dataset_first_order():
    ok, message = ex.q3.verdict(("dataset[i]", "sampler", "collate_fn", "model", "loss"))
    assert ok is False and "needs an index" in message
    assert ex.q3.is_correct(("Sampler", "Dataset", "collate_fn", "model", "loss"))
    assert "exactly once" in ex.q3.verdict(["sampler", "sampler", "collate_fn", "model",
                                              "loss"])[1]


def test_warm_up_accepts_every_form_of_ten():
    import numpy as np

    for answer in (10, 10.0, np.int64(10), torch.tensor(10)):
        assert ex.q1.is_correct(answer), answer
    assert "last index" in ex.q1.verdict(np.int64(9))[1]


def test_unwritten_function_is_told_to_write_its_body():
    def shuffled_numbers(n, seed):
        ...

    ok, message = ex.q4.verdict(shuffled_numbers)
    assert ok is False and "returned None" in message


def test_notebook_minimum_torch_matches_pyproject():
    """Notebook 00's version check uses the lower bound that pyproject.toml declares."""
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bound = re.search(r'"torch>=([\d.]+)"', (root / "pyproject.toml").read_text()).group(1)
    cells = json.loads((root / "notebooks" / "00_start_here.ipynb").read_text())["cells"]
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert f'MIN_TORCH = Version("{bound}")' in code


def test_generator_question_restores_numpy_python_and_the_dataloader():
    import random

    import numpy as np
    from torch.utils.data import DataLoader

    iter_before = DataLoader.__iter__
    random.seed(5)
    np.random.seed(5)
    expected = (random.random(), np.random.rand())
    random.seed(5)
    np.random.seed(5)
    for answer in [ex.q4.reference, *ex.q4.wrong]:
        ex.q4.verdict(answer)
    assert (random.random(), np.random.rand()) == expected
    assert DataLoader.__iter__ is iter_before


def test_generator_question_accepts_an_explicit_sampler_with_the_same_generator():
    from torch.utils.data import DataLoader, RandomSampler

    from batchlab import NumbersDataset

    def shuffled_numbers(n, seed):
        g = torch.Generator().manual_seed(seed)
        data = NumbersDataset(n)
        loader = DataLoader(data, batch_size=4, sampler=RandomSampler(data, generator=g),
                            generator=g)
        return torch.cat(list(loader))              # a tensor is a fine list of numbers

    assert ex.q4.is_correct(shuffled_numbers)


def test_data_path_question_accepts_other_spellings_and_explains_each_swap():
    import numpy as np

    assert ex.q3.is_correct(np.array(["sampler", "dataset[idx]", "collate_fn", "model", "loss"]))
    ok, message = ex.q3.verdict(["sampler", "dataset[i]", "collate_fn", "loss", "model"])
    assert ok is False and "predictions" in message
    ok, message = ex.q3.verdict(["sampler", "dataset[i]", "model", "collate_fn", "loss"])
    assert ok is False and "mini-batch" in message
    assert "as a string" in ex.q3.verdict(["sampler", 1, 2, 3, 4])[1]


def test_device_hint_does_not_give_the_answer_away(capsys):
    ex.q2.hint()
    assert "cpu" not in capsys.readouterr().out.lower().replace("cpus", "")
