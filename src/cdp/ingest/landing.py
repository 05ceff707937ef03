"""The landing zone: which export folders are complete, and which files they deliver."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from cdp.sources import SourceFile

SUCCESS_MARKER = "_SUCCESS"


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


def discover(landing_dir: Path, spec: SourceFile) -> Discovery:
    """List the deliveries of ``spec`` in complete folders, oldest export first.

    A folder without ``_SUCCESS`` is still being written and is left alone; a folder whose
    name is not a ``YYYY-MM-DD`` date is not an export and is reported, not loaded.
    A source with no folder yet has no deliveries: that is not an error.
    """
    found = Discovery()
    source_dir = landing_dir / spec.source
    if not source_dir.is_dir():
        return found
    for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        rel_folder = f"{spec.source}/{folder.name}"
        export_date = folder_export_date(folder)
        if export_date is None:
            found.unrecognised_folders.append(rel_folder)
            continue
        if not is_complete(folder):
            found.incomplete_folders.append(rel_folder)
            continue
        path = folder / spec.filename
        if not path.is_file():
            found.folders_without_file.append(rel_folder)
            continue
        found.deliveries.append(Delivery(spec, path, f"{rel_folder}/{spec.filename}", export_date))
    return found


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


def file_checksum(path: Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks so large exports take no memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
