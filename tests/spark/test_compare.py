"""Comparing two builds' customers: ids may differ, records, groupings and values may not."""

import pyarrow as pa

from cdp.spark.compare import SOURCE_RECORDS, compare_customer_tables

PROFILES = "marts.customer_profiles"


def _build(ids: dict[str, str], names: dict[str, str]) -> dict[str, pa.Table]:
    """Source records (record → customer id) and one profile row per customer."""
    records = pa.table(
        {
            "source": [key.split(":")[0] for key in ids],
            "record_id": [key.split(":")[1] for key in ids],
            "customer_id": list(ids.values()),
        }
    )
    profiles = pa.table({"customer_id": list(names), "first_name": list(names.values())})
    return {SOURCE_RECORDS: records, PROFILES: profiles}


DUCK = _build(
    {"crm:1": "CUS-A", "shop:9": "CUS-A", "crm:2": "CUS-B"}, {"CUS-A": "Ada", "CUS-B": "Bo"}
)


def test_other_ids_for_the_same_customers_are_equal():
    spark = _build({"crm:1": "X1", "shop:9": "X1", "crm:2": "X2"}, {"X1": "Ada", "X2": "Bo"})
    result = compare_customer_tables(DUCK, spark)
    assert result.equal, result.summary()


def test_a_golden_value_that_differs_is_reported():
    spark = _build({"crm:1": "X1", "shop:9": "X1", "crm:2": "X2"}, {"X1": "Ada", "X2": "Bob"})
    result = compare_customer_tables(DUCK, spark)
    assert not result.equal
    profiles = next(t for t in result.tables if t.table == PROFILES)
    assert profiles.only_duckdb == [("(('crm', '2'),)", "Bo")]
    assert profiles.only_spark == [("(('crm', '2'),)", "Bob")]


def test_a_record_grouped_elsewhere_is_reported():
    spark = _build(
        {"crm:1": "X1", "shop:9": "X3", "crm:2": "X2"}, {"X1": "Ada", "X2": "Bo", "X3": "Ada"}
    )
    result = compare_customer_tables(DUCK, spark)
    assert not result.equal
    assert result.groups_only_duckdb == [(("crm", "1"), ("shop", "9"))]
    assert sorted(result.groups_only_spark) == [(("crm", "1"),), (("shop", "9"),)]
