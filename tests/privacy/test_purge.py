"""The privacy key, the purge's erasure on raw data, and retention, on small hand-made exports."""

from __future__ import annotations

import json
import stat
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pytest

from cdp.duckdb_budget import connect
from cdp.ingest.loader import load_landing_zone
from cdp.privacy import keys
from cdp.privacy.compaction import compact, pending_compaction
from cdp.privacy.erasure import (
    ErasureIncomplete,
    PrivacyKeyChanged,
    Purge,
    complete_erasure,
    normalize_request,
)
from cdp.privacy.holdback import LoadSuppression
from cdp.privacy.retention import RetentionPolicy, apply_retention
from cdp.sources import SOURCE_FILES, source_file
from tests.conftest import write_export

CRM = source_file("crm.contacts")
CRM_HEADER = ";".join(CRM.column_names)
KEY = b"unit-test-key"


def crm_row(contact_id: str, email: str, phone: str = "333 123 4567", updated="02/10/2026") -> str:
    return (
        f"{contact_id};Sig.;Mario;Rossi;{email};{phone};;01/02/1980;Via Roma 1;00184;Roma;"
        f"Italia;@mario;sì;01/10/2026 10:00;{updated} 11:30;0"
    )


def crm_file(*rows: str) -> str:
    return "\ufeff" + "\n".join([CRM_HEADER, *rows]) + "\n"


def consent_file(*rows: str) -> str:
    header = "consent_event_id,subject_type,subject_value,purpose,status,captured_at,source,"
    return header + "policy_version\n" + "\n".join(rows) + "\n"


def request_file(*rows: str) -> str:
    return "request_id,email,phone,account_id,received_at\n" + "\n".join(rows) + "\n"


def deliver_requests(landing: Path, day: str, *rows: str) -> None:
    write_export(landing, "privacy", day, "erasure_requests.csv", request_file(*rows))


def load(con, landing: Path) -> None:
    load_landing_zone(con, landing, SOURCE_FILES, log=lambda _m: None)


def texts(con) -> str:
    """Every raw table and the privacy tables, as one lower-case text."""
    chunks = []
    for schema, name in con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('raw', 'privacy')"
    ).fetchall():
        rows = con.execute(f'select * from "{schema}"."{name}"').fetchall()
        chunks.append(" ".join(str(v) for row in rows for v in row))
    return " ".join(chunks).lower()


# -- the key ------------------------------------------------------------------------------


