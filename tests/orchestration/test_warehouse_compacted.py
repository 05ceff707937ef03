"""The last asset of a run, privacy/warehouse_compacted: the warehouse file rewritten when the
freed bytes of an erasure are due to go (``CDP_COMPACTION_DAYS``), left as it is before."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from cdp.duckdb_budget import connect
from orchestration.defs.privacy.assets import warehouse_compacted
from orchestration.resources import DuckDBWarehouse, PrivacyPolicy
from tests.privacy.test_compaction import erased_row_in, log_entry

pytestmark = pytest.mark.integration


@pytest.fixture
def warehouse(tmp_path):
    """A warehouse that deleted a row it had written."""
    path = erased_row_in(tmp_path / "w.duckdb")
    assert b"mario@example.it" in path.read_bytes()  # deleted, its bytes still in the file
    return path


def log_erasure(path, age_days: int) -> None:
    """The erasure of that row, logged ``age_days`` ago."""
    with connect(str(path)) as con:
        log_entry(con, "raw", datetime.now(UTC) - timedelta(days=age_days))


def materialize(path, compaction_days: int) -> dict:
    resources = {
        "warehouse": DuckDBWarehouse(path=str(path)),
        "privacy": PrivacyPolicy(
            exports_dir="exports",
            doc_dirs=[],
            retention_raw_days=730,
            retention_events_days=395,
            compaction_days=compaction_days,
        ),
    }
    with dg.instance_for_test() as instance:
        result = dg.materialize([warehouse_compacted], resources=resources, instance=instance)
    assert result.success
    (event,) = result.get_asset_materialization_events()
    return {
        key: getattr(value, "value", value) for key, value in event.materialization.metadata.items()
    }


def test_an_erasure_of_today_waits_for_its_due_date(warehouse):
    log_erasure(warehouse, age_days=0)
    metadata = materialize(warehouse, compaction_days=7)
    assert metadata["compacted"] is False
    assert metadata["pending_erasure_entries"] == 1
    assert metadata["due_by"] == str(datetime.now(UTC).date() + timedelta(days=7))
    assert b"mario@example.it" in warehouse.read_bytes()  # still in the file


def test_an_erasure_whose_period_ends_before_the_next_night_is_compacted(warehouse):
    log_erasure(warehouse, age_days=6)
    metadata = materialize(warehouse, compaction_days=7)
    assert metadata["compacted"] is True and metadata["dagster/row_count"] == 1
    assert b"mario@example.it" not in warehouse.read_bytes()
    # nothing pending after it: the next run leaves the file as it is
    metadata = materialize(warehouse, compaction_days=7)
    assert metadata["compacted"] is False and metadata["pending_erasure_entries"] == 0


def test_a_period_of_one_day_compacts_in_the_run_that_erased(warehouse):
    log_erasure(warehouse, age_days=0)
    assert materialize(warehouse, compaction_days=1)["compacted"] is True
    assert b"mario@example.it" not in warehouse.read_bytes()
