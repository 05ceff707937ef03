"""The pseudonymized schema and analytics consent, on the generated warehouse: no direct
personal data reaches schema `pseudonymized`, pseudonyms are keyed hashes of customer ids
(stable under one key, different under another), birth dates and postcodes are generalized,
and per-customer activity leaves out customers who refused analytics while the daily totals
still count them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT
from cdp.duckdb_budget import connect
from cdp.privacy.keys import PSEUDONYM, derive, keyed_hash, load_key

PSEUDONYMIZED = ("customer_profiles", "customer_activity_daily", "segment_members")
# marts.customer_profiles columns whose values must never appear in schema pseudonymized.
DIRECT_VALUES = ("customer_id", "email", "phone", "first_name", "last_name", "street")
HEX64 = re.compile(r"[0-9a-f]{64}")


def _pseudonym(customer_id: str, key: bytes) -> str:
    return keyed_hash(customer_id, derive(key, PSEUDONYM))


def _excluded_statuses() -> list[str]:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return project["vars"]["analytics_excluded_consent_statuses"]


def _pseudonyms(warehouse: Path) -> set[str]:
    con = connect(str(warehouse))
    rows = con.execute("select customer_pseudonym from pseudonymized.customer_profiles").fetchall()
    con.close()
    return {row[0] for row in rows}


def test_no_direct_personal_value_reaches_the_pseudonymized_schema(built_warehouse):
    """Every value of every column of every pseudonymized table (list elements one by one),
    compared with every customer id, email, phone, name, street and full birth date of the
    profiles: none is equal."""
    warehouse, _ = built_warehouse
    con = connect(str(warehouse))
    con.execute(
        "create temp table personal_values as "
        + " union ".join(
            f"select cast({column} as varchar) as value from marts.customer_profiles "
            f"where {column} is not null"
            for column in (*DIRECT_VALUES, "birth_date")
        )
    )
    values = con.execute("select count(*) from personal_values").fetchall()[0][0]
    columns = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'pseudonymized'"
    ).fetchall()
    leaks, compared = [], 0
    for table, column, data_type in columns:
        value = f'unnest("{column}")' if data_type.endswith("[]") else f'"{column}"'
        found, total = con.execute(
            f"""
            with cells as (select cast({value} as varchar) as value from pseudonymized.{table})
            select count(*) filter (where value in (select value from personal_values)),
                count(value)
            from cells
            """
        ).fetchall()[0]
        compared += total
        if found:
            leaks.append((table, column, found))
    con.close()
    assert {table for table, _, _ in columns} == set(PSEUDONYMIZED)
    assert values > 500 and compared > 10_000, (values, compared)
    assert not leaks, leaks


def test_profiles_are_keyed_by_pseudonym_and_generalized(built_warehouse):
    """One row per profile; each pseudonym is the keyed hash of exactly one customer id (under
    the tests' privacy key) and carries that customer's traits; the birth year is its five-year
    band's first year and the postcode its country and first two characters."""
    warehouse, _ = built_warehouse
    key = load_key()
    assert key is not None
    con = connect(str(warehouse))
    marts = {
        row[0]: row[1:]
        for row in con.execute(
            "select customer_id, birth_date, postcode, country_code, net_revenue_eur, "
            "rfm_segment, email is not null from marts.customer_profiles"
        ).fetchall()
    }
    pseudonymized = con.execute(
        "select customer_pseudonym, birth_year_band, postcode_area, country_code, "
        "net_revenue_eur, rfm_segment, has_email from pseudonymized.customer_profiles"
    ).fetchall()
    con.close()
    by_pseudonym = {_pseudonym(customer_id, key): customer_id for customer_id in marts}
    assert len(pseudonymized) == len(marts) > 0
    assert all(HEX64.fullmatch(row[0]) for row in pseudonymized)
    assert {row[0] for row in pseudonymized} == set(by_pseudonym)
    generalized_births = generalized_postcodes = 0
    for pseudonym, band, area, country, revenue, segment, has_email in pseudonymized:
        birth_date, postcode, m_country, m_revenue, m_segment, m_has_email = marts[
            by_pseudonym[pseudonym]
        ]
        assert (country, revenue, segment, has_email) == (
            m_country,
            m_revenue,
            m_segment,
            m_has_email,
        )
        if birth_date is None:
            assert band is None
        else:
            generalized_births += 1
            assert band % 5 == 0 and band <= birth_date.year < band + 5, (band, birth_date)
        if postcode is None:
            assert area is None
        else:
            generalized_postcodes += 1
            prefix = postcode.replace(" ", "").upper()[:2]
            assert area == f"{country or 'XX'}-{prefix}", (area, postcode)
            assert area != postcode
    assert generalized_births > 50 and generalized_postcodes > 50


def test_activity_and_segments_carry_the_same_pseudonyms(built_warehouse):
    """The pseudonymized activity and segment tables hold exactly the mart's rows, each
    customer under their profile's pseudonym."""
    warehouse, _ = built_warehouse
    key = load_key()
    con = connect(str(warehouse))
    activity = con.execute(
        "select customer_id, activity_date, net_revenue_eur, web_event_count "
        "from marts.customer_activity_daily"
    ).fetchall()
    pseudo_activity = con.execute(
        "select customer_pseudonym, activity_date, net_revenue_eur, web_event_count "
        "from pseudonymized.customer_activity_daily"
    ).fetchall()
    members = con.execute("select segment_id, customer_id from marts.segment_members").fetchall()
    pseudo_members = con.execute(
        "select segment_id, customer_pseudonym from pseudonymized.segment_members"
    ).fetchall()
    con.close()
    assert activity and members
    assert sorted(pseudo_activity) == sorted(
        (_pseudonym(row[0], key), *row[1:]) for row in activity
    )
    assert sorted(pseudo_members) == sorted(
        (segment, _pseudonym(customer_id, key)) for segment, customer_id in members
    )


def _rebuild_pseudonymized(warehouse: Path, key: str, tmp_path: Path) -> None:
    target = tmp_path / f"target-{key}"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "run",
            "--select", "pseudonymized",
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(PROJECT_ROOT),
            "--target-path", str(target),
            "--log-path", str(target / "logs"),
            "--quiet",
        ],
        env={**os.environ, "CDP_WAREHOUSE": str(warehouse), "CDP_PRIVACY_KEY": key},
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_pseudonyms_are_stable_under_one_key_and_change_with_the_key(warehouse_copy, tmp_path):
    """Rebuilt under another key, every pseudonym changes (to that key's hashes); rebuilt
    again under the first key, every customer gets their first pseudonym back."""
    first = _pseudonyms(warehouse_copy)
    con = connect(str(warehouse_copy))
    customer_ids = [
        row[0] for row in con.execute("select customer_id from marts.customer_profiles").fetchall()
    ]
    con.close()
    test_key = os.environ["CDP_PRIVACY_KEY"]

    _rebuild_pseudonymized(warehouse_copy, "another-privacy-key", tmp_path)
    other = _pseudonyms(warehouse_copy)
    assert len(other) == len(first) == len(customer_ids) > 0
    assert not other & first
    assert other == {_pseudonym(c, b"another-privacy-key") for c in customer_ids}

    _rebuild_pseudonymized(warehouse_copy, test_key, tmp_path)
    assert (
        _pseudonyms(warehouse_copy)
        == first
        == {_pseudonym(c, test_key.encode()) for c in customer_ids}
    )


