"""Export dates as Dagster partitions: one partition per day a source delivered a complete
folder. The sensor, the schedule and ``python -m orchestration.run`` add the dates they find;
a partition of a raw-load asset loads that day's folder of its file type, and nothing else.

Dagster orders dynamic partitions by when they were added, not by date: a folder that arrives
late (or dated before the oldest one) is added last. So a run never names "the first to the
last date"; it asks for the partitions of the folders that are new or changed
(:func:`plan_loads`), and a range over them taken in Dagster's own order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb

from cdp.duckdb_budget import connect
from cdp.ingest.landing import pending_deliveries, survey
from cdp.ingest.loader import loaded_files

export_dates = dg.DynamicPartitionsDefinition(name="export_date")


@dataclass(frozen=True)
class CompleteFolder:
    """A complete export folder, ``<source>/<YYYY-MM-DD>``, and a fingerprint of what it holds
    (file names, sizes and modification times): a re-delivery changes the fingerprint."""

    source: str
    export_date: date
    fingerprint: str

    @property
    def key(self) -> str:
        return f"{self.source}/{self.export_date.isoformat()}"


def complete_folders(landing_dir: Path) -> list[CompleteFolder]:
    """Every complete export folder of a known source that the loads would take (see
    ``cdp.ingest.landing.discover``), oldest first."""
    folders = {
        (delivery.spec.source, delivery.export_date): delivery.path.parent
        for delivery in survey(landing_dir).deliveries
    }
    return sorted(
        (
            CompleteFolder(source, day, _fingerprint(path))
            for (source, day), path in folders.items()
        ),
        key=lambda f: (f.export_date, f.source),
    )


def _fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def partition_keys(folders: Iterable[CompleteFolder]) -> list[str]:
    """The export dates of ``folders`` as partition keys, oldest first."""
    return sorted({f.export_date.isoformat() for f in folders})


def register_export_dates(instance: dg.DagsterInstance, keys: list[str]) -> list[str]:
    """Add the export dates not yet known as partitions; returns the ones added."""
    known = set(instance.get_dynamic_partitions(export_dates.name))
    new = [key for key in keys if key not in known]
    if new:
        instance.add_dynamic_partitions(export_dates.name, new)
    return new


@dataclass
class LoadPlan:
    """What a run loads: the export dates with a file not yet loaded as it is now, and the
    partition range (in Dagster's order) that covers them."""

    dates: list[str]  # every complete export date
    new_dates: list[str]  # registered by this plan
    pending: list[str] = field(default_factory=list)  # files to load, relative paths
    range_start: str | None = None
    range_end: str | None = None
    not_loaded: list[str] = field(default_factory=list)  # what is there but not loaded, and why

    @property
    def pending_dates(self) -> list[str]:
        return sorted({path.split("/")[1] for path in self.pending})

    @property
    def tags(self) -> dict[str, str]:
        return {
            "dagster/asset_partition_range_start": self.range_start or "",
            "dagster/asset_partition_range_end": self.range_end or "",
        }

    def describe(self) -> list[str]:
        """Lines for a person: what will be loaded and what is there but will not be."""
        pending = self.pending_dates
        if len(pending) > 5:
            where = f" from {len(pending)} export dates ({pending[0]} to {pending[-1]})"
        else:
            where = f" from {', '.join(pending)}" if pending else ""
        return [
            f"export dates: {len(self.dates)} ({self.dates[0]} to {self.dates[-1]}), "
            f"{len(self.new_dates)} new; {len(self.pending)} file(s) to load{where}",
            *self.not_loaded,
        ]


def warehouse_loaded_files(warehouse: Path) -> dict[str, tuple[int, datetime]] | None:
    """``source_file -> (size, loaded_at)`` of every file the manifest holds as loaded (or as a
    duplicate, ``cdp.ingest.loader.loaded_files``); None when the warehouse cannot be read
    now."""
    if not warehouse.exists():
        return {}
    try:
        con = connect(str(warehouse), read_only=True)
    except duckdb.Error:  # another process writes it: plan as if nothing were known
        return None
    try:
        return loaded_files(con)
    finally:
        con.close()


def plan_loads(instance: dg.DagsterInstance, landing_dir: Path, warehouse: Path) -> LoadPlan:
    """Register every complete export date and find the files that are new, changed (another
    size, or modified after their load) or failed before; the range covers their dates in the
    order Dagster keeps the partitions. With nothing to load, the range is the newest
    registered partition (its loads find nothing to do)."""
    found = survey(landing_dir)
    deliveries = found.deliveries
    dates = sorted({d.export_date.isoformat() for d in deliveries})
    new_dates = register_export_dates(instance, dates) if dates else []
    plan = LoadPlan(dates, new_dates, not_loaded=found.notices())
    for delivery in pending_deliveries(deliveries, warehouse_loaded_files(warehouse)):
        plan.pending.append(delivery.relative_path)
    order = instance.get_dynamic_partitions(export_dates.name)
    wanted = set(plan.pending_dates)
    positions = [i for i, key in enumerate(order) if key in wanted]
    if positions:
        plan.range_start, plan.range_end = order[min(positions)], order[max(positions)]
    elif order:
        plan.range_start = plan.range_end = order[-1]
    return plan
