"""Streaming writers of the landing zone and of the ground truth.

One ``Sink`` per (file, export day) buffers a little text and appends it to its file when the
buffer passes ``FLUSH_BYTES`` (open, append, close), so memory stays bounded whatever the number
of persons and days, and no file handle stays open. The web file is gzip: one
``zlib.compressobj`` per day file produces a single gzip member whose header has mtime 0 and no
file name, so output is byte-for-byte reproducible.

The households are shared out among shards (see ``engine``) that may run in processes of their
own. Each shard writes the body of every file it has rows for into a folder of pieces: no
header, no array brackets, its own gzip member. ``assemble`` then writes each export file from
the pieces in shard order (header, bodies, closing bracket; a gzip file is the members one after
the other, which every gzip reader reads as one stream), so the files do not depend on how many
processes ran.

``Landing`` routes rows to sinks: delta rows older than the window go to the first export day,
a re-sent (source, day) folder sends its rows to the next day, a few rows are repeated in the
next day's delta (export window overlap), and landed rows that name a person are registered in
the truth of the current household. A scenario's ``scrub`` (contact-free exports) sees every row
first and may change it or keep it from being exported.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import random
import shutil
import zlib

from .specs import ALL_SPECS, FileSpec

FLUSH_BYTES = 32 * 1024  # characters buffered per (file, day) before appending
BREAK_RATE = 0.002  # ~0.2% of rows, plus the 200th row of a file that has no broken row yet
FORCE_AT = 199  # (0-based) row forced broken if the file has none yet ...
FORCE_AT_FIRST_DAY = 19  # ... and in the first export day (so small samples have bad rows too)
OVERLAP_RATE = 0.004  # delta rows repeated in the next day's export
# Tests set this to check that every JSON row made by hand (``Landing.delta_json``) is the text
# the JSON encoder gives.
CHECK_TEXT = False

_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# What _JSON.encode does for a dict, with the C encoder made once rather than per row (and no
# circular-reference bookkeeping: rows are flat dicts): the same text, a row of site events at a
# time.
_c_encoder = json.encoder.c_make_encoder(
    None, _JSON.default, json.encoder.encode_basestring, None, ":", ",", False, False, True
)


def _json(obj: dict) -> str:
    return "".join(_c_encoder(obj, 0))


BAD_DATES = {
    "dmy": ("31/02/1985", "00/00/0000", "n/a", "1985-13-01", "??/??/????"),
    "dmyhm": ("31/02/2026 10:00", "n/a", "00/00/0000 00:00", "2026-11-03 25:61"),
    "ymd": ("2026-02-30", "n/a", "0000-00-00", "31/02/1985"),
    "iso": ("2026-02-30T10:00:00Z", "n/a", "not a date", "2026-11-03T25:61:00Z"),
    "epoch_s": ("n/a", "NaN", "yesterday", "17O0000000"),
    "epoch_ms": ("n/a", "NaN", "-", "17O0000000000"),
    "dmy2": ("31/02/26", "n/a", "??"),
}
BAD_NUMBERS = ("N/A", "twelve", "1O.50", "#VALUE!", "12,50")
BAD_TIMESTAMPS = ("yesterday", "2026-02-30T25:61:00Z", "n/a", "", "03/11/2026 10:15")


def csv_field(v: str, delim: str) -> str:
    """QUOTE_MINIMAL as the csv module does it."""
    if delim in v or '"' in v or "\n" in v or "\r" in v:
        return '"' + v.replace('"', '""') + '"'
    return v


@functools.cache
def _csv_line_writer(delimiter: str):
    """``line(row)``: the row as csv.writer writes it (QUOTE_MINIMAL, CRLF)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")

    def line(row) -> str:
        text.seek(0)
        text.truncate()
        writer.writerow(row)
        return text.getvalue()

    return line


def _field_text(v) -> str:
    """A CSV field's text as csv.writer has it: None is empty, other values their str."""
    return "" if v is None else v if v.__class__ is str else str(v)


