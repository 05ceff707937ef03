"""The first build of the small generated sample, made once per test session by the command
``make run`` runs (``python -m orchestration.run``) and shared by the end-to-end tests: the
headless run's own test reads its console and summary, the erasure and incremental tests
continue from a copy of it. A full pipeline run is the slowest thing the suite does; three
modules starting from one saves two of them.

Its delivery holds, beside person A's records, an erasure request naming A by email alone
(``FIRST_BUILD_REQUEST``): identity has to find A's other records for the erasure. Under
pytest-xdist the workers share one build through a file lock: the first to ask builds it, the
other waits for it."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

FIRST_BUILD_REQUEST = "ERQ-TEST-FIRST"
# The generated sample of the build: the same arguments as the `generated` fixture.
PERSONS, DAYS, SEED = 300, 6, 7
# Sources a person can appear in, as the truth names them.
SOURCES = {
    "crm", "shop_account", "shop_order", "web", "newsletter", "subscriptions",
    "surveys_nps", "surveys_preferences", "support", "social",
}  # fmt: skip
# What a pipeline run writes, under the build's folder: (name, is a folder).
OUTPUTS = (
    ("landing", True),
    ("dagster", True),
    ("exports", True),
    ("docs", True),
    ("quality", True),
    ("reports", True),
    ("warehouse.duckdb", False),
    ("warehouse.duckdb.wal", False),
)


def read_truth(truth: Path) -> tuple[dict[str, dict], dict[str, list[tuple[str, str]]]]:
    """(persons by id, each person's (source, record id) pairs) of the generator's truth."""
    with open(truth / "persons.csv", newline="") as f:
        persons = {row["person_id"]: row for row in csv.DictReader(f)}
    records: dict[str, list[tuple[str, str]]] = {}
    with open(truth / "record_person.csv", newline="") as f:
        for row in csv.DictReader(f):
            records.setdefault(row["person_id"], []).append((row["source"], row["record_id"]))
    return persons, records


def landing_text(path: Path) -> str:
    import gzip

    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace")


def already_requested(landing: Path) -> str:
    """The text of every erasure request exported in ``landing``, lower case."""
    return "\n".join(
        landing_text(p).lower() for p in (landing / "privacy").rglob("erasure_requests.csv")
    )


def choose_person(generated: Path, excluding: frozenset[str] = frozenset()):
    """(person, records) of the person with records in the most sources, an email and a
    phone, whom no erasure request of the sample names (other than the persons ``excluding``)."""
    persons, records = read_truth(generated / "truth")
    requested = already_requested(generated / "landing")

    def score(person_id: str) -> int:
        return len({source for source, _ in records.get(person_id, [])} & SOURCES)

    candidates = [
        pid
        for pid, person in persons.items()
        if person["email"]
        and person["phone"]
        and person["email"].lower() not in requested
        and pid not in excluding
    ]
    best = max(candidates, key=lambda pid: (score(pid), len(records.get(pid, [])), pid))
    return persons[best], records[best]


def chosen_persons(generated: Path):
    """(A, B) as (person, records): B is requested later by the erasure test, A in the first
    build's delivery."""
    person_b, records_b = choose_person(generated)
    person_a, records_a = choose_person(generated, excluding=frozenset({person_b["person_id"]}))
    return (person_a, records_a), (person_b, records_b)


def write_folder(landing: Path, source: str, day: str, files: dict[str, bytes]) -> None:
    """A complete export folder ``landing/<source>/<day>`` holding ``files``."""
    folder = landing / source / day
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "_SUCCESS").touch()


def add_request(landing: Path, day: str, line: str) -> None:
    """Add a request to the erasure requests exported on ``day``."""
    path = landing / "privacy" / day / "erasure_requests.csv"
    text = path.read_text() if path.exists() else "request_id,email,phone,account_id,received_at\n"
    body = (text if text.endswith("\n") else text + "\n") + line + "\n"
    write_folder(landing, "privacy", day, {"erasure_requests.csv": body.encode()})


