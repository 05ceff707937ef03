"""Files we did not write: hostile column names, links out of the landing zone, folders dated
in the future, unknown sources, a failed file re-sent as a copy of another."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from cdp.duckdb_budget import connect
from cdp.ingest.landing import discover, latest_export_date, unknown_sources
from cdp.ingest.loader import (
    ensure_tables,
    is_safe_column_name,
    load_file_type,
    safe_column_name,
)
from cdp.ingest.reconcile import reconcile_landing_zone
from cdp.sources import SOURCE_FILES
from tests.conftest import invoke_dbt, write_export
from tests.ingest.test_loader import CRM, CRM_HEADER, WEB, crm_file, crm_row, quiet, rows, web_event

HOSTILE = ['note"x', "select", "_source_file", "Weird Name!", "1st", ""]


def test_safe_column_names_are_plain_identifiers():
    taken: set[str] = {"_source_file"}
    names = []
    for name in HOSTILE:
        safe = safe_column_name(name, taken)
        taken.add(safe)
        names.append(safe)
    assert names == ["note_x", "select_col", "source_file", "weird_name", "col_1st", "column_col"]
    assert all(is_safe_column_name(n) for n in names)
    assert safe_column_name("note x", {"note_x"}) == "note_x_2"


def test_a_hostile_csv_header_is_data_not_sql(con, landing):
    header = CRM_HEADER + ";" + ";".join(h.replace(";", "") for h in HOSTILE)
    row = crm_row("C-1") + ";a;b;c;d;e;f"
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(row, header=header))
    report = load_file_type(con, landing, CRM, log=quiet)
    assert not report.failed
    added = ["note_x", "select_col", "source_file", "weird_name", "col_1st", "column_23"]
    assert report.new_columns == {"crm/2026-11-01/contacts.csv": added}
    columns = [r[0] for r in rows(con, "select column_name from (describe raw.crm__contacts)")]
    assert all(is_safe_column_name(c) or c.startswith("_") for c in columns), columns
    assert rows(con, "select note_x, select_col, source_file from raw.crm__contacts") == [
        ("a", "b", "c")
    ]
    # Lineage is not overwritten by a column of the file that claims its name.
    assert rows(con, "select _source_file from raw.crm__contacts") == [
        ("crm/2026-11-01/contacts.csv",)
    ]
    originals = dict(
        rows(
            con, "select column_name, original_name from raw._schema_changes where change = 'added'"
        )
    )
    assert originals["note_x"] == 'note"x' and originals["select_col"] == "select"
    assert originals["source_file"] == "_source_file"

    # The same header again, in a later export: the same columns, nothing new.
    write_export(landing, "crm", "2026-11-02", "contacts.csv", crm_file(row, header=header))
    load_file_type(con, landing, CRM, log=quiet)
    after = [r[0] for r in rows(con, "select column_name from (describe raw.crm__contacts)")]
    assert after == columns


def test_a_hostile_json_key_is_data_not_sql(con, landing):
    event = json.loads(web_event("e1"))
    event['x"y'] = "v"
    write_export(landing, "web", "2026-11-01", "events.ndjson.gz", json.dumps(event))
    report = load_file_type(con, landing, WEB, log=quiet)
    assert not report.failed
    assert report.new_columns == {"web/2026-11-01/events.ndjson.gz": ["x_y"]}
    assert rows(con, "select x_y->>'$' from raw.web__events") == [("v",)]


def test_an_unsafe_column_left_by_an_older_load_is_renamed(con):
    ensure_tables(con, CRM)
    con.execute('alter table raw.crm__contacts add column "a""b" varchar')
    con.execute(
        "insert into raw._schema_changes (source, entity, column_name, change) "
        """values ('crm', 'contacts', 'a"b', 'added')"""
    )
    ensure_tables(con, CRM)
    columns = [r[0] for r in rows(con, "select column_name from (describe raw.crm__contacts)")]
    assert 'a"b' not in columns and "a_b" in columns
    assert rows(con, "select column_name, original_name from raw._schema_changes") == [
        ("a_b", 'a"b')
    ]


@pytest.mark.integration
def test_dbt_unit_tests_run_beside_a_hostile_column(landing, tmp_path, monkeypatch):
    """The failure reported: a column named with a double quote made dbt's unit-test SQL fail
    to parse, for good. The unit tests of the CRM staging model read the raw table's columns."""
    warehouse = tmp_path / "warehouse.duckdb"
    header = CRM_HEADER + ';note"x;select'
    write_export(
        landing,
        "crm",
        "2026-11-01",
        "contacts.csv",
        crm_file(crm_row("C-1") + ";a;b", header=header),
    )
    con = connect(str(warehouse))
    for spec in SOURCE_FILES:
        load_file_type(con, landing, spec, log=quiet)
    con.close()
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    target = tmp_path / "target"
    assert invoke_dbt(target, "seed", "--select", "country_aliases").success
    result = invoke_dbt(target, "test", "--select", "stg_crm__contacts,test_type:unit")
    assert result.success, [r.message for r in result.result.results if r.status != "pass"]


