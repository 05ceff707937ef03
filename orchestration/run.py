"""``python -m orchestration.run``: the whole pipeline, headless, as ``make run`` runs it.

It finds every complete export folder, registers the export dates as partitions and works out
which files are new, changed or failed before (``plan_loads``); then it runs the job
``daily_pipeline`` over the partitions that hold them: the loads, dbt, the quality gates, the
audience exports, the site, and last the reconciliation of the landing zone with the load
manifest. The run lands in ``$DAGSTER_HOME``, so ``make ui`` shows it with its logs and checks.
A failed run gets its report (``orchestration/defs/reports.py``). Last it prints the run's
summary (``orchestration.summary``).

The job runs (``dagster.execute_job``) in a child process of its own process group, watched
from here: if that process
dies (killed, out of memory), the processes it started (a ``dbt build``) are stopped and the
run is marked failed. A run left behind by a supervisor that was itself killed is cleaned up
the same way when the next one starts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from cdp.config import LandingZoneMissing, Settings, require_landing_dir
from orchestration.defs.ingest.partitions import plan_loads

JOB = "daily_pipeline"
PIDFILE = "cdp-run.json"
RUN_CONFIG = "cdp-run-config.yaml"
UNFINISHED = (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.QUEUED)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    argv = argv if argv is not None else sys.argv[1:]
    if argv[:1] == ["--execute"]:  # the child process that runs the job
        return execute(Path(argv[1]))
    settings = Settings.from_env()
    try:
        landing = require_landing_dir(settings.landing_dir)
    except LandingZoneMissing as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    instance = dg.DagsterInstance.get()
    pidfile = Path(instance.root_directory) / PIDFILE
    if not clean_up_after_killed_run(instance, pidfile):
        return 1
    plan = plan_loads(instance, landing, settings.warehouse)
    if not plan.dates:
        print(f"error: no complete export folder in {landing}", file=sys.stderr)
        return 1
    for line in plan.describe():
        print(line)
    config = run_config(argv)
    config_file = Path(instance.root_directory) / RUN_CONFIG
    config_file.write_text(json.dumps({"run_config": config, "tags": plan.tags}))
    command = [sys.executable, "-m", "orchestration.run", "--execute", str(config_file)]
    if not sys.stdout.isatty():
        # dbt's colour codes only garble a log file or a CI console
        os.environ.setdefault("DBT_USE_COLORS", "false")
    started = time.time()
    try:
        code = supervise(command, instance, pidfile)
    finally:
        config_file.unlink(missing_ok=True)
    report_failure(instance, since=started)
    print_summary(instance, since=started)
    return code


def daily_pipeline() -> dg.JobDefinition:
    """The job, as the child process rebuilds it from this module."""
    from orchestration.definitions import defs

    return defs.resolve_job_def(JOB)


def execute(config_file: Path) -> int:
    """The child's work: run the job in this process with the run config and tags the parent
    wrote, through Dagster's Python API (the run lands in ``$DAGSTER_HOME`` like any other)."""
    from orchestration import run as this_module  # importable, not ``__main__``

    restore_interrupts()
    spec = json.loads(config_file.read_text())
    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(
            dg.reconstructable(this_module.daily_pipeline),
            instance=instance,
            run_config=spec["run_config"],
            tags=spec["tags"],
        )
    return 0 if result.success else 1


