"""Phone numbers to E.164 with Google's libphonenumber rules (the ``phonenumbers`` package).

A number typed by hand (``333 123 4567``, ``0039 333 1234567``, ``+49 (0)151 2345678``) is read
in the region of the record's country, so national forms resolve; international forms
(``+`` or ``00``) resolve whatever the region, ``00`` even where the region dials
another international prefix. Only a number that libphonenumber judges valid
gets an E.164 form: anything else is left for the caller to keep as written and flag.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE


@lru_cache(maxsize=262_144)
def to_e164(raw: str | None, default_region: str | None = None) -> str | None:
    """The E.164 form of ``raw`` (``+393331234567``), or None when it is not a valid number."""
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    region = (default_region or "").strip().upper() or None
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        region = None
    candidates = [(text, region)]
    if text.startswith("00"):
        # The European international prefix, also typed by people whose own country dials
        # another one (a US number written from Italy: 001 ...).
        candidates.append(("+" + text[2:], None))
    for candidate, candidate_region in candidates:
        try:
            number = phonenumbers.parse(candidate, candidate_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium_rate",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personal_number",
}


_E164 = re.compile(r"\+([1-9][0-9]{1,14})")


def _from_e164(e164: str) -> phonenumbers.PhoneNumber | None:
    """The number an E.164 string names, read as E.164 defines it: a country calling code
    (codes are prefix-free, so the first of one to three digits that is assigned) and the
    national significant number, leading zeros kept (Italian landlines). None when the
    string is not E.164 or the code is unassigned. A third of the cost of
    ``phonenumbers.parse``, which also handles what people type (national prefixes,
    separators, extensions) and which E.164 never holds."""
    match = _E164.fullmatch(e164)
    if match is None:
        return None
    digits = match.group(1)
    for length in (1, 2, 3):
        code = int(digits[:length])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[length:]
    if not national:
        return None
    zeros = len(national) - len(national.lstrip("0"))
    return phonenumbers.PhoneNumber(
        country_code=code,
        national_number=int(national),
        italian_leading_zero=True if zeros else None,
        number_of_leading_zeros=zeros if zeros > 1 else None,
    )


def phone_kind(e164: str | None) -> str | None:
    """What line an E.164 number is (``mobile``, ``fixed_line``, ``fixed_line_or_mobile`` where
    the numbering plan cannot tell, ``voip``, ...); None when it is not a valid E.164 number.
    A fixed line usually serves a household or an office, a mobile one person."""
    number = _from_e164(e164) if e164 else None
    if number is None:
        return None
    # number_type matches the number against its region's patterns, as is_valid_number does:
    # UNKNOWN is an invalid number, and one pass instead of two halves the cost (the guards
    # classify every distinct phone of a million customers, each once: no cache)
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return None
    return _KINDS.get(kind, "other")
