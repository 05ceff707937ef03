"""Site and app tracking: each person's browsers and app installs and their sessions."""

from __future__ import annotations

import math
from bisect import bisect_right
from json.encoder import encode_basestring

from .. import refdata as R
from .. import specs as S
from ..behaviour import CONSENT_HORIZON, PAGE_CATEGORIES, WEB_HORIZON, Account, _event, _Site
from ..util import (
    DAY,
    ISO_MINUTES,
    SECONDS_MS,
    UUID4_VARIANT,
    Weighted,
    iso_minute,
    poisson_times,
    randbelow,
    rng_uuid,
)

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


LATE_DAYS = (1, 1, 2, 3)  # export days a late web event arrives after it occurred


REFERRERS = R.REFERRERS


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


class Device:
    """A browser or app install: its anonymous id, platform, and when it was first seen."""

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


class WebSimulation:
    """Site and app tracking: each person's browsers and app installs and their sessions.

    A mixin of ``Simulation``, whose ``__init__`` sets the state it reads."""

    def plan_devices(self, p, acct: Account | None, rng) -> list[Device]:
        """The browsers and app installs of ``p``, logged in to ``acct`` or not."""
        if rng.random() >= (0.95 if acct else 0.7 if p.age < 65 else 0.45):
            return []
        devs = []
        history_start = self.w0 - WEB_HORIZON
        for i in range(N_DEVICES.pick(rng)):
            d = Device()
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
                d.first_seen = rng.uniform(history_start, self.w1)
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

    def web(self, p, acct, devices, rng, consents) -> None:
        """The site and app events of each of ``devices``."""
        if not devices:
            return
        history_start = self.w0 - WEB_HORIZON
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
            start = max(d.first_seen, history_start)
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
        self, p, acct, acct_id, d: Device, site: _Site, s_t, kind, payload, stop, truth, rng
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
