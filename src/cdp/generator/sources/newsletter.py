"""The newsletter: list memberships and their email activity."""

from __future__ import annotations

from .. import messy as M
from .. import specs as S
from ..behaviour import LANG_PATH, SITE, WEB_HORIZON, _runs
from ..util import (
    DAY,
    HOUR,
)

ACTIVITY_HORIZON = 14 * DAY


class NewsletterSimulation:
    """The newsletter: list memberships and their email activity.

    A mixin of ``Simulation``, whose ``__init__`` sets the state it reads."""

    def plan_newsletter(self, p, devices, orders, end, rng, consents) -> list[dict]:
        """The list memberships of ``p`` before ``end``, with their consent events."""
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
        """The memberships' snapshot rows and their email activity."""
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
