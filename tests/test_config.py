"""Settings from the environment, and the early check that `make run` makes."""

from __future__ import annotations

from cdp import config


def test_paths_default_to_the_sample_and_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CDP_LANDING_DIR", raising=False)
    monkeypatch.delenv("CDP_WAREHOUSE", raising=False)
    settings = config.Settings.from_env()
    assert settings.landing_dir.as_posix().endswith("data/landing")
    assert settings.warehouse.as_posix().endswith("data/warehouse/cdp.duckdb")
    monkeypatch.setenv("CDP_LANDING_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("CDP_WAREHOUSE", str(tmp_path / "wh.duckdb"))
    settings = config.Settings.from_env()
    assert settings.landing_dir == tmp_path / "exports"
    assert settings.warehouse == tmp_path / "wh.duckdb"


def test_check_fails_clearly_on_a_missing_landing_zone(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CDP_LANDING_DIR", str(tmp_path / "nowhere"))
    assert config.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "nowhere" in err and "does not exist" in err and "CDP_LANDING_DIR" in err


def test_check_passes_on_an_existing_landing_zone(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CDP_LANDING_DIR", str(tmp_path))
    assert config.main(["check"]) == 0
    assert str(tmp_path) in capsys.readouterr().out
