"""Streaming writers of the landing zone and of the ground truth.

One ``Sink`` per (file, export day) buffers a little text and appends it to its file when the
buffer passes ``FLUSH_BYTES`` (open, append, close), so memory stays bounded whatever the number
of persons and days, and no file handle stays open. The web file is gzip: one
``zlib.compressobj`` per day file produces a single gzip member whose header has mtime 0 and no
file name, so output is byte-for-byte reproducible.

``Landing`` routes rows to sinks: delta rows older than the window go to the first export day,
a re-sent (source, day) folder sends its rows to the next day, a few rows are repeated in the
next day's delta (export window overlap), and landed rows that name a person are registered in
the truth of the current household. A scenario's ``scrub`` (contact-free exports) sees every row
first and may change it or keep it from being exported.
"""

from __future__ import annotations

import csv
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

_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

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


class _Acc:
    """Text accumulator (a file-like ``write`` for csv.writer). A plain list of row strings,
    renewed at every flush, keeps memory flat (io.StringIO keeps its peak capacity)."""

    __slots__ = ("parts", "size")

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0

    def write(self, s: str) -> None:
        self.parts.append(s)
        self.size += len(s)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts = []
        self.size = 0
        return text


class Sink:
    __slots__ = (
        "spec",
        "path",
        "acc",
        "writer",
        "rows",
        "broken",
        "rng",
        "zc",
        "first",
        "bytes_out",
        "force_at",
    )

    def __init__(self, spec: FileSpec, path: str, seed: int, day_key: str, first_day: bool):
        self.spec, self.path = spec, path
        self.force_at = FORCE_AT_FIRST_DAY if first_day else FORCE_AT
        self.rows = 0
        self.broken = 0
        self.bytes_out = 0
        self.rng = random.Random(f"break:{seed}:{spec.key}:{day_key}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb"):
            pass
        self.zc = zlib.compressobj(6, zlib.DEFLATED, 31) if spec.fmt == "ndjson.gz" else None
        self.first = True
        self.acc = _Acc()
        if spec.fmt == "csv":
            self.writer = csv.writer(self.acc, delimiter=spec.delimiter, lineterminator="\r\n")
            if spec.bom:
                self.acc.write("\ufeff")
            self.writer.writerow(spec.columns)
        else:
            self.writer = None
            if spec.fmt == "jsonarray":
                self._add("[")

    # ---- low level ---------------------------------------------------------------------
    def _add(self, s: str) -> None:
        acc = self.acc
        acc.write(s)
        if acc.size > FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        text = self.acc.take()
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
        if self.spec.fmt == "jsonarray":
            self.acc.write("\n]\n" if not self.first else "]\n")
        self.flush()
        if self.zc is not None:
            tail = self.zc.flush()
            with open(self.path, "ab") as fh:
                fh.write(tail)
            self.zc = None

    def _should_break(self, flag) -> bool:
        if flag is None:
            flag = self.rng.random() < BREAK_RATE
        if not flag and self.rows == self.force_at and self.broken == 0:
            flag = True
        return flag

    # ---- rows --------------------------------------------------------------------------
    def write_csv(self, row: list, broken=None) -> None:
        if self._should_break(broken):
            self.broken += 1
            self.acc.write(self._broken_csv(row))
        else:
            self.writer.writerow(row)
        self.rows += 1
        if self.acc.size > FLUSH_BYTES:
            self.flush()

    def write_json(self, obj: dict, broken=None) -> None:
        if self._should_break(broken):
            self.broken += 1
            line = self._broken_json(obj)
        else:
            line = _json(obj)
        self.rows += 1
        if self.spec.fmt == "jsonarray":
            self._add(("\n" if self.first else ",\n") + line)
            self.first = False
        else:
            self._add(line + "\n")

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
    ):
        self.root = root
        self.scrub = scrub  # (spec, row) -> row or None (not exported)
        self.dates = dates
        self.D = len(dates)
        self.extra_date = extra_date
        self.seed = seed
        self.resend = set(resend)
        self.resend_list = list(resend)
        self.sinks: dict[tuple[str, int], Sink] = {}
        self.truth: dict[tuple[str, str], str] = {}
        self.rng = random.Random(seed)  # replaced per household by the engine

    def _date(self, day: int) -> str:
        return self.dates[day] if day < self.D else self.extra_date

    def sink(self, spec: FileSpec, day: int) -> Sink:
        k = (spec.key, day)
        s = self.sinks.get(k)
        if s is None:
            path = os.path.join(self.root, spec.source, self._date(day), spec.name)
            s = self.sinks[k] = Sink(spec, path, self.seed, self._date(day), day == 0)
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
        d = self.route(spec, day)
        if d < 0:
            return d
        if self.scrub is not None:
            row = self.scrub(spec, row)
            if row is None:
                return -1
        sink = self.sink(spec, d)
        if spec.fmt == "csv":
            sink.write_csv(row, broken)
        else:
            sink.write_json(row, broken)
        if truth is not None and d < self.D and truth[0] not in self.truth:
            self.truth[truth[0]] = truth[1]
        if spec.overlap and self.rng.random() < OVERLAP_RATE:
            d2 = self.route(spec, d + 1)
            if 0 <= d2 < self.D:
                s2 = self.sink(spec, d2)
                if spec.fmt == "csv":
                    s2.write_csv(row)
                else:
                    s2.write_json(row)
        return d

    def snapshot(self, spec: FileSpec, day: int, row, truth=None, broken=None) -> None:
        if self.scrub is not None:
            row = self.scrub(spec, row)
            if row is None:
                return
        sink = self.sink(spec, day)
        if spec.fmt == "csv":
            sink.write_csv(row, broken)
        else:
            sink.write_json(row, broken)
        if truth is not None and truth[0] not in self.truth:
            self.truth[truth[0]] = truth[1]

    def finish(self) -> dict:
        """Close sinks, create empty files, copy re-sent folders, write ``_SUCCESS``."""
        for spec in ALL_SPECS:
            if spec.source == "web":
                self.sink(spec, self.D)  # the export still being written always exists
        for s in self.sinks.values():
            s.close()
        for spec in ALL_SPECS:
            for day in range(self.D):
                if (spec.source, day) in self.resend:
                    continue
                if (spec.key, day) not in self.sinks:
                    self.sink(spec, day).close()
        for source, day in self.resend_list:
            src = os.path.join(self.root, source, self.dates[day - 1])
            dst = os.path.join(self.root, source, self.dates[day])
            os.makedirs(dst, exist_ok=True)
            for spec in ALL_SPECS:
                if spec.source == source:
                    shutil.copyfile(os.path.join(src, spec.name), os.path.join(dst, spec.name))
        for source in dict.fromkeys(s.source for s in ALL_SPECS):
            for day in range(self.D):
                with open(os.path.join(self.root, source, self.dates[day], "_SUCCESS"), "wb"):
                    pass
        rows: dict[str, int] = {}
        broken: dict[str, int] = {}
        for (key, _day), s in sorted(self.sinks.items()):
            rows[key] = rows.get(key, 0) + s.rows
            broken[key] = broken.get(key, 0) + s.broken
        return {"rows": rows, "broken_rows": broken}


class TruthWriter:
    """persons.csv and record_person.csv, streamed household by household."""

    def __init__(self, truth_dir: str):
        os.makedirs(truth_dir, exist_ok=True)
        self.persons = open(  # noqa: SIM115 (kept open while streaming)
            os.path.join(truth_dir, "persons.csv"), "w", newline="", encoding="utf-8"
        )
        self.records = open(  # noqa: SIM115 (kept open while streaming)
            os.path.join(truth_dir, "record_person.csv"), "w", newline="", encoding="utf-8"
        )
        self.pw = csv.writer(self.persons, lineterminator="\n")
        self.rw = csv.writer(self.records, lineterminator="\n")
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
        self.n_persons = 0
        self.n_records = 0

    def person(self, row: list) -> None:
        self.pw.writerow(row)
        self.n_persons += 1

    def records_of(self, truth: dict) -> None:
        self.rw.writerows([k[0], k[1], v] for k, v in truth.items())
        self.n_records += len(truth)

    def close(self) -> None:
        self.persons.close()
        self.records.close()
