"""Plain-text tables for notebook output: fixed-width columns that print the same everywhere.

>>> print(text_table([("shuffle", 0.71), ("weighted", 0.91)], ("method", "balanced acc")))
method   | balanced acc
---------+-------------
shuffle  | 0.71
weighted | 0.91
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["text_table"]


def text_table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    """A plain-text table: columns padded to their widest cell, a rule under the headers.

    >>> print(text_table([("a", 1), ("bbb", 22)], ("name", "n")))
    name | n
    -----+---
    a    | 1
    bbb  | 22
    """
    headers = [str(h) for h in headers]
    if not headers:
        raise ValueError("headers must name at least one column")
    table = [[str(cell) for cell in row] for row in rows]
    for i, row in enumerate(table):
        if len(row) != len(headers):
            raise ValueError(f"rows[{i}] has {len(row)} cells but there are {len(headers)} headers")
    widths = [max(len(r[j]) for r in [headers, *table]) for j in range(len(headers))]

    def line(cells):
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in table)])
