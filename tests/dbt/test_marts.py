"""The Customer 360 marts on the generated warehouse: documented, reconciled, consent-safe."""

from __future__ import annotations

import re

import pytest
import yaml

from cdp.activation.exports import export_audiences
from cdp.activation.segments import load_audiences
from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT
from cdp.duckdb_budget import connect

MARTS = {
    "customer_profiles",
    "customer_source_records",
    "customer_consent",
    "customer_activity_daily",
    "activity_daily_totals",
    "activity_daily_by_country",
    "segment_members",
    "campaign_performance",
    "data_usage",
    "source_coverage",
}


def _granted_for_all(con, customer_ids: list[str], purposes: tuple[str, ...]) -> set[str]:
    rows = con.execute(
        """
        select customer_id
        from marts.customer_consent
        where customer_id in (select unnest($ids)) and purpose in (select unnest($purposes))
        group by customer_id
        having count(*) filter (where consent_status = 'granted') = len($purposes)
        """,
        {"ids": customer_ids, "purposes": list(purposes)},
    ).fetchall()
    return {row[0] for row in rows}


def test_every_mart_is_documented_keyed_and_contracted(built_warehouse):
    _, result = built_warehouse
    marts = {
        r.node.name: r.node
        for r in result.result
        if r.node.resource_type == "model" and "marts" in r.node.fqn
    }
    assert set(marts) == MARTS
    # the columns each mart's uniqueness tests cover
    tested: dict[str, list[set[str]]] = {}
    for r in result.result:
        node = r.node
        if node.resource_type != "test" or not getattr(node, "test_metadata", None):
            continue
        kwargs = node.test_metadata.kwargs
        if node.test_metadata.name == "unique":
            columns = {kwargs["column_name"]}
        elif node.test_metadata.name == "unique_combination":
            columns = set(kwargs.get("columns") or kwargs.get("arguments", {}).get("columns", []))
        else:
            continue
        tested.setdefault(node.attached_node, []).append(columns)
    for name, node in marts.items():
        assert node.description.strip(), name
        assert node.contract.enforced, name
        keys = [set(c.columns) for c in node.constraints if c.type == "primary_key"]
        assert len(keys) == 1, name
        # the key is checked by a uniqueness test (DuckDB keeps no index for it)
        assert keys[0] in tested.get(node.unique_id, []), (name, keys[0])
        undocumented = [c for c, column in node.columns.items() if not column.description.strip()]
        assert not undocumented, (name, undocumented)


def test_sql_clients_see_each_marts_descriptions(built_warehouse):
    """persist_docs: the descriptions of the YAML are DuckDB comments on tables and columns."""
    warehouse, result = built_warehouse
    documented = {
        r.node.name: r.node
        for r in result.result
        if r.node.resource_type == "model" and r.node.name in MARTS
    }
    con = connect(str(warehouse))
    tables = dict(
        con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
        ).fetchall()
    )
    columns = {
        (table, column): comment
        for table, column, comment in con.execute(
            "select table_name, column_name, comment from duckdb_columns() "
            "where schema_name = 'marts'"
        ).fetchall()
    }
    con.close()
    for name, node in documented.items():
        assert tables[name] == node.description, name
        for column, spec in node.columns.items():
            assert columns[(name, column)] == spec.description, (name, column)


def test_no_mart_column_is_a_128_bit_integer(built_warehouse):
    """A sum of integers is HUGEINT in DuckDB, which pandas and many clients read as floats:
    the marts cast their counts to BIGINT."""
    warehouse, _ = built_warehouse
    con = connect(str(warehouse))
    wide = con.execute(
        """select schema_name || '.' || table_name || '.' || column_name from duckdb_columns()
        where schema_name in ('marts', 'pseudonymized') and data_type in ('HUGEINT', 'UHUGEINT')"""
    ).fetchall()
    con.close()
    assert wide == []


def test_source_coverage_spans_each_sources_staged_records(built_warehouse):
    warehouse, _ = built_warehouse
    con = connect(str(warehouse))
    rows = con.execute(
        """select staging_model, record_count, activity_column, first_activity_on,
                  last_activity_on, first_export_date, last_export_date
           from marts.source_coverage"""
    ).fetchall()
    for model, count, column, first_on, last_on, first_export, last_export in rows:
        staged_count, staged_first, staged_last = con.execute(
            f"select count(*), min({column})::date, max({column})::date from staging.{model}"
        ).fetchall()[0]
        assert (count, first_on, last_on) == (staged_count, staged_first, staged_last), model
        assert first_export <= last_export, model
    by_source = {model: first_on for model, _, _, first_on, *_ in rows}
    con.close()
    assert len(rows) == 14
    # the history the issue names: the site's events begin after the shop's first orders
    assert by_source["stg_shop__orders"] < by_source["stg_web__events"]