def test_a_missing_key_is_created_outside_the_repo_readable_by_its_owner_only(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("CDP_PRIVACY_KEY", raising=False)
    monkeypatch.setenv("CDP_PRIVACY_KEY_FILE", str(tmp_path / "cfg" / "privacy.key"))
    assert keys.load_key() is None
    with pytest.raises(keys.PrivacyKeyMissing, match="CDP_PRIVACY_KEY"):
        keys.require_key()
    path, created = keys.ensure_key()
    assert created and path == tmp_path / "cfg" / "privacy.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = keys.load_key()
    assert first and len(first) == 64
    assert keys.ensure_key() == (path, False) and keys.load_key() == first
    monkeypatch.setenv("CDP_PRIVACY_KEY", "from-the-environment")
    assert keys.load_key() == b"from-the-environment"
    assert keys.ensure_key() == (None, False)


def test_without_a_key_pseudonymize_stops_a_build_saying_how_to_set_one(tmp_path, monkeypatch):
    """The function dbt's models call is typed like a pseudonym, so a model's contract holds
    and its build stops with the message, not with a column type mismatch."""
    from cdp.privacy.duckdb_functions import register

    monkeypatch.delenv("CDP_PRIVACY_KEY", raising=False)
    monkeypatch.setenv("CDP_PRIVACY_KEY_FILE", str(tmp_path / "none" / "privacy.key"))
    con = connect()
    register(con)
    model = (
        "select pseudonymize(customer_id) as customer_pseudonym from (select 'c1' as customer_id)"
    )
    assert con.execute(f"describe {model}").fetchall()[0][:2] == ("customer_pseudonym", "VARCHAR")
    with pytest.raises(duckdb.InvalidInputException, match="no privacy key; set CDP_PRIVACY_KEY"):
        con.execute(f"create table pseudonymized as {model}")
    monkeypatch.setenv("CDP_PRIVACY_KEY", "from-the-environment")
    register(con)
    assert con.execute(model).fetchall()[0][0] == keys.keyed_hash(
        "c1", keys.derive(b"from-the-environment", keys.PSEUDONYM)
    )


@pytest.mark.parametrize("key", [b"k", b"x" * 64, b"y" * 100])
def test_the_sql_hmac_equals_pythons(key):
    con = connect()
    value = "Mario.Rossi@Example.it"
    sql = con.execute(f"select {keys.hmac_sql('$1', key)}", [value]).fetchall()[0][0]
    assert sql == keys.keyed_hash(value, key)
    assert keys.derive(key, keys.SUPPRESSION) != keys.derive(key, keys.PSEUDONYM)


def test_a_request_is_normalized_like_the_staged_identifiers():
    request = normalize_request(("ERQ-1 ", " Mario@Example.IT ", "+39 333 123 4567", "0042", None))
    assert request.request_id == "ERQ-1"
    assert request.values["email"] == ["mario@example.it"]
    assert request.values["phone"] == ["+393331234567", "+39 333 123 4567"]
    assert request.values["account_id"] == ["42"]


# -- erasure on raw -------------------------------------------------------------------------


@pytest.fixture
def erased(tmp_path, landing):
    """Two people in the CRM and the consent log; a request names the first by email."""
    write_export(
        landing,
        "crm",
        "2026-11-01",
        "contacts.csv",
        crm_file(crm_row("C-1", "mario@example.it"), crm_row("C-2", "anna@example.it", "")),
    )
    write_export(
        landing,
        "consent",
        "2026-11-01",
        "consent_events.csv",
        consent_file(
            "e1,email,MARIO@example.it,analytics,granted,2026-11-01T10:00:00Z,banner,v1",
            "e2,email,anna@example.it,analytics,granted,2026-11-01T10:00:00Z,banner,v1",
            # set aside at load (bad timestamp), naming the person
            "e3,email,mario@example.it,analytics,granted,2026-13-45T10:00:00Z,banner,v1",
        ),
    )
    deliver_requests(landing, "2026-11-02", "ERQ-1,Mario@Example.it,,,2026-11-02T08:00:00Z")
    warehouse = tmp_path / "w.duckdb"
    con = connect(str(warehouse))
    load(con, landing)
    assert "mario@example.it" in texts(con)
    report = Purge(con, KEY, run_id="run-1", log=lambda _m: None).run()
    return con, report, landing, warehouse


def test_the_request_removes_the_persons_raw_rows_and_rejects_and_keeps_only_hashes(erased):
    con, report, _, _ = erased
    assert report.requests == 1
    assert report.removed[("raw", "raw.crm__contacts")] == 1
    assert report.removed[("raw", "raw.consent__consent_events")] == 1
    assert report.removed[("rejects", "raw._rejects")] == 1
    everything = texts(con)
    assert "mario@example.it" not in everything and "c-1" not in everything.split()
    assert "anna@example.it" in everything, "the other person stays"
    # the request is kept, without its identifiers
    assert con.execute(
        "select email, phone, account_id from raw.privacy__erasure_requests"
    ).fetchall() == [(None, None, None)]
    (email_hash,) = con.execute(
        "select email_hash from privacy.erasure_requests where request_id = 'ERQ-1'"
    ).fetchall()[0]
    assert email_hash == keys.keyed_hash("mario@example.it", keys.derive(KEY, keys.SUPPRESSION))
    # the phone as typed in the CRM joined the suppression list
    kinds = {
        k for (k,) in con.execute("select identifier_kind from privacy.suppression_list").fetchall()
    }
    assert {"email", "written"} <= kinds
    log = con.execute(
        "select layer, relation, rows_removed from privacy.erasure_log where request_id = 'ERQ-1'"
    ).fetchall()
    assert ("raw", "raw.crm__contacts", 1) in log
    # each file still reconciles with the manifest: loaded rows + removed rows
    assert (
        con.execute(
            "select sum(rows_removed) from raw._removed_rows where reason = 'erasure'"
        ).fetchall()[0][0]
        == 2
    )


def test_an_old_export_delivered_again_is_removed_by_the_next_purge(erased):
    con, _, landing, _ = erased
    # the same person's row, written as the CRM wrote it, in a later export
    write_export(
        landing,
        "crm",
        "2026-11-05",
        "contacts.csv",
        crm_file(crm_row("C-1", "mario@example.it", updated="03/10/2026")),
    )
    load(con, landing)
    assert (
        con.execute("select count(*) from raw.crm__contacts where contact_id = 'C-1'").fetchall()[
            0
        ][0]
        == 1
    )
    report = Purge(con, KEY, run_id="run-2", log=lambda _m: None).run()
    assert report.requests == 0  # the request was blanked: only the suppression list acts
    assert report.removed[("raw", "raw.crm__contacts")] == 1
    assert "mario@example.it" not in texts(con)
    assert con.execute(
        "select request_id from privacy.erasure_log where run_id = 'run-2'"
    ).fetchall() == [("ERQ-1",)]


def test_the_purge_before_dbt_removes_re_deliveries_and_leaves_new_requests(erased):
    con, _, landing, _ = erased
    write_export(
        landing,
        "crm",
        "2026-11-05",
        "contacts.csv",
        crm_file(crm_row("C-1", "mario@example.it", updated="03/10/2026")),
    )
    deliver_requests(landing, "2026-11-05", "ERQ-2,anna@example.it,,,2026-11-05T08:00:00Z")
    load(con, landing)
    report = Purge(con, KEY, run_id="run-2", log=lambda _m: None, before_dbt=True).run()
    # the re-delivered row of the person erased before goes before dbt reads it
    assert report.removed == {("raw", "raw.crm__contacts"): 1}
    assert "mario@example.it" not in texts(con)
    # the new request waits for the purge after identity: nothing of it is processed yet
    assert report.requests == 0
    assert con.execute(
        "select count(*) from raw.privacy__erasure_requests where email = 'anna@example.it'"
    ).fetchall() == [(1,)]
    assert con.execute(
        "select count(*) from privacy.erasure_requests where request_id = 'ERQ-2'"
    ).fetchall() == [(0,)]
    assert "anna@example.it" in texts(con)
    report = Purge(con, KEY, run_id="run-2", log=lambda _m: None).run()
    assert report.requests == 1
    assert "anna@example.it" not in texts(con)


def test_a_checkpoint_between_marking_and_removing_moves_no_mark(tmp_path, landing):
    """A checkpoint compacts the row groups that hold deleted rows, which gives the rows after
    them other row ids, and any commit can start one once DuckDB's log is large. One that runs
    after the purge marked its rows still leaves it removing the person's rows, and only them."""
    write_export(
        landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-2", "anna@example.it"))
    )
    deliver_requests(landing, "2026-11-02", "ERQ-1,Mario@Example.it,,,2026-11-02T08:00:00Z")
    con = connect(str(tmp_path / "w.duckdb"))
    load(con, landing)
    # The rows of a file delivered again, before the person's row: enough to fill row groups.
    con.execute(
        """insert into raw.crm__contacts by name
        select 'F-' || i as contact_id, 'crm/2026-11-02/contacts.csv' as _source_file,
            i + 2 as _row_number
        from range(300000) as r(i)"""
    )
    write_export(
        landing, "crm", "2026-11-03", "contacts.csv", crm_file(crm_row("C-1", "mario@example.it"))
    )
    load(con, landing)
    con.execute("checkpoint")
    con.execute("delete from raw.crm__contacts where contact_id like 'F-%'")  # not compacted yet

    def rowid_of(contact_id: str) -> int:
        sql = "select rowid from raw.crm__contacts where contact_id = ?"
        return con.execute(sql, [contact_id]).fetchall()[0][0]

    moved = {}

    class CheckpointAfterMarking(Purge):
        def _count_rebuilt_layers(self) -> None:  # the step between marking and removing
            super()._count_rebuilt_layers()
            before = rowid_of("C-1")
            self.con.execute("checkpoint")
            moved["C-1"] = (before, rowid_of("C-1"))

    report = CheckpointAfterMarking(con, KEY, run_id="run-1", log=lambda _m: None).run()
    before, after = moved["C-1"]
    assert before != after, "the checkpoint did not move the row: the test shows nothing"
    assert report.removed[("raw", "raw.crm__contacts")] == 1
    assert con.execute("select contact_id from raw.crm__contacts").fetchall() == [("C-2",)]


def test_the_purge_refuses_another_key(erased):
    con, *_ = erased
    with pytest.raises(PrivacyKeyChanged, match="another privacy key"):
        Purge(con, b"another-key", run_id="run-2", log=lambda _m: None).run()


def test_compaction_leaves_no_bytes_of_the_erased_person(erased):
    con, _, _, warehouse = erased
    con.close()
    assert b"mario@example.it" in warehouse.read_bytes() + (
        Path(f"{warehouse}.wal").read_bytes() if Path(f"{warehouse}.wal").exists() else b""
    ), "deleted rows leave their bytes in the file"
    result = compact(warehouse)
    assert b"mario@example.it" not in warehouse.read_bytes()
    assert not Path(f"{warehouse}.wal").exists()
    assert result.bytes_after <= result.bytes_before
    con = connect(str(warehouse))
    assert con.execute("select count(*) from raw.crm__contacts").fetchall() == [(1,)]
    assert con.execute("select count(*) from privacy.suppression_list").fetchall()[0][0] > 0


# -- held back at the load ------------------------------------------------------------------


def file_bytes(warehouse: Path) -> bytes:
    wal = Path(f"{warehouse}.wal")
    return warehouse.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def load_holding_back(con, landing: Path, run_id: str) -> list:
    hold_back = LoadSuppression.of_warehouse(con, run_id, key=KEY)
    assert hold_back is not None
    return load_landing_zone(con, landing, SOURCE_FILES, log=lambda _m: None, hold_back=hold_back)


def test_a_re_delivered_row_is_held_back_at_its_load_and_never_written(erased):
    con, _, landing, warehouse = erased
    con.close()
    compact(warehouse)  # the first erasure's bytes gone: what follows must not bring any back
    con = connect(str(warehouse))
    write_export(
        landing,
        "crm",
        "2026-11-05",
        "contacts.csv",
        crm_file(
            crm_row("C-1", "mario@example.it", updated="03/10/2026"),
            # another person (the template's social handle is Mario's: Luigi has his own)
            crm_row("C-3", "luigi@example.it", "02 1234 5678").replace("@mario", "@luigi"),
        ),
    )
    write_export(
        landing,
        "consent",
        "2026-11-05",
        "consent_events.csv",
        consent_file(
            "e4,email,luigi@example.it,analytics,granted,2026-11-05T10:00:00Z,banner,v1",
            # rejected (bad timestamp) and naming the erased person
            "e5,email,mario@example.it,analytics,granted,2026-13-45T10:00:00Z,banner,v1",
        ),
    )
    reports = {r.spec.name: r for r in load_holding_back(con, landing, "run-2")}
    assert reports["crm.contacts"].rows_held_back == 1
    assert reports["consent.consent_events"].rows_held_back == 1  # the rejected line
    assert "held back" in reports["crm.contacts"].summary()
    assert con.execute("select contact_id from raw.crm__contacts order by 1").fetchall() == [
        ("C-2",),
        ("C-3",),
    ]
    assert con.execute(
        "select count(*) from raw._rejects where raw_text like '%e5,%'"
    ).fetchall() == [(0,)]
    assert con.execute(
        "select request_id, relation, rows_removed from privacy.erasure_log "
        "where run_id = 'run-2' order by relation"
    ).fetchall() == [("ERQ-1", "raw._rejects", 1), ("ERQ-1", "raw.crm__contacts", 1)]
    # never written, so nothing to rewrite the file for
    assert pending_compaction(con).entries == 0
    # the file still reconciles: its rows loaded are those in raw and those removed
    loaded, in_raw, removed = con.execute(
        """select m.rows_loaded,
            (select count(*) from raw.crm__contacts where _source_file = m.source_file),
            (select sum(rows_removed) from raw._removed_rows where source_file = m.source_file)
        from raw._load_manifest as m where m.source_file = 'crm/2026-11-05/contacts.csv'"""
    ).fetchall()[0]
    assert (loaded, in_raw, removed) == (2, 1, 1)
    con.execute("checkpoint")
    con.close()
    everything = file_bytes(warehouse)
    assert b"luigi@example.it" in everything
    assert b"mario@example.it" not in everything
    # and the purge before dbt finds nothing left to remove
    con = connect(str(warehouse))
    report = Purge(con, KEY, run_id="run-2", log=lambda _m: None, before_dbt=True).run()
    assert report.removed == {}
    con.close()


def test_a_large_file_loaded_with_a_hold_back_keeps_every_row_it_does_not_hold_back(erased):
    """Hundreds of thousands of rows (many of DuckDB's row groups), one of them naming the
    erased person: every other row is written."""
    con, _, landing, _ = erased
    others = [
        f"x{i},email,person{i}@example.it,analytics,granted,2026-11-05T10:00:00Z,banner,v1"
        for i in range(300_000)
    ]
    mario = "x-m,email,mario@example.it,analytics,granted,2026-11-05T10:00:00Z,banner,v1"
    write_export(
        landing, "consent", "2026-11-05", "consent_events.csv", consent_file(*others, mario)
    )
    report = next(
        r
        for r in load_holding_back(con, landing, "run-2")
        if r.spec.name == "consent.consent_events"
    )
    assert (report.rows_loaded, report.rows_held_back, report.count("failed")) == (300_001, 1, 0)
    assert con.execute(
        "select count(*) from raw.consent__consent_events where _export_date = '2026-11-05'"
    ).fetchall() == [(300_000,)]


def web_events(*events: tuple[str, ...]) -> str:
    """Site events ``(event_id, browser, account)``; a fourth value makes the event a login
    with that email in its properties."""
    return "".join(
        json.dumps(
            {
                "event_id": event_id,
                "anonymous_id": browser,
                "account_id": account,
                "event_type": "login" if email else "page_view",
                "occurred_at": "2026-11-05T10:00:00Z",
                "received_at": "2026-11-05T10:00:01Z",
                "platform": "web",
                **({"properties": {"email": email}} if email else {}),
            }
        )
        + "\n"
        for event_id, browser, account, email in (tuple(e) + (None,) * (4 - len(e)) for e in events)
    )


def test_a_held_back_rows_own_keys_hold_back_the_rest_of_its_file_and_later_files(erased):
    """A browser that signs in with an erased person's account: its other events in the file
    go too, so do its events loaded before (they were written: the run rewrites the file), and
    its id joins the suppression list, so its events of a later day go as well."""
    con, _, landing, _ = erased
    deliver_requests(landing, "2026-11-03", "ERQ-2,,,4242,2026-11-03T08:00:00Z")
    write_export(landing, "web", "2026-11-03", "events.ndjson.gz", web_events(("w0", "b-1", None)))
    load(con, landing)
    Purge(con, KEY, run_id="run-2", log=lambda _m: None).run()
    assert con.execute("select event_id from raw.web__events").fetchall() == [("w0",)]
    pending = pending_compaction(con).entries
    write_export(
        landing,
        "web",
        "2026-11-05",
        "events.ndjson.gz",
        web_events(
            ("w1", "b-1", None), ("w2", "b-1", "4242"), ("w3", "b-1", None), ("w4", "b-2", None)
        ),
    )
    report = next(
        r for r in load_holding_back(con, landing, "run-3") if r.spec.name == "web.events"
    )
    assert (report.rows_loaded, report.rows_held_back) == (4, 3)
    assert con.execute("select event_id from raw.web__events").fetchall() == [("w4",)]
    assert con.execute(
        "select layer, rows_removed from privacy.erasure_log where run_id = 'run-3' "
        "and relation = 'raw.web__events' order by layer"
    ).fetchall() == [("load", 3), ("raw", 1)]
    assert pending_compaction(con).entries == pending + 1  # the written row: a rewrite is due
    write_export(landing, "web", "2026-11-06", "events.ndjson.gz", web_events(("w5", "b-1", None)))
    report = next(
        r for r in load_holding_back(con, landing, "run-4") if r.spec.name == "web.events"
    )
    assert report.rows_held_back == 1
    assert con.execute("select event_id from raw.web__events").fetchall() == [("w4",)]
    assert con.execute(
        "select distinct request_id from privacy.erasure_log where run_id in ('run-3', 'run-4')"
    ).fetchall() == [("ERQ-2",)]


def test_a_held_back_browsers_consent_events_loaded_before_go_at_the_load(erased):
    """A browser signs in with an erased person's account: the load holds the event back and
    removes what raw already holds of that browser, its consent events too (a consent subject
    can be a browser, an email or a phone: the kind is the row's). Before, only tables with a
    browser id column were searched, and the consent events stayed."""
    con, _, landing, _ = erased
    write_export(
        landing,
        "consent",
        "2026-11-03",
        "consent_events.csv",
        consent_file(
            "e7,anonymous_id,b-1,analytics,granted,2026-11-03T10:00:00Z,banner,v1",
            "e8,anonymous_id,b-2,analytics,granted,2026-11-03T10:00:00Z,banner,v1",
        ),
    )
    deliver_requests(landing, "2026-11-03", "ERQ-2,,,4242,2026-11-03T08:00:00Z")
    load(con, landing)
    Purge(con, KEY, run_id="run-2", log=lambda _m: None).run()
    write_export(
        landing,
        "web",
        "2026-11-05",
        "events.ndjson.gz",
        web_events(("w1", "b-1", "4242"), ("w2", "b-2", None)),
    )
    report = next(
        r for r in load_holding_back(con, landing, "run-3") if r.spec.name == "web.events"
    )
    assert report.rows_held_back == 1
    assert con.execute(
        "select consent_event_id from raw.consent__consent_events order by 1"
    ).fetchall() == [("e2",), ("e8",)]
    assert con.execute(
        "select rows_removed from privacy.erasure_log where run_id = 'run-3' "
        "and relation = 'raw.consent__consent_events'"
    ).fetchall() == [(1,)]


def test_the_email_a_site_event_carries_in_its_properties_names_the_person(erased):
    """A login's email is in the event's properties: the purge removes the events that carry
    an erased email there and, as for any browser of the person, the browser's other events;
    a later login with it is held back at its load. Before, they stayed in raw until an
    identity rebuilt without the person tied the browser to the email (a family mailbox is
    guarded while the person's own records share it), a round of purge and rebuild later."""
    con, _, landing, _ = erased
    write_export(
        landing,
        "web",
        "2026-11-03",
        "events.ndjson.gz",
        web_events(
            ("w1", "b-1", None, " Anna@Example.it"), ("w2", "b-1", None), ("w3", "b-2", None)
        ),
    )
    deliver_requests(landing, "2026-11-03", "ERQ-2,anna@example.it,,,2026-11-03T08:00:00Z")
    load(con, landing)
    report = Purge(con, KEY, run_id="run-2", log=lambda _m: None).run()
    assert report.removed[("raw", "raw.web__events")] == 2
    assert con.execute("select event_id from raw.web__events").fetchall() == [("w3",)]
    write_export(
        landing,
        "web",
        "2026-11-05",
        "events.ndjson.gz",
        web_events(
            ("w4", "b-3", None, "MARIO@example.it"), ("w5", "b-3", None), ("w6", "b-4", None)
        ),
    )
    report = next(
        r for r in load_holding_back(con, landing, "run-3") if r.spec.name == "web.events"
    )
    assert (report.rows_loaded, report.rows_held_back) == (3, 2)
    assert sorted(con.execute("select event_id from raw.web__events").fetchall()) == [
        ("w3",),
        ("w6",),
    ]


def test_without_a_suppression_list_nothing_is_held_back(tmp_path, landing):
    con = connect(str(tmp_path / "w.duckdb"))
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(crm_row("C-1", "m@x.it")))
    assert LoadSuppression.of_warehouse(con, "run-1", key=KEY) is None
    load(con, landing)
    Purge(con, KEY, run_id="run-1", log=lambda _m: None).run()  # no request: an empty list
    assert LoadSuppression.of_warehouse(con, "run-2", key=KEY) is None
    con.close()


