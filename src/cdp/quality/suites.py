"""The expectation suites, as code: one per checked table of every layer. Each rule has one
home: keys, filled keys, relationships and accepted values are dbt's tests (the models' YAML);
these suites check what dbt does not do here.

- **raw** (one per export file type): the newest complete export against the source's SLA;
  rows per file equal to what the load manifest recorded; lineage filled; few rejected rows.
- **staging** (one per model that declares ``meta.quality`` in its YAML): every raw row
  accounted for (staged, or an older version of a staged record: row by row for the rows
  loaded since the check last passed, in total for all); emails, E.164 phones and ISO
  countries kept and flagged below a declared share; ranges, nothing in the future; attributes
  filled at declared rates; the newest record against the SLA.
- **intermediate** (identity): every record resolved to one customer; profiles within a sane
  number of records; guarded joins counted and bounded.
- **marts**: formats, ranges and fill rates of what analysts and exports read; every source
  record that names a person resolved to a customer; one consent row per customer and purpose.

The SLA of each source is the freshness its dbt source declares (``warn_after`` and
``error_after`` in ``models/staging/<source>/_<source>__sources.yml``): one declaration for
dbt and for these suites. ``now`` is passed in, so a suite is a pure function of the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pycountry

from cdp import registry
from cdp.privacy.analytics import excluded_analytics_statuses
from cdp.quality.checks import (
    E164_REGEX,
    EMAIL_REGEX,
    LOADED_AFTER,
    Check,
    Suite,
    between,
    filled_at_least,
    in_set,
    kept_and_flagged,
    matches,
    newest_at_least,
    no_rows_from,
    not_in_future,
    not_null,
    on_new_rows,
    row_count_at_least,
)
from cdp.sources import SOURCE_FILES, SourceFile

COUNTRY_CODES = sorted(country.alpha_2 for country in pycountry.countries)
# Declared once, in dbt_project.yml (cdp.registry).
CONSENT_PURPOSES = list(registry.consent_purposes())
# Identity health: a profile with more records than this is almost surely several people.
MAX_RECORDS_PER_CUSTOMER = {"warn": 25, "error": 50}
# Guarded identifier values (junk, household, too many records, different people) above this
# share of all identifier values would mean the guards are refusing ordinary joins.
MAX_GUARDED_SHARE = 0.10
# Rows set aside at load above this share of a file type's rows.
MAX_REJECTED_SHARE = 0.05
LINEAGE_COLUMNS = ("_source_file", "_export_date", "_row_number", "_loaded_at")
# When the raw row behind a staged row was loaded: every staging model carries it.
STAGED_LOADED_AT = "loaded_at"


@dataclass(frozen=True)
class Sla:
    """How old a source's newest export may be: ``warn_days`` turns it amber, ``error_days`` red."""

    warn_days: int
    error_days: int


def load_slas(manifest_path: Path) -> dict[str, Sla]:
    """Each source's freshness SLA, from the dbt manifest (``dbt parse`` writes it)."""
    manifest = registry.load_manifest(manifest_path)
    slas: dict[str, Sla] = {}
    for node in manifest["sources"].values():
        freshness = node.get("freshness") or (node.get("config") or {}).get("freshness") or {}
        warn, error = freshness.get("warn_after") or {}, freshness.get("error_after") or {}
        if warn.get("count") and error.get("count"):
            slas[node["source_name"]] = Sla(_days(warn), _days(error))
    return slas


def _days(after: Mapping) -> int:
    per = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1}[after.get("period", "day")]
    return max(1, round(after["count"] * per))


# --- staging: what each model promises ------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    """A staging model and what its suite checks, as the model's YAML declares it
    (``config.meta.quality``). ``raw_key`` are the SQL expressions (over ``{r}``, a raw row)
    by which the model collapses versions of one record; without them the model is not
    reconciled row by row. Keys, filled keys and accepted values are dbt's tests."""

    model: str
    source: str | None
    raw_table: str | None = None
    raw_key: tuple[str, ...] = ()
    record_time: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    not_future: tuple[str, ...] = ()
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    filled: Mapping[str, float] = field(default_factory=dict)


def _raw_key(expression: str) -> str:
    """A column name stands for its trimmed text; anything else is SQL over ``{r}``."""
    if expression.isidentifier():
        return f"trim(cast({{r}}.{expression} as string))"
    return expression


