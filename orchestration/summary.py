"""The closing summary of a pipeline run, read from the run's own events.

``make run`` ends with it: the run's status, what the loads took in and set aside, the
profiles built, every check (dbt tests and Great Expectations) passed, warned or failed with
each warning explained, the audiences exported, where the docs and reports are, and the
commands to try next. Everything comes from what the run recorded in Dagster (materializations
and asset-check evaluations with their metadata) and from the dbt manifest (what each test
means), so the summary says what the run did, not what a separate query finds afterwards.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from cdp import registry
from cdp.config import Settings

GX_CHECK = "great_expectations"
WIDTH = 96
RULE = "-" * WIDTH


@dataclass
class Checks:
    """Counts of one kind of check in one run, and the names of those that did not pass."""

    passed: int = 0
    warned: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def line(self, noun: str) -> str:
        total = self.passed + len(self.warned) + len(self.failed)
        return (
            f"{total:,} {noun}: {self.passed:,} passed, {len(self.warned):,} warned, "
            f"{len(self.failed):,} failed"
        )


@dataclass
class RunSummary:
    """What one run did, from its events."""

    run_id: str
    status: str
    seconds: float | None
    partitions: str | None
    files_loaded: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_held_back: int = 0  # of erased people, never written (cdp.privacy.holdback)
    files_failed: int = 0
    models_built: int = 0
    profiles: int | None = None
    source_records: int | None = None
    dbt_tests: Checks = field(default_factory=Checks)
    expectations: Checks = field(default_factory=Checks)
    audiences: int | None = None
    people_exported: int | None = None
    exports_dir: str | None = None
    site: str | None = None
    # the warehouse file's rewrite (privacy/warehouse_compacted): done, or what waits for it
    compacted: bool | None = None
    compaction_pending: int = 0
    compaction_due_by: str | None = None
    failed_steps: list[str] = field(default_factory=list)
    failing_rows: dict[str, int] = field(default_factory=dict)  # dbt test -> rows


def _value(metadata: Mapping[str, Any], key: str) -> Any:
    entry = metadata.get(key)
    return getattr(entry, "value", entry)


def _events(instance: dg.DagsterInstance, run_id: str) -> Iterable[dg.DagsterEvent]:
    types = {
        dg.DagsterEventType.ASSET_MATERIALIZATION,
        dg.DagsterEventType.ASSET_CHECK_EVALUATION,
        dg.DagsterEventType.STEP_FAILURE,
    }
    cursor = None
    while True:
        page = instance.get_records_for_run(run_id, cursor=cursor, of_type=types, limit=1000)
        for record in page.records:
            if record.event_log_entry.dagster_event is not None:
                yield record.event_log_entry.dagster_event
        if not page.has_more:
            return
        cursor = page.cursor


def summarize(instance: dg.DagsterInstance, run_id: str) -> RunSummary:
    """The summary of run ``run_id`` from what it recorded."""
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        raise ValueError(f"no run {run_id} in {instance.root_directory}")
    run = record.dagster_run
    seconds = record.end_time - record.start_time if record.start_time and record.end_time else None
    tags = run.tags
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    partitions = tags.get("dagster/partition") or (f"{start} to {end}" if start else None)
    summary = RunSummary(run_id, run.status.value, seconds, partitions)
    seen: set[dg.AssetKey] = set()
    for event in _events(instance, run_id):
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            summary.failed_steps.append(event.step_key or "?")
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.step_materialization_data.materialization
            # a load of many export dates reports the same counts on each date's partition
            if materialization.asset_key not in seen:
                seen.add(materialization.asset_key)
                _materialized(summary, materialization)
        else:
            _checked(summary, event.event_specific_data)
    return summary


def _materialized(summary: RunSummary, materialization: dg.AssetMaterialization) -> None:
    metadata = materialization.metadata
    path = materialization.asset_key.path
    if "rows_loaded" in metadata:  # a raw load
        summary.files_loaded += _value(metadata, "files_loaded") or 0
        summary.rows_loaded += _value(metadata, "rows_loaded") or 0
        summary.rows_rejected += _value(metadata, "rows_rejected") or 0
        summary.rows_held_back += _value(metadata, "rows_held_back") or 0
        summary.files_failed += _value(metadata, "files_failed") or 0
    elif "unique_id" in metadata:  # a dbt model or seed
        summary.models_built += 1
        unique_id = _value(metadata, "unique_id")
        rows = _value(metadata, "dagster/row_count")
        if unique_id == "model.cdp.customer_profiles":
            summary.profiles = rows
        elif unique_id == "model.cdp.customer_source_records":
            summary.source_records = rows
    elif path == ["activation", "audience_exports"]:
        summary.audiences = _value(metadata, "segments")
        summary.people_exported = _value(metadata, "dagster/row_count")
        summary.exports_dir = _value(metadata, "exports_dir")
    elif path == ["quality", "site"]:
        summary.site = _value(metadata, "index")
    elif path == ["privacy", "warehouse_compacted"]:
        summary.compacted = bool(_value(metadata, "compacted"))
        summary.compaction_pending = _value(metadata, "pending_erasure_entries") or 0
        summary.compaction_due_by = _value(metadata, "due_by")


def _checked(summary: RunSummary, evaluation: Any) -> None:
    metadata = evaluation.metadata
    warn = evaluation.severity == dg.AssetCheckSeverity.WARN
    if evaluation.check_name == GX_CHECK:
        # one evaluation per suite; count its expectations
        run = _value(metadata, "checks_run") or 0
        errors = _value(metadata, "checks_failed_error") or 0
        warnings = _value(metadata, "checks_failed_warn") or 0
        suite = ".".join(evaluation.asset_key.path)
        summary.expectations.passed += run - errors - warnings
        summary.expectations.warned += [suite] * warnings
        summary.expectations.failed += [suite] * errors
        return
    unique_id = _value(metadata, "unique_id") or evaluation.check_name
    if evaluation.passed:
        summary.dbt_tests.passed += 1
    elif warn:
        summary.dbt_tests.warned.append(unique_id)
    else:
        summary.dbt_tests.failed.append(unique_id)
    rows = _value(metadata, "dagster_dbt/failed_row_count")
    if not evaluation.passed and rows is not None:
        summary.failing_rows[unique_id] = rows


def dbt_test_explanations(manifest: Path = registry.MANIFEST) -> dict[str, str]:
    """Each dbt test's description (what a warning of it means), by unique id."""
    try:
        nodes = registry.load_manifest(manifest)["nodes"]
    except (OSError, ValueError, KeyError):  # a missing manifest is a RegistryError (ValueError)
        return {}
    return {
        unique_id: " ".join(node["description"].split())
        for unique_id, node in nodes.items()
        if node.get("resource_type") == "test" and node.get("description")
    }


