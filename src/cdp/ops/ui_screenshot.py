"""``python -m cdp.ops.ui_screenshot URL OUT``: a screenshot of a page of the Dagster UI.

Headless Chromium, driven through its DevTools protocol: the UI is a single-page app that
draws the asset graph after its queries return, and greets a first visitor with a dialog, so
the page is given time to settle and the dialog is dismissed before the picture is taken.
Start the UI first (``make ui``); ``make ui-screenshot`` stores the asset graph by layer in
``docs/asset_graph.png`` and the lineage of one mart, asset by asset with its checks, in
``docs/asset_lineage.png``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cdp.quality.site import find_browser

PORT = 9333
SETTLE = """(() => {
    const skip = [...document.querySelectorAll('button')]
        .find(b => b.textContent.trim() === 'Skip');
    if (skip) skip.click();
    const text = document.body.innerText;
    return !text.includes('fetching statuses') && !text.includes('Loading')
        && document.querySelectorAll('foreignObject').length > 0;
})()"""


async def _capture(url: str, out: Path, width: int, height: int) -> None:
    import websockets

    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/json") as response:
                targets = json.load(response)
            page = next(t for t in targets if t["type"] == "page")
            break
        except (OSError, StopIteration):
            time.sleep(0.2)
    else:
        raise RuntimeError("Chromium's DevTools endpoint did not come up")
    async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
        counter = 0

        async def call(method: str, **params):
            nonlocal counter
            counter += 1
            await socket.send(json.dumps({"id": counter, "method": method, "params": params}))
            while True:
                message = json.loads(await socket.recv())
                if message.get("id") == counter:
                    return message.get("result", {})

        await call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

        async def settle() -> None:
            for _ in range(90):
                await asyncio.sleep(1)
                settled = await call("Runtime.evaluate", expression=SETTLE, returnByValue=True)
                if settled.get("result", {}).get("value"):
                    return

        await call("Page.navigate", url=url)
        await settle()
        await asyncio.sleep(2)
        shot = await call("Page.captureScreenshot", format="png")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(shot["data"]))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m cdp.ops.ui_screenshot URL OUT.png", file=sys.stderr)
        return 2
    browser = find_browser()
    if browser is None:
        print("error: no Chromium found (apt-get install chromium)", file=sys.stderr)
        return 1
    profile = tempfile.mkdtemp(prefix="cdp-ui-screenshot-")
    chromium = subprocess.Popen(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--remote-debugging-port={PORT}",
            # A fresh profile: the UI keeps view state (open groups, dialogs) in local storage.
            f"--user-data-dir={profile}",
            "about:blank",  # a page to drive: without one, headless shells open none
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own process group: the command may be a wrapper script that starts the browser.
        start_new_session=True,
    )
    try:
        asyncio.run(_capture(args[0], Path(args[1]), 3000, 2400))
    finally:
        os.killpg(chromium.pid, signal.SIGTERM)
        chromium.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)
    print(f"screenshot: {args[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
