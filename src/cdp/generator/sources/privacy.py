"""The consent banner's events and the privacy requests."""

from __future__ import annotations

from .. import messy as M
from .. import specs as S
from ..behaviour import CONSENT_HORIZON
from ..util import (
    DAY,
    FastRandom,
    iso_z,
    rng_uuid,
)


class PrivacySimulation:
    """The consent banner's events and the privacy requests.

    A mixin of ``Simulation``, whose ``__init__`` sets the state it reads."""

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
        """The consent banner's events of ``consents`` up to ``end``."""
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

    def erasure(self, p, acct, rng) -> None:
        """The erasure request of ``p``, if they make one."""
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
