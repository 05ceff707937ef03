"""Every record accounted for: a broken quote costs its own record only, and the load manifest
says how many records each file held, so that a check can reconcile loaded + rejected with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cdp.duckdb_budget import connect
from cdp.ingest.loader import load_file_type
from tests.conftest import write_export
from tests.ingest.test_loader import (
    CRM,
    SUBSCRIPTIONS,
    WEB,
    crm_file,
    crm_row,
    quiet,
    rows,
    web_event,
)

PATH = "crm/2026-11-01/contacts.csv"


def load_crm(con, landing, content: str | bytes):
    write_export(landing, "crm", "2026-11-01", "contacts.csv", content)
    return load_file_type(con, landing, CRM, log=quiet)


def loaded(con) -> list[tuple]:
    return rows(con, "select contact_id, _row_number from raw.crm__contacts order by 2")


def rejects(con) -> list[tuple]:
    return rows(con, "select row_number, error_type, reason, raw_text from raw._rejects order by 1")


def manifest(con) -> list[tuple]:
    return rows(
        con,
        "select rows_loaded, rows_rejected, records_in_file from raw._load_manifest "
        "order by source_file",
    )


def test_an_unbalanced_quote_costs_its_own_record_only(con, landing):
    broken = crm_row("C-3", last_name='"Beta')
    content = crm_file(crm_row("C-1"), crm_row("C-2"), broken, crm_row("C-4"), crm_row("C-5"))
    report = load_crm(con, landing, content)
    assert (report.rows_loaded, report.rows_rejected) == (4, 1)
    assert loaded(con) == [("C-1", 2), ("C-2", 3), ("C-4", 5), ("C-5", 6)]
    ((number, error_type, reason, raw_text),) = rejects(con)
    assert (number, error_type, raw_text) == (4, "UNBALANCED QUOTE", broken)
    assert reason.startswith("unbalanced quote")
    assert manifest(con) == [(4, 1, 5)]
    # The good records are whole: every column of C-4 and C-5 as written.
    assert rows(
        con,
        "select count(*) from raw.crm__contacts where last_name = 'Rossi' and city = 'Roma' "
        "and updated_at is not null and is_deleted is not null",
    ) == [(4,)]


def test_a_broken_quote_in_the_last_record(con, landing):
    broken = crm_row("C-5", last_name='"Beta')
    content = crm_file(crm_row("C-1"), crm_row("C-2"), crm_row("C-3"), crm_row("C-4"), broken)
    report = load_crm(con, landing, content)
    assert (report.rows_loaded, report.rows_rejected) == (4, 1)
    assert loaded(con) == [("C-1", 2), ("C-2", 3), ("C-3", 4), ("C-4", 5)]
    ((number, _, reason, raw_text),) = rejects(con)
    assert number == 6 and raw_text.rstrip("\r\n") == broken
    assert "quote" in reason
    assert manifest(con) == [(4, 1, 5)]


def test_a_multiline_quoted_field_is_one_record(con, landing):
    content = crm_file(
        crm_row("C-1"),
        crm_row("C-2", last_name='"Rossi\nBianchi; detto ""il Rosso"""'),
        crm_row("C-3"),
    )
    report = load_crm(con, landing, content)
    assert (report.rows_loaded, report.rows_rejected) == (3, 0)
    assert loaded(con) == [("C-1", 2), ("C-2", 3), ("C-3", 4)]
    assert rows(con, "select last_name from raw.crm__contacts where contact_id = 'C-2'") == [
        ('Rossi\nBianchi; detto "il Rosso"',)
    ]
    assert manifest(con) == [(3, 0, 3)]