class Sink:
    """The body of one export file (one day of one file type) that one shard writes: rows are
    buffered as text and appended to the piece when the buffer passes ``FLUSH_BYTES``
    characters (gzip-compressed first for the web file)."""

    __slots__ = (
        "spec",
        "path",
        "parts",
        "size",
        "write",
        "rows",
        "broken",
        "rng",
        "random",
        "zc",
        "bytes_out",
        "force_at",
        "sep",
        "end",
        "delimiter",
        "csv_line",
    )

    def __init__(
        self, spec: FileSpec, path: str, seed: int, day_key: str, first_day: bool, shard: int = 0
    ):
        """The body of one export file written by one shard at ``path`` (a piece)."""
        self.spec, self.path = spec, path
        self.force_at = FORCE_AT_FIRST_DAY if first_day else FORCE_AT
        self.rows = 0
        self.broken = 0
        self.bytes_out = 0
        self.rng = random.Random(
            f"break:{seed}:{spec.key}:{day_key}" + (f":{shard}" if shard else "")
        )
        self.random = self.rng.random
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # The first shard's piece begins as the file does (assemble makes the file of it)
        with open(path, "wb") as fh:
            if shard == 0:
                fh.write(_head(spec))
        self.zc = _gzip() if spec.fmt == "ndjson.gz" else None
        self.parts: list[str] = []  # rows' text buffered (a list renewed at every flush)
        self.size = 0  # characters buffered
        # JSON array elements follow ",\n", but the file's first one follows "[" and a newline
        self.sep = ("\n" if shard == 0 else ",\n") if spec.fmt == "jsonarray" else ""
        self.end = "" if spec.fmt == "jsonarray" else "\n"
        if spec.fmt == "csv":
            self.delimiter = spec.delimiter
            self.csv_line = _csv_line_writer(spec.delimiter)
            self.write = self.write_csv
        else:
            self.write = self.write_json

    # ---- low level ---------------------------------------------------------------------
    def flush(self) -> None:
        text = "".join(self.parts)
        self.parts = []
        self.size = 0
        if not text:
            return
        data = text.encode("utf-8")
        if self.zc is not None:
            data = self.zc.compress(data)
        if data:
            with open(self.path, "ab") as fh:
                fh.write(data)
            self.bytes_out += len(data)

    def close(self) -> None:
        self.flush()
        if self.zc is not None:
            tail = self.zc.flush()
            with open(self.path, "ab") as fh:
                fh.write(tail)
            self.zc = None

    # ---- rows --------------------------------------------------------------------------
    # A row is broken when ``broken`` says so, or (``broken`` None) for a draw of the file's
    # own random stream below BREAK_RATE; and the row at ``force_at`` of a file with no broken
    # row yet is broken whatever was decided.
    def write_csv(self, row: list, broken=None, line: str | None = None) -> str | None:
        """Write the row as csv.writer writes it (QUOTE_MINIMAL, CRLF): the fields joined by
        the delimiter when none holds the delimiter, a quote or a line break (none is then
        quoted), else by csv.writer itself. ``line``: that text, if known (as returned by
        an earlier write of the same row); returns it (None if the row was written broken)."""
        if broken is None:
            broken = self.random() < BREAK_RATE
        if broken or (self.rows == self.force_at and not self.broken):
            self.broken += 1
            text = self._broken_csv(row)
        else:
            if line is None:
                d = self.delimiter
                try:
                    line = d.join(row)
                except TypeError:  # a number or None among the fields
                    line = d.join([_field_text(v) for v in row])
                if (
                    line.count(d) == len(row) - 1
                    and len(row) > 1
                    and '"' not in line
                    and "\n" not in line
                    and "\r" not in line
                ):
                    line += "\r\n"
                else:
                    line = self.csv_line(row)
            text = line
        self.rows += 1
        self.parts.append(text)
        self.size += len(text)
        if self.size > FLUSH_BYTES:
            self.flush()
        return line

    def write_json(self, obj: dict, broken=None, line: str | None = None) -> str | None:
        """Write the object as one JSON line (or array element). ``line``: its JSON, if known
        (as returned by an earlier write of the same object); returns it (None if the object
        was written broken)."""
        if broken is None:
            broken = self.random() < BREAK_RATE
        if broken or (self.rows == self.force_at and not self.broken):
            self.broken += 1
            self._add_element(self._broken_json(obj))
        else:
            if line is None:
                line = _json(obj)
            self._add_element(line)
        return line

    def write_text(self, text: str, fields: tuple, values: tuple) -> None:
        """``write_json`` of the object of ``fields`` and ``values`` whose JSON, ``text``, is
        made already (the object is built only if the row is to be broken)."""
        if self.random() < BREAK_RATE or (self.rows == self.force_at and not self.broken):
            self.broken += 1
            self._add_element(self._broken_json(dict(zip(fields, values, strict=True))))
        else:
            self._add_element(text)

    def _add_element(self, element: str) -> None:
        """Append one JSON line or array element (its separator and end added)."""
        text = self.sep + element + self.end
        if self.sep == "\n":  # the file's first element was this one
            self.sep = ",\n"
        self.rows += 1
        self.parts.append(text)
        self.size += len(text)
        if self.size > FLUSH_BYTES:
            self.flush()

    # ---- breakage ----------------------------------------------------------------------
    def _broken_csv(self, row: list) -> str:
        spec, rng = self.spec, self.rng
        cols = spec.columns
        vals = ["" if v is None else str(v) for v in row]
        kinds = ["columns"]
        if spec.date_cols:
            kinds.append("date")
        if spec.num_cols:
            kinds.append("number")
        quote_idx = [
            cols.index(c)
            for c in spec.text_cols
            if len(vals[cols.index(c)]) >= 2
            and not any(ch in vals[cols.index(c)] for ch in (spec.delimiter, '"', "\n", "\r"))
        ]
        if quote_idx:
            kinds.append("quote")
        kind = rng.choice(kinds)
        raw = -1
        if kind == "columns":
            extra = [rng.choice(("", vals[-1], "x"))]
            vals = vals[:-1] if rng.random() < 0.5 else vals + extra
        elif kind == "date":
            col, fmt = rng.choice(spec.date_cols)
            vals[cols.index(col)] = rng.choice(BAD_DATES[fmt])
        elif kind == "number":
            vals[cols.index(rng.choice(spec.num_cols))] = rng.choice(BAD_NUMBERS)
        else:
            raw = rng.choice(quote_idx)
            v = vals[raw]
            pos = rng.randint(1, len(v) - 1)
            vals[raw] = v[:pos] + '"' + v[pos:]
        d = spec.delimiter
        return d.join(v if i == raw else csv_field(v, d) for i, v in enumerate(vals)) + "\r\n"

    def _broken_json(self, obj: dict) -> str:
        spec, rng = self.spec, self.rng
        if spec.fmt == "jsonarray":
            obj = dict(obj)
            r = rng.random()
            if r < 0.5:
                obj["started_at"] = "not a date"
            elif r < 0.8:
                price = dict(obj["price"])
                price["amount"] = float(price["amount"])
                obj["price"] = price
            else:
                obj["customer"] = (obj["customer"] or {}).get("name") or "unknown"
            return _json(obj)
        if spec.date_cols and rng.random() < 0.5:
            obj = dict(obj)
            obj[rng.choice(spec.date_cols)[0]] = rng.choice(BAD_TIMESTAMPS)
            return _json(obj)
        s = _json(obj)
        cut = int(len(s) * rng.uniform(0.6, 0.95))
        return s[:cut]


