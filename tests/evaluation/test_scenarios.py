"""cdp-eval-scenarios, the cheap parts: arguments, where each scenario lives, generating once,
and the closing table (the dbt build and the measurement are those of cdp-eval-outside)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdp.duckdb_budget import connect
from cdp.evaluation.scenarios import (
    BASELINE_CLUSTERS,
    END_DATE,
    SCENARIO_NAMES,
    SEED,
    _baseline_clusters,
    ensure_generated,
    parse_args,
    scenario_run,
    table,
)


def test_arguments_and_their_defaults():
    args = parse_args([])
    assert args.only == ("default", "contact_free", "typo_copies", "movers") == SCENARIO_NAMES
    assert (args.persons, args.days, args.out) == (2000, 7, Path("data/eval"))
    args = parse_args(["--only", "movers, typo_copies,movers", "--persons", "300", "--days", "3"])
    assert args.only == ("movers", "typo_copies")
    assert (args.persons, args.days) == (300, 3)


@pytest.mark.parametrize("bad", [["--only", "nope"], ["--only", ","], ["--persons", "0"]])
def test_bad_arguments_are_refused(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(bad)
    assert exit_info.value.code == 2
    assert "cdp-eval-scenarios" in capsys.readouterr().err


def test_each_scenario_has_a_folder_of_its_own(tmp_path):
    run = scenario_run(tmp_path / "eval", "contact_free")
    assert run.work == (tmp_path / "eval" / "scenario-contact_free").absolute()
    assert run.landing == run.work / "landing"
    assert run.truth == run.work / "truth"
    assert run.warehouse == run.work / "warehouse.duckdb"
    assert run.target == run.work / "dbt_target"
    assert scenario_run(Path("data/eval"), "movers").work.is_absolute()


def test_exports_are_generated_once_and_again_when_the_arguments_change(tmp_path):
    run = scenario_run(tmp_path, "typo_copies")
    assert ensure_generated(run, persons=20, days=2)
    assert (run.truth / "record_person.csv").is_file()
    assert sorted(p.name for p in (run.landing / "crm").iterdir()) == ["2026-11-29", "2026-11-30"]
    assert json.loads(run.marker.read_text()) == {
        "scenario": "typo_copies", "persons": 20, "days": 2, "seed": SEED,
        "end_date": END_DATE.isoformat(),
    }  # fmt: skip
    stamp = (run.truth / "persons.csv").stat().st_mtime_ns
    assert not ensure_generated(run, persons=20, days=2)
    assert (run.truth / "persons.csv").stat().st_mtime_ns == stamp
    assert ensure_generated(run, persons=25, days=2)
    with (run.truth / "persons.csv").open() as handle:
        assert sum(1 for _ in handle) == 26


def test_the_closing_table_has_one_line_per_scenario():
    figures = {
        "evaluated_records": 12345, "precision": 0.99, "recall": 0.5, "f1": 0.6644,
        "recall_of_joinable": 0.97, "named_f1": 0.95, "evidenced_f1": 0.96,
    }  # fmt: skip
    baseline = {
        **figures, "precision": 0.7, "recall": 0.1, "f1": 0.175, "recall_of_joinable": 0.2,
        "named_f1": 0.5, "evidenced_f1": 0.55,
    }  # fmt: skip
    text = table([("default", figures, baseline), ("movers", figures, baseline)])
    lines = text.splitlines()
    assert "pipeline" in lines[0] and "plain Splink" in lines[0]
    figure_names = ["precision", "recall", "F1", "join.rec", "named", "F1", "evid.", "F1"]
    assert lines[1].split() == ["scenario", "records", *figure_names * 2]
    assert lines[2].split() == [
        "default", "12,345", "0.9900", "0.5000", "0.6644", "0.9700", "0.9500", "0.9600",
        "0.7000", "0.1000", "0.1750", "0.2000", "0.5000", "0.5500",
    ]  # fmt: skip
    assert lines[3].startswith("movers")


def test_the_plain_models_clusters_left_on_the_connection_are_reused():
    con = connect()
    con.execute(
        f"create temp table {BASELINE_CLUSTERS} as select 'crm:C-1' as record_key, 1 as cluster_id"
    )
    assert _baseline_clusters(con) == BASELINE_CLUSTERS
    con.close()
