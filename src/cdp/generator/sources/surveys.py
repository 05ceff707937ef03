"""The two survey tools: NPS answers and preference questionnaires."""

from __future__ import annotations

from .. import messy as M
from .. import refdata as R
from .. import specs as S
from ..util import (
    B36,
    B62,
    DAY,
    Weighted,
    dmy2,
    encode,
    iso_offset,
    iso_z,
    rand_str,
)

SURVEY_HORIZON = 90 * DAY


NPS_SCORE = Weighted(
    [(0, 2), (1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 6), (7, 12), (8, 18), (9, 24), (10, 26)]
)


SATISFACTION = Weighted([(5, 35), (4, 35), (3, 18), (2, 8), (1, 4)])


class SurveySimulation:
    """The two survey tools: NPS answers and preference questionnaires.

    A mixin of ``Simulation``, whose ``__init__`` sets the state it reads."""

    def surveys(self, p, acct, end, rng) -> None:
        """The NPS and preference answers of ``p`` before ``end``."""
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
