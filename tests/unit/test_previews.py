"""Reading the first rows of a CSV or TSV file from its first bytes."""

from datetime import UTC, datetime

import pytest

from opencat.domain.datasets import Resource
from opencat.domain.previews import (
    MAX_CELL,
    MAX_COLUMNS,
    NotText,
    Preview,
    decode,
    is_tab_separated,
    is_tabular,
    read_table,
    sniff_delimiter,
)

WHEN = datetime(2025, 1, 1, tzinfo=UTC)


def resource(url: str = "https://example.org/file", **fields: str | None) -> Resource:
    return Resource(
        id="r", title="t", url=url, created_at_internal=WHEN, last_modified_internal=WHEN, **fields
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2,5;3\n", ";"),  # decimal commas in a semicolon file
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('"x;y",b\n"1;2",3\n', ","),  # delimiters inside quotes do not count
        ("single column\nvalue\n", ","),
        ("", ","),
    ],
)
def test_the_delimiter_is_sniffed(sample: str, delimiter: str) -> None:
    assert sniff_delimiter(sample) == delimiter


def test_utf8_with_or_without_a_byte_order_mark() -> None:
    assert decode("é,ü\n".encode()) == "é,ü\n"
    assert decode(b"\xef\xbb\xbfname\n") == "name\n"


def test_windows_1252_then_latin_1() -> None:
    assert decode("Œuvre à 5 €\n".encode("cp1252")) == "Œuvre à 5 €\n"
    # 0x81 is undefined in Windows-1252: Latin-1 takes any byte.
    assert decode(b"caf\xe9 \x81\n") == "café \x81\n"


def test_nul_bytes_are_not_text() -> None:
    with pytest.raises(NotText):
        decode(b"PK\x03\x04\x00\x00")


def test_rows_past_the_limit_mark_the_preview_truncated() -> None:
    data = b"a,b\n1,2\n3,4\n5,6\n"
    assert read_table(data, True, 3) == Preview(("a", "b"), (("1", "2"), ("3", "4"), ("5", "6")), False)
    assert read_table(data, True, 2) == Preview(("a", "b"), (("1", "2"), ("3", "4")), True)


def test_a_cut_file_drops_its_last_partial_line() -> None:
    data = "a,b\n1,2\n3,é".encode()[:-1]  # the last character cut mid-sequence
    shown = read_table(data, complete=False, limit=10)
    assert shown == Preview(("a", "b"), (("1", "2"),), truncated=True)


def test_a_cut_quoted_field_keeps_the_rows_before_it() -> None:
    data = b'a,b\n1,2\n3,"multi\nline'
    shown = read_table(data, complete=False, limit=10)
    assert shown == Preview(("a", "b"), (("1", "2"),), truncated=True)


def test_quoted_fields_keep_their_delimiters_and_newlines() -> None:
    shown = read_table(b'a,b\n"x, y","line 1\nline 2"\n', True, 10)
    assert shown.rows == (("x, y", "line 1\nline 2"),)


def test_short_rows_are_padded_and_blank_lines_skipped() -> None:
    shown = read_table(b"a,b,c\n\n1\n,,\n2,3,4\n", True, 10)
    assert shown == Preview(("a", "b", "c"), (("1", "", ""), ("2", "3", "4")), False)


def test_long_cells_and_wide_tables_are_cut() -> None:
    wide = ",".join(f"c{n}" for n in range(MAX_COLUMNS + 10)).encode()
    shown = read_table(wide + b"\n" + b"x" * (MAX_CELL + 100) + b"\n", True, 10)
    assert len(shown.columns) == MAX_COLUMNS
    assert len(shown.rows[0][0]) == MAX_CELL
    assert shown.rows[0][0].endswith("…")
    assert shown.truncated


def test_tab_separated_files_are_split_on_tabs_only() -> None:
    assert read_table(b"a,b\tc\n1,2\t3\n", True, 10, tab_separated=True) == Preview(
        ("a,b", "c"), (("1,2", "3"),), False
    )


def test_an_empty_file() -> None:
    assert read_table(b"", True, 10) == Preview((), (), False)
    assert read_table(b"\n\n", True, 10) == Preview((), (), False)


@pytest.mark.parametrize(
    ("fields", "tabular", "tabs"),
    [
        ({"format": "csv"}, True, False),
        ({"format": " CSV "}, True, False),
        ({"format": "tsv"}, True, True),
        ({"mime": "text/csv"}, True, False),
        ({"mime": "text/tab-separated-values"}, True, True),
        ({"url": "https://example.org/data.CSV"}, True, False),
        ({"url": "https://example.org/data.tsv?download=1"}, True, True),
        ({"format": "pdf", "url": "https://example.org/data.csv"}, False, False),
        ({"format": "xlsx"}, False, False),
        ({}, False, False),
    ],
)
def test_which_resources_are_tables(fields: dict[str, str], tabular: bool, tabs: bool) -> None:
    item = resource(**fields)
    assert is_tabular(item) is tabular
    assert is_tab_separated(item) is tabs