class Landing:
    """Routes rows to per-(file, day) sinks; collects the current household's truth."""

    def __init__(
        self,
        root: str,
        dates: list[str],
        extra_date: str,
        seed: int,
        resend: list[tuple[str, int]],
        scrub=None,
        shard: int = 0,
    ):
        """Rows of shard ``shard`` go to pieces under ``root`` (see ``assemble``)."""
        self.root = root
        self.shard = shard
        self.scrub = scrub  # (spec, row) -> row or None (not exported)
        self.dates = dates
        self.D = len(dates)
        self.extra_date = extra_date
        self.seed = seed
        self.resend = set(resend)
        self.sinks: dict[tuple[str, int], Sink] = {}
        # per file (spec.key): the export day of a delta row of each day 0..D (see route), and
        # the sink of each export day, made on the first row
        self._files: dict[str, tuple[list[int], list[Sink | None]]] = {}
        self.truth: dict[tuple[str, str], str] = {}
        self.rng = random.Random(seed)  # replaced per household by the engine

    def _date(self, day: int) -> str:
        return self.dates[day] if day < self.D else self.extra_date

    def _file(self, spec: FileSpec) -> tuple[list[int], list[Sink | None]]:
        """(``route`` of each delta day 0..D (a later day is never exported), the sink of each
        export day or None) of the file."""
        f = self._files.get(spec.key)
        if f is None:
            routes = [self.route(spec, d) for d in range(self.D + 1)]
            f = self._files[spec.key] = (routes, [None] * (self.D + 1))
        return f

    def sink(self, spec: FileSpec, day: int) -> Sink:
        sinks = self._file(spec)[1]
        s = sinks[day]
        if s is None:
            path = os.path.join(self.root, spec.source, self._date(day), spec.name)
            s = Sink(spec, path, self.seed, self._date(day), day == 0, self.shard)
            sinks[day] = self.sinks[(spec.key, day)] = s
        return s

    def route(self, spec: FileSpec, day: int) -> int:
        """Export day a delta row of ``day`` lands in, or -1 if it is never exported."""
        if day < 0:
            day = 0
        if (spec.source, day) in self.resend:
            day += 1
        if day >= self.D and not (day == self.D and spec.source == "web"):
            return -1
        return day

    def delta(self, spec: FileSpec, day: int, row, truth=None, broken=None) -> int:
        """Write a delta row of ``day`` (see ``route``); its export day, or -1 if not written.
        ``truth``: the (record key, person) the row names, registered when the row lands in a
        complete export day."""
        routes, sinks = self._files.get(spec.key) or self._file(spec)
        if day > self.D:
            return -1
        d = routes[day] if day > 0 else routes[0]
        if d < 0:
            return d
        if self.scrub is not None:
            row = self.scrub(spec, row)
            if row is None:
                return -1
        (sinks[d] or self.sink(spec, d)).write(row, broken)
        if truth is not None and d < self.D and truth[0] not in self.truth:
            self.truth[truth[0]] = truth[1]
        if spec.overlap and self.rng.random() < OVERLAP_RATE:
            d2 = routes[d + 1]
            if 0 <= d2 < self.D:
                self.sink(spec, d2).write(row)
        return d

    def delta_json(
        self, spec: FileSpec, day: int, text: str, fields: tuple, values: tuple, truth=None
    ) -> int:
        """``delta`` of the JSON object of ``fields`` and ``values``, whose JSON (what
        ``_json`` gives) is ``text``: the object is built only when a scenario scrubs it or
        the row is to be broken."""
        if CHECK_TEXT:
            assert text == _json(dict(zip(fields, values, strict=True))), text
        if self.scrub is not None:
            return self.delta(spec, day, dict(zip(fields, values, strict=True)), truth)
        routes, sinks = self._files.get(spec.key) or self._file(spec)
        if day > self.D:
            return -1
        d = routes[day] if day > 0 else routes[0]
        if d < 0:
            return d
        sink = sinks[d] or self.sink(spec, d)
        # sink.write_text(text, fields, values), written out: this writes every web event
        if sink.random() < BREAK_RATE or (sink.rows == sink.force_at and not sink.broken):
            sink.broken += 1
            line = sink._broken_json(dict(zip(fields, values, strict=True)))
        else:
            line = text
        line = sink.sep + line + sink.end
        if sink.sep == "\n":  # the file's first element was this one
            sink.sep = ",\n"
        sink.rows += 1
        sink.parts.append(line)
        sink.size += len(line)
        if sink.size > FLUSH_BYTES:
            sink.flush()
        if truth is not None and d < self.D and truth[0] not in self.truth:
            self.truth[truth[0]] = truth[1]
        if spec.overlap and self.rng.random() < OVERLAP_RATE:
            d2 = routes[d + 1]
            if 0 <= d2 < self.D:
                self.sink(spec, d2).write_text(text, fields, values)
        return d

    def snapshot(self, spec: FileSpec, day: int, row, truth=None, broken=None) -> None:
        """Write a row of the snapshot of export day ``day``."""
        self.snapshots(spec, range(day, day + 1), row, truth, broken)

    def snapshots(self, spec: FileSpec, days: range, row, truth=None, broken=None) -> None:
        """Write a row of the snapshot of each export day of ``days`` (its text made once),
        as ``snapshot`` of each day would."""
        if not days:
            return
        if self.scrub is not None:
            row = self.scrub(spec, row)
            if row is None:
                return
        sinks = self._file(spec)[1]
        line = None
        for day in days:
            line = (sinks[day] or self.sink(spec, day)).write(row, broken, line)
        if truth is not None and truth[0] not in self.truth:
            self.truth[truth[0]] = truth[1]

    def close(self) -> dict[tuple[str, int], tuple[int, int]]:
        """Close the sinks; (file, export day) -> (rows, broken rows) of this shard."""
        for s in self.sinks.values():
            s.close()
        return {k: (s.rows, s.broken) for k, s in self.sinks.items()}


