"""The landing zone against the load manifest: is every complete folder loaded?

A run loads the folders that are new or changed. This is the check that nothing fell between
the cracks: every file of every complete export folder must have its row in
``raw._load_manifest`` as loaded (or as a re-sent duplicate). A file whose last load failed
is named with the last export date of its source that did load, since the platform keeps
building on that source's last good data until the file is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cdp.ingest.landing import survey
from cdp.ingest.loader import RAW_SCHEMA, ensure_tables
from cdp.sources import SOURCE_FILES


@dataclass
class Reconciliation:
    files: int = 0
    not_loaded: list[str] = field(default_factory=list)  # no manifest row at all
    failed: dict[str, str] = field(default_factory=dict)  # file -> the error of its last load
    last_good: dict[str, str | None] = field(default_factory=dict)  # source -> newest loaded day
    refused: dict[str, list[str]] = field(default_factory=dict)
    unknown_sources: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # what is there but not loaded, and why

    @property
    def problems(self) -> bool:
        return bool(self.not_loaded or self.failed)

    def failure_message(self) -> str:
        parts = []
        if self.failed:
            parts.append(
                f"{len(self.failed)} file(s) could not be loaded: "
                + "; ".join(f"{path} ({error})" for path, error in sorted(self.failed.items()))
            )
        if self.not_loaded:
            parts.append(
                f"{len(self.not_loaded)} file(s) of complete folders were never loaded: "
                + ", ".join(self.not_loaded)
                + " (run the loads of their export dates)"
            )
        if self.last_good:
            parts.append(
                "The pipeline was built on the last good data of "
                + ", ".join(
                    f"raw.{table} (newest export loaded: {day or 'none'})"
                    for table, day in sorted(self.last_good.items())
                )
            )
        return ". ".join(parts) + "."


def reconcile_landing_zone(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> Reconciliation:
    ensure_tables(con)
    manifest = {
        path: (status, error)
        for path, status, error in con.execute(
            f"select source_file, status, error from {RAW_SCHEMA}._load_manifest"
        ).fetchall()
    }
    found = survey(landing_dir)
    result = Reconciliation(
        refused=found.refused(), unknown_sources=found.unknown_sources, notices=found.notices()
    )
    for spec, discovery in zip(SOURCE_FILES, found.discoveries, strict=True):
        stale = False
        for delivery in discovery.deliveries:
            result.files += 1
            status, error = manifest.get(delivery.relative_path, (None, None))
            if status is None:
                result.not_loaded.append(delivery.relative_path)
                stale = True
            elif status == "failed":
                result.failed[delivery.relative_path] = error or "unreadable"
                stale = True
        if stale:
            newest = con.execute(
                f"""select max(export_date) from {RAW_SCHEMA}._load_manifest
                    where source = ? and entity = ? and status = 'loaded'""",
                [spec.source, spec.entity],
            ).fetchall()[0][0]
            result.last_good[spec.table] = newest.isoformat() if newest else None
    return result
