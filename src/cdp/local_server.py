"""A small HTTP server on this machine, as the docs site and the customer page use it."""

from __future__ import annotations

import http.server
import sys
import threading
from typing import Any
from urllib.parse import urlsplit


class LocalServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server that says a browser going away mid-reply in one line, serves
    from a background thread on request, and keeps a test browser to itself."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: tuple[str, int]) -> None:
        """A browser that closes the connection before the reply is sent (a page left while it
        loads, a reload) is said in one line; any other error keeps its traceback (on the
        server's terminal, never in a page)."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            print(
                f"{client_address[0]}:{client_address[1]} closed the connection before the "
                f"reply was sent ({type(error).__name__})",
                file=sys.stderr,
            )
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        """The server's address, ending in ``/``."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def in_background(self) -> LocalServer:
        """Serve from a thread of this process (until ``shutdown``); returns the server."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def keep_to_the_site(self, context: Any, refused: list[str]) -> None:
        """Route every request of a Playwright browser ``context``: those to this server go
        through; any other is recorded in ``refused`` and aborted, as offline."""
        origin = urlsplit(self.url).netloc

        def route(request_route: Any) -> None:
            if urlsplit(request_route.request.url).netloc == origin:
                request_route.continue_()
            else:
                refused.append(request_route.request.url)
                request_route.abort()

        context.route("**/*", route)
