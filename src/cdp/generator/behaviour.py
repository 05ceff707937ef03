"""What every source of the simulation shares: the time lines, the distributions people
draw their behaviour from, and the accounts, devices and orders several sources record."""

from __future__ import annotations

import math
from json.encoder import encode_basestring

from . import refdata as R
from .util import (
    DAY,
    HOUR,
    Weighted,
)

WEB_HORIZON = 14 * DAY  # web backfill in the first export


ORDER_HORIZON = 180 * DAY


SOCIAL_HORIZON = 30 * DAY


CONSENT_HORIZON = 730 * DAY


WEB_CUTOFF = 7 * HOUR  # the partial web export of end-date + 1 covers 00:00-07:00 UTC


SITE = "https://www.cucinaviva.example"


LANG_PATH = {"it": "it", "de": "de", "fr": "fr", "es": "es", "en": "en"}


PLATFORM_PICK = Weighted([("instagram", 70), ("tiktok", 15), ("facebook", 10), ("x", 5)])


PAGE_CATEGORIES = ("cookware", "knives", "bakeware", "recipes", "stores", "gift-cards")


def _runs(days: range, states: list):
    """(days, state) of each run of consecutive days of ``days`` with the same state (the
    state of each day in ``states``), in order."""
    run_from, state = days.start, None
    for d, now in zip(days, states, strict=True):
        if d > days.start and now != state:
            yield range(run_from, d), state
            run_from = d
        state = now
    if days:
        yield range(run_from, days.stop), state


class _JsonText(dict):
    """The JSON text of a string (quoted and escaped as ``json`` does), cached: for the few
    hundred strings that web events repeat (pages, referrers, UTM values)."""

    def __missing__(self, s: str) -> str:
        text = self[s] = encode_basestring(s)
        return text


def _event(base: str, etype: str, url: str | None, props: dict, props_json: str) -> tuple:
    """A kind of web event of the site at ``base``: (event type, properties, the properties'
    JSON, ((page URL, its JSON) on the web, (page, its JSON) in the apps)). The apps' pages are
    ``app://cucinaviva`` and the path; the app's first event (``url`` None) has none."""
    app_page = None if url is None else "app://cucinaviva" + url[len(base) :]
    web = (url, "null" if url is None else encode_basestring(url))
    app = (app_page, "null" if app_page is None else encode_basestring(app_page))
    return (etype, props, props_json, (web, app))


class _Site:
    """The web events of the shop's site in one language that name no person (pages,
    products, searches), made once (see ``_event``)."""

    def __init__(self, lang: str, products):
        self.base = base = f"{SITE}/{LANG_PATH[lang]}"
        self.login_url = base + "/account/login"
        self.confirmation_url = f"{base}/checkout/confirmation"
        self.newsletter_url = f"{base}/newsletter"
        self.app_open = _event(base, "app_open", None, {}, "{}")
        self.home = _event(base, "page_view", base + "/", {}, "{}")
        self.checkout = _event(base, "checkout_started", f"{base}/checkout", {}, "{}")
        self.product_view, self.add_to_cart = {}, {}
        for sku, *_ in products:
            props, props_json = {"sku": sku}, f'{{"sku":{encode_basestring(sku)}}}'
            url = f"{base}/p/{sku.lower()}"
            self.product_view[sku] = _event(base, "product_view", url, props, props_json)
            self.add_to_cart[sku] = _event(base, "add_to_cart", f"{base}/cart", props, props_json)
        self.category = {
            cat: _event(base, "page_view", f"{base}/c/{cat}", {}, "{}") for cat in PAGE_CATEGORIES
        }
        self.queries = R.SEARCH_QUERIES[lang]
        self.search = {
            q: _event(
                base,
                "search",
                f"{base}/search",
                {"query": q},
                f'{{"query":{encode_basestring(q)}}}',
            )
            for q in self.queries
        }


def nice_price(eur: float, fx: float) -> float:
    """Prices in EUR as listed; other currencies get a local price ending in .90."""
    if fx == 1.0:
        return round(eur, 2)
    return math.floor(eur * fx) + 0.9


class Account:
    """A shop account: its id, the emails it had over time, its loyalty card."""

    __slots__ = (
        "id",
        "created",
        "email",
        "new_email",
        "change_t",
        "first",
        "last",
        "phone",
        "dob",
        "loyalty",
        "logins",
    )

    def email_at(self, t: float) -> str:
        """The account's email at time ``t``."""
        if self.change_t is not None and t >= self.change_t:
            return self.new_email
        return self.email
