"""Shared fixtures: small landing zones written by hand, and one small generated sample."""

from __future__ import annotations

import gzip
import os
from datetime import date
from pathlib import Path

import pytest

from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT
from cdp.duckdb_budget import connect
from cdp.ingest.loader import load_landing_zone
from cdp.sources import SOURCE_FILES

SAMPLE_END = date(2026, 11, 28)
# A privacy key for the tests (keyed hashes, pseudonyms); never the key of a real warehouse.
os.environ.setdefault("CDP_PRIVACY_KEY", "test-privacy-key")


_CONFIG: list = []


def pytest_configure(config):
    _CONFIG.append(config)
    # A test run started in the background (CI) has SIGINT ignored, and Dagster, after each
    # run in process, gives SIGTERM the handler of SIGINT: every process a later test starts
    # (dbt, the generator's pool, a pipeline to be killed) would then ignore SIGTERM. The
    # tests run as the pipeline's own process does (orchestration.run.restore_interrupts).
    from orchestration.run import restore_interrupts

    restore_interrupts()


def progress(message: str) -> None:
    """A progress line of a long test or fixture, on the terminal even while pytest captures
    output (run alone, ``pytest tests/privacy/test_erasure.py`` shows each step; xdist's
    workers keep theirs)."""
    import time
    from contextlib import nullcontext

    config = _CONFIG[-1] if _CONFIG else None
    if config is not None and hasattr(config, "workerinput"):
        return  # an xdist worker: its output is not the terminal's
    capture = config.pluginmanager.getplugin("capturemanager") if config else None
    with capture.global_and_fixture_disabled() if capture else nullcontext():
        print(f"\n[{time.strftime('%H:%M:%S')}] {message}", flush=True)


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


def invoke_dbt(target: Path, *args: str):
    """dbt ``args`` (a command and its selection) on this project in this process, quietly,
    compiling into ``target``; the warehouse is the one ``CDP_WAREHOUSE`` names.

    The project is parsed once per test process and warehouse file name (dbt-duckdb names
    the database after the file, and the parse holds it) and the parse handed to each
    invocation, as dbt's programmatic invocations allow: a full parse is about 4 s, and the
    tests invoke dbt several dozen times."""
    from dbt.cli.main import dbtRunner  # dbt's import is heavy: only the tests that run it pay

    options = [
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(PROJECT_ROOT),
        "--target-path", str(target),
        "--quiet",
    ]  # fmt: skip
    database = Path(os.environ.get("CDP_WAREHOUSE", "warehouse.duckdb")).stem
    if database not in _PARSED:
        parsed = dbtRunner().invoke(["parse", *options])
        assert parsed.success, parsed.exception
        _PARSED[database] = parsed.result
    return dbtRunner(manifest=_PARSED[database]).invoke([*args, *options])


