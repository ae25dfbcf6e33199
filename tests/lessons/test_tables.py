"""Tests for batchlab.viz.tables.text_table."""

import pytest

from batchlab.viz.tables import text_table


def test_text_table_pads_columns():
    lines = text_table([("a", 1), ("bbb", 22)], ("name", "n")).splitlines()
    assert lines == ["name | n", "-----+---", "a    | 1", "bbb  | 22"]


def test_text_table_header_wider_than_cells_and_no_rows():
    assert text_table([], ("method", "x")).splitlines() == ["method | x", "-------+--"]


def test_text_table_strips_trailing_spaces():
    lines = text_table([("a", "")], ("long header", "b")).splitlines()
    assert all(line == line.rstrip() for line in lines)


def test_text_table_checks_row_length():
    with pytest.raises(ValueError, match="rows\\[0\\] has 1 cells"):
        text_table([("a",)], ("x", "y"))
    with pytest.raises(ValueError, match="headers"):
        text_table([], ())
