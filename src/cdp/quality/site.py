"""The data-quality site: static files a stakeholder opens without SQL.

``<docs>/index.html``            the portal: links to everything below
``<docs>/summary.html``          "Customer data today", for stakeholders who read no SQL
                                 (``cdp.quality.stakeholder``)
``<docs>/quality/index.html``    the overview: one line per layer and source with its status,
                                 freshness, completeness and validity, and its trend over recent
                                 runs; the failing checks, counted, never with values
``<docs>/quality/gx/``           Great Expectations Data Docs: every suite of every kept run
``<docs>/guide.html``            the analyst guide (docs/analyst_guide.md)
``<docs>/<name>.html``           every other page of docs/ (docs/<name>.md), and the images
                                 they show
``<docs>/dbt/index.html``        dbt docs (models, columns, lineage), added by ``make docs``

Everything is read from ``audit.quality_results`` and ``raw._load_manifest``; the pages hold
counts, dates and table names only.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cdp.quality.checks import KINDS, worst_status
from cdp.quality.suites import Sla

LAYERS = ("raw", "staging", "intermediate", "marts")
TREND_RUNS = 10
STATUS_WORDS = {"pass": "passing", "warn": "warning", "error": "failing", "none": "not checked"}


@dataclass(frozen=True)
class Line:
    """One line of the overview: a layer and a source."""

    layer: str
    source: str
    status: str
    kinds: dict[str, tuple[int, int]]  # kind -> (checks passed, checks run)
    newest_export: date | None
    export_age_days: int | None
    sla: Sla | None
    trend: list[tuple[str, str]]  # (run time, status), oldest first
    suites: list[tuple[str, str | None]]  # (suite, relative link to its latest GX page)
    failures: list[dict]


def _status(rows: list[dict]) -> str:
    return worst_status((r["success"], r["severity"]) for r in rows)


def overview_lines(
    con: duckdb.DuckDBPyConnection,
    slas: dict[str, Sla],
    today: date,
    gx_pages: dict[str, str],
) -> tuple[list[Line], dict]:
    """The overview's lines from the stored results, and facts about the latest run."""
    columns = [
        "run_id", "checked_at", "layer", "source", "suite", "kind", "severity", "description",
        "success", "evaluation_error", "element_count", "unexpected_count", "unexpected_percent",
    ]  # fmt: skip
    rows = [
        dict(zip(columns, row, strict=True))
        for row in con.execute(
            f"select {', '.join(columns)} from audit.quality_results order by checked_at"
        ).fetchall()
    ]
    runs = _runs(rows)
    latest_run = runs[-1] if runs else None
    recent = runs[-TREND_RUNS:]
    newest = {
        source: export_date
        for source, export_date in con.execute(
            "select source, max(export_date) from raw._load_manifest "
            "where status in ('loaded', 'duplicate') group by source"
        ).fetchall()
    }
    by_group: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        by_group[(row["layer"], row["source"])].append(row)
    lines = []
    checks = 0
    for (layer, source), group in sorted(
        by_group.items(), key=lambda item: (LAYERS.index(item[0][0]), item[0][1])
    ):
        latest_rows = latest_per_suite(group)
        checks += len(latest_rows)
        trend = []
        for run_id, run_time in recent:
            in_run = [r for r in group if r["run_id"] == run_id]
            trend.append((run_time, _status(in_run)))
        export = newest.get(source) if layer == "raw" else None
        suites = sorted({r["suite"] for r in latest_rows})
        lines.append(
            Line(
                layer=layer,
                source=source,
                status=_status(latest_rows),
                kinds={
                    kind: (
                        sum(1 for r in latest_rows if r["kind"] == kind and r["success"]),
                        sum(1 for r in latest_rows if r["kind"] == kind),
                    )
                    for kind in KINDS
                },
                newest_export=export,
                export_age_days=(today - export).days if export else None,
                sla=slas.get(source) if layer == "raw" else None,
                trend=trend,
                suites=[(suite, gx_pages.get(suite)) for suite in suites],
                failures=[r for r in latest_rows if not r["success"]],
            )
        )
    facts = {
        "latest_run": latest_run,
        "runs_kept": len(runs),
        "checks": checks,
    }
    return lines, facts


def _runs(rows: list[dict]) -> list[tuple[str, str]]:
    first_seen: dict[str, datetime] = {}
    for row in rows:
        first_seen.setdefault(row["run_id"], row["checked_at"])
    return [
        (run_id, at.strftime("%Y-%m-%d %H:%M UTC"))
        for run_id, at in sorted(first_seen.items(), key=lambda item: item[1])
    ]


def latest_per_suite(group: list[dict]) -> list[dict]:
    """Each suite's rows from the last run that checked it."""
    latest: dict[str, str] = {}
    for row in group:  # rows come oldest first
        latest[row["suite"]] = row["run_id"]
    return [r for r in group if latest[r["suite"]] == r["run_id"]]


def gx_latest_pages(gx_dir: Path) -> dict[str, str]:
    """Each suite's newest GX validation page, relative to the quality folder."""
    pages: dict[str, tuple[str, str]] = {}
    validations = gx_dir / "validations"
    if not validations.is_dir():
        return {}
    for page in validations.rglob("*.html"):
        # <suite, one folder per dot>/<run name>/<run time>/<page>
        parts = page.relative_to(validations).parts
        if len(parts) < 4:
            continue
        suite, run_time = ".".join(parts[:-3]), parts[-2]
        if suite not in pages or run_time > pages[suite][0]:
            pages[suite] = (run_time, str(page.relative_to(gx_dir.parent)))
    return {suite: link for suite, (_, link) in pages.items()}