# -- erasure through a rebuilt identity ------------------------------------------------------


def build_identity(con) -> None:
    """A stand-in for dbt's identity over the CRM: each contact its own customer (it links
    nobody, as a per-profile limit may keep a person's records apart), their emails and
    phones as identifiers, and household mailboxes (``famiglia.``) guarded."""
    con.execute("create schema if not exists intermediate")
    con.execute(
        """create or replace table intermediate.int_identity__identifiers as
        select 'crm:' || contact_id as record_key, kind as identifier_type,
            value as identifier_value, kind || ':' || value as identifier_key
        from (
            select contact_id, 'email' as kind, lower(email) as value from raw.crm__contacts
            union all
            select contact_id, 'phone', phone from raw.crm__contacts
        ) where value is not null"""
    )
    con.execute(
        """create or replace table intermediate.int_identity__customer_ids as
        select 'crm:' || contact_id as record_key, 'CUS-' || contact_id as customer_id,
            null::varchar as previous_customer_id
        from raw.crm__contacts"""
    )
    con.execute(
        """create or replace table intermediate.int_identity__identifier_guards as
        select distinct identifier_key from intermediate.int_identity__identifiers
        where identifier_value like 'famiglia.%'"""
    )


@pytest.fixture
def household(tmp_path, landing) -> Path:
    """Mario under two contacts that identity keeps apart (C-1, and C-3 with the family
    mailbox and his mobile), Anna under two (C-2, and C-4 with the family mailbox); a
    request names Mario's own email."""
    return household_warehouse(
        tmp_path,
        landing,
        [
            crm_row("C-1", "mario@example.it"),
            crm_row("C-2", "anna@example.it", ""),
            crm_row("C-3", "famiglia.rossi@example.it"),
            crm_row("C-4", "famiglia.rossi@example.it", ""),
        ],
        "ERQ-1,mario@example.it,,,2026-11-02T08:00:00Z",
    )


