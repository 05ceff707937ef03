"""The warehouse every dbt test module shares: generated exports, loaded, then `dbt build`."""

from __future__ import annotations

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT
from cdp.ingest.loader import load_landing_zone
from cdp.sources import SOURCE_FILES


@pytest.fixture(scope="session")
def built_warehouse(generated, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("dbt") / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    load_landing_zone(con, generated / "landing", SOURCE_FILES, log=lambda _m: None)
    con.close()
    mp = pytest.MonkeyPatch()
    mp.setenv("CDP_WAREHOUSE", str(warehouse))
    result = dbtRunner().invoke(
        [
            "build",
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(PROJECT_ROOT),
            "--target-path", str(tmp_path_factory.mktemp("dbt_target")),
            "--quiet",
        ]
    )  # fmt: skip
    mp.undo()
    return warehouse, result