def staged_models(manifest_path: Path | None = None) -> tuple[Staged, ...]:
    """The staging models whose YAML says what their suite checks (``meta.quality``), from
    the dbt manifest: a new source's staging folder brings its suite with it."""
    manifest = registry.load_manifest(manifest_path)
    staged = []
    for node in manifest["nodes"].values():
        meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
        if node.get("resource_type") != "model" or "quality" not in meta:
            continue
        quality = meta["quality"] or {}
        upstream = (node.get("depends_on") or {}).get("nodes", [])
        sources = [
            manifest["sources"][n]["source_name"] for n in upstream if n.startswith("source.")
        ]
        staged.append(
            Staged(
                model=node["name"],
                source=sources[0] if sources else None,
                raw_table=quality.get("raw_table"),
                raw_key=tuple(_raw_key(e) for e in quality.get("raw_key", ())),
                record_time=quality.get("record_time"),
                emails=tuple(quality.get("emails", ())),
                phones=tuple(quality.get("phones", ())),
                countries=tuple(quality.get("countries", ())),
                non_negative=tuple(quality.get("non_negative", ())),
                not_future=tuple(quality.get("not_future", ())),
                ranges={c: tuple(r) for c, r in (quality.get("ranges") or {}).items()},
                filled=dict(quality.get("filled") or {}),
            )
        )
    return tuple(staged)


def manifest_files(spec: SourceFile, condition: str) -> str:
    """The files of ``spec`` in the load manifest (as ``manifest``) that meet ``condition``."""
    return f"""
        select manifest.source_file
        from raw._load_manifest as manifest
        where manifest.source = '{spec.source}' and manifest.entity = '{spec.entity}'
            and {condition}
        """


def raw_suite(spec: SourceFile, sla: Sla | None, now: datetime) -> Suite:
    """The raw table of one export file type."""
    checks: list[Check] = []
    manifest = "raw._load_manifest"
    if sla is not None:
        today = now.date()
        for severity, days in (("error", sla.error_days), ("warn", sla.warn_days)):
            # Freshness is that of the export folders delivered, not of the rows: a quiet
            # source (no erasure request today) still delivers an empty file every day.
            checks.append(
                no_rows_from(
                    f"""
                    with newest as (
                        select max(manifest.export_date) as export_date
                        from {manifest} as manifest
                        where manifest.source = '{spec.source}'
                            and manifest.entity = '{spec.entity}'
                            and manifest.status in ('loaded', 'duplicate')
                    )
                    select newest.export_date, (select count(*) from {{batch}}) as row_count
                    from newest
                    where newest.export_date is null
                        or newest.export_date < date '{today - timedelta(days=days)}'
                    """,
                    "freshness",
                    f"the newest complete export is at most {days} day"
                    f"{'s' if days != 1 else ''} old" + (" (SLA)" if severity == "error" else ""),
                    severity,
                )
            )
    checks += [
        row_count_at_least(1, "warn"),
        *(not_null(column) for column in LINEAGE_COLUMNS),
        no_rows_from(
            f"""
            with loaded as (
                select _source_file, count(*) as row_count from {{batch}} group by _source_file
            ),
            removed as (
                select source_file, sum(rows_removed) as row_count
                from raw._removed_rows
                where relation = 'raw.{spec.table}'
                group by source_file
            )
            select manifest.source_file
            from {manifest} as manifest
            left join loaded on manifest.source_file = loaded._source_file
            left join removed on manifest.source_file = removed.source_file
            where manifest.source = '{spec.source}' and manifest.entity = '{spec.entity}'
                and manifest.status = 'loaded'
                and coalesce(loaded.row_count, 0) + coalesce(removed.row_count, 0)
                    <> manifest.rows_loaded
            """,
            "completeness",
            "every loaded file holds the rows the load manifest recorded, less those erased "
            "or past retention",
        ),
        # The loader counts each file's records apart from the parser (a broken quote once
        # swallowed the rest of a file unseen); files loaded before it did have no count.
        no_rows_from(
            manifest_files(
                spec,
                "manifest.status = 'loaded' and manifest.records_in_file is not null "
                "and manifest.rows_loaded + manifest.rows_rejected <> manifest.records_in_file",
            ),
            "completeness",
            "every record of each loaded file is loaded or rejected",
        ),
        # A file that could not be read is set aside and the pipeline builds on this source's
        # last good data: the source is stale until the file is fixed or delivered again.
        no_rows_from(
            manifest_files(spec, "manifest.status = 'failed'"),
            "completeness",
            "every delivered file could be read (else the source is stale: the platform runs "
            "on its last good data)",
        ),
        no_rows_from(
            f"""
            with loaded as (select count(*) as row_count from {{batch}}),
            rejected as (
                select coalesce(sum(manifest.rows_rejected), 0) as row_count
                from {manifest} as manifest
                where manifest.source = '{spec.source}' and manifest.entity = '{spec.entity}'
            )
            select rejected.row_count
            from rejected cross join loaded
            where rejected.row_count
                > {MAX_REJECTED_SHARE} * (rejected.row_count + loaded.row_count)
            """,
            "validity",
            f"at most {MAX_REJECTED_SHARE:.0%} of rows set aside at load",
            "warn",
        ),
    ]
    return Suite("raw", spec.source, "raw", spec.table, tuple(spec.asset_key), tuple(checks))


