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


def _exports(folder, rows_by_segment):
    """An exports folder with one manifest and CSV per segment."""
    import json

    audiences = folder / "audiences"
    audiences.mkdir(parents=True)
    for segment, rows in rows_by_segment.items():
        manifest = {"segment": segment, "channel": "email", "rows_exported": len(rows)}
        (audiences / f"{segment}.json").write_text(json.dumps(manifest), encoding="utf-8")
        lines = ["customer_id,email"] + [f"{cid},{email}" for cid, email in rows]
        (audiences / f"{segment}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_exports_agree_whatever_the_ids_and_differ_by_a_member(tmp_path):
    from cdp.spark.compare import compare_exports

    duck = _exports(tmp_path / "d", {"champions": [("CUS-A", "ada@x.it"), ("CUS-B", "bo@x.it")]})
    same = _exports(tmp_path / "s", {"champions": [("X2", "bo@x.it"), ("X1", "ada@x.it")]})
    assert compare_exports(duck, same) == []
    other = _exports(tmp_path / "o", {"champions": [("X1", "ada@x.it"), ("X3", "cy@x.it")]})
    assert compare_exports(duck, other) == ["champions: 1 rows only on DuckDB, 1 only on Spark"]
