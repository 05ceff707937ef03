"""Settings from the environment, and the early check that `make run` makes."""

from __future__ import annotations

from cdp import config


def test_paths_default_to_the_sample_and_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CDP_LANDING_DIR", raising=False)
    monkeypatch.delenv("CDP_WAREHOUSE", raising=False)
    monkeypatch.delenv("CDP_EXPORTS_DIR", raising=False)
    settings = config.Settings.from_env()
    assert settings.landing_dir.as_posix().endswith("data/landing")
    assert settings.warehouse.as_posix().endswith("data/warehouse/cdp.duckdb")
    assert settings.exports_dir.as_posix().endswith("data/exports")
    monkeypatch.setenv("CDP_LANDING_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("CDP_WAREHOUSE", str(tmp_path / "wh.duckdb"))
    monkeypatch.setenv("CDP_EXPORTS_DIR", str(tmp_path / "activation"))
    settings = config.Settings.from_env()
    assert settings.landing_dir == tmp_path / "exports"
    assert settings.warehouse == tmp_path / "wh.duckdb"
    assert settings.exports_dir == tmp_path / "activation"


def test_check_fails_clearly_on_a_missing_landing_zone(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CDP_LANDING_DIR", str(tmp_path / "nowhere"))
    assert config.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "nowhere" in err and "does not exist" in err and "CDP_LANDING_DIR" in err


def test_check_passes_on_an_existing_landing_zone(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CDP_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("CDP_EXPORTS_DIR", str(tmp_path / "activation"))
    assert config.main(["check"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out
    assert f"exports:      {tmp_path / 'activation'}" in out


def test_check_fails_clearly_on_a_retention_period_that_is_not_days(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CDP_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("CDP_RETENTION_EVENTS_DAYS", "a year")
    assert config.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "CDP_RETENTION_EVENTS_DAYS='a year'" in err and "whole number of days" in err
    monkeypatch.setenv("CDP_RETENTION_EVENTS_DAYS", "30")
    assert config.Settings.from_env().retention_events_days == 30


def test_check_names_the_engine_and_stops_on_an_unknown_one(monkeypatch, tmp_path, capsys):
    """The run's first line says which engine it runs on; a name that is no engine stops it
    at once with the choices, rather than running on DuckDB unasked."""
    (tmp_path / "landing").mkdir()
    monkeypatch.setenv("CDP_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("CDP_ENGINE", "Spark")
    assert config.main(["check"]) == 0
    assert "engine:       spark" in capsys.readouterr().out
    monkeypatch.setenv("CDP_ENGINE", "snowflake")
    assert config.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "CDP_ENGINE='snowflake'" in err and "duckdb, spark" in err
    monkeypatch.delenv("CDP_ENGINE")
    assert config.main(["check"]) == 0
    assert "engine:       duckdb" in capsys.readouterr().out
