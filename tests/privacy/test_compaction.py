"""When the warehouse file is rewritten after an erasure: the compaction's record and the
``CDP_COMPACTION_DAYS`` policy (``cdp.privacy.compaction``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cdp.config import Settings
from cdp.duckdb_budget import connect
from cdp.privacy.compaction import Pending, compact, pending_compaction
from cdp.privacy.erasure import ensure_schema


def log_entry(con, layer: str, at: datetime, run_id: str = "run-1") -> None:
    con.execute(
        "insert into privacy.erasure_log values (?, ?, 'ERQ-1', ?, 'raw.crm__contacts', 1, null)",
        [run_id, at, layer],
    )


def erased_row_in(path: Path) -> Path:
    """A warehouse at ``path`` whose one row of 2,001 was deleted: the row group still holds
    live rows, so the deleted row's bytes stay in the file until it is rewritten."""
    con = connect(str(path))
    ensure_schema(con)
    con.execute(
        "create table t as select 'mario@example.it' as email "
        "union all select 'person' || i || '@example.it' from range(2000) as r(i)"
    )
    con.execute("checkpoint")
    con.execute("delete from t where email = 'mario@example.it'")
    con.close()
    return path


@pytest.fixture
def warehouse(tmp_path):
    return erased_row_in(tmp_path / "w.duckdb")


def test_a_warehouse_that_erased_nobody_has_nothing_pending(warehouse):
    con = connect(str(warehouse))
    pending = pending_compaction(con)
    assert pending == Pending(0, None)
    assert not pending.is_due(1)
    assert pending.describe(7) == "no erasure since the last compaction"


def test_rows_held_back_at_their_load_leave_nothing_to_compact(warehouse):
    con = connect(str(warehouse))
    log_entry(con, "load", datetime.now(UTC))
    assert pending_compaction(con).entries == 0


@pytest.mark.parametrize(
    ("within_days", "age_days", "due"),
    [
        (1, 0, True),  # rewritten in the run that erased
        (7, 0, False),
        (7, 5, False),
        (7, 6, True),  # tomorrow's run would be the seventh day: too late
        (7, 9, True),  # runs were missed: overdue
        (30, 28, False),
    ],
)
def test_a_compaction_is_due_when_the_next_nightly_run_would_be_too_late(
    within_days, age_days, due
):
    now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    pending = Pending(3, now - timedelta(days=age_days, hours=1))
    assert pending.is_due(within_days, now=now) is due
    assert pending.due_by(within_days) == (now - timedelta(days=age_days, hours=1)).date() + (
        timedelta(days=within_days)
    )


def test_a_compaction_is_recorded_in_the_new_file_and_clears_what_was_pending(warehouse):
    assert b"mario@example.it" in warehouse.read_bytes()  # deleted, its bytes still there
    con = connect(str(warehouse))
    log_entry(con, "raw", datetime.now(UTC) - timedelta(days=2))
    log_entry(con, "staging", datetime.now(UTC) - timedelta(days=1))
    assert pending_compaction(con).entries == 2
    con.close()

    result = compact(warehouse, run_id="run-3")

    assert b"mario@example.it" not in warehouse.read_bytes()
    con = connect(str(warehouse))
    assert pending_compaction(con) == Pending(0, None)
    rows = con.execute(
        "select run_id, erasure_entries, bytes_before, bytes_after from privacy.compactions"
    ).fetchall()
    assert rows == [("run-3", 2, result.bytes_before, rows[0][3])] and rows[0][3] > 0
    # an erasure after the compaction is pending again
    log_entry(con, "raw", datetime.now(UTC), run_id="run-4")
    assert pending_compaction(con).entries == 1


def test_a_compaction_that_fails_leaves_the_erasures_pending(warehouse, monkeypatch):
    """The record goes into the new file only: when the new file does not replace the old one
    (here the rename fails), the old file's erasures are still pending."""
    import cdp.privacy.compaction as compaction

    con = connect(str(warehouse))
    log_entry(con, "raw", datetime.now(UTC))
    con.close()

    def fail(*_args):
        raise OSError("no space left on device")

    monkeypatch.setattr(compaction.os, "replace", fail)
    with pytest.raises(OSError, match="no space left"):
        compact(warehouse)
    con = connect(str(warehouse))
    assert pending_compaction(con).entries == 1
    assert con.execute("select count(*) from privacy.compactions").fetchall() == [(0,)]


def test_the_window_is_a_setting_of_whole_days(monkeypatch):
    monkeypatch.setenv("CDP_COMPACTION_DAYS", "3")
    assert Settings.from_env().compaction_days == 3
    monkeypatch.delenv("CDP_COMPACTION_DAYS")
    assert Settings.from_env().compaction_days == 7
    monkeypatch.setenv("CDP_COMPACTION_DAYS", "0")
    with pytest.raises(ValueError, match="CDP_COMPACTION_DAYS"):
        Settings.from_env()


def test_the_privacy_command_compacts_on_request_and_logs_it(warehouse, monkeypatch, capsys):
    from cdp.privacy.__main__ import main

    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    con = connect(str(warehouse))
    log_entry(con, "raw", datetime.now(UTC))
    con.close()
    assert main(["log"]) == 0
    assert "next compaction: 1 erasure-log entries since the last compaction" in (
        capsys.readouterr().out
    )
    assert main(["compact"]) == 0
    assert "warehouse rewritten with live data only" in capsys.readouterr().out
    assert main(["log"]) == 0
    out = capsys.readouterr().out
    assert "next compaction: no erasure since the last compaction" in out
    assert Path(warehouse).exists()
