"""Export dates as Dagster partitions: one partition per day a source delivered a complete
folder. The sensor (and ``python -m orchestration.run``) add the dates they find; a partition
of a raw-load asset loads that day's folder of its file type, and nothing else."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg

from cdp.ingest.landing import folder_export_date, is_complete
from cdp.sources import SOURCE_FILES

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
    """Every complete export folder of a known source, oldest first."""
    found = []
    for source in sorted({spec.source for spec in SOURCE_FILES}):
        source_dir = landing_dir / source
        if not source_dir.is_dir():
            continue
        for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()):
            day = folder_export_date(folder)
            if day is not None and is_complete(folder):
                found.append(CompleteFolder(source, day, _fingerprint(folder)))
    return sorted(found, key=lambda f: (f.export_date, f.source))


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
