"""The stakeholder page, ``<docs>/summary.html`` ("Customer data today"), for readers of no SQL.

What passing means for the business, the key numbers of the latest run (profiles, identified
people, the share reachable per channel, freshness per source) with their trend over the kept
runs as inline SVG charts, and the dbt tests and GX checks side by side, each in plain words.

It reads ``audit.key_numbers`` (the key numbers of each kept run, recorded by the quality run
with ``record_key_numbers``), ``audit.quality_results``, ``audit.dbt_test_results``
(``cdp.quality.dbt_results``) and ``raw._load_manifest``; it holds counts, dates and table
names only.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
from markupsafe import Markup

from cdp.activation.exports import count_reachable
from cdp.activation.segments import Channel, load_audiences
from cdp.quality.checks import worst_status
from cdp.quality.dbt_results import (
    keep_newest_runs,
    latest_test_results,
    plain_name,
)
from cdp.quality.site import ENV, LAYERS, STATUS_WORDS, latest_per_suite, write_file
from cdp.quality.suites import Sla
from cdp.quality.validate import RESULTS_TABLE
from cdp.warehouse import insert_rows, table_exists

SUMMARY = ENV.get_template("summary.html.j2")

KEY_NUMBERS_TABLE = "audit.key_numbers"
# An identified person: a profile the business can recognise and contact, with an e-mail
# address or a phone number on file, or a CRM contact or a shop account among its records.
# Anonymous browsers and app installs, social handles and lone survey answers are not.
IDENTIFIED_SQL = (
    "nullif(trim(email), '') is not null or nullif(trim(phone), '') is not null "
    "or list_has_any(sources, ['crm', 'shop_account'])"
)
CHANNEL_WORDS = {"email": "E-mail", "sms": "SMS", "ads": "Online ads (hashed e-mail or phone)"}
CHANNEL_SHORT = {"email": "e-mail", "sms": "SMS", "ads": "online ads"}
SOURCE_WORDS = {
    "consent": "Consent records",
    "crm": "Sales CRM",
    "marketing": "Marketing campaigns",
    "newsletter": "Newsletter",
    "privacy": "Erasure requests",
    "shop": "Web shop",
    "social": "Social media mentions",
    "subscriptions": "Recipe-box subscriptions",
    "support": "Customer support",
    "surveys": "Surveys",
    "web": "Website and app visits",
}
LAYER_WORDS = {
    "raw": "as delivered",
    "staging": "cleaned",
    "intermediate": "identity",
    "marts": "for reporting",
    "pseudonymized": "without personal data",
}


@dataclass(frozen=True)
class Freshness:
    """How recent a source's data is: the oldest of its file types' newest complete export."""

    source: str
    newest_export: date | None
    age_days: int | None
    sla: Sla | None

    @property
    def status(self) -> str:
        """``pass`` within the warning threshold, ``warn`` past it, ``error`` past the SLA,
        ``none`` when nothing was delivered."""
        if self.age_days is None:
            return "none"
        if self.sla is None or self.age_days <= self.sla.warn_days:
            return "pass"
        return "warn" if self.age_days <= self.sla.error_days else "error"

    @property
    def words(self) -> str:
        """The freshness in words: "up to date", "2 days late"."""
        if self.age_days is None:
            return "nothing delivered yet"
        if self.sla is None:
            return f"newest export {_days_text(self.age_days)} old (no agreed limit)"
        if self.status == "pass":
            return "up to date"
        if self.status == "warn":
            behind = self.age_days - self.sla.warn_days
            return f"{_days_text(behind)} behind, within its {self.sla.error_days}-day limit"
        return f"{_days_text(self.age_days - self.sla.error_days)} late"

    @property
    def name(self) -> str:
        return SOURCE_WORDS.get(self.source, self.source.capitalize())


def _days_text(days: int) -> str:
    return f"{days} day" if days == 1 else f"{days} days"


@dataclass(frozen=True)
class KeyNumbers:
    """The numbers a stakeholder asks for first, as the marts held them at one run."""

    profiles: int | None
    identified: int | None
    reachable: dict[str, int]  # channel -> profiles reachable on it
    freshness: tuple[Freshness, ...]

    def share(self, channel: str) -> float | None:
        """Profiles reachable on ``channel``, as a share of all profiles."""
        count = self.reachable.get(channel)
        return count / self.profiles if count is not None and self.profiles else None

    @property
    def sources_up_to_date(self) -> int:
        return sum(1 for f in self.freshness if f.status == "pass")

    def metrics(self) -> dict[str, float | None]:
        """The numbers as rows of ``audit.key_numbers``: metric name -> value."""
        metrics: dict[str, float | None] = {
            "profiles": self.profiles,
            "identified_people": self.identified,
        }
        metrics.update({f"reachable.{ch}": n for ch, n in self.reachable.items()})
        metrics.update({f"export_age_days.{f.source}": f.age_days for f in self.freshness})
        return metrics

    @classmethod
    def from_metrics(
        cls, metrics: dict[str, float | None], measured_on: date, slas: dict[str, Sla]
    ) -> KeyNumbers:
        """The numbers of one recorded run, with the SLAs of today."""

        def whole(value: float | None) -> int | None:
            return None if value is None else int(value)

        freshness = []
        for name, value in sorted(metrics.items()):
            if name.startswith("export_age_days."):
                source, age = name.partition(".")[2], whole(value)
                newest = None if age is None else measured_on - timedelta(days=age)
                freshness.append(Freshness(source, newest, age, slas.get(source)))
        return cls(
            profiles=whole(metrics.get("profiles")),
            identified=whole(metrics.get("identified_people")),
            reachable={
                name.partition(".")[2]: int(value)
                for name, value in metrics.items()
                if name.startswith("reachable.") and value is not None
            },
            freshness=tuple(freshness),
        )


# What measure_key_numbers reads.
KEY_NUMBER_TABLES = ("marts.customer_profiles", "marts.customer_consent", "raw._load_manifest")


def measure_key_numbers(
    con: duckdb.DuckDBPyConnection,
    slas: dict[str, Sla],
    today: date,
    channels: dict[str, Channel] | None = None,
) -> KeyNumbers:
    """Profiles, identified people and reachable profiles per channel from the marts, and each
    source's freshness from the load manifest. A profile is reachable on a channel when its
    current consent grants every purpose the channel needs and it holds one of the channel's
    contact details: the audience exports' own rule (``count_reachable``). What the warehouse
    lacks (no marts yet) is left out."""
    channels = load_audiences().channels if channels is None else channels
    profiles = identified = None
    reachable: dict[str, int] = {}
    if table_exists(con, "marts", "customer_profiles"):
        profiles, identified = con.execute(
            f"select count(*), count(*) filter (where {IDENTIFIED_SQL}) "
            "from marts.customer_profiles"
        ).fetchall()[0]
        if table_exists(con, "marts", "customer_consent"):
            reachable = count_reachable(con, channels)
    freshness = []
    if table_exists(con, "raw", "_load_manifest"):
        newest: dict[str, list[date]] = defaultdict(list)
        for source, export_date in con.execute(
            "select source, max(export_date) from raw._load_manifest "
            "where status in ('loaded', 'duplicate') group by source, entity"
        ).fetchall():
            day = export_date.date() if isinstance(export_date, datetime) else export_date
            newest[source].append(day)
        from cdp.sources import SOURCE_FILES

        for source in sorted({spec.source for spec in SOURCE_FILES} | set(slas) | set(newest)):
            oldest = min(newest[source]) if newest.get(source) else None
            age = (today - oldest).days if oldest else None
            freshness.append(Freshness(source, oldest, age, slas.get(source)))
    return KeyNumbers(profiles, identified, reachable, tuple(freshness))


def ensure_key_numbers_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``audit.key_numbers`` if it does not exist yet."""
    con.execute("create schema if not exists audit")
    con.execute(
        f"create table if not exists {KEY_NUMBERS_TABLE} "
        "(run_id varchar, measured_at timestamptz, metric varchar, value double)"
    )


