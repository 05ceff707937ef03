"""Records of a CSV file, counted apart from DuckDB's reader, so that none goes missing unseen.

DuckDB's ``read_csv`` (strict mode, rejects stored) is the parser. It has one blind spot: a
quote that opens a field and never closes (``"Beta``) makes it read on to the end of the file,
so that one reject swallows every record after it. The loader therefore compares what DuckDB
saw (rows loaded + records rejected) with the file's physical line count, which costs one pass
of ``bytes.count`` over the file and no Python per row. The two agree for any file in which
each record is one line, which is every clean file.

When they disagree (a swallowing quote, a quoted field that legitimately spans lines, a blank
line) :func:`split_records` splits the file into records as RFC 4180 and DuckDB do: a record
ends at a line end outside quotes; a quote opens a quoted field only at the start of a field
(spaces before it allowed, as DuckDB allows them);
``""`` inside one is a quote. A quoted field that goes on over a line end is taken as one
record only if that is plausible: a record that reaches the end of the file or ``max_chars``
still inside the quote, whose quote closes other than at the end of a field, or that does not
end with exactly the header's number of fields, was a broken quote. Then the line that opened
it is set aside alone as unbalanced and the split starts again at the next line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

QUOTE = '"'
RECORD, BLANK, UNBALANCED = "record", "blank", "unbalanced"
_LINE_ENDS = ("\n", "\r\n", "\r")
_CHUNK = 8 * 1024 * 1024


def count_lines(path: Path) -> int:
    """Physical lines: the ``\\n`` in the file, plus a last line that has none."""
    lines, last = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (1 if last not in (b"", b"\n") else 0)


def _scan(text: str, delimiter: str, fields: int, in_quote: bool) -> tuple[int, bool, bool]:
    """Read one line (without its line end) of a record: ``fields`` is the number of the field
    being read when the line starts, ``in_quote`` whether it is inside a quoted field. Returns
    both as they are at the line end, and whether a quote closed other than at a field's end
    (a broken field, after which the scan stops)."""
    i, n, at_field_start = 0, len(text), not in_quote
    while i < n:
        if in_quote:
            j = text.find(QUOTE, i)
            if j < 0:
                return fields, True, False
            if text.startswith(QUOTE, j + 1):  # "" is a quote inside the field
                i = j + 2
                continue
            i, in_quote, at_field_start = j + 1, False, False
            if i < n and not text.startswith(delimiter, i):
                return fields, False, True
            continue
        if at_field_start:
            # DuckDB's reader, like many, lets spaces stand before a field's opening quote
            start = len(text) - len(text[i:].lstrip(" "))
            if text.startswith(QUOTE, start):
                i, in_quote, at_field_start = start + 1, True, False
                continue
        j = text.find(delimiter, i)
        if j < 0:
            break
        i, fields, at_field_start = j + len(delimiter), fields + 1, True
    return fields, in_quote, False


@dataclass
class Split:
    """What :func:`split_records` found, the header not counted among the records."""

    records: int = 0  # records that are not blank, unbalanced ones included
    blank: list[int] = field(default_factory=list)  # record numbers of blank lines
    unbalanced: list[tuple[int, int, str]] = field(default_factory=list)  # number, field, text
    last_record: int = 0  # the number of the last record that is not blank

    @property
    def skipped(self) -> list[int]:
        """Record numbers of the lines not passed on: blank and unbalanced, in order."""
        return sorted([*self.blank, *(number for number, _, _ in self.unbalanced)])

    @property
    def regular(self) -> bool:
        """Nothing set aside, and no blank line before a record (DuckDB's reader skips blank
        lines, which would shift the numbers of the records after them)."""
        return not self.unbalanced and not any(b < self.last_record for b in self.blank)


def split_records(
    lines: TextIO, delimiter: str, columns: int, max_chars: int
) -> Iterator[tuple[int, str, str, int]]:
    """``(record number, kind, text, field)`` for each record of ``lines`` (a file opened with
    ``newline=""``), the header being record 1. ``kind`` is ``record``, ``blank`` or
    ``unbalanced``; ``text`` keeps its line end; ``field`` is, for an unbalanced line, the
    number of the field whose quote never closes."""
    pending: deque[str] = deque()

    def next_line() -> str | None:
        return pending.popleft() if pending else next(lines, None)

    number = 0
    while (first := next_line()) is not None:
        number += 1
        if first in _LINE_ENDS:
            yield number, BLANK, first, 0
            continue
        if QUOTE not in first:  # most lines: one record, and no quote to read
            yield number, RECORD, first, 0
            continue
        fields, in_quote, broken = _scan(first.rstrip("\r\n"), delimiter, 1, False)
        if not in_quote or broken:
            yield number, RECORD, first, 0
            continue
        opened_in, taken, size, plausible = fields, [first], len(first), False
        while (line := next_line()) is not None:
            taken.append(line)
            size += len(line)
            fields, in_quote, broken = _scan(line.rstrip("\r\n"), delimiter, fields, True)
            if broken or fields > columns or size > max_chars:
                break
            if not in_quote:  # the record ends here: whole only with the header's fields
                plausible = fields == columns
                break
        if plausible:
            yield number, RECORD, "".join(taken), 0
        else:
            yield number, UNBALANCED, first, opened_in
            pending.extendleft(reversed(taken[1:]))


def split_file(source: Path, target: Path, delimiter: str, columns: int, max_chars: int) -> Split:
    """Split ``source`` into records, writing the header and every record that is neither
    blank nor unbalanced to ``target``, byte for byte."""
    split = Split()
    options = {"encoding": "utf-8", "errors": "surrogateescape", "newline": ""}
    with source.open(**options) as lines, target.open("w", **options) as out:
        for number, kind, text, opened_in in split_records(lines, delimiter, columns, max_chars):
            if kind == BLANK:
                split.blank.append(number)
                continue
            split.last_record = number
            if number > 1:
                split.records += 1
            if kind == UNBALANCED and number > 1:  # a broken header still heads the file
                split.unbalanced.append((number, opened_in, text.rstrip("\r\n")))
            else:
                out.write(text)
    return split


def as_text(text: str) -> str:
    """A line read with ``surrogateescape`` as storable text (bytes that are not UTF-8 shown as
    U+FFFD)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
