"""The engine the platform runs on, chosen by one setting: ``CDP_ENGINE``.

``duckdb`` (the default) is the embedded warehouse file; ``spark`` is Apache Spark through
dbt-spark (``cdp.spark``, README "Scaling out").
"""

from __future__ import annotations

import os

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"


class UnknownEngine(ValueError):
    """CDP_ENGINE names no engine the platform runs on."""


def engine() -> str:
    """The engine named by ``CDP_ENGINE`` (``duckdb`` when unset or empty)."""
    name = (os.environ.get("CDP_ENGINE") or DEFAULT_ENGINE).strip().lower()
    if name not in ENGINES:
        raise UnknownEngine(
            f"CDP_ENGINE={os.environ['CDP_ENGINE']!r} is not an engine of the platform: "
            f"use one of {', '.join(ENGINES)}"
        )
    return name