def _test_name(unique_id: str) -> str:
    # test.cdp.<name>.<hash>
    parts = unique_id.split(".")
    return parts[2] if len(parts) >= 4 and parts[0] == "test" else unique_id


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def summary_lines(
    summary: RunSummary, settings: Settings, explanations: Mapping[str, str]
) -> list[str]:
    """The summary as the console shows it."""
    ok = summary.status == "SUCCESS"
    lines = [
        RULE,
        f"daily_pipeline {summary.status.lower()} in {_duration(summary.seconds)} "
        f"(run {summary.run_id[:8]}, export dates {summary.partitions or '-'})",
        f"  loaded      {summary.rows_loaded:,} rows from {summary.files_loaded:,} new files; "
        f"{summary.rows_rejected:,} rows set aside (raw._rejects)"
        + (
            f"; {summary.rows_held_back:,} held back (they name erased people)"
            if summary.rows_held_back
            else ""
        )
        + (f"; {summary.files_failed} files failed" if summary.files_failed else ""),
        f"  profiles    {_count(summary.profiles)} customer profiles from "
        f"{_count(summary.source_records)} source records ({summary.models_built} dbt models "
        "built)",
        f"  checks      {summary.dbt_tests.line('dbt tests')}",
        f"              {summary.expectations.line('quality expectations')}",
    ]
    for label, names in (
        ("failed", summary.dbt_tests.failed),
        ("warned", summary.dbt_tests.warned),
    ):
        for unique_id in names:
            rows = summary.failing_rows.get(unique_id)
            lines.append(
                f"    {label}: {_test_name(unique_id)}"
                + (f" ({rows:,} rows)" if rows is not None else "")
            )
            if unique_id in explanations:
                lines += textwrap.wrap(explanations[unique_id], WIDTH, initial_indent=" " * 6,
                                       subsequent_indent=" " * 6)  # fmt: skip
    for label, suites in (
        ("failed", summary.expectations.failed),
        ("warned", summary.expectations.warned),
    ):
        for suite in sorted(set(suites)):
            lines.append(
                f"    {label}: {suites.count(suite)} expectation(s) of {suite} "
                "(the quality overview says which)"
            )
    if summary.audiences is not None:
        lines.append(
            f"  audiences   {summary.people_exported:,} people exported in "
            f"{summary.audiences} audiences ({summary.exports_dir})"
        )
    if summary.compacted:
        lines.append(
            f"  privacy     warehouse file rewritten without the freed bytes of erased people "
            f"({summary.compaction_pending:,} erasure-log entries)"
        )
    elif summary.compaction_pending:
        lines.append(
            f"  privacy     {summary.compaction_pending:,} erasure-log entries: their freed bytes "
            f"leave the warehouse file by {summary.compaction_due_by} (CDP_COMPACTION_DAYS)"
        )
    if summary.failed_steps:
        lines.append(f"  failed      {', '.join(summary.failed_steps)}")
        lines.append(f"  reports     {settings.reports_dir} (one per failed run)")
    docs = summary.site or str(settings.docs_dir / "index.html")
    lines += [
        f"  docs        {docs}",
        "  next        make docs      serve the docs site, dbt docs too, on http://127.0.0.1:8080",
        "              make ui        the run, its assets and every check in the Dagster UI",
        "              make customer  one customer at a glance on http://127.0.0.1:8081",
        "              make eval      how well identity did against the sample's truth",
    ]
    if not ok:
        lines.insert(2, "  the run did not finish: see the failed steps below and the log above")
    lines.append(RULE)
    return lines
