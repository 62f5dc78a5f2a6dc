"""compare.present.table: the one plain-text table renderer."""

import pytest

from compare.present.table import format_table, table_lines


def test_columns_are_left_aligned_two_spaces_apart_without_trailing_spaces():
    lines = table_lines([("a", "bb", "c"), ("ccc", "d", "")], indent="  ")
    assert lines == ["  a    bb  c", "  ccc  d"]


def test_format_table_joins_lines():
    assert format_table([("x", "y"), ("10", "2")]) == "x   y\n10  2"


def test_ragged_rows_are_refused():
    with pytest.raises(ValueError, match="every row needs 2 cells"):
        table_lines([("a", "b"), ("c",)])


def test_no_rows_no_lines():
    assert table_lines([]) == []
