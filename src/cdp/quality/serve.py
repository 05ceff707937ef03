"""The docs site over HTTP on this machine (``make docs``): only the site's folder, and one
line for a browser that goes away mid-reply."""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class SiteServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server of one folder's files."""

    daemon_threads = True

    def __init__(self, directory: Path, port: int, host: str = "127.0.0.1") -> None:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
        super().__init__((host, port), handler)
        self.directory = directory

    def handle_error(self, request: Any, client_address: tuple[str, int]) -> None:
        """A browser that closes the connection before the reply is sent (a page left while it
        loads, a reload) is said in one line; any other error keeps its traceback."""
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
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def in_background(self) -> SiteServer:
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
