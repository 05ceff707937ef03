"""Real, valid phone numbers per country (checked with ``phonenumbers``) and messy renderings.

At start-up we learn, per country and line type, which leading digits give valid numbers of the
example number's length (random candidates checked with ``is_valid_number`` and
``number_type``). A person's number is then such a prefix followed by random digits, checked
again; the truth keeps E.164 and the sources render it in national or international forms.
"""

from __future__ import annotations

import random

import phonenumbers as pn
from phonenumbers import PhoneNumberFormat as PNF
from phonenumbers import PhoneNumberType as PNT
from phonenumbers.phonemetadata import PhoneMetadata
from phonenumbers.phonenumberutil import _number_type_helper, national_significant_number

MOBILE_TYPES = {PNT.MOBILE, PNT.FIXED_LINE_OR_MOBILE}
FIXED_TYPES = {PNT.FIXED_LINE, PNT.FIXED_LINE_OR_MOBILE}
TRUNK_ZERO = {"DE", "CH", "GB", "FR"}  # national form starts with a 0 that drops abroad

# Validating and formatting a number asks re.compile for dozens of the metadata's patterns; keep
# every compiled pattern in libphonenumber's own cache instead (its switch, the same results;
# about a fifth faster to draw and render a number).
pn.enable_pattern_cache()


class Phone:
    __slots__ = ("country", "cc", "nsn", "e164", "kind", "_national", "_intl", "_number")

    def __init__(self, country: str, cc: int, nsn: str, kind: str, number=None):
        """``number``: ``phonenumbers.parse(e164)`` if already parsed (it is parsed when
        first rendered otherwise)."""
        self.country, self.cc, self.nsn, self.kind = country, cc, nsn, kind
        self.e164 = f"+{cc}{nsn}"
        self._national = None
        self._intl = None
        self._number = number

    def _parsed(self):
        if self._number is None:
            self._number = pn.parse(self.e164)
        return self._number

    @property
    def national(self) -> str:
        if self._national is None:
            self._national = pn.format_number(self._parsed(), PNF.NATIONAL)
        return self._national

    @property
    def intl(self) -> str:
        if self._intl is None:
            self._intl = pn.format_number(self._parsed(), PNF.INTERNATIONAL)
        return self._intl


class PhoneFactory:
    def __init__(self, seed: int, samples: int = 450):
        rng = random.Random(f"phones:{seed}")
        self.prefixes: dict[tuple[str, str], list[str]] = {}
        self.length: dict[tuple[str, str], int] = {}
        self.example: dict[tuple[str, str], str] = {}
        self.cc: dict[str, int] = {}
        for country in ("IT", "DE", "FR", "ES", "CH", "GB", "US"):
            self.cc[country] = pn.country_code_for_region(country)
            for kind, ptype, ok in (
                ("mobile", PNT.MOBILE, MOBILE_TYPES),
                ("fixed", PNT.FIXED_LINE, FIXED_TYPES),
            ):
                ex = pn.example_number_for_type(country, ptype)
                nsn = pn.national_significant_number(ex)
                found: dict[str, None] = {}
                for _ in range(samples):
                    first = nsn[0] if rng.random() < 0.7 else str(rng.randrange(10))
                    cand = first + "".join(str(rng.randrange(10)) for _ in range(len(nsn) - 1))
                    if self._valid(country, cand, ok) is not None:
                        found[cand[:3]] = None
                found[nsn[:3]] = None
                self.prefixes[(country, kind)] = sorted(found)
                self.length[(country, kind)] = len(nsn)
                self.example[(country, kind)] = nsn

    def _valid(self, country: str, nsn: str, ok):
        """The parsed number if ``nsn`` is a valid number of ``country`` of a type in ``ok``,
        else None.

        What ``region_code_for_number(num) == country and is_valid_number(num) and
        number_type(num) in ok`` says, asking libphonenumber for the region once and for the
        type once: with the region known, the number is valid when its type is not UNKNOWN,
        which no ``ok`` holds."""
        try:
            num = pn.parse(f"+{self.cc[country]}{nsn}")
        except pn.NumberParseException:
            return None
        if pn.region_code_for_number(num) != country:
            return None
        metadata = PhoneMetadata.metadata_for_region(country)
        kind = _number_type_helper(national_significant_number(num), metadata)
        return num if kind in ok else None

    def make(self, country: str, kind: str, rng: random.Random, usable=None) -> Phone:
        """A valid number of the kind; ``usable(e164)``, if given, is asked first (cheaper
        than libphonenumber's validation)."""
        key = (country, kind)
        ok = MOBILE_TYPES if kind == "mobile" else FIXED_TYPES
        prefixes = self.prefixes[key]
        length = self.length[key]
        cc = self.cc[country]
        for _ in range(40):
            p = rng.choice(prefixes)
            # the digits rng.choices(range(10), ...) draws, as text
            cand = p + "".join(rng.choices("0123456789", k=length - len(p)))
            if usable is not None and not usable(f"+{cc}{cand}"):
                continue
            num = self._valid(country, cand, ok)
            if num is not None:
                return Phone(country, self.cc[country], cand, kind, num)
        ex = self.example[key]  # valid by construction
        return Phone(country, self.cc[country], ex, kind)


def _groups_after_cc(phone: Phone) -> list[str]:
    parts = phone.intl.replace("-", " ").split()
    return parts[1:] if len(parts) > 1 else [phone.nsn]


def render_phone(phone: Phone, style: str) -> str:
    """One of the forms real people and systems write a number in."""
    if style == "e164":
        return phone.e164
    if style == "intl":
        return phone.intl
    if style == "national":
        return phone.national
    if style == "compact":
        return "".join(c for c in phone.national if c.isdigit())
    if style == "00":
        g = _groups_after_cc(phone)
        return f"00{phone.cc} {g[0]} {''.join(g[1:])}".rstrip()
    if style == "trunk0":
        if phone.country in TRUNK_ZERO:
            g = _groups_after_cc(phone)
            return f"+{phone.cc} (0){g[0]} {''.join(g[1:])}".rstrip()
        return phone.intl
    if style == "dashed":
        nat = phone.national
        if phone.country in ("DE", "CH") and " " in nat:
            head, rest = nat.split(" ", 1)
            return head + "/" + rest.replace(" ", "")
        return nat.replace(" ", "-").replace("(", "").replace(")", "")
    if style == "dots":
        nat = phone.national.replace("(", "").replace(")", "").replace("-", " ")
        return nat.replace(" ", ".")
    raise ValueError(style)
