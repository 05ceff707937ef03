"""Raw loads: complete folders only, once each, lineage on every row, bad rows set aside."""

from __future__ import annotations

import shutil

import pytest

from cdp.ingest.loader import load_file_type, load_landing_zone
from cdp.sources import SOURCE_FILES, source_file
from tests.conftest import write_export

CRM = source_file("crm.contacts")
WEB = source_file("web.events")
SUBSCRIPTIONS = source_file("subscriptions.subscriptions")
CAMPAIGNS = source_file("marketing.campaigns")

CRM_HEADER = ";".join(CRM.column_names)


def crm_row(contact_id: str, birth_date: str = "01/02/1980", last_name: str = "Rossi") -> str:
    return (
        f"{contact_id};Sig.;Mario;{last_name};mario@example.it;333 123 4567;;{birth_date};"
        "Via Roma 1;00184;Roma;Italia;@mario;sì;01/10/2026 10:00;02/10/2026 11:30;0"
    )


def crm_file(*rows: str, header: str = CRM_HEADER) -> str:
    return "\ufeff" + "\n".join([header, *rows]) + "\n"


def web_event(event_id: str, occurred_at: str = "2026-11-01T10:00:00.123Z", **extra) -> str:
    import json

    event = {
        "event_id": event_id,
        "anonymous_id": "anon-1",
        "account_id": None,
        "event_type": "page_view",
        "occurred_at": occurred_at,
        "received_at": "2026-11-01T10:00:01Z",
        "platform": "web",
        "page_url": "/",
        "referrer": None,
        "utm_source": None,
        "utm_medium": None,
        "utm_campaign": None,
        "properties": {"sku": "SKU-1"},
        **extra,
    }
    return json.dumps(event)


def quiet(_message: str) -> None:
    pass


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def test_every_source_gets_a_table_even_without_exports(con, landing):
    reports = load_landing_zone(con, landing, SOURCE_FILES, log=quiet)
    assert all(r.table_rows == 0 and not r.files for r in reports)
    tables = {
        t for (t,) in rows(con, "select table_name from duckdb_tables() where schema_name='raw'")
    }
    assert {spec.table for spec in SOURCE_FILES} <= tables
    assert {"_load_manifest", "_rejects", "_schema_changes"} <= tables


def test_incomplete_folder_is_skipped(con, landing):
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-1")))
    write_export(
        landing, "crm", "2026-11-02", "contacts.csv", crm_file(crm_row("C-2")), complete=False
    )
    report = load_file_type(con, landing, CRM, log=quiet)
    assert report.discovery.incomplete_folders == ["crm/2026-11-02"]
    assert rows(con, "select contact_id from raw.crm__contacts") == [("C-1",)]
    # Once the exporter writes _SUCCESS, the next run takes the folder.
    (landing / "crm" / "2026-11-02" / "_SUCCESS").touch()
    load_file_type(con, landing, CRM, log=quiet)
    assert sorted(rows(con, "select contact_id from raw.crm__contacts")) == [("C-1",), ("C-2",)]


def test_folder_not_named_as_a_date_is_reported_not_loaded(con, landing):
    write_export(landing, "crm", "latest", "contacts.csv", crm_file(crm_row("C-1")))
    report = load_file_type(con, landing, CRM, log=quiet)
    assert report.discovery.unrecognised_folders == ["crm/latest"]
    assert report.table_rows == 0


def test_corrupt_csv_rows_are_rejected_with_reason_and_the_rest_load(con, landing):
    write_export(
        landing,
        "crm",
        "2026-11-01",
        "contacts.csv",
        crm_file(
            crm_row("C-1"),
            crm_row("C-2", birth_date="31/02/1985"),  # not a date
            "C-3;Sig.;too;few",  # wrong column count
            crm_row("C-4", last_name='O"Brien'),  # a stray quote inside a field still parses
            crm_row("C-5"),
        ),
    )
    report = load_file_type(con, landing, CRM, log=quiet)
    assert (report.rows_loaded, report.rows_rejected) == (3, 2)
    loaded = rows(con, "select contact_id, _row_number from raw.crm__contacts order by 1")
    assert loaded == [("C-1", 2), ("C-4", 5), ("C-5", 6)]
    rejects = rows(
        con,
        "select row_number, error_type, column_name, reason, raw_text, source_file "
        "from raw._rejects order by row_number",
    )
    assert [r[0] for r in rejects] == [3, 4]
    assert rejects[0][1] == "CAST" and rejects[0][2] == "birth_date"
    assert "31/02/1985" in rejects[0][3]
    assert rejects[0][4].startswith("C-2;")
    assert rejects[1][1] == "MISSING COLUMNS" and "Expected Number of Columns" in rejects[1][3]
    assert rejects[1][4] == "C-3;Sig.;too;few"
    assert {r[5] for r in rejects} == {"crm/2026-11-01/contacts.csv"}
    manifest = rows(con, "select rows_loaded, rows_rejected, status from raw._load_manifest")
    assert manifest == [(3, 2, "loaded")]


