"""``python scripts/ui_screenshot.py URL OUT``: a screenshot of a page of the Dagster UI.

Playwright drives the machine's Chromium (``cdp.quality.site.find_browser``), as the docs
site's screenshots and browser tests do. The UI is a single-page app that draws the asset
graph after its queries return, and greets a first visitor with a dialog: the page is waited
on until the graph is drawn and the dialog dismissed, then given two seconds to settle. Start
the UI first (``make ui``); ``make ui-screenshot`` stores the asset graph by layer in
``docs/asset_graph.png`` and the lineage of one mart, asset by asset with its checks, in
``docs/asset_lineage.png``. A development tool: it needs the dev extras (Playwright).
"""

from __future__ import annotations

import sys
from pathlib import Path

from cdp.quality.site import find_browser

SIZE = {"width": 3000, "height": 2400}
SETTLE_MS = 90_000
# True once the graph is drawn and nothing is loading; dismisses the first-visit dialog.
SETTLED = """() => {
    const skip = [...document.querySelectorAll('button')]
        .find(b => b.textContent.trim() === 'Skip');
    if (skip) skip.click();
    const text = document.body.innerText;
    return !text.includes('fetching statuses') && !text.includes('Loading')
        && document.querySelectorAll('foreignObject').length > 0;
}"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python scripts/ui_screenshot.py URL OUT.png", file=sys.stderr)
        return 2
    url, out = args[0], Path(args[1])
    browser_path = find_browser()
    if browser_path is None:
        print("error: no Chromium found (apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        # a fresh context: the UI keeps view state (open groups, dialogs) in local storage
        page = browser.new_context(viewport=SIZE).new_page()
        page.goto(url)
        page.wait_for_function(SETTLED, timeout=SETTLE_MS, polling=1000)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(out))
        browser.close()
    print(f"screenshot: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
