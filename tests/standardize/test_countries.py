"""Countries: the alias seed is complete for the languages the sources use, and up to date."""

from __future__ import annotations

import csv

import pytest

from cdp.standardize.countries import SEED_PATH, build_rows, lookup_key, render


@pytest.fixture(scope="module")
def aliases() -> dict[str, str]:
    with SEED_PATH.open(encoding="utf-8") as f:
        return {row["lookup_key"]: row["alpha_2"] for row in csv.DictReader(f)}


def test_committed_seed_is_what_the_builder_writes():
    assert SEED_PATH.read_text(encoding="utf-8") == render(build_rows()), (
        "dbt_project/seeds/country_aliases.csv is stale: run python -m cdp.standardize.countries"
    )


@pytest.mark.parametrize(
    ("text", "alpha_2"),
    [
        ("Italia", "IT"),
        ("Italien", "IT"),
        ("Italie", "IT"),
        ("ITA", "IT"),
        ("it", "IT"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Alemania", "DE"),
        ("Germania", "DE"),
        ("DEU", "DE"),
        ("Spagna", "ES"),
        ("España", "ES"),
        ("ESPANA", "ES"),
        ("Espagne", "ES"),
        ("Svizzera", "CH"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("Suiza", "CH"),
        ("CHE", "CH"),
        ("Regno Unito", "GB"),
        ("Royaume-Uni", "GB"),
        ("Reino Unido", "GB"),
        ("Großbritannien", "GB"),
        ("UK", "GB"),
        ("Inghilterra", "GB"),
        ("Stati Uniti", "US"),
        ("Vereinigte Staaten", "US"),
        ("États-Unis", "US"),
        ("Estados Unidos", "US"),
        ("USA", "US"),
        ("  france ", "FR"),
        ("Frankreich", "FR"),
    ],
)
def test_names_in_five_languages_and_codes_resolve(aliases, text, alpha_2):
    assert aliases.get(lookup_key(text)) == alpha_2


def test_no_alias_names_two_countries():
    rows = build_rows()
    assert len({r["lookup_key"] for r in rows}) == len(rows)
    assert len({r["alpha_2"] for r in rows}) == 249