def household_warehouse(tmp_path: Path, landing: Path, contacts: list[str], request: str) -> Path:
    """A warehouse with ``contacts`` in the CRM, one erasure ``request`` and the stand-in
    identity built."""
    write_export(landing, "crm", "2026-11-01", "contacts.csv", crm_file(*contacts))
    deliver_requests(landing, "2026-11-01", request)
    warehouse = tmp_path / "w.duckdb"
    con = connect(str(warehouse))
    load(con, landing)
    build_identity(con)
    con.close()
    return warehouse


def erase(warehouse: Path, max_rounds: int = 5):
    """``complete_erasure`` with the stand-in identity rebuilt from raw; the rounds, and
    whether a connection was open during a rebuild."""
    state = {"open": 0, "rebuilds": 0, "open_at_rebuild": False}

    @contextmanager
    def connected():
        con = connect(str(warehouse))
        state["open"] += 1
        try:
            yield con
        finally:
            con.close()
            state["open"] -= 1

    def rebuild():
        state["rebuilds"] += 1
        state["open_at_rebuild"] |= state["open"] > 0
        with connected() as con:
            build_identity(con)

    rounds = complete_erasure(
        connected, rebuild, KEY, "run-1", log=lambda _m: None, max_rounds=max_rounds
    )
    return rounds, state