def test_marts_hold_rows_and_revenue_reconciles(built_warehouse):
    warehouse, _ = built_warehouse
    con = connect(str(warehouse))
    counts = {
        name: con.execute(f"select count(*) from marts.{name}").fetchall()[0][0] for name in MARTS
    }
    profiles_revenue, profiles_orders = con.execute(
        "select sum(net_revenue_eur), sum(order_count) from marts.customer_profiles"
    ).fetchall()[0]
    totals_revenue, totals_orders = con.execute(
        "select sum(net_revenue_eur), sum(order_count) from marts.activity_daily_totals"
    ).fetchall()[0]
    # by country: the same totals, and revenue by country as the profiles give it
    country_revenue, country_orders = con.execute(
        "select sum(net_revenue_eur), sum(order_count) from marts.activity_daily_by_country"
    ).fetchall()[0]
    by_country = dict(
        con.execute(
            "select country_code, sum(net_revenue_eur) from marts.activity_daily_by_country "
            "group by all"
        ).fetchall()
    )
    profiles_by_country = dict(
        con.execute(
            "select coalesce(country_code, 'ZZ'), sum(net_revenue_eur) "
            "from marts.customer_profiles group by all having sum(net_revenue_eur) > 0"
        ).fetchall()
    )
    # Per customer, only those who did not refuse analytics: less than the totals.
    daily_revenue, daily_orders = con.execute(
        "select sum(net_revenue_eur), sum(order_count) from marts.customer_activity_daily"
    ).fetchall()[0]
    staged_revenue, staged_orders = con.execute(
        """
        select sum(net_revenue_eur), count(*) filter (where is_revenue)
        from intermediate.int_orders_attributed
        where customer_id is not null
        """
    ).fetchall()[0]
    all_revenue_orders = con.execute(
        "select count(*) from staging.stg_shop__orders where is_revenue"
    ).fetchall()[0][0]
    consent_rows, customers = con.execute(
        "select (select count(*) from marts.customer_consent), "
        "(select count(*) from marts.customer_profiles)"
    ).fetchall()[0]
    con.close()
    assert all(counts[name] > 0 for name in MARTS), counts
    assert profiles_revenue == totals_revenue == staged_revenue > 0
    assert profiles_orders == totals_orders == staged_orders
    assert (country_revenue, country_orders) == (totals_revenue, totals_orders)
    assert {c: r for c, r in by_country.items() if r > 0} == profiles_by_country
    assert 0 < daily_revenue < totals_revenue and 0 < daily_orders < totals_orders
    # Only orders that named no one may stay unattributed.
    assert staged_orders >= 0.99 * all_revenue_orders
    assert consent_rows == 5 * customers


def test_audience_exports_never_hold_a_customer_without_consent(warehouse_copy, tmp_path):
    """Export every declared audience, then withdraw the consent of one exported customer and
    deny it to one who had none: the next export leaves both out."""
    audiences = load_audiences()
    con = connect(str(warehouse_copy))
    results = export_audiences(
        con, tmp_path / "exports", audiences.segments, audiences.channels, log=lambda _m: None
    )
    excluded = sum(r.excluded_without_consent for r in results)
    assert excluded > 0, "no segment had a member without consent: nothing was tried"
    exported_any = None
    for result in results:
        channel = audiences.channels[result.channel]
        exported = [
            row[0]
            for row in con.execute(
                "select customer_id from read_csv($path, all_varchar = true)",
                {"path": str(result.csv_path)},
            ).fetchall()
        ]
        from_parquet = con.execute(
            "select count(*) from read_parquet($path)", {"path": str(result.parquet_path)}
        ).fetchall()[0][0]
        assert from_parquet == len(exported) == result.rows_exported
        assert _granted_for_all(con, exported, channel.purposes) == set(exported), result.segment
        if exported and exported_any is None:
            exported_any = (result, exported[0])
    assert exported_any is not None, "every export is empty: nothing to withdraw"

    result, customer_id = exported_any
    purpose = audiences.channels[result.channel].purposes[0]
    con.execute(
        "update marts.customer_consent set consent_status = 'withdrawn', is_granted = false "
        "where customer_id = $id and purpose = $purpose",
        {"id": customer_id, "purpose": purpose},
    )
    again = export_audiences(
        con, tmp_path / "exports", audiences.segments, audiences.channels, log=lambda _m: None
    )
    after = next(r for r in again if r.segment == result.segment)
    exported_after = {
        row[0]
        for row in con.execute(
            "select customer_id from read_csv($path, all_varchar = true)",
            {"path": str(after.csv_path)},
        ).fetchall()
    }
    con.close()
    assert customer_id not in exported_after
    assert after.rows_exported == result.rows_exported - 1


def test_segment_rules_reach_data_usage(built_warehouse):
    """Every attribute a segment's rules name is listed as used by that segment."""
    warehouse, _ = built_warehouse
    con = connect(str(warehouse))
    rows = con.execute(
        "select attribute_name, used_by_segments, is_unused from marts.data_usage "
        "where source = 'customer_profiles'"
    ).fetchall()
    con.close()
    usage = {name: (set(segments), unused) for name, segments, unused in rows}
    for segment in load_audiences().segments:
        for rule in segment.rules:
            segments, unused = usage[rule.attribute]
            assert segment.name in segments and not unused, (segment.name, rule.attribute)


def test_every_audience_is_an_exposure():
    """The exposures name every declared audience, so lineage shows who depends on the marts."""
    exposures = yaml.safe_load(
        (DBT_PROJECT_DIR / "models" / "marts" / "_marts__exposures.yml").read_text()
    )["exposures"]
    names = {exposure["name"] for exposure in exposures}
    declared = {f"audience_{segment.name}" for segment in load_audiences().segments}
    assert declared <= names, declared - names
    assert "data_quality_site" in names


GUIDE = PROJECT_ROOT / "docs" / "analyst_guide.md"


def _guide_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def test_analyst_guide_has_five_questions():
    assert len(_guide_queries()) == 5


@pytest.mark.parametrize("index", range(5))
def test_analyst_guide_queries_answer_on_the_sample(built_warehouse, index):
    warehouse, _ = built_warehouse
    query = _guide_queries()[index]
    con = connect(str(warehouse))
    rows = con.execute(query).fetchall()
    con.close()
    assert rows, query