def test_broken_quote_next_to_a_multiline_field_and_other_bad_rows(con, landing):
    """The re-read keeps DuckDB's own rejects, each at its number in the original file."""
    broken = crm_row("C-4", last_name='"Beta')
    content = crm_file(
        crm_row("C-1"),
        crm_row("C-2", last_name='"Rossi\nBianchi"'),  # two lines, one record (3)
        crm_row("C-3", birth_date="31/02/1985"),  # not a date (4)
        broken,  # (5)
        "C-5;Sig.;too;few",  # wrong column count (6)
        crm_row("C-6", last_name='"Verdi"'),  # a quoted field further on (7)
        crm_row("C-7"),  # (8)
    )
    report = load_crm(con, landing, content)
    assert (report.rows_loaded, report.rows_rejected) == (4, 3)
    assert loaded(con) == [("C-1", 2), ("C-2", 3), ("C-6", 7), ("C-7", 8)]
    found = rejects(con)
    assert [(r[0], r[1]) for r in found] == [
        (4, "CAST"),
        (5, "UNBALANCED QUOTE"),
        (6, "MISSING COLUMNS"),
    ]
    assert "31/02/1985" in found[0][2] and found[0][3].startswith("C-3;")
    assert found[1][3] == broken and found[2][3] == "C-5;Sig.;too;few"
    assert manifest(con) == [(4, 3, 7)]


def test_a_broken_quote_closed_by_a_later_quote_still_costs_one_record(con, landing):
    broken = crm_row("C-2", last_name='"Beta')
    content = crm_file(
        crm_row("C-1"), broken, crm_row("C-3"), crm_row("C-4", last_name='"Neri"'), crm_row("C-5")
    )
    report = load_crm(con, landing, content)
    assert (report.rows_loaded, report.rows_rejected) == (4, 1)
    assert loaded(con) == [("C-1", 2), ("C-3", 4), ("C-4", 5), ("C-5", 6)]
    assert [(r[0], r[3]) for r in rejects(con)] == [(3, broken)]
    assert manifest(con) == [(4, 1, 5)]


def test_a_quote_after_spaces_that_a_later_quote_closes_costs_one_record(con, landing):
    """DuckDB's reader opens a quoted field at a quote that follows spaces (`, "Galasso ,`),
    and reads on to the next quote in the file; the records in between are neither loaded
    nor rejected unless the split of the file into records reads the quote the same way."""
    broken = crm_row("C-2", last_name=' "Galasso ')
    content = crm_file(
        crm_row("C-1"), broken, crm_row("C-3"), crm_row("C-4"), crm_row("C-5", last_name='"Neri"'),
        crm_row("C-6"),
    )  # fmt: skip
    report = load_crm(con, landing, content)
    assert (report.rows_loaded, report.rows_rejected) == (5, 1)
    assert loaded(con) == [("C-1", 2), ("C-3", 4), ("C-4", 5), ("C-5", 6), ("C-6", 7)]
    assert [(r[0], r[3]) for r in rejects(con)] == [(3, broken)]
    assert manifest(con) == [(5, 1, 6)]


def test_crlf_file_with_a_broken_quote(con, landing):
    records = [crm_row("C-1"), crm_row("C-2", last_name='"Beta'), crm_row("C-3")]
    content = "\ufeff" + "\r\n".join([";".join(CRM.column_names), *records]) + "\r\n"
    report = load_crm(con, landing, content)
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    assert loaded(con) == [("C-1", 2), ("C-3", 4)]
    assert [(r[0], r[3]) for r in rejects(con)] == [(3, records[1])]
    assert manifest(con) == [(2, 1, 3)]


def test_blank_lines_are_no_records_and_keep_the_numbers_right(con, landing):
    content = crm_file(crm_row("C-1"), "", crm_row("C-2"), "C-3;bad", "") + "\n"
    report = load_crm(con, landing, content)
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    # A blank line keeps its number, as in DuckDB's reject reports.
    assert loaded(con) == [("C-1", 2), ("C-2", 4)]
    assert [(r[0], r[3]) for r in rejects(con)] == [(5, "C-3;bad")]
    assert manifest(con) == [(2, 1, 3)]


