"""Shared fixtures: small landing zones written by hand, and one small generated sample."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import duckdb
import pytest

SAMPLE_END = date(2026, 11, 28)


def write_export(
    landing: Path, source: str, day: str, filename: str, content: str | bytes, complete=True
) -> Path:
    """Drop one export file into ``landing/<source>/<day>/``, with ``_SUCCESS`` if complete."""
    folder = landing / source / day
    folder.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if filename.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path = folder / filename
    path.write_bytes(data)
    if complete:
        (folder / "_SUCCESS").touch()
    return path


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """A small generated data set (landing + truth), made once per test session."""
    from cdp.generator.engine import generate

    out = tmp_path_factory.mktemp("generated")
    generate(persons=300, days=6, seed=7, out=out, end_date=SAMPLE_END, progress=False)
    return out