def piece_path(pieces: str, shard: int, *parts: str) -> str:
    return os.path.join(pieces, f"shard-{shard:03d}", *parts)


#: zlib's level for the web file: 3 compresses twice as fast as the default 6 for a sixth
#: more bytes (site events of a million persons: 0.9 s instead of 1.8 s per 150 MB); the
#: compression was a fifth of the generator's time at level 6.
GZIP_LEVEL = 3


def _gzip():
    """A gzip stream with mtime 0 and no file name (reproducible bytes)."""
    return zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)


def _append(out, path: str, skip: int = 0) -> None:
    """Append the file at ``path``, but its first ``skip`` bytes, to ``out`` (an unbuffered
    file written at its end): copied by the kernel where it can (copy_file_range)."""
    with open(path, "rb", buffering=0) as piece:
        src, dst = piece.fileno(), out.fileno()
        size = os.fstat(src).st_size
        done = piece.seek(skip)
        if hasattr(os, "copy_file_range"):
            try:
                while done < size:
                    n = os.copy_file_range(src, dst, size - done)
                    if n <= 0:
                        break
                    done += n
            except OSError:  # not on this file system: the plain way from where it stopped
                pass
        if done < size:
            piece.seek(done)
            shutil.copyfileobj(piece, out, 1 << 20)


