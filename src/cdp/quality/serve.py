"""The docs site over HTTP on this machine (``make docs``): only the site's folder, and one
line for a browser that goes away mid-reply."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

from cdp.local_server import LocalServer


class SiteServer(LocalServer):
    """A threading HTTP server of one folder's files."""

    def __init__(self, directory: Path, port: int, host: str = "127.0.0.1") -> None:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
        super().__init__((host, port), handler)
        self.directory = directory