# The dbt project parsed, by database name (invoke_dbt).
_PARSED: dict = {}


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of ``sql`` on the warehouse file, opened read-only for this query alone."""
    con = connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# A test that asks for a dbt-built warehouse is an integration test; tests that run dbt, a
# Dagster job or the pipeline themselves say so with a mark (or their module's `pytestmark`);
# every other test is a unit test, which `make test-fast` runs (`-m unit`).
WAREHOUSE_FIXTURES = frozenset({"built_warehouse", "warehouse_copy"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if WAREHOUSE_FIXTURES & set(getattr(item, "fixturenames", ())) and not (
            item.get_closest_marker("e2e")
        ):
            item.add_marker(pytest.mark.integration)
        if not (item.get_closest_marker("integration") or item.get_closest_marker("e2e")):
            item.add_marker(pytest.mark.unit)
    items[:] = in_module_order(items)


def in_module_order(items: list) -> list:
    """The tests, module by module, in the order the workers take them (`make test` runs
    xdist with `--no-loadscope-reorder`), the longest first:

    1. the module whose test reads the first build itself: its worker starts the build at
       once;
    2. the modules of integration tests (dbt, Dagster jobs), those with the most tests first,
       while the build runs;
    3. the modules that continue from the first build (done by then), the one whose fixtures
       need the next day first (it heads the longest chain: the next day, then its own run);
    4. the unit-test modules, many and short: they fill in while the longest module ends."""
    by_module: dict[str, list] = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::")[0], []).append(item)

    def rank(tests: list) -> tuple[int, int]:
        def needs(fixture: str) -> bool:
            return any(fixture in getattr(t, "fixturenames", ()) for t in tests)

        if any("first_build" in _arguments(t) for t in tests):
            return 0, 0
        if needs("next_day"):
            return 2, 0
        if needs("first_build"):
            return 3, 0
        if any(t.get_closest_marker("integration") for t in tests):
            return 1, -len(tests)
        return 4, -len(tests)

    ordered = sorted(by_module.values(), key=rank)
    return [item for tests in ordered for item in tests]


def _arguments(item) -> tuple[str, ...]:
    function = getattr(item, "function", None)
    if function is None:
        return ()
    import inspect

    return tuple(inspect.signature(function).parameters)


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def con(tmp_path: Path):
    connection = connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """A small generated data set (landing + truth), made once per test session."""
    from cdp.generator.engine import generate

    out = tmp_path_factory.mktemp("generated")
    generate(persons=300, days=6, seed=7, out=out, end_date=SAMPLE_END, progress=False)
    return out


@pytest.fixture(scope="session")
def first_build(tmp_path_factory, worker_id):
    """The sample's first build by `python -m orchestration.run` (tests/first_build.py),
    made once for all the test workers of the session."""
    from tests.first_build import first_build as build

    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    return build(shared / "first_build", SAMPLE_END)


@pytest.fixture(scope="session")
def next_day(first_build, tmp_path_factory, worker_id):
    """The day after the first build, run once for all the test workers of the session
    (tests/next_day.py)."""
    from tests.next_day import next_day as build

    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    return build(shared / "next_day", first_build)


@pytest.fixture(scope="session")
def built_warehouse(generated, tmp_path_factory):
    """The generated sample loaded and built by `dbt build`: (warehouse path, dbt result)."""
    warehouse = tmp_path_factory.mktemp("dbt") / "warehouse.duckdb"
    con = connect(str(warehouse))
    load_landing_zone(con, generated / "landing", SOURCE_FILES, log=lambda _m: None)
    con.close()
    mp = pytest.MonkeyPatch()
    mp.setenv("CDP_WAREHOUSE", str(warehouse))
    result = invoke_dbt(tmp_path_factory.mktemp("dbt_target"), "build")
    mp.undo()
    return warehouse, result


@pytest.fixture
def warehouse_copy(built_warehouse, tmp_path) -> Path:
    """A checkpointed copy of the built warehouse, for a test that changes data."""
    import shutil

    warehouse, _ = built_warehouse
    con = connect(str(warehouse))  # dbt-duckdb still holds it open in this process
    con.execute("checkpoint")
    con.close()
    copy = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, copy)
    return copy


def replace_with_table(con, relation: str, select_sql: str) -> None:
    """Swap a model (view or table) for a table holding ``select_sql``, in which
    ``{relation}`` names the model as it was: a way to break data on purpose."""
    schema, name = relation.split(".")
    is_view = con.execute(
        "select count(*) from duckdb_views() where schema_name = $s and view_name = $n",
        {"s": schema, "n": name},
    ).fetchall()[0][0]
    con.execute(f"create table _broken as {select_sql.format(relation=relation)}")
    con.execute(f"drop {'view' if is_view else 'table'} {relation}")
    con.execute(f"create table {relation} as select * from _broken")
    con.execute("drop table _broken")


def pipeline_resources(tmp_path: Path, warehouse: Path, landing: Path) -> dict:
    """Every resource of the Dagster pipeline, with each folder it writes under ``tmp_path``."""
    from cdp.config import Settings
    from orchestration.resources import default_resources

    return default_resources(
        Settings(
            landing_dir=landing,
            warehouse=warehouse,
            exports_dir=tmp_path / "exports",
            docs_dir=tmp_path / "docs",
            quality_dir=tmp_path / "quality",
            reports_dir=tmp_path / "reports",
            # as in the first build (tests/first_build.py): rewritten in the run that erased
            compaction_days=1,
        )
    )


def run_daily_pipeline(instance, resources: dict, days: list[str]):
    """``daily_pipeline`` in process over the export dates ``days`` (registered first), which
    must succeed; returns its result."""
    from orchestration.definitions import defs
    from orchestration.defs.ingest.partitions import export_dates

    known = set(instance.get_dynamic_partitions(export_dates.name))
    instance.add_dynamic_partitions(export_dates.name, [d for d in days if d not in known])
    result = defs.resolve_job_def("daily_pipeline").execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": days[0],
            "dagster/asset_partition_range_end": days[-1],
        },
        resources=resources,
        raise_on_error=False,
    )
    assert result.success, [
        e.event_specific_data.error.message
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE"
    ]
    return result
