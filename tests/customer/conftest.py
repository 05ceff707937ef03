"""Fixtures of the customer look-up tests: a copy of the session's built warehouse per module
(the look-up opens it read-only, which a file dbt holds open in this process refuses), and
customers chosen from its data by what they have, never by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cdp.duckdb_budget import connect
from cdp.privacy.keys import PSEUDONYM, derive, keyed_hash, load_key
from tests.conftest import query


@pytest.fixture(scope="module")
def warehouse(built_warehouse, tmp_path_factory) -> Path:
    """A checkpointed copy of the built sample's warehouse, shared by a module's tests."""
    built, _ = built_warehouse
    con = connect(str(built))
    con.execute("checkpoint")
    con.close()
    copy = tmp_path_factory.mktemp("customer") / "warehouse.duckdb"
    shutil.copy(built, copy)
    return copy


def pseudonym(customer_id: str) -> str:
    """The customer's pseudonym under the tests' privacy key, as dbt makes it."""
    key = load_key()
    assert key is not None
    return keyed_hash(customer_id, derive(key, PSEUDONYM))


def customer_with_email(warehouse: Path) -> tuple[str, str]:
    """(customer id, email) of a customer with several sources and orders whose golden email
    names only them."""
    rows = query(
        warehouse,
        """
        select profiles.customer_id, profiles.email
        from marts.customer_profiles as profiles
        inner join intermediate.int_identifiers_resolved as resolved
            on resolved.identifier_type = 'email'
            and resolved.identifier_value = profiles.email
            and resolved.customer_id = profiles.customer_id
        where resolved.customer_count = 1
        order by len(profiles.sources) desc, profiles.order_count desc, profiles.customer_id
        limit 1
        """,
    )
    assert rows, "the sample has no customer with an email of their own"
    return rows[0]


def web_visitor(warehouse: Path, statuses: list[str], exclude: str = "") -> tuple[str, str] | None:
    """(customer id, email) of a customer other than ``exclude`` with site or app events, an
    email of their own and a current analytics consent in ``statuses``, if the sample has
    one."""
    rows = query(
        warehouse,
        """
        select profiles.customer_id, profiles.email
        from marts.customer_profiles as profiles
        inner join marts.customer_consent as consent
            on consent.customer_id = profiles.customer_id and consent.purpose = 'analytics'
        inner join intermediate.int_identifiers_resolved as resolved
            on resolved.identifier_type = 'email'
            and resolved.identifier_value = profiles.email
            and resolved.customer_id = profiles.customer_id
        where resolved.customer_count = 1
            and consent.consent_status in $1
            and profiles.customer_id <> $2
            and profiles.customer_id in (
                select customer_id from intermediate.int_web_events_attributed
            )
        order by profiles.web_event_count desc, profiles.customer_id
        limit 1
        """,
        [statuses, exclude],
    )
    return rows[0] if rows else None


def make_refuser(path: Path, statuses: list[str], exclude: str = "") -> tuple[str, str]:
    """A customer other than ``exclude`` with site or app events whose analytics consent is
    refused in ``path``: one of the sample's if it has one, else one whose current analytics
    consent is set to the first refusing status (the warehouse is a copy)."""
    found = web_visitor(path, statuses, exclude)
    if found:
        return found
    visitor = web_visitor(path, ["granted", "no_record"], exclude)
    assert visitor, "the sample has no customer with site or app events"
    con = connect(str(path))
    con.execute(
        "update marts.customer_consent set consent_status = $1, is_granted = false "
        "where customer_id = $2 and purpose = 'analytics'",
        [statuses[0], visitor[0]],
    )
    con.close()
    return visitor


@pytest.fixture
def scratch(warehouse, tmp_path) -> Path:
    """A copy of the module's warehouse for one test that changes data."""
    copy = tmp_path / "scratch.duckdb"
    shutil.copy(warehouse, copy)
    return copy


def execute(path: Path, *statements: str, params: list | None = None) -> None:
    """Run ``statements`` on the warehouse copy ``path`` (read-write)."""
    con = connect(str(path))
    try:
        for statement in statements:
            con.execute(statement, params or [])
    finally:
        con.close()
