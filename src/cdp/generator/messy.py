"""How people and systems make values messy: case, stray spaces, typos, free-text codes."""

from __future__ import annotations

import random
from datetime import date

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
OPT_IN = Weighted([("sì", 20), ("si", 15), ("no", 15), ("yes", 10), ("y", 8), ("n", 7), ("", 25)])


def phone_hand(ph: Phone | None, rng: random.Random) -> str:
    return render_phone(ph, HAND_STYLES.pick(rng)) if ph else ""


def phone_web(ph: Phone | None, rng: random.Random) -> str:
    return render_phone(ph, WEB_STYLES.pick(rng)) if ph else ""


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


# ---------------------------------------------------------------- careless copies
# A copy of a person typed again by someone else from a form, a phone call or memory
# (scenario typo_copies): each field can go wrong in its own way.
COPY_FIRST = Weighted(
    [("nickname", 30), ("initial", 15), ("typo", 20), ("two_typos", 8), ("as_is", 27)]
)
COPY_SWAP = 0.1  # first and last name in each other's field
COPY_LAST_TYPO = 0.35
COPY_BIRTH = Weighted(
    [("as_is", 50), ("digit", 12), ("transpose", 10), ("day_month", 10), ("missing", 10),
     ("blank", 8)]
)  # fmt: skip
COPY_STREET = Weighted([("as_is", 60), ("typo", 20), ("abbreviate", 15), ("blank", 5)])
COPY_BLANK = 0.06  # postcode, city: each left empty


def first_name_copy(first: str, rng: random.Random) -> str:
    """The first name as a careless copy has it: a short form of the generator's own list
    (``refdata.NICKNAMES``), the initial (``E.``), one or two typos, or as it is."""
    kind = COPY_FIRST.pick(rng)
    if kind == "nickname":
        forms = R.NICKNAMES.get(first)
        if forms:
            return rng.choice(forms)
        kind = "initial" if rng.random() < 0.5 else "typo"
    if kind == "initial":
        return first[0] + "."
    if kind == "typo":
        return typo(first, rng)
    if kind == "two_typos":
        return typo(typo(first, rng), rng)
    return first


def names_copy(first: str, last: str, rng: random.Random) -> tuple[str, str]:
    first = first_name_copy(first, rng)
    if rng.random() < COPY_LAST_TYPO:
        last = typo(last, rng)
    if rng.random() < COPY_SWAP:
        first, last = last, first
    return first, last


def _is_date(d: str, m: str, y: str) -> bool:
    try:
        date(int(y), int(m), int(d))
    except ValueError:
        return False
    return 1900 <= int(y) <= 2030


def birth_copy(dmy: str, rng: random.Random) -> str:
    """A ``dd/mm/yyyy`` birth date as a careless copy has it: one digit off, two neighbouring
    digits swapped, day and month swapped, day and month missing (``01/01/yyyy``), blank, or
    as it is. Always a calendar date (or empty), so the row still loads."""
    kind = COPY_BIRTH.pick(rng)
    d, m, y = dmy.split("/")
    digits = d + m + y
    for _ in range(8):
        if kind == "as_is":
            return dmy
        if kind == "blank":
            return ""
        if kind == "missing":
            return f"01/01/{y}"
        if kind == "day_month":
            if d != m and _is_date(m, d, y):
                return f"{m}/{d}/{y}"
            kind = "digit"
            continue
        chars = list(digits)
        i = rng.randrange(len(chars) - 1)
        if kind == "transpose":
            if chars[i] == chars[i + 1]:
                continue
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:  # one digit off by one
            chars[i] = str((int(chars[i]) + rng.choice((1, 9))) % 10)
        s = "".join(chars)
        if _is_date(s[:2], s[2:4], s[4:]) and s != digits:
            return f"{s[:2]}/{s[2:4]}/{s[4:]}"
    return f"01/01/{y}"


def street_copy(street: str, rng: random.Random) -> str:
    """The street line as a careless copy has it: a typo, abbreviated, blank, or as it is."""
    kind = COPY_STREET.pick(rng)
    if kind == "abbreviate":
        for a, b in ABBREV:
            if a in street:
                return street.replace(a, b, 1)
        kind = "typo"
    if kind == "typo":
        return typo(street, rng)
    if kind == "blank":
        return ""
    return street