def test_the_erasure_repeats_while_the_rebuilt_identity_reaches_more_of_the_person(household):
    rounds, state = erase(household)
    # 1: C-1, by the named email; 2: C-3, through C-1's mobile in the rebuilt identity;
    # 3: nothing more, nothing rebuilt. The family mailbox, which C-3's removed row had, is
    # suppressed as written (re-deliveries) but does not reach Anna's C-4.
    assert [r.raw_rows for r in rounds] == [1, 1, 0]
    assert [r.report.requests for r in rounds] == [1, 0, 0]
    assert state["rebuilds"] == 2 and not state["open_at_rebuild"]
    con = connect(str(household))
    assert con.execute("select contact_id from raw.crm__contacts order by 1").fetchall() == [
        ("C-2",),
        ("C-4",),
    ]
    assert con.execute(
        "select count(*) from privacy.purge_runs where run_id = 'run-1'"
    ).fetchall() == [(3,)]
    assert con.execute(
        "select sum(rows_removed) from privacy.erasure_log "
        "where run_id = 'run-1' and layer = 'raw' and request_id = 'ERQ-1'"
    ).fetchall() == [(2,)]
    mailbox = keys.keyed_hash("famiglia.rossi@example.it", keys.derive(KEY, keys.SUPPRESSION))
    assert con.execute(
        "select identifier_kind from privacy.suppression_list where identifier_hash = ?",
        [mailbox],
    ).fetchall() == [("written",)]
    con.close()
    # a rerun finds nothing more
    rounds, state = erase(household)
    assert [r.raw_rows for r in rounds] == [0] and state["rebuilds"] == 0


