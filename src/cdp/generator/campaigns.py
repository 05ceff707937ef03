"""The marketing campaign catalogue (a small global table, generated once per run)."""

from __future__ import annotations

import random
import time

from .util import DAY, ymd

ALWAYS_ON = [
    ("Brand search always-on", "search", "brand_search"),
    ("Generic search cookware", "search", "generic_cookware"),
    ("Instagram creators", "social", "ig_creators"),
    ("TikTok recipes", "social", "tiktok_recipes"),
    ("Retargeting display", "display", "retargeting"),
    ("Facebook prospecting", "social", "fb_prospecting"),
]
SEASONAL = [
    ("Autumn cookware week", "display", "autumn_cookware"),
    ("Black Friday", "search", "black_friday"),
    ("Christmas gift guide", "social", "xmas_gifts"),
    ("Knife sharpening days", "store", "knife_days"),
    ("Pasta week in stores", "store", "pasta_week"),
    ("Veggie box launch", "social", "veggie_launch"),
    ("Back to school baking", "display", "baking_school"),
]
PROMO_THEMES = [
    "cookware",
    "knives",
    "bakeware",
    "pantry",
    "appliances",
    "recipe_box",
    "gift_cards",
    "textiles",
]


class Campaign:
    __slots__ = (
        "campaign_id",
        "name",
        "channel",
        "utm",
        "start",
        "end",
        "budget",
        "list_id",
        "send_t",
        "created",
        "deleted",
        "renamed",
    )

    def row(self, t: float) -> list:
        name = self.renamed[1] if self.renamed and t >= self.renamed[0] else self.name
        return [
            self.campaign_id,
            name,
            self.channel,
            self.utm,
            ymd(self.start),
            ymd(self.end),
            f"{self.budget:.2f}",
        ]


def build_campaigns(seed: int, w0: float, w1: float) -> list[Campaign]:
    rng = random.Random(f"campaigns:{seed}")
    out: list[Campaign] = []

    def add(name, channel, utm, start, end, budget, list_id=None, send_t=None):
        c = Campaign()
        c.name, c.channel, c.utm = name, channel, utm
        c.start, c.end, c.budget = start, end, budget
        c.list_id, c.send_t = list_id, send_t
        c.created = start - rng.randint(5, 20) * DAY
        c.deleted = None
        c.renamed = None
        out.append(c)
        return c

    # weekly recipes newsletter: Thursdays from two weeks before the window
    t = w0 - 16 * DAY
    while time.gmtime(t).tm_wday != 3:
        t += DAY
    while t < w1:
        yr, wk = time.gmtime(t).tm_year, int(time.strftime("%V", time.gmtime(t)))
        add(
            f"Weekly recipes {yr}-W{wk:02d}",
            "email",
            f"nl_recipes_{yr}w{wk:02d}",
            t,
            t + 6 * DAY,
            round(rng.uniform(150, 400), 2),
            "recipes_weekly",
            t + 7 * 3600,
        )
        t += 7 * DAY
    # promotional e-mails every 5-9 days
    t = w0 - 15 * DAY + rng.randint(0, 3) * DAY
    k = 0
    while t < w1:
        theme = PROMO_THEMES[k % len(PROMO_THEMES)]
        yr = time.gmtime(t).tm_year
        pct = rng.choice((10, 15, 20, 25, 30))
        add(
            f"Promo {theme.replace('_', ' ')} -{pct}%",
            "email",
            f"promo_{theme}_{yr}_{k + 1:02d}",
            t,
            t + rng.randint(3, 7) * DAY,
            round(rng.uniform(300, 1500), 2),
            "promotions",
            t + 9 * 3600 + rng.randint(0, 7200),
        )
        t += rng.randint(5, 9) * DAY
        k += 1
    yr = time.gmtime(w1).tm_year
    for name, ch, utm in ALWAYS_ON:
        start = w0 - rng.randint(60, 200) * DAY
        add(
            f"{name} {yr}",
            ch,
            f"{utm}_{yr}",
            start,
            w1 + rng.randint(30, 120) * DAY,
            round(rng.uniform(5000, 40000), 2),
        )
    for name, ch, utm in SEASONAL:
        start = w0 + rng.randint(-40, 25) * DAY
        add(
            f"{name} {yr}",
            ch,
            f"{utm}_{yr}",
            start,
            start + rng.randint(5, 30) * DAY,
            round(rng.uniform(2000, 25000), 2),
        )
    out.sort(key=lambda c: (c.start, c.utm))
    for i, c in enumerate(out):
        c.campaign_id = f"CMP-{1001 + i}"
    # catalogue edits during the window: one campaign renamed, one draft deleted
    mid = w0 + (w1 - w0) / 2
    seasonal = [c for c in out if c.channel not in ("email",)]
    if seasonal:
        c = seasonal[rng.randrange(len(seasonal))]
        c.renamed = (mid, c.name + " (extended)")
    draft = add(
        f"Draft test campaign {yr}",
        "display",
        f"draft_test_{yr}",
        w1 + 20 * DAY,
        w1 + 30 * DAY,
        0.0,
    )
    draft.campaign_id = f"CMP-{1001 + len(out) - 1}"
    draft.created = w0 - 3 * DAY
    draft.deleted = mid
    return out


def active(campaigns: list[Campaign], t: float, channels: tuple[str, ...]) -> list[Campaign]:
    return [c for c in campaigns if c.channel in channels and c.start <= t < c.end + DAY]