def _kept_and_flagged(*checks: Check) -> list[Check]:
    """Values that staging keeps and flags: warnings, errors only above a declared share."""
    return [pair for check in checks for pair in kept_and_flagged(check)]


def _contact_formats() -> list[Check]:
    """A customer's email, phone and country, as golden records and profiles carry them."""
    return _kept_and_flagged(
        matches("email", EMAIL_REGEX, "a standardized email"),
        matches("phone", E164_REGEX, "a phone in E.164"),
        in_set("country_code", COUNTRY_CODES, "an ISO 3166 alpha-2 country"),
    )


def staging_suite(staged: Staged, sla: Sla | None, now: datetime) -> Suite:
    """The reconciliation's totals, freshness and shares of rows over the whole table; the
    row-by-row rules (formats, ranges, nothing in the future) on the rows loaded since each
    check last ran without an error, so a day's check reads a day's rows."""
    checks: list[Check] = []
    if staged.raw_table and staged.raw_key:
        checks += _reconciliation(staged)
    if staged.record_time and sla is not None:
        oldest = now - timedelta(days=sla.error_days)
        checks.append(
            newest_at_least(
                staged.record_time,
                oldest.date() if staged.record_time.endswith("_on") else oldest,
                f"the newest record (`{staged.record_time}`) is at most {sla.error_days} days old",
                "warn",
            )
        )
    row_by_row: list[Check] = _kept_and_flagged(
        *(matches(c, EMAIL_REGEX, "a standardized email") for c in staged.emails),
        *(matches(c, E164_REGEX, "a phone in E.164") for c in staged.phones),
        *(in_set(c, COUNTRY_CODES, "an ISO 3166 alpha-2 country") for c in staged.countries),
    )
    row_by_row += [between(c, 0, None, "not negative") for c in staged.non_negative]
    row_by_row += [between(c, low, high) for c, (low, high) in staged.ranges.items()]
    row_by_row += [not_in_future(c, now) for c in staged.not_future]
    row_by_row += [filled_at_least(c, rate) for c, rate in staged.filled.items()]
    return Suite(
        "staging",
        staged.source,
        "staging",
        staged.model,
        ("staging", staged.model),
        (*checks, *on_new_rows(row_by_row)),
        blocking=True,
        loaded_at=STAGED_LOADED_AT,
    )


