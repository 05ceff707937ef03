"""Erasure end to end: a person who appears in every source under several identifiers asks to
be forgotten; after the next run no layer and no file the platform wrote names them, and an
old export that names them, delivered again, does not bring them back."""

from __future__ import annotations

import csv
import gzip
import re
import shutil
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import phonenumbers

from cdp.config import DBT_PROJECT_DIR
from cdp.sources import SOURCE_FILES
from tests.conftest import SAMPLE_END, pipeline_resources, run_daily_pipeline

REQUEST_DAY = SAMPLE_END + timedelta(days=1)
REDELIVERY_DAY = SAMPLE_END + timedelta(days=2)
# Sources a person can appear in, as the truth names them.
SOURCES = {
    "crm", "shop_account", "shop_order", "web", "newsletter", "subscriptions",
    "surveys_nps", "surveys_preferences", "support", "social",
}  # fmt: skip


def _read_truth(truth: Path) -> tuple[dict[str, dict], dict[str, list[tuple[str, str]]]]:
    with open(truth / "persons.csv", newline="") as f:
        persons = {row["person_id"]: row for row in csv.DictReader(f)}
    records: dict[str, list[tuple[str, str]]] = {}
    with open(truth / "record_person.csv", newline="") as f:
        for row in csv.DictReader(f):
            records.setdefault(row["person_id"], []).append((row["source"], row["record_id"]))
    return persons, records


def _landing_text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace")


def _already_requested(landing: Path) -> str:
    return "\n".join(
        _landing_text(p).lower() for p in (landing / "privacy").rglob("erasure_requests.csv")
    )


def choose_person(generated: Path) -> tuple[dict, list[tuple[str, str]]]:
    """The person with records in the most sources, an email and a phone, whom no erasure
    request of the sample names."""
    persons, records = _read_truth(generated / "truth")
    requested = _already_requested(generated / "landing")

    def score(person_id: str) -> int:
        return len({source for source, _ in records.get(person_id, [])} & SOURCES)

    candidates = [
        pid
        for pid, person in persons.items()
        if person["email"] and person["phone"] and person["email"].lower() not in requested
    ]
    best = max(candidates, key=lambda pid: (score(pid), len(records.get(pid, [])), pid))
    return persons[best], records[best]


class Needles:
    """What names the person: text to find anywhere, and numbers to find as whole tokens."""

    def __init__(self, person: dict, records: list[tuple[str, str]]) -> None:
        number = phonenumbers.parse(person["phone"])
        self.national_digits = str(number.national_number)
        self.text = {person["email"].lower(), person["phone"].lower()}
        self.numbers = {self.national_digits}
        for source, record_id in records:
            value = record_id.lower()
            if source == "social":
                value = value.split(":", 1)[1]
            (self.numbers if value.isdigit() else self.text).add(value)
        self._pattern = re.compile(
            "|".join(re.escape(t) for t in sorted(self.text, key=len, reverse=True))
            + "|"
            + "|".join(rf"(?<![0-9]){n}(?![0-9])" for n in sorted(self.numbers))
        )

    def find(self, text: str) -> list[str]:
        lowered = text.lower()
        found = set(self._pattern.findall(lowered))
        # phones written with spaces, dots or dashes: compare digits only
        digits = re.sub(r"[\s.\-()/]", "", lowered)
        if re.search(rf"(?<![0-9]){self.national_digits}(?![0-9])", digits):
            found.add(self.national_digits)
        return sorted(found)


def search_warehouse(warehouse: Path, needles: Needles) -> dict[str, list[str]]:
    """Every column of every table and view, as text."""
    hits: dict[str, list[str]] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema <> 'main' order by all"
        ).fetchall()
        for schema, name in relations:
            columns = con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()
            text = " || chr(31) || ".join(
                f"coalesce(cast(\"{c}\" as varchar), '')" for (c,) in columns
            )
            rows = con.execute(f'select {text} from "{schema}"."{name}"').fetchall()
            found = sorted({n for (row,) in rows for n in needles.find(row or "")})
            if found:
                hits[f"{schema}.{name}"] = found
    finally:
        con.close()
    return hits


def search_files(roots: list[Path], needles: Needles, since: float) -> dict[str, list[str]]:
    """Every file under the roots written since ``since``; Parquet read as data, gzip
    uncompressed, everything else as bytes."""
    hits: dict[str, list[str]] = {}
    for root in roots:
        for path in root.rglob("*"):
            if not path.is_file() or path.stat().st_mtime < since or path.suffix == ".duckdb":
                continue
            if path.suffix == ".parquet":
                con = duckdb.connect()
                rows = con.execute("select * from read_parquet(?)", [str(path)]).fetchall()
                con.close()
                text = "\n".join(" ".join(map(str, row)) for row in rows)
            elif path.suffix == ".gz":
                text = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
            else:
                text = path.read_bytes().decode("utf-8", "replace")
            found = needles.find(text)
            if found:
                hits[str(path)] = found
    return hits


def search_warehouse_bytes(warehouse: Path, needles: Needles) -> list[str]:
    """The warehouse file and its write-ahead log as bytes: blocks that deletes freed but did
    not overwrite would still show an erased person there."""
    found = set()
    for path in (warehouse, Path(f"{warehouse}.wal")):
        if path.exists():
            found.update(needles.find(path.read_bytes().decode("latin-1")))
    return sorted(found)