def restore_interrupts() -> None:
    """Python's own SIGINT handler where SIGINT is ignored (a process started from a background
    job in a script, as a scheduler or CI starts it). Dagster gives SIGTERM the handler of
    SIGINT around each run: with SIGINT ignored, SIGTERM would be ignored too, by this process
    and by every process it starts (dbt), and a run could not be stopped."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _started_run(instance: dg.DagsterInstance, since: float) -> dg.DagsterRun | None:
    """The run this invocation started, if it started one."""
    runs = instance.get_run_records(
        filters=dg.RunsFilter(job_name=JOB, created_after=datetime.fromtimestamp(since, UTC)),
        limit=1,
    )
    return runs[0].dagster_run if runs else None


def report_failure(instance: dg.DagsterInstance, since: float) -> None:
    """The failed run's report, as the run-failure sensor writes it under ``make ui``: here no
    daemon evaluates sensors, so the supervisor writes it (a killed run's too)."""
    from orchestration.defs.reports import report_failed_run
    from orchestration.resources import default_resources

    run = _started_run(instance, since)  # read after the run ended, or was marked failed
    if run is None or run.status != dg.DagsterRunStatus.FAILURE:
        return
    try:
        reports = default_resources(Settings.from_env())["reports"]
        path = report_failed_run(instance, run, reports, print)
    except Exception as err:  # noqa: BLE001 - the run is over: its outcome is not this
        print(f"no report of run {run.run_id}: {type(err).__name__}: {err}")
        return
    print(f"run report: {path}")


def print_summary(instance: dg.DagsterInstance, since: float) -> None:
    """The closing summary of the run this invocation started (none if it never started)."""
    from orchestration.summary import dbt_test_explanations, summarize, summary_lines

    run = _started_run(instance, since)
    if run is None:
        return
    run_id = run.run_id
    try:
        summary = summarize(instance, run_id)
        lines = summary_lines(summary, Settings.from_env(), dbt_test_explanations())
    except Exception as err:  # noqa: BLE001 - the run is over: its outcome is not this
        print(f"no summary of run {run_id}: {type(err).__name__}: {err} (make ui shows the run)")
        return
    print("\n".join(lines))


def run_config(argv: list[str]) -> dict:
    """The run's config: what ``--config-json`` in ``argv`` gives (``make full-refresh``),
    with the console logger at ``CDP_LOG_LEVEL`` (default INFO: Dagster's DEBUG lines are its
    engine's steps and dbt's line per node, a thousand on the sample) unless that config sets
    the loggers itself."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.run")
    parser.add_argument("--config-json", default="{}", help="run config as JSON")
    config = json.loads(parser.parse_args(argv).config_json)
    level = os.environ.get("CDP_LOG_LEVEL", "INFO").upper()
    config.setdefault("loggers", {"console": {"config": {"log_level": level}}})
    return config


def supervise(command: list[str], instance: dg.DagsterInstance, pidfile: Path) -> int:
    """Run ``command`` in a process group of its own and clean up after it, however it ends."""
    started = time.time()
    child = subprocess.Popen(command, start_new_session=True)
    pidfile.write_text(json.dumps({"pgid": child.pid, "started": started}))

    def forward(signum, _frame):  # Ctrl-C or a stop: the whole group, dbt included
        _signal_group(child.pid, signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # What the run left behind (a dbt it started, had it been killed) goes with it.
    left = _stop_group(child.pid)
    marked = _mark_unfinished_runs_failed(instance, since=started, why=_ended(code))
    pidfile.unlink(missing_ok=True)
    if code < 0 or marked:
        print(
            f"error: the pipeline process {_ended(code)}; {left} process(es) it had started "
            f"were stopped and {len(marked)} run(s) marked failed: {', '.join(marked) or '-'}",
            file=sys.stderr,
        )
        return code if code > 0 else 1
    return code


def clean_up_after_killed_run(instance: dg.DagsterInstance, pidfile: Path) -> bool:
    """When an earlier supervisor was killed: stop what its run left running and mark the run
    failed. Returns False if that run is still going (one run at a time)."""
    if not pidfile.exists():
        return True
    try:
        record = json.loads(pidfile.read_text())
        pgid, started = int(record["pgid"]), float(record["started"])
    except (ValueError, KeyError, OSError):
        pidfile.unlink(missing_ok=True)
        return True
    if _group_alive(pgid) and _supervisor_alive(pgid):
        print(
            f"error: another pipeline run is in progress (process group {pgid}); wait for it "
            f"or stop it, then run again",
            file=sys.stderr,
        )
        return False
    left = _stop_group(pgid)
    marked = _mark_unfinished_runs_failed(instance, since=started, why="was killed")
    pidfile.unlink(missing_ok=True)
    if left or marked:
        print(
            f"an earlier run was killed: {left} process(es) it left were stopped and "
            f"{len(marked)} run(s) marked failed: {', '.join(marked) or '-'}"
        )
    return True


def _supervisor_alive(pgid: int) -> bool:
    """The run's group is alive and its supervisor (the group leader's parent) too."""
    try:
        stat = Path(f"/proc/{pgid}/stat").read_text()
        parent = int(stat.rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return _group_alive(pgid)
    return parent > 1 and Path(f"/proc/{parent}").exists()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _stop_group(pgid: int, grace: float = 10.0) -> int:
    """Stop every process still in the group (TERM, then KILL); returns how many there were."""
    pids = _group_members(pgid)
    if not pids:
        return 0
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _group_members(pgid):
        time.sleep(0.2)
    if _group_members(pgid):
        _signal_group(pgid, signal.SIGKILL)
    return len(pids)


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields: state, ppid, pgrp, ...; a zombie is gone already
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _mark_unfinished_runs_failed(instance: dg.DagsterInstance, since: float, why: str) -> list[str]:
    """Runs of the job started since ``since`` and still not finished: their process is gone."""
    marked = []
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=JOB, statuses=list(UNFINISHED)))
    for run in runs:
        record = instance.get_run_record_by_id(run.run_id)
        created = record.create_timestamp.timestamp() if record else since
        if created + 1 < since:
            continue
        instance.report_run_failed(run, message=f"the process running it {why}")
        marked.append(run.run_id)
    return marked


def _ended(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


if __name__ == "__main__":
    sys.exit(main())
