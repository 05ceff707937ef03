"""The customer page, served by ``cdp.customer.app`` and driven in headless Chromium (the
system's, as the docs site's tests launch it) with every request to another host recorded and
refused: search by email and land on the customer page with its sections, a customer who
refused analytics shows no visits and says why, nonsense matches no one, the pseudonymized
mode shows no personal data, and a locked warehouse is a message, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from cdp.customer.app import CustomerServer
from cdp.privacy.analytics import excluded_analytics_statuses
from cdp.quality.site import find_browser
from tests.conftest import query
from tests.customer.conftest import customer_with_email, make_refuser, pseudonym, web_visitor

BROWSER = find_browser()
REQUIRED = os.environ.get("CDP_REQUIRE_BROWSER") == "1"
SECTIONS = ("profile", "consent", "segments", "records", "merges", "timeline")


@pytest.fixture
def browser():
    """A Chromium page whose requests to any host but 127.0.0.1 are refused and recorded,
    with the failed requests and responses of error status."""
    if BROWSER is None:
        if REQUIRED:
            pytest.fail("CDP_REQUIRE_BROWSER=1 but no Chromium is installed")
        pytest.skip("no Chromium here (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    failed: list[str] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        context = chromium.new_context()

        def route(request_route):
            if urlsplit(request_route.request.url).hostname == "127.0.0.1":
                request_route.continue_()
            else:
                outside.append(request_route.request.url)
                request_route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("requestfailed", lambda request: failed.append(request.url))
        yield page, outside, failed
        chromium.close()


def _serve(path, **kwargs) -> CustomerServer:
    return CustomerServer(path, 0, **kwargs).in_background()


def _search(page, server: CustomerServer, text: str) -> None:
    page.goto(server.url, wait_until="networkidle")
    page.fill("input[name=q]", text)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_the_customer_page_in_a_browser(browser, scratch):
    page, outside, failed = browser
    customer_id, email = customer_with_email(scratch)
    statuses = list(excluded_analytics_statuses())
    allowed = web_visitor(scratch, ["granted", "no_record"])
    assert allowed, "the sample has no customer with site or app events"
    refuser, refuser_email = make_refuser(scratch, statuses, exclude=allowed[0])
    server = _serve(scratch)
    try:
        # by email, written carelessly: the customer's own page, with every section
        _search(page, server, f"  {email.upper()}  ")
        assert urlsplit(page.url).path == f"/customer/{customer_id}"
        for section in SECTIONS:
            assert page.locator(f"section#{section}").is_visible(), section
        assert page.locator("#consent tr").count() == 1 + len(
            query(
                scratch,
                "select 1 from marts.customer_consent where customer_id = $1",
                [customer_id],
            )
        )
        orders = query(
            scratch,
            "select count(*) from intermediate.int_orders_attributed where customer_id = $1",
            [customer_id],
        )[0][0]
        assert page.locator("tr[data-kind=order]").count() == min(orders, 300)
        assert email in page.locator("#profile").inner_text()

        # someone who refused analytics: no visits, and the page says why
        _search(page, server, refuser_email)
        assert urlsplit(page.url).path == f"/customer/{refuser}"
        assert page.locator("tr[data-kind=visit]").count() == 0
        notice = page.locator("[data-reason]").first.inner_text()
        assert "analytics consent is" in notice and "no site or app visits" in notice
        assert "refused analytics" in page.locator("#timeline").inner_text()
        # and the others' visits are there
        _search(page, server, allowed[1])
        assert urlsplit(page.url).path == f"/customer/{allowed[0]}"
        assert page.locator("tr[data-kind=visit]").count() > 0

        # nonsense, and markup typed into the form stays text
        _search(page, server, "<b>no-such-person</b>")
        assert page.get_by_text("No customer matches").is_visible()
        assert page.locator("main b").count() == 0
        assert "<b>no-such-person</b>" in page.locator("main").inner_text()
    finally:
        server.shutdown()
        server.server_close()
    assert outside == []
    assert failed == []


def test_the_pseudonymized_page_shows_no_personal_data(browser, scratch):
    page, outside, failed = browser
    customer_id, email = customer_with_email(scratch)
    name = query(
        scratch,
        "select first_name, last_name, phone from marts.customer_profiles where customer_id = $1",
        [customer_id],
    )[0]
    server = _serve(scratch, pseudonymized=True)
    try:
        _search(page, server, email)
        assert "No customer matches" in page.content()
        assert "pseudonym only" in page.locator("main").inner_text()
        _search(page, server, pseudonym(customer_id))
        assert urlsplit(page.url).path == f"/customer/{pseudonym(customer_id)}"
        text = page.locator("body").inner_text()
        for value in (customer_id, email, *name):
            if value:
                assert value not in text
        for section in ("consent", "records", "merges"):
            assert page.locator(f"section#{section}").count() == 0
        assert page.locator("section#profile").is_visible()
    finally:
        server.shutdown()
        server.server_close()
    assert outside == [] and failed == []


def test_a_locked_warehouse_is_a_message(scratch):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('open', flush=True); time.sleep(60)",
            str(scratch),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    server = _serve(scratch)
    try:
        assert holder.stdout.readline().strip() == "open"
        request = urllib.request.Request(server.url + "search", data=b"q=someone%40example.org")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        body = refused.value.read().decode()
        assert refused.value.code == 503
        assert "locked by a running pipeline" in body and "Traceback" not in body
    finally:
        holder.kill()
        holder.wait()
        server.shutdown()
        server.server_close()