def _reconciliation(staged: Staged) -> list[Check]:
    """Nothing lost between raw and staging, checked in a time that grows with the delivery:

    - each raw row loaded since this check last passed is the staged version of its record or
      an older version of a staged record (a raw row whose record vanished, or that had no
      key, was lost); rows checked before are not read again;
    - in total, the staged table holds one row per record in raw, which catches a row lost
      later from the whole table.
    """
    raw = f"raw.{staged.raw_table}"
    keys = [expr.format(r="raw_rows") for expr in staged.raw_key]
    key_columns = ", ".join(f"{key} as key_{i}" for i, key in enumerate(keys))
    same_record = " and ".join(
        f"{{0}}.key_{i} is not distinct from {{1}}.key_{i}" for i in range(len(keys))
    )
    same_key = " and ".join(
        f"{key} is not distinct from unstaged_keys.key_{i}" for i, key in enumerate(keys)
    )
    key_names = ", ".join(f"key_{i}" for i in range(len(keys)))
    new_rows = (
        "every raw row loaded since this check last passed is staged or an older version "
        "of a staged record"
    )
    delivered_rows = no_rows_from(
        f"""
        with delivered as (
            select raw_rows._source_file, raw_rows._row_number, {key_columns}
            from {raw} as raw_rows
            where raw_rows._loaded_at > {LOADED_AFTER}
        ),
        -- a delivered row that is itself staged is kept; only the others (older versions,
        -- and any row lost) are looked up by their record
        unstaged as (
            select delivered.*
            from delivered
            anti join {{batch}} as staged
                on delivered._source_file = staged.source_file
                and delivered._row_number = staged.source_row_number
        ),
        unstaged_keys as (
            select distinct {key_names} from unstaged
        ),
        -- every version of those records: the raw rows whose key an unstaged row has, a
        -- missing part of a key matching a missing part. A semi join on the few keys (an
        -- EXISTS made DuckDB mark every raw row, 4 s for the site events at a million persons
        -- even when nothing was delivered; a join with no key to match ends at once)
        versions as (
            select raw_rows._source_file, raw_rows._row_number, {key_columns}
            from {raw} as raw_rows
            semi join unstaged_keys
                on {same_key}
        ),
        survivors as (
            select distinct versions.* except (_source_file, _row_number)
            from versions
            semi join {{batch}} as staged
                on versions._source_file = staged.source_file
                and versions._row_number = staged.source_row_number
        )
        select unstaged._source_file, unstaged._row_number
        from unstaged
        anti join survivors on {same_record.format("survivors", "unstaged")}
        """,
        "completeness",
        new_rows,
    )
    totals = no_rows_from(
        f"""
        with records as (
            select count(*) as row_count
            from (select distinct {", ".join(keys)} from {raw} as raw_rows)
        ),
        staged as (select count(*) as row_count from {{batch}})
        select records.row_count as records_in_raw, staged.row_count as rows_staged
        from records cross join staged
        where records.row_count <> staged.row_count
        """,
        "completeness",
        "holds one row per record in raw",
    )
    return [*on_new_rows([delivered_rows]), totals]


# --- identity and marts ---------------------------------------------------------------------


def identity_suites() -> list[Suite]:
    records = "intermediate.int_identity__records"
    return [
        Suite(
            "intermediate",
            "identity",
            "intermediate",
            "int_identity__customer_ids",
            ("intermediate", "int_identity__customer_ids"),
            (
                no_rows_from(
                    f"""
                    with resolved as (select record_key from {{batch}})
                    select records.record_key
                    from {records} as records
                    where not exists (
                        select 1 from resolved where resolved.record_key = records.record_key
                    )
                    """,
                    "identity",
                    "every source record that names a person has a customer id",
                ),
                *(
                    no_rows_from(
                        f"""
                        select customer_id
                        from {{batch}}
                        group by customer_id
                        having count(*) > {limit}
                        """,
                        "identity",
                        f"no customer profile holds more than {limit} records",
                        severity,  # type: ignore[arg-type]
                    )
                    for severity, limit in MAX_RECORDS_PER_CUSTOMER.items()
                ),
            ),
            blocking=True,
        ),
        Suite(
            "intermediate",
            "identity",
            "intermediate",
            "int_identity__identifier_guards",
            ("intermediate", "int_identity__identifier_guards"),
            (
                row_count_at_least(0, "warn"),
                no_rows_from(
                    """
                    with guarded as (select count(*) as guarded_count from {batch}),
                    identifiers as (
                        select count(distinct identifier_key) as identifier_count
                        from intermediate.int_identity__identifiers
                    )
                    select guarded.guarded_count
                    from guarded cross join identifiers
                    where guarded.guarded_count > """
                    + f"{MAX_GUARDED_SHARE} * identifiers.identifier_count",
                    "identity",
                    f"guarded identifier values are at most {MAX_GUARDED_SHARE:.0%} of all",
                    "warn",
                ),
            ),
            blocking=True,
        ),
        Suite(
            "intermediate",
            "identity",
            "intermediate",
            "int_identity__golden_records",
            ("intermediate", "int_identity__golden_records"),
            tuple(_contact_formats()),
            blocking=True,
        ),
    ]


