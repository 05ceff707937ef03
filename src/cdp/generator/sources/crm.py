"""The CRM: contacts typed by staff, with duplicates and careless copies."""

from __future__ import annotations

import math

from .. import messy as M
from .. import refdata as R
from .. import specs as S
from ..util import (
    DAY,
    HOUR,
    rome_local,
)


class CrmSimulation:
    """The CRM: contacts typed by staff, with duplicates and careless copies.

    A mixin of ``Simulation``, whose ``__init__`` sets the state it reads."""

    def crm(self, p, end, rng, consents, srng=None) -> None:
        """The CRM contacts of ``p`` (with duplicates and careless copies) before ``end``."""
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
            """The contact's address fields as the CRM exports them, at time ``t``."""
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
