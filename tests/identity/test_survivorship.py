"""Survivorship rules: the YAML is checked, and each rule picks the value it declares."""

from __future__ import annotations

import pytest

from cdp.duckdb_budget import connect
from cdp.identity.survivorship import (
    RULES_PATH,
    AttributeRule,
    SurvivorshipError,
    golden_sql,
    load_rules,
)

RECORD_COLUMNS = {
    "first_name", "last_name", "email", "phone", "birth_date", "street", "postcode", "city",
    "country_code", "language_code",
}  # fmt: skip


def test_the_project_rules_load_and_name_real_columns():
    rules = load_rules(RULES_PATH, columns=RECORD_COLUMNS)
    chosen = {column for rule in rules for column in rule.columns}
    assert {"email", "phone", "birth_date", "country_code", "street", "postcode"} <= chosen


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("attributes: {email: {rule: newest, sources: [crm]}}", "is not one of"),
        ("attributes: {email: {rule: most_recent}}", "sources"),
        ("attributes: {shoe_size: {rule: most_recent, sources: [crm]}}", "no column"),
        (
            "attributes: {street: {rule: most_recent, sources: [crm], moves_with: [city]},"
            " city: {rule: most_recent, sources: [crm]}}",
            "chosen by two rules",
        ),
        ("nothing: here", "attributes"),
    ],
)
def test_a_broken_rules_file_says_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "survivorship.yml"
    path.write_text(text)
    with pytest.raises(SurvivorshipError, match=message):
        load_rules(path, columns=RECORD_COLUMNS)


@pytest.fixture
def con():
    con = connect()
    con.execute(
        "create table records (record_key varchar, source varchar, observed_at timestamptz, "
        "is_deleted boolean, email varchar, street varchar, postcode varchar, city varchar)"
    )
    rows = [
        ("crm:1", "crm", "2026-01-01", False, "old@x.it", "Via Roma 1", "00100", "Roma"),
        ("shop_account:7", "shop_account", "2026-06-01", False, "new@x.it", None, None, None),
        ("subscriptions:s", "subscriptions", "2026-03-01", False, "new@x.it", "Via Po 2", "10100",
         "Torino"),
        ("crm:2", "crm", "2026-09-01", True, "deleted@x.it", "Gone 9", "99999", "Nowhere"),
    ]  # fmt: skip
    con.executemany("insert into records values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("create table customers as select record_key, 'CUS-1' as customer_id from records")
    return con


def _golden(con, *rules):
    return con.execute(golden_sql(list(rules), "records", "customers")).fetchall()[0]


def test_most_recent_ignores_deleted_records(con):
    row = _golden(con, AttributeRule("email", "most_recent", ("crm", "shop_account")))
    assert row == ("CUS-1", "new@x.it")


def test_source_priority_takes_the_most_trusted_source(con):
    row = _golden(con, AttributeRule("email", "source_priority", ("crm", "shop_account")))
    assert row == ("CUS-1", "old@x.it")


def test_most_frequent_counts_records(con):
    rule = AttributeRule("email", "most_frequent", ("crm", "shop_account", "subscriptions"))
    assert _golden(con, rule) == ("CUS-1", "new@x.it")


def test_attributes_that_move_together_come_from_one_record(con):
    rule = AttributeRule("street", "most_recent", ("subscriptions", "crm"), ("postcode", "city"))
    assert _golden(con, rule) == ("CUS-1", "Via Po 2", "10100", "Torino")
