"""Reports of failed runs: a JSON and a Markdown file per run, optionally sent on.

A report says which run, which step and asset (so which source) failed, and the error's
message; it holds no data rows. ``send`` posts the JSON to a webhook and mails the Markdown,
when ``CDP_ALERT_WEBHOOK`` or ``CDP_ALERT_EMAIL`` are set (see ``cdp.config``); a delivery
that fails is logged, never raised, so alerting cannot fail a run.
"""

from __future__ import annotations

import json
import smtplib
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path


@dataclass(frozen=True)
class StepFailure:
    step: str
    assets: list[str]
    error: str


@dataclass(frozen=True)
class RunReport:
    run_id: str
    job: str
    failed_at: str
    failures: list[StepFailure] = field(default_factory=list)
    partitions: str | None = None

    def markdown(self) -> str:
        lines = [
            f"# Run {self.run_id} of {self.job} failed",
            "",
            f"- failed at: {self.failed_at}",
        ]
        if self.partitions:
            lines.append(f"- export dates: {self.partitions}")
        lines.append("")
        for failure in self.failures:
            assets = f" ({', '.join(failure.assets)})" if failure.assets else ""
            lines += [f"## Step `{failure.step}`{assets}", "", failure.error.strip(), ""]
        return "\n".join(lines)


def write_report(report: RunReport, reports_dir: Path) -> Path:
    """Write ``<run id>.json`` and ``<run id>.md``; returns the Markdown file."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / f"{report.run_id}.json").write_text(
        json.dumps(asdict(report), indent=2), encoding="utf-8"
    )
    path = reports_dir / f"{report.run_id}.md"
    path.write_text(report.markdown(), encoding="utf-8")
    return path


def send(
    report: RunReport,
    *,
    webhook: str | None = None,
    email: str | None = None,
    smtp_host: str | None = None,
    smtp_port: int = 25,
    log: Callable[[str], None] = print,
) -> list[str]:
    """Post the report to ``webhook`` and mail it to ``email`` (through ``smtp_host``), where
    given; returns where it went."""
    sent = []
    if webhook:
        try:
            request = urllib.request.Request(
                webhook,
                data=json.dumps(asdict(report)).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10):
                pass
            sent.append(webhook)
        except OSError as err:
            log(f"run report: webhook {webhook} failed: {err}")
    if email and smtp_host:
        try:
            message = EmailMessage()
            message["Subject"] = f"[cdp] run {report.run_id} of {report.job} failed"
            message["From"] = f"cdp@{smtp_host}"
            message["To"] = email
            message.set_content(report.markdown())
            with smtplib.SMTP(smtp_host, smtp_port, timeout=10) as smtp:
                smtp.send_message(message)
            sent.append(email)
        except (OSError, smtplib.SMTPException) as err:
            log(f"run report: mail to {email} failed: {err}")
    return sent


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
