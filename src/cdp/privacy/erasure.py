"""Erasure (GDPR Art. 17): every record of a person who asked to be forgotten leaves every layer.

Each pipeline run purges twice:

- **before dbt** (``Purge(..., before_dbt=True)``), after the raw loads: rows loaded since the
  previous purge that name an identifier on the suppression list (re-deliveries of people
  already erased) go, before staging reads them. New requests wait, so that identity is first
  built on the person's complete data. (The loads hold most such rows back before writing
  them: ``cdp.privacy.holdback``; this purge removes what they could not yet recognise);
- **after identity** (``complete_erasure``), once dbt has built staging and identity in the
  same run: every step below, the requests resolved through that identity; when raw changed,
  staging and identity are rebuilt and the purge repeats through the rebuilt identity until a
  round removes nothing, so the marts are built without the person and a later run finds
  nothing more to remove.

1. **Requests.** Each request in ``raw.privacy__erasure_requests`` that still carries
   identifiers is read, its identifiers normalized (email lower-cased, phone to E.164, account
   id), and their keyed hashes (``cdp.privacy.keys``) added to the **suppression list**
   ``privacy.suppression_list``. The request is kept in ``privacy.erasure_requests`` with those
   hashes only, and its identifiers are blanked in raw.
2. **Identity.** The identity graph in the warehouse (built earlier in the same run) ties the
   named identifiers to the person's other records and identifiers: all records of each
   customer that carries a named identifier (an identifier that several people share, which
   identity guards, reaches only the records that carry it, not those people's whole
   profiles). Named are the identifiers of requests and of the records erased before, not
   the other values their removed rows had as written (a shop's or a household's mailbox on
   an erased person's order): those are listed as ``written`` and name no one. Also reached
   are the ids the erased records carried in the previous build that no record carries any
   longer (retired by a merge), for the id history and the audience exports.
3. **Raw.** Every raw row of those records goes (all versions), and every raw row that names
   one of their identifiers (orders, order lines, events, newsletter activity, consent,
   mentions), repeated while new person-specific keys (order ids, browser ids) appear. Every
   row removed was reached through an identifier or key on the suppression list, so an old
   export delivered again names it again: rows loaded since the previous purge are checked
   against the list's identifiers and keys, and a re-delivered old export is removed here,
   before dbt reads it. The other values of the removed rows (a phone as typed, a mailbox
   that others use too) are listed as ``written``: they hold back and remove nothing, since
   the rows that name them later can be anyone's (a till order with the shop's mailbox).
   Rejected lines that name an identifier or key on the list go too.
4. **Everything built from raw.** Staging and identity are rebuilt from raw after the purge,
   and the marts by the dbt step that follows it in the same run; the purge counts what they
   will lose. The identity history kept across runs (``int_identity__customer_id_changes``)
   loses the person's customer ids here. Audience exports that hold the person are withdrawn
   at once and written again without them by the run's export step; data-quality files that
   name them are removed and rebuilt.
5. **Log.** ``privacy.erasure_log`` records, per request, layer and relation, the rows
   removed (or, for layers dbt rebuilds, the rows the rebuild drops).

Identifiers are compared in plain text only within the purge's own connection, in temporary
tables; nothing but keyed hashes and counts is stored or logged.
"""

from __future__ import annotations

import functools
import re
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cdp import registry
from cdp.config import DBT_PROJECT_DIR
from cdp.ingest.loader import ensure_tables, remove_raw_rows
from cdp.privacy.keys import SUPPRESSION, derive, fingerprint, hmac_sql, keyed_hash
from cdp.privacy.retention import RetentionPolicy, apply_retention
from cdp.standardize.phones import to_e164
from cdp.warehouse import column_names, insert_rows, table_exists

