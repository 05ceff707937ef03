"""The one DuckDB budget: every connection the platform opens gets the same limit, threads and
spill folder from the environment, and a setting DuckDB would not take is refused clearly."""

from __future__ import annotations

import pytest

from cdp.duckdb_budget import DEFAULT_MAX_MEMORY, Budget, BudgetError, connect, machine_memory


def _settings(con) -> tuple[str, int, str]:
    return con.execute(
        "select current_setting('memory_limit'), current_setting('threads'), "
        "current_setting('temp_directory')"
    ).fetchall()[0]


def test_connections_take_the_budget_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CDP_MEMORY_LIMIT", "700MB")
    monkeypatch.setenv("CDP_THREADS", "1")
    monkeypatch.setenv("CDP_TEMP_DIR", str(tmp_path / "spill"))
    con = connect(tmp_path / "w.duckdb")
    memory, threads, temp = _settings(con)
    con.close()
    # DuckDB reports the limit in its own unit (700MB = 667.5 MiB)
    assert memory.endswith("MiB") and 660 < float(memory.split()[0]) < 670
    assert int(threads) == 1
    assert temp == str(tmp_path / "spill")
    assert (tmp_path / "spill").is_dir()


def test_the_default_is_half_the_machine_at_most_three_gigabytes(monkeypatch):
    for name in ("CDP_MEMORY_LIMIT", "CDP_THREADS", "CDP_TEMP_DIR"):
        monkeypatch.delenv(name, raising=False)
    budget = Budget.from_env()
    megabytes = int(budget.memory_limit.removesuffix("MB"))
    assert megabytes == min(machine_memory() // 2, DEFAULT_MAX_MEMORY) // 1024**2
    assert budget.threads >= 1
    assert budget.temp_directory.endswith("data/warehouse/spill")


def test_the_default_spill_folder_is_beside_the_default_warehouse_from_any_folder(
    monkeypatch, tmp_path
):
    """dbt runs in the dbt project's folder: a spill folder relative to the working folder
    would land inside the project."""
    from cdp.config import PROJECT_ROOT

    monkeypatch.delenv("CDP_TEMP_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert Budget.from_env().temp_directory == str(PROJECT_ROOT / "data" / "warehouse" / "spill")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CDP_MEMORY_LIMIT", "lots", "is not a size"),
        ("CDP_THREADS", "two", "is not a whole number"),
        ("CDP_THREADS", "0", "must be at least 1"),
    ],
)
def test_a_setting_duckdb_would_not_take_is_refused_with_its_name(
    monkeypatch, name, value, message
):
    monkeypatch.setenv(name, value)
    with pytest.raises(BudgetError, match=message) as error:
        Budget.from_env()
    assert name in str(error.value)


def test_dbt_opens_the_warehouse_with_the_same_configuration(monkeypatch, tmp_path):
    """The dbt-duckdb plugin puts the budget into dbt's connection configuration, so that
    ``connect`` can open the file dbt holds in the same process."""
    from cdp.duckdb_budget import Plugin

    monkeypatch.setenv("CDP_MEMORY_LIMIT", "500MB")
    monkeypatch.setenv("CDP_TEMP_DIR", str(tmp_path))
    config: dict = {}
    Plugin("budget", {}).update_connection_config(None, config)
    assert config == Budget.from_env().config()
