"""The registry of per-source facts (cdp.registry, docs/adding_a_source.md): what each reader
gets from it, and a new source added the way the recipe says, by its staging folder and one
registry entry, flowing to identity, erasure and the quality suites with no other file
changed."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from dbt.cli.main import dbtRunner

from cdp import registry
from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT
from cdp.duckdb_budget import connect
from cdp.privacy.erasure import PersonColumns, Purge
from cdp.quality.run import QualityRun
from cdp.quality.suites import build_suites, staged_models
from tests.conftest import query


def test_every_source_of_the_registry_has_its_model_and_kind():
    sources = registry.person_sources()
    assert {"crm", "shop_account", "shop_order", "web", "social"} <= set(sources)
    assert registry.record_kinds()["crm"] == "contact_id"
    assert sources["social"].record_id == ("platform", "social_handle")
    assert not sources["web"].has_attributes and sources["crm"].has_attributes
    assert "analytics" in registry.consent_purposes()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"model": "stg_x"}, "person_sources.loyalty lacks record_id"),
        (
            {"model": "stg_x", "record_id": "id", "record_kind": "id", "identifiers": [{}]},
            "person_sources.loyalty: each identifier needs a type and a value",
        ),
    ],
)
def test_an_entry_that_cannot_be_read_is_a_clear_error(tmp_path, entry, message):
    (tmp_path / "dbt_project.yml").write_text(
        yaml.safe_dump({"vars": {"person_sources": {"loyalty": entry}}})
    )
    with pytest.raises(registry.RegistryError, match=message):
        registry.person_sources(tmp_path)


def test_a_missing_manifest_says_how_to_write_it(tmp_path):
    with pytest.raises(registry.RegistryError, match="make dbt-parse"):
        registry.raw_tables(tmp_path / "manifest.json")


def test_the_raw_columns_that_name_a_person_come_from_the_sources_yaml():
    tables = registry.raw_tables()
    assert {m.kind for m in tables["crm__contacts"].matches} == {
        "contact_id",
        "email",
        "social_handle",
    }
    assert tables["shop__orders"].written_forms == ("t.phone",)
    assert [m.kind_sql for m in tables["consent__consent_events"].matches] == [
        "lower(trim(t.subject_type))"
    ]


# --- a new source, by the recipe -------------------------------------------------------------

NEW_SOURCE_FOLDER = {
    "_loyalty__sources.yml": """
version: 2
sources:
  - name: loyalty
    description: "The loyalty app's members (a test source)."
    schema: raw
    config:
      loaded_at_field: "_export_date::timestamp"
      freshness:
        warn_after: {count: 1, period: day}
        error_after: {count: 2, period: day}
    tables:
      - name: members
        identifier: loyalty__members
        config:
          meta:
            names_person:
              - {kind: member_id, value: "t.member_id"}
              - {kind: email, value: "t.email"}
""",
    "_loyalty__models.yml": """
version: 2
models:
  - name: stg_loyalty__members
    config:
      meta:
        quality:
          raw_table: loyalty__members
          raw_key: [member_id]
          emails: [email]
    columns:
      - name: member_id
        data_tests: [unique, not_null]
""",
    "stg_loyalty__members.sql": """
with

latest_versions as (

    {{ delta_latest(source('loyalty', 'members'), 'member_id') }}

),

standardized as (

    select
        trim(latest_versions.member_id) as member_id,
        {{ standardize_email('latest_versions.email') }} as email,
        {{ is_valid_email('latest_versions.email') }} as is_email_valid,
        latest_versions.joined_at,
        latest_versions._export_date as export_date,
        latest_versions._source_file as source_file,
        latest_versions._row_number as source_row_number,
        latest_versions._loaded_at as loaded_at
    from latest_versions

)

select * from standardized
""",
}
NEW_ENTRY = {
    "model": "stg_loyalty__members",
    "record_id": "member_id",
    "record_kind": "member_id",
    "observed_at": "joined_at",
    "identifiers": [{"type": "email", "value": "email", "is_valid": "is_email_valid"}],
}


def _project_with_new_source(folder: Path) -> Path:
    """A copy of the dbt project with the loyalty source's staging folder and its entry."""
    project = folder / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    staging = project / "models" / "staging" / "loyalty"
    staging.mkdir()
    for name, text in NEW_SOURCE_FOLDER.items():
        (staging / name).write_text(text.lstrip(), encoding="utf-8")
    # the one registry entry, appended to the var as a person would write it
    path = project / "dbt_project.yml"
    text = path.read_text(encoding="utf-8")
    entry = yaml.safe_dump({"loyalty": NEW_ENTRY}, sort_keys=False)
    marker = "  person_sources:\n"
    assert marker in text
    text = text.replace(marker, marker + "".join(f"    {line}\n" for line in entry.splitlines()))
    path.write_text(text, encoding="utf-8")
    return project