TEMPLATES = Path(__file__).parent / "templates"
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

OVERVIEW = ENV.get_template("overview.html.j2")

PORTAL = ENV.get_template("portal.html.j2")

PAGE = ENV.get_template("page.html.j2")


def write_overview(
    con: duckdb.DuckDBPyConnection,
    quality_dir: Path,
    slas: dict[str, Sla],
    today: date,
) -> tuple[Path, int]:
    """Write ``quality_dir/index.html`` from the stored results; returns its path and the
    number of checks it reports (each suite's latest result)."""
    quality_dir.mkdir(parents=True, exist_ok=True)
    lines, facts = overview_lines(con, slas, today, gx_latest_pages(quality_dir / "gx"))
    statuses = [line.status for line in lines]
    overall = "error" if "error" in statuses else "warn" if "warn" in statuses else "pass"
    if not lines:
        overall = "none"
    page = OVERVIEW.render(
        lines=lines,
        facts=facts,
        overall=overall,
        kinds=KINDS,
        words=STATUS_WORDS,
        trend_runs=TREND_RUNS,
    )
    path = quality_dir / "index.html"
    write_file(path, page)
    return path, facts["checks"]


@dataclass(frozen=True)
class Page:
    """A page of docs/ published on the site."""

    source: Path  # the markdown file
    title: str  # its first heading

    @property
    def name(self) -> str:
        """The page's file on the site: the analyst guide keeps its old address."""
        return "guide.html" if self.source.stem == "analyst_guide" else f"{self.source.stem}.html"


def docs_pages(folder: Path) -> list[Page]:
    """The markdown pages of ``folder``, the analyst guide first."""
    pages = []
    for source in sorted(folder.glob("*.md"), key=lambda p: (p.stem != "analyst_guide", p.stem)):
        text = source.read_text(encoding="utf-8")
        headings = [line[2:].strip() for line in text.splitlines() if line.startswith("# ")]
        pages.append(Page(source, headings[0] if headings else source.stem))
    return pages


def write_portal(docs_dir: Path, docs_folder: Path, built_at: datetime) -> Path:
    """Write the portal index and every page of ``docs_folder`` as HTML, with the images they
    show; returns the index. A link from one page to another (``privacy.md#erasure``) becomes
    a link to its HTML page; headings carry the anchors such links name."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    (docs_dir / "favicon.svg").write_bytes((TEMPLATES / "favicon.svg").read_bytes())
    pages = docs_pages(docs_folder)
    names = {page.source.name: page.name for page in pages}
    for page in pages:
        body, files = _render_markdown(page.source.read_text(encoding="utf-8"), names)
        for file in files:
            source = (docs_folder / file).resolve()
            # only the folder's own files: a link out of it is left as written
            if source.is_file() and source.is_relative_to(docs_folder.resolve()):
                (docs_dir / file).parent.mkdir(parents=True, exist_ok=True)
                (docs_dir / file).write_bytes(source.read_bytes())
        write_file(docs_dir / page.name, PAGE.render(title=page.title, body=body))
    index = docs_dir / "index.html"
    write_file(
        index,
        PORTAL.render(
            has_dbt=(docs_dir / "dbt" / "index.html").exists(),
            has_summary=(docs_dir / "summary.html").exists(),
            pages=[page for page in pages if page.name != "guide.html"],
            built_at=html.escape(built_at.strftime("%Y-%m-%d %H:%M UTC")),
        ),
    )
    return index


def _render_markdown(text: str, names: dict[str, str]) -> tuple[str, list[str]]:
    """HTML of a docs page, with links to other pages pointed at their HTML; also the files
    of the folder it links or shows (images)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.anchors import anchors_plugin

    md = MarkdownIt("commonmark").enable("table").use(anchors_plugin, max_level=6)
    tokens = md.parse(text)
    files = []
    for token in tokens:
        for child in [token, *(token.children or [])]:
            attribute = {"link_open": "href", "image": "src"}.get(child.type)
            target = child.attrGet(attribute) if attribute else None
            if not isinstance(target, str) or "://" in target or target.startswith(("#", "/")):
                continue
            path, _, anchor = target.partition("#")
            if path in names:
                child.attrSet(attribute, names[path] + (f"#{anchor}" if anchor else ""))
            elif path:
                files.append(path)
    return md.renderer.render(tokens, md.options, {}), files


def write_file(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


BROWSERS = ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome")


def find_browser() -> str | None:
    """A headless-capable Chromium on this machine, if any."""
    import shutil

    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def browse(page: Path, browser: str, screenshot: Path | None = None) -> str:
    """Open ``page`` from disk in headless Chromium; return the DOM it rendered (after
    scripts ran) and, if asked, save a screenshot of it."""
    import subprocess

    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    url = page.absolute().as_uri()
    dom = subprocess.run(
        [*base, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [*base, "--window-size=1400,1800", f"--screenshot={screenshot.absolute()}", url],
            capture_output=True,
            timeout=120,
            check=True,
        )
    return dom
