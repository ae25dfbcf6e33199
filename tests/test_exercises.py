"""Every exercise checker accepts its reference answer and rejects the listed wrong ones."""

import pytest

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
    assert q.verdict(2) == (False, "Not quite. too big Hint: q9.hint()")


def test_a_question_needs_a_wrong_answer():
    with pytest.raises(ValueError, match="wrong"):
        Question("?", bool, hint="h", solution="s", reference=1, wrong=[])
