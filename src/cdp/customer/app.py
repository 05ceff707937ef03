"""The customer look-up as a small local web app (``python -m cdp.customer serve``).

Standard library HTTP on 127.0.0.1 and Jinja2 templates with autoescape: a search form and the
customer page, no JavaScript, nothing requested from another host (the page's Content Security
Policy allows only its own inline styles and forms). The look-up is sent by POST, so an email
or phone never appears in an address, the browser's history or the server's log; a customer
page's address holds the customer id (or pseudonym). Each request opens the warehouse
read-only and closes it; a warehouse that a running pipeline has locked is said so, with
status 503.

The mode is the server's: one started with ``pseudonymized=True`` reads schema
``pseudonymized`` alone whatever a request asks, so a user without access to personal data
cannot switch it.
"""

from __future__ import annotations

import http.server
import sys
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from jinja2 import Environment, PackageLoader, select_autoescape

from cdp.customer.lookup import OTHER_IDENTIFIERS, WarehouseUnavailable, find, open_warehouse
from cdp.customer.view import count_kind, display, load
from cdp.local_server import LocalServer

HOST = "127.0.0.1"
TIMELINE_LIMIT = 300
MAX_FORM_BYTES = 4096
# What a look-up can have matched on (cdp.customer.lookup), as a customer page may say it.
FOUND_BY = frozenset(
    {"email", "phone", "customer id", "merged id", "customer pseudonym"}
    | {kind.replace("_", " ") for kind in OTHER_IDENTIFIERS}
)
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

_templates = Environment(
    loader=PackageLoader("cdp.customer", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["show"] = display
_templates.globals["count_kind"] = count_kind


def render(template: str, **context: Any) -> str:
    """A page of the app, every value HTML-escaped."""
    return _templates.get_template(template).render(**context)


class CustomerServer(LocalServer):
    """The look-up app over one warehouse, on 127.0.0.1."""

    def __init__(self, warehouse: Path, port: int = 0, *, pseudonymized: bool = False) -> None:
        super().__init__((HOST, port), _Handler)
        self.warehouse = Path(warehouse)
        self.pseudonymized = pseudonymized


class _Handler(http.server.BaseHTTPRequestHandler):
    server: CustomerServer
    server_version = "cdp-customer"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        path, _, query = self.path.partition("?")
        if path == "/":
            self._page(200, "search.html")
        elif path.startswith("/customer/") and len(path) > len("/customer/"):
            # how the search that led here found the customer (a kind, never the value)
            found_by = (parse_qs(query).get("by") or [""])[0]
            self._customer(
                unquote(path[len("/customer/") :]),
                by_address=True,
                found_by=found_by if found_by in FOUND_BY else None,
            )
        else:
            self._page(404, "search.html", message="There is no such page.")

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?", 1)[0] != "/search":
            self._page(404, "search.html", message="There is no such page.")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_FORM_BYTES:
            self._page(413, "search.html", message="That search is too long.")
            return
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        self._customer((form.get("q") or [""])[0], by_address=False)

    def _customer(self, query: str, *, by_address: bool, found_by: str | None = None) -> None:
        pseudonymized = self.server.pseudonymized
        try:
            with open_warehouse(self.server.warehouse) as con:
                lookup = find(con, query, pseudonymized=pseudonymized)
                found = lookup.found
                if found is not None and not (by_address and found.key == query):
                    # one customer: its page has an address of its own (and an id that was
                    # merged away leads to the surviving one)
                    by = quote(found.matched_on)
                    self._redirect(f"/customer/{quote(found.key, safe='')}?by={by}")
                    return
                view = (
                    load(con, found.key, pseudonymized=pseudonymized, limit=TIMELINE_LIMIT)
                    if found
                    else None
                )
        except WarehouseUnavailable as err:
            self._page(503, "search.html", query=query, error=str(err))
            return
        except Exception:  # noqa: BLE001 (a page, not a traceback; the terminal has it)
            traceback.print_exc()
            self._page(
                500,
                "search.html",
                query=query,
                error_title="The look-up failed",
                error="The look-up failed unexpectedly; the server's terminal says why.",
            )
            return
        if view is None:
            status = 200 if lookup.candidates else 404
            self._page(status, "search.html", query=query, lookup=lookup)
            return
        self._page(200, "customer.html", view=view, found_by=found_by or lookup.found.matched_on)

    def _page(self, status: int, template: str, **context: Any) -> None:
        context.setdefault("pseudonymized", self.server.pseudonymized)
        try:
            body = render(template, **context).encode("utf-8")
        except Exception:  # noqa: BLE001 (a page, not a dropped connection)
            traceback.print_exc()
            status = 500
            body = render(
                "search.html",
                pseudonymized=self.server.pseudonymized,
                error_title="The page could not be drawn",
                error="The page could not be drawn; the server's terminal says why.",
            ).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(303)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request without what identifies a customer: the route, not the
        address (which may hold a customer id), and never the search."""
        route = self.path.split("?", 1)[0]
        if route.startswith("/customer/"):
            route = "/customer/…"
        sys.stderr.write(f"{self.log_date_time_string()} {self.command} {route} {code}\n")
