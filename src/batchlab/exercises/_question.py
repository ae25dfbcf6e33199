"""The machinery behind ``q1.check(answer)``, ``q1.hint()``, ``q1.solution()``.

A question knows how to judge an answer (``is_correct``), its reference
answer, and at least one plausible wrong answer — the unit tests use both to
prove every checker can tell them apart.

>>> q = Question("What is 2 + 2?", lambda a: a == 4, hint="Count.", solution="answer = 4",
...              reference=4, wrong=[5])
>>> q.check(...)
Not attempted yet: replace ... with your answer and run the cell again.
>>> q.check(4)
Correct!
>>> q.check(5)
Not quite. Hint: ex.q.hint()
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

NOT_ATTEMPTED = ...


class Question:
    """One exercise question.

    ``judge(answer)`` returns ``True`` for a right answer; it may also return a
    string, which means "wrong, and here is why". It may raise: ``check`` turns
    that into a verdict instead of an error, so a notebook never stops on it.
    """

    def __init__(self, prompt: str, judge: Callable[[object], bool | str], *, hint: str,
                 solution: str, reference: object, wrong: Sequence[object], name: str = "q"):
        if not wrong:
            raise ValueError("wrong must list at least one wrong answer the checker rejects")
        self.prompt = prompt
        self.judge = judge
        self._hint = hint
        self._solution = solution
        self.reference = reference
        self.wrong = list(wrong)
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}: {self.prompt}>"

    def verdict(self, answer=NOT_ATTEMPTED) -> tuple[bool | None, str]:
        """``(correct, message)``; ``correct`` is ``None`` when not attempted."""
        if answer is NOT_ATTEMPTED:
            return None, "Not attempted yet: replace ... with your answer and run the cell again."
        try:
            result = self.judge(answer)
        except Exception as exc:  # a student's answer may fail in any way
            return False, f"Not quite: checking your answer raised {type(exc).__name__}: {exc}"
        if result is True:
            return True, "Correct!"
        reason = f" {result}" if isinstance(result, str) and result else ""
        return False, f"Not quite.{reason} Hint: ex.{self.name}.hint()"

    def is_correct(self, answer) -> bool:
        """``True`` only for an answer the checker accepts."""
        return self.verdict(answer)[0] is True

    def check(self, answer=NOT_ATTEMPTED) -> None:
        """Print a verdict on ``answer``. Never raises."""
        print(self.verdict(answer)[1])

    def hint(self) -> None:
        print(f"Hint: {self._hint}")

    def solution(self) -> None:
        print(f"Solution:\n{self._solution}")


def _empty(*args, **kwargs):
    ...


def is_stub(answer) -> bool:
    """``True`` for a function whose body is only ``...`` (or ``pass``): an unwritten stub.

    >>> def todo(x):
    ...     ...  # your code here
    >>> is_stub(todo), is_stub(len), is_stub(lambda x: x)
    (True, False, False)
    """
    code = getattr(answer, "__code__", None)
    return code is not None and code.co_code == _empty.__code__.co_code


STUB_MESSAGE = ("Not attempted yet: write the body of your function (replace ...) and run the "
                "cell again.")


class CodeQuestion(Question):
    """A question the student answers with a function they write.

    A stub (its body is ``...``), or a function that returns ``None`` or ``...`` when
    ``probe(fn)`` calls it on small inputs, is "not attempted", not wrong; anything else
    goes to the judge.

    >>> q = CodeQuestion("Double it.", lambda f: f(2) == 4, hint="h", solution="s",
    ...                  reference=lambda x: 2 * x, wrong=[lambda x: x],
    ...                  probe=lambda f: f(1), name="q1")
    >>> def double(x):
    ...     ...
    >>> q.check(double)
    Not attempted yet: write the body of your function (replace ...) and run the cell again.
    >>> q.check(lambda x: x + x)
    Correct!
    """

    def __init__(self, *args, probe: Callable[[Callable], object] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.probe = probe

    def verdict(self, answer=NOT_ATTEMPTED) -> tuple[bool | None, str]:
        if callable(answer):
            if is_stub(answer):
                return None, STUB_MESSAGE
            if self.probe is not None:
                try:
                    out = self.probe(answer)
                except Exception:  # noqa: BLE001 - the judge reports what went wrong
                    out = True
                if out is None or out is NOT_ATTEMPTED:
                    return None, STUB_MESSAGE
        return super().verdict(answer)


def as_int(value) -> int:
    """A student's whole-number answer as an ``int``: accepts ``7``, ``7.0``, ``torch.tensor(7)``.

    Raises ``ValueError`` for anything else; a judge lets that become the verdict.

    >>> as_int(7.0), as_int(3)
    (7, 3)
    """
    if hasattr(value, "numel") and hasattr(value, "item"):  # a tensor
        if value.numel() != 1:
            raise ValueError(f"expected one number, got a tensor of shape {list(value.shape)}")
        value = value.item()
    elif hasattr(value, "item") and getattr(value, "size", 1) == 1:  # NumPy scalar or array
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"expected a whole number, got {type(value).__name__} {value!r:.60}")
    return int(value)


def as_float(value) -> float:
    """A student's numeric answer as a ``float``: accepts ints, floats, NumPy and 0-d tensors.

    >>> as_float(3), as_float(0.5)
    (3.0, 0.5)
    """
    if hasattr(value, "numel") and hasattr(value, "item"):  # a tensor or NumPy scalar/array
        if value.numel() != 1:
            raise ValueError(f"expected one number, got a tensor of shape {list(value.shape)}")
        value = value.item()
    elif hasattr(value, "item") and getattr(value, "size", 1) == 1:  # NumPy scalar or array
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"expected a number, got {type(value).__name__} {value!r:.60}")
    return float(value)


def _items(values) -> list:
    if hasattr(values, "tolist") and not isinstance(values, (list, tuple)):
        values = values.tolist()  # a tensor or NumPy array
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(f"expected a list of numbers, got {type(values).__name__}")
    return list(values)


def as_int_list(values) -> list[int]:
    """A list, tuple, NumPy array or 1-d tensor of whole numbers as a ``list`` of ``int``.

    >>> as_int_list((1, 2.0)), as_int_list([3])
    ([1, 2], [3])
    """
    return [as_int(v) for v in _items(values)]


def as_float_list(values) -> list[float]:
    """A list, tuple, NumPy array or 1-d tensor of numbers as a ``list`` of ``float``.

    >>> as_float_list((1, 0.5))
    [1.0, 0.5]
    """
    return [as_float(v) for v in _items(values)]


def questions(module_globals: dict) -> list[Question]:
    """All ``Question`` objects named ``q1, q2, …`` in a module, in order; sets their names."""
    found = sorted((k for k, v in module_globals.items()
                    if isinstance(v, Question) and k[:1] == "q" and k[1:].isdigit()),
                   key=lambda k: int(k[1:]))
    for k in found:
        module_globals[k].name = k
    return [module_globals[k] for k in found]