def test_a_failed_file_resent_as_a_copy_of_another_loads_once(con, landing):
    good = crm_file(crm_row("C-1"))
    write_export(landing, "crm", "2026-11-01", "contacts.csv", good)
    write_export(landing, "crm", "2026-11-02", "contacts.csv", "")  # fails: empty
    first = load_file_type(con, landing, CRM, log=quiet)
    assert [f.status for f in first.files] == ["loaded", "failed"]
    write_export(landing, "crm", "2026-11-02", "contacts.csv", good)  # re-sent: same bytes
    second = load_file_type(con, landing, CRM, log=quiet)
    assert [f.status for f in second.files] == ["unchanged", "duplicate"]
    assert rows(con, "select count(*) from raw.crm__contacts") == [(1,)]
    assert rows(con, "select source_file, status from raw._load_manifest order by 1") == [
        ("crm/2026-11-01/contacts.csv", "loaded"),
        ("crm/2026-11-02/contacts.csv", "duplicate"),
    ]


def test_a_link_out_of_the_landing_zone_is_reported_not_loaded(con, landing, tmp_path):
    outside = tmp_path / "elsewhere" / "2026-11-01"
    outside.mkdir(parents=True)
    (outside / "contacts.csv").write_text(crm_file(crm_row("C-9")))
    (outside / "_SUCCESS").touch()
    (landing / "crm").mkdir()
    os.symlink(outside, landing / "crm" / "2026-11-01")
    # A file linked out of a folder that is inside.
    inside = write_export(landing, "crm", "2026-11-02", "contacts.csv", "x")
    inside.unlink()
    os.symlink(outside / "contacts.csv", inside)
    report = load_file_type(con, landing, CRM, log=quiet)
    assert report.files == []
    assert report.discovery.outside_landing_zone == [
        "crm/2026-11-01",
        "crm/2026-11-02/contacts.csv",
    ]
    assert rows(con, "select count(*) from raw.crm__contacts") == [(0,)]


def test_a_folder_dated_in_the_future_waits_for_its_day(con, landing):
    ahead = (latest_export_date() + timedelta(days=1)).isoformat()
    write_export(landing, "crm", ahead, "contacts.csv", crm_file(crm_row("C-1")))
    discovery = discover(landing, CRM)
    assert discovery.deliveries == [] and discovery.future_folders == [f"crm/{ahead}"]
    assert "dated in the future" in discovery.refused()
    report = load_file_type(con, landing, CRM, log=quiet)
    assert report.files == [] and rows(con, "select count(*) from raw.crm__contacts") == [(0,)]
    # Its day comes: it loads.
    later = discover(landing, CRM, latest=latest_export_date() + timedelta(days=1))
    assert [d.relative_path for d in later.deliveries] == [f"crm/{ahead}/contacts.csv"]


def test_an_unknown_source_folder_is_reported(con, landing):
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-1")))
    write_export(landing, "loyalty", "2026-11-01", "points.csv", "a,b\n1,2\n")
    (landing / ".cache").mkdir()
    assert unknown_sources(landing) == ["loyalty"]
    load_file_type(con, landing, CRM, log=quiet)
    reconciliation = reconcile_landing_zone(con, landing)
    assert reconciliation.unknown_sources == ["loyalty"]
    assert any("loyalty" in line for line in reconciliation.notices)


def test_reconciliation_names_complete_folders_never_loaded_and_failed_files(con, landing):
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-1")))
    write_export(landing, "crm", "2026-11-02", "contacts.csv", "")
    load_file_type(con, landing, CRM, log=quiet)
    reconciliation = reconcile_landing_zone(con, landing)
    assert list(reconciliation.failed) == ["crm/2026-11-02/contacts.csv"]
    assert reconciliation.last_good == {"crm__contacts": "2026-11-01"}
    # A complete folder that arrives after the loads ran: no manifest row, named.
    write_export(landing, "crm", "2026-10-30", "contacts.csv", crm_file(crm_row("C-0")))
    reconciliation = reconcile_landing_zone(con, landing)
    assert reconciliation.not_loaded == ["crm/2026-10-30/contacts.csv"]
    assert reconciliation.problems
    message = reconciliation.failure_message()
    assert "crm/2026-10-30/contacts.csv" in message and "crm/2026-11-02/contacts.csv" in message
    assert "raw.crm__contacts (newest export loaded: 2026-11-01)" in message


def test_a_source_with_an_unreadable_file_is_red_on_the_quality_site(con, landing, tmp_path):
    """The pipeline builds on the source's last good data; its raw suite says it is stale."""
    from tests.ingest.test_csv_records import _validate_crm

    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-1")))
    write_export(landing, "crm", "2026-11-02", "contacts.csv", b"contact_id\nJos\xe9\n")
    load_file_type(con, landing, CRM, log=quiet)
    con.close()
    result = _validate_crm(tmp_path / "warehouse.duckdb", tmp_path)
    (failed,) = result.failed("error")
    assert failed.description.startswith("every delivered file could be read")
    assert failed.unexpected_count == 1
