"""Consent across merged identities, on a built warehouse: the newest event under any of a
customer's identifiers decides, whichever identifier it was given under; at the same instant
a refusal wins."""

from __future__ import annotations

from datetime import date

import pytest

from cdp.duckdb_budget import connect
from tests.conftest import invoke_dbt

pytestmark = pytest.mark.integration

PURPOSE = "email_marketing"
MODELS = "stg_consent__events int_consent_events_attributed customer_consent"


def merged_customer(con) -> tuple[str, str, str]:
    """A customer known by an email and an account id that belong to them alone."""
    return con.execute(
        """
        select email.customer_id, email.identifier_value, account.identifier_value
        from intermediate.int_identifiers_resolved as email
        inner join intermediate.int_identifiers_resolved as account
            on email.customer_id = account.customer_id
        where email.identifier_type = 'email' and account.identifier_type = 'account_id'
            and email.customer_count = 1 and account.customer_count = 1
        order by email.customer_id
        limit 1
        """
    ).fetchall()[0]


def add_events(con, *events: tuple[str, str, str, str, str]) -> None:
    """Raw consent events (id, subject type, subject value, status, captured at)."""
    for number, (event_id, subject_type, value, status, captured_at) in enumerate(events, 1):
        con.execute(
            "insert into raw.consent__consent_events values "
            "(?, ?, ?, ?, ?, ?, 'preference_center', 'v9', ?, ?, ?, now())",
            [
                event_id,
                subject_type,
                value,
                PURPOSE,
                status,
                captured_at,
                "consent/2026-11-28/consent_events_test.csv",
                date(2026, 11, 28),
                10_000 + number,
            ],
        )


def rebuild(warehouse, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    result = invoke_dbt(tmp_path / "target", "run", "--select", MODELS)
    assert result.success, result.exception


def status(warehouse, customer_id: str) -> tuple[str, str]:
    con = connect(str(warehouse))  # dbt-duckdb keeps its own connection open here
    try:
        return con.execute(
            "select consent_status, subject_type from marts.customer_consent "
            "where customer_id = ? and purpose = ?",
            [customer_id, PURPOSE],
        ).fetchall()[0]
    finally:
        con.close()


def test_the_newest_event_under_any_identifier_of_a_merged_customer_decides(
    warehouse_copy, tmp_path, monkeypatch
):
    con = connect(str(warehouse_copy))
    customer_id, email, account_id = merged_customer(con)
    # granted under the email, then withdrawn under the account id an hour later
    add_events(
        con,
        ("t-1", "email", email.upper(), "granted", "2026-11-28T22:00:00Z"),
        ("t-2", "account_id", account_id, "withdrawn", "2026-11-28T23:00:00Z"),
    )
    con.close()
    rebuild(warehouse_copy, tmp_path, monkeypatch)
    assert status(warehouse_copy, customer_id) == ("withdrawn", "account_id")

    # granted again under the email, later still: the grant decides
    con = connect(str(warehouse_copy))
    add_events(con, ("t-3", "email", email, "granted", "2026-11-28T23:30:00Z"))
    con.close()
    rebuild(warehouse_copy, tmp_path, monkeypatch)
    assert status(warehouse_copy, customer_id) == ("granted", "email")

    # a refusal and a grant at the same instant under the two identifiers: the refusal wins
    con = connect(str(warehouse_copy))
    add_events(
        con,
        ("t-4", "email", email, "granted", "2026-11-28T23:45:00Z"),
        ("t-5", "account_id", account_id, "denied", "2026-11-28T23:45:00Z"),
    )
    con.close()
    rebuild(warehouse_copy, tmp_path, monkeypatch)
    assert status(warehouse_copy, customer_id) == ("denied", "account_id")
