"""The first rows of a CSV or TSV file, read from its first bytes (pure: the bytes come from elsewhere)."""

import csv
import io
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from opencat.domain.datasets import Resource

TABULAR_FORMATS = frozenset({"csv", "tsv"})
TABULAR_TYPES = frozenset({"text/csv", "application/csv", "text/tab-separated-values"})
# The delimiters tried, in order of preference when two fit equally well.
DELIMITERS = (",", ";", "\t", "|")
# A page shows a preview, not the file: long cells and wide tables are cut.
MAX_CELL = 500
MAX_COLUMNS = 50
_SNIFF_LINES = 20
_SNIFF_CHARS = 64 * 1024


@dataclass(frozen=True, slots=True)
class Preview:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    truncated: bool  # the file has more rows (or columns, or cell text) than shown


class NotText(ValueError):
    """The bytes are not text a table could be read from."""


def is_tabular(resource: Resource) -> bool:
    """A CSV or TSV file, by its declared format or media type, else by its URL's extension."""
    declared = (resource.format or "").strip().lower()
    if declared in TABULAR_FORMATS or (resource.mime or "").strip().lower() in TABULAR_TYPES:
        return True
    path = urlsplit(resource.url).path.lower()
    return not declared and path.endswith((".csv", ".tsv"))


def is_tab_separated(resource: Resource) -> bool:
    declared = (resource.format or resource.mime or urlsplit(resource.url).path).strip().lower()
    return declared.endswith(("tsv", "tab-separated-values"))


def read_table(data: bytes, complete: bool, limit: int, tab_separated: bool = False) -> Preview:
    """The header and first ``limit`` rows of ``data``, the beginning of a file (``complete``: all of it)."""
    if not complete:
        # The last line is most likely cut (and a cut UTF-8 sequence would pass for latin-1).
        data = data[: data.rfind(b"\n") + 1] or data
    text = decode(data)
    delimiter = "\t" if tab_separated else sniff_delimiter(text[:_SNIFF_CHARS])
    rows = _rows(text, delimiter, limit + 2)  # the header, the rows shown, one more if there is
    if not complete and len(rows) < limit + 2 and text.count('"') % 2:
        rows = rows[:-1]  # the cut fell inside a quoted field: the last row runs on past it
    if not rows:
        return Preview((), (), not complete)
    shown = rows[: limit + 1]
    width = min(max(len(row) for row in shown), MAX_COLUMNS)
    cells = [_fit(row, width) for row in shown]
    cut = (
        not complete
        or len(rows) > len(shown)
        or any(len(row) > width or any(len(cell) > MAX_CELL for cell in row) for row in shown)
    )
    return Preview(cells[0], tuple(cells[1:]), cut)


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte order mark), else Windows-1252, else Latin-1, which takes any byte."""
    if b"\x00" in data[:8192]:
        raise NotText("the file holds NUL bytes")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the same number of columns most often, with
    the most columns (quotes respected); a comma when none splits anything."""
    lines = sample.splitlines()[:_SNIFF_LINES]
    best, best_score = ",", (0, 0, 0)
    for rank, candidate in enumerate(DELIMITERS):
        widths = [len(row) for row in _rows("\n".join(lines), candidate, _SNIFF_LINES)]
        if not widths:
            continue
        width, agreeing = Counter(widths).most_common(1)[0]
        score = (agreeing if width > 1 else 0, width, -rank)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _rows(text: str, delimiter: str, wanted: int) -> list[list[str]]:
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
                if len(rows) == wanted:
                    break
    except csv.Error:
        pass  # a malformed line (or a quoted field cut off): the rows before it are worth showing
    return rows


def _fit(row: list[str], width: int) -> tuple[str, ...]:
    cells = [cell if len(cell) <= MAX_CELL else cell[: MAX_CELL - 1] + "…" for cell in row[:width]]
    return tuple(cells + [""] * (width - len(cells)))
