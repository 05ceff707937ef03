"""The landing zone: which export folders are complete, and which files they deliver."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cdp.config import TIMEZONE
from cdp.sources import SOURCE_FILES, SourceFile

SUCCESS_MARKER = "_SUCCESS"


def latest_export_date() -> date:
    """The newest export date a folder can have now: tomorrow in the company's time zone (a
    source in a time zone further east, or the early-morning part of a nightly export, is
    dated a day ahead). A folder dated later is not an export yet."""
    return datetime.now(ZoneInfo(TIMEZONE)).date() + timedelta(days=1)


@dataclass(frozen=True)
class Delivery:
    """One export file in a complete folder."""

    spec: SourceFile
    path: Path
    relative_path: str  # to the landing zone, with forward slashes: the file's lineage name
    export_date: date


@dataclass
class Discovery:
    """What the landing zone holds for one file type."""

    deliveries: list[Delivery] = field(default_factory=list)
    incomplete_folders: list[str] = field(default_factory=list)
    unrecognised_folders: list[str] = field(default_factory=list)
    folders_without_file: list[str] = field(default_factory=list)
    # dated after today (company time): not loaded until that day comes
    future_folders: list[str] = field(default_factory=list)
    # a folder or file that resolves (through a symbolic link) outside the landing zone
    outside_landing_zone: list[str] = field(default_factory=list)

    def refused(self) -> dict[str, list[str]]:
        """Folders that are there but are not loaded, and why: what a person should see."""
        return {
            reason: folders
            for reason, folders in (
                ("no _SUCCESS marker yet (still being written)", self.incomplete_folders),
                ("folder name is not an export date (YYYY-MM-DD)", self.unrecognised_folders),
                ("dated in the future", self.future_folders),
                ("resolves outside the landing zone", self.outside_landing_zone),
            )
            if folders
        }


def discover(landing_dir: Path, spec: SourceFile, latest: date | None = None) -> Discovery:
    """List the deliveries of ``spec`` in complete folders, oldest export first.

    A folder without ``_SUCCESS`` is still being written and is left alone; a folder whose
    name is not a ``YYYY-MM-DD`` date is not an export, a folder dated after ``latest`` (by
    default :func:`latest_export_date`) is not one yet, and a folder or file that a symbolic
    link takes outside the landing zone is not the landing zone's: each is reported, not
    loaded.
    A source with no folder yet has no deliveries: that is not an error.
    """
    found = Discovery()
    latest = latest or latest_export_date()
    root = landing_dir.resolve()
    source_dir = landing_dir / spec.source
    if not source_dir.is_dir():
        return found
    for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        rel_folder = f"{spec.source}/{folder.name}"
        export_date = folder_export_date(folder)
        if export_date is None:
            found.unrecognised_folders.append(rel_folder)
            continue
        if not folder.resolve().is_relative_to(root):
            found.outside_landing_zone.append(rel_folder)
            continue
        if export_date > latest:
            found.future_folders.append(rel_folder)
            continue
        if not is_complete(folder):
            found.incomplete_folders.append(rel_folder)
            continue
        path = folder / spec.filename
        if not path.is_file():
            found.folders_without_file.append(rel_folder)
            continue
        if not path.resolve().is_relative_to(root):
            found.outside_landing_zone.append(f"{rel_folder}/{spec.filename}")
            continue
        found.deliveries.append(Delivery(spec, path, f"{rel_folder}/{spec.filename}", export_date))
    return found


def unknown_sources(landing_dir: Path) -> list[str]:
    """Folders of the landing zone that are no known source: reported, never loaded."""
    known = {spec.source for spec in SOURCE_FILES}
    return sorted(
        p.name
        for p in landing_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in known
    )


def folder_export_date(folder: Path) -> date | None:
    """The export date an export folder is named for, or None when its name is not
    ``YYYY-MM-DD``."""
    if len(folder.name) != 10:  # fromisoformat also takes 20261103
        return None
    try:
        return date.fromisoformat(folder.name)
    except ValueError:
        return None


def is_complete(folder: Path) -> bool:
    """True once the exporter has written ``_SUCCESS``: the folder holds all its files."""
    return (folder / SUCCESS_MARKER).is_file()


def pending_deliveries(
    deliveries: Iterable[Delivery], loaded: Mapping[str, tuple[int, datetime]] | None
) -> list[Delivery]:
    """The deliveries a run must load: never loaded (or failed before), of another size than
    when loaded, or modified after their load. ``loaded`` is the manifest's ``source_file ->
    (size_bytes, loaded_at)`` of the files it holds as loaded (``cdp.ingest.loader.
    loaded_files``); None when it cannot be read, which makes every delivery pending. Only
    these files are read again (the loader then compares their SHA-256 with the manifest's):
    the files of earlier nights cost a ``stat`` each, not a read of all their bytes."""
    pending = []
    for delivery in deliveries:
        seen = None if loaded is None else loaded.get(delivery.relative_path)
        stat = delivery.path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        if seen is None or seen[0] != stat.st_size or modified > seen[1]:
            pending.append(delivery)
    return pending


def file_checksum(path: Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks so large exports take no memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Survey:
    """One reading of the whole landing zone: every file type's discovery, and the folders of
    no known source. The loads' plan, the sensor and the reconciliation all read it."""

    discoveries: list[Discovery]  # in the order of cdp.sources.SOURCE_FILES
    unknown_sources: list[str]

    @property
    def deliveries(self) -> list[Delivery]:
        return [d for discovery in self.discoveries for d in discovery.deliveries]

    def refused(self) -> dict[str, list[str]]:
        """Folders that are there but are not loaded, by reason, each named once."""
        merged: dict[str, list[str]] = {}
        for discovery in self.discoveries:
            for reason, folders in discovery.refused().items():
                known = merged.setdefault(reason, [])
                known += [f for f in folders if f not in known]
        return merged

    def notices(self, shown: int = 5) -> list[str]:
        """A line per reason for what is not loaded, naming at most ``shown`` folders."""

        def named(folders: list[str]) -> str:
            more = len(folders) - shown
            return ", ".join(folders[:shown]) + (f" and {more} more" if more > 0 else "")

        lines = []
        if self.unknown_sources:
            lines.append(
                f"not loaded: unknown source folder(s) {named(self.unknown_sources)} "
                "(the sources are those of cdp.sources)"
            )
        lines += [
            f"not loaded: {reason}: {named(folders)}" for reason, folders in self.refused().items()
        ]
        return lines


def survey(landing_dir: Path) -> Survey:
    return Survey(
        [discover(landing_dir, spec) for spec in SOURCE_FILES], unknown_sources(landing_dir)
    )
