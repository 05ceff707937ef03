"""Personal names: one Unicode form, trimmed, in a consistent case, and split when given whole.

Rules (each a pure function, registered as DuckDB functions by ``cdp.standardize.duckdb_udfs``):

- ``clean_name``: Unicode NFC (so ``é`` typed as ``e`` + combining accent equals ``é``), stray
  and repeated spaces removed. A name typed all in capitals or all in small letters is put in
  title case, each part after a space, hyphen or apostrophe capitalised (``DI MAIO`` →
  ``Di Maio``, ``jean-pierre`` → ``Jean-Pierre``, ``O'BRIEN`` → ``O'Brien``). A name typed in
  mixed case is kept as typed: ``McDonald`` and ``de Rossi`` are deliberate.
- ``split_full_name``: one field holding a whole name (``Mario Rossi`` or ``ROSSI Mario``). When
  the leading words are in capitals and the rest are not, the capitals are the last name (the
  surname-first form of forms and bills). Otherwise the first word is the first name and the
  rest the last name. A single word is a first name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_PART = re.compile(r"([\s\-'’]+)")


def _normalize(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    return text or None


def _title(text: str) -> str:
    return "".join(
        part[:1].upper() + part[1:].lower() if not _PART.fullmatch(part) else part
        for part in _PART.split(text)
    )


def _single_case(text: str) -> bool:
    """True when the text has letters and they are all capitals or all small letters."""
    return text.upper() != text.lower() and (text == text.upper() or text == text.lower())


@lru_cache(maxsize=262_144)
def clean_name(raw: str | None) -> str | None:
    """The name in NFC, trimmed, title case when typed in one case; None when empty."""
    text = _normalize(raw)
    if text is None:
        return None
    return _title(text) if _single_case(text) else text


def _is_capitals(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


@lru_cache(maxsize=262_144)
def split_full_name(raw: str | None) -> dict[str, str | None]:
    """``{"first_name": ..., "last_name": ...}`` from one whole-name field, each cleaned."""
    text = _normalize(raw)
    if text is None:
        return {"first_name": None, "last_name": None}
    words = text.split(" ")
    leading_capitals = 0
    while leading_capitals < len(words) and _is_capitals(words[leading_capitals]):
        leading_capitals += 1
    if 0 < leading_capitals < len(words):
        last, first = words[:leading_capitals], words[leading_capitals:]
    else:
        first, last = words[:1], words[1:]
    return {
        "first_name": clean_name(" ".join(first)),
        "last_name": clean_name(" ".join(last)) if last else None,
    }
