"""``python -m cdp.quality``: the quality suites and the site, outside Dagster.

    check     run every suite on the warehouse now, record the results, rebuild the site,
              and print per layer how long the checks took (a measurement at any scale)
    publish   rebuild the site from the recorded results (no validation)
    serve     serve the site folder on http://127.0.0.1:PORT

Paths come from the environment as everywhere else (``cdp.config``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import sys
import time
import uuid
from collections import defaultdict

from cdp.config import Settings
from cdp.quality.run import QualityRun


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cdp.quality", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="run every suite now")
    commands.add_parser("publish", help="rebuild the site from recorded results")
    serve = commands.add_parser("serve", help="serve the site")
    serve.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    run = QualityRun(settings.warehouse, settings.quality_dir, settings.docs_dir)
    if args.command == "check":
        return _check(run)
    if args.command == "publish":
        print(f"site: {run.publish()}")
        return 0
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(run.docs_dir))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"serving {run.docs_dir} on http://127.0.0.1:{args.port}/ (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


def _check(run: QualityRun) -> int:
    started = time.monotonic()
    results = run.validate(run.suites().values(), run_id=f"cli-{uuid.uuid4().hex[:12]}")
    per_layer: dict[str, float] = defaultdict(float)
    for result in results:
        per_layer[result.suite.layer] += result.seconds
    total = time.monotonic() - started
    failed = {status: sum(1 for r in results if r.status == status) for status in ("error", "warn")}
    print(f"{len(results)} suites, {sum(len(r.results) for r in results)} checks in {total:.1f} s")
    for layer, seconds in per_layer.items():
        print(f"  {layer:<13} {seconds:7.1f} s")
    print(f"  site          {run.last_publish_seconds:7.1f} s")
    print(f"suites failing: {failed['error']} with errors, {failed['warn']} with warnings only")
    return 1 if failed["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
