"""The help desk: tickets and their messages."""

from __future__ import annotations

from .. import messy as M
from .. import refdata as R
from .. import specs as S
from ..util import (
    DAY,
    HOUR,
    Weighted,
    iso_z,
)

SUPPORT_HORIZON = 60 * DAY


SUPPORT_CHANNEL = Weighted([("chat", 35), ("email", 35), ("phone", 15), ("social", 15)])


class SupportSimulation:
    """The help desk: tickets and their messages.

    A mixin of ``Simulation``, whose ``__init__`` sets the state it reads."""

    def support(self, p, acct, end, rng) -> None:
        """The help-desk tickets of ``p`` before ``end``, with their messages."""
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