def test_a_value_an_erased_persons_rows_had_as_written_holds_back_no_one_elses_new_rows(
    household, landing
):
    """Mario's C-3 had the family mailbox, which Anna's C-4 has too: after his erasure the
    mailbox is on the list as written, and it holds back none of the rows that name it later
    (Anna's C-4 again, a new contact C-7 of the family); his C-3 delivered again is still held
    back, by its own keys."""
    erase(household)
    write_export(
        landing,
        "crm",
        "2026-11-05",
        "contacts.csv",
        crm_file(
            crm_row("C-3", "famiglia.rossi@example.it"),
            # the template's social handle is Mario's: the others have their own
            crm_row("C-4", "famiglia.rossi@example.it", "", updated="04/11/2026").replace(
                "@mario", "@anna"
            ),
            crm_row("C-7", "famiglia.rossi@example.it", "333 900 0007").replace("@mario", "@c7"),
        ),
    )
    con = connect(str(household))
    report = next(
        r for r in load_holding_back(con, landing, "run-2") if r.spec.name == "crm.contacts"
    )
    assert report.rows_held_back == 1
    assert con.execute(
        "select contact_id, _export_date from raw.crm__contacts order by all"
    ).fetchall() == [
        ("C-2", date(2026, 11, 1)),
        ("C-4", date(2026, 11, 1)),
        ("C-4", date(2026, 11, 5)),
        ("C-7", date(2026, 11, 5)),
    ]
    report = Purge(con, KEY, run_id="run-2", log=lambda _m: None, before_dbt=True).run()
    assert report.removed == {}
    con.close()


