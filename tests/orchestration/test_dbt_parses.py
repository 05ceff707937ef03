"""The parse kept between dbt steps with the same vars (orchestration/dbt_parses.py)."""

import json
import os
from pathlib import Path
from types import SimpleNamespace

from orchestration import dbt_parses as parses


class RecordingDbt:
    """Stands in for the dbt resource: records the target folder each call was given, and
    writes a parse there as dbt would."""

    def __init__(self, parse: bytes) -> None:
        self.parse = parse
        self.started_from: list[bytes | None] = []

    def cli(self, args, context=None, target_path=None, raise_on_error=True):
        target = Path(target_path)
        found = target / parses.PARTIAL_PARSE
        self.started_from.append(found.read_bytes() if found.exists() else None)
        target.mkdir(parents=True, exist_ok=True)
        found.write_bytes(self.parse)
        return SimpleNamespace(target_path=target)


def args(warehouse: str, **variables) -> list[str]:
    return ["build", "--vars", json.dumps({"warehouse": warehouse, **variables})]


def test_a_step_starts_from_the_parse_of_the_last_step_with_the_same_vars(tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    first, second = RecordingDbt(b"parse one"), RecordingDbt(b"parse two")

    invocation = parses.invoke(first, args("/a.duckdb"))
    assert first.started_from == [None]  # nothing kept yet: dagster-dbt's own copy applies
    parses.keep_parse(invocation, args("/a.duckdb"))
    parses.forget_target(invocation.target_path)
    assert not invocation.target_path.exists()

    parses.invoke(second, args("/a.duckdb"))
    parses.invoke(second, args("/b.duckdb"))
    parses.invoke(second, args("/a.duckdb", identity_from_scratch=True))
    assert second.started_from == [b"parse one", None, None]


def test_the_newest_parses_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    dbt = RecordingDbt(b"a parse")
    for n in range(parses.KEEP_PARSES + 3):
        step = args(f"/{n}.duckdb")
        parses.keep_parse(parses.invoke(dbt, step), step)
        os.utime(parses.kept_parse(step), (1_000 + n, 1_000 + n))
    kept = {p.name for p in (tmp_path / "target" / "parses").iterdir()}
    newest = range(3, parses.KEEP_PARSES + 3)
    assert kept == {parses.kept_parse(args(f"/{n}.duckdb")).name for n in newest}


def test_forget_target_leaves_the_project_target_folder_itself(tmp_path, monkeypatch):
    root = tmp_path / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(root))
    (root / "elsewhere").mkdir(parents=True)
    parses.forget_target(root)
    parses.forget_target(tmp_path)
    assert (root / "elsewhere").is_dir()
