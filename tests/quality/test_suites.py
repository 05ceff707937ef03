"""The expectation suites on the generated warehouse: each kind of check passes on good data and
fails for the right reason when the data is broken in a known way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cdp.duckdb_budget import connect
from cdp.quality.run import QualityRun
from cdp.quality.validate import GX_BATCH_NOTICE
from tests.conftest import SAMPLE_END, replace_with_table

# Noon after the sample's last export day: every source is fresh.
NOW = datetime(SAMPLE_END.year, SAMPLE_END.month, SAMPLE_END.day, 12, tzinfo=UTC)


def _run(warehouse: Path, tmp_path: Path, now: datetime = NOW) -> QualityRun:
    return QualityRun(
        warehouse=warehouse,
        quality_dir=tmp_path / "quality",
        docs_dir=tmp_path / "docs",
        now=now,
    )


def _validate(run: QualityRun, *names: str):
    suites = {s.name: s for s in run.suites().values()}
    results = run.validate([suites[n] for n in names], run_id="test", log=lambda _m: None)
    return {r.suite.name: r for r in results}


def _failed(result) -> dict[str, object]:
    return {r.description: r for r in result.results if not r.success}


def test_every_suite_passes_on_the_generated_warehouse(warehouse_copy, tmp_path, capfd):
    run = _run(warehouse_copy, tmp_path)
    results = run.validate(run.suites().values(), run_id="clean", log=lambda _m: None)
    # the reconciliations read raw beside the table under test: GX's printed notice about
    # {batch} is dropped (it came 1,530 times in one run of the sample)
    assert GX_BATCH_NOTICE not in capfd.readouterr().out
    errors = {
        r.suite.name: [(c.description, c.unexpected_count, c.evaluation_error) for c in failed]
        for r in results
        if (failed := r.failed("error"))
    }
    assert not errors, errors
    assert len(results) == len(run.suites()) >= 40
    # Every layer is covered, and the freshness SLAs came from the dbt sources.
    assert {r.suite.layer for r in results} == {"raw", "staging", "intermediate", "marts"}
    assert run.slas["web"].error_days == 2 and run.slas["marketing"].error_days == 14


def test_a_source_that_stops_delivering_turns_its_freshness_red(warehouse_copy, tmp_path):
    """The CRM's SLA is warn after 2 days, error after 3: an export four days old is red, three
    days old is amber; the campaign catalogue (14 days) is still fine."""
    late = _run(warehouse_copy, tmp_path, NOW + timedelta(days=4))
    results = _validate(late, "raw.crm__contacts", "raw.marketing__campaigns")
    crm = results["raw.crm__contacts"]
    assert crm.status == "error"
    assert {r.kind for r in crm.failed("error")} == {"freshness"}
    assert results["raw.marketing__campaigns"].status == "pass"

    a_bit_late = _run(warehouse_copy, tmp_path, NOW + timedelta(days=3))
    crm = _validate(a_bit_late, "raw.crm__contacts")["raw.crm__contacts"]
    assert crm.status == "warn"
    assert [r.kind for r in crm.failed("warn")] == ["freshness"]


NEW_ROWS = (
    "every raw row loaded since this check last passed is staged or an older version of a "
    "staged record"
)
TOTALS = "holds one row per record in raw"


def _drop_contact(warehouse: Path, contact_id: str | None = None) -> tuple[str, int]:
    """Remove one contact from staging; returns its id and its number of raw versions."""
    con = connect(str(warehouse))
    dropped = (
        contact_id
        or con.execute("select min(contact_id) from staging.stg_crm__contacts").fetchall()[0][0]
    )
    replace_with_table(
        con,
        "staging.stg_crm__contacts",
        f"select * from {{relation}} where contact_id <> '{dropped}'",
    )
    raw_versions = con.execute(
        "select count(*) from raw.crm__contacts where trim(contact_id) = $id", {"id": dropped}
    ).fetchall()[0][0]
    con.close()
    return dropped, raw_versions


def test_a_dropped_row_fails_the_reconciliation(warehouse_copy, tmp_path):
    _, raw_versions = _drop_contact(warehouse_copy)
    result = _validate(_run(warehouse_copy, tmp_path), "staging.stg_crm__contacts")
    failed = _failed(result["staging.stg_crm__contacts"])
    # never checked before: every raw row is new to the check
    check = failed.pop(NEW_ROWS)
    assert check.severity == "error" and check.kind == "completeness"
    assert check.unexpected_count == raw_versions >= 1
    assert failed.pop(TOTALS).unexpected_count == 1
    assert not failed


def test_the_reconciliation_reads_only_rows_loaded_since_it_last_passed(warehouse_copy, tmp_path):
    run = _run(warehouse_copy, tmp_path)
    assert _validate(run, "staging.stg_crm__contacts")["staging.stg_crm__contacts"].status == (
        "pass"
    )
    # a row lost later, from rows checked before: the totals see it, the new rows do not
    _drop_contact(warehouse_copy)
    failed = _failed(_validate(run, "staging.stg_crm__contacts")["staging.stg_crm__contacts"])
    assert set(failed) == {TOTALS}
    # a newer version of a contact is loaded and staging misses it: the new rows see it
    con = connect(str(warehouse_copy))
    missed = con.execute("select max(contact_id) from staging.stg_crm__contacts").fetchall()[0][0]
    con.execute(
        """
        insert into raw.crm__contacts by name
        select * replace (now() as _loaded_at, _row_number + 1000000 as _row_number)
        from raw.crm__contacts where trim(contact_id) = $id
        order by _export_date desc limit 1
        """,
        {"id": missed},
    )
    con.close()
    _drop_contact(warehouse_copy, missed)
    failed = _failed(_validate(run, "staging.stg_crm__contacts")["staging.stg_crm__contacts"])
    assert failed.pop(NEW_ROWS).unexpected_count == 1
    assert set(failed) == {TOTALS}


@pytest.mark.parametrize(
    ("column", "bad_value", "description"),
    [
        ("email", "mario.rossi@@example", "`email` is a standardized email"),
        ("phone", "0039 333 1234567", "`phone` is a phone in E.164"),
    ],
)
def test_one_flagged_value_warns_and_many_fail(
    warehouse_copy, tmp_path, column, bad_value, description
):
    """Staging keeps and flags a value it cannot standardize. One such row is a warning, which
    blocks nothing (it used to fail the blocking gate and stop everyone's marts); more than
    the declared share of rows is an error. The planted rows are new deliveries: the
    row-by-row checks read the rows loaded since they last ran."""

    def plant(rows: str) -> dict:
        con = connect(str(warehouse_copy))
        planted = f"row_number() over (order by contact_id) <= {rows}"
        replace_with_table(
            con,
            "staging.stg_crm__contacts",
            f"select * replace (case when {planted} then '{bad_value}' else {column} end "
            f"as {column}, case when {planted} then now() else loaded_at end as loaded_at) "
            "from {relation}",
        )
        total = con.execute("select count(*) from staging.stg_crm__contacts").fetchall()[0][0]
        con.close()
        result = _validate(_run(warehouse_copy, tmp_path), "staging.stg_crm__contacts")
        return result["staging.stg_crm__contacts"], total

    one, total = plant("1")
    assert one.status == "warn"
    assert [(c.description, c.severity, c.unexpected_count) for c in one.failed("warn")] == [
        (description, "warn", 1)
    ]
    assert not one.failed("error")

    many, _ = plant(str(total // 20))  # 5 % of the contacts
    assert many.status == "error"
    (error,) = many.failed("error")
    assert error.description == f"{description} in at least 99% of rows"
    assert error.unexpected_count == total // 20


def test_row_by_row_checks_read_only_the_rows_loaded_since_they_last_ran(warehouse_copy, tmp_path):
    """A day's check reads a day's rows: a bad value in a row checked before is not read
    again, one in a newly loaded row is; an error keeps its rows in view until it passes."""
    name = "staging.stg_crm__contacts"
    run = _run(warehouse_copy, tmp_path)
    assert _validate(run, name)[name].status == "pass"

    def plant(column: str, value: str, *, new: bool) -> None:
        con = connect(str(warehouse_copy))
        first = "row_number() over (order by contact_id) = 1"
        loaded_at = f"case when {first} then now() else loaded_at end" if new else "loaded_at"
        replace_with_table(
            con,
            "staging.stg_crm__contacts",
            f"select * replace (case when {first} then {value} else {column} end as {column}, "
            f"{loaded_at} as loaded_at) from {{relation}}",
        )
        con.close()

    phone = "`phone` is a phone in E.164"
    plant("phone", "'0039 333 1234567'", new=False)
    assert _validate(run, name)[name].status == "pass"
    plant("phone", "'0039 333 1234567'", new=True)
    result = _validate(run, name)[name]
    assert [(c.description, c.unexpected_count) for c in result.failed("warn")] == [(phone, 1)]
    assert not result.failed("error")
    # a warning was reported once; the next day reads only what arrives next
    assert _validate(run, name)[name].status == "pass"

    # most phones of a new delivery broken: an error, read again until it is fixed
    con = connect(str(warehouse_copy))
    con.execute(
        "create table kept_phones as select contact_id, phone from staging.stg_crm__contacts"
    )
    broken = con.execute(
        "update staging.stg_crm__contacts set phone = '0039 333 1234567', loaded_at = now() "
        "where phone is not null"
    ).fetchall()[0][0]
    con.close()
    assert broken > 10
    for _ in range(2):
        failed = {c.description: c for c in _validate(run, name)[name].failed("error")}
        (check,) = failed.values()
        assert check.description.startswith(phone) and check.unexpected_count == broken
    con = connect(str(warehouse_copy))
    con.execute(
        "update staging.stg_crm__contacts as contacts set phone = kept.phone "
        "from kept_phones as kept where kept.contact_id = contacts.contact_id"
    )
    con.close()
    assert _validate(run, name)[name].failed("error") == []


def test_an_oversized_cluster_fails_identity_health(warehouse_copy, tmp_path):
    con = connect(str(warehouse_copy))
    con.execute(
        """
        update intermediate.int_identity__customer_ids set customer_id = 'CUS-000000000BIG'
        where record_key in (
            select record_key from intermediate.int_identity__customer_ids
            order by record_key limit 60
        )
        """
    )
    con.close()
    name = "intermediate.int_identity__customer_ids"
    result = _validate(_run(warehouse_copy, tmp_path), name)[name]
    assert result.status == "error"
    assert {(r.kind, r.severity, r.unexpected_count) for r in result.failed("error")} == {
        ("identity", "error", 1)
    }
    assert [r.description for r in result.failed("warn")] == [
        "no customer profile holds more than 25 records"
    ]


def test_a_missing_table_is_a_failed_check_not_a_crash(warehouse_copy, tmp_path):
    con = connect(str(warehouse_copy))
    con.execute("drop table staging.stg_social__mentions")
    con.close()
    result = _validate(_run(warehouse_copy, tmp_path), "staging.stg_social__mentions")
    (check,) = result["staging.stg_social__mentions"].results
    assert not check.success and check.severity == "error" and check.evaluation_error


@pytest.mark.parametrize("planted", ["0039 333 7654329", "no-such-person@example.org x"])
def test_results_and_docs_never_show_a_failing_value(warehouse_copy, tmp_path, planted):
    """A planted bad value fails its check, and appears nowhere the platform writes: not in
    the recorded results, the GX stores, the Data Docs or the overview."""
    con = connect(str(warehouse_copy))
    column = "phone" if planted.startswith("0") else "email"
    replace_with_table(
        con,
        "staging.stg_crm__contacts",
        f"select * replace (case when row_number() over (order by contact_id) = 1 "
        f"then '{planted}' else {column} end as {column}) from {{relation}}",
    )
    con.close()
    run = _run(warehouse_copy, tmp_path)
    result = _validate(run, "staging.stg_crm__contacts")["staging.stg_crm__contacts"]
    assert result.status == "warn"  # one flagged row: its check fails as a warning
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".html", ".json")]
    assert any(p.name == "index.html" for p in written)
    leaks = [p for p in written if planted in p.read_text(encoding="utf-8", errors="replace")]
    assert not leaks, leaks
    con = connect(str(warehouse_copy))
    recorded = con.execute("select * from audit.quality_results").fetchall()
    con.close()
    assert recorded and not any(planted in str(row) for row in recorded)