def test_corrupt_json_lines_are_rejected_and_the_rest_load(con, landing):
    lines = [
        web_event("e1"),
        web_event("e2", occurred_at="yesterday"),
        '{"event_id": "e3", "anonym',  # truncated line
        "",
        "   ",  # spaces only: blank too, no record
        "[1, 2]",
        web_event("e4"),
        "  " + web_event("e5"),  # an object after spaces is an object
        '"{not an object}"',  # valid JSON, a string: no object
    ]
    write_export(landing, "web", "2026-11-01", "events.ndjson.gz", "\n".join(lines) + "\n")
    report = load_file_type(con, landing, WEB, log=quiet)
    assert (report.rows_loaded, report.rows_rejected) == (3, 4)
    assert rows(con, "select event_id, _row_number from raw.web__events order by 1") == [
        ("e1", 1),
        ("e4", 7),
        ("e5", 8),
    ]
    rejects = rows(
        con, "select row_number, error_type, reason, raw_text from raw._rejects order by 1"
    )
    assert [(r[0], r[1]) for r in rejects] == [
        (2, "CAST"),
        (3, "NOT A JSON OBJECT"),
        (6, "NOT A JSON OBJECT"),
        (9, "NOT A JSON OBJECT"),
    ]
    assert "occurred_at: yesterday is not a TIMESTAMPTZ" in rejects[0][2]
    assert rejects[0][3] == lines[1]  # the line as delivered
    typed = rows(con, "select typeof(occurred_at), properties->>'$.sku' from raw.web__events")
    assert typed[0] == ("TIMESTAMP WITH TIME ZONE", "SKU-1")


def test_ndjson_files_read_ahead_load_as_each_file_alone(con, landing, tmp_path):
    """The next NDJSON file is read while one loads: a month loaded at once holds the rows,
    rejects and manifest that the same files loaded one folder per run give (each run then
    reads its one new file itself), a file that cannot be read failing alone."""
    from cdp.duckdb_budget import connect

    days = [f"2026-11-0{day}" for day in range(1, 7)]
    contents: dict[str, bytes | str] = {}
    for number, day in enumerate(days):
        lines = [web_event(f"{day}-{i}") for i in range(number * 50, number * 50 + 40 + number)]
        lines.insert(number, '{"event_id": "cut off')  # a bad line, at another place each day
        lines.insert(3, "")
        contents[day] = "\n".join(lines) + "\n"
    unreadable = days[3]  # not gzip at all: the file fails, the others load

    def deliver(folder, day):
        path = write_export(folder, "web", day, "events.ndjson.gz", contents[day])
        if day == unreadable:
            path.write_bytes(b"not gzip at all")

    one_run = tmp_path / "one_run"
    for day in days:
        deliver(one_run, day)
    report = load_file_type(con, one_run, WEB, log=quiet)
    assert [f.status for f in report.files] == ["loaded"] * 3 + ["failed"] + ["loaded"] * 2

    day_by_day = connect(str(tmp_path / "day_by_day.duckdb"))
    for day in days:
        deliver(landing, day)
        load_file_type(day_by_day, landing, WEB, log=quiet)

    def loaded(connection) -> dict[str, list[tuple]]:
        return {
            "rows": rows(
                connection,
                "select _source_file, _row_number, event_id, occurred_at from raw.web__events "
                "order by all",
            ),
            "rejects": rows(
                connection,
                "select source_file, row_number, error_type, raw_text from raw._rejects "
                "order by all",
            ),
            "manifest": rows(
                connection,
                "select source_file, status, rows_loaded, rows_rejected, records_in_file "
                "from raw._load_manifest order by all",
            ),
        }

    at_once, alone = loaded(con), loaded(day_by_day)
    day_by_day.close()
    assert at_once == alone
    assert len(at_once["rows"]) == sum(40 + n for n in range(6)) - 43  # day 4's 43 are lost
    assert len(at_once["rejects"]) == 5  # one bad line a day


