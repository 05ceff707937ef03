"""Recipe-box subscriptions of the billing system."""

from __future__ import annotations

from .. import messy as M
from .. import refdata as R
from .. import specs as S
from ..behaviour import _runs, nice_price
from ..util import (
    B52,
    DAY,
    HOUR,
    encode,
    iso_z,
    rand_str,
)


class SubscriptionSimulation:
    """Recipe-box subscriptions of the billing system.

    A mixin of ``Simulation``, whose ``__init__`` sets the state it reads."""

    def subscription(self, p, end, rng) -> None:
        """The recipe-box subscription of ``p``, if any, and its versions."""
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
