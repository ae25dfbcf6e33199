"""Show an object's source in a notebook, highlighted, where a lesson teaches it.

A class that DataLoader workers must import under ``spawn`` (macOS, Windows) has to live in
a module, not in a notebook cell; the notebook shows its source once, at the place where
it is taught, so the student still reads every line of it.
"""

from __future__ import annotations

import inspect
import textwrap


class Source:
    """Source code that displays highlighted in Jupyter and as plain text elsewhere.

    ``str(Source(...))`` and the ``text/plain`` output are the source itself, so a
    strict nbval run compares exactly the code the student reads.

    >>> Source("def f():\\n    return 1\\n")
    def f():
        return 1
    """

    def __init__(self, code: str):
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, got {type(code).__name__}")
        self.code = code.rstrip("\n") + "\n"

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return self.code.rstrip("\n")

    def _repr_html_(self) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        return highlight(self.code, PythonLexer(), HtmlFormatter(noclasses=True, nobackground=True))


def show_source(obj) -> Source:
    """The source of a class, function or method, to show in a notebook cell.

    End a cell with ``show_source(SomeDataset)`` (or ``show_source(Some.method)``) and
    Jupyter shows the code highlighted; its plain-text form is the code itself.

    >>> from batchlab.data.datasets import NumbersDataset
    >>> print(str(show_source(NumbersDataset.__len__)).strip())
    def __len__(self) -> int:
        return self.n
    >>> show_source(3)
    Traceback (most recent call last):
    ...
    TypeError: obj must be a module, class, method or function, got int
    """
    if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj)
            or inspect.ismodule(obj)):
        raise TypeError("obj must be a module, class, method or function, "
                        f"got {type(obj).__name__}")
    return Source(textwrap.dedent(inspect.getsource(obj)))