def marts_suites(now: datetime) -> list[Suite]:
    refused = ", ".join(f"'{status}'" for status in excluded_analytics_statuses())

    def mart(table: str, *checks: Check) -> Suite:
        return Suite("marts", "customers", "marts", table, ("marts", table), checks)

    return [
        mart(
            "customer_profiles",
            row_count_at_least(1),
            *_contact_formats(),
            not_in_future("birth_date", now, "error"),
            between("completeness_score", 0, 1, severity="error"),
            between("net_revenue_eur", 0, None, "not negative", "error"),
            filled_at_least("email", 0.3),
            filled_at_least("country_code", 0.4),
        ),
        mart(
            "customer_source_records",
            no_rows_from(
                """
                with resolved as (select source, record_id from {batch})
                select records.record_key
                from intermediate.int_identity__records as records
                where not exists (
                    select 1 from resolved
                    where resolved.source = records.source
                        and resolved.record_id = records.record_id
                )
                """,
                "completeness",
                "every source record that names a person is resolved to a customer",
            ),
        ),
        mart(
            "customer_consent",
            no_rows_from(
                f"""
                with consent as (select customer_id from {{batch}})
                select profiles.customer_id
                from marts.customer_profiles as profiles
                left join consent on profiles.customer_id = consent.customer_id
                group by profiles.customer_id
                having count(consent.customer_id) <> {len(CONSENT_PURPOSES)}
                """,
                "completeness",
                "every customer has one consent row per purpose",
            ),
        ),
        mart(
            "customer_activity_daily",
            not_in_future("activity_date", now),
            between("net_revenue_eur", 0, None, "not negative", "error"),
            no_rows_from(
                f"""
                with activity as (select distinct customer_id from {{batch}})
                select activity.customer_id
                from activity
                inner join marts.customer_consent as consent
                    on activity.customer_id = consent.customer_id
                where consent.purpose = 'analytics'
                    and consent.consent_status in ({refused})
                """,
                "validity",
                "no per-customer activity of customers who refused analytics",
            ),
        ),
        mart(
            "activity_daily_totals",
            not_in_future("activity_date", now),
            between("net_revenue_eur", 0, None, "not negative", "error"),
            no_rows_from(
                """
                with totals as (select sum(net_revenue_eur) as revenue from {batch}),
                profiles as (
                    select sum(net_revenue_eur) as revenue from marts.customer_profiles
                )
                select totals.revenue
                from totals cross join profiles
                where abs(coalesce(totals.revenue, 0) - coalesce(profiles.revenue, 0)) > 0.01
                """,
                "completeness",
                "daily totals add up to the revenue of all profiles",
            ),
        ),
        mart(
            "segment_members",
            no_rows_from(
                """
                with members as (select customer_id from {batch})
                select members.customer_id
                from members
                where not exists (
                    select 1 from marts.customer_profiles as profiles
                    where profiles.customer_id = members.customer_id
                )
                """,
                "completeness",
                "every segment member is a customer profile",
            ),
        ),
        mart(
            "campaign_performance",
            between("attributed_revenue_eur", 0, None, "not negative"),
            between("lead_count", 0, None, "not negative"),
        ),
    ]


def pseudonymized_suites() -> list[Suite]:
    """The analysts' schema without personal data: one row per profile, keyed pseudonyms only."""
    return [
        Suite(
            "marts",
            "pseudonymized",
            "pseudonymized",
            "customer_profiles",
            ("pseudonymized", "pseudonymized_customer_profiles"),
            (
                matches("customer_pseudonym", "^[0-9a-f]{64}$", "a keyed hash (64 hex digits)"),
                between("birth_year_band", 1900, None, "a plausible five-year band"),
                no_rows_from(
                    """
                    with pseudonymized as (select count(*) as row_count from {batch}),
                    profiles as (select count(*) as row_count from marts.customer_profiles)
                    select pseudonymized.row_count
                    from pseudonymized cross join profiles
                    where pseudonymized.row_count <> profiles.row_count
                    """,
                    "completeness",
                    "one row per customer profile",
                ),
            ),
        )
    ]


def build_suites(
    slas: Mapping[str, Sla], now: datetime, staged: Iterable[Staged] | None = None
) -> list[Suite]:
    """Every suite, for a run at ``now`` (timezone-aware), with a suite for each of the
    ``staged`` models (by default those of the project's dbt manifest)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    suites = [raw_suite(spec, slas.get(spec.source), now) for spec in SOURCE_FILES]
    staged_suites = [
        staging_suite(model, slas.get(model.source or ""), now)
        for model in (staged_models() if staged is None else staged)
    ]
    # a model whose every rule is a dbt test has no suite
    suites += [suite for suite in staged_suites if suite.checks]
    suites += identity_suites()
    suites += marts_suites(now)
    suites += pseudonymized_suites()
    return suites
