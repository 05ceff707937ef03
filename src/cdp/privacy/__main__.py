"""``python -m cdp.privacy ensure-key | purge | log | compact``.

``ensure-key``  make sure a privacy key exists; with none configured, create a local one
                outside the repository and say where (``make run`` does this first)
``purge``       run erasure and retention on the warehouse now, as the pipeline's purge step does
``log``         print the erasure, retention and compaction logs (counts only), and what the
                next compaction is due to remove
``compact``     rewrite the warehouse file with live data only now, whether or not it is due
                (the pipeline rewrites it when ``CDP_COMPACTION_DAYS`` requires)
``shareable OUT.duckdb``  write the pseudonymized schema and the marts without customers into
                a DuckDB file of their own, for analysts without access to personal data
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from cdp.config import Settings
from cdp.duckdb_budget import connect
from cdp.privacy.compaction import compact, copy_shareable, pending_compaction
from cdp.privacy.erasure import Purge, ensure_schema
from cdp.privacy.keys import PrivacyKeyMissing, ensure_key, require_key
from cdp.privacy.retention import DDL as RETENTION_DDL
from cdp.privacy.retention import RetentionPolicy, apply_retention


def _ensure_key() -> int:
    path, created = ensure_key()
    if path is None:
        print("privacy key: from CDP_PRIVACY_KEY")
    elif created:
        print(
            f"privacy key: none was configured, so a new local key was written to {path} "
            "(outside the repository, readable by you only). Keep it: the suppression list "
            "of erased people is hashed with it. In production set CDP_PRIVACY_KEY from a "
            "secret store instead."
        )
    else:
        print(f"privacy key: {path}")
    return 0


def _purge(settings: Settings) -> int:
    try:
        key = require_key()
    except PrivacyKeyMissing as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    with connect(str(settings.warehouse)) as con:
        run_id = f"manual-{uuid.uuid4()}"
        report = Purge(
            con,
            key,
            run_id=run_id,
            exports_dir=settings.exports_dir,
            doc_dirs=settings.rebuilt_doc_dirs,
            log=print,
        ).run()
        retained = apply_retention(
            con,
            RetentionPolicy(settings.retention_raw_days, settings.retention_events_days),
            run_id,
            log=print,
        )
    print(
        f"erasure: {report.requests} request(s), {report.customers} customer(s), "
        f"{report.records} record(s); removed by layer: {report.by_layer() or 'none'}"
    )
    print(f"retention: {retained or 'nothing past the retention periods'}")
    print("the next dbt build drops the erased records from staging, identity and marts")
    return 0


LOGS = (
    (
        "erasure log (time, request, layer, relation, rows removed):",
        "select logged_at, request_id, layer, relation, rows_removed "
        "from privacy.erasure_log order by logged_at, request_id, layer, relation",
    ),
    (
        "retention log (time, relation, rule, cutoff, rows removed):",
        "select logged_at, relation, rule, cutoff, rows_removed "
        "from privacy.retention_log order by logged_at, relation",
    ),
    (
        "compactions (started, finished, erasure entries, bytes before, bytes after):",
        "select started_at, finished_at, erasure_entries, bytes_before, bytes_after "
        "from privacy.compactions order by started_at",
    ),
)


def _log(settings: Settings) -> int:
    with connect(str(settings.warehouse)) as con:
        ensure_schema(con)
        con.execute(RETENTION_DDL)
        for title, sql in LOGS:
            print(title)
            for row in con.execute(sql).fetchall():
                print("  " + "  ".join(str(v) for v in row))
        pending = pending_compaction(con)
    print(f"next compaction: {pending.describe(settings.compaction_days)}")
    return 0


def _compact(settings: Settings) -> int:
    with connect(str(settings.warehouse)) as con:
        pending = pending_compaction(con)
    result = compact(settings.warehouse, run_id=f"manual-{uuid.uuid4()}")
    print(
        f"warehouse rewritten with live data only ({pending.describe(settings.compaction_days)}): "
        f"{result.bytes_before:,} -> {result.bytes_after:,} bytes"
    )
    return 0


def _shareable(settings: Settings, out: str) -> int:
    copied = copy_shareable(settings.warehouse, Path(out))
    for table, rows in copied.items():
        print(f"  {table}: {rows:,} rows")
    print(f"shareable warehouse: {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else ""
    if command == "ensure-key":
        return _ensure_key()
    if command == "purge":
        return _purge(Settings.from_env())
    if command == "log":
        return _log(Settings.from_env())
    if command == "compact":
        return _compact(Settings.from_env())
    if command == "shareable" and len(args) == 2:
        return _shareable(Settings.from_env(), args[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
