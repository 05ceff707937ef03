"""``python -m orchestration.run``: the whole pipeline, headless, as ``make run`` runs it.

It registers every complete export folder's date as a partition, then materializes every
asset in one Dagster run over that range: the loads of each file type take the days in order,
then dbt, the quality gates, the audience exports and the site. The run lands in
``$DAGSTER_HOME``, so ``make ui`` shows it with its logs and check results.
"""

from __future__ import annotations

import os
import sys

import dagster as dg

from cdp.config import LandingZoneMissing, Settings, require_landing_dir
from orchestration.defs.ingest.partitions import (
    complete_folders,
    partition_keys,
    register_export_dates,
)


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    try:
        landing = require_landing_dir(settings.landing_dir)
    except LandingZoneMissing as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    keys = partition_keys(complete_folders(landing))
    if not keys:
        print(f"error: no complete export folder in {landing}", file=sys.stderr)
        return 1
    instance = dg.DagsterInstance.get()
    new = register_export_dates(instance, keys)
    print(f"export dates: {keys[0]} to {keys[-1]} ({len(keys)}, {len(new)} new)")
    command = [
        os.path.join(os.path.dirname(sys.executable), "dagster"),
        "asset", "materialize",
        "-m", "orchestration.definitions",
        "--select", "*",
        "--partition-range", f"{keys[0]}...{keys[-1]}",
        *(argv if argv is not None else sys.argv[1:]),
    ]  # fmt: skip
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