@pytest.fixture(scope="module")
def activity_by_consent(built_warehouse):
    """(customers who refused analytics, rows of the mart by customer, activity of every
    customer by day (int view), totals mart by day, profiles' revenue)."""
    warehouse, _ = built_warehouse
    con = connect(str(warehouse))
    refusers = {
        row[0]
        for row in con.execute(
            "select customer_id from marts.customer_consent where purpose = 'analytics' "
            "and consent_status in (select unnest($statuses))",
            {"statuses": _excluded_statuses()},
        ).fetchall()
    }
    statuses = dict(
        con.execute(
            "select customer_id, consent_status from marts.customer_consent "
            "where purpose = 'analytics'"
        ).fetchall()
    )
    mart_customers = {
        row[0]
        for row in con.execute(
            "select distinct customer_id from marts.customer_activity_daily"
        ).fetchall()
    }
    everyone = con.execute(
        "select customer_id, activity_date, order_count, net_revenue_eur, web_event_count "
        "from intermediate.int_customer_activity_daily"
    ).fetchall()
    totals = {
        row[0]: row[1:]
        for row in con.execute(
            "select activity_date, active_customer_count, order_count, net_revenue_eur, "
            "web_event_count from marts.activity_daily_totals"
        ).fetchall()
    }
    daily = con.execute(
        "select activity_date, sum(net_revenue_eur) from marts.customer_activity_daily group by 1"
    ).fetchall()
    profiles_revenue = con.execute(
        "select sum(net_revenue_eur) from marts.customer_profiles"
    ).fetchall()[0][0]
    con.close()
    return refusers, statuses, mart_customers, everyone, totals, dict(daily), profiles_revenue


def test_activity_mart_leaves_out_customers_who_refused_analytics(activity_by_consent):
    refusers, statuses, mart_customers, everyone, *_ = activity_by_consent
    active = {row[0] for row in everyone}
    assert refusers & active, "no customer who refused analytics was active: nothing was tried"
    assert not refusers & mart_customers
    assert mart_customers == active - refusers
    # The documented choice: no analytics event on record is not a refusal.
    assert any(statuses[c] == "no_record" for c in mart_customers)


def test_daily_totals_count_everyone_and_reconcile(activity_by_consent):
    """Per day, the totals equal the activity of every customer, refusals included; over all
    days they reconcile with the profiles; what the per-customer mart lacks is exactly the
    refusals' revenue."""
    refusers, _, _, everyone, totals, daily, profiles_revenue = activity_by_consent
    expected: dict = {}
    refused_revenue: dict = {}
    for customer_id, day, orders, revenue, events in everyone:
        customers, o, r, e = expected.get(day, (0, 0, 0, 0))
        expected[day] = (customers + 1, o + orders, r + revenue, e + events)
        if customer_id in refusers:
            refused_revenue[day] = refused_revenue.get(day, 0) + revenue
    assert totals == expected
    assert sum(t[2] for t in totals.values()) == profiles_revenue > 0
    assert sum(refused_revenue.values()) > 0
    for day, (_, _, revenue, _) in totals.items():
        assert revenue == daily.get(day, 0) + refused_revenue.get(day, 0), day