def _head(spec: FileSpec) -> bytes:
    """What an export file starts with before its rows."""
    if spec.fmt == "csv":
        header = _csv_line_writer(spec.delimiter)(spec.columns)
        return (("\ufeff" if spec.bom else "") + header).encode("utf-8")
    return b"[" if spec.fmt == "jsonarray" else b""


def assemble(
    root: str,
    pieces: str,
    shards: int,
    dates: list[str],
    extra_date: str,
    resend: list[tuple[str, int]],
    written: list[dict[tuple[str, int], tuple[int, int]]],
) -> dict:
    """Write every export file from the shards' pieces (``written``: what each shard's
    ``Landing.close`` returned), copy re-sent folders, write ``_SUCCESS``; return the rows and
    broken rows per file."""
    resent = set(resend)
    days = len(dates)
    for spec in ALL_SPECS:
        last = days + 1 if spec.source == "web" else days  # web: the export still being written
        for day in range(last):
            date = dates[day] if day < days else extra_date
            if (spec.source, day) in resent and day < days:
                continue
            # the shards that wrote rows of the file, in order
            holders = [b for b in range(shards) if written[b].get((spec.key, day), (0,))[0]]
            path = os.path.join(root, spec.source, date, spec.name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            pieces_of = [
                piece_path(pieces, b, "landing", spec.source, date, spec.name) for b in holders
            ]
            if holders and holders[0] == 0:
                # the first shard's piece begins as the file does: it becomes the file
                os.replace(pieces_of[0], path)
                out = open(path, "r+b", buffering=0)  # noqa: SIM115 (closed below)
                out.seek(0, os.SEEK_END)
                first, skip = 1, 0
            else:
                out = open(path, "wb", buffering=0)  # noqa: SIM115 (closed below)
                out.write(_head(spec))
                # a JSON array's first element follows "[" and a newline, not ",\n"
                first, skip = 0, 1 if spec.fmt == "jsonarray" else 0
            with out:
                for i, piece in enumerate(pieces_of[first:]):
                    _append(out, piece, skip if i == 0 else 0)
                if spec.fmt == "jsonarray":
                    out.write(b"\n]\n" if holders else b"]\n")
                elif spec.fmt == "ndjson.gz" and not holders:
                    zc = _gzip()
                    out.write(zc.compress(b"") + zc.flush())
    for source, day in resend:
        src = os.path.join(root, source, dates[day - 1])
        dst = os.path.join(root, source, dates[day])
        os.makedirs(dst, exist_ok=True)
        for spec in ALL_SPECS:
            if spec.source == source:
                shutil.copyfile(os.path.join(src, spec.name), os.path.join(dst, spec.name))
    for source in dict.fromkeys(s.source for s in ALL_SPECS):
        for day in range(days):
            with open(os.path.join(root, source, dates[day], "_SUCCESS"), "wb"):
                pass
    rows: dict[str, int] = {}
    broken: dict[str, int] = {}
    for (key, _day), (n, bad) in sorted(kv for shard in written for kv in shard.items()):
        rows[key] = rows.get(key, 0) + n
        broken[key] = broken.get(key, 0) + bad
    return {"rows": rows, "broken_rows": broken}


TRUTH_FILES = ("persons.csv", "record_person.csv")


class TruthWriter:
    """persons.csv and record_person.csv of one shard, streamed household by household (with
    their header only when ``header``; ``assemble_truth`` joins the shards' files)."""

    def __init__(self, truth_dir: str, header: bool = True):
        os.makedirs(truth_dir, exist_ok=True)
        self.persons = open(  # noqa: SIM115 (kept open while streaming)
            os.path.join(truth_dir, "persons.csv"), "w", newline="", encoding="utf-8"
        )
        self.records = open(  # noqa: SIM115 (kept open while streaming)
            os.path.join(truth_dir, "record_person.csv"), "w", newline="", encoding="utf-8"
        )
        self.pw = csv.writer(self.persons, lineterminator="\n")
        self.rw = csv.writer(self.records, lineterminator="\n")
        if header:
            self.write_headers()
        self.n_persons = 0
        self.n_records = 0

    def write_headers(self) -> None:
        self.pw.writerow(
            [
                "person_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "birth_date",
                "street",
                "postcode",
                "city",
                "country",
                "language",
                "diet",
                "household_size",
            ]
        )
        self.rw.writerow(["source", "record_id", "person_id"])

    def person(self, row: list) -> None:
        self.pw.writerow(row)
        self.n_persons += 1

    def records_of(self, truth: dict) -> None:
        self.rw.writerows([k[0], k[1], v] for k, v in truth.items())
        self.n_records += len(truth)

    def close(self) -> None:
        self.persons.close()
        self.records.close()


def assemble_truth(truth_dir: str, parts: list[str]) -> None:
    """The truth files: their headers, then each shard's rows in shard order."""
    heads = TruthWriter(truth_dir)
    heads.close()
    for name in TRUTH_FILES:
        with open(os.path.join(truth_dir, name), "r+b", buffering=0) as out:
            out.seek(0, os.SEEK_END)
            for part in parts:
                _append(out, os.path.join(part, name))
