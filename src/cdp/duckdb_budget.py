"""DuckDB's memory budget: one memory limit, thread count and spill folder for every connection
the platform opens (loads, dbt, identity, quality, privacy, exports, benchmarks).

``CDP_MEMORY_LIMIT``  DuckDB's ``memory_limit`` for each database the platform opens (``4GB``,
                      ``1500MB``); default: half the machine's memory, at most 3 GB
``CDP_THREADS``       DuckDB's ``threads``; default: the machine's processors
``CDP_TEMP_DIR``      where DuckDB spills what does not fit (``temp_directory``); default:
                      ``data/warehouse/spill``, beside the default warehouse

Beyond the limit DuckDB spills to the folder rather than failing. A step that works in a
second, private database (the fuzzy matcher) lends it three quarters of the limit and holds its
own database to the rest meanwhile, so one process stays within one limit plus Python's own
objects. dbt applies the budget through this module's dbt-duckdb plugin (``profiles.yml``);
Great Expectations through the connection arguments of its data source; everything else
through ``connect``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

from cdp.config import PROJECT_ROOT

# beside the default warehouse, wherever the process runs (dbt runs in the dbt project's folder)
DEFAULT_TEMP_DIR = PROJECT_ROOT / "data" / "warehouse" / "spill"
#: the largest default limit: the identity step at 1,000,000 persons fits in it with a peak
#: under 4 GB (the fuzzy matcher's own database borrows three quarters of it while it works)
DEFAULT_MAX_MEMORY = 3 * 1024**3

_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*", re.I)


class BudgetError(ValueError):
    """A setting of the budget that DuckDB would not accept."""


def machine_memory() -> int:
    """The machine's physical memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _checked_size(text: str) -> str:
    if not _SIZE.fullmatch(text):
        raise BudgetError(
            f"CDP_MEMORY_LIMIT={text!r} is not a size: write it as DuckDB does, e.g. 4GB or 1500MB"
        )
    return text.strip()


@dataclass(frozen=True)
class Budget:
    memory_limit: str
    threads: int
    temp_directory: str

    @classmethod
    def from_env(cls) -> Budget:
        memory = os.environ.get("CDP_MEMORY_LIMIT") or ""
        if memory:
            memory = _checked_size(memory)
        else:
            memory = f"{min(machine_memory() // 2, DEFAULT_MAX_MEMORY) // 1024**2}MB"
        threads_text = os.environ.get("CDP_THREADS") or ""
        try:
            threads = int(threads_text) if threads_text else (os.cpu_count() or 1)
        except ValueError:
            raise BudgetError(f"CDP_THREADS={threads_text!r} is not a whole number") from None
        if threads < 1:
            raise BudgetError(f"CDP_THREADS={threads} must be at least 1")
        temp = Path(os.environ.get("CDP_TEMP_DIR") or DEFAULT_TEMP_DIR).absolute()
        return cls(memory_limit=memory, threads=threads, temp_directory=str(temp))

    def config(self) -> dict[str, str | int]:
        """The settings as ``duckdb.connect(config=...)`` takes them."""
        Path(self.temp_directory).mkdir(parents=True, exist_ok=True)
        return {
            "memory_limit": self.memory_limit,
            "threads": self.threads,
            "temp_directory": self.temp_directory,
        }


def connect(
    database: str | Path = ":memory:", *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection within the budget."""
    return duckdb.connect(str(database), read_only=read_only, config=Budget.from_env().config())


class Plugin(BasePlugin):
    """dbt-duckdb plugin: dbt opens the warehouse within the budget, with the configuration
    ``connect`` uses (DuckDB refuses a second configuration for a file open in one process)."""

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        config.update(Budget.from_env().config())
