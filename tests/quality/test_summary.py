"""The stakeholder page (``summary.html``): its key numbers equal SQL on the marts, their
history keeps the newest runs, its charts draw one run and several, and the dbt tests and GX
checks it lists come from real runs, failures first, with their plain explanations."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from cdp.duckdb_budget import connect
from cdp.quality.dbt_results import (
    DBT_RESULTS_TABLE,
    STATUSES,
    latest_test_results,
    read_test_results,
    record_invocation,
    record_test_results,
)
from cdp.quality.run import QualityRun
from cdp.quality.stakeholder import (
    Freshness,
    KeyNumbers,
    key_number_history,
    measure_key_numbers,
    record_key_numbers,
    trend_chart,
    write_summary,
)
from cdp.quality.suites import Sla
from tests.conftest import SAMPLE_END, invoke_dbt, query, replace_with_table

NOW = datetime(SAMPLE_END.year, SAMPLE_END.month, SAMPLE_END.day, 12, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def _target_of(result, tmp_path_factory) -> Path:
    """The target folder dbt wrote the session's build to (its run_results.json)."""
    target = (result.result.args or {}).get("target_path")
    if target and (Path(target) / "run_results.json").exists():
        return Path(target)
    base = tmp_path_factory.getbasetemp()
    return next(p.parent for p in sorted(base.glob("dbt_target*/run_results.json")))


def test_key_numbers_equal_sql_on_the_marts(warehouse_copy):
    slas = {"crm": Sla(1, 2), "shop": Sla(2, 3)}
    today = SAMPLE_END + timedelta(days=4)
    with connect(str(warehouse_copy), read_only=True) as con:
        numbers = measure_key_numbers(con, slas, today)

    def one(sql: str) -> int:
        return query(warehouse_copy, sql)[0][0]

    def reachable(purpose: str, has_contact: str) -> int:
        return one(
            f"""select count(*) from marts.customer_profiles as p
            join marts.customer_consent as c using (customer_id)
            where c.purpose = '{purpose}' and c.consent_status = 'granted' and ({has_contact})"""
        )

    assert numbers.profiles == one("select count(*) from marts.customer_profiles")
    assert numbers.identified == one(
        """select count(*) from marts.customer_profiles
        where email is not null or phone is not null
            or list_contains(sources, 'crm') or list_contains(sources, 'shop_account')"""
    )
    assert numbers.reachable == {
        "email": reachable("email_marketing", "p.email is not null"),
        "sms": reachable("sms_marketing", "p.phone is not null"),
        "ads": reachable("third_party_sharing", "p.email is not null or p.phone is not null"),
    }
    # the numbers say something: some profiles are anonymous, some people may be emailed
    assert 0 < numbers.identified < numbers.profiles
    assert 0 < numbers.reachable["email"] < numbers.identified
    # freshness: each source as old as the oldest of its file types' newest export
    oldest = dict(
        query(
            warehouse_copy,
            """select source, min(newest) from (
                select source, entity, max(export_date) as newest from raw._load_manifest
                where status in ('loaded', 'duplicate') group by all
            ) group by source""",
        )
    )
    by_source = {f.source: f for f in numbers.freshness}
    assert set(oldest) <= set(by_source)
    for source, newest in oldest.items():
        assert by_source[source].newest_export == newest
        assert by_source[source].age_days == (today - newest).days
    crm, late = by_source["crm"], by_source["crm"].age_days - 2
    assert crm.status == "error"
    assert crm.words == f"{late} day{'s' if late != 1 else ''} late"


def test_freshness_in_words():
    sla = Sla(warn_days=1, error_days=2)
    on = date(2026, 11, 28)
    assert Freshness("shop", on, 0, sla).words == "up to date"
    assert Freshness("shop", on, 2, sla).words == "1 day behind, within its 2-day limit"
    assert Freshness("shop", on, 2, sla).status == "warn"
    assert Freshness("shop", on, 5, sla).words == "3 days late"
    assert Freshness("shop", None, None, sla).words == "nothing delivered yet"