def test_a_relatives_account_with_the_family_mailbox_leads_nowhere_else(tmp_path, landing):
    """The request names the family mailbox, Marta's own e-mail. Her sister Alice registered
    one contact (C-5) with that mailbox, and another (C-6) with her own e-mail; both have
    Alice's mobile. C-5 carries the named e-mail and goes; Alice's mobile, found on it, joins
    the list as written only, so neither the raw marking nor the rebuilt identity follows it
    to C-6."""
    warehouse = household_warehouse(
        tmp_path,
        landing,
        [
            crm_row("C-1", "famiglia.rossi@example.it", "333 100 0001"),
            crm_row("C-2", "anna@example.it", ""),
            crm_row("C-5", "famiglia.rossi@example.it", "333 700 0005"),
            crm_row("C-6", "alice@example.it", "333 700 0005"),
        ],
        "ERQ-1,famiglia.rossi@example.it,,,2026-11-02",
    )
    rounds, _ = erase(warehouse)
    assert rounds[0].raw_rows == 2  # C-1 and C-5
    con = connect(str(warehouse))
    assert con.execute("select contact_id from raw.crm__contacts order by 1").fetchall() == [
        ("C-2",),
        ("C-6",),
    ]
    mobile = keys.keyed_hash("333 700 0005", keys.derive(KEY, keys.SUPPRESSION))
    kinds = con.execute(
        "select distinct identifier_kind from privacy.suppression_list where identifier_hash = ?",
        [mobile],
    ).fetchall()
    con.close()
    assert kinds == [("written",)]


def test_a_value_known_as_written_then_named_by_a_request_counts_for_that_request(
    tmp_path, landing
):
    """Alice's mobile joined the list as written when the family mailbox was erased (the
    test above). When Alice asks to be erased herself, naming that mobile, her contact goes and
    the log counts it for her request, not for the mailbox's."""
    warehouse = household_warehouse(
        tmp_path,
        landing,
        [
            crm_row("C-1", "famiglia.rossi@example.it", "333 100 0001"),
            crm_row("C-5", "famiglia.rossi@example.it", "333 700 0005"),
            crm_row("C-6", "alice@example.it", "333 700 0005"),
        ],
        "ERQ-1,famiglia.rossi@example.it,,,2026-11-02",
    )
    erase(warehouse)
    deliver_requests(landing, "2026-11-03", "ERQ-2,,333 700 0005,,2026-11-03")
    con = connect(str(warehouse))
    load(con, landing)
    con.close()
    erase(warehouse)
    con = connect(str(warehouse))
    assert con.execute("select count(*) from raw.crm__contacts").fetchall() == [(0,)]
    logged = con.execute(
        "select request_id, sum(rows_removed) from privacy.erasure_log "
        "where layer = 'raw' and relation = 'raw.crm__contacts' group by all order by all"
    ).fetchall()
    con.close()
    assert logged == [("ERQ-1", 2), ("ERQ-2", 1)]


