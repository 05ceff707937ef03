"""Social media: posts that mention the brand."""

from __future__ import annotations

from .. import messy as M
from .. import refdata as R
from .. import specs as S
from ..behaviour import PLATFORM_PICK, SOCIAL_HORIZON
from ..util import (
    DAY,
    iso_z,
)


class SocialSimulation:
    """Social media: posts that mention the brand.

    A mixin of ``Simulation``, whose ``__init__`` sets the state it reads."""

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
        """The posts of ``p`` that mention the brand before ``end``."""
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
