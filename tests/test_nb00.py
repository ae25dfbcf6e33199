"""Notebook 00's exercise checkers leave no trace: the environment and the RNG are restored."""

import os

import torch

from batchlab.device import ENV_VAR
from batchlab.exercises import nb00


def test_device_question_restores_the_environment(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "cpu:0")
    assert nb00.q2.is_correct("cpu")
    assert not nb00.q2.is_correct("tpu")
    assert os.environ[ENV_VAR] == "cpu:0"
    monkeypatch.delenv(ENV_VAR)
    assert nb00.q2.is_correct(" cpu ")
    assert ENV_VAR not in os.environ


def test_device_question_rejects_blank_which_means_automatic():
    ok, message = nb00.q2.verdict("")
    assert ok is False and "automatically" in message


def test_generator_question_restores_the_global_rng():
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    for answer in [nb00.q4.reference, *nb00.q4.wrong]:
        nb00.q4.verdict(answer)
    assert torch.equal(torch.rand(4), expected)


def test_generator_question_explains_each_wrong_answer():
    global_rng, reseeds, unshuffled = nb00.q4.wrong
    assert "global random state" in nb00.q4.verdict(global_rng)[1]
    assert "global random state" in nb00.q4.verdict(reseeds)[1]
    assert "same order" in nb00.q4.verdict(unshuffled)[1]
    assert "Give a function" in nb00.q4.verdict([1, 2, 3])[1]


def test_batch_count_question_spots_a_swap():
    assert "swapped" in nb00.q3.verdict((3, 4))[1]
    assert "swapped" in nb00.q3.verdict([3, 4])[1]
    assert nb00.q3.is_correct([4, 3])
