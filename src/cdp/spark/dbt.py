"""dbt on the platform's Spark session: ``cdp-dbt-spark <dbt arguments>`` (what ``dbt`` is on
the DuckDB engine).

dbt-spark's ``method: session`` runs each statement on the process's active Spark session.
This command starts that session first (``cdp.spark.session``: the catalog, the settings and
the platform's Python functions), so every model sees the same functions as on DuckDB, then
hands its arguments to dbt.

dbt-spark submits Python models only to Databricks. Here they run in this process, on the same
session: a ``session`` submission method (the default of ``CDP_ENGINE=spark``) executes the
model's compiled code with ``spark`` bound to it, exactly as a Databricks cluster would; on
Databricks the project's Python models run unchanged with dbt-spark's own methods.
"""

from __future__ import annotations

import sys
from typing import Any


def _session_helper() -> type:
    from dbt.adapters.base import PythonJobHelper

    from cdp.spark.session import get_session

    class SessionPythonJobHelper(PythonJobHelper):
        """Runs a Python model's compiled code on this process's Spark session."""

        def __init__(self, parsed_model: dict, credentials: Any) -> None:
            self.parsed_model = parsed_model

        def submit(self, compiled_code: str) -> Any:
            scope: dict[str, Any] = {"spark": get_session(), "__name__": "__dbt_model__"}
            source = self.parsed_model.get("original_file_path", "<model>")
            exec(compile(compiled_code, source, "exec"), scope)  # noqa: S102
            return None

    return SessionPythonJobHelper


def enable_session_python_models() -> None:
    """Give dbt-spark the ``session`` submission method, and make it the default."""
    from dbt.adapters.spark.impl import SparkAdapter

    helpers = SparkAdapter.python_submission_helpers.fget  # type: ignore[attr-defined]
    helper = _session_helper()

    def python_submission_helpers(self: SparkAdapter) -> dict[str, type]:
        return {**helpers(self), "session": helper}

    SparkAdapter.python_submission_helpers = property(python_submission_helpers)  # type: ignore[assignment]
    SparkAdapter.default_python_submission_method = property(lambda self: "session")  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    from dbt.cli.main import dbtRunner

    from cdp.spark.session import get_session

    get_session()
    enable_session_python_models()
    result = dbtRunner().invoke(list(sys.argv[1:] if argv is None else argv))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        print(f"dbt failed: {result.exception}", file=sys.stderr)
        return 2
    return 0 if result.success else 1


def run() -> None:
    """The ``cdp-dbt-spark`` command."""
    from cdp.spark.session import exit_process

    exit_process(main())


if __name__ == "__main__":
    run()
