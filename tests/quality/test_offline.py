"""The site's own copies of what GX's pages load from CDNs, and the docs pages: without a
browser (the crawl in headless Chromium is tests/quality/test_site_crawl.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from cdp.quality.offline import GX_LOGO, REPLACEMENTS, SITE_VENDOR, VENDOR, VENDORED, localize
from cdp.quality.site import write_portal

PAGE = """<html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css">
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="https://example.org/unknown.js"></script>
</head><body><img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=20261204T1&dataContextId=abc">
<a href="https://greatexpectations.io">GX</a></body></html>"""
GX_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com"
STYLES = ".logo{background:url('" + GX_ASSETS + "/full_logo_dark.png') 0 0}"


def test_every_vendored_file_is_there_with_its_licence():
    for file in VENDORED.values():
        assert (VENDOR / file).is_file(), file
        package = (VENDOR / file).relative_to(VENDOR).parts[0]
        assert (VENDOR / package / "LICENSE").is_file(), package
    # the README names each package folder
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    for folder in {Path(file).parts[0] for file in VENDORED.values()}:
        assert f"`{folder}`" in readme


def test_pages_and_style_sheets_load_the_sites_copies(tmp_path):
    site = tmp_path / "gx"
    deep = site / "validations" / "staging" / "run" / "20261204"
    deep.mkdir(parents=True)
    (deep / "page.html").write_text(PAGE, encoding="utf-8")
    (site / "index.html").write_text(PAGE, encoding="utf-8")
    (site / "static" / "styles").mkdir(parents=True)
    (site / "static" / "styles" / "styles.css").write_text(STYLES, encoding="utf-8")
    (site / GX_LOGO).parent.mkdir(parents=True)
    (site / GX_LOGO).write_bytes(b"png")

    assert localize(site) == 2 * 3 + 1
    for page in (deep / "page.html", site / "index.html", site / "static/styles/styles.css"):
        text = page.read_text(encoding="utf-8")
        addresses = re.findall(r"""(?:src=|href=|url\()["']([^"']+)["']""", text)
        for address in addresses:
            if address.startswith("https://"):
                # only what the site does not know stays: a link out, an unknown script
                assert address in ("https://greatexpectations.io", "https://example.org/unknown.js")
            else:
                assert (page.parent / address).is_file(), (page, address)
        assert "dataContextId" not in text
    assert (site / SITE_VENDOR / "vega-5.33.1" / "vega.min.js").is_file()
    assert localize(site) == 0  # a second pass finds nothing left to replace


def test_every_cdn_address_of_the_installed_gx_is_replaced():
    """The addresses GX's templates name today, read from the installed package: one it
    starts to load after an upgrade must be vendored too."""
    import great_expectations

    templates = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
    named = set()
    for template in templates.rglob("*"):
        if template.is_file():
            text = template.read_text(encoding="utf-8", errors="replace")
            named |= set(re.findall(r"""(?:src|href)=["'](https://[^"'{}]+)["']""", text))
    loaded = {a.split("?")[0] for a in named if not a.startswith("https://greatexpectations.io")}
    assert loaded, "no CDN address found: the templates moved"
    assert loaded <= set(REPLACEMENTS), loaded - set(REPLACEMENTS)


def test_docs_pages_link_each_other_as_html_and_carry_their_images(tmp_path):
    folder, site = tmp_path / "docs", tmp_path / "site"
    folder.mkdir()
    (folder / "analyst_guide.md").write_text(
        "# Analyst guide\n\nSee [erasure](privacy.md#erasure-and-retention) and "
        "[the top](#analyst-guide).\n",
        encoding="utf-8",
    )
    (folder / "privacy.md").write_text(
        "# Privacy\n\n## Erasure and retention\n\n![graph](graph.png) [back](analyst_guide.md)\n",
        encoding="utf-8",
    )
    (folder / "graph.png").write_bytes(b"png")

    write_portal(site, folder, datetime(2026, 12, 4, tzinfo=UTC))

    guide = (site / "guide.html").read_text(encoding="utf-8")
    privacy = (site / "privacy.html").read_text(encoding="utf-8")
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="privacy.html#erasure-and-retention"' in guide
    assert 'href="#analyst-guide"' in guide and 'id="analyst-guide"' in guide
    assert 'id="erasure-and-retention"' in privacy
    assert 'href="guide.html"' in privacy and 'src="graph.png"' in privacy
    assert (site / "graph.png").read_bytes() == b"png"
    assert 'href="privacy.html">Privacy</a>' in index
    assert (site / "favicon.svg").is_file()
