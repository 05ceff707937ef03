"""Audience exports: the files a channel receives, with consent applied here and nowhere else.

For each declared segment, ``<exports_dir>/audiences/`` holds:

``<segment>.csv``      ``customer_id`` and the channel's contact columns, ordered by customer_id
``<segment>.parquet``  the same rows; its key-value metadata carries the definition, the row
                       count and the build time
``<segment>.json``     the manifest: definition, channel and required purposes, counts, build
                       time, and the name and SHA-256 of each data file

A member is exported only if ``marts.customer_consent`` says ``granted`` for every purpose the
channel requires: a missing consent row, or any other status (``denied``, ``withdrawn``,
``no_record``, anything unexpected), excludes them. The rule reads ``consent_status`` itself,
never a precomputed flag. A member with consent but no usable contact value is excluded too,
so ``members_in_segment = rows_exported + excluded_without_consent + excluded_without_contact``.

A hashed channel (ad platforms) receives ``<column>_sha256`` instead of each contact column:
the SHA-256 hex digest of the normalized value (email trimmed and in lower case; phone in E.164,
``+`` and digits, as the profile stores it). The raw values never reach its files.

Every file is written to a temporary name and renamed into place, so a reader sees the old file
or the new one, never half of one; the manifest is renamed last. Exports of segments no longer
declared are removed, but only files that an audience manifest names.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from cdp.activation.segments import Channel, Segment, load_audiences

AUDIENCES_FOLDER = "audiences"
# Written into every manifest: what marks a file set as ours, safe to replace or remove.
EXPORT_KIND = "cdp.audience_export"
EXPORT_FORMAT_VERSION = 1
MARTS_TABLES = ("segment_members", "customer_consent", "customer_profiles")
GRANTED = "granted"

# How each hashable contact column is normalized before hashing; NULL when there is nothing
# a platform could match on.
_NORMALIZED_CONTACT_SQL = {
    "email": "nullif(lower(trim(profiles.email)), '')",
    "phone": (
        "case when regexp_full_match(trim(profiles.phone), '\\+[1-9][0-9]{6,14}') "
        "then trim(profiles.phone) end"
    ),
}
_NORMALIZATION_NOTES = {
    "email": "SHA-256 hex of the email, trimmed and in lower case",
    "phone": "SHA-256 hex of the phone in E.164 (+ and digits)",
}


class AudienceSourcesMissing(RuntimeError):
    """A marts table the exports read is not in the warehouse."""


@dataclass(frozen=True)
class ExportResult:
    """What one segment's export contains and left out."""

    segment: str
    channel: str
    members_in_segment: int
    rows_exported: int
    excluded_without_consent: int
    excluded_without_contact: int
    csv_path: Path
    parquet_path: Path
    manifest_path: Path


def export_audiences(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    segments: Iterable[Segment],
    channels: Mapping[str, Channel],
    built_at: datetime | None = None,
    log: Callable[[str], None] = print,
) -> list[ExportResult]:
    """Write the CSV, Parquet and manifest of every segment under ``exports_dir/audiences``,
    and remove the exports of segments no longer declared.

    ``built_at`` (timezone-aware; now by default) is written into the files, so the same
    warehouse, segments and ``built_at`` give the same bytes.
    """
    segments = list(segments)
    _check_declarations(segments, channels)
    built_at_text = _utc_iso(built_at or datetime.now(UTC))
    _require_marts(con)
    folder = Path(exports_dir) / AUDIENCES_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for index, segment in enumerate(segments, start=1):
        started = time.monotonic()
        result = _export_segment(con, folder, segment, channels[segment.channel], built_at_text)
        results.append(result)
        log(
            f"audience [{index}/{len(segments)}] {segment.name} -> {segment.channel}: "
            f"{result.rows_exported} of {result.members_in_segment} members exported, "
            f"{result.excluded_without_consent} without consent, "
            f"{result.excluded_without_contact} without contact "
            f"({time.monotonic() - started:.1f}s)"
        )
    for removed in remove_undeclared_exports(folder, {s.name for s in segments}):
        log(f"audience {removed}: no longer declared, its export files were removed")
    return results


def export_declared_audiences(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    built_at: datetime | None = None,
    log: Callable[[str], None] = print,
) -> list[ExportResult]:
    """Every audience and channel declared in segments.yml (``load_audiences``, which raises
    ``SegmentDefinitionError`` on a wrong declaration), exported by ``export_audiences``."""
    audiences = load_audiences()
    return export_audiences(
        con, exports_dir, audiences.segments, audiences.channels, built_at=built_at, log=log
    )