SCHEMA = "privacy"
DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.suppression_list (
    identifier_hash varchar not null,
    identifier_kind varchar not null,
    request_id varchar,
    key_fingerprint varchar not null,
    added_at timestamptz not null
);
create table if not exists {SCHEMA}.erasure_requests (
    request_id varchar primary key,
    received_at timestamptz,
    email_hash varchar,
    phone_hash varchar,
    account_id_hash varchar,
    first_processed_at timestamptz,
    last_processed_at timestamptz
);
create table if not exists {SCHEMA}.erasure_log (
    run_id varchar,
    logged_at timestamptz,
    request_id varchar,
    layer varchar,
    relation varchar,
    rows_removed bigint,
    note varchar
);
create table if not exists {SCHEMA}.compactions (
    run_id varchar,
    started_at timestamptz not null,
    finished_at timestamptz,
    erasure_entries bigint,
    bytes_before bigint,
    bytes_after bigint
);
create table if not exists {SCHEMA}.purge_runs (
    run_id varchar,
    started_at timestamptz,
    finished_at timestamptz,
    requests bigint,
    customers_erased bigint,
    raw_rows_removed bigint,
    seconds double
);
"""


# What suppresses: the identifiers and keys on the list, not the values only written on
# removed rows (kind ``written``: a shop's or a family's mailbox), which name no one erased.
SUPPRESSING = f"(select * from {SCHEMA}.suppression_list where identifier_kind <> 'written')"


def suppress(
    con: duckdb.DuckDBPyConnection,
    values: str,
    key: bytes,
    key_fingerprint: str,
    at: datetime,
) -> list[tuple[str, str | None]]:
    """Add the keyed hashes (under the suppression ``key``) of ``values``, a relation of
    ``(value, kind, request_id)`` with values in their normal form, to the suppression list
    with the hashes not on it yet. A value is listed under its kind when one of its rows has a
    kind other than ``written``, else as ``written``. A value listed as written until now that
    comes with a kind (a family mailbox on a person erased before, named by this request) is
    from now on an identifier of that request: the rows it reaches are logged under it.
    Returns the ``(hash, request_id)`` entries of ``values`` that suppress."""
    con.execute(
        f"""create or replace temp table _listed as
        select {hmac_sql("value", key)} as identifier_hash,
            coalesce(any_value(kind) filter (where kind <> 'written'), 'written') as kind,
            min(request_id) filter (where kind <> 'written') as identified_by,
            min(request_id) as request_id
        from {values} where value is not null
        group by 1"""
    )
    con.execute(
        f"""insert into {SCHEMA}.suppression_list
        select identifier_hash, kind, request_id, ?, ? from _listed
        where identifier_hash not in (select identifier_hash from {SCHEMA}.suppression_list)""",
        [key_fingerprint, at],
    )
    con.execute(
        f"""update {SCHEMA}.suppression_list
        set identifier_kind = listed.kind, request_id = listed.identified_by
        from _listed as listed
        where suppression_list.identifier_hash = listed.identifier_hash
            and suppression_list.identifier_kind = 'written' and listed.kind <> 'written'"""
    )
    suppressing = con.execute(
        f"""select entry.identifier_hash, entry.request_id from {SUPPRESSING} as entry
        semi join _listed on entry.identifier_hash = _listed.identifier_hash"""
    ).fetchall()
    con.execute("drop table _listed")
    return suppressing


def canonical(expression: str) -> str:
    """The identifiers' normal form, on both sides of every comparison and under every hash."""
    return f"nullif(lower(trim(cast({expression} as varchar))), '')"


@dataclass(frozen=True)
class PersonColumns:
    """Where people are named, as the registry of per-source facts declares it
    (:mod:`cdp.registry`): per raw table the columns that name a person (``names_person`` in
    its sources YAML) and the values as written that join the suppression list too
    (``written_forms``: phones in national or spaced forms, so that the same bytes delivered
    again are recognised); per record source the identifier kind of its record ids."""

    # per raw table, its columns in their normal form (canonical) on both sides of a match
    matches: dict[str, tuple[registry.RawMatch, ...]]
    written_forms: dict[str, tuple[str, ...]]
    record_kinds: dict[str, str]

    @classmethod
    def from_registry(
        cls, manifest: Path | None = None, project_dir: Path = DBT_PROJECT_DIR
    ) -> PersonColumns:
        tables = registry.raw_tables(manifest)
        return cls(
            matches={
                name: tuple(replace(m, value=canonical(m.value)) for m in table.matches)
                for name, table in tables.items()
            },
            written_forms={name: table.written_forms for name, table in tables.items()},
            record_kinds=registry.record_kinds(project_dir),
        )


# How each layer loses the rows the log counts.
NOTES = {
    "load": "held back at its load: never written to the warehouse",
    "raw": "deleted",
    "rejects": "deleted",
    "snapshots": "deleted from the history kept across runs",
    "staging": "dropped when dbt rebuilds staging from raw in this run",
    "identity": "dropped when dbt rebuilds identity in this run",
    "marts": "dropped when dbt rebuilds the marts in this run",
    "exports": "export withdrawn; written again without the person by this run",
    "quality_docs": "file deleted; rebuilt by this run",
    "requests": "identifiers blanked; the request is kept with keyed hashes only",
}
# Text files of the documentation site and the quality stores that are searched.
DOC_SUFFIXES = {".html", ".json", ".md", ".csv", ".txt", ".yml"}
_TOKENS = re.compile(r'[,;|\t"{}\[\]\n\r]+')


@dataclass
class Request:
    request_id: str
    received_at: datetime | None
    values: dict[str, list[str]]  # kind -> normal forms (a phone: E.164 and as written)