def record_key_numbers(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    measured_at: datetime,
    numbers: KeyNumbers,
    keep_runs: int,
) -> int:
    """Record ``numbers`` as the run's key numbers (replacing what an earlier gate of the same
    run recorded), then keep the newest ``keep_runs`` runs; returns the rows written."""
    ensure_key_numbers_table(con)
    con.execute(f"delete from {KEY_NUMBERS_TABLE} where run_id = ?", [run_id])
    rows = [[run_id, measured_at, name, value] for name, value in numbers.metrics().items()]
    insert_rows(con, KEY_NUMBERS_TABLE, rows)
    keep_newest_runs(con, KEY_NUMBERS_TABLE, "measured_at", keep_runs)
    return len(rows)


def key_number_history(
    con: duckdb.DuckDBPyConnection,
) -> list[tuple[str, datetime, dict[str, float | None]]]:
    """Every kept run's key numbers, oldest first: (run id, measured at, metric -> value)."""
    if not table_exists(con, *KEY_NUMBERS_TABLE.split(".")):
        return []
    runs: dict[str, tuple[datetime, dict[str, float | None]]] = {}
    for run_id, measured_at, metric, value in con.execute(
        f"select run_id, measured_at, metric, value from {KEY_NUMBERS_TABLE} order by measured_at"
    ).fetchall():
        runs.setdefault(run_id, (measured_at, {}))[1][metric] = value
    return sorted(
        ((run_id, at, metrics) for run_id, (at, metrics) in runs.items()), key=lambda r: r[1]
    )


