"""``python -m cdp.quality``: the quality suites and the site, outside Dagster.

    check     run every suite on the warehouse now, record the results, rebuild the site,
              and print per layer how long the checks took (a measurement at any scale)
    publish   rebuild the site from the recorded results (no validation)
    serve     serve the site folder on http://127.0.0.1:PORT
    screenshot PAGE PNG
              serve the site and save a screenshot of one page (a path inside it) as headless
              Chromium renders it with every request to another host refused (needs the dev
              extras: Playwright drives the machine's Chromium)

Paths come from the environment as everywhere else (``cdp.config``), and the engine from
``CDP_ENGINE`` (``cdp.engine``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import uuid
from collections import defaultdict

from cdp.config import Settings
from cdp.quality.run import QualityRun
from cdp.quality.serve import SiteServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cdp.quality", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="run every suite now")
    commands.add_parser("publish", help="rebuild the site from recorded results")
    serve = commands.add_parser("serve", help="serve the site")
    serve.add_argument("--port", type=int, default=8080)
    shot = commands.add_parser("screenshot", help="a screenshot of one page of the site")
    shot.add_argument("page", help="a path inside the site, such as quality/gx/index.html")
    shot.add_argument("png", help="where to write the screenshot")
    shot.add_argument("--width", type=int, default=1400)
    shot.add_argument("--height", type=int, default=1000)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    run = QualityRun(settings.warehouse, settings.quality_dir, settings.docs_dir)
    if args.command == "check":
        return _check(run)
    if args.command == "publish":
        print(f"site: {run.publish(everything=True)}")
        return 0
    if args.command == "screenshot":
        return _screenshot(run, args.page, args.png, (args.width, args.height))
    with SiteServer(run.docs_dir, args.port) as server:
        print(f"serving {run.docs_dir} on {server.url} (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


def _screenshot(run: QualityRun, page: str, png: str, size: tuple[int, int]) -> int:
    from cdp.quality.site import find_browser

    browser_path = find_browser()
    if browser_path is None:
        print("no Chromium on this machine (apt-get install chromium)", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("screenshots need Playwright: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    refused: list[str] = []
    with SiteServer(run.docs_dir, 0).in_background() as server:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=browser_path, args=["--no-sandbox"]
            )
            context = browser.new_context(viewport={"width": size[0], "height": size[1]})
            server.keep_to_the_site(context, refused)
            view = context.new_page()
            view.goto(server.url + page.lstrip("/"), wait_until="networkidle")
            view.screenshot(path=png)
            browser.close()
        server.shutdown()
    print(f"{png}: {page} as served, {len(refused)} request(s) to other hosts refused")
    return 0


def _check(run: QualityRun) -> int:
    started = time.monotonic()
    from cdp.engine import get_engine

    # on the engine CDP_ENGINE names: on Spark, Spark's tables through GX's Spark data source
    engine = get_engine()
    results = engine.validate(run, run.suites().values(), run_id=f"cli-{uuid.uuid4().hex[:12]}")
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