@dataclass
class ErasureReport:
    requests: int = 0
    customers: int = 0
    records: int = 0
    # rows removed per (request id, layer, relation); "" for none
    removed_by_request: dict[tuple[str, str, str], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    seconds: float = 0.0

    @property
    def removed(self) -> dict[tuple[str, str], int]:
        """Rows removed per (layer, relation), all requests together."""
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for (_, layer, relation), rows in self.removed_by_request.items():
            totals[(layer, relation)] += rows
        return totals

    def by_layer(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for (layer, _), rows in self.removed.items():
            totals[layer] += rows
        return dict(totals)


class PrivacyKeyChanged(RuntimeError):
    """The suppression list was made under another privacy key."""


class ErasureIncomplete(RuntimeError):
    """Rounds of purge and rebuild after identity still found records of erased people."""


# Rounds of purge (and rebuild of staging and identity) after identity, at most.
MAX_ROUNDS = 5
# The identity tables the purge after identity resolves requests through, beside raw.
ERASURE_READS = tuple(
    f"intermediate.int_identity__{name}"
    for name in ("identifiers", "customer_ids", "identifier_guards")
)
# What is rebuilt from raw after a round removed rows (dbt's selection): the models built
# before the erasure, staging and identity. The customer traits (intermediate/customers) and
# every layer after them are built once, after the erasure.
REBUILT_SELECTION = "staging intermediate.identity"


class LinesNaming:
    """Recognises lines of text (rejected lines, as written) that name a suppressed identifier
    in one of their fields. ``key`` is the suppression key (derived)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, key: bytes) -> None:
        self.key = key
        self.hashes: dict[str, str | None] = dict(
            con.execute(f"select identifier_hash, request_id from {SUPPRESSING}").fetchall()
        )
        # Rejected lines repeat their fields (purposes, dates, sources): each field is hashed
        # once (at a million persons, 101 k lines: 2.2 M hashes, 0.28 M distinct).
        self._digests = functools.lru_cache(maxsize=1 << 20)(self._forms)

    def _forms(self, token: str) -> tuple[str, ...]:
        value = token.strip().lower()
        forms = dict.fromkeys(form for form in (value, value.lstrip("@")) if form)
        return tuple(keyed_hash(form, self.key) for form in forms)

    def named(self, text: str) -> str | None:
        """The hash of the first suppressed identifier ``text`` names, or None."""
        for token in _TOKENS.split(text):
            for digest in self._digests(token):
                if digest in self.hashes:
                    return digest
        return None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    ensure_tables(con)  # raw's control tables, where removed rows are counted
    con.execute(DDL)


def normalize_request(row: tuple) -> Request:
    request_id, email, phone, account_id, received_at = row
    values: dict[str, list[str]] = defaultdict(list)
    if email and email.strip():
        values["email"].append(email.strip().lower())
    if phone and phone.strip():
        e164 = to_e164(phone, None)
        if e164:
            values["phone"].append(e164.lower())
        values["phone"].append(phone.strip().lower())
    if account_id and str(account_id).strip():
        written = str(account_id).strip()
        values["account_id"].append(str(int(written)) if written.isdigit() else written.lower())
    return Request(str(request_id).strip(), received_at, dict(values))


class Purge:
    """One purge over one warehouse connection (see the module's description).

    ``before_dbt``: the purge that runs before dbt has built this run's identity reads no new
    request and resolves nothing through identity (the previous build's, or none on a first
    build): it removes rows loaded since the previous purge that name a suppressed identifier,
    and leaves new requests to the purge after identity (``complete_erasure``)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        key: bytes,
        run_id: str,
        exports_dir: Path | None = None,
        doc_dirs: tuple[Path, ...] = (),
        log: Callable[[str], None] = print,
        *,
        before_dbt: bool = False,
        columns: PersonColumns | None = None,
    ) -> None:
        self.con = con
        self.before_dbt = before_dbt
        self.columns = columns or PersonColumns.from_registry()
        self.key = derive(key, SUPPRESSION)
        self.fingerprint = fingerprint(key)
        self.run_id = run_id
        self.exports_dir = exports_dir
        self.doc_dirs = doc_dirs
        self.log = log
        self.now = datetime.now(UTC)
        self.report = ErasureReport()

    def hmac(self, expression: str) -> str:
        return hmac_sql(expression, self.key)

    # -- the steps -------------------------------------------------------------------------

    def run(self) -> ErasureReport:
        started = time.monotonic()
        ensure_schema(self.con)
        self._check_key()
        since = self.con.execute(f"select max(started_at) from {SCHEMA}.purge_runs").fetchall()[0][
            0
        ]
        self.con.execute(
            "create or replace temp table erase_values "
            "(kind varchar, value varchar, request_id varchar)"
        )
        requests = [] if self.before_dbt else self._read_requests()
        self.report.requests = len(requests)
        steps: list[tuple[str, Callable[[], object]]] = [
            ("requests recorded", lambda: self._record_requests(requests)),
            ("resolved through identity", self._expand_through_identity),
        ]
        doomed: dict[str, int] = {}
        steps += [
            ("raw rows marked", lambda: doomed.update(self._doomed_raw_rows(since))),
            ("rebuilt layers counted", self._count_rebuilt_layers),
            ("raw rows removed", lambda: self._remove_raw_rows(doomed)),
            ("rejected lines checked", self._remove_rejects),
            ("identity history purged", self._remove_identity_history),
            ("exports checked", self._withdraw_exports),
            ("quality files checked", self._remove_doc_files),
            ("requests blanked", lambda: self._blank_requests(requests)),
        ]
        for index, (what, step) in enumerate(steps, 1):
            step_started = time.monotonic()
            step()
            self.log(
                f"erasure [{index}/{len(steps)}] {what} in {time.monotonic() - step_started:.1f} s"
            )
        self.report.seconds = time.monotonic() - started
        self._write_log()
        self.con.execute(
            f"insert into {SCHEMA}.purge_runs values (?, ?, ?, ?, ?, ?, ?)",
            [
                self.run_id,
                self.now,
                datetime.now(UTC),
                self.report.requests,
                self.report.customers,
                self.report.by_layer().get("raw", 0),
                self.report.seconds,
            ],
        )
        self.con.execute("drop table if exists erase_values")
        return self.report

    def _check_key(self) -> None:
        others = self.con.execute(
            f"select distinct key_fingerprint from {SCHEMA}.suppression_list "
            "where key_fingerprint <> ?",
            [self.fingerprint],
        ).fetchall()
        if others:
            raise PrivacyKeyChanged(
                "the suppression list of erased people was made under another privacy key "
                f"(fingerprint {others[0][0]}, this key {self.fingerprint}): set the key it "
                "was made with (CDP_PRIVACY_KEY or CDP_PRIVACY_KEY_FILE); with another key, "
                "re-delivered exports of erased people could not be recognised"
            )

    def _read_requests(self) -> list[Request]:
        if not table_exists(self.con, "raw", "privacy__erasure_requests"):
            return []
        rows = self.con.execute(
            """
            select request_id, email, phone, cast(account_id as varchar), received_at
            from raw.privacy__erasure_requests
            where nullif(trim(coalesce(email, '') || coalesce(phone, '')
                || coalesce(cast(account_id as varchar), '')), '') is not null
                and nullif(trim(request_id), '') is not null
            order by received_at, request_id
            """
        ).fetchall()
        merged: dict[str, Request] = {}
        for row in rows:
            request = normalize_request(row)
            if request.request_id in merged:  # the same request delivered again
                for kind, values in request.values.items():
                    merged[request.request_id].values.setdefault(kind, []).extend(values)
            else:
                merged[request.request_id] = request
        return list(merged.values())

    def _record_requests(self, requests: list[Request]) -> None:
        """The requests' values to erase, and the requests kept with hashes only, each in one
        statement over lists (as ``insert_rows``)."""
        rows = [
            (kind, value, request.request_id)
            for request in requests
            for kind, values in request.values.items()
            for value in values
        ]
        insert_rows(self.con, "erase_values", rows)
        self._suppress_erase_values()
        if not requests:
            return

        def first(request: Request, kind: str) -> str | None:
            values = request.values.get(kind)
            return keyed_hash(values[0], self.key) if values else None

        # one row a request: _read_requests merged the deliveries of one request id
        self.con.execute(
            f"""
            insert into {SCHEMA}.erasure_requests
            select unnest(?), unnest(?), unnest(?), unnest(?), unnest(?), ?, ?
            on conflict (request_id) do update set
                last_processed_at = excluded.last_processed_at,
                email_hash = coalesce(excluded.email_hash, erasure_requests.email_hash),
                phone_hash = coalesce(excluded.phone_hash, erasure_requests.phone_hash),
                account_id_hash =
                    coalesce(excluded.account_id_hash, erasure_requests.account_id_hash)
            """,
            [
                [request.request_id for request in requests],
                [request.received_at for request in requests],
                [first(request, "email") for request in requests],
                [first(request, "phone") for request in requests],
                [first(request, "account_id") for request in requests],
                self.now,
                self.now,
            ],
        )

    def _suppress_erase_values(self) -> None:
        """Add the hash of every value in ``erase_values`` not yet on the list (``suppress``).
        A value that is an identifier of the person (named by a request, or carried by one of
        their records in identity) is listed under its kind, even when a removed row also had
        it as written; one known only as written on a removed row (a household mailbox, say)
        is ``written``: it suppresses nothing, and identity is not resolved through it."""
        suppress(self.con, "erase_values", self.key, self.fingerprint, self.now)

    def _expand_through_identity(self) -> None:
        """Records and identifiers of the customers the suppression list names, from the
        identity graph in the warehouse (none before dbt, and none on a first build)."""
        # ``own``: the record is one of an erased customer's; false for a record reached only
        # through a guarded identifier it carries (a relative's account with the family
        # mailbox), whose other keys are the relative's and join the list as written only
        self.con.execute(
            "create or replace temp table erased_records "
            "(record_key varchar, request_id varchar, own boolean)"
        )
        self.con.execute(
            "create or replace temp table erased_customers "
            "(customer_id varchar, request_id varchar)"
        )
        needed = ("int_identity__identifiers", "int_identity__customer_ids")
        if self.before_dbt or not all(
            table_exists(self.con, "intermediate", name) for name in needed
        ):
            return
        guarded = (
            "select identifier_key from intermediate.int_identity__identifier_guards"
            if table_exists(self.con, "intermediate", "int_identity__identifier_guards")
            else "select null::varchar as identifier_key where false"
        )
        self.con.execute(
            f"""
            create or replace temp table named as
            select ids.record_key, ids.identifier_key, suppressed.request_id,
                ids.identifier_key in ({guarded}) as is_guarded
            from intermediate.int_identity__identifiers as ids
            -- not what removed rows merely had as written: a mailbox or phone shared with
            -- people who made no request would reach them
            inner join {SUPPRESSING} as suppressed
                on {self.hmac(canonical("ids.identifier_value"))} = suppressed.identifier_hash
            """
        )
        self.con.execute(
            """
            insert into erased_customers
            select assigned.customer_id, min(named.request_id)
            from named
            inner join intermediate.int_identity__customer_ids as assigned
                on named.record_key = assigned.record_key
            where not named.is_guarded
            group by assigned.customer_id
            """
        )
        self.con.execute(
            """
            insert into erased_records
            select record_key, min(request_id), bool_or(own) from (
                select named.record_key, named.request_id, not named.is_guarded as own
                from named
                union all
                select assigned.record_key, erased.request_id, true
                from intermediate.int_identity__customer_ids as assigned
                inner join erased_customers as erased
                    on assigned.customer_id = erased.customer_id
            ) group by record_key
            """
        )
        record_kinds = " ".join(
            f"when '{source}' then '{kind}'" for source, kind in self.columns.record_kinds.items()
        )
        self.con.execute(
            f"""
            insert into erase_values
            select
                case when own then case split_part(record_key, ':', 1) {record_kinds} end
                    else 'written' end,
                lower(substr(record_key, strlen(split_part(record_key, ':', 1)) + 2)),
                request_id
            from erased_records
            union all
            select
                case when erased.own then ids.identifier_type else 'written' end,
                {canonical("ids.identifier_value")},
                erased.request_id
            from intermediate.int_identity__identifiers as ids
            inner join erased_records as erased on ids.record_key = erased.record_key
            where ids.identifier_key not in ({guarded})
            """
        )
        self.report.customers = self.con.execute(
            "select count(*) from erased_customers"
        ).fetchall()[0][0]
        self.report.records = self.con.execute("select count(*) from erased_records").fetchall()[0][
            0
        ]
        # The ids their records carried in the previous build that no record carries now
        # (retired by a merge): the id history, the marts and the audience exports of the
        # previous build may still name them. An id that lives on for someone else is not one.
        if "previous_customer_id" in column_names(
            self.con, "intermediate", "int_identity__customer_ids"
        ):
            self.con.execute(
                """
                insert into erased_customers
                select assigned.previous_customer_id, min(erased.request_id)
                from intermediate.int_identity__customer_ids as assigned
                inner join erased_records as erased on assigned.record_key = erased.record_key
                where erased.own and assigned.previous_customer_id not in (
                    select customer_id from intermediate.int_identity__customer_ids
                )
                group by assigned.previous_customer_id
                """
            )
        # Their hashes join the suppression list with the written forms, once the raw rows
        # are removed (_remove_raw_rows).

    def _doomed_sql(self, table: str, since: datetime | None, kinds: set[str] | None = None) -> str:
        """The lineage (file and record number) of the rows of ``raw.<table>`` that name an
        erased person, with the request. With ``kinds``, only the rows that a value of those
        kinds can name (``RawMatch.may_hold``), not those loaded since, which an earlier call
        marked.

        Rows are marked by lineage, not by ``rowid``: the rows are removed in later
        statements, and a checkpoint that any commit in between may start compacts the row
        groups that hold deleted rows, which gives the rows after them other row ids."""
        parts = []
        for match in self.columns.matches[table]:
            if kinds is not None and not match.may_hold(kinds):
                continue
            parts.append(
                f"""select t._source_file as source_file, t._row_number as row_number,
                    v.request_id
                from raw.{table} as t inner join erase_values as v
                    on v.kind = {match.row_kind} and v.value = {match.value}"""
            )
            if since is not None and kinds is None:  # rows loaded since the last purge
                parts.append(
                    f"""select t._source_file as source_file, t._row_number as row_number,
                        s.request_id
                    from raw.{table} as t inner join {SUPPRESSING} as s
                        on s.identifier_hash = {self.hmac(match.value)}
                    where t._loaded_at >= '{since.isoformat()}'"""
                )
        return (
            "select source_file, row_number, min(request_id) as request_id from ("
            + "\nunion all\n".join(parts)
            + ") group by source_file, row_number"
        )

    def _doomed_raw_rows(self, since: datetime | None) -> dict[str, int]:
        """Mark the raw rows to remove, repeating while removed rows bring new keys."""
        tables = [t for t in self.columns.matches if table_exists(self.con, "raw", t)]
        counts: dict[str, int] = {}
        pending = list(tables)  # the first round marks every table
        kinds: set[str] | None = None  # then the rows the new keys name are added
        for _round in range(4):
            new_kinds: set[str] = set()
            for table in pending:
                # (with the keys an earlier table of this round brought too)
                marked = self._doomed_sql(
                    table, since, None if kinds is None else kinds | new_kinds
                )
                if kinds is not None:
                    marked = f"""
                        select source_file, row_number, min(request_id) as request_id
                        from (select * from doomed__{table} union all {marked})
                        group by source_file, row_number"""
                self.con.execute(f"create or replace temp table doomed__{table} as {marked}")
                for match in self.columns.matches[table]:
                    if not match.expands:
                        continue
                    added = self.con.execute(
                        f"""
                        insert into erase_values
                        select distinct '{match.kind}', {match.value}, d.request_id
                        from raw.{table} as t inner join doomed__{table} as d
                            on t._source_file = d.source_file and t._row_number = d.row_number
                        where {match.value} is not null and {match.value} not in (
                            select value from erase_values where kind = '{match.kind}'
                        )
                        """
                    ).fetchall()[0][0]
                    if added:
                        new_kinds.add(match.kind)
            # Later rounds mark again only the tables that a new key can reach, and only by
            # the columns it can be in (a JSON path read over every site event costs seconds).
            if not new_kinds:
                break
            kinds = new_kinds
            pending = [t for t in tables if any(m.may_hold(kinds) for m in self.columns.matches[t])]
        for table in tables:
            counts[table] = self.con.execute(f"select count(*) from doomed__{table}").fetchall()[0][
                0
            ]
        # The lineage of what goes, for counting what the rebuilt staging layer loses.
        self.con.execute(
            "create or replace temp table doomed_lineage "
            "(source_file varchar, row_number bigint, request_id varchar)"
        )
        for table in tables:
            self.con.execute(f"insert into doomed_lineage select * from doomed__{table}")
        return counts

    def _count_rebuilt_layers(self) -> None:
        """What the dbt rebuild of this run drops: staging rows by lineage, identity and mart
        rows by customer or record."""
        relations = self.con.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_schema in ('staging', 'intermediate', 'marts', 'audit', 'pseudonymized')
            order by all
            """
        ).fetchall()
        any_doomed = self.con.execute("select count(*) from doomed_lineage").fetchall()[0][0]
        any_customer = self.con.execute("select count(*) from erased_customers").fetchall()[0][0]
        if not any_doomed and not any_customer:
            return
        layers = {"staging": "staging", "intermediate": "identity", "marts": "marts",
                  "audit": "marts", "pseudonymized": "marts"}  # fmt: skip
        for schema, name in relations:
            if (schema, name) == ("intermediate", "int_identity__customer_id_changes"):
                continue  # kept across runs: purged below, not rebuilt
            columns = column_names(self.con, schema, name)
            relation = f'"{schema}"."{name}"'
            if {"source_file", "source_row_number"} <= columns and any_doomed:
                sql = f"""select d.request_id, count(*) from {relation} as r
                    inner join doomed_lineage as d
                        on r.source_file = d.source_file and r.source_row_number = d.row_number
                    group by d.request_id"""
            elif "customer_id" in columns and any_customer:
                sql = f"""select e.request_id, count(*) from {relation} as r
                    inner join erased_customers as e on r.customer_id = e.customer_id
                    group by e.request_id"""
            elif "record_key" in columns:
                sql = f"""select e.request_id, count(*) from {relation} as r
                    inner join erased_records as e on r.record_key = e.record_key
                    group by e.request_id"""
            else:
                continue
            try:
                rows = self.con.execute(sql).fetchall()
            except duckdb.Error as err:  # a view whose inputs are gone; rebuilt anyway
                self.log(f"erasure: could not count {schema}.{name}: {type(err).__name__}")
                continue
            for request_id, count in rows:
                self._add(request_id, layers[schema], f"{schema}.{name}", count)

    def _remove_raw_rows(self, doomed: dict[str, int]) -> None:
        """Per table, in one transaction: the marked rows found by their lineage once, their
        values as written kept for the suppression list, and the rows logged and removed by
        row id. A checkpoint, which can move row ids, starts only at a commit, so the row ids
        read inside the transaction hold until its end."""
        for table, count in doomed.items():
            if not count:
                continue
            written = self.columns.written_forms.get(table, ()) + tuple(
                m.value for m in self.columns.matches[table]
            )
            values = "".join(f", {canonical(e)} as written_{i}" for i, e in enumerate(written))
            self.con.execute("begin transaction")
            try:
                self.con.execute(
                    f"""
                    create or replace temp table doomed_rows as
                    select t.rowid as rid, d.request_id{values}
                    from raw.{table} as t inner join doomed__{table} as d
                        on t._source_file = d.source_file and t._row_number = d.row_number
                    """
                )
                for i in range(len(written)):
                    self.con.execute(
                        f"""insert into erase_values
                        select distinct 'written', written_{i}, request_id from doomed_rows
                        where written_{i} is not null"""
                    )
                for request_id, rows in self.con.execute(
                    "select request_id, count(*) from doomed_rows group by request_id"
                ).fetchall():
                    self._add(request_id, "raw", f"raw.{table}", rows)
                remove_raw_rows(
                    self.con,
                    table,
                    "removed.rowid in (select rid from doomed_rows)",
                    "erasure",
                    self.now,
                )
                self.con.execute("commit")
            except BaseException:
                self.con.execute("rollback")
                raise
        self.con.execute("drop table if exists doomed_rows")
        self._suppress_erase_values()

    def _remove_rejects(self) -> None:
        """Rejected lines that name a suppressed identifier, matched field by field."""
        if not table_exists(self.con, "raw", "_rejects"):
            return
        lines = LinesNaming(self.con, self.key)
        if not lines.hashes:
            return
        # Row ids hold here: nothing commits between this read and the delete below, and only
        # a commit starts a checkpoint that could move them.
        doomed = []
        for rowid, text in self.con.execute(
            "select rowid, raw_text from raw._rejects where raw_text is not null"
        ).fetchall():
            named = lines.named(text)
            if named is not None:
                doomed.append((rowid, lines.hashes[named]))
        if not doomed:
            return
        for _rowid, request_id in doomed:
            self._add(request_id, "rejects", "raw._rejects", 1)
        self.con.execute(
            "delete from raw._rejects where rowid in (select unnest(?))",
            [[rowid for rowid, _ in doomed]],
        )

    def _remove_identity_history(self) -> None:
        name = "int_identity__customer_id_changes"
        if not table_exists(self.con, "intermediate", name):
            return
        for request_id, count in self.con.execute(
            f"""select e.request_id, count(*) from intermediate.{name} as h
            inner join erased_customers as e
                on e.customer_id in (h.customer_id, h.previous_customer_id)
            group by e.request_id"""
        ).fetchall():
            self._add(request_id, "snapshots", f"intermediate.{name}", count)
        self.con.execute(
            f"""delete from intermediate.{name}
            where customer_id in (select customer_id from erased_customers)
                or previous_customer_id in (select customer_id from erased_customers)"""
        )

    def _withdraw_exports(self) -> None:
        """Remove every audience export that holds an erased customer; the run's export step
        writes it again without them."""
        folder = self.exports_dir / "audiences" if self.exports_dir else None
        if folder is None or not folder.is_dir():
            return
        if not self.con.execute("select count(*) from erased_customers").fetchall()[0][0]:
            return
        for parquet in sorted(folder.glob("*.parquet")):
            try:
                rows = self.con.execute(
                    """select e.request_id, count(*) from read_parquet(?) as x
                    inner join erased_customers as e on x.customer_id = e.customer_id
                    group by e.request_id""",
                    [str(parquet)],
                ).fetchall()
            except duckdb.Error:
                continue
            if not rows:
                continue
            for request_id, count in rows:
                self._add(request_id, "exports", f"exports/audiences/{parquet.stem}", count)
            for sibling in folder.glob(parquet.stem + ".*"):
                sibling.unlink()
            self.log(f"erasure: withdrew the export {parquet.stem} until it is written again")

    def _remove_doc_files(self) -> None:
        """Files of the data-quality site and stores that name an erased identifier (none are
        expected: results keep counts only) are removed; the run rebuilds them. The dbt docs
        are built from the project's code alone and are not searched."""
        values = {
            value: request_id
            for value, request_id in self.con.execute(
                "select value, min(request_id) from erase_values "
                "where strlen(value) >= 6 group by value"
            ).fetchall()
        }
        if not values:
            return
        pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
        for root in self.doc_dirs:
            if not root.is_dir():
                continue
            for path in root.rglob("*"):
                if not path.is_file() or path.suffix not in DOC_SUFFIXES:
                    continue
                found = pattern.search(path.read_text(errors="ignore").lower())
                if found:
                    self._add(values.get(found.group(0)), "quality_docs", str(path), 1)
                    path.unlink()

    def _blank_requests(self, requests: list[Request]) -> None:
        """Keep the request (id, time, hashes in privacy.erasure_requests), not its
        identifiers."""
        if not requests:
            return
        # Logged, so that the warehouse rewrite (cdp.privacy.compaction) also drops the
        # blanked bytes, even when the request reached no record.
        for request_id, rows in self.con.execute(
            """select trim(request_id), count(*) from raw.privacy__erasure_requests
            where trim(request_id) in (select unnest(?)) group by all""",
            [[r.request_id for r in requests]],
        ).fetchall():
            self._add(request_id, "requests", "raw.privacy__erasure_requests", rows)
        self.con.execute(
            """update raw.privacy__erasure_requests
            set email = null, phone = null, account_id = null
            where trim(request_id) in (select unnest(?))""",
            [[r.request_id for r in requests]],
        )

    def _add(self, request_id: str | None, layer: str, relation: str, rows: int) -> None:
        if rows:
            self.report.removed_by_request[(request_id or "", layer, relation)] += rows

    def _write_log(self) -> None:
        rows = [
            (self.run_id, self.now, request_id or None, layer, relation, count, NOTES.get(layer))
            for (request_id, layer, relation), count in sorted(
                self.report.removed_by_request.items()
            )
        ]
        insert_rows(self.con, f"{SCHEMA}.erasure_log", rows)  # a backlog logs tens of thousands


@dataclass
class ErasureRound:
    """One purge after identity, and the rebuild of staging and identity that followed it."""

    report: ErasureReport
    rebuild_seconds: float | None = None  # None: raw did not change, nothing was rebuilt

    @property
    def raw_rows(self) -> int:
        return self.report.by_layer().get("raw", 0)


def complete_erasure(
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    rebuild: Callable[[], None],
    key: bytes,
    run_id: str,
    *,
    exports_dir: Path | None = None,
    doc_dirs: tuple[Path, ...] = (),
    log: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
    max_rounds: int = MAX_ROUNDS,
) -> list[ErasureRound]:
    """The purge after identity: new requests, and the whole suppression list, resolved
    through the identity that dbt built in this run, repeated while it reaches records of an
    erased person that are still there.

    Each round is one ``Purge`` on a connection of its own. When it changed raw (rows
    removed, or requests whose identifiers were blanked, which staging copies), the
    connection is closed (DuckDB takes one writer process at a time) and ``rebuild`` rebuilds
    staging and identity from raw; the next round resolves again through the rebuilt
    identity. The erasure is complete after a round that removes no raw row. ``log`` gets a
    line per round, ``progress`` (by default ``log``) a line per step of each purge. When round
    ``max_rounds`` still removed some, the layers are rebuilt from raw and
    ``ErasureIncomplete`` is raised."""
    rounds: list[ErasureRound] = []
    for number in range(1, max_rounds + 1):
        with connect() as con:
            purge = Purge(
                con, key, run_id, exports_dir=exports_dir, doc_dirs=doc_dirs, log=progress or log
            )
            current = ErasureRound(purge.run())
        rounds.append(current)
        report = current.report
        log(
            f"erasure round {number}: {report.requests} new request(s), {report.customers} "
            f"customer(s) and {report.records} record(s) resolved through identity, "
            f"{current.raw_rows} raw row(s) removed in {report.seconds:.1f} s"
        )
        if not current.raw_rows and not report.requests:
            return rounds
        started = time.monotonic()
        rebuild()
        current.rebuild_seconds = time.monotonic() - started
        log(
            f"erasure round {number}: staging and identity rebuilt from raw in "
            f"{current.rebuild_seconds:.1f} s"
        )
        if not current.raw_rows:  # only identifiers of requests blanked: identity is the same
            return rounds
    raise ErasureIncomplete(
        f"the erasure is not complete after {max_rounds} rounds of purge and rebuild: each "
        "rebuilt identity still reached records of erased people (raw rows removed per round: "
        f"{[r.raw_rows for r in rounds]}). Staging and identity hold what remains in raw; the "
        "next run continues through the suppression list. See privacy.erasure_log for this "
        "run: a chain that does not end usually means identifiers shared with other people."
    )


def purge_before_dbt(
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    run_id: str,
    policy: RetentionPolicy,
    *,
    exports_dir: Path | None = None,
    doc_dirs: tuple[Path, ...] = (),
    log: Callable[[str], None] = print,
) -> tuple[ErasureReport, dict[str, int]]:
    """The purge after the raw loads, before dbt reads raw: the rows of erased people an export
    delivered again (``Purge(..., before_dbt=True)``), then retention. Returns the erasure's
    report and the rows retention removed per relation."""
    report = Purge(
        con, key, run_id, exports_dir=exports_dir, doc_dirs=doc_dirs, log=log, before_dbt=True
    ).run()
    return report, apply_retention(con, policy, run_id, log=log)


def removed_by_layer(rounds: list[ErasureRound]) -> dict[str, int]:
    """The rows the erasure's rounds removed, summed per layer."""
    removed: dict[str, int] = {}
    for erasure_round in rounds:
        for layer, rows in erasure_round.report.by_layer().items():
            removed[layer] = removed.get(layer, 0) + rows
    return removed
