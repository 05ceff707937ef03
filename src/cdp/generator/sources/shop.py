"""The web shop and the tills: accounts, orders and their status changes."""

from __future__ import annotations

import math
from datetime import datetime

from .. import messy as M
from .. import refdata as R
from .. import specs as S
from ..behaviour import ORDER_HORIZON, WEB_HORIZON, Account, nice_price
from ..util import (
    DAY,
    HOUR,
    Weighted,
    ean13,
    fold,
    iso_offset,
    iso_z,
    poisson_times,
)

N_LINES = Weighted([(1, 50), (2, 30), (3, 15), (4, 5)])


class Order:
    """An order: its id, channel, lines, amounts and the device or till it came from."""

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


class ShopSimulation:
    """The web shop and the tills: accounts, orders and their status changes.

    A mixin of ``Simulation``, whose ``__init__`` sets the state it reads."""

    def plan_account(self, p, end: float, rng) -> Account | None:
        """The shop account ``p`` opens before ``end``, if any."""
        if rng.random() >= (0.62 if p.age < 50 else 0.48):
            return None
        a = Account()
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

    def emit_account(self, p, a: Account, rng) -> None:
        """Every version of account ``a`` to the shop's account exports."""
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

    def plan_orders(self, p, acct, devices, end, rng, consents) -> list[Order]:
        """The orders of ``p`` before ``end``, online (from a device) and at the tills."""
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
        """Order ``o`` and its lines, one version per status change."""
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
            """The order's lines, to the order-items export of day ``d``."""
            for i, (sku, name, cat, qty, unit) in enumerate(o.lines, 1):
                row = [o.id, str(i), sku, name, cat, str(qty), f"{unit:.2f}"]
                self.L.delta(S.ITEMS, d, row)

        self.emit_versions(S.ORDERS, versions, truth, items)