def write_folder(landing: Path, source: str, day, files: dict[str, bytes]) -> None:
    folder = landing / source / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "_SUCCESS").touch()


def redeliver_old_exports(landing: Path, needles: Needles) -> list[str]:
    """Deliver again, dated later, every old export line that names the person (a whole old
    snapshot for snapshot sources), and one old folder byte for byte."""
    delivered = []
    for spec in SOURCE_FILES:
        files = sorted((landing / spec.source).glob(f"*/{spec.filename}"))
        files = [f for f in files if f.parent.name < REQUEST_DAY.isoformat()]
        naming = [f for f in files if needles.find(_landing_text(f))]
        if not naming:
            continue
        if spec.kind == "snapshot" or spec.format == "json_array":
            data = naming[-1].read_bytes()
        else:
            lines = []
            header = None
            for f in naming:
                text_lines = _landing_text(f).splitlines()
                if spec.format == "csv":
                    header = text_lines[0]
                    text_lines = text_lines[1:]
                lines += [line for line in text_lines if needles.find(line)]
            body = "\n".join(([header] if header else []) + lines) + "\n"
            data = body.encode()
            if spec.filename.endswith(".gz"):
                data = gzip.compress(data, mtime=0)
        write_folder(landing, spec.source, REDELIVERY_DAY, {spec.filename: data})
        delivered.append(spec.name)
    return delivered


def run_pipeline(landing: Path, tmp: Path, instance: dg.DagsterInstance, days: list[str]):
    warehouse = tmp / "warehouse.duckdb"
    run_daily_pipeline(instance, pipeline_resources(tmp, warehouse, landing), days)
    return warehouse


def test_an_erased_person_leaves_every_layer_and_stays_erased(generated, tmp_path, monkeypatch):
    import time

    started = time.time() - 1
    landing = tmp_path / "landing"
    shutil.copytree(generated / "landing", landing)
    person, records = choose_person(generated)
    needles = Needles(person, records)
    sources = {source for source, _ in records} & SOURCES
    assert len(sources) >= 6, f"the chosen person appears in only {sorted(sources)}"

    monkeypatch.setenv("CDP_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("CDP_REPORTS_DIR", str(tmp_path / "reports"))
    days = sorted(p.name for p in (landing / "crm").iterdir())
    roots = [tmp_path / d for d in ("exports", "docs", "quality", "reports", "dagster")]
    roots += [DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs"]  # dbt's artifacts and log
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        # 1. Before: the person is in the warehouse and in the files.
        warehouse = run_pipeline(landing, tmp_path, instance, days)
        before = search_warehouse(warehouse, needles)
        assert search_warehouse_bytes(warehouse, needles), "the byte search finds nothing"
        assert {"raw.crm__contacts", "marts.customer_profiles"} <= set(before), before

        # 2. A request that names them by email (written in capitals) and national phone.
        number = phonenumbers.parse(person["phone"])
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        write_folder(
            landing,
            "privacy",
            REQUEST_DAY,
            {
                "erasure_requests.csv": (
                    "request_id,email,phone,account_id,received_at\n"
                    f"ERQ-TEST-1,{person['email'].upper()},+{number.country_code} {national},,"
                    f"{REQUEST_DAY.isoformat()}T09:00:00Z\n"
                ).encode()
            },
        )
        run_pipeline(landing, tmp_path, instance, [REQUEST_DAY.isoformat()])
        assert search_warehouse(warehouse, needles) == {}
        assert search_files(roots, needles, started) == {}
        assert search_warehouse_bytes(warehouse, needles) == []

        con = duckdb.connect(str(warehouse), read_only=True)
        layers = {
            layer
            for (layer,) in con.execute(
                "select distinct layer from privacy.erasure_log where request_id = 'ERQ-TEST-1'"
            ).fetchall()
        }
        hashes = con.execute(
            "select count(*) from privacy.suppression_list where request_id = 'ERQ-TEST-1'"
        ).fetchall()[0][0]
        request = con.execute(
            "select email_hash, phone_hash from privacy.erasure_requests "
            "where request_id = 'ERQ-TEST-1'"
        ).fetchall()
        con.close()
        assert {"raw", "staging", "identity", "marts"} <= layers, layers
        assert hashes >= len(sources)
        assert request and all(len(h) == 64 for h in request[0])

        # 3. Old exports that name them, delivered again: they stay erased.
        redelivered = redeliver_old_exports(landing, needles)
        assert len(redelivered) >= 6, redelivered
        run_pipeline(landing, tmp_path, instance, [REDELIVERY_DAY.isoformat()])
        assert search_warehouse(warehouse, needles) == {}
        assert search_files(roots, needles, started) == {}
        assert search_warehouse_bytes(warehouse, needles) == []

        con = duckdb.connect(str(warehouse), read_only=True)
        suppressed = con.execute(
            "select count(*) from privacy.erasure_log where request_id = 'ERQ-TEST-1' "
            "and layer = 'raw' and logged_at > (select min(logged_at) from privacy.erasure_log "
            "where request_id = 'ERQ-TEST-1')"
        ).fetchall()[0][0]
        loaded = con.execute(
            "select count(*) from raw._load_manifest where export_date = ? and status = 'loaded'",
            [REDELIVERY_DAY],
        ).fetchall()[0][0]
        con.close()
        assert loaded >= 1
        assert suppressed >= 1