def _rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    """``sql`` on the warehouse, opened as dbt (still holding it in this process) opened it."""
    with connect(str(warehouse)) as con:
        return con.execute(sql, params or []).fetchall()


def _dbt(project: Path, target: Path, *args: str) -> None:
    result = dbtRunner().invoke(
        [
            *args,
            "--project-dir", str(project),
            "--profiles-dir", str(PROJECT_ROOT),
            "--target-path", str(target),
            "--quiet",
        ]
    )  # fmt: skip
    assert result.success, result.exception or [
        (r.node.name, str(r.status), r.message) for r in (result.result or []) if r.message
    ]


def test_a_new_source_flows_to_identity_erasure_and_quality(warehouse_copy, tmp_path):
    project = _project_with_new_source(tmp_path)
    (email,) = query(
        warehouse_copy,
        """
        select contacts.email from staging.stg_crm__contacts as contacts
        where contacts.is_email_valid and contacts.email in (
            select identifier_value from intermediate.int_identity__identifiers
            where identifier_type = 'email'
            group by identifier_value having count(*) = 1
        )
        order by contacts.email limit 1
        """,
    )[0]
    con = connect(str(warehouse_copy))
    con.execute(
        """
        create table raw.loyalty__members as
        select * from (values
            ('M-1', upper($email), timestamptz '2026-11-20 10:00:00+00', 1),
            ('M-2', 'nuovo.socio@example.org', timestamptz '2026-11-21 10:00:00+00', 2)
        ) as t(member_id, email, joined_at, _row_number)
        """,
        {"email": f"  {email}"},
    )
    con.execute(
        """
        alter table raw.loyalty__members add column _source_file varchar
            default 'loyalty/2026-11-28/members.csv';
        alter table raw.loyalty__members add column _export_date date default date '2026-11-28';
        alter table raw.loyalty__members add column _loaded_at timestamptz default now();
        """
    )
    con.close()

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_WAREHOUSE", str(warehouse_copy))
        target = tmp_path / "target"
        _dbt(project, target, "run", "--select", "stg_loyalty__members+")
        _dbt(project, target, "test", "--select", "stg_loyalty__members int_identifiers_unioned")
    manifest = target / "manifest.json"

    # identity: the member with the contact's email joined the contact's customer
    ids = dict(
        _rows(
            warehouse_copy,
            """
            select record_key, customer_id from intermediate.int_identity__customer_ids
            where record_key like 'loyalty:%' or record_key in (
                select record_key from intermediate.int_identity__identifiers
                where identifier_type = 'email' and identifier_value = ?
            )
            """,
            [email],
        )
    )
    crm = [key for key in ids if key.startswith("crm:")]
    assert crm and ids["loyalty:M-1"] == ids[crm[0]]
    assert ids["loyalty:M-2"] not in {ids[key] for key in crm}
    assert (
        _rows(
            warehouse_copy,
            "select count(*) from marts.customer_source_records where source = 'loyalty'",
        )[0][0]
        == 2
    )

    # GX and the erasure read a copy: dbt keeps the file open in this process with its own
    # settings (as the pipeline's checks read the warehouse after dbt has exited)
    _rows(warehouse_copy, "checkpoint")
    checked = tmp_path / "checked.duckdb"
    shutil.copy(warehouse_copy, checked)

    # quality: the staging folder brought its suite, and it passes
    suites = {
        s.name: s
        for s in build_suites({}, datetime.now(UTC), staged_models(manifest))
        if s.layer == "staging"
    }
    assert "staging.stg_loyalty__members" in suites
    run = QualityRun(checked, tmp_path / "quality", tmp_path / "docs", manifest=manifest)
    [result] = run.validate(
        [suites["staging.stg_loyalty__members"]], "new-source", log=lambda _m: None, publish=False
    )
    assert result.status == "pass", [r.description for r in result.results if not r.success]
    assert any("raw row" in r.description for r in result.results)

    # erasure: a request for the new member's email removes its raw row, through the
    # registry's raw columns and record kind
    columns = PersonColumns.from_registry(manifest, project)
    assert columns.record_kinds["loyalty"] == "member_id"
    assert "loyalty__members" in columns.matches
    con = connect(str(checked))
    try:
        con.execute(
            "insert into raw.privacy__erasure_requests by name select 'ERQ-NEW' as request_id, "
            "'nuovo.socio@example.org' as email, now() as received_at, "
            "'privacy/2026-11-29/erasure_requests.csv' as _source_file, "
            "date '2026-11-29' as _export_date, 1 as _row_number, now() as _loaded_at"
        )
        report = Purge(con, b"k", run_id="new-source", log=lambda _m: None, columns=columns).run()
        left = con.execute("select member_id from raw.loyalty__members").fetchall()
    finally:
        con.close()
    assert report.removed[("raw", "raw.loyalty__members")] == 1
    assert left == [("M-1",)]
