"""Every exercise checker accepts its reference answer and rejects the listed wrong ones."""

import numbers

import numpy as np
import pytest
import torch

from batchlab.exercises import Question, all_modules

MODULES = all_modules()
QUESTIONS = [(m.__name__.rsplit(".", 1)[1], q) for m in MODULES for q in m.QUESTIONS]
IDS = [f"{mod}.{q.name}" for mod, q in QUESTIONS]


def test_every_notebook_with_exercises_has_two_to_four():
    assert MODULES, "no exercise modules found"
    for module in MODULES:
        names = [q.name for q in module.QUESTIONS]
        assert 2 <= len(names) <= 4, f"{module.__name__} has {len(names)} questions"
        assert names == [f"q{i}" for i in range(1, len(names) + 1)]


@pytest.mark.parametrize("mod, q", QUESTIONS, ids=IDS)
def test_reference_is_accepted(mod, q, capsys):
    assert q.is_correct(q.reference)
    q.check(q.reference)
    assert capsys.readouterr().out.strip() == "Correct!"


def _scalar_forms(value):
    """The other ways a student may type the number ``value``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return []
    if isinstance(value, numbers.Integral):
        return [float(value), np.int64(value), torch.tensor(int(value))]
    return [np.float64(value), torch.tensor(float(value), dtype=torch.float64)]


def equivalent_forms(reference):
    """A list for a tuple and back, NumPy scalars, 0-d tensors, whole floats, arrays."""
    forms = _scalar_forms(reference)
    if isinstance(reference, (list, tuple)) and reference:
        swapped = tuple(reference) if isinstance(reference, list) else list(reference)
        forms.append(swapped)
        if all(_scalar_forms(v) for v in reference):
            for i in range(len(_scalar_forms(reference[0]))):
                forms.append(type(reference)(_scalar_forms(v)[min(i, len(_scalar_forms(v)) - 1)]
                                             for v in reference))
            if all(isinstance(v, numbers.Integral) for v in reference):
                forms += [np.array(reference), torch.tensor(list(reference))]
            else:
                forms += [np.array(reference, dtype=np.float64),
                          torch.tensor(list(reference), dtype=torch.float64)]
    return forms


def test_equivalent_forms_cover_the_usual_answers():
    assert len(equivalent_forms(3)) == 3 and len(equivalent_forms(0.5)) == 2
    forms = equivalent_forms([1, 2])
    assert (1, 2) in forms and any(isinstance(f, torch.Tensor) for f in forms)
    assert equivalent_forms("text") == [] and equivalent_forms(print) == []


@pytest.mark.parametrize("mod, q", QUESTIONS, ids=IDS)
def test_reference_is_accepted_in_every_equivalent_form(mod, q):
    """A list or a tuple, NumPy scalars, 0-d tensors and whole floats are all the same answer.

    Code-writing questions (a function as the reference) are run by their judge instead.
    """
    for form in equivalent_forms(q.reference):
        assert q.is_correct(form), f"{mod}.{q.name} rejected {form!r}: {q.verdict(form)[1]}"


@pytest.mark.parametrize("mod, q", QUESTIONS, ids=IDS)
def test_wrong_answers_are_rejected(mod, q, capsys):
    assert q.wrong
    for answer in q.wrong:
        assert not q.is_correct(answer), f"{mod}.{q.name} accepted the wrong answer {answer!r}"
        q.check(answer)
        assert capsys.readouterr().out.startswith("Not quite")


@pytest.mark.parametrize("mod, q", QUESTIONS, ids=IDS)
def test_unanswered_says_not_attempted_and_help_prints(mod, q, capsys):
    q.check(...)
    q.check()
    out = capsys.readouterr().out
    assert out.count("Not attempted yet") == 2
    q.hint()
    q.solution()
    out = capsys.readouterr().out
    assert out.startswith("Hint: ") and "Solution:" in out
    assert len(out) > 30


def test_check_never_raises():
    def judge(answer):
        raise RuntimeError("boom")

    q = Question("?", judge, hint="h", solution="s", reference=1, wrong=[2])
    ok, message = q.verdict(1)
    assert ok is False and "RuntimeError: boom" in message


def test_judge_may_explain_why():
    q = Question("?", lambda a: True if a == 1 else "too big", hint="h", solution="s",
                 reference=1, wrong=[2], name="q9")
    assert q.verdict(2) == (False, "Not quite. too big Hint: ex.q9.hint()")


def test_a_question_needs_a_wrong_answer():
    with pytest.raises(ValueError, match="wrong"):
        Question("?", bool, hint="h", solution="s", reference=1, wrong=[])