def _numbers(profiles: int) -> KeyNumbers:
    return KeyNumbers(
        profiles=profiles,
        identified=profiles // 2,
        reachable={"email": profiles // 4},
        freshness=(Freshness("crm", date(2026, 11, 28), 1, Sla(2, 3)),),
    )


def test_the_history_keeps_the_newest_runs(tmp_path):
    keep = 3
    with connect(str(tmp_path / "w.duckdb")) as con:
        for index in range(5):
            at = NOW + timedelta(days=index)
            record_key_numbers(con, f"run-{index}", at, _numbers(100 + index), keep)
        # a second gate of the newest run replaces what the first recorded
        record_key_numbers(con, "run-4", NOW + timedelta(days=4), _numbers(999), keep)
        history = key_number_history(con)
        results = [_dbt_result(f"run-{i}", NOW + timedelta(days=i)) for i in range(4)]
        for result in results:
            record_test_results(con, [result], keep_runs=2)
        dbt_runs = con.execute(
            f"select distinct run_id from {DBT_RESULTS_TABLE} order by run_id"
        ).fetchall()
    assert [run_id for run_id, _, _ in history] == ["run-2", "run-3", "run-4"]
    assert [m["profiles"] for _, _, m in history] == [102, 103, 999]
    assert history[-1][2]["reachable.email"] == 999 // 4
    assert history[-1][2]["export_age_days.crm"] == 1
    assert dbt_runs == [("run-2",), ("run-3",)]


def _dbt_result(run_id: str, at: datetime):
    from cdp.quality.dbt_results import DbtTestResult

    return DbtTestResult(
        run_id=run_id, recorded_at=at, invocation_id=None, unique_id="test.cdp.x",
        test_name="x", test_type="not_null", model="m", column_name="c", severity="error",
        status="pass", failures=0, message=None, checks="Every row of m has a c.",
        outcome="Holds: nothing found.",
    )  # fmt: skip


def _svg(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_a_chart_of_one_run_is_a_dot_and_of_several_a_line():
    one = _svg(trend_chart([(NOW, 1234.0)], "Profiles"))
    assert len(one.findall(f"{SVG}circle")) == 1
    assert one.find(f"{SVG}polyline") is None
    assert "1,234" in "".join(one.itertext())

    values = [40.0, 10.0, 30.0, None, 20.0]
    points = [(NOW + timedelta(days=i), v) for i, v in enumerate(values)]
    several = _svg(trend_chart(points, "Profiles"))
    dots = several.findall(f"{SVG}circle")
    line = several.find(f"{SVG}polyline").get("points").split()
    assert len(dots) == len(line) == 4  # a run without the number is left out
    heights = [float(d.get("cy")) for d in dots]
    # higher values are drawn higher (smaller y), in the order of the runs
    assert sorted(range(4), key=lambda i: heights[i]) == [0, 2, 3, 1]
    assert "20" in "".join(several.itertext())  # the latest value is written

    share = _svg(trend_chart([(NOW, 0.25), (NOW + timedelta(days=1), 0.5)], "Share", True))
    assert "50.0 %" in "".join(share.itertext())
    empty = trend_chart([(NOW, None)], "Profiles")
    assert "no measurement yet" in empty and "<circle" not in empty
    for chart in (one, several, share):
        assert not [e for e in chart.iter() if "href" in "".join(e.attrib)]  # nothing fetched


def test_the_page_of_one_run_has_a_dot_and_a_sentence(tmp_path):
    with connect(str(tmp_path / "w.duckdb")) as con:
        record_key_numbers(con, "only", NOW, _numbers(500), 30)
        page = write_summary(con, tmp_path / "docs", {"crm": Sla(2, 3)}).read_text()
    assert "One run so far" in page
    # profiles, identified people, the e-mail share, the sources up to date: one dot each
    assert page.count("<circle") == 4
    assert 'id="number-profiles"><b>500</b>' in page
    assert "No results recorded yet" in page  # neither dbt nor GX has run here


def test_dbt_results_are_read_from_a_real_run(built_warehouse, tmp_path_factory, tmp_path):
    _, result = built_warehouse
    target = _target_of(result, tmp_path_factory)
    run_results = json.loads((target / "run_results.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    tests = [r for r in run_results["results"] if r["unique_id"].startswith("test.")]

    read = read_test_results(target, "session-build")
    assert len(read) == len(tests) > 100
    by_id = {r.unique_id: r for r in read}
    for raw in tests:
        mine, node = by_id[raw["unique_id"]], manifest["nodes"][raw["unique_id"]]
        assert mine.status == raw["status"] and mine.status in STATUSES
        assert mine.failures == raw["failures"]
        assert mine.severity == node["config"]["severity"].lower()
        assert mine.model == node["attached_node"].split(".")[-1]
        assert mine.checks and mine.outcome
    types = {r.test_type for r in read}
    assert {"unique", "not_null", "relationships", "accepted_values"} <= types
    not_null = next(r for r in read if r.test_type == "not_null" and r.status == "pass")
    assert not_null.checks.startswith("Every row of ") and " has a" in not_null.checks
    # the event tables' keys, checked where a repeat can arise, read as plainly
    in_batch = next(r for r in read if r.test_type == "unique_in_latest_batch")
    assert in_batch.checks.startswith("No two rows of ") and "latest run" in in_batch.checks

    warehouse = tmp_path / "results.duckdb"
    recorded = record_invocation(target, warehouse, "session-build")
    with connect(str(warehouse)) as con:
        latest = latest_test_results(con)
        statuses = dict(
            con.execute(f"select status, count(*) from {DBT_RESULTS_TABLE} group by 1").fetchall()
        )
    assert recorded == len(latest) == len(tests)
    assert statuses == {s: sum(1 for t in tests if t["status"] == s) for s in statuses}


@pytest.fixture
def broken_run(built_warehouse, warehouse_copy, tmp_path_factory, tmp_path):
    """A copy of the warehouse whose customer profiles lose some customer ids (dbt's test) and
    get completeness scores above 1 (the marts' GX suite): a real failing run_results.json and
    a failing GX check."""
    _, result = built_warehouse
    with connect(str(warehouse_copy)) as con:
        replace_with_table(
            con,
            "marts.customer_profiles",
            """with broken as (select customer_id from {relation} order by customer_id limit 3)
            select * replace (
                case when customer_id in (from broken) then null else customer_id end
                    as customer_id,
                case when customer_id in (from broken) then 1.5 else completeness_score end
                    as completeness_score)
            from {relation}""",
        )
    # GX checks a copy of its own: dbt, run in this process, keeps its file open with another
    # configuration (as the pipeline's checks read the warehouse after dbt has exited)
    checked_copy = tmp_path / "checked.duckdb"
    shutil.copy(warehouse_copy, checked_copy)
    # dbt's partial parse from the session's build, so only the tests run
    target = tmp_path / "dbt_target"
    shutil.copytree(_target_of(result, tmp_path_factory), target)
    (target / "run_results.json").unlink()
    mp = pytest.MonkeyPatch()
    mp.setenv("CDP_WAREHOUSE", str(warehouse_copy))
    invoke_dbt(target, "test", "--select", "customer_profiles")
    mp.undo()
    record_invocation(target, checked_copy, "broken")
    run = QualityRun(
        checked_copy,
        tmp_path / "quality",
        tmp_path / "docs",
        now=NOW,
        manifest=target / "manifest.json",
    )
    suite = next(s for s in run.suites().values() if s.name == "marts.customer_profiles")
    [checked] = run.validate([suite], run_id="broken", log=lambda _m: None)
    return checked_copy, checked, tmp_path / "docs"


def test_the_page_lists_a_failing_dbt_test_and_a_failing_gx_check(broken_run):
    import html

    warehouse, checked, docs = broken_run
    missing = query(
        warehouse, "select count(*) from marts.customer_profiles where customer_id is null"
    )[0][0]
    assert missing > 0
    with connect(str(warehouse), read_only=True) as con:
        dbt = latest_test_results(con)
    failed = [r for r in dbt if r["status"] == "fail"]
    not_null = next(
        r for r in failed if r["test_type"] == "not_null" and r["column_name"] == "customer_id"
    )
    assert not_null["failures"] == missing
    assert not_null["checks"] == "Every row of customer profiles has a customer ID."
    assert not_null["outcome"].startswith(
        f"{missing} rows of customer profiles have no customer ID"
    )

    gx_failed = [r for r in checked.results if not r.success]
    assert gx_failed, "the GX suite of the profiles should see the scores above 1"

    page = html.unescape((docs / "summary.html").read_text())
    assert 'id="summary-status">failing<' in page
    dbt_side = page[page.index('id="dbt-tests"') : page.index('id="gx-checks"')]
    gx_side = page[page.index('id="gx-checks"') :]
    problems = dbt_side[: dbt_side.index("<details>")]
    assert not_null["checks"] in problems and not_null["outcome"] in problems
    for check in gx_failed:
        assert f"Customer profiles (for reporting): {check.description}." in gx_side
    assert "A failure:" in gx_side[: gx_side.index("<details>")]
    # the portal links the page first
    portal = (docs / "index.html").read_text()
    assert portal.index('href="summary.html"') < portal.index('href="quality/index.html"')
    # the key numbers of this run were recorded beside the results
    profiles = query(warehouse, "select count(*) from marts.customer_profiles")[0][0]
    assert f'id="number-profiles"><b>{profiles:,}</b>' in page
