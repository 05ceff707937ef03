"""The docs site, served as `make docs` serves it and crawled in headless Chromium with no
way out to the internet: every page and every link on it resolves, nothing is requested from
another host, and the Great Expectations pages render with their styles and suite lists."""

from __future__ import annotations

import os
import shutil
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest

from cdp.quality.run import QualityRun
from cdp.quality.serve import SiteServer
from cdp.quality.site import find_browser
from tests.conftest import SAMPLE_END, invoke_dbt

NOW = datetime(SAMPLE_END.year, SAMPLE_END.month, SAMPLE_END.day, 12, tzinfo=UTC)
BROWSER = find_browser()
# CI installs Chromium and sets this, so there the test runs or fails, never skips.
REQUIRED = os.environ.get("CDP_REQUIRE_BROWSER") == "1"

pytestmark = pytest.mark.skipif(
    BROWSER is None and not REQUIRED, reason="no Chromium here (apt-get install chromium)"
)


@pytest.fixture
def site(built_warehouse, warehouse_copy, tmp_path) -> Path:
    """The whole site of a run: quality pages, GX Data Docs, docs pages and dbt docs."""
    warehouse, _ = built_warehouse
    docs = tmp_path / "docs"
    # dbt's docs from the warehouse dbt built (and holds open in this process)
    mp = pytest.MonkeyPatch()
    mp.setenv("CDP_WAREHOUSE", str(warehouse))
    generated = invoke_dbt(tmp_path / "dbt_docs", "docs", "generate", "--static")
    mp.undo()
    assert generated.success, generated.exception
    (docs / "dbt").mkdir(parents=True)
    shutil.copy(tmp_path / "dbt_docs" / "static_index.html", docs / "dbt" / "index.html")
    # the checks on a copy of it, as a run's asset checks read the warehouse
    run = QualityRun(warehouse_copy, tmp_path / "quality", docs, now=NOW)
    suites = {s.name: s for s in run.suites().values()}
    chosen = ["raw.crm__contacts", "staging.stg_crm__contacts", "marts.customer_profiles"]
    run.validate([suites[name] for name in chosen], run_id="crawl", log=lambda _m: None)
    return docs


def _crawl(start: str, page) -> tuple[list[str], list[str]]:
    """Open every page of the site that links reach from ``start``; returns the addresses
    opened and the links that lead nowhere (a missing page, or an anchor no element has)."""
    origin = urlsplit(start).netloc
    queue, seen = deque([start]), {start}
    anchors: dict[str, set[str]] = {}
    wanted: list[tuple[str, str, str]] = []  # (page, anchor, linked from)
    broken = []
    while queue:
        url = queue.popleft()
        response = page.goto(url, wait_until="networkidle")
        if response is None or response.status >= 400:
            broken.append(f"{url}: {response.status if response else 'no response'}")
            continue
        if "html" not in (response.headers.get("content-type") or ""):
            continue
        anchors[url] = set(
            page.eval_on_selector_all(
                "[id], a[name]", "els => els.map(e => e.id || e.getAttribute('name'))"
            )
        )
        for link in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            target, fragment = urldefrag(link)
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.netloc != origin:
                continue  # a link out (GX's home page) is neither followed nor requested
            if fragment and not fragment.startswith(("!", "/")):  # (#!/... is a dbt docs route)
                wanted.append((target, fragment, url))
            if target not in seen:
                seen.add(target)
                queue.append(target)
    broken += [
        f"{source} -> {target}#{fragment}: no such anchor"
        for target, fragment, source in wanted
        if target in anchors and fragment not in anchors[target]
    ]
    return sorted(seen), broken


def test_the_site_works_offline_with_no_broken_link(site):
    from playwright.sync_api import sync_playwright

    assert BROWSER, "CDP_REQUIRE_BROWSER=1 but no Chromium is installed"
    server = SiteServer(site, 0).in_background()
    outside: list[str] = []
    failed: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
            context = browser.new_context()
            server.keep_to_the_site(context, outside)  # no way out: recorded and refused
            page = context.new_page()
            # a request the browser gave up as it moved to the next page (a favicon still
            # loading) is no broken link; a missing file answers 404, recorded below
            page.on(
                "requestfailed",
                lambda request: (
                    None if "ERR_ABORTED" in (request.failure or "") else failed.append(request.url)
                ),
            )
            page.on(
                "response",
                lambda response: (
                    failed.append(f"{response.url}: {response.status}")
                    if response.status >= 400
                    else None
                ),
            )
            opened, broken = _crawl(server.url + "index.html", page)

            # The GX index offline: Bootstrap's styles apply, and its script filled the table
            # of validation results.
            page.goto(server.url + "quality/gx/index.html", wait_until="networkidle")
            listed = page.locator("td", has_text="staging.stg_crm__contacts").count()
            navbar = page.evaluate("getComputedStyle(document.querySelector('.navbar')).display")
            # dbt's docs open on the project's overview, not dbt's welcome page
            page.goto(server.url + "dbt/index.html", wait_until="networkidle")
            overview = page.get_by_role("heading", name="Owners").count()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()

    paths = {urlsplit(url).path for url in opened}
    pages = {"/index.html", "/summary.html", "/guide.html", "/privacy.html", "/identity.html"}
    pages |= {"/dbt/index.html"}
    assert pages | {"/quality/index.html", "/quality/gx/index.html"} <= paths
    # each suite's validation page, reached through the table the GX index fills by script
    assert len([p for p in paths if p.startswith("/quality/gx/validations/")]) == 3
    assert outside == []
    assert [url for url in failed if url not in outside] == []
    assert broken == []
    assert listed > 0
    assert navbar == "flex"  # Bootstrap's rule for .navbar, from the site's own copy
    assert overview == 1


def test_a_client_that_goes_away_is_said_in_one_line(tmp_path, capfd):
    import socket
    import struct

    (tmp_path / "big.bin").write_bytes(b"x" * (64 * 1024 * 1024))
    server = SiteServer(tmp_path, 0).in_background()
    err = ""
    try:
        with socket.create_connection(server.server_address[:2]) as client:
            client.sendall(b"GET /big.bin HTTP/1.1\r\nHost: site\r\n\r\n")
            client.recv(1024)
            # closed at once with a reset, as a browser does when a page is left mid-load
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        for _ in range(100):
            time.sleep(0.1)
            err += capfd.readouterr().err
            if "closed the connection" in err:
                break
    finally:
        server.shutdown()
        server.server_close()
    assert len([line for line in err.splitlines() if "closed the connection" in line]) == 1
    assert "Traceback" not in err
