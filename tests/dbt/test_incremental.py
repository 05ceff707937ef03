"""Incremental models: a day's delivery processed as a day gives what a full rebuild gives."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cdp.duckdb_budget import connect
from cdp.ingest.loader import load_landing_zone, remove_raw_rows
from cdp.sources import SOURCE_FILES
from tests.conftest import invoke_dbt

pytestmark = pytest.mark.integration

# The staging models that are incremental: (model, landing folder, raw table, the record's key
# in raw as SQL over alias {t}, the model's key column, the version kept: the newest or the
# first delivered). A delta source keeps its key column under the raw name; the newsletter's
# events have no id, their key is the hash staging makes of what tells them apart. Each run
# builds the model with the staging models it reads. Order lines, which are never delivered
# twice, have a test of their own below.
EMAIL_ACTIVITY_KEY = (
    "md5(concat_ws('|', "
    + ", ".join(
        f"coalesce(cast({part} as varchar), '')"
        for part in (
            "lower(trim({t}.email))",
            "trim({t}.campaign_id)",
            "lower(trim({t}.activity))",
            "{t}.occurred_at",
            "trim({t}.url)",
        )
    )
    + "))"
)
INCREMENTAL_STAGING = [
    ("stg_web__events", "web", "web__events", "{t}.event_id", "event_id", "newest"),
    ("stg_crm__contacts", "crm", "crm__contacts", "{t}.contact_id", "contact_id", "newest"),
    ("stg_shop__orders", "shop", "shop__orders", "{t}.order_id", "order_id", "newest"),
    ("stg_shop__accounts", "shop", "shop__accounts", "{t}.account_id", "account_id", "newest"),
    (
        "stg_consent__events",
        "consent",
        "consent__consent_events",
        "{t}.consent_event_id",
        "consent_event_id",
        "newest",
    ),
    (
        "stg_newsletter__activity",
        "newsletter",
        "newsletter__activity",
        EMAIL_ACTIVITY_KEY,
        "email_activity_id",
        "first",
    ),
]


def _dbt(tmp_path: Path, *args: str, select: str = "stg_web__events") -> None:
    result = invoke_dbt(tmp_path / "dbt_target", "run", "--select", *select.split(), *args)
    assert result.success, result.exception


def _load(warehouse: Path, landing: Path) -> None:
    con = connect(warehouse)
    load_landing_zone(con, landing, SOURCE_FILES, log=lambda _m: None)
    con.close()


def _seed(tmp_path: Path) -> None:
    """The reference tables some staging models join (countries, exchange rates)."""
    seeded = invoke_dbt(tmp_path / "dbt_target", "seed")
    assert seeded.success, seeded.exception


# Columns that say which run wrote a row (the batch unique_in_latest_batch reads): a full
# rebuild writes them anew, so a comparison with one leaves them out.
RUN_COLUMNS = ("staged_at",)


def _compared(con, table: str) -> str:
    """The columns of ``table`` that a rebuild must give again: all but ``RUN_COLUMNS``."""
    schema, _, name = table.rpartition(".")
    columns = con.execute(
        "select column_name from information_schema.columns "
        "where table_name = ? and table_schema = coalesce(nullif(?, ''), current_schema()) "
        "order by ordinal_position",
        [name, schema],
    ).fetchall()
    return ", ".join(f'"{c}"' for (c,) in columns if c not in RUN_COLUMNS)


def _with_last_day_held(generated: Path, tmp_path: Path, folder: str) -> tuple[Path, Path, str]:
    """A copy of the sample's exports without the last complete export day of ``folder``, which
    waits in ``held`` to be delivered later: the landing, the held folder and that day."""
    landing, held = tmp_path / "landing", tmp_path / "held"
    shutil.copytree(generated / "landing", landing)
    last = max(day.name for day in (landing / folder).iterdir() if (day / "_SUCCESS").exists())
    held.mkdir()
    (landing / folder / last).rename(held / last)
    return landing, held, last


def _fingerprint(warehouse: Path, model: str) -> list[tuple]:
    con = connect(warehouse)
    rows = con.execute(f"select count(*), sum(hash(t)) from staging.{model} t").fetchall()
    con.close()
    return rows


@pytest.mark.parametrize(
    ("model", "folder", "raw", "raw_key", "staged_key", "kept"), INCREMENTAL_STAGING
)
def test_a_new_day_run_incrementally_equals_a_full_rebuild(
    model, folder, raw, raw_key, staged_key, kept, generated, tmp_path, monkeypatch
):
    key = raw_key.format
    landing, held = tmp_path / "landing", tmp_path / "held"
    shutil.copytree(generated / "landing", landing)
    # the delivery held back: the newest that revises records delivered before it (for a
    # source revised rarely, an earlier day, which then arrives late)
    probe = tmp_path / "probe.duckdb"
    _load(probe, landing)
    con = connect(probe)
    last = con.execute(
        f"""select strftime(max(revision._export_date), '%Y-%m-%d') from raw.{raw} as revision
        where exists (select 1 from raw.{raw} as earlier
            where {key(t="earlier")} = {key(t="revision")}
            and earlier._export_date < revision._export_date)"""
    ).fetchall()[0][0]
    con.close()
    held.mkdir()
    (landing / folder / last).rename(held / last)
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    _load(warehouse, landing)
    _seed(tmp_path)
    _dbt(tmp_path, select=f"+{model}")  # the first build (and what it reads)

    (held / last).rename(landing / folder / last)
    _load(warehouse, landing)
    con = connect(warehouse)
    # the new day brings new records and new versions of records already staged
    new_rows, revised = con.execute(
        f"""
        select count(*), count(*) filter (where {key(t="day")} in (
            select {key(t="earlier")} from raw.{raw} as earlier
            where earlier._export_date < '{last}'))
        from raw.{raw} as day where day._export_date = '{last}'
        """
    ).fetchall()[0]
    assert new_rows > 0 and revised > 0
    if model == "stg_web__events":  # and late events
        late = con.execute(
            f"""select count(*) from raw.web__events where _export_date = '{last}'
            and cast(occurred_at as date) < _export_date - 1"""
        ).fetchall()[0][0]
        assert late > 0
    if kept == "newest":
        # an old version of a record delivered again after the first build (a re-sent export):
        # loaded since, it must still lose to the newer version the model keeps
        resent = con.execute(
            f"""
            insert into raw.{raw} by name
            select rows.* replace (
                rows._source_file || '.resent' as _source_file, now() as _loaded_at
            )
            from raw.{raw} as rows
            where ({key(t="rows")}, rows._export_date) in (
                select ({key(t="older")}, min(older._export_date)) from raw.{raw} as older
                group by {key(t="older")} having count(distinct older._export_date) > 1
                -- one whose versions all came before this day, where the source has one (the
                -- last by key: the purge below takes the first)
                order by max(older._export_date) >= '{last}', 1 desc limit 1
            )
            """
        ).fetchall()[0][0]
        assert resent > 0
    # an erasure takes every version of one record staged before this day out of raw
    erased = con.execute(
        f"""select {key(t="rows")} from raw.{raw} as rows where rows._export_date < '{last}'
        group by 1 order by count(*) desc, 1 limit 1"""
    ).fetchall()[0][0]
    retried = None
    if model == "stg_web__events":
        # the tracker retries an event staged before, its id (a UUID) now in capitals: the
        # retry is the same event, and the newest copy
        retried = con.execute(
            f"""
            insert into raw.web__events by name
            select rows.* replace (
                upper(rows.event_id) as event_id, rows._source_file || '.retried' as _source_file,
                date '{last}' as _export_date, now() as _loaded_at
            )
            from raw.web__events as rows
            where rows.event_id = (
                select event_id from raw.web__events where _export_date < '{last}'
                and event_id <> ?
                group by event_id having count(*) = 1 order by event_id desc limit 1
            )
            returning event_id
            """,
            [erased],
        ).fetchall()[0][0]
        assert retried != retried.lower()
    # (as the platform removes raw rows: logged per file, which the incremental models read)
    now = datetime.now(UTC)
    remove_raw_rows(con, raw, f"{key(t='removed')} = ?", "erasure", now, [erased])
    con.close()
    _dbt(tmp_path, select=f"+{model}")  # incremental: the day, the erasure (and the retry)

    # then, with nothing new loaded, the retention purge takes the kept version of a record
    # whose other version stays: only the removal can bring the record back
    con = connect(warehouse)
    kept_day = "max" if kept == "newest" else "min"
    kept_copy = con.execute(
        f"""
        select {key(t="rows")}, {kept_day}(rows._export_date) from raw.{raw} as rows
        group by 1 having count(distinct rows._export_date) > 1 order by 1 limit 1
        """
    ).fetchall()[0]
    remove_raw_rows(
        con,
        raw,
        f"{key(t='removed')} = ? and removed._export_date = ?",
        "retention",
        now,
        list(kept_copy),
    )
    con.close()
    _dbt(tmp_path, select=f"+{model}")  # incremental: the purge alone
    con = connect(warehouse)
    con.execute(
        f"create table incremental as select {_compared(con, f'staging.{model}')} "
        f"from staging.{model}"
    )
    con.close()
    _dbt(tmp_path, "--full-refresh", select=f"+{model}")
    con = connect(warehouse)
    rows = con.execute(f"select count(*) from staging.{model}").fetchall()[0][0]
    columns = _compared(con, f"staging.{model}")
    differ = con.execute(
        f"""
        select count(*) from (
            (select * from incremental except all select {columns} from staging.{model})
            union all
            (select {columns} from staging.{model} except all select * from incremental)
        )
        """
    ).fetchall()[0][0]
    staged = f"lower(cast({staged_key} as varchar)) = lower(trim(?))"
    erased_left = con.execute(
        f"select count(*) from incremental where {staged}", [str(erased)]
    ).fetchall()[0][0]
    other_copy = con.execute(
        f"select export_date from incremental where {staged}", [str(kept_copy[0])]
    ).fetchall()
    retry_copies = (
        con.execute(
            "select source_file from incremental where event_id = lower(?)", [retried]
        ).fetchall()
        if retried
        else None
    )
    con.close()
    if retried:
        # one event, staged from the retry
        assert [f.endswith(".retried") for (f,) in retry_copies] == [True]
    assert rows > 0
    assert differ == 0
    assert erased_left == 0
    # the record whose kept version went is staged again from its other version: an older one
    # where the newest wins, a later delivery where the first does
    assert len(other_copy) == 1
    restaged_day, removed_day = other_copy[0][0], kept_copy[1]
    assert restaged_day < removed_day if kept == "newest" else restaged_day > removed_day


def test_order_lines_follow_their_orders_when_run_incrementally(generated, tmp_path, monkeypatch):
    """A line takes its currency and day from its order: a day run works out again the lines
    of the orders it staged again, and of an order no longer staged (erased while its lines
    stay), and then equals a full rebuild."""
    landing, held, last = _with_last_day_held(generated, tmp_path, "shop")
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    _load(warehouse, landing)
    _seed(tmp_path)
    _dbt(tmp_path, select="+stg_shop__order_items")

    (held / last).rename(landing / "shop" / last)
    _load(warehouse, landing)
    con = connect(warehouse)
    # the day revises orders whose lines were staged before it
    revised = con.execute(
        f"""select count(distinct day.order_id) from raw.shop__orders as day
        where day._export_date = '{last}' and trim(day.order_id) in (
            select lines.order_id from staging.stg_shop__order_items as lines)"""
    ).fetchall()[0][0]
    assert revised > 0
    # an order erased from raw while its lines stay: they now lack their order
    (orphaned,) = con.execute(
        "select order_id from staging.stg_shop__order_items where not is_order_missing "
        "order by order_id limit 1"
    ).fetchall()[0]
    remove_raw_rows(
        con, "shop__orders", "trim(removed.order_id) = ?", "erasure", datetime.now(UTC), [orphaned]
    )
    con.close()
    _dbt(tmp_path, select="+stg_shop__order_items")
    con = connect(warehouse)
    con.execute("create table incremental as select * from staging.stg_shop__order_items")
    con.close()
    _dbt(tmp_path, "--full-refresh", select="+stg_shop__order_items")
    con = connect(warehouse)
    differ = con.execute(
        """
        select count(*) from (
            (select * from incremental except all select * from staging.stg_shop__order_items)
            union all
            (select * from staging.stg_shop__order_items except all select * from incremental)
        )
        """
    ).fetchall()[0][0]
    missing = con.execute(
        "select bool_and(is_order_missing), count(*) from incremental where order_id = ?",
        [orphaned],
    ).fetchall()[0]
    con.close()
    assert differ == 0
    assert missing[0] is True and missing[1] > 0


def test_a_second_run_with_nothing_new_changes_nothing(generated, tmp_path, monkeypatch):
    models = [model for model, *_ in INCREMENTAL_STAGING] + ["stg_shop__order_items"]
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    _load(warehouse, generated / "landing")
    _seed(tmp_path)
    _dbt(tmp_path, select=" ".join(f"+{model}" for model in models))
    before = {model: _fingerprint(warehouse, model) for model in models}
    _dbt(tmp_path, select=" ".join(models))
    after = {model: _fingerprint(warehouse, model) for model in models}
    assert after == before


def test_a_table_built_without_a_documented_column_is_rebuilt(generated, tmp_path, monkeypatch):
    # a warehouse built by an older version of the model: the table lacks a lineage column
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    _load(warehouse, generated / "landing")
    _dbt(tmp_path)
    con = connect(warehouse)
    # the rebuild stages every row again, so each has a new staged_at
    fingerprint = (
        f"select count(*), sum(hash(t)) from (select {_compared(con, 'staging.stg_web__events')} "
        "from staging.stg_web__events) as t"
    )
    expected = con.execute(fingerprint).fetchall()
    con.execute("alter table staging.stg_web__events drop column source_row_number")
    con.execute(
        """delete from staging.stg_web__events
        where event_id in (select event_id from staging.stg_web__events limit 5)"""
    )
    con.close()
    _dbt(tmp_path)  # an ordinary run, no --full-refresh
    con = connect(warehouse)
    rebuilt = con.execute(fingerprint).fetchall()
    con.close()
    assert rebuilt == expected


def test_phone_kinds_classify_only_new_phones_and_forget_those_gone(
    generated, tmp_path, monkeypatch
):
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    _load(warehouse, generated / "landing")
    _seed(tmp_path)
    _dbt(tmp_path, select="+int_identity__phone_kinds")
    table = "intermediate.int_identity__phone_kinds"
    con = connect(warehouse)
    full = con.execute(f"select count(*), sum(hash(t)) from {table} t").fetchall()
    (kept,), (unclassified,) = con.execute(
        f"select phone from {table} where phone_kind = 'mobile' order by phone limit 2"
    ).fetchall()
    # a kind classified before stays as it is (a run does not classify it again), a phone no
    # longer classified is classified, and one no identifier names any more is forgotten
    con.execute(f"update {table} set phone_kind = 'kept as classified' where phone = ?", [kept])
    con.execute(f"delete from {table} where phone = ?", [unclassified])
    con.execute(f"insert into {table} values ('+390000000000', 'fixed_line')")
    con.close()
    _dbt(tmp_path, select="int_identity__phone_kinds")
    con = connect(warehouse)
    kinds = dict(con.execute(f"select phone, phone_kind from {table}").fetchall())
    con.close()
    assert kinds[kept] == "kept as classified"
    assert kinds[unclassified] == "mobile"
    assert "+390000000000" not in kinds
    _dbt(tmp_path, "--full-refresh", select="int_identity__phone_kinds")
    con = connect(warehouse)
    assert con.execute(f"select count(*), sum(hash(t)) from {table} t").fetchall() == full
    con.close()


def test_each_run_stages_one_batch_and_a_key_it_repeats_fails_the_uniqueness_test(
    generated, tmp_path, monkeypatch
):
    """The premise of ``unique_in_latest_batch``: a run writes its rows with one ``staged_at``,
    later than any earlier run's, and leaves the rows it does not touch as they were; then the
    test fails on a key the latest batch repeats."""
    landing, held, last = _with_last_day_held(generated, tmp_path, "web")
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    _load(warehouse, landing)
    _dbt(tmp_path)
    con = connect(warehouse)
    first = con.execute(
        "select count(distinct staged_at), min(staged_at), count(*) from staging.stg_web__events"
    ).fetchall()[0]
    con.close()
    assert first[0] == 1  # the first build is one batch

    (held / last).rename(landing / "web" / last)
    _load(warehouse, landing)
    _dbt(tmp_path)
    con = connect(warehouse)
    batches = con.execute(
        """select staged_at, count(*), count(*) filter (where export_date = ?)
        from staging.stg_web__events group by staged_at order by staged_at""",
        [last],
    ).fetchall()
    con.close()
    assert len(batches) == 2
    (kept_at, kept, kept_of_day), (day_at, written, written_of_day) = batches
    assert kept_at == first[1] and kept_of_day == 0  # untouched rows keep their run
    assert day_at > kept_at and written_of_day > 0  # the day's events are the new batch

    selection = ("--select", "stg_web__events,test_name:unique_in_latest_batch")
    assert invoke_dbt(tmp_path / "dbt_target", "test", *selection).success
    # a key of the day's batch held again by a row of an earlier run (a delete that missed),
    # then repeated within the batch itself: each fails the test
    for copy_written in ("staged_at - interval 1 day", "staged_at"):
        con = connect(warehouse)
        con.execute("delete from staging.stg_web__events where staged_at < ?", [kept_at])
        con.execute(
            f"""insert into staging.stg_web__events
            select * replace ({copy_written} as staged_at) from staging.stg_web__events
            where staged_at = ? limit 1""",
            [day_at],
        )
        con.close()
        assert not invoke_dbt(tmp_path / "dbt_target", "test", *selection).success, copy_written
