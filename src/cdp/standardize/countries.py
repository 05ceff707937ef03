"""Country names and codes to ISO 3166-1 alpha-2: the ``country_aliases`` dbt seed.

The seed is built from ``pycountry`` (the ISO 3166-1 table and its translations): every
country's alpha-2 and alpha-3 code and its name, official name and common name in English,
Italian, German, French and Spanish, plus a short list of colloquial names people type
(``UK``, ``USA``, ``Inghilterra``). Each alias carries a lookup key (lower case, ``ß`` as
``ss``, accents stripped, anything but letters and digits as one space) that the dbt macro
``country_to_alpha2`` computes the same way for the text being standardized; a dbt test checks
that the two agree. An alias whose key would name two countries is left out as ambiguous.

``python -m cdp.standardize.countries`` rewrites the seed; a test fails when it is out of date.
"""

from __future__ import annotations

import argparse
import csv
import gettext
import io
import re
import sys
import unicodedata
from pathlib import Path

import pycountry

from cdp.config import DBT_PROJECT_DIR

SEED_PATH = DBT_PROJECT_DIR / "seeds" / "country_aliases.csv"
LANGUAGES = ("en", "it", "de", "fr", "es")
COLUMNS = ("lookup_key", "alpha_2", "alpha_3", "alias", "alias_kind", "language")

# Names people type that are not ISO names in any of the five languages.
COLLOQUIAL = {
    "GB": [
        "UK",
        "U.K.",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "Gran Bretagna",
        "Inghilterra",
        "Großbritannien",
        "England",
        "Grande-Bretagne",
        "Angleterre",
        "Gran Bretaña",
        "Inglaterra",
    ],
    "US": ["USA", "U.S.A.", "U.S.", "America", "Stati Uniti d'America", "EE. UU.", "EEUU"],
    "NL": ["Holland", "Olanda", "Holanda", "Hollande"],
    "CZ": ["Czech Republic", "Repubblica Ceca", "Tschechien"],
}


def lookup_key(text: str) -> str:
    """Lower case, ``ß`` as ``ss``, accents stripped, other runs as one space, trimmed."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower().replace("ß", "ss"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def build_rows() -> list[dict[str, str]]:
    """The seed's rows, sorted by lookup key; ambiguous keys left out."""
    translations = {
        lang: (
            gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
            if lang != "en"
            else gettext.NullTranslations()
        )
        for lang in LANGUAGES
    }
    candidates: list[dict[str, str]] = []
    for country in pycountry.countries:
        codes = {"alpha_2": country.alpha_2, "alpha_3": country.alpha_3}
        for code in (country.alpha_2, country.alpha_3):
            candidates.append({**codes, "alias": code, "alias_kind": "code", "language": ""})
        for lang, translation in translations.items():
            for attribute in ("name", "official_name", "common_name"):
                name = getattr(country, attribute, None)
                if name:
                    alias = translation.gettext(name)
                    candidates.append(
                        {**codes, "alias": alias, "alias_kind": "name", "language": lang}
                    )
        for alias in COLLOQUIAL.get(country.alpha_2, []):
            candidates.append({**codes, "alias": alias, "alias_kind": "colloquial", "language": ""})

    by_key: dict[str, dict[str, str]] = {}
    countries_by_key: dict[str, set[str]] = {}
    for row in candidates:
        key = lookup_key(row["alias"])
        if not key:
            continue
        countries_by_key.setdefault(key, set()).add(row["alpha_2"])
        by_key.setdefault(key, {"lookup_key": key, **row})
    return [by_key[key] for key in sorted(by_key) if len(countries_by_key[key]) == 1]


def render(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cdp.standardize.countries",
        description="Rewrite the country_aliases dbt seed from pycountry.",
    )
    parser.add_argument("--out", type=Path, default=SEED_PATH)
    args = parser.parse_args(argv)
    rows = build_rows()
    args.out.write_text(render(rows), encoding="utf-8")
    print(f"wrote {len(rows):,} aliases of {len(pycountry.countries)} countries to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
