"""The Great Expectations Data Docs without the internet.

GX writes pages that load Bootstrap, jQuery, Font Awesome, Vega and its logos from public
CDNs: offline, or behind a firewall that blocks them, the pages render unstyled and their
suite lists (JavaScript tables) stay empty. After GX has written the site, each such address
is pointed at a copy served by the site itself: the files under ``vendor/`` (each package's
minified build as published on npm, with its licence; see ``vendor/README.md``) and the logo
GX ships in its own ``static/images``.

An address GX starts to load in a later version and that is not listed here stays as it is;
the crawl of the site in ``tests/quality/test_site_crawl.py`` then fails on the request it
makes to another host.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"
# Where the vendored files go in the GX site (beside GX's own static files).
SITE_VENDOR = Path("static") / "vendor"
GX_LOGO = Path("static") / "images" / "logo-long.png"

_BOOTSTRAP_CDN = "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/"
_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs/"
_JSDELIVR = "https://cdn.jsdelivr.net/npm/"
_TABLE = "https://unpkg.com/bootstrap-table@{}/dist/"
_FILTER = "extensions/filter-control/bootstrap-table-filter-control"
_GX_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"

#: Each CDN address GX's pages load (without its query string) -> the vendored file that
#: replaces it (under ``vendor/``).
VENDORED: dict[str, str] = {
    _BOOTSTRAP_CDN + "css/bootstrap.min.css": "bootstrap-4.3.1/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap-4.3.1/bootstrap.min.js"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    _CDNJS + "popper.js/1.12.9/umd/popper.min.js": "popper.js-1.12.9/popper.min.js",
    _TABLE.format("1.19.1")
    + "bootstrap-table.min.js": "bootstrap-table-1.19.1/bootstrap-table.min.js",
    _TABLE.format("1.19.1") + "bootstrap-table.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table.min.css"
    ),
    _TABLE.format("1.19.1") + _FILTER + ".min.js": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js"
    ),
    # GX asks for the filter control's styles of 1.19.0 beside the scripts of 1.19.1.
    _TABLE.format("1.19.0") + _FILTER + ".css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    _TABLE.format("1.19.0") + _FILTER + ".min.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    _CDNJS + "font-awesome/6.6.0/css/all.min.css": "fontawesome-free-6.6.0/css/all.min.css",
    _CDNJS + "bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js"
    ),
    _CDNJS + "bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css"
    ),
    _JSDELIVR + "vega@5": "vega-5.33.1/vega.min.js",
    _JSDELIVR + "vega-lite@5": "vega-lite-5.23.0/vega-lite.min.js",
    _JSDELIVR + "vega-embed@6": "vega-embed-6.29.0/vega-embed.min.js",
    _JSDELIVR + "@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css"
    ),
}

#: Each address -> the file of the GX site that replaces it.
REPLACEMENTS: dict[str, Path] = {
    **{address: SITE_VENDOR / file for address, file in VENDORED.items()},
    # The logos: GX's own, which it copies into the site (no dark variant ships with it).
    _GX_ASSETS + "logo-long.png": GX_LOGO,
    _GX_ASSETS + "full_logo_dark.png": GX_LOGO,
}

# Any of the addresses, with the query string it may carry (the logo names the data context
# in one, for GX's analytics), wherever a page or style sheet names it.
_ADDRESSES = re.compile(
    "(?:"
    + "|".join(re.escape(address) for address in sorted(REPLACEMENTS, key=len, reverse=True))
    + r")(?:\?[^\"'()\s]*)?"
)


def localize(gx_site: Path) -> int:
    """Copy the vendored files into the GX site at ``gx_site`` and point its pages and style
    sheets at them; returns the number of addresses replaced."""
    if not gx_site.is_dir():
        return 0
    shutil.copytree(
        VENDOR, gx_site / SITE_VENDOR, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.md")
    )
    replaced = 0
    for file in [*gx_site.rglob("*.html"), *gx_site.rglob("*.css")]:
        text = file.read_text(encoding="utf-8")
        new, count = _ADDRESSES.subn(lambda m, folder=file.parent: _local(m, folder, gx_site), text)
        if count:
            file.write_text(new, encoding="utf-8")
            replaced += count
    return replaced


def _local(match: re.Match, folder: Path, gx_site: Path) -> str:
    local = gx_site / REPLACEMENTS[match.group(0).split("?")[0]]
    return Path(os.path.relpath(local, folder)).as_posix()


# dbt's static docs page: two leftovers of its build that the browser requests as they stand
# (404s on every visit): a favicon address its bundler never filled in, and menu icons whose
# address is an Angular expression in an attribute Angular does not own. The icons take
# ng-attr-href (Angular sets the attribute once the expression has a value; SVG 2 reads href
# on <use>), the favicon the site's own.
DBT_DOCS_FIXES = {
    "href=\"${require('./assets/favicons/favicon.ico')}\"": 'href="../favicon.svg"',
    '<use xlink:href="{{ getIcon(': '<use ng-attr-href="{{ getIcon(',
}


def tidy_dbt_docs(page: Path) -> int:
    """Mend dbt's static docs page at ``page`` (if there is one); returns the fixes made."""
    if not page.is_file():
        return 0
    text = page.read_text(encoding="utf-8")
    made = sum(text.count(broken) for broken in DBT_DOCS_FIXES)
    for broken, mended in DBT_DOCS_FIXES.items():
        text = text.replace(broken, mended)
    if made:
        page.write_text(text, encoding="utf-8")
    return made