def remove_undeclared_exports(folder: Path, declared: set[str]) -> list[str]:
    """Delete the files of audience exports whose segment is not in ``declared``; return the
    segments removed. Files that no audience manifest names are left alone."""
    removed = []
    for manifest_path in sorted(Path(folder).glob("*.json")):
        segment = manifest_path.stem
        if segment in declared:
            continue
        manifest = _read_manifest(manifest_path)
        if manifest is None or manifest.get("segment") != segment:
            continue
        for entry in manifest.get("files", []):
            name = entry.get("name") if isinstance(entry, Mapping) else None
            if name in (f"{segment}.csv", f"{segment}.parquet"):
                (manifest_path.parent / name).unlink(missing_ok=True)
        manifest_path.unlink()
        removed.append(segment)
    return removed


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest at ``path`` if it is one the audience exports wrote, else None."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(manifest, dict) and manifest.get("export") == EXPORT_KIND:
        return manifest
    return None


def _check_declarations(segments: list[Segment], channels: Mapping[str, Channel]) -> None:
    seen: set[str] = set()
    for segment in segments:
        if segment.name in seen:
            raise ValueError(f"segment '{segment.name}' is given twice")
        seen.add(segment.name)
        if segment.channel not in channels:
            raise ValueError(
                f"segment '{segment.name}': channel '{segment.channel}' is not declared"
            )


def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"built_at {moment} has no time zone: pass an aware datetime")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _require_marts(con: duckdb.DuckDBPyConnection) -> None:
    present = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    missing = [f"marts.{t}" for t in MARTS_TABLES if t not in present]
    if missing:
        raise AudienceSourcesMissing(
            f"{', '.join(missing)} not in the warehouse: build the dbt marts (dbt build) before "
            "exporting audiences"
        )


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def export_columns(channel: Channel) -> list[str]:
    """The columns of the channel's files, after ``customer_id``."""
    if channel.hashed:
        return [f"{column}_sha256" for column in channel.contact]
    return list(channel.contact)


def _contact_values(channel: Channel) -> list[tuple[str, str]]:
    """Per export column, the SQL of its value over ``profiles`` (NULL when the customer has
    no usable value) and the column's quoted name."""
    if channel.hashed:
        return [
            (f"sha256({_NORMALIZED_CONTACT_SQL[column]})", _quote_ident(column + "_sha256"))
            for column in channel.contact
        ]
    return [
        (f"nullif(trim(cast(profiles.{_quote_ident(c)} as varchar)), '')", _quote_ident(c))
        for c in channel.contact
    ]


def _contact_expressions(channel: Channel) -> list[str]:
    """One SQL expression per export column; NULL when the customer has no usable value."""
    return [f"{value} as {name}" for value, name in _contact_values(channel)]


# Whom an export's verdicts are about: a segment's members ($segment_id).
SEGMENT_MEMBERS_SQL = """
    select distinct segment_members.customer_id
    from marts.segment_members
    where segment_members.segment_id = $segment_id
"""


def _consent_by_purpose_sql(purposes: Sequence[str]) -> str:
    """Each customer's current consent for each of ``purposes`` (the i-th): whether a row
    grants it (``granted_<i>``) and whether a row gives it any other status
    (``withheld_<i>``)."""
    listed = ", ".join(_quote_literal(p) for p in purposes)
    columns = ",\n        ".join(
        f"""bool_or(customer_consent.consent_status = '{GRANTED}')
            filter (where customer_consent.purpose = {_quote_literal(purpose)}) as granted_{i},
        bool_or(customer_consent.consent_status is distinct from '{GRANTED}')
            filter (where customer_consent.purpose = {_quote_literal(purpose)}) as withheld_{i}"""
        for i, purpose in enumerate(purposes)
    )
    return f"""
    select
        customer_consent.customer_id,
        {columns}
    from marts.customer_consent
    where customer_consent.purpose in ({listed})
    group by customer_consent.customer_id
"""


def _is_consented_sql(needed: Sequence[str], purposes: Sequence[str]) -> str:
    """The channel's consent rule over ``_consent_by_purpose_sql(purposes)`` (as
    ``required_consent``): every purpose it ``needed`` granted, and none of them with another
    status."""
    rules = [
        f"coalesce(required_consent.granted_{i}, false) "
        f"and not coalesce(required_consent.withheld_{i}, false)"
        for i in sorted({purposes.index(purpose) for purpose in needed})
    ]
    return "(" + " and ".join(rules) + ")" if rules else "true"


def _has_contact_sql(values: Iterable[str]) -> str:
    """True when one of ``values`` (the SQL of a channel's contact values, or the columns that
    hold them) is not NULL: the customer has a usable contact."""
    present = " or ".join(f"{value} is not null" for value in values)
    return f"coalesce({present}, false)"


def _classify_members_sql(channel: Channel, customers: str = SEGMENT_MEMBERS_SQL) -> str:
    """Every customer of ``customers`` (a query of ``customer_id``) with its contact columns
    and two verdicts: consent for all of the channel's purposes, and at least one contact
    value."""
    contact_expressions = ",\n        ".join(_contact_expressions(channel))
    return f"""
with

members as ({customers}),

required_consent as ({_consent_by_purpose_sql(channel.purposes)}),

members_with_contact as (
    select
        members.customer_id,
        {_is_consented_sql(channel.purposes, channel.purposes)} as is_consented,
        {contact_expressions}
    from members
    left join required_consent
        on members.customer_id = required_consent.customer_id
    left join marts.customer_profiles as profiles
        on members.customer_id = profiles.customer_id
)

-- each contact value computed once (a hashed channel's digests), then tested by its column
select
    *,
    {_has_contact_sql(name for _, name in _contact_values(channel))} as has_contact
from members_with_contact
"""


