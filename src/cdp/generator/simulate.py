"""People behave: one household at a time, every source system records what they do.

Each household is simulated over the whole time line (history before the window, the export
window, and the partial day after it for web), and every record version is handed to the
``Landing`` router at once, so nothing outlives the household except id counters, the Bloom
filter of used e-mails/handles/phones and the open day files.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from datetime import datetime
from json.encoder import encode_basestring
from zoneinfo import ZoneInfo

from . import messy as M
from . import refdata as R
from . import specs as S
from .scenarios import SCENARIOS, Scenario
from .util import (
    B36,
    B52,
    B62,
    DAY,
    HOUR,
    ISO_MINUTES,
    SECONDS_MS,
    UUID4_VARIANT,
    FastRandom,
    IdSeq,
    Weighted,
    dmy2,
    ean13,
    encode,
    fold,
    iso_minute,
    iso_offset,
    iso_z,
    poisson,
    poisson_times,
    rand_str,
    randbelow,
    rng_uuid,
    rome_local,
)

WEB_HORIZON = 14 * DAY  # web backfill in the first export
ORDER_HORIZON = 180 * DAY
SURVEY_HORIZON = 90 * DAY
SUPPORT_HORIZON = 60 * DAY
SOCIAL_HORIZON = 30 * DAY
ACTIVITY_HORIZON = 14 * DAY
CONSENT_HORIZON = 730 * DAY
WEB_CUTOFF = 7 * HOUR  # the partial web export of end-date + 1 covers 00:00-07:00 UTC

SITE = "https://www.cucinaviva.example"
LANG_PATH = {"it": "it", "de": "de", "fr": "fr", "es": "es", "en": "en"}

SESSION_LEN = Weighted([(1, 18), (2, 18), (3, 17), (4, 14), (5, 11), (6, 8), (8, 8), (12, 6)])
BROWSE_EVENT = Weighted(
    [
        ("product_view", 45),
        ("page_view", 25),
        ("search", 15),
        ("add_to_cart", 10),
        ("checkout_started", 5),
    ]
)
DEVICE_RATE = Weighted([(0.03, 20), (0.06, 25), (0.1, 25), (0.16, 15), (0.25, 10), (0.45, 5)])
N_DEVICES = Weighted([(1, 50), (2, 35), (3, 15)])
N_LINES = Weighted([(1, 50), (2, 30), (3, 15), (4, 5)])
NPS_SCORE = Weighted(
    [(0, 2), (1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 6), (7, 12), (8, 18), (9, 24), (10, 26)]
)
SATISFACTION = Weighted([(5, 35), (4, 35), (3, 18), (2, 8), (1, 4)])
SUPPORT_CHANNEL = Weighted([("chat", 35), ("email", 35), ("phone", 15), ("social", 15)])
PLATFORM_PICK = Weighted([("instagram", 70), ("tiktok", 15), ("facebook", 10), ("x", 5)])
PAGE_CATEGORIES = ("cookware", "knives", "bakeware", "recipes", "stores", "gift-cards")
LATE_DAYS = (1, 1, 2, 3)  # export days a late web event arrives after it occurred
REFERRERS = R.REFERRERS
# The keys of a web event, in the order of its JSON object.
WEB_FIELDS = (
    "event_id",
    "anonymous_id",
    "account_id",
    "event_type",
    "occurred_at",
    "received_at",
    "platform",
    "page_url",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "properties",
)
NO_UTM = ',"utm_source":null,"utm_medium":null,"utm_campaign":null'


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


class Acct:
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
        if self.change_t is not None and t >= self.change_t:
            return self.new_email
        return self.email


class Dev:
    __slots__ = (
        "anon",
        "platform",
        "kind",
        "first_seen",
        "rate",
        "ident_t",
        "specials",
        "ident_by_order",
    )


class Order:
    __slots__ = (
        "id",
        "t",
        "channel",
        "store",
        "account_id",
        "email",
        "phone",
        "currency",
        "lines",
        "total",
        "discount",
        "statuses",
        "country",
        "postcode",
        "utm",
        "dev",
        "tz",
        "sess_t",
        "login",
    )


class Sim:
    def __init__(
        self,
        seed: int,
        dates: list[str],
        w0: float,
        landing,
        people,
        campaigns,
        n_persons: int,
        scenario: Scenario = SCENARIOS["default"],
        shard: tuple[int, int] = (0, 1),
    ):
        """``shard``: (this shard, shards) of the generation, so that ids stay unique across
        the shards."""
        self.seed = seed
        self.scenario = scenario
        self.D = len(dates)
        self.w0 = w0
        self.w1 = w0 + self.D * DAY
        self.web_end = self.w1 + WEB_CUTOFF
        self.L = landing
        self.people = people
        self.campaigns = campaigns
        self.email_campaigns = {
            lst: sorted((c for c in campaigns if c.list_id == lst), key=lambda c: c.send_t)
            for lst in ("recipes_weekly", "promotions")
        }
        # active non-email campaigns per day index (for utm on sessions and orders)
        self.ads_by_day: dict[int, list] = {}
        lo = int(-(ORDER_HORIZON // DAY)) - 1
        for d in range(lo, self.D + 2):
            t = w0 + d * DAY + DAY / 2
            self.ads_by_day[d] = [
                c
                for c in campaigns
                if c.channel in ("social", "search", "display", "email")
                and c.start <= t < c.end + DAY
                and c.deleted is None
            ]
        self.store_campaigns = [c for c in campaigns if c.channel == "store"]
        self.stores_by_country: dict[str, list] = {}
        for st in R.STORES:
            self.stores_by_country.setdefault(st[2], []).append(st)
        self.tz = {c: ZoneInfo(z) for c, z in R.TIMEZONE.items()}
        self.products = R.PRODUCTS
        self.brand_posts = [
            str(random.Random(f"brand:{seed}:{i}").getrandbits(62))
            for i in range(R.BRAND_POST_COUNT)
        ]
        # id sequences (bijective, so unique without remembering them)
        self.contact_ids = IdSeq(7_919_993, 1_234_567, 10_000_000, shard=shard)
        self.account_ids = IdSeq(48_271, 777_777, 9_000_000, 1_000_000, shard=shard)
        self.order_ids = IdSeq(69_069_001, 13_572_468, 1_000_000_000, shard=shard)
        self.subscriber_ids = IdSeq(16_807, 4_242_424, 90_000_000, 10_000_000, shard=shard)
        self.sub_ids = IdSeq(2_147_483_629, 99_991, 52**6, shard=shard)
        self.nps_ids = IdSeq(1_103_515_245, 12_345, 62**6, shard=shard)
        self.pref_ids = IdSeq(22_695_479, 1_013, 36**6, shard=shard)
        self.ticket_ids = IdSeq(2_654_435_761, 31_337, 100_000_000, shard=shard)
        self.request_ids = IdSeq(7_777_777, 424_242, 1_000_000, shard=shard)
        self.loyalty_ids = IdSeq(1_664_527, 1_013_904_223, 1_000_000_000, shard=shard)
        self.forced_erasure = n_persons // 2 + 1
        self._sites: dict[str, _Site] = {}
        self._json_text = _JsonText()
        self.policy_mid = w0 + (self.w1 - w0) / 2

    # ------------------------------------------------------------------ helpers
    def day(self, t: float) -> int:
        return math.floor((t - self.w0) / DAY)

    def _eod(self, d: int) -> float:
        """The end of export day ``d`` (its snapshot's time)."""
        return self.w0 + (d + 1) * DAY

    def policy(self, t: float) -> str:
        if t < self.w0 - 300 * DAY:
            return "v2.4"
        return "v3.1" if t < self.policy_mid else "v3.2"

    def ads(self, t: float) -> list:
        return self.ads_by_day.get(self.day(t), [])

    def emit_versions(self, spec, versions: list, truth=None, extra=None) -> None:
        """Delta rows: the last version of each export day. ``extra(day)`` rows follow the
        first landed day (order items)."""
        last: dict[int, list] = {}
        for t, row in sorted(versions, key=lambda v: v[0]):
            if t >= self.w1:
                continue
            last[max(0, self.day(t))] = row
        first = True
        for d in sorted(last):
            landed = self.L.delta(spec, d, last[d], truth)
            if first and landed >= 0 and extra is not None:
                extra(d)
                first = False

    # ------------------------------------------------------------------ household
    def household(self, hh, rng: random.Random, srng: random.Random | None = None) -> None:
        """Simulate a household with ``rng``; the scenario's doses, if any, draw from ``srng``."""
        asked: list[tuple] = []
        for p in hh.members:
            asked += self.person(p, rng, srng)
        self.strangers(hh, rng)
        # Last: a row written draws from the household's stream (repeats of a delta row), so
        # the answers on third-party sharing, added after the rest, leave the rest as it was.
        for p, acct, end in asked:
            self.third_party_consent(p, acct, end)

    def person(self, p, rng: random.Random, srng: random.Random | None = None) -> list[tuple]:
        """Simulate one person; returns who may answer on third-party sharing (see
        ``third_party_consent``)."""
        w0, w1 = self.w0, self.w1
        p.new_customer = rng.random() < 0.08
        if p.new_customer:
            p.since = w0 + rng.random() * 0.95 * (w1 - w0)
        else:
            p.since = w0 - min(6 * 365 * DAY, rng.expovariate(1.0) * 2 * 365 * DAY) - HOUR
        if p.idx == self.forced_erasure or rng.random() < 0.002:
            lo = max(p.since, w0) + DAY
            if lo < w1 - DAY:
                p.erasure_t = rng.uniform(lo, w1 - DAY)
                p.stop_t = p.erasure_t
        end = p.stop_t or w1
        consents: list[tuple] = []

        acct = self.plan_account(p, end, rng)
        devices = self.plan_devices(p, acct, rng)
        orders = self.plan_orders(p, acct, devices, end, rng, consents)
        subs = self.plan_newsletter(p, devices, orders, end, rng, consents)
        self.web(p, acct, devices, rng, consents)
        if acct is not None:
            self.emit_account(p, acct, rng)
        for o in orders:
            self.emit_order(p, o)
        self.emit_newsletter(p, subs, rng)
        self.crm(p, end, rng, consents, srng)
        self.subscription(p, end, rng)
        self.surveys(p, acct, end, rng)
        self.support(p, acct, end, rng)
        self.social(p, end, rng)
        if acct is not None and rng.random() < 0.12:
            for _ in range(rng.randint(1, 2)):
                t = rng.uniform(max(acct.created, w0 - CONSENT_HORIZON), end)
                purpose = rng.choice(("email_marketing", "sms_marketing", "personalization"))
                status = "granted" if rng.random() < 0.6 else "denied"
                consents.append(
                    (t, "account_id", str(acct.id), purpose, status, "preference_center")
                )
        self.emit_consents(consents, end, rng)
        if p.erasure_t is not None:
            self.erasure(p, acct, rng)
        return [(p, acct, end)] if acct is not None else []

    # ------------------------------------------------------------------ shop accounts
    def plan_account(self, p, end: float, rng) -> Acct | None:
        if rng.random() >= (0.62 if p.age < 50 else 0.48):
            return None
        a = Acct()
        if p.new_customer:
            a.created = p.since + rng.uniform(0, 3 * DAY)
        else:
            a.created = p.since + rng.uniform(0, 200 * DAY)
            if a.created > self.w0 - HOUR and rng.random() < 0.8:
                a.created = rng.uniform(p.since, self.w0 - HOUR)
        if a.created >= end:
            return None
        a.email = p.email_given(a.created, rng.random(), work_share=0.1, family_below=0.18)
        if a.email is None:
            return None  # a web shop account needs an e-mail
        a.new_email, a.change_t = None, None
        if p.email_change_t is not None and a.email == p.old_email and rng.random() < 0.8:
            a.new_email = p.email
            a.change_t = p.email_change_t + rng.uniform(0, 2 * DAY)
        a.id = self.account_ids.next()
        a.first = M.name_case(p.first, rng, upper=0.04, lower=0.08, spaces=0.02)
        a.last = M.name_case(p.last_at(a.created), rng, upper=0.04, lower=0.08, spaces=0.02)
        a.phone = M.phone_web(p.mobile or p.phone, rng) if rng.random() < 0.55 else ""
        a.dob = p.birth if rng.random() < 0.3 else ""
        a.loyalty = ean13("29" + f"{self.loyalty_ids.next():010d}") if rng.random() < 0.55 else ""
        a.logins = []
        return a

    def emit_account(self, p, a: Acct, rng) -> None:
        versions = []
        base = [
            str(a.id),  # (csv writes the number's str)
            None,
            a.first,
            a.last,
            a.phone,
            a.dob,
            p.country,
            a.loyalty,
            iso_z(a.created),
        ]
        last_login = a.created
        versions.append(
            (
                a.created,
                base[:1]
                + [a.email_at(a.created)]
                + base[2:]
                + [iso_z(a.created), iso_z(a.created)],
            )
        )
        if a.created < self.w0 - 2 * DAY and rng.random() < 0.85:
            t = rng.uniform(max(a.created, self.w0 - 90 * DAY), self.w0 - WEB_HORIZON)
            if t > a.created:
                last_login = t
                versions.append((t, base[:1] + [a.email_at(t)] + base[2:] + [iso_z(t), iso_z(t)]))
        for t in sorted(a.logins):
            if t <= last_login or t >= self.w1:
                continue
            last_login = t
            versions.append((t, base[:1] + [a.email_at(t)] + base[2:] + [iso_z(t), iso_z(t)]))
        if a.change_t is not None and a.change_t < self.w1:
            t = a.change_t
            ll = max((x for x, _ in versions if x <= t), default=a.created)
            versions.append((t, base[:1] + [a.new_email] + base[2:] + [iso_z(t), iso_z(ll)]))
        self.emit_versions(S.ACCOUNTS, versions, (("shop_account", str(a.id)), p.pid))

    # ------------------------------------------------------------------ devices
    def plan_devices(self, p, acct: Acct | None, rng) -> list[Dev]:
        if rng.random() >= (0.95 if acct else 0.7 if p.age < 65 else 0.45):
            return []
        devs = []
        h0 = self.w0 - WEB_HORIZON
        for i in range(N_DEVICES.pick(rng)):
            d = Dev()
            r = rng.random()
            if i == 0:
                d.kind = "desktop" if r < 0.45 else "mobile"
            else:
                d.kind = "app" if (acct and r < 0.5) else ("mobile" if r < 0.75 else "desktop")
            if d.kind == "app":
                d.platform = "ios" if rng.random() < 0.45 else "android"
            else:
                d.platform = "web"
            d.anon = rng_uuid(rng, upper=d.platform == "ios")
            if p.new_customer:
                d.first_seen = (
                    p.since - rng.uniform(0, 10 * DAY)
                    if i == 0
                    else (p.since + rng.uniform(0, 20 * DAY))
                )
            elif rng.random() < 0.85:
                d.first_seen = max(self.w0 - rng.uniform(0, 400) * DAY, p.since - 10 * DAY)
            else:
                d.first_seen = rng.uniform(h0, self.w1)
            d.rate = DEVICE_RATE.pick(rng)
            d.ident_t = None
            d.ident_by_order = False
            d.specials = []
            if acct is not None:
                if p.new_customer and i == 0:
                    d.ident_t = acct.created
                elif rng.random() < (0.85 if d.kind == "app" else 0.5):
                    d.ident_t = max(d.first_seen, acct.created) + rng.expovariate(1.0) * 12 * DAY
            devs.append(d)
        return devs

    # ------------------------------------------------------------------ orders
    def plan_orders(self, p, acct, devices, end, rng, consents) -> list[Order]:
        r = rng.random()
        if r < 0.38:
            return []
        rate = rng.choice((0.15, 0.25, 0.4, 0.6, 0.9, 1.4)) / 30  # orders per day
        if acct is None:
            rate *= 0.3
        t0 = max(p.since, self.w0 - ORDER_HORIZON)
        times = poisson_times(rng, rate, t0, end)
        if not times:
            return []
        stores = self.stores_by_country.get(p.country, [])
        local = [s for s in stores if s[1] == p.hh.address.city]
        web_devs = [d for d in devices if d.platform == "web"]
        app_devs = [d for d in devices if d.platform != "web"]
        orders = []
        first_web = True
        for t in times:
            o = Order()
            o.id = f"CV{self.order_ids.next():09d}"
            w = rng.random()
            if acct is not None and acct.loyalty:
                p_store, p_app = 0.45, 0.15
            elif acct is not None:
                p_store, p_app = 0.15, 0.2
            else:
                p_store, p_app = 0.6, 0.05
            if stores and w < p_store:
                o.channel = "store"
            elif app_devs and w < p_store + p_app:
                o.channel = "app"
            else:
                o.channel = "web"
            o.dev = None
            o.utm = ""
            if o.channel == "store":
                st = local[0] if local and rng.random() < 0.8 else rng.choice(stores)
                o.store = st
                o.tz = self.tz[st[2]]
                day0 = math.floor(t / DAY) * DAY
                off = datetime.fromtimestamp(day0 + 12 * HOUR, o.tz).utcoffset().total_seconds()
                o.t = day0 + rng.uniform(9.5, 19.0) * HOUR - off
                o.country = st[2]
                o.postcode = ""
                loyal = acct is not None and acct.loyalty and o.t >= acct.created
                o.account_id = acct.id if loyal and rng.random() < 0.85 else None
                rr = rng.random()
                if o.account_id and rr < 0.5:
                    o.email = acct.email_at(o.t)
                elif o.account_id:
                    o.email = ""
                elif rr < 0.3:
                    o.email = f"store.{self._slug(st[1])}@cucinaviva.example"
                elif rr < 0.6:
                    o.email = p.email_at(o.t) or ""
                elif rr < 0.65:
                    o.email = rng.choice(R.JUNK_EMAILS)
                else:
                    o.email = ""
                o.phone = M.phone_hand(p.phone, rng) if rng.random() < 0.25 else ""
                if rng.random() < 0.05:
                    store_c = [c for c in self.store_campaigns if c.start <= o.t < c.end + DAY]
                    if store_c:
                        o.utm = rng.choice(store_c).utm
            else:
                o.store = None
                o.t = t
                o.sess_t = t - rng.uniform(120, 900)
                o.login = False
                o.tz = p.tz
                o.country = p.country
                o.postcode = p.address_at(t).postcode
                pool = app_devs if o.channel == "app" else (web_devs or devices)
                o.dev = rng.choice(pool) if pool else None
                logged = acct is not None and t >= acct.created and rng.random() < 0.9
                o.account_id = acct.id if logged else None
                if logged:
                    o.email = acct.email_at(t)
                    dv = o.dev
                    if dv is not None and (dv.ident_t is None or dv.ident_t > o.sess_t):
                        dv.ident_t = o.sess_t  # logs in during this order's session
                        dv.ident_by_order = True
                        o.login = True
                else:
                    rr = rng.random()
                    own = p.email_at(t)
                    if rr < 0.72 and own:
                        o.email = own
                    elif rr < 0.82 and p.work_email:
                        o.email = p.work_email
                    elif rr < 0.9 and (own or p.work_email):
                        o.email = M.email_case(own or p.work_email, rng, p_case=1.0)
                    elif rr < 0.95:
                        o.email = self.people.personal_email(p, rng)  # a new address
                    elif rr < 0.97:
                        o.email = rng.choice(R.JUNK_EMAILS)
                    else:
                        o.email = own or p.hh.family_email or self.people.personal_email(p, rng)
                o.phone = M.phone_web(p.mobile or p.phone, rng) if rng.random() < 0.55 else ""
                ads = self.ads(t)
                if ads and rng.random() < 0.3:
                    o.utm = rng.choice(ads).utm
                if first_web and o.email and rng.random() < 0.6:
                    st_c = "granted" if rng.random() < 0.4 else "denied"
                    consents.append(
                        (t + 1, "email", o.email.lower(), "email_marketing", st_c, "checkout")
                    )
                    first_web = False
            o.currency = R.CURRENCY.get(o.country, "EUR")
            fx = R.FX[o.currency]
            lines = []
            for _ in range(N_LINES.pick(rng)):
                sku, name, cat, price = self.products[rng.randrange(len(self.products))]
                qty = 1 if rng.random() < 0.85 else rng.randint(2, 3)
                lines.append((sku, name, cat, qty, nice_price(price, fx)))
            sub = sum(q * u for *_, q, u in lines)
            disc = 0.0
            if o.utm and rng.random() < 0.5 or rng.random() < 0.1:
                disc = round(sub * rng.choice((0.1, 0.15, 0.2)), 2)
            ship = round(4.90 * fx, 2) if o.channel != "store" and sub < 49 else 0.0
            o.lines, o.discount, o.total = lines, disc, round(sub - disc + ship, 2)
            o.statuses = self._statuses(o, rng)
            if o.dev is not None:
                o.dev.specials.append((o.sess_t, "order", o))
            if o.channel == "store" and o.phone and rng.random() < 0.5:
                consents.append(
                    (
                        o.t + 30,
                        "phone",
                        p.phone.e164 if p.phone else o.phone,
                        "sms_marketing",
                        "granted" if rng.random() < 0.6 else "denied",
                        "store",
                    )
                )
            orders.append(o)
        return orders

    @staticmethod
    def _slug(city: str) -> str:
        return fold(city.split()[0])

    def _statuses(self, o: Order, rng) -> list[tuple[float, str]]:
        t = o.t
        if o.channel == "store":
            st = [(t, "delivered")]
            if rng.random() < 0.02:
                st.append((t + rng.uniform(1, 20) * DAY, "refunded"))
            return st
        st = [(t, "placed")]
        if rng.random() < 0.05:
            st.append((t + HOUR, "cancelled"))
            return st
        paid = t + rng.uniform(20, 600)
        st.append((paid, "paid"))
        if rng.random() < 0.03:
            st.append((paid + rng.uniform(1, 20) * HOUR, "cancelled"))
            return st
        ship = (
            math.floor(paid / DAY) * DAY + rng.choice((1, 1, 2)) * DAY + rng.uniform(8, 17) * HOUR
        )
        st.append((ship, "shipped"))
        deliv = ship + rng.uniform(1, 4) * DAY
        st.append((deliv, "delivered"))
        if rng.random() < 0.04:
            st.append((deliv + rng.uniform(3, 14) * DAY, "refunded"))
        return st

    def emit_order(self, p, o: Order) -> None:
        head = [
            o.id,
            "" if o.account_id is None else str(o.account_id),
            o.email,
            o.phone,
            o.channel,
            o.store[0] if o.store else "",
            iso_offset(o.t, o.tz),
            o.currency,
            f"{o.total:.2f}",
            f"{o.discount:.2f}",
        ]
        tail = [o.country, o.postcode, o.utm]
        versions = [(t, head + [status] + tail + [iso_z(t)]) for t, status in o.statuses]
        truth = (("shop_order", o.id), p.pid) if o.account_id is None else None

        def items(d: int) -> None:
            for i, (sku, name, cat, qty, unit) in enumerate(o.lines, 1):
                row = [o.id, str(i), sku, name, cat, str(qty), f"{unit:.2f}"]
                self.L.delta(S.ITEMS, d, row)

        self.emit_versions(S.ORDERS, versions, truth, items)

    # ------------------------------------------------------------------ newsletter
    def plan_newsletter(self, p, devices, orders, end, rng, consents) -> list[dict]:
        subs = []
        want = []
        if rng.random() < 0.28:
            want.append("recipes_weekly")
        if rng.random() < (0.35 if want else 0.14):
            want.append("promotions")
        for list_id in want:
            s: dict = {"list_id": list_id}
            if p.new_customer or rng.random() < 0.1:
                c = rng.uniform(max(p.since, self.w0), end) if end > max(p.since, self.w0) else None
            else:
                c = rng.uniform(p.since, self.w0 - HOUR)
            if c is None or c >= end:
                continue
            email = p.email_given(c, rng.random(), work_share=0.08, family_below=0.15)
            if email is None:
                continue
            src_r = rng.random()
            web_orders = [o for o in orders if o.channel != "store" and o.t >= c - DAY]
            if c < self.w0 - 30 * DAY and src_r < 0.13:
                source = "import"
            elif web_orders and src_r < 0.4:
                source = "checkout"
                c = web_orders[0].t + 5
            elif src_r < 0.52 and any(o.channel == "store" for o in orders):
                source = "store"
            else:
                source = "web_form"
            if c >= end:
                continue
            s["id"] = self.subscriber_ids.next()
            s["email_true"] = email
            s["email"] = M.email_case(email, rng, p_case=0.15, p_space=0.05)
            s["first_name"] = (
                M.name_case(p.first, rng, upper=0.05, lower=0.15, spaces=0.03)
                if rng.random() < 0.7
                else ""
            )
            s["created"] = c
            s["source"] = source
            s["lang"] = p.lang if rng.random() < 0.93 else ""
            if source == "import":
                confirm = c
            elif rng.random() < 0.06:
                confirm = None  # never confirms: stays pending
            else:
                confirm = c + rng.uniform(120, 2 * DAY)
            s["confirm"] = confirm if confirm is None or confirm < end else None
            s["unsub"] = None
            s["cleaned"] = None
            s["deleted"] = None
            if s["confirm"] is not None:
                if s["confirm"] < self.w0 and rng.random() < 0.12:
                    s["unsub"] = rng.uniform(s["confirm"], self.w0)
                elif rng.random() < 0.015:
                    s["unsub"] = rng.uniform(max(s["confirm"], self.w0), self.w1)
                elif rng.random() < 0.02:
                    s["cleaned"] = rng.uniform(s["confirm"], self.w1)
                if (
                    email == p.old_email
                    and p.email_change_t is not None
                    and rng.random() < 0.5
                    and s["unsub"] is None
                ):
                    s["cleaned"] = p.email_change_t + rng.uniform(5, 20) * DAY
            if p.erasure_t is not None:
                s["deleted"] = p.erasure_t + rng.uniform(1, 3) * DAY
            elif rng.random() < 0.003:
                s["deleted"] = rng.uniform(self.w0, self.w1)
            s["broken"] = rng.random() < 0.0025
            if source == "web_form" and devices and self.w0 - WEB_HORIZON <= c < self.web_end:
                d = rng.choice(devices)
                d.specials.append((c - rng.uniform(30, 200), "signup", email))
            if s["confirm"] is not None:
                consents.append(
                    (
                        s["confirm"],
                        "email",
                        email.lower(),
                        "email_marketing",
                        "granted",
                        "preference_center"
                        if source == "web_form"
                        else "checkout"
                        if source == "checkout"
                        else "store"
                        if source == "store"
                        else "crm",
                    )
                )
            if s["unsub"] is not None:
                consents.append(
                    (
                        s["unsub"],
                        "email",
                        email.lower(),
                        "email_marketing",
                        "withdrawn",
                        "preference_center",
                    )
                )
            subs.append(s)
        return subs

    def _sub_state(self, s: dict, t: float):
        """(status, opt_in_at, unsubscribed_at) as of time t."""
        opt = s["confirm"] if s["confirm"] is not None and s["confirm"] <= t else None
        if opt is None:
            return "pending", "", ""
        if s["unsub"] is not None and s["unsub"] <= t:
            return "unsubscribed", str(int(opt)), str(int(s["unsub"]))
        if s["cleaned"] is not None and s["cleaned"] <= t:
            return "cleaned", str(int(opt)), ""
        return "subscribed", str(int(opt)), ""

    def emit_newsletter(self, p, subs: list[dict], rng) -> None:
        L = self.L
        for s in subs:
            d0 = max(0, self.day(s["created"]))
            d_end = self.D if s["deleted"] is None else min(self.D, self.day(s["deleted"]))
            sid = str(s["id"])  # (csv writes the number's str)
            truth = (("newsletter", sid), p.pid)
            # the days with one state share a row
            states = [self._sub_state(s, self._eod(d)) for d in range(d0, d_end)]
            for run, (status, opt, unsub) in _runs(range(d0, d_end), states):
                row = [
                    sid,
                    s["email"],
                    s["first_name"],
                    s["list_id"],
                    status,
                    s["lang"],
                    opt,
                    unsub,
                    s["source"],
                ]
                L.snapshots(S.SUBSCRIBERS, run, row, truth, s["broken"])
            # activity: sends of the list's campaigns while subscribed
            if s["confirm"] is None:
                continue
            email = s["email"].strip().lower() if rng.random() < 0.9 else s["email"]
            end = min(
                x
                for x in (s["unsub"], s["cleaned"], s["deleted"], p.stop_t, self.w1)
                if x is not None
            )
            last_c = None
            for c in self.email_campaigns[s["list_id"]]:
                if c.send_t < max(s["confirm"], self.w0 - ACTIVITY_HORIZON) or c.send_t >= end:
                    continue
                last_c = c
                sent = c.send_t + rng.uniform(0, 1800)
                self._act(email, c, "sent", sent, "")
                r = rng.random()
                if r < 0.006:
                    self._act(email, c, "bounce", sent + rng.uniform(5, 300), "")
                elif r < 0.38:
                    op = sent + rng.expovariate(1.0) * 6 * HOUR
                    self._act(email, c, "open", op, "")
                    if rng.random() < 0.25:
                        sku = self.products[rng.randrange(len(self.products))][0]
                        url = (
                            f"{SITE}/{LANG_PATH[p.lang]}/p/{sku.lower()}?utm_source=newsletter"
                            f"&utm_medium=email&utm_campaign={c.utm}"
                        )
                        self._act(email, c, "click", op + rng.uniform(5, 600), url)
            if s["unsub"] is not None and s["unsub"] >= self.w0 - ACTIVITY_HORIZON:
                self._act(email, last_c, "unsubscribe", s["unsub"], "")
            if s["cleaned"] is not None and last_c is not None:
                self._act(email, last_c, "bounce", s["cleaned"] - rng.uniform(60, 3600), "")

    def _act(self, email, c, activity, t, url) -> None:
        if t >= self.w1:
            return
        self.L.delta(
            S.ACTIVITY,
            self.day(t),
            [email, c.campaign_id if c else "", activity, str(int(t * 1000)), url],
        )

    # ------------------------------------------------------------------ web
    def web(self, p, acct, devices, rng, consents) -> None:
        if not devices:
            return
        h0 = self.w0 - WEB_HORIZON
        stop = min(p.stop_t or self.web_end, self.web_end)
        w0 = self.w0
        for d in devices:
            if d.first_seen >= w0 - CONSENT_HORIZON and d.first_seen < min(stop, self.w1):
                for purpose, pr in (("analytics", 0.72), ("personalization", 0.55)):
                    consents.append(
                        (
                            d.first_seen + 2,
                            "anonymous_id",
                            d.anon,
                            purpose,
                            "granted" if rng.random() < pr else "denied",
                            "cookie_banner",
                        )
                    )
        site = self._site(p.lang)
        acct_id = str(acct.id) if acct is not None else None
        for d in devices:
            start = max(d.first_seen, h0)
            if start >= stop:
                continue
            sessions = [(t, "browse", None) for t in poisson_times(rng, d.rate, start, stop)]
            if d.ident_t is not None and not d.ident_by_order and start <= d.ident_t < stop:
                sessions.append((d.ident_t, "ident", None))
            for t, kind, payload in d.specials:
                if start <= t < stop:
                    sessions.append((t, kind, payload))
            sessions.sort(key=lambda x: x[0])
            truth = (("web", d.anon), p.pid)
            for s_t, kind, payload in sessions:
                self._web_session(p, acct, acct_id, d, site, s_t, kind, payload, stop, truth, rng)

    def _site(self, lang: str) -> _Site:
        site = self._sites.get(lang)
        if site is None:
            site = self._sites[lang] = _Site(lang, self.products)
        return site

    def _web_session(
        self, p, acct, acct_id, d: Dev, site: _Site, s_t, kind, payload, stop, truth, rng
    ) -> None:
        """The events of one session of device ``d`` at ``s_t`` (a browse, the device's
        login, an order or a newsletter signup), each handed to the landing as it is recorded.

        The draws below are those of ``rng.randint``, ``rng.randrange`` and ``rng.choice``
        written out (as ``util.randbelow`` and ``util.FastRandom`` make them): this runs for
        every web event."""
        random, getrandbits = rng.random, rng.getrandbits
        jt = self._json_text  # the JSON text of a string of the site (cached)
        enc = encode_basestring  # ... and of any other
        base = site.base
        logged = d.ident_t is not None and s_t > d.ident_t and acct_id is not None
        if kind == "order":
            logged = payload.account_id is not None and not payload.login
        uid = acct_id if logged else None
        t_ms = int(s_t * 1000)
        utm = None
        ref = None
        is_app = d.platform != "web"
        if random() < 0.3:
            ads = self.ads(s_t)
            if ads:
                c = ads[randbelow(getrandbits, len(ads))]
                sources = R.UTM_SOURCES[c.channel]
                src, med = sources[randbelow(getrandbits, len(sources))]
                utm = (src, med, c.utm)
        elif not is_app and random() < 0.5:
            ref = REFERRERS[randbelow(getrandbits, len(REFERRERS))]
        # the session's events (see _event)
        evs = [site.app_open if is_app else site.home]
        if kind == "ident" or (kind == "order" and payload.login) or logged and random() < 0.03:
            email = acct.email_at(s_t)
            props_json = f'{{"email":{enc(email)}}}'
            evs.append(_event(base, "login", site.login_url, {"email": email}, props_json))
            acct.logins.append(s_t + 20)
        if kind == "order":
            o = payload
            for sku, *_ in o.lines:
                evs.append(site.product_view[sku])
                evs.append(site.add_to_cart[sku])
            evs.append(site.checkout)
            props_json = f'{{"order_id":{enc(o.id)}}}'
            evs.append(
                _event(
                    base, "order_completed", site.confirmation_url, {"order_id": o.id}, props_json
                )
            )
        elif kind == "signup":
            props_json = f'{{"email":{enc(payload)}}}'
            evs.append(
                _event(
                    base, "newsletter_signup", site.newsletter_url, {"email": payload}, props_json
                )
            )
        else:
            products = self.products
            kinds, cum, total = BROWSE_EVENT.items, BROWSE_EVENT.cum, BROWSE_EVENT.total
            for _ in range(SESSION_LEN.pick(rng) - 1):
                et = kinds[bisect_right(cum, random() * total)]  # BROWSE_EVENT.pick(rng)
                if et == "product_view" or et == "add_to_cart":
                    sku = products[randbelow(getrandbits, len(products))][0]
                    evs.append(
                        (site.product_view if et == "product_view" else site.add_to_cart)[sku]
                    )
                elif et == "search":
                    queries = site.queries
                    evs.append(site.search[queries[randbelow(getrandbits, len(queries))]])
                elif et == "page_view":
                    cat = PAGE_CATEGORIES[randbelow(getrandbits, len(PAGE_CATEGORIES))]
                    evs.append(site.category[cat])
                else:
                    evs.append(site.checkout)

        L = self.L
        w0, web_end = self.w0, self.web_end
        platform = d.platform
        anon = d.anon
        head = f'","anonymous_id":"{anon}","account_id":'
        uid_json = "null" if uid is None else enc(uid)
        ref_json = "null" if ref is None else jt[ref]
        # the referrer of the next page: the page before on the web (none in the apps)
        prev_url, prev_json = ref, ref_json
        minutes, seconds_ms = ISO_MINUTES, SECONDS_MS
        for i, (etype, props, props_json, pages) in enumerate(evs):
            if i:
                r = getrandbits(17)  # rng.randint(3000, 90000)
                while r >= 87001:
                    r = getrandbits(17)
                t_ms += 3000 + r
            if etype == "login":
                uid, uid_json = acct_id, enc(acct_id)
            page, page_json = pages[is_app]
            r = getrandbits(12)  # rng.randint(40, 4000)
            while r >= 3961:
                r = getrandbits(12)
            rec = t_ms + 40 + r
            if is_app and random() < 0.15:
                r = getrandbits(20)  # rng.randint(60_000, 900_000)
                while r >= 840001:
                    r = getrandbits(20)
                rec += 60_000 + r
            if random() < 0.03:  # late arrival, 1-3 export days later
                occ_day = (t_ms // 1000 - w0) // DAY
                k = LATE_DAYS[randbelow(getrandbits, 4)]
                rec = int((w0 + (occ_day + k) * DAY + random() * DAY) * 1000)
                rec = max(rec, t_ms + 1000)
            rec_s = rec / 1000
            if rec_s >= web_end or t_ms / 1000 >= stop:
                continue
            h = getrandbits(128).to_bytes(16).hex()  # rng_uuid(rng), as util.uuid4_text
            event_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{UUID4_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"
            m, ms = divmod(t_ms, 60_000)  # iso_ms(t_ms)
            occurred = (minutes.get(m) or iso_minute(m)) + seconds_ms[ms]
            m, ms = divmod(rec, 60_000)
            received = (minutes.get(m) or iso_minute(m)) + seconds_ms[ms]
            referrer, referrer_json = (prev_url, prev_json) if i else (ref, ref_json)
            if utm is not None and i == 0:
                utm_src, utm_med, utm_camp = utm
                utm_json = (
                    f',"utm_source":{jt[utm_src]},"utm_medium":{jt[utm_med]}'
                    f',"utm_campaign":{jt[utm_camp]}'
                )
            else:
                utm_src = utm_med = utm_camp = None
                utm_json = NO_UTM
            text = (
                f'{{"event_id":"{event_id}{head}{uid_json},"event_type":"{etype}",'
                f'"occurred_at":"{occurred}","received_at":"{received}",'
                f'"platform":"{platform}","page_url":{page_json},"referrer":{referrer_json}'
                f'{utm_json},"properties":{props_json}}}'
            )
            values = (
                event_id,
                anon,
                uid,
                etype,
                occurred,
                received,
                platform,
                page,
                referrer,
                utm_src,
                utm_med,
                utm_camp,
                props,
            )
            if not is_app:
                prev_url, prev_json = page, page_json
            day = math.floor((rec_s - w0) / DAY)
            landed = L.delta_json(S.WEB, day, text, WEB_FIELDS, values, truth)
            if landed >= 0 and random() < 0.015:  # tracker retry
                day = landed + (0 if random() < 0.7 else 1)
                L.delta_json(S.WEB, day, text, WEB_FIELDS, values, truth)

    # ------------------------------------------------------------------ CRM
    def crm(self, p, end, rng, consents, srng=None) -> None:
        if rng.random() >= (0.6 if not p.new_customer else 0.4):
            return
        if p.new_customer:
            c = p.since + rng.uniform(0, 5 * DAY)
        else:
            c = rng.uniform(p.since, self.w0 - HOUR)
        c = math.floor(c / DAY) * DAY + rng.uniform(8, 18.5) * HOUR  # office hours (UTC+1)
        if c >= end:
            return
        opt = M.OPT_IN.pick(rng)
        contacts = [self._crm_contact(p, c, rng, opt, dup=False)]
        if opt in ("sì", "si", "yes", "y", "no", "n") and (p.email_at(c) or p.work_email):
            consents.append(
                (
                    c + 60,
                    "email",
                    (p.email_at(c) or p.work_email).lower(),
                    "email_marketing",
                    "denied" if opt in ("no", "n") else "granted",
                    "crm",
                )
            )
        # Entered again by another sales rep (4 %). The scenarios' doses are the same duplicate,
        # drawn from the scenario's rng: 1..copies_max typo'd copies typed more carelessly, and
        # a person of a household that moved entered again after the move (new address).
        dups = [(rng, False, c)] if rng.random() < 0.04 else []
        sc = self.scenario
        if sc.crm_copies and srng.random() < sc.crm_copies:
            dups += [(srng, True, c)] * srng.randint(1, sc.copies_max)
        mv = p.hh.move_t
        if (
            sc.movers_reentered
            and mv is not None
            and mv > c
            and srng.random() < sc.movers_reentered
        ):
            dups.append((srng, False, mv))
        for r, careless, since in dups:
            c2 = r.uniform(since + DAY, max(since + 2 * DAY, self.w1))
            c2 = math.floor(c2 / DAY) * DAY + r.uniform(8, 18.5) * HOUR
            if c2 < end:
                contacts.append(
                    self._crm_contact(p, c2, r, M.OPT_IN.pick(r), dup=True, careless=careless)
                )
        for cid, versions in contacts:
            self.emit_versions(S.CRM, versions, (("crm", cid), p.pid))

    def _crm_contact(self, p, c, rng, opt, dup: bool, careless: bool = False):
        """One CRM contact of ``p`` created at ``c``: ``dup`` when a rep enters the person
        again, ``careless`` for a scenario's typo'd copy (errors in any field)."""
        cid = f"C-{self.contact_ids.next():07d}"
        first, last = p.first, p.last_at(c)
        if careless:
            first, last = M.names_copy(first, last, rng)
        elif dup:
            r = rng.random()
            if r < 0.6:
                if rng.random() < 0.5:
                    first = M.typo(first, rng)
                else:
                    last = M.typo(last, rng)
            if rng.random() < 0.15:
                first, last = last, first
        sal = R.SALUTATIONS[p.lang][0 if p.gender == "m" else 1] if rng.random() < 0.8 else ""
        if p.lang == "es" and rng.random() < 0.7:
            sal = ""
        fn = M.name_case(first, rng)
        ln = M.name_case(last, rng)
        r = rng.random()
        own = p.email_at(c)
        if r < 0.08 or (dup and r < 0.35):
            email = ""
        elif r < 0.11:
            email = rng.choice(R.JUNK_EMAILS)
        elif p.work_email and r < 0.22:
            email = p.work_email
        else:
            email = own or p.hh.family_email or ""
        if email and "@" in email:
            email = M.email_case(email, rng, p_case=0.12, p_space=0.03)
        hh = p.hh
        if hh.landline and rng.random() < 0.7:
            phone = M.phone_hand(hh.landline, rng)
        elif p.mobile and rng.random() < 0.4:
            phone = M.phone_hand(p.mobile, rng)
        else:
            phone = ""
        mobile = M.phone_hand(p.mobile, rng) if p.mobile and rng.random() < 0.75 else ""
        if dup and rng.random() < 0.3:
            phone, mobile = ("", mobile) if rng.random() < 0.5 else (phone, "")
        if not email and not phone and not mobile and rng.random() < 0.5 and not dup:
            mobile = M.phone_hand(p.phone, rng)
        birth = ""
        if rng.random() < (0.8 if careless else 0.55):
            y, m, d = p.birth.split("-")
            birth = f"{d}/{m}/{y}"
            if careless:
                birth = M.birth_copy(birth, rng)
        insta = ""
        if p.handle and rng.random() < 0.55:
            insta = M.handle_render(p.handle, rng)

        def addr(t):
            a = p.address_at(t)
            line = [
                M.street_messy(a.street, rng),
                M.postcode_messy(a.postcode, rng),
                M.name_case(a.city, rng, upper=0.15, lower=0.1, spaces=0.03),
            ]
            if careless:
                line[0] = M.street_copy(line[0], rng)
                line[1:] = ["" if rng.random() < M.COPY_BLANK else v for v in line[1:]]
            return line

        country = M.country_text(p.country, rng)
        fields = (
            [cid, sal, fn, ln, email, phone, mobile, birth]
            + addr(c)
            + [country, insta, opt, rome_local(c)]
        )
        versions = [(c, fields + [rome_local(c), "0"])]
        if c < self.w0 - 30 * DAY and rng.random() < 0.15:
            u = rng.uniform(c, self.w0 - DAY)
            f2 = list(fields)
            if not f2[6] and p.mobile:
                f2[6] = M.phone_hand(p.mobile, rng)
            else:
                f2[13] = M.OPT_IN.pick(rng)
            fields = f2
            versions.append((u, f2 + [rome_local(u), "0"]))
        mv = p.hh.move_t
        if mv is not None and mv > c and rng.random() < self.scenario.crm_follows_move:
            u = mv + rng.uniform(0, 10) * DAY
            f2 = list(fields)
            f2[8:11] = addr(u)
            fields = f2
            versions.append((u, f2 + [rome_local(u), "0"]))
        if p.email_change_t is not None and email and rng.random() < 0.5:
            u = p.email_change_t + rng.uniform(1, 15) * DAY
            f2 = list(fields)
            f2[4] = M.email_case(p.email, rng, p_case=0.1)
            fields = f2
            versions.append((u, f2 + [rome_local(u), "0"]))
        if rng.random() < 0.02:
            u = rng.uniform(max(c, self.w0), self.w1)
            f2 = list(fields)
            f2[13] = M.OPT_IN.pick(rng)
            fields = f2
            versions.append((u, f2 + [rome_local(u), "0"]))
        deleted = None
        if p.erasure_t is not None:
            deleted = p.erasure_t + rng.uniform(1, 5) * DAY
        elif dup and rng.random() < 0.4:
            deleted = c + rng.uniform(1, 40) * DAY  # merged away by a sales rep
        elif rng.random() < 0.003:
            deleted = rng.uniform(c, self.w1)
        if deleted is not None:
            last_t = max(v[0] for v in versions)
            deleted = max(deleted, last_t + 60)
            versions.append((deleted, fields + [rome_local(deleted), "1"]))
        return cid, versions

    # ------------------------------------------------------------------ subscriptions
    def subscription(self, p, end, rng) -> None:
        pr = 0.1 if p.hh.size >= 2 else 0.06
        if rng.random() >= pr:
            return
        if p.new_customer or rng.random() < 0.12:
            lo = max(p.since, self.w0)
            if lo >= end:
                return
            start = rng.uniform(lo, end)
        else:
            start = rng.uniform(max(p.since, self.w0 - 3 * 365 * DAY), self.w0 - HOUR)
        veg = "vegetarian" in p.diet or "vegan" in p.diet
        size = "4p" if p.hh.size >= 3 else "2p"
        plan = f"{'veggie' if veg else 'box'}-{size}"
        interval = "week" if rng.random() < 0.8 else "month"
        cur = R.CURRENCY.get(p.country, "EUR")
        price = nice_price(R.PLANS[plan] * (3.8 if interval == "month" else 1), R.FX[cur])
        price_s = f"{price:.2f}"
        sid = "sub_" + encode(self.sub_ids.next(), B52, 6) + rand_str(rng, B52, 8)
        email = p.email_given(start, rng.random(), work_share=0.08, family_below=0.14)
        if email is None:
            return
        last = p.last_at(start)
        name = f"{p.first} {last}" if rng.random() < 0.7 else f"{last.upper()} {p.first}"
        r = rng.random()
        phone = (
            (p.phone.e164 if r < 0.55 else M.phone_hand(p.phone, rng) if r < 0.8 else None)
            if p.phone
            else None
        )
        events = []  # (t, status)
        if start < self.w0:
            r = rng.random()
            if r < 0.25:
                events.append((rng.uniform(start, self.w0), "cancelled"))
            elif r < 0.33:
                events.append((rng.uniform(start, self.w0), "paused"))
        r = rng.random()
        if not events or events[-1][1] != "cancelled":
            if r < 0.05:
                events.append((rng.uniform(max(start, self.w0), self.w1), "cancelled"))
            elif r < 0.1:
                t = rng.uniform(max(start, self.w0), self.w1)
                events.append((t, "paused"))
                if rng.random() < 0.4:
                    events.append((t + rng.uniform(3, 14) * DAY, "active"))
            if p.erasure_t is not None:
                events.append((p.erasure_t + DAY, "cancelled"))
        email_change = (
            p.email_change_t + rng.uniform(0, 5) * DAY
            if p.email_change_t and email == p.old_email and rng.random() < 0.5
            else None
        )
        addr_change = p.hh.move_t + rng.uniform(0, 5) * DAY if p.hh.move_t else None
        broken = rng.random() < 0.0025
        truth = (("subscriptions", sid), p.pid)
        started = iso_z(start)

        def state(d: int) -> tuple:
            """(status, cancelled at, address, e-mail) at the end of day ``d``."""
            t = self._eod(d)
            status, cancelled = "active", None
            for et, st in events:
                if et <= t:
                    status = st
                    cancelled = et if st == "cancelled" else None
            a = (
                p.hh.old_address
                if (addr_change and t < addr_change and p.hh.old_address)
                else (p.hh.address)
            )
            em = p.email if email_change and t >= email_change else email
            return status, cancelled, a, em

        # the days with one state share a row
        days = range(max(0, self.day(start)), self.D)
        for run, (status, cancelled, a, em) in _runs(days, [state(d) for d in days]):
            obj = {
                "id": sid,
                "customer": {"email": em, "name": name, "phone": phone},
                "plan": plan,
                "price": {"amount": price_s, "currency": cur},
                "interval": interval,
                "status": status,
                "started_at": started,
                "cancelled_at": iso_z(cancelled) if cancelled else None,
                "delivery_address": {
                    "line1": a.street,
                    "postcode": a.postcode,
                    "city": a.city,
                    "country": p.country,
                },
            }
            self.L.snapshots(S.SUBSCRIPTIONS, run, obj, truth, broken)

    # ------------------------------------------------------------------ surveys
    def surveys(self, p, acct, end, rng) -> None:
        lo = max(p.since, self.w0 - SURVEY_HORIZON)
        if lo >= end:
            return
        if rng.random() < 0.12:
            for _ in range(1 if rng.random() < 0.9 else 2):
                t = rng.uniform(lo, end)
                rid = "R_" + encode(self.nps_ids.next(), B62, 6) + rand_str(rng, B62, 9)
                email = (acct.email_at(t) if acct and rng.random() < 0.5 else p.email_at(t)) or ""
                if rng.random() < 0.08:
                    email = ""
                score = NPS_SCORE.pick(rng)
                bucket = "hi" if score >= 9 else "mid" if score >= 7 else "lo"
                comment = ""
                if rng.random() < 0.55:
                    lang = p.lang if rng.random() < 0.9 else "en"
                    comment = rng.choice(R.NPS_COMMENTS[lang][bucket])
                when = iso_z(t) if rng.random() < 0.6 else iso_offset(t, p.tz)
                self.L.delta(
                    S.NPS,
                    self.day(t),
                    [rid, email, when, str(score), comment],
                    (("surveys_nps", rid), p.pid),
                )
        if rng.random() < 0.09:
            t = rng.uniform(lo, end)
            rid = encode(self.pref_ids.next(), B36, 6) + rand_str(rng, B36, 14)
            email = p.email_at(t) or p.work_email or ""
            if email:
                email = M.email_case(email, rng, p_case=0.1, p_space=0.04)
            if rng.random() < 0.06:
                email = ""
            lang = p.lang
            row = [
                rid,
                email,
                dmy2(t),
                self._satisfaction(lang, rng),
                self._diet(p, rng),
                self._hh_size(p.hh.size, lang, rng),
                self._cooking(lang, rng),
            ]
            self.L.delta(S.PREFERENCES, self.day(t), row, (("surveys_preferences", rid), p.pid))

    def _satisfaction(self, lang, rng) -> str:
        sat = SATISFACTION.pick(rng)
        r = rng.random()
        if r < 0.33:
            return R.SATISFACTION_LABELS[lang][sat]
        if r < 0.43:
            return R.SATISFACTION_LABELS["en"][sat]
        if r < 0.53:
            return R.SATISFACTION_FREE[lang][sat]
        if r < 0.65:
            return f"{sat}/5"
        if r < 0.75:
            return "★" * sat + "☆" * (5 - sat)
        if r < 0.97:
            return str(sat)
        return rng.choice(R.UNMAPPABLE[lang])

    def _diet(self, p, rng) -> str:
        tags = p.diet.split(";")
        r = rng.random()
        if r < 0.5:
            return p.diet
        if r < 0.97:
            texts = [rng.choice(R.DIET_FREE[t]) for t in tags]
            return ", ".join(texts)
        return rng.choice(R.DIET_UNMAPPABLE)

    def _hh_size(self, n: int, lang, rng) -> str:
        r = rng.random()
        if r < 0.47:
            return str(n)
        if r < 0.72 and n < len(R.NUMBER_WORDS[lang]):
            return R.NUMBER_WORDS[lang][n]
        if r < 0.97:
            return "1" if n == 1 else "2" if n == 2 else "3-4" if n <= 4 else "5+"
        return rng.choice(R.UNMAPPABLE[lang])

    def _cooking(self, lang, rng) -> str:
        r = rng.random()
        if r < 0.6:
            return rng.choice(R.COOKING_VALUES)
        if r < 0.97:
            return rng.choice(R.COOKING_FREE[lang])
        return rng.choice(R.UNMAPPABLE[lang])

    # ------------------------------------------------------------------ support
    def support(self, p, acct, end, rng) -> None:
        if rng.random() >= 0.07:
            return
        lo = max(p.since, self.w0 - SUPPORT_HORIZON)
        if lo >= end:
            return
        for _ in range(1 if rng.random() < 0.85 else 2):
            t = rng.uniform(lo, end)
            ch = SUPPORT_CHANNEL.pick(rng)
            if ch == "social" and not p.handle:
                ch = "chat"
            own = acct.email_at(t) if acct and rng.random() < 0.6 else p.email_at(t)
            own = own or p.work_email or p.hh.family_email
            last = p.last_at(t)
            full = f"{p.first} {last}"
            if ch == "social":
                cust = {
                    "email": own if rng.random() < 0.55 else None,
                    "phone": None,
                    "name": M.handle_render(p.handle, rng),
                }
            elif ch == "phone":
                cust = {
                    "email": own if rng.random() < 0.3 else None,
                    "phone": M.phone_hand(p.phone, rng) or None,
                    "name": full if rng.random() < 0.7 else p.first,
                }
            else:
                r = rng.random()
                name = (
                    full
                    if r < 0.6
                    else p.first.lower()
                    if r < 0.75
                    else f"{p.first[0]}. {last}"
                    if r < 0.85
                    else None
                )
                ph = (M.phone_web(p.phone, rng) or None) if rng.random() < 0.2 else None
                cust = {"email": own, "phone": ph, "name": name}
            tid = f"TCK-{self.ticket_ids.next():08d}"
            txt = R.SUPPORT_TEXT[p.lang]
            k = rng.randrange(len(txt["open"]))
            topic = R.SUPPORT_OPEN_TOPICS[k] if rng.random() < 0.85 else "other"
            msgs = [("customer", t, txt["open"][k])]
            states = [(t, "open", None, None, 1)]
            a1 = t + rng.uniform(0.2, 20) * HOUR
            msgs.append(("agent", a1, rng.choice(txt["agent"])))
            states.append((a1, "pending", None, None, 2))
            n = 2
            if rng.random() < 0.5:
                a2 = a1 + rng.uniform(0.1, 10) * HOUR
                msgs.append(("customer", a2, rng.choice(txt["reply"])))
                n = 3
            solved = msgs[-1][1] + rng.uniform(1, 48) * HOUR
            csat = rng.randint(1, 5) if rng.random() < 0.45 else None
            states.append((solved, "solved", solved, csat, n))
            states.append((solved + rng.uniform(3, 4) * DAY, "closed", solved, csat, n))
            versions = []
            for st_t, status, closed, cs, nm in states:
                if st_t >= min(end, self.w1) and status != "open":
                    break
                versions.append(
                    (
                        st_t,
                        {
                            "ticket_id": tid,
                            "channel": ch,
                            "customer": cust,
                            "opened_at": iso_z(t),
                            "closed_at": iso_z(closed) if closed else None,
                            "status": status,
                            "topic": topic,
                            "csat": cs,
                            "messages": [
                                {"sender": s, "sent_at": iso_z(mt), "text": x}
                                for s, mt, x in msgs[:nm]
                            ],
                        },
                    )
                )
            self.emit_versions(S.TICKETS, versions, (("support", tid), p.pid))

    # ------------------------------------------------------------------ social
    def _post(self, platform: str, handle_shown: str, t: float, text: str, rng) -> dict:
        if platform == "facebook":
            post_id = f"{rng.randint(10**14, 10**15 - 1)}_{rng.randint(10**15, 10**16 - 1)}"
        else:
            post_id = str(rng.randint(10**18, 10**19 - 1))
        return {
            "platform": platform,
            "post_id": post_id,
            "handle": handle_shown,
            "posted_at": iso_z(t),
            "text": text,
            "in_reply_to": rng.choice(self.brand_posts) if rng.random() < 0.35 else None,
            "likes": int(rng.expovariate(1.0) * 25),
        }

    def social(self, p, end, rng) -> None:
        if not p.handle or rng.random() >= 0.25:
            return
        lo = max(p.since - 30 * DAY, self.w0 - SOCIAL_HORIZON)
        if lo >= end:
            return
        for _ in range(rng.choice((1, 1, 2, 3))):
            plat = PLATFORM_PICK.pick(rng)
            if plat not in p.platforms:
                plat = "instagram"
            t = rng.uniform(lo, end)
            obj = self._post(
                plat, M.handle_render(p.handle, rng), t, rng.choice(R.SOCIAL_TEXT[p.lang]), rng
            )
            self.L.delta(S.MENTIONS, self.day(t), obj, (("social", f"{plat}:{p.handle}"), p.pid))

    def strangers(self, hh, rng) -> None:
        for _ in range(poisson(rng, 0.4)):
            h = self.people.stranger_handle(rng)
            lang = rng.choice(("it", "de", "fr", "es", "en"))
            plat = PLATFORM_PICK.pick(rng)
            for _ in range(rng.choice((1, 1, 2))):
                t = rng.uniform(self.w0 - SOCIAL_HORIZON, self.w1)
                obj = self._post(
                    plat, M.handle_render(h, rng), t, rng.choice(R.SOCIAL_TEXT[lang]), rng
                )
                self.L.delta(S.MENTIONS, self.day(t), obj)

    # ------------------------------------------------------------------ consent
    def third_party_consent(self, p, acct, end) -> None:
        """Some account holders answer whether their data may be shared with advertising
        partners (asked at checkout and in the preference centre). Drawn from a stream of its
        own, keyed by the person, so that every other export stays as it was."""
        rng = FastRandom(f"third-party:{self.seed}/{p.pid}")
        if rng.random() >= 0.3:
            return
        t = rng.uniform(max(acct.created, self.w0 - CONSENT_HORIZON), end)
        status = "granted" if rng.random() < 0.45 else "denied"
        source = rng.choice(("checkout", "preference_center"))
        consent = (t, "account_id", str(acct.id), "third_party_sharing", status, source)
        self.emit_consents([consent], end, rng)

    def emit_consents(self, consents, end, rng) -> None:
        out = []
        for t, stype, value, purpose, status, source in consents:
            if t < self.w0 - CONSENT_HORIZON or t >= min(end, self.w1):
                continue
            out.append((t, stype, value, purpose, status, source))
            if status == "granted" and rng.random() < 0.06:
                tw = t + rng.uniform(1, 200) * DAY
                if tw < min(end, self.w1):
                    out.append((tw, stype, value, purpose, "withdrawn", "preference_center"))
        for t, stype, value, purpose, status, source in out:
            self.L.delta(
                S.CONSENT,
                self.day(t),
                [rng_uuid(rng), stype, value, purpose, status, iso_z(t), source, self.policy(t)],
            )

    # ------------------------------------------------------------------ privacy
    def erasure(self, p, acct, rng) -> None:
        t = p.erasure_t
        email = (p.email or p.work_email or "") if rng.random() < 0.85 else ""
        phone = ""
        if p.phone and rng.random() < 0.35:
            phone = p.phone.e164 if rng.random() < 0.6 else M.phone_hand(p.phone, rng)
        account = str(acct.id) if acct is not None and rng.random() < 0.6 else ""
        if not (email or phone or account):
            if acct is not None:
                account = str(acct.id)
            elif p.phone:
                phone = p.phone.e164
            else:
                email = p.email or p.work_email or p.hh.family_email or ""
        rid = f"ERQ-{self.request_ids.next():06d}"
        self.L.delta(S.ERASURE, self.day(t), [rid, email, phone, account, iso_z(t)])
