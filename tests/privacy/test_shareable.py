"""The file for analysts without PII access holds the pseudonymized schema and the marts
without customers, nothing else."""

from __future__ import annotations

from cdp.duckdb_budget import connect
from cdp.privacy.compaction import copy_shareable


def test_the_shareable_file_holds_no_personal_data(warehouse_copy, tmp_path):
    out = tmp_path / "shareable.duckdb"
    copied = copy_shareable(warehouse_copy, out)
    assert {
        "pseudonymized.customer_profiles",
        "pseudonymized.customer_activity_daily",
        "pseudonymized.segment_members",
        "marts.activity_daily_totals",
        "marts.campaign_performance",
    } <= set(copied)
    assert all(rows > 0 for rows in copied.values()), copied
    con = connect(str(out), read_only=True)
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
    ).fetchall()
    source = connect(str(warehouse_copy), read_only=True)
    emails = {e for (e,) in source.execute(
        "select email from marts.customer_profiles where email is not null"
    ).fetchall()}  # fmt: skip
    ids = {
        c for (c,) in source.execute("select customer_id from marts.customer_profiles").fetchall()
    }
    source.close()
    assert {schema for schema, _, _ in columns} == {"pseudonymized", "marts"}
    assert not [c for _, _, c in columns if c in {"customer_id", "email", "phone", "first_name"}]
    values = set()
    for schema, table in {(s, t) for s, t, _ in columns}:
        for row in con.execute(f'select * from "{schema}"."{table}"').fetchall():
            values.update(str(v) for v in row)
    con.close()
    assert emails and not (values & emails)
    assert not (values & ids)
