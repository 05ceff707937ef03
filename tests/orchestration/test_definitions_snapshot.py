"""The Dagster definitions as text, compared with the snapshot kept beside this test.

Every asset (key, group, kinds, what it depends on), every asset check, every job with the
assets it runs, every schedule and sensor, the resources and the executor, written one per line
and sorted: a change that adds, drops, renames or rewires
one shows in the diff of ``snapshots/definitions.txt`` for review, rather than passing unseen.
After an intended change, ``CDP_UPDATE_SNAPSHOTS=1 pytest`` on this file writes it again:
commit it with the change.
"""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.txt"


def definitions_text() -> str:
    graph = defs.resolve_asset_graph()
    lines = ["# assets: key | group | kinds | depends on"]
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        parents = ", ".join(sorted(p.to_user_string() for p in node.parent_keys))
        lines.append(
            f"{key.to_user_string()} | {node.group_name} | {', '.join(sorted(node.kinds))} "
            f"| {parents}"
        )
    lines.append("# asset checks: asset | check (blocking)")
    for check in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key, k.name)):
        spec = graph.get_check_spec(check)
        lines.append(
            f"{check.asset_key.to_user_string()} | {check.name}"
            + (" (blocking)" if spec.blocking else "")
        )
    lines.append("# jobs: name | assets it runs")
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue
        keys = sorted(k.to_user_string() for k in job.asset_layer.executable_asset_keys)
        lines.append(f"{job.name} | {len(keys)} | {', '.join(keys)}")
    lines.append("# schedules: name | cron | job")
    for schedule in sorted(defs.schedules or [], key=lambda s: s.name):
        lines.append(f"{schedule.name} | {schedule.cron_schedule} | {schedule.job_name}")
    lines.append("# sensors: name | kind | default status")
    for sensor in sorted(defs.sensors or [], key=lambda s: s.name):
        lines.append(
            f"{sensor.name} | {type(sensor).__name__} | {sensor.default_status.value.lower()}"
        )
    lines.append("# resources; executor")
    lines.append(", ".join(sorted((defs.resources or {}).keys())))
    lines.append(defs.executor.name if defs.executor else "(default executor)")
    return "\n".join(lines) + "\n"


def test_the_definitions_match_their_snapshot():
    text = definitions_text()
    if os.environ.get("CDP_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    assert text == expected, (
        "the Dagster definitions changed; review the difference and, if intended, update the "
        "snapshot: CDP_UPDATE_SNAPSHOTS=1 pytest tests/orchestration/test_definitions_snapshot.py"
    )
