"""The docs site over HTTP on this machine (``make docs``): only the site's folder, and one
line for a browser that goes away mid-reply."""

from __future__ import annotations

import functools
import http.server
import sys
from pathlib import Path
from typing import Any


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
