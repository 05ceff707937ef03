"""Personal data is marked in the dbt project: every model column (and declared source column)
whose name says it holds personal data carries ``meta: {pii: true, pii_kind: direct|indirect}``,
and the pseudonymized schema holds nothing tagged ``direct``.

The manifest is ``dbt_project/target/manifest.json`` as ``make dbt-parse`` leaves it; when a
file of the project is newer than it, the project is parsed afresh into a temporary folder."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT
from cdp.duckdb_budget import connect

# The one list of column names that hold personal data (full matches on the column name; a
# flag such as `is_email_valid` or `has_email` is not personal data). `direct` identifies a
# person by itself or may name one (names, contact details, street, birth date, handles,
# identifier values and keys that spell them, free text); `indirect` identifies a person only
# with other data (ids, pseudonyms, postcode, city, generalized birth years).
PERSONAL_DATA_COLUMNS: dict[str, tuple[str, ...]] = {
    "direct": (
        r"(\w+_)?email(_as_written)?",
        r"(\w+_)?(phone|mobile)(_as_written)?",
        r"(first|last|full)_name",
        r"(\w+_)?name_as_written",
        r"(\w+_)?birth_date",
        r"(\w+_)?street",
        r"(\w+_)?handle(_as_written)?",
        r"(comment|message|mention)_text",
        r"(identifier|subject)_value(_as_written)?",
        r"(\w+_)?(record|identifier|cluster)_key",
        r"record_id",
    ),
    "indirect": (
        r"(\w+_)?postcode(_area)?",
        r"(\w+_)?city",
        r"(previous_)?customer_id",
        r"customer_pseudonym",
        r"(account|contact|subscriber|anonymous)_id(_as_written)?",
        r"loyalty_card_number",
        r"identifier_hash",
        r"birth_year(_band)?",
    ),
}
KINDS = tuple(PERSONAL_DATA_COLUMNS)
_FLAG = re.compile(r"(is|has)_")
# Each layer marks at least these kinds (the pseudonymized schema none of `direct`).
LAYER_KINDS = {
    "staging": {"direct", "indirect"},
    "intermediate": {"direct", "indirect"},
    "marts": {"direct", "indirect"},
    "audit": {"indirect"},
    "pseudonymized": {"indirect"},
}


def expected_kind(column: str) -> str | None:
    """The pii_kind a column of this name must have at least, or None when its name says
    nothing about personal data."""
    if _FLAG.match(column):
        return None
    for kind in KINDS:
        if any(re.fullmatch(pattern, column) for pattern in PERSONAL_DATA_COLUMNS[kind]):
            return kind
    return None


def _meta(column: dict) -> dict:
    return {**(column.get("config") or {}).get("meta", {}), **(column.get("meta") or {})}


def problems(manifest: dict) -> list[str]:
    """Every column that should be marked and is not, or is marked wrongly."""
    found = []
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    for node in [*nodes, *manifest.get("sources", {}).values()]:
        for name, column in node["columns"].items():
            meta = _meta(column)
            expected = expected_kind(name)
            where = f"{node['name']}.{name}"
            if expected and meta.get("pii") is not True:
                found.append(f"{where}: personal data without pii: true")
            elif meta.get("pii") is True:
                kind = meta.get("pii_kind")
                if kind not in KINDS:
                    found.append(f"{where}: pii_kind {kind!r}, not one of {KINDS}")
                elif expected == "direct" and kind != "direct":
                    found.append(f"{where}: pii_kind {kind}, but the name says direct")
            elif meta.get("pii_kind") and meta.get("pii") is not True:
                found.append(f"{where}: pii_kind without pii: true")
    return found


def _layer(node: dict) -> str:
    return node["fqn"][1]


def tagged_by_layer(manifest: dict) -> dict[str, dict[str, set[str]]]:
    """layer -> pii_kind -> the columns so tagged (``model.column``)."""
    layers: dict[str, dict[str, set[str]]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        for name, column in node["columns"].items():
            meta = _meta(column)
            if meta.get("pii") is True:
                kinds = layers.setdefault(_layer(node), {})
                kinds.setdefault(meta.get("pii_kind"), set()).add(f"{node['name']}.{name}")
    return layers


def _project_files() -> list[Path]:
    skip = {"target", "logs", "dbt_packages"}
    return [
        path
        for path in DBT_PROJECT_DIR.rglob("*")
        if path.is_file() and not skip & set(path.relative_to(DBT_PROJECT_DIR).parts)
    ]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    path = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not path.is_file() or any(
        f.stat().st_mtime > path.stat().st_mtime for f in _project_files()
    ):
        target = tmp_path_factory.mktemp("pii_manifest")
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "dbt"),
                "parse",
                "--project-dir", str(DBT_PROJECT_DIR),
                "--profiles-dir", str(PROJECT_ROOT),
                "--target-path", str(target),
                "--log-path", str(target / "logs"),
                "--quiet",
            ],
            capture_output=True,
            text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        path = target / "manifest.json"
    return json.loads(path.read_text())


def test_the_checker_catches_unmarked_and_mismarked_columns():
    """The rule itself: an unmarked email, a postcode marked without a kind and a street marked
    indirect are found; flags, marked columns and unrelated names are not."""
    manifest = {
        "nodes": {
            "model.cdp.m": {
                "resource_type": "model",
                "name": "m",
                "fqn": ["cdp", "marts", "m"],
                "original_file_path": "models/marts/m.sql",
                "columns": {
                    "email": {"meta": {}},
                    "is_email_valid": {"meta": {}},
                    "has_phone": {"meta": {}},
                    "ship_postcode": {"meta": {"pii": True}},
                    "delivery_street": {"meta": {"pii": True, "pii_kind": "indirect"}},
                    "last_name": {"config": {"meta": {"pii": True, "pii_kind": "direct"}}},
                    "customer_id": {"meta": {"pii": True, "pii_kind": "indirect"}},
                    "net_revenue_eur": {"meta": {}},
                },
            }
        },
        "sources": {},
    }
    found = problems(manifest)
    assert len(found) == 3, found
    assert [f.split(":")[0] for f in found] == ["m.email", "m.ship_postcode", "m.delivery_street"]


def test_every_personal_data_column_is_marked(manifest):
    found = problems(manifest)
    assert not found, "\n".join(found)


def test_each_layer_marks_personal_data(manifest):
    """The marking is not an empty promise: every layer tags columns of the kinds it holds,
    including the golden record's contact details, and the pseudonymized schema has no
    direct personal data at all."""
    layers = tagged_by_layer(manifest)
    for layer, kinds in LAYER_KINDS.items():
        assert layer in layers, (layer, sorted(layers))
        assert kinds <= set(layers[layer]), (layer, {k: len(v) for k, v in layers[layer].items()})
    assert {
        f"customer_profiles.{c}"
        for c in ("first_name", "last_name", "email", "phone", "birth_date", "street")
    } <= layers["marts"]["direct"]
    assert "customer_profiles.customer_id" in layers["marts"]["indirect"]
    assert len(layers["staging"]["direct"]) >= 30, len(layers["staging"]["direct"])
    assert "direct" not in layers["pseudonymized"], layers["pseudonymized"].get("direct")


def test_pseudonymized_models_build_into_their_schema_with_no_direct_column(manifest):
    models = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and _layer(n) == "pseudonymized"
    ]
    assert models
    for node in models:
        assert node["schema"] == "pseudonymized", node["name"]
        assert node["config"]["materialized"] == "table", node["name"]
        assert node["config"]["contract"]["enforced"], node["name"]
        for name, column in node["columns"].items():
            assert expected_kind(name) != "direct", (node["name"], name)
            assert _meta(column).get("pii_kind") != "direct", (node["name"], name)


def test_built_columns_with_personal_data_are_declared_and_marked(built_warehouse):
    """What dbt built, not only what the yml declares: every column of every model's table
    or view whose name says it holds personal data is declared and marked."""
    warehouse, result = built_warehouse
    nodes = {
        (r.node.schema, r.node.alias): r.node
        for r in result.result
        if r.node.resource_type == "model"
    }
    con = connect(str(warehouse))
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema in (select unnest($schemas))",
        {"schemas": sorted({schema for schema, _ in nodes})},
    ).fetchall()
    con.close()
    checked, missing = 0, []
    for schema, table, column in columns:
        node = nodes.get((schema, table))
        kind = expected_kind(column)
        if node is None or kind is None:
            continue
        checked += 1
        declared = node.columns.get(column)
        meta = {**(declared.config.meta if declared else {}), **(declared.meta if declared else {})}
        if meta.get("pii") is not True:
            missing.append(f"{schema}.{table}.{column}")
    assert checked >= 100, checked
    assert not missing, missing