def test_a_load_leaves_its_log_written_and_the_checkpoint_threshold_as_it_was(landing, tmp_path):
    """A file type loads under a large log threshold (fewer checkpoints), then sets DuckDB's
    threshold back and writes its log into the database file: no later step inherits it."""
    from cdp.duckdb_budget import connect

    path = tmp_path / "w.duckdb"
    con = connect(str(path))
    con.execute("set checkpoint_threshold = '24MiB'")  # not DuckDB's default
    threshold = rows(con, "select current_setting('checkpoint_threshold')")
    for day in ("2026-11-01", "2026-11-02"):
        events = [web_event(f"{day}-{i}") for i in range(200)]
        write_export(landing, "web", day, "events.ndjson.gz", "\n".join(events) + "\n")
    report = load_file_type(con, landing, WEB, log=quiet)
    assert [f.status for f in report.files] == ["loaded", "loaded"]
    assert rows(con, "select current_setting('checkpoint_threshold')") == threshold
    wal = path.with_name(path.name + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0
    con.close()
    assert rows(connect(str(path)), "select count(*) from raw.web__events") == [(400,)]


def test_json_array_element_with_wrong_type_is_rejected(con, landing):
    import json

    good = {
        "id": "sub_abc",
        "customer": {"email": "a@b.it", "name": "ROSSI Mario", "phone": None},
        "plan": "box-2p",
        "price": {"amount": "29.90", "currency": "EUR"},
        "interval": "week",
        "status": "active",
        "started_at": "2026-10-01T08:00:00Z",
        "cancelled_at": None,
        "delivery_address": {"line1": "Via Roma 1", "postcode": "00184", "city": "Roma"},
    }
    bad = {**good, "id": "sub_bad", "started_at": "not a date"}
    write_export(
        landing, "subscriptions", "2026-11-01", "subscriptions.json", json.dumps([good, bad])
    )
    report = load_file_type(con, landing, SUBSCRIPTIONS, log=quiet)
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert rows(
        con, "select id, price->>'$.amount', cancelled_at from raw.subscriptions__subscriptions"
    ) == [("sub_abc", "29.90", None)]
    assert rows(con, "select row_number, reason from raw._rejects") == [
        (2, "started_at: not a date is not a TIMESTAMPTZ")
    ]


def test_unreadable_file_fails_alone_and_is_retried(con, landing):
    write_export(landing, "subscriptions", "2026-11-01", "subscriptions.json", '[{"id": "sub_a"')
    write_export(landing, "subscriptions", "2026-11-02", "subscriptions.json", '[{"id": "sub_b"}]')
    report = load_file_type(con, landing, SUBSCRIPTIONS, log=quiet)
    assert [f.status for f in report.files] == ["failed", "loaded"]
    assert report.failed[0].relative_path == "subscriptions/2026-11-01/subscriptions.json"
    assert report.failed[0].error
    assert rows(con, "select id from raw.subscriptions__subscriptions") == [("sub_b",)]
    status = rows(con, "select source_file, status from raw._load_manifest order by 1")
    assert status == [
        ("subscriptions/2026-11-01/subscriptions.json", "failed"),
        ("subscriptions/2026-11-02/subscriptions.json", "loaded"),
    ]
    # The exporter re-delivers a good file: the next run loads it.
    write_export(landing, "subscriptions", "2026-11-01", "subscriptions.json", '[{"id": "sub_a"}]')
    report = load_file_type(con, landing, SUBSCRIPTIONS, log=quiet)
    assert [f.status for f in report.files] == ["loaded", "unchanged"]
    assert rows(con, "select count(*) from raw.subscriptions__subscriptions") == [(2,)]


def test_unreadable_redelivery_keeps_the_earlier_rows_until_a_good_one_comes(con, landing):
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-1")))
    load_file_type(con, landing, CRM, log=quiet)
    write_export(landing, "crm", "2026-11-01", "contacts.csv", "")
    report = load_file_type(con, landing, CRM, log=quiet)
    assert [f.status for f in report.files] == ["failed"]
    assert rows(con, "select contact_id from raw.crm__contacts") == [("C-1",)]
    assert rows(con, "select status, rows_loaded from raw._load_manifest") == [("failed", 1)]
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-2")))
    report = load_file_type(con, landing, CRM, log=quiet)
    assert [f.status for f in report.files] == ["loaded"]
    assert rows(con, "select contact_id from raw.crm__contacts") == [("C-2",)]


def test_truncated_json_array_fails_instead_of_loading_half(con, landing):
    write_export(landing, "subscriptions", "2026-11-01", "subscriptions.json", '[{"id": "a"},')
    report = load_file_type(con, landing, SUBSCRIPTIONS, log=quiet)
    assert report.failed and "truncated" in report.failed[0].error
    assert report.table_rows == 0


def test_empty_csv_file_fails_with_a_clear_message(con, landing):
    write_export(landing, "crm", "2026-11-01", "contacts.csv", "")
    report = load_file_type(con, landing, CRM, log=quiet)
    assert report.failed and "empty" in report.failed[0].error


def test_new_and_vanished_columns_are_reported_and_kept(con, landing):
    header = CRM_HEADER.replace(";mobile", "") + ";loyalty_tier"
    row = crm_row("C-1").split(";")
    del row[6]  # the mobile column
    write_export(
        landing,
        "crm",
        "2026-11-01",
        "contacts.csv",
        crm_file(";".join([*row, "gold"]), header=header),
    )
    report = load_file_type(con, landing, CRM, log=quiet)
    path = "crm/2026-11-01/contacts.csv"
    assert report.new_columns == {path: ["loyalty_tier"]}
    assert report.missing_columns == {path: ["mobile"]}
    assert rows(con, "select contact_id, mobile, loyalty_tier from raw.crm__contacts") == [
        ("C-1", None, "gold")
    ]
    changes = rows(con, "select column_name, change from raw._schema_changes order by 1")
    assert changes == [("loyalty_tier", "added"), ("mobile", "missing")]


def test_new_json_key_is_reported_and_kept(con, landing):
    write_export(
        landing, "web", "2026-11-01", "events.ndjson.gz", web_event("e1", consent_mode="v2")
    )
    report = load_file_type(con, landing, WEB, log=quiet)
    assert report.new_columns == {"web/2026-11-01/events.ndjson.gz": ["consent_mode"]}
    assert rows(con, "select consent_mode->>'$' from raw.web__events") == [("v2",)]


def test_same_bytes_delivered_again_change_nothing(con, landing):
    path = write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-1")))
    load_file_type(con, landing, CRM, log=quiet)
    before = rows(con, "select * from raw._load_manifest")
    path.write_bytes(path.read_bytes())  # re-delivered: new mtime, same content
    report = load_file_type(con, landing, CRM, log=quiet)
    assert [f.status for f in report.files] == ["unchanged"]
    assert rows(con, "select * from raw._load_manifest") == before
    assert rows(con, "select count(*) from raw.crm__contacts") == [(1,)]


def test_changed_bytes_at_the_same_path_replace_the_earlier_rows(con, landing):
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-1"), "C-9;bad"))
    load_file_type(con, landing, CRM, log=quiet)
    write_export(
        landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-1"), crm_row("C-2"))
    )
    report = load_file_type(con, landing, CRM, log=quiet)
    assert [f.status for f in report.files] == ["replaced"]
    assert sorted(rows(con, "select contact_id from raw.crm__contacts")) == [("C-1",), ("C-2",)]
    assert rows(con, "select count(*) from raw._rejects") == [(0,)]
    assert rows(con, "select count(*), max(rows_loaded) from raw._load_manifest") == [(1, 2)]


def test_resent_delta_folder_is_recorded_as_duplicate(con, landing):
    content = crm_file(crm_row("C-1"))
    write_export(landing, "crm", "2026-11-01", "contacts.csv", content)
    write_export(landing, "crm", "2026-11-02", "contacts.csv", content)
    report = load_file_type(con, landing, CRM, log=quiet)
    assert [f.status for f in report.files] == ["loaded", "duplicate"]
    assert report.files[1].duplicate_of == "crm/2026-11-01/contacts.csv"
    assert rows(con, "select count(*) from raw.crm__contacts") == [(1,)]


def test_a_resend_is_loaded_when_the_file_it_copied_is_replaced(con, landing):
    content = crm_file(crm_row("C-1"))
    write_export(landing, "crm", "2026-11-01", "contacts.csv", content)
    write_export(landing, "crm", "2026-11-02", "contacts.csv", content)
    load_file_type(con, landing, CRM, log=quiet)
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-9")))
    report = load_file_type(con, landing, CRM, log=quiet)
    assert [f.status for f in report.files] == ["replaced", "loaded"]
    loaded = rows(con, "select contact_id, _export_date::varchar from raw.crm__contacts order by 1")
    assert loaded == [("C-1", "2026-11-02"), ("C-9", "2026-11-01")]


def test_identical_snapshots_on_two_days_both_load(con, landing):
    content = (
        "campaign_id,name,channel,utm_campaign,starts_on,ends_on,budget_eur\n"
        "K1,Spring,email,spring,2026-03-01,2026-03-31,1500.00\n"
    )
    write_export(landing, "marketing", "2026-11-01", "campaigns.csv", content)
    write_export(landing, "marketing", "2026-11-02", "campaigns.csv", content)
    report = load_file_type(con, landing, CAMPAIGNS, log=quiet)
    assert [f.status for f in report.files] == ["loaded", "loaded"]
    assert rows(
        con,
        "select _export_date::varchar, budget_eur::varchar "
        "from raw.marketing__campaigns order by 1",
    ) == [
        ("2026-11-01", "1500.00"),
        ("2026-11-02", "1500.00"),
    ]


# --- on generated exports ---------------------------------------------------------------------


def test_generated_exports_load_and_reload_idempotently(con, generated, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(generated / "landing", landing)
    first = load_landing_zone(con, landing, SOURCE_FILES, log=quiet)
    assert not [f for r in first for f in r.failed]
    # The generator writes the contract's columns: no drift to report.
    assert not [
        r.new_columns or r.missing_columns for r in first if r.new_columns or r.missing_columns
    ]
    assert all(r.table_rows > 0 for r in first), [r.spec.name for r in first if not r.table_rows]
    # A few broken rows per file are generated; they are set aside, not lost.
    assert sum(r.rows_rejected for r in first) > 0
    # The export still being written (no _SUCCESS) is skipped.
    assert any(r.discovery.incomplete_folders for r in first)

    def snapshot():
        counts = {
            s.table: rows(con, f"select count(*) from raw.{s.table}")[0][0] for s in SOURCE_FILES
        }
        manifest = rows(con, "select * from raw._load_manifest order by source_file")
        rejects = rows(con, "select count(*) from raw._rejects")
        return counts, manifest, rejects

    before = snapshot()
    second = load_landing_zone(con, landing, SOURCE_FILES, log=quiet)
    assert all(f.status == "unchanged" for r in second for f in r.files)
    assert snapshot() == before


def test_every_raw_row_has_lineage(con, generated):
    load_landing_zone(con, generated / "landing", SOURCE_FILES, log=quiet)
    for spec in SOURCE_FILES:
        missing = rows(
            con,
            f"""select count(*) from raw.{spec.table}
                where _source_file is null or _export_date is null
                   or _row_number is null or _loaded_at is null""",
        )
        assert missing == [(0,)], spec.name
        clashes = rows(
            con,
            f"select count(*) from (select _source_file, _row_number from raw.{spec.table} "
            "group by all having count(*) > 1)",
        )
        assert clashes == [(0,)], spec.name


@pytest.mark.parametrize(
    "spec", [s for s in SOURCE_FILES if s.format == "csv"], ids=lambda s: s.name
)
def test_row_numbers_point_at_the_line_in_the_file(con, generated, spec):
    """Lineage is useful only if it finds the row: check it on every generated CSV file."""
    load_file_type(con, generated / "landing", spec, log=quiet)
    column = spec.key[0] if spec.key else spec.columns[0].name
    sample = rows(
        con,
        f"select _source_file, _row_number, {column} from raw.{spec.table} "
        f"where {column} is not null using sample 20 rows (reservoir, 1)",
    )
    assert sample, spec.name
    for source_file_path, row_number, first_value in sample:
        lines = (
            (generated / "landing" / source_file_path).read_text(encoding="utf-8-sig").splitlines()
        )
        assert str(first_value) in lines[row_number - 1]


def test_empty_deltas_on_two_days_are_not_mistaken_for_a_resend(con, landing):
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file())
    write_export(landing, "crm", "2026-11-02", "contacts.csv", crm_file())
    report = load_file_type(con, landing, CRM, log=quiet)
    assert [f.status for f in report.files] == ["loaded", "loaded"]
    assert report.rows_loaded == 0
