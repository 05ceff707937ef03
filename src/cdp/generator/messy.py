"""How people and systems make values messy: case, stray spaces, typos, free-text codes."""

from __future__ import annotations

import random

from . import refdata as R
from .phones import Phone, render_phone
from .util import Weighted

HAND_STYLES = Weighted(
    [
        ("national", 30),
        ("compact", 15),
        ("intl", 15),
        ("00", 10),
        ("trunk0", 8),
        ("dashed", 10),
        ("dots", 4),
        ("e164", 8),
    ]
)
WEB_STYLES = Weighted([("e164", 30), ("national", 30), ("compact", 20), ("intl", 20)])
CLEAN_STYLES = Weighted([("e164", 80), ("intl", 20)])
OPT_IN = Weighted([("sì", 20), ("si", 15), ("no", 15), ("yes", 10), ("y", 8), ("n", 7), ("", 25)])


def phone_hand(ph: Phone | None, rng: random.Random) -> str:
    return render_phone(ph, HAND_STYLES.pick(rng)) if ph else ""


def phone_web(ph: Phone | None, rng: random.Random) -> str:
    return render_phone(ph, WEB_STYLES.pick(rng)) if ph else ""


def phone_clean(ph: Phone | None, rng: random.Random) -> str:
    return render_phone(ph, CLEAN_STYLES.pick(rng)) if ph else ""


def name_case(s: str, rng: random.Random, upper=0.18, lower=0.10, spaces=0.08) -> str:
    r = rng.random()
    if r < upper:
        s = s.upper()
    elif r < upper + lower:
        s = s.lower()
    elif r < upper + lower + 0.1:
        pass  # as typed in the pool (already title case)
    else:
        s = " ".join(w[:1].upper() + w[1:] for w in s.split(" "))
    if rng.random() < spaces:
        s = stray_spaces(s, rng)
    return s


def stray_spaces(s: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.4:
        return s + " "
    if r < 0.7:
        return " " + s
    if r < 0.85 and " " in s:
        return s.replace(" ", "  ", 1)
    return " " + s + "  "


_ACCENTS = str.maketrans(
    "àáâäèéêëìíîïòóôöùúûüçñÀÁÈÉÌÍÒÓÙÚÜÇÑ", "aaaaeeeeiiiioooouuuucnAAEEIIOOUUUCN"
)


def typo(s: str, rng: random.Random) -> str:
    """One keyboard slip: swap, drop, double, or lose an accent."""
    if len(s) < 3:
        return s + s[-1:]
    plain = s.translate(_ACCENTS)
    if plain != s and rng.random() < 0.5:
        return plain
    i = rng.randint(1, len(s) - 2)
    r = rng.random()
    if r < 0.35:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    if r < 0.7:
        return s[:i] + s[i + 1 :]
    return s[:i] + s[i] + s[i:]


def email_case(e: str, rng: random.Random, p_case=0.12, p_space=0.0) -> str:
    r = rng.random()
    if r < p_case * 0.7:
        local, _, dom = e.partition("@")
        e = ".".join(w[:1].upper() + w[1:] for w in local.split(".")) + "@" + dom.capitalize()
    elif r < p_case:
        e = e.upper()
    if p_space and rng.random() < p_space:
        e = stray_spaces(e, rng)
    return e


def handle_render(h: str, rng: random.Random, p_at=0.5) -> str:
    if rng.random() < p_at:
        h = "@" + h
    r = rng.random()
    if r < 0.12:
        h = h[:2].upper() + h[2:] if h.startswith("@") else h[:1].upper() + h[1:]
    elif r < 0.17:
        h = h.upper()
    elif r < 0.24:
        h = ".".join(w.capitalize() for w in h.split("."))
    return h


def country_text(country: str, rng: random.Random) -> str:
    s = rng.choice(R.COUNTRY_TEXT[country])
    r = rng.random()
    if r < 0.06:
        s = s.upper()
    elif r < 0.1:
        s = s.lower()
    elif r < 0.13:
        s = s + " "
    return s


ABBREV = [
    ("Via ", "V. "),
    ("Viale ", "V.le "),
    ("Piazza ", "P.za "),
    ("straße", "str."),
    ("strasse", "str."),
    ("Straße", "Str."),
    ("rue ", "r. "),
    ("avenue ", "av. "),
    ("Calle ", "C/ "),
    ("Avenida ", "Avda. "),
    ("Road", "Rd"),
    ("Street", "St"),
]


def street_messy(s: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.08:
        return s.lower()
    if r < 0.12:
        return s.upper()
    if r < 0.22:
        for a, b in ABBREV:
            if a in s:
                return s.replace(a, b, 1)
    if r < 0.27:
        parts = s.rsplit(" ", 1)
        if len(parts) == 2 and parts[1][:1].isdigit():
            return parts[0] + ", " + parts[1]
    if r < 0.3:
        return stray_spaces(s, rng)
    return s


def postcode_messy(pc: str, rng: random.Random) -> str:
    if pc.startswith("0") and rng.random() < 0.05:
        return pc.lstrip("0")  # a spreadsheet ate the leading zero
    if " " in pc and rng.random() < 0.1:
        return pc.replace(" ", "").lower()
    return pc