def count_reachable(
    con: duckdb.DuckDBPyConnection, channels: Mapping[str, Channel]
) -> dict[str, int]:
    """Profiles an audience on each channel could hold, by the rule its exports apply: consent
    for every purpose the channel needs, and a usable contact value. One pass over the profiles
    and their consent for all the channels (each took its own: 1.7-2.1 s a channel at a
    million persons)."""
    if not channels:
        return {}
    names = list(channels)
    purposes = sorted({purpose for channel in channels.values() for purpose in channel.purposes})
    reachable = ",\n            ".join(
        f"count(*) filter (where {_is_consented_sql(channels[name].purposes, purposes)} "
        f"and {_has_contact_sql(value for value, _ in _contact_values(channels[name]))})"
        for name in names
    )
    counts = con.execute(
        f"""
        with required_consent as ({_consent_by_purpose_sql(purposes)})
        select
            {reachable}
        from marts.customer_profiles as profiles
        left join required_consent
            on profiles.customer_id = required_consent.customer_id
        """
    ).fetchall()[0]
    return dict(zip(names, counts, strict=True))


def _export_segment(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    segment: Segment,
    channel: Channel,
    built_at: str,
) -> ExportResult:
    columns = ["customer_id", *export_columns(channel)]
    con.execute(
        f"create or replace temp table audience_members as {_classify_members_sql(channel)}",
        {"segment_id": segment.name},
    )
    try:
        members, without_consent, without_contact = con.execute(
            """
            select
                count(*),
                count(*) filter (where not is_consented),
                count(*) filter (where is_consented and not has_contact)
            from temp.main.audience_members
            """
        ).fetchall()[0]
        rows = members - without_consent - without_contact
        definition = _definition(segment, channel, columns)
        exported = (
            f"select {', '.join(_quote_ident(c) for c in columns)} from temp.main.audience_members "
            "where is_consented and has_contact order by customer_id"
        )
        csv_path = folder / f"{segment.name}.csv"
        parquet_path = folder / f"{segment.name}.parquet"
        kv_metadata = {
            "export": EXPORT_KIND,
            "segment_definition": json.dumps(definition, sort_keys=True),
            "rows_exported": str(rows),
            "built_at": built_at,
        }
        kv_sql = ", ".join(
            f"{_quote_ident(key)}: {_quote_literal(value)}" for key, value in kv_metadata.items()
        )
        with _replacing(csv_path) as tmp_csv, _replacing(parquet_path) as tmp_parquet:
            con.execute(f"copy ({exported}) to {_quote_literal(str(tmp_csv))} (format csv)")
            con.execute(
                f"copy ({exported}) to {_quote_literal(str(tmp_parquet))} "
                f"(format parquet, kv_metadata {{{kv_sql}}})"
            )
            files = [
                {"name": csv_path.name, "format": "csv", "sha256": _file_sha256(tmp_csv)},
                {
                    "name": parquet_path.name,
                    "format": "parquet",
                    "sha256": _file_sha256(tmp_parquet),
                },
            ]
    finally:
        con.execute("drop table if exists temp.main.audience_members")
    manifest = {
        "export": EXPORT_KIND,
        "format_version": EXPORT_FORMAT_VERSION,
        **definition,
        "members_in_segment": members,
        "rows_exported": rows,
        "excluded_without_consent": without_consent,
        "excluded_without_contact": without_contact,
        "built_at": built_at,
        "files": files,
    }
    manifest_path = folder / f"{segment.name}.json"
    with _replacing(manifest_path) as tmp_manifest:
        tmp_manifest.write_text(
            json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    return ExportResult(
        segment=segment.name,
        channel=channel.name,
        members_in_segment=members,
        rows_exported=rows,
        excluded_without_consent=without_consent,
        excluded_without_contact=without_contact,
        csv_path=csv_path,
        parquet_path=parquet_path,
        manifest_path=manifest_path,
    )


def _definition(segment: Segment, channel: Channel, columns: list[str]) -> dict[str, Any]:
    """The segment and what its channel requires, as the manifest and Parquet carry them."""
    definition = segment.definition()
    return {
        "segment": definition.pop("name"),
        **definition,
        "required_purposes": list(channel.purposes),
        "contact_columns": list(channel.contact),
        "hashed": channel.hashed,
        "columns": columns,
        **(
            {"hashing": {f"{c}_sha256": _NORMALIZATION_NOTES[c] for c in channel.contact}}
            if channel.hashed
            else {}
        ),
    }


class _replacing:
    """Yield a temporary path beside ``path``; on success rename it over ``path``, on failure
    remove it. Several can be nested: each file is renamed into place on its own."""

    def __init__(self, path: Path):
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")

    def __enter__(self) -> Path:
        self.tmp.unlink(missing_ok=True)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
