"""`dbt build` (models, data tests and unit tests) on a warehouse loaded from generated exports."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from cdp.duckdb_budget import connect
from cdp.evaluation.identity import measure as identity_measure
from cdp.evaluation.standardization import measure, totals


def test_dbt_build_passes_every_model_and_test(built_warehouse):
    _, result = built_warehouse
    assert result.success, result.exception
    statuses = {r.node.name: str(r.status) for r in result.result}
    assert statuses, "dbt build ran nothing"
    # Tests declared with severity warn may warn; exposures have nothing to run; nothing may
    # fail or error.
    bad = {
        r.node.name: str(r.status)
        for r in result.result
        if str(r.status) not in ("success", "pass", "warn")
        and not (r.node.resource_type == "exposure" and str(r.status) == "no-op")
    }
    assert not bad, bad


def test_staging_lands_in_its_layer_schema(built_warehouse):
    warehouse, _ = built_warehouse
    con = connect(str(warehouse))  # dbt-duckdb still holds it open in this process
    rows = con.execute(
        "select count(*), count(*) filter (where is_deleted) from staging.stg_marketing__campaigns"
    ).fetchall()
    raw_ids = con.execute(
        "select count(distinct trim(campaign_id)) from raw.marketing__campaigns"
    ).fetchall()
    con.close()
    assert rows[0][0] == raw_ids[0][0] > 0


def test_a_record_names_each_identifier_once(built_warehouse):
    """The identifier guards, the clustering graph and the name conflicts count an
    identifier's records with count(*), which holds only while int_identity__identifiers has
    one row per record and identifier (as int_identifiers_unioned's uniqueness test ensures
    upstream); a duplicate would count a record twice and guard or join what it should not."""
    warehouse, _ = built_warehouse
    con = connect(str(warehouse))
    rows, pairs, records = con.execute(
        """select count(*),
                  count(distinct (record_key, identifier_type, identifier_value)),
                  count(distinct record_key)
           from intermediate.int_identity__identifiers"""
    ).fetchall()[0]
    con.close()
    assert rows == pairs
    assert rows > records > 0  # records with several identifiers are there to be counted


def test_every_model_can_be_queried_without_dbt(warehouse_copy):
    """Analysts and quality checks use plain connections, where dbt's Python functions do not
    exist: no model may depend on them at query time. dbt holds the file open in this process,
    so a checkpointed copy is queried from a fresh process."""
    copy = warehouse_copy
    script = textwrap.dedent(
        f"""
        import duckdb
        con = duckdb.connect({str(copy)!r}, read_only=True)
        relations = con.execute(
            "select schema_name, view_name from duckdb_views() where not internal "
            "union all select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('staging', 'intermediate', 'marts', 'pseudonymized')"
        ).fetchall()
        assert relations, "no models"
        for schema, name in relations:
            con.execute(f'select count(*) from "{{schema}}"."{{name}}"').fetchall()
        print(len(relations))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_standardized_values_equal_the_truth(built_warehouse, generated):
    """cdp-accuracy on the built sample: standardization recovers the true country, birth date
    and mobile of nearly every record, and never does worse than the values as delivered."""
    warehouse, _ = built_warehouse
    con = connect(str(warehouse))  # dbt-duckdb still holds it open in this process
    results = measure(con, generated / "truth")
    con.close()
    by_column = {(r.source, r.column): r for r in results}
    assert all(r.compared > 0 for r in results), [r for r in results if not r.compared]
    for key in [("crm", "country_code"), ("crm", "birth_date"), ("crm", "mobile")]:
        r = by_column[key]
        assert r.equal_standardized / r.compared >= 0.99, r
    for attribute, (_compared, standardized, as_delivered) in totals(results).items():
        assert standardized >= as_delivered, attribute


def test_identity_resolution_against_the_truth(built_warehouse, generated):
    """cdp-eval on the built sample: profiles rarely mix two people, records of one person that
    share identifiers end up together, and golden values are the true ones."""
    warehouse, _ = built_warehouse
    con = connect(str(warehouse))
    figures = identity_measure(con, generated / "truth")
    con.close()
    assert figures["evaluated_records"] >= 0.95 * figures["truth_records"]
    assert figures["precision"] >= 0.99, figures
    assert figures["recall_of_joinable"] >= 0.93, figures
    for attribute in ("email", "phone", "country", "birth_date"):
        assert figures[f"golden_{attribute}_equal"] >= 0.95, (attribute, figures)


def test_the_plain_splink_baseline_is_measured_beside_the_pipeline(
    built_warehouse, generated, monkeypatch
):
    """cdp-eval prints every figure beside a plain Splink model's on the same records, and on
    our own sample the pipeline is not below it. Its threshold curve scores with the model the
    pipeline kept: a model trained anew could pair otherwise."""
    import cdp.identity.fuzzy
    from cdp.evaluation.baseline import plain_splink
    from cdp.evaluation.identity import measure_beside_baseline

    def trained_again(*_args, **_kwargs):
        raise AssertionError("the curve trained a model of its own")

    monkeypatch.setattr(cdp.identity.fuzzy, "_train", trained_again)

    warehouse, _ = built_warehouse
    con = connect(str(warehouse))
    pipeline = identity_measure(con, generated / "truth")
    clusters = plain_splink(con)
    records = con.execute(
        f"select count(*), count(distinct record_key) from {clusters}"
    ).fetchall()[0]
    staged = con.execute("select count(*) from intermediate.int_identity__records").fetchall()
    baseline = identity_measure(
        con,
        generated / "truth",
        resolved=f"select record_key, cluster_id as customer_id from {clusters}",
    )
    text = measure_beside_baseline(con, generated / "truth")
    con.close()
    assert records == (staged[0][0], staged[0][0]), "one cluster per staged record"
    assert baseline["evaluated_records"] == pipeline["evaluated_records"]
    assert "golden_email_equal" not in baseline, "golden records are the pipeline's alone"
    assert baseline["predicted_pairs"] > 0 and baseline["f1"] <= pipeline["f1"], baseline
    assert "plain Splink" in text.splitlines()[3]
    # then what each refusal refused and the figures at each threshold, the pipeline's marked
    from cdp.evaluation.identity import CURVE_THRESHOLDS
    from cdp.identity.fuzzy import REFUSALS

    for name in REFUSALS:
        assert f"  {name} " in text, name
    curve = [line.split() for line in text.splitlines() if line.strip().endswith("pipeline's")]
    assert len(curve) == 1 and float(curve[0][0]) == 0.99, curve
    rows = [line.split() for line in text.splitlines() if line[:11].strip() in
            {str(t) for t in CURVE_THRESHOLDS}]  # fmt: skip
    assert len(rows) == len(CURVE_THRESHOLDS) + 1, rows  # and 0.99 without the refusals
    assert all(0 < float(row[2]) <= 1 for row in rows), rows
    header = next(line for line in text.splitlines() if "fuzzy pairs" in line)
    assert header.split()[-2:] == ["evid.", "F1"], header
    assert all(len(row) >= 7 and 0 < float(row[6]) <= 1 for row in rows), rows
