"""``python -m cdp.customer show <email|phone|id>`` prints one customer at a glance;
``python -m cdp.customer serve [--port 8081]`` serves the same as a local web page. With
``--pseudonymized`` both read schema ``pseudonymized`` only and look up by customer pseudonym.
The warehouse is ``CDP_WAREHOUSE`` (``cdp.config.Settings``), opened read-only."""

from __future__ import annotations

import argparse
import sys

from cdp.config import Settings
from cdp.customer.lookup import WarehouseUnavailable, find, open_warehouse
from cdp.customer.text import render_customer, render_lookup
from cdp.customer.view import load

DEFAULT_PORT = 8081


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns 0 when one customer was shown (or the server stopped), 1 when
    no customer or several match, 2 when the warehouse cannot be read."""
    parser = argparse.ArgumentParser(
        prog="cdp-customer", description="One customer at a glance, from the warehouse."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print one customer as text")
    show.add_argument("query", help="an email, a phone, a customer id or another identifier")
    show.add_argument("--limit", type=int, default=40, help="timeline events to print (default 40)")
    serve = commands.add_parser("serve", help="serve the customer page on 127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    for sub in (show, serve):
        sub.add_argument(
            "--pseudonymized",
            action="store_true",
            help="for a user without access to personal data: schema pseudonymized only, "
            "look-up by customer pseudonym",
        )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    if args.command == "serve":
        from cdp.customer.app import CustomerServer

        server = CustomerServer(settings.warehouse, args.port, pseudonymized=args.pseudonymized)
        mode = " (pseudonymized)" if args.pseudonymized else ""
        print(f"customer look-up{mode} on {server.url} (warehouse {settings.warehouse})")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        return 0

    try:
        with open_warehouse(settings.warehouse) as con:
            lookup = find(con, args.query, pseudonymized=args.pseudonymized)
            found = lookup.found
            view = (
                load(con, found.key, pseudonymized=args.pseudonymized, limit=args.limit)
                if found
                else None
            )
    except WarehouseUnavailable as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if view is None:
        print(render_lookup(lookup))
        return 1
    print(render_customer(view, lookup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
