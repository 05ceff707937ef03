"""The registry of per-source facts, read from the dbt project where dbt reads them too, so
that each fact is written once (docs/adding_a_source.md):

- ``person_sources`` (a var of ``dbt_project.yml``): the sources whose records name a person,
  each with its model, record id, the identifier kind of that id, and the identifiers its
  records carry. dbt builds the record keys and identity's inputs from it; here erasure reads
  the record kinds, and the quality suites and the evaluation the record sources.
- ``names_person`` and ``written_forms`` (``meta`` of each raw table in its staging folder's
  sources YAML, read through the manifest): the raw columns that name a person, for the
  erasure of raw rows.
- ``consent_purposes`` (a var): the purposes consent is asked for, for the consent models,
  the quality suites and the audiences.

The export contract (which files a source delivers, their columns) stays in
:mod:`cdp.sources`: it is the loader's, and the loader runs before dbt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from cdp.config import DBT_PROJECT_DIR


class RegistryError(ValueError):
    """An entry of the registry that cannot be read: what is wrong and where."""


@dataclass(frozen=True)
class Identifier:
    type: str
    value: str
    is_valid: str | None = None


@dataclass(frozen=True)
class PersonSource:
    """One entry of ``person_sources``: how a source's records enter identity."""

    name: str
    model: str
    record_id: tuple[str, ...]
    record_kind: str
    identifiers: tuple[Identifier, ...]
    has_attributes: bool


@dataclass(frozen=True)
class RawMatch:
    """A raw column that names a person: its identifier kind and its SQL over the raw row
    ``t``. ``expands``: the values of removed rows are keys of that person alone (an order id,
    a browser id), so rows elsewhere that carry them go too. ``kind_sql``: SQL giving the kind
    per row, when the column holds several kinds."""

    kind: str
    value: str
    expands: bool = False
    kind_sql: str | None = None

    @property
    def row_kind(self) -> str:
        """SQL over ``t`` giving the kind of the value in a row."""
        return self.kind_sql or f"'{self.kind}'"

    def may_hold(self, kinds: set[str]) -> bool:
        """Whether a value of one of ``kinds`` can be in this column: one whose kind each row
        gives (a consent subject: a browser, an email or a phone) can hold any."""
        return self.kind_sql is not None or self.kind in kinds


@dataclass(frozen=True)
class RawTable:
    """The person-naming columns of one raw table."""

    table: str
    matches: tuple[RawMatch, ...]
    # values as written (phones in national forms) that join the suppression list too
    written_forms: tuple[str, ...] = ()


@cache
def _project_vars(path: Path, version: int) -> dict:
    project = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return project.get("vars") or {}


def project_var(name: str, project_dir: Path = DBT_PROJECT_DIR):
    """A var of the dbt project, as ``dbt_project.yml`` declares it (read once per version of
    the file, as the manifest is)."""
    path = Path(project_dir) / "dbt_project.yml"
    variables = _project_vars(path, path.stat().st_mtime_ns)
    if name not in variables:
        raise RegistryError(f"{project_dir / 'dbt_project.yml'}: no var {name!r}")
    return variables[name]


def person_sources(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, PersonSource]:
    """The sources whose records name a person, by record source name."""
    entries = project_var("person_sources", project_dir)
    sources = {}
    for name, entry in entries.items():
        where = f"{project_dir / 'dbt_project.yml'}: person_sources.{name}"
        required = ("model", "record_id", "record_kind", "identifiers")
        missing = [k for k in required if k not in entry]
        if missing:
            raise RegistryError(f"{where} lacks {', '.join(missing)}")
        record_id = entry["record_id"]
        try:
            identifiers = tuple(
                Identifier(i["type"], i["value"], i.get("is_valid")) for i in entry["identifiers"]
            )
        except (KeyError, TypeError) as err:
            raise RegistryError(
                f"{where}: each identifier needs a type and a value ({err})"
            ) from err
        sources[name] = PersonSource(
            name=name,
            model=entry["model"],
            record_id=tuple(record_id) if isinstance(record_id, list) else (record_id,),
            record_kind=entry["record_kind"],
            identifiers=identifiers,
            has_attributes=bool(entry.get("attributes")),
        )
    return sources


def record_kinds(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, str]:
    """The identifier kind of each source's record ids (``crm`` -> ``contact_id``)."""
    return {name: source.record_kind for name, source in person_sources(project_dir).items()}


def consent_purposes(project_dir: Path = DBT_PROJECT_DIR) -> tuple[str, ...]:
    """The purposes consent is asked for."""
    return tuple(project_var("consent_purposes", project_dir))


# The dbt manifest `make dbt-parse` writes: where the YAML's meta reaches Python.
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def load_manifest(manifest: Path | None = None) -> dict:
    """The dbt manifest (``MANIFEST`` unless given), read once per version of the file; shared
    by its readers, who do not change it."""
    path = Path(manifest or MANIFEST)
    try:
        version = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise RegistryError(
            f"{path} is missing: run `make dbt-parse` (or `dbt parse`) to write it"
        ) from None
    return _read_manifest(path, version)


@cache
def _read_manifest(path: Path, version: int) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def raw_tables(manifest: Path | None = None) -> dict[str, RawTable]:
    """The raw tables whose columns name a person, by table name, from the ``meta`` of the dbt
    sources (``names_person``, ``written_forms``)."""
    tables = {}
    for source in load_manifest(manifest).get("sources", {}).values():
        meta = source.get("meta") or (source.get("config") or {}).get("meta") or {}
        if "names_person" not in meta:
            continue
        table = source.get("identifier") or source["name"]
        where = f"source {source['source_name']}.{source['name']}"
        try:
            matches = tuple(
                RawMatch(
                    kind=m["kind"],
                    value=m["value"],
                    expands=bool(m.get("expands", False)),
                    kind_sql=m.get("kind_sql"),
                )
                for m in meta["names_person"]
            )
        except (KeyError, TypeError) as err:
            raise RegistryError(
                f"{where}: each names_person entry needs a kind and a value ({err})"
            ) from err
        tables[table] = RawTable(table, matches, tuple(meta.get("written_forms") or ()))
    return tables
