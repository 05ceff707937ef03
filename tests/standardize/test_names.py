"""Names: one Unicode form and case, and whole names split into first and last."""

from __future__ import annotations

import unicodedata

import pytest

from cdp.duckdb_budget import connect
from cdp.standardize.duckdb_udfs import register
from cdp.standardize.names import clean_name, split_full_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MARIO", "Mario"),
        ("mario", "Mario"),
        ("  Mario  ", "Mario"),
        ("DI  MAIO", "Di Maio"),  # repeated inner space collapsed
        ("jean-pierre", "Jean-Pierre"),
        ("O'BRIEN", "O'Brien"),
        ("MÜLLER-LÜDENSCHEIDT", "Müller-Lüdenscheidt"),
        ("McDonald", "McDonald"),  # mixed case is deliberate: kept
        ("de Rossi", "de Rossi"),
        ("ÇELIK", "Çelik"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_clean_name(raw, expected):
    assert clean_name(raw) == expected


def test_decomposed_accents_are_composed():
    decomposed = unicodedata.normalize("NFD", "José")
    assert decomposed != "José"
    assert clean_name(decomposed) == "José"
    assert clean_name(unicodedata.normalize("NFD", "JOSÉ")) == "José"


@pytest.mark.parametrize(
    ("raw", "first", "last"),
    [
        ("Mario Rossi", "Mario", "Rossi"),
        ("ROSSI Mario", "Mario", "Rossi"),  # surname first, in capitals
        ("MENDOZA GIMENEZ Daniela", "Daniela", "Mendoza Gimenez"),
        ("Daniela Mendoza Gimenez", "Daniela", "Mendoza Gimenez"),
        ("MARIO ROSSI", "Mario", "Rossi"),  # all capitals: the order as given
        ("mario rossi", "Mario", "Rossi"),
        ("J. Rossi", "J.", "Rossi"),
        ("Mario", "Mario", None),
        ("  ROSSI   Mario ", "Mario", "Rossi"),
        ("", None, None),
        (None, None, None),
    ],
)
def test_split_full_name(raw, first, last):
    assert split_full_name(raw) == {"first_name": first, "last_name": last}


def test_registered_as_duckdb_functions():
    con = connect()
    register(con)
    rows = con.execute(
        "select clean_name(n), split_full_name(n).first_name, split_full_name(n).last_name "
        "from (values ('ROSSI Mario'), (null)) as t(n)"
    ).fetchall()
    assert rows == [("ROSSI Mario", "Mario", "Rossi"), (None, None, None)]
