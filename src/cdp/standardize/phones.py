"""Phone numbers to E.164 with Google's libphonenumber rules (the ``phonenumbers`` package).

A number typed by hand (``333 123 4567``, ``0039 333 1234567``, ``+49 (0)151 2345678``) is read
in the region of the record's country, so national forms resolve; international forms
(``+`` or ``00``) resolve whatever the region, ``00`` even where the region dials
another international prefix. Only a number that libphonenumber judges valid
gets an E.164 form: anything else is left for the caller to keep as written and flag.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


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