def test_an_erasure_that_does_not_end_within_the_rounds_is_an_error(household):
    with pytest.raises(ErasureIncomplete, match=r"after 1 rounds.*\[1\]"):
        erase(household, max_rounds=1)
    con = connect(str(household))
    # the identity was rebuilt from what is left in raw before the error
    assert con.execute(
        "select count(*) from intermediate.int_identity__customer_ids"
    ).fetchall() == [(3,)]
    con.close()


# -- retention -------------------------------------------------------------------------------


def test_retention_purges_old_versions_and_events_but_keeps_records_and_consent(tmp_path, landing):
    write_export(
        landing,
        "crm",
        "2026-01-01",
        "contacts.csv",
        crm_file(crm_row("C-1", "m@x.it", updated="02/01/2026"), crm_row("C-9", "old@x.it", "")),
    )
    for day, updated in [("2026-06-01", "02/06/2026"), ("2026-11-01", "02/11/2026")]:
        write_export(
            landing, "crm", day, "contacts.csv", crm_file(crm_row("C-1", "m@x.it", updated=updated))
        )
    write_export(
        landing,
        "consent",
        "2026-01-01",
        "consent_events.csv",
        consent_file("e1,email,m@x.it,analytics,granted,2026-01-01T10:00:00Z,banner,v1"),
    )
    con = connect(str(tmp_path / "w.duckdb"))
    load(con, landing)
    messages: list[str] = []
    removed = apply_retention(
        con, RetentionPolicy(raw_days=100, events_days=30), "run-1", log=messages.append
    )
    assert any("raw.crm__contacts" in m and "2 row(s)" in m for m in messages), messages
    kept = con.execute(
        "select contact_id, _export_date from raw.crm__contacts order by all"
    ).fetchall()
    # C-1's two older versions go; C-9, whose only version is old, stays; so does consent
    assert [(c, str(d)) for c, d in kept] == [("C-1", "2026-11-01"), ("C-9", "2026-01-01")]
    assert removed == {"raw.crm__contacts": 2}
    assert con.execute("select count(*) from raw.consent__consent_events").fetchall() == [(1,)]
    assert con.execute(
        "select relation, rule, cutoff, rows_removed from privacy.retention_log"
    ).fetchall()[0][:2] == ("raw.crm__contacts", "superseded versions")
    assert con.execute(
        "select sum(rows_removed) from raw._removed_rows where reason = 'retention'"
    ).fetchall() == [(2,)]
    # nothing left to purge: a second pass removes nothing and logs nothing new
    assert apply_retention(con, RetentionPolicy(raw_days=100, events_days=30), "run-2") == {}
    assert con.execute("select count(*) from privacy.retention_log").fetchall() == [(1,)]


class _FailsOn:
    """A connection that raises on the first statement starting with ``prefix``."""

    def __init__(self, con, prefix: str) -> None:
        self._con, self._prefix = con, prefix

    def execute(self, sql, *args):
        if sql.lstrip().startswith(self._prefix):
            raise duckdb.IOException("disk full (injected)")
        return self._con.execute(sql, *args)

    def executemany(self, sql, *args):
        if sql.lstrip().startswith(self._prefix):
            raise duckdb.IOException("disk full (injected)")
        return self._con.executemany(sql, *args)


def test_a_retention_purge_that_stops_half_way_removes_nothing_it_did_not_log(tmp_path, landing):
    """The log entry of a relation's purge fails to be written: its removal is rolled back
    with it, so raw keeps the rows and no count says they went; the next purge does it all."""
    write_export(
        landing,
        "crm",
        "2026-01-01",
        "contacts.csv",
        crm_file(crm_row("C-1", "m@x.it", updated="02/01/2026")),
    )
    write_export(
        landing,
        "crm",
        "2026-11-01",
        "contacts.csv",
        crm_file(crm_row("C-1", "m@x.it", updated="02/11/2026")),
    )
    con = connect(str(tmp_path / "w.duckdb"))
    load(con, landing)
    policy = RetentionPolicy(raw_days=100, events_days=30)
    with pytest.raises(duckdb.IOException, match="injected"):
        apply_retention(_FailsOn(con, "insert into privacy.retention_log"), policy, "run-1")
    assert con.execute("select count(*) from raw.crm__contacts").fetchall() == [(2,)]
    assert con.execute(
        "select count(*) from raw._removed_rows where reason = 'retention'"
    ).fetchall() == [(0,)]
    assert con.execute("select count(*) from privacy.retention_log").fetchall() == [(0,)]
    assert apply_retention(con, policy, "run-2") == {"raw.crm__contacts": 1}
    assert con.execute(
        "select run_id, relation, rows_removed from privacy.retention_log"
    ).fetchall() == [("run-2", "raw.crm__contacts", 1)]
    assert con.execute(
        "select sum(rows_removed) from raw._removed_rows where reason = 'retention'"
    ).fetchall() == [(1,)]