def test_a_broken_quote_next_to_a_line_that_is_not_utf8(con, landing):
    # (The header reader decodes the file's first 8 KiB: bytes that are not UTF-8 there fail
    # the whole file, so the bad line comes later.)
    good = [crm_row(f"C-{i}") for i in range(1, 81)]
    head = crm_file(*good, crm_row("C-81", last_name='"Beta')).encode("utf-8")
    tail = (crm_row("C-82", last_name="M\xfcller").encode("latin-1") + b"\n") + (
        crm_row("C-83").encode("utf-8") + b"\n"
    )
    report = load_crm(con, landing, head + tail)
    assert [f.status for f in report.files] == ["loaded"]
    assert (report.rows_loaded, report.rows_rejected) == (81, 2)
    assert loaded(con)[-1] == ("C-83", 84)
    found = rejects(con)
    assert [(r[0], r[1]) for r in found] == [(82, "UNBALANCED QUOTE"), (83, "INVALID ENCODING")]
    assert found[0][3] == crm_row("C-81", last_name='"Beta')
    assert manifest(con) == [(81, 2, 83)]


def test_a_clean_file_records_its_records(con, landing):
    load_crm(con, landing, crm_file(crm_row("C-1"), crm_row("C-2"), "C-3;bad"))
    assert manifest(con) == [(2, 1, 3)]
    load_crm(con, landing, crm_file())
    assert manifest(con) == [(0, 0, 0)]


def test_json_files_record_their_records(con, landing):
    lines = [web_event("e1"), "", '{"event_id": "e2", "anonym', "[1]", web_event("e3")]
    write_export(landing, "web", "2026-11-01", "events.ndjson.gz", "\n".join(lines) + "\n")
    load_file_type(con, landing, WEB, log=quiet)
    write_export(
        landing, "subscriptions", "2026-11-01", "subscriptions.json", json.dumps([{"id": "a"}] * 3)
    )
    load_file_type(con, landing, SUBSCRIPTIONS, log=quiet)
    assert manifest(con) == [(3, 0, 3), (2, 2, 4)]


def test_an_existing_manifest_gets_the_new_column(con, landing):
    con.execute("create schema raw")
    con.execute(
        """create table raw._load_manifest (
               source_file varchar, source varchar, entity varchar, export_date date,
               size_bytes bigint, sha256 varchar, status varchar, duplicate_of varchar,
               rows_loaded bigint, rows_rejected bigint, error varchar, loaded_at timestamptz)"""
    )
    con.execute(
        "insert into raw._load_manifest values ('crm/2026-10-31/contacts.csv', 'crm', "
        "'contacts', '2026-10-31', 1, 'x', 'loaded', null, 1, 0, null, now())"
    )
    load_crm(con, landing, crm_file(crm_row("C-1")))
    assert manifest(con) == [(1, 0, None), (1, 0, 1)]


# --- the reconciliation check -----------------------------------------------------------------


def _validate_crm(warehouse: Path, tmp_path: Path):
    from cdp.quality.run import QualityRun

    run = QualityRun(
        warehouse=warehouse,
        quality_dir=tmp_path / "quality",
        docs_dir=tmp_path / "docs",
        now=datetime(2026, 11, 2, 12, tzinfo=UTC),
        manifest=tmp_path / "no-dbt-manifest.json",
    )
    suite = next(s for s in run.suites().values() if s.name == "raw.crm__contacts")
    (result,) = run.validate([suite], run_id="test", log=quiet)
    return result


RECONCILE = "every record of each loaded file is loaded or rejected"


@pytest.mark.parametrize("tamper", [False, True])
def test_the_reconciliation_check_fails_on_a_file_that_does_not_add_up(landing, tmp_path, tamper):
    warehouse = tmp_path / "warehouse.duckdb"
    con = connect(str(warehouse))
    content = crm_file(crm_row("C-1"), crm_row("C-2", last_name='"Beta'), crm_row("C-3"))
    load_crm(con, landing, content)
    if tamper:  # what the old loader did: the records after the quote vanished
        con.execute("update raw._load_manifest set records_in_file = rows_loaded + 3")
    con.close()
    result = _validate_crm(warehouse, tmp_path)
    failed = {r.description: r for r in result.results if not r.success}
    checks = {r.description for r in result.results}
    assert RECONCILE in checks
    if tamper:
        assert {d for d, r in failed.items() if r.severity == "error"} == {RECONCILE}
        assert failed[RECONCILE].severity == "error" and failed[RECONCILE].unexpected_count == 1
    else:
        assert RECONCILE not in failed
