"""The engine setting, and the Spark engine's Python stand-ins for DuckDB built-ins."""

import duckdb
import pytest

from cdp.engine import UnknownEngine, engine
from cdp.spark.session import strip_accents


def test_engine_defaults_to_duckdb(monkeypatch):
    monkeypatch.delenv("CDP_ENGINE", raising=False)
    assert engine() == "duckdb"
    monkeypatch.setenv("CDP_ENGINE", " Spark ")
    assert engine() == "spark"


def test_an_unknown_engine_is_named_with_the_choices(monkeypatch):
    monkeypatch.setenv("CDP_ENGINE", "snowflake")
    with pytest.raises(UnknownEngine, match="'snowflake'.*duckdb, spark"):
        engine()


@pytest.mark.parametrize(
    "text",
    [
        "Zoë Müller-Lüdenscheidt",
        "Ñandú Peña",
        "François Œuvre",
        "Ægir Ørsted Åberg",
        "Łukasz Żółć",
        "Čáp Šťastný",
        "Costa d'Avorio",
        "İstanbul",
        "plain",
        "",
    ],
)
def test_strip_accents_agrees_with_duckdb(text):
    """Spark has no strip_accents; the platform registers this one, which must give what
    DuckDB's gives (country names and first names are compared through it)."""
    expected = duckdb.connect().execute("select strip_accents(?)", [text]).fetchall()[0][0]
    assert strip_accents(text) == expected
