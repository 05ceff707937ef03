"""``python -m cdp.customer show``: the text view, its exit codes and the warehouse from
``CDP_WAREHOUSE``."""

from __future__ import annotations

from cdp.customer.__main__ import main
from tests.customer.conftest import customer_with_email, pseudonym


def test_show_prints_the_customer_found_by_email(warehouse, monkeypatch, capsys):
    customer_id, email = customer_with_email(warehouse)
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    assert main(["show", email, "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"customer {customer_id}")
    for section in (
        "Consent",
        "Segments",
        "Source records",
        "How the records were joined",
        "Id history",
        "Timeline",
    ):
        assert section in out
    assert (
        len([line for line in out.split("Timeline", 1)[1].splitlines() if line.startswith("  ")])
        <= 5
    )


def test_show_says_no_customer_matches(warehouse, monkeypatch, capsys):
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    assert main(["show", "certainly-nobody@nowhere.invalid"]) == 1
    assert "no customer matches" in capsys.readouterr().out


def test_show_pseudonymized_takes_a_pseudonym_and_prints_no_email(warehouse, monkeypatch, capsys):
    customer_id, email = customer_with_email(warehouse)
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    assert main(["show", "--pseudonymized", email]) == 1
    assert "pseudonym only" in capsys.readouterr().out
    assert main(["show", "--pseudonymized", pseudonym(customer_id)]) == 0
    out = capsys.readouterr().out
    assert pseudonym(customer_id) in out
    assert email not in out and customer_id not in out


def test_show_without_a_warehouse_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CDP_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    assert main(["show", "someone@example.org"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no warehouse") and "Traceback" not in err
