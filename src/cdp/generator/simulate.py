"""People behave: one household at a time, every source system records what they do.

Each household is simulated over the whole time line (history before the window, the export
window, and the partial day after it for web), and every record version is handed to the
``Landing`` router at once, so nothing outlives the household except id counters, the Bloom
filter of used e-mails/handles/phones and the open day files.

Each source system is a mixin of its own (``cdp.generator.sources``); ``Simulation`` holds
the state they share and walks the households."""

from __future__ import annotations

import math
import random
from zoneinfo import ZoneInfo

from . import messy as M
from . import refdata as R
from . import specs as S
from .behaviour import (
    CONSENT_HORIZON,
    ORDER_HORIZON,
    PLATFORM_PICK,
    SOCIAL_HORIZON,
    WEB_CUTOFF,
    _JsonText,
    _Site,
)
from .scenarios import SCENARIOS, Scenario
from .sources.crm import CrmSimulation
from .sources.newsletter import NewsletterSimulation
from .sources.privacy import PrivacySimulation
from .sources.shop import ShopSimulation
from .sources.social import SocialSimulation
from .sources.subscriptions import SubscriptionSimulation
from .sources.support import SupportSimulation
from .sources.surveys import SurveySimulation
from .sources.web import WebSimulation
from .util import (
    DAY,
    HOUR,
    IdSeq,
    poisson,
)


class Simulation(
    ShopSimulation,
    WebSimulation,
    NewsletterSimulation,
    CrmSimulation,
    SubscriptionSimulation,
    SurveySimulation,
    SupportSimulation,
    SocialSimulation,
    PrivacySimulation,
):
    """The simulation of every household over the time line, recorded by every source."""

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

    def day(self, t: float) -> int:
        """The export day of time ``t``."""
        return math.floor((t - self.w0) / DAY)

    def _eod(self, d: int) -> float:
        """The end of export day ``d`` (its snapshot's time)."""
        return self.w0 + (d + 1) * DAY

    def policy(self, t: float) -> str:
        """The version of the privacy policy in force at time ``t``."""
        if t < self.w0 - 300 * DAY:
            return "v2.4"
        return "v3.1" if t < self.policy_mid else "v3.2"

    def ads(self, t: float) -> list:
        """The campaigns running at time ``t``."""
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

    def strangers(self, hh, rng) -> None:
        """Records of people outside the household that share its address or phone."""
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
