"""Rows of erased people held back at their load, so that they are never written again.

Sources keep delivering people who asked to be erased: a CRM snapshot still lists the contact,
an old export is sent again. The purge before dbt would find those rows (they name an
identifier on the suppression list) and delete them, but a row deleted from the warehouse file
leaves its bytes in freed blocks until the file is rewritten (``cdp.privacy.compaction``), so
each such run would make a rewrite of the whole file due.

A load given a ``LoadSuppression`` checks each file's rows inside the file's transaction,
before they are written: a row goes no further when one of the columns that name a person
(``names_person`` in the sources YAML, as for the purge) hashes to an identifier or key on
the suppression list (not to a value listed as ``written``, which names no one erased: see
``cdp.privacy.erasure``). Keys that are the person's alone (``expands``: a browser id, an
order id) on a held-back row hold back the file's other rows that carry them, and remove the
rows already in raw that carry them (logged under layer ``raw``: those were written), as the
purge follows them.
Rejected lines that name a suppressed identifier are held back from ``raw._rejects`` too.

What is held back is counted as loaded and removed: in ``raw._removed_rows`` (reason
``erasure``), so the file still reconciles with its manifest, and in ``privacy.erasure_log``
(layer ``load``). The keys of the person's alone on the rows held back join the suppression
list under their kind, so the rows of a later file that carry them (the lines of a held-back
order) are held back too, and the purge before dbt, which still checks every row loaded since
the previous purge, removes those of a file loaded before. Their other values join it as
``written``, which holds back nothing. Only that purge's removals leave freed bytes that a
compaction must remove.

The comparison runs on keyed hashes in the load's connection, over a temporary view of the
file's rows (``_candidate``, in the raw table's columns); the record numbers held back go into
a temporary table (``_held``), and the load writes the other rows and checks that every row
read was written or held back. The load drops both after the file.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import duckdb

from cdp.ingest.landing import Delivery
from cdp.ingest.loader import remove_raw_rows
from cdp.privacy.erasure import (
    NOTES,
    SCHEMA,
    SUPPRESSING,
    LinesNaming,
    PersonColumns,
    canonical,
    ensure_schema,
    suppress,
)
from cdp.privacy.keys import SUPPRESSION, derive, fingerprint, hmac_sql, load_key
from cdp.warehouse import insert_rows, table_exists

# Rounds of following a held-back row's own keys to the file's other rows, at most (as the
# purge's marking rounds).
MAX_EXPANSIONS = 4


class LoadSuppression:
    """Holds back, file by file, the rows that name an identifier on the suppression list
    (``cdp.ingest.loader.HoldBack``). Made by :meth:`of_warehouse`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        key: bytes,
        run_id: str,
        columns: PersonColumns | None = None,
    ) -> None:
        self.key = derive(key, SUPPRESSION)
        self.fingerprint = fingerprint(key)
        self.run_id = run_id
        self.columns = columns or PersonColumns.from_registry()
        self.lines = LinesNaming(con, self.key)

    @classmethod
    def of_warehouse(
        cls,
        con: duckdb.DuckDBPyConnection,
        run_id: str,
        key: bytes | None = None,
        columns: PersonColumns | None = None,
    ) -> LoadSuppression | None:
        """The hold-back of the warehouse behind ``con``, or None when there is nothing to hold
        back: no privacy key, no suppression list yet, or a list made under another key (the
        purge stops on that, with its reason)."""
        key = key if key is not None else load_key()
        if key is None or not table_exists(con, SCHEMA, "suppression_list"):
            return None
        fingerprints = {
            f for (f,) in con.execute(
                f"select distinct key_fingerprint from {SCHEMA}.suppression_list"
            ).fetchall()
        }  # fmt: skip
        if fingerprints != {fingerprint(key)}:
            return None
        return cls(con, key, run_id, columns)

    def _hmac(self, expression: str) -> str:
        return hmac_sql(expression, self.key)

    def hold_back(
        self, con: duckdb.DuckDBPyConnection, delivery: Delivery, loaded_at: datetime
    ) -> int:
        table = delivery.spec.table
        held = self._mark_rows(con, table)
        rejected = self._held_rejects(con)
        if not held and not rejected:
            return 0
        ensure_schema(con)
        relation = f"raw.{table}"
        if held:
            self._suppress_values(
                con, table, "_candidate as t inner join _held as h using (_row_number)", loaded_at
            )
            self._remove_reached(con, table, loaded_at)
            con.execute(
                f"""insert into {SCHEMA}.erasure_log
                select ?, ?, request_id, 'load', ?, count(*), ? from _held group by request_id""",
                [self.run_id, loaded_at, relation, NOTES["load"]],
            )
            con.execute(
                "insert into raw._removed_rows values (?, ?, ?, 'erasure', ?, ?)",
                [delivery.relative_path, delivery.export_date, relation, held, loaded_at],
            )
        if rejected:
            by_request = Counter(request_id for _row_number, request_id in rejected)
            entry = (self.run_id, loaded_at)
            insert_rows(
                con,
                f"{SCHEMA}.erasure_log",
                [
                    (*entry, request_id, "load", "raw._rejects", count, NOTES["load"])
                    for request_id, count in by_request.items()
                ],
            )
            con.execute(
                "delete from _batch_rejects where row_number in (select unnest(?))",
                [[row_number for row_number, _ in rejected]],
            )
        return held + len(rejected)

    def _mark_rows(self, con: duckdb.DuckDBPyConnection, table: str) -> int:
        """The rows of ``_candidate`` to hold back, with a request each, into ``_held``."""
        matches = self.columns.matches.get(table, ())
        con.execute("create or replace temp table _held (_row_number bigint, request_id varchar)")
        if not matches:
            return 0
        con.execute(
            "insert into _held select _row_number, min(request_id) from ("
            + "\nunion all\n".join(
                f"""select t._row_number, s.request_id
                from _candidate as t inner join {SUPPRESSING} as s
                    on s.identifier_hash = {self._hmac(m.value)}"""
                for m in matches
            )
            + ") group by _row_number"
        )
        expanding = [m for m in matches if m.expands]
        for _round in range(MAX_EXPANSIONS):
            if not expanding:
                break
            keys = "\nunion all\n".join(
                f"""select '{m.kind}' as kind, {m.value} as value, h.request_id
                from _candidate as t inner join _held as h using (_row_number)
                where {m.value} is not null"""
                for m in expanding
            )
            reached = "\nunion all\n".join(
                f"""select t._row_number, k.request_id
                from _candidate as t inner join keys as k
                    on k.kind = '{m.kind}' and k.value = {m.value}"""
                for m in matches
                if m.kind in {e.kind for e in expanding}
            )
            added = con.execute(
                f"""insert into _held
                with keys as ({keys})
                select _row_number, min(request_id) from ({reached})
                where _row_number not in (select _row_number from _held)
                group by _row_number"""
            ).fetchall()[0][0]
            if not added:
                break
        return con.execute("select count(*) from _held").fetchall()[0][0]

    def _remove_reached(self, con: duckdb.DuckDBPyConnection, table: str, at: datetime) -> None:
        """Rows already in raw that carry a key of the person's alone found on a held-back row
        go, as the purge follows such keys: the earlier events of a browser that now signs in
        to an erased person's account, the lines of an order loaded before the order. They
        were written, so they are logged under layer ``raw`` and count for the compaction."""
        expanding = [m for m in self.columns.matches.get(table, ()) if m.expands]
        if not expanding:
            return
        con.execute(
            "create or replace temp table _held_keys as select distinct * from ("
            + "\nunion all\n".join(
                f"""select '{m.kind}' as kind, {m.value} as value, h.request_id
                from _candidate as t inner join _held as h using (_row_number)
                where {m.value} is not null"""
                for m in expanding
            )
            + ")"
        )
        kinds = {m.kind for m in expanding}
        for other, matches in self.columns.matches.items():
            reaching = [m for m in matches if m.may_hold(kinds)]
            if not reaching or not table_exists(con, "raw", other):
                continue
            reached = con.execute(
                """create or replace temp table _reached as
                select _source_file, _row_number, min(request_id) as request_id from ("""
                + "\nunion all\n".join(
                    f"""select t._source_file, t._row_number, k.request_id
                    from raw.{other} as t inner join _held_keys as k
                        on k.kind = {m.row_kind} and k.value = {m.value}"""
                    for m in reaching
                )
                + ") group by _source_file, _row_number"
            ).fetchall()[0][0]
            if not reached:
                continue
            self._suppress_values(
                con,
                other,
                f"""raw.{other} as t inner join _reached as h
                    on t._source_file = h._source_file and t._row_number = h._row_number""",
                at,
            )
            con.execute(
                f"""insert into {SCHEMA}.erasure_log
                select ?, ?, request_id, 'raw', ?, count(*), ? from _reached group by request_id""",
                [self.run_id, at, f"raw.{other}", NOTES["raw"]],
            )
            remove_raw_rows(
                con,
                other,
                """exists (select 1 from _reached as r
                    where r._source_file = removed._source_file
                        and r._row_number = removed._row_number)""",
                "erasure",
                at,
            )

    def _suppress_values(
        self, con: duckdb.DuckDBPyConnection, table: str, rows: str, at: datetime
    ) -> None:
        """The values that the rows ``rows`` (a FROM clause: the row ``t`` of raw table
        ``table``, with ``h.request_id``) have in their person-naming columns join the
        suppression list: the keys that are the person's alone (``expands``: a browser id, an
        order id) under their kind, so that the rows of later files that carry them are held
        back too (the lines of a held-back order); every other value, and the values as
        written, as ``written``, which holds back nothing (as the purge lists the values of
        the rows it removes): a held-back order's e-mail may be the shop's mailbox."""
        matches = self.columns.matches.get(table, ())
        forms = [(e, "written") for e in self.columns.written_forms.get(table, ())]
        forms += [(m.value, m.kind if m.expands else "written") for m in matches]
        values = "\nunion all\n".join(
            f"select {canonical(expression)} as value, '{kind}' as kind, h.request_id from {rows}"
            for expression, kind in forms
        )
        suppressing = suppress(con, f"({values})", self.key, self.fingerprint, at)
        # later files of this load recognise the keys in their rejected lines too
        self.lines.hashes.update(suppressing)

    def _held_rejects(self, con: duckdb.DuckDBPyConnection) -> list[tuple[int, str | None]]:
        """The rejected lines of the file (``_batch_rejects``) that name a suppressed
        identifier, with the request: (record number, request id)."""
        if not self.lines.hashes:
            return []
        held = []
        for row_number, text in con.execute(
            "select row_number, raw_text from _batch_rejects where raw_text is not null"
        ).fetchall():
            named = self.lines.named(text)
            if named is not None:
                held.append((row_number, self.lines.hashes[named]))
        return held