# The chart's size in SVG units (it scales with the page).
CHART_WIDTH, CHART_HEIGHT = 360, 150
_LEFT, _RIGHT, _TOP, _BOTTOM = 58, 18, 16, 30


def trend_chart(
    points: list[tuple[datetime, float | None]], label: str, percent: bool = False
) -> Markup:
    """An inline SVG line chart of ``points`` (run time, value), drawn here with no script:
    one dot for one run, a line for several, nothing but a sentence for none."""
    values = [(at, value) for at, value in points if value is not None]

    def text(value: float) -> str:
        return f"{100 * value:.1f} %" if percent else f"{value:,.0f}"

    width, height = CHART_WIDTH, CHART_HEIGHT
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
        'stroke="#ddd"/>',
    ]
    if not values:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#777" '
            'font-size="12">no measurement yet</text></svg>'
        )
        return Markup("".join(parts))
    low, high = min(v for _, v in values), max(v for _, v in values)
    pad = (high - low) * 0.15 if high > low else max(abs(high) * 0.05, 0.01 if percent else 1)
    low, high = low - pad, high + pad
    if low < 0 <= min(v for _, v in values):
        low = 0.0

    def x(index: int) -> float:
        return _LEFT + (plot_w / 2 if len(values) == 1 else plot_w * index / (len(values) - 1))

    def y(value: float) -> float:
        return _TOP + plot_h * (high - value) / (high - low)

    for value in (high, low):
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#555">{text(value)}</text>'
        )
    first, last = values[0][0], values[-1][0]
    anchor = "middle" if len(values) == 1 else "start"
    parts.append(
        f'<text x="{x(0):.1f}" y="{height - 10}" text-anchor="{anchor}" font-size="11" '
        f'fill="#555">{first:%d %b %H:%M}</text>'
    )
    if len(values) > 1:
        parts.append(
            f'<text x="{x(len(values) - 1):.1f}" y="{height - 10}" text-anchor="end" '
            f'font-size="11" fill="#555">{last:%d %b %H:%M}</text>'
        )
        line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(values))
        parts.append(f'<polyline points="{line}" fill="none" stroke="#0b5cad" stroke-width="2"/>')
    for index, (at, value) in enumerate(values):
        parts.append(
            f'<circle cx="{x(index):.1f}" cy="{y(value):.1f}" r="{4 if len(values) == 1 else 3}" '
            f'fill="#0b5cad"><title>{at:%Y-%m-%d %H:%M UTC}: {text(value)}</title></circle>'
        )
    end_x, end_y = x(len(values) - 1), y(values[-1][1])
    parts.append(
        f'<text x="{min(end_x, width - _RIGHT):.1f}" y="{max(end_y - 8, 11):.1f}" '
        f'text-anchor="end" font-size="12" font-weight="600" fill="#0b5cad">'
        f"{text(values[-1][1])}</text></svg>"
    )
    return Markup("".join(parts))


@dataclass(frozen=True)
class Chart:
    """One trend on the page: its title, the SVG and a sentence under it."""

    title: str
    svg: Markup
    note: str


def _charts(
    history: list[tuple[str, datetime, dict[str, float | None]]],
    channels: list[str],
    slas: dict[str, Sla],
) -> list[Chart]:
    """The trend of each key number over the kept runs: profiles, identified people, the
    share reachable on each channel and the sources up to date."""

    def series(value) -> list[tuple[datetime, float | None]]:
        return [(at, value(at, metrics)) for _, at, metrics in history]

    def share(channel: str):
        def value(_at: datetime, metrics: dict[str, float | None]) -> float | None:
            count, total = metrics.get(f"reachable.{channel}"), metrics.get("profiles")
            return count / total if count is not None and total else None

        return value

    def up_to_date(at: datetime, metrics: dict[str, float | None]) -> float | None:
        numbers = KeyNumbers.from_metrics(metrics, at.date(), slas)
        return float(numbers.sources_up_to_date) if numbers.freshness else None

    sources = (
        len(KeyNumbers.from_metrics(history[-1][2], date.today(), slas).freshness) if history else 0
    )
    wanted = [
        ("Customer profiles", series(lambda _at, m: m.get("profiles")), False),
        ("Identified people", series(lambda _at, m: m.get("identified_people")), False),
        *(
            (
                f"Reachable by {CHANNEL_SHORT.get(ch, ch)} (share of profiles)",
                series(share(ch)),
                True,
            )
            for ch in channels
        ),
        (f"Sources up to date (of {sources})", series(up_to_date), False),
    ]
    charts = []
    for title, points, percent in wanted:
        measured = sum(1 for _, v in points if v is not None)
        if measured == 0:
            note = "Not measured yet."
        elif measured == 1:
            note = "One run so far: the line starts with the next run."
        else:
            note = f"The last {measured} runs."
        charts.append(Chart(title, trend_chart(points, title, percent), note))
    return charts