@dataclass(frozen=True)
class RunFolder:
    """A pipeline run whose every folder is under ``root`` (see ``pipeline_env``)."""

    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"


@dataclass(frozen=True)
class FirstBuild(RunFolder):
    """A finished first build: its folder (the layout of `OUTPUTS`), the generated sample
    (landing and truth) it was made from, and what the command printed."""

    generated: Path
    returncode: int
    stdout: str
    stderr: str
    started: float
    seconds: float

    def succeeded(self) -> FirstBuild:
        """This build, if the command succeeded; else an assertion error with its last lines."""
        log = (self.stdout + self.stderr).splitlines()
        assert self.returncode == 0, "the first build failed:\n" + "\n".join(log[-60:])
        return self

    def copy_to(self, folder: Path) -> Path:
        """Everything the run wrote (and its landing), copied with their times into
        ``folder``, where a test can go on running the pipeline; returns ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, is_folder in OUTPUTS:
            source = self.root / name
            if is_folder and source.is_dir():
                shutil.copytree(source, folder / name)
            elif source.is_file():
                shutil.copy2(source, folder / name)
        return folder


def pipeline_env(root: Path) -> dict[str, str]:
    """The environment of a ``make run`` whose every folder is under ``root``."""
    folder = RunFolder(root)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(folder.dagster_home),
        "CDP_LANDING_DIR": str(folder.landing),
        "CDP_WAREHOUSE": str(folder.warehouse),
        "CDP_EXPORTS_DIR": str(root / "exports"),
        "CDP_DOCS_DIR": str(root / "docs"),
        "CDP_QUALITY_DIR": str(root / "quality"),
        "CDP_REPORTS_DIR": str(root / "reports"),
        # the erasure tests search the warehouse file's bytes when the run ends: the file is
        # rewritten in the run that erased (the default, 7 days, is tested on its own)
        "CDP_COMPACTION_DAYS": "1",
    }
    env.pop("CDP_LOG_LEVEL", None)
    return env


def _build(root: Path, end_date) -> FirstBuild:
    from cdp.generator.engine import generate

    generated = root / "generated"
    generate(
        persons=PERSONS, days=DAYS, seed=SEED, out=generated, end_date=end_date, progress=False
    )
    landing = root / "landing"
    shutil.copytree(generated / "landing", landing)
    days = sorted(p.name for p in (landing / "crm").iterdir())
    (person_a, _), _ = chosen_persons(generated)
    # A's request, in the first delivery beside A's records, names A by email only.
    add_request(
        landing, days[0], f"{FIRST_BUILD_REQUEST},{person_a['email']},,,{days[0]}T08:00:00Z"
    )
    (root / "dagster").mkdir()
    from tests.conftest import progress

    progress(f"first build: python -m orchestration.run over {landing}")
    started = time.time() - 1
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.run"],
        env=pipeline_env(root),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    build = FirstBuild(
        root=root,
        generated=generated,
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        started=started,
        seconds=round(time.time() - started, 1),
    )
    progress(f"first build: exit {build.returncode} after {build.seconds:.0f} s")
    record = {k: v for k, v in build.__dict__.items() if k not in ("root", "generated")}
    (root / "first_build.json").write_text(json.dumps(record), encoding="utf-8")
    return build


def first_build(root: Path, end_date) -> FirstBuild:
    """The first build in ``root``, made by whoever asks first (one process at a time)."""
    with FileLock(str(root) + ".lock"):
        done = root / "first_build.json"
        if done.exists():
            record = json.loads(done.read_text(encoding="utf-8"))
            return FirstBuild(root=root, generated=root / "generated", **record)
        if root.exists():  # a build interrupted before it was recorded
            shutil.rmtree(root)
        root.mkdir(parents=True)
        return _build(root, end_date)