def _gx_plain(row: dict) -> tuple[str, str]:
    """What a GX check checks and what its latest result means, in plain words."""
    schema, _, table = row["suite"].partition(".")
    where = f"{plain_name(table)} ({LAYER_WORDS.get(row['layer'], row['layer'])})"
    checks = f"{where[0].upper()}{where[1:]}: {row['description']}."
    if row["success"]:
        return checks, "Holds."
    if row["evaluation_error"]:
        found = f"Could not be checked ({row['evaluation_error']})"
    elif row["unexpected_count"] is not None:
        count = row["unexpected_count"]
        percent = row["unexpected_percent"]
        found = f"{count:,} {'row does' if count == 1 else 'rows do'} not" + (
            f" ({percent:.2f} % of the rows checked)" if percent is not None else ""
        )
    else:
        found = "It does not hold"
    if row["severity"] == "warn":
        return checks, f"{found}. A warning: reported, nothing was stopped."
    if row["layer"] in ("staging", "intermediate"):
        meaning = "the marts were not rebuilt, so reports and audiences keep the last good data"
    elif row["layer"] == "raw":
        meaning = "this source is behind or incomplete; the run went on with what arrived"
    else:
        meaning = "reports that read this table may be wrong until it is fixed"
    return checks, f"{found}. A failure: {meaning}."


def latest_gx_checks(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Each suite's checks from the last run that checked it, with plain words, failures
    first."""
    columns = [
        "run_id", "checked_at", "layer", "suite", "severity", "description", "success",
        "evaluation_error", "unexpected_count", "unexpected_percent",
    ]  # fmt: skip
    if not table_exists(con, *RESULTS_TABLE.split(".")):
        return []
    rows = [
        dict(zip(columns, row, strict=True))
        for row in con.execute(
            f"select {', '.join(columns)} from audit.quality_results order by checked_at"
        ).fetchall()
    ]
    checks = []
    for row in latest_per_suite(rows):
        row["checks"], row["outcome"] = _gx_plain(row)
        row["status"] = "pass" if row["success"] else row["severity"]
        checks.append(row)
    order = {"error": 0, "warn": 1, "pass": 2}
    return sorted(
        checks,
        key=lambda r: (
            order[r["status"]],
            LAYERS.index(r["layer"]) if r["layer"] in LAYERS else 9,
            r["suite"],
        ),
    )


def _dbt_status(row: dict) -> str:
    """A dbt test result as a page status: ``error`` for a failure or a test that could not
    run, ``warn`` for a warning, ``none`` for a test skipped because something it depends on
    failed (that failure is on the page), ``pass`` otherwise."""
    return {"fail": "error", "error": "error", "warn": "warn", "skipped": "none"}.get(
        row["status"], "pass"
    )


def write_summary(
    con: duckdb.DuckDBPyConnection,
    docs_dir: Path,
    slas: dict[str, Sla],
    known_tests: set[str] | None = None,
) -> Path:
    """Write ``docs_dir/summary.html``, the page for stakeholders: what passing means, the key
    numbers of the latest run and their trend, and the dbt tests and GX checks side by side,
    each in plain words."""
    history = key_number_history(con)
    latest = None
    if history:
        run_id, measured_at, metrics = history[-1]
        latest = (run_id, measured_at, KeyNumbers.from_metrics(metrics, measured_at.date(), slas))
    channels = list(latest[2].reachable) if latest else list(CHANNEL_WORDS)
    gx = latest_gx_checks(con)
    dbt = latest_test_results(con, known_tests)
    for row in dbt:
        row["page_status"] = _dbt_status(row)
    statuses = [r["status"] for r in gx] + [r["page_status"] for r in dbt]
    overall = worst_status((s == "pass", s) for s in statuses if s != "none")
    page = SUMMARY.render(
        overall=overall,
        words=STATUS_WORDS,
        latest=latest,
        channel_words=CHANNEL_WORDS,
        charts=_charts(history, channels, slas),
        runs=len(history),
        gx=gx,
        gx_counts=_counts(r["status"] for r in gx),
        dbt=dbt,
        dbt_counts=_counts(r["page_status"] for r in dbt),
        identified_rule=IDENTIFIED_SQL,
    )
    path = docs_dir / "summary.html"
    docs_dir.mkdir(parents=True, exist_ok=True)
    write_file(path, page)
    return path


def _counts(statuses: Iterable[str]) -> dict[str, int]:
    counts = dict.fromkeys(("pass", "warn", "error", "none"), 0)
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts
