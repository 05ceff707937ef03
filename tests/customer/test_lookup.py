"""The look-up and the customer view on the built sample: inputs standardized as the platform
standardizes them, ambiguous matches listed, merged ids followed, erased customers not found,
and the privacy rules (analytics refused; pseudonymized mode)."""

from __future__ import annotations

import subprocess
import sys
import time

import phonenumbers
import pytest

from cdp.customer.lookup import (
    WarehouseUnavailable,
    find,
    open_warehouse,
    phone_forms,
    standardize_email,
)
from cdp.customer.text import render_customer, render_lookup
from cdp.customer.view import ANALYTICS_FIELDS, PROFILE_FIELDS, load
from cdp.privacy.analytics import excluded_analytics_statuses
from cdp.standardize.phones import to_e164
from tests.conftest import query
from tests.customer.conftest import (
    customer_with_email,
    execute,
    make_refuser,
    pseudonym,
    web_visitor,
)

LABELS = {column: label for _section, column, label in PROFILE_FIELDS}


def test_inputs_are_standardized_as_the_platform_does():
    assert standardize_email("  Mario.Rossi@Example.IT ") == "mario.rossi@example.it"
    # phones go through the project's rule, in each region given, international forms as such
    assert phone_forms("333 123 4567", ["IT"]) == [to_e164("333 123 4567", "IT")]
    assert phone_forms("0039 333 1234567", ["DE"]) == [to_e164("+39 333 1234567", None)]
    assert phone_forms("333 123 4567", []) == []
    assert phone_forms("hello", ["IT"]) == []
    assert phone_forms("12345", ["IT"]) == []


def test_an_email_finds_its_customer_written_any_way(warehouse):
    customer_id, email = customer_with_email(warehouse)
    with open_warehouse(warehouse) as con:
        lookup = find(con, f"  {email.upper()} ")
    assert lookup.found is not None
    assert lookup.found.key == customer_id
    assert lookup.found.matched_on == "email"
    assert f"email: {email}" in lookup.searched


def test_a_phone_in_national_form_finds_its_customer(warehouse):
    rows = query(
        warehouse,
        """
        select profiles.customer_id, profiles.phone, profiles.country_code
        from marts.customer_profiles as profiles
        inner join intermediate.int_identifiers_resolved as resolved
            on resolved.identifier_type = 'phone'
            and resolved.identifier_value = profiles.phone
        where resolved.customer_count = 1 and profiles.country_code is not null
        order by profiles.customer_id
        limit 1
        """,
    )
    assert rows, "the sample has no customer with a phone of their own"
    customer_id, phone, _country = rows[0]
    national = phonenumbers.format_number(
        phonenumbers.parse(phone), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    international = "00" + phone[1:]
    with open_warehouse(warehouse) as con:
        by_national = find(con, national)
        by_international = find(con, international)
    assert customer_id in [c.key for c in by_national.candidates]
    assert f"phone: {phone}" in by_national.searched
    assert by_international.found is not None and by_international.found.key == customer_id
    assert by_international.found.matched_on == "phone"


def test_a_customer_id_and_an_account_id_find_the_customer(warehouse):
    customer_id, account_id = query(
        warehouse,
        """
        select resolved.customer_id, resolved.identifier_value
        from intermediate.int_identifiers_resolved as resolved
        inner join marts.customer_profiles using (customer_id)
        where resolved.identifier_type = 'account_id' and resolved.customer_count = 1
        order by 1 limit 1
        """,
    )[0]
    with open_warehouse(warehouse) as con:
        by_id = find(con, customer_id.lower())
        by_account = find(con, f" {account_id} ")
    assert by_id.found is not None and by_id.found.key == customer_id
    assert by_id.found.matched_on == "customer id"
    assert customer_id in [c.key for c in by_account.candidates]


def test_a_phone_several_profiles_share_lists_them_all(scratch):
    first, second = query(
        scratch,
        "select customer_id, phone from marts.customer_profiles where phone is not null "
        "order by customer_id limit 2",
    )
    # the second customer's records carry the first one's phone too: a family phone
    execute(
        scratch,
        "insert into intermediate.int_identifiers_resolved values ('phone', $1, $2, 1, 2)",
        params=[first[1], second[0]],
    )
    with open_warehouse(scratch) as con:
        lookup = find(con, first[1])
    assert lookup.found is None
    assert {c.key for c in lookup.candidates} == {first[0], second[0]}
    listed = render_lookup(lookup)
    assert "2 customers match" in listed
    assert first[0] in listed and second[0] in listed


def test_nonsense_and_an_erased_customer_match_nothing(scratch):
    customer_id, email = customer_with_email(scratch)
    with open_warehouse(scratch) as con:
        assert find(con, "no such thing at all").candidates == []
        assert find(con, "nobody@nowhere.invalid").candidates == []
        assert find(con, "").candidates == []
    # an erased person is gone from the marts; what other layers still hold finds nothing
    execute(
        scratch,
        *(
            f"delete from marts.{table} where customer_id = $1"
            for table in ("customer_profiles", "customer_consent", "segment_members")
        ),
        params=[customer_id],
    )
    with open_warehouse(scratch) as con:
        assert find(con, email).candidates == []
        assert find(con, customer_id).candidates == []
        assert load(con, customer_id) is None
    assert "no customer matches" in render_lookup(find_in(scratch, email))


def find_in(path, text, **kwargs):
    with open_warehouse(path) as con:
        return find(con, text, **kwargs)


def test_a_merged_id_leads_to_the_surviving_customer_and_its_history(scratch):
    customer_id, _email = customer_with_email(scratch)
    retired, older = "CUS-0000RETIRED1", "CUS-0000RETIRED0"
    execute(
        scratch,
        "insert into intermediate.int_identity__customer_id_changes values "
        "($1, $2, 'merged', 2, now() - interval 1 day), "
        "($3, $1, 'merged', 1, now() - interval 2 day)",
        params=[retired, customer_id, older],
    )
    with open_warehouse(scratch) as con:
        lookup = find(con, older)
        view = load(con, customer_id)
    assert lookup.found is not None
    assert lookup.found.key == customer_id
    assert lookup.found.matched_on == "merged id"
    history = {(h["previous_customer_id"], h["customer_id"]) for h in view.id_history}
    assert history == {(retired, customer_id), (older, retired)}


def test_the_view_holds_records_identifiers_joins_consent_and_timeline(warehouse):
    customer_id, email = customer_with_email(warehouse)
    with open_warehouse(warehouse) as con:
        view = load(con, customer_id, limit=10_000)
    records = query(
        warehouse,
        "select source || ':' || record_id from marts.customer_source_records "
        "where customer_id = $1",
        [customer_id],
    )
    assert {f"{r['source']}:{r['record_id']}" for r in view.records} == {r for (r,) in records}
    assert email in {i["identifier_value"] for r in view.records for i in r["identifiers"]}
    purposes = query(
        warehouse,
        "select purpose, consent_status from marts.customer_consent where customer_id = $1",
        [customer_id],
    )
    assert {(c["purpose"], c["consent_status"]) for c in view.consent} == set(purposes)
    segments = query(
        warehouse,
        "select segment_id from marts.segment_members where customer_id = $1",
        [customer_id],
    )
    assert {s["segment_id"] for s in view.segments} == {s for (s,) in segments}
    orders = query(
        warehouse,
        "select count(*) from intermediate.int_orders_attributed where customer_id = $1",
        [customer_id],
    )[0][0]
    assert orders > 0
    assert view.timeline_counts.get("order", 0) == orders
    if len(records) > 1:
        assert view.joins, "several records and nothing said about how they were joined"
    moments = [e.at for e in view.timeline]
    assert moments == sorted(moments, reverse=True)


def test_a_customer_who_refused_analytics_has_no_visits(warehouse, scratch):
    statuses = list(excluded_analytics_statuses())
    assert statuses  # the dbt var
    allowed = web_visitor(warehouse, ["granted", "no_record"])
    assert allowed, "the sample has no customer with site or app events"
    refuser, _email = make_refuser(scratch, statuses, exclude=allowed[0])
    with open_warehouse(scratch) as con:
        refused = load(con, refuser, limit=10_000)
        granted = load(con, allowed[0], limit=10_000)
    visits = query(
        scratch,
        "select count(distinct (occurred_date, platform)) from "
        "intermediate.int_web_events_attributed where customer_id = $1",
        [refuser],
    )[0][0]
    assert visits > 0  # there is something to leave out
    assert refused.analytics_refused
    assert refused.analytics_status in statuses
    assert [e for e in refused.timeline if e.kind == "visit"] == []
    assert not any(
        e.kind == "message" and e.title.endswith(("open", "click")) for e in refused.timeline
    )
    shown = {label for _section, fields in refused.profile for label, _value in fields}
    assert not shown & {LABELS[c] for c in ANALYTICS_FIELDS}
    assert any(
        "analytics" in reason and refused.analytics_status in reason for reason in refused.reasons
    )
    assert "no per-customer analytics" in render_customer(refused)
    assert all(r["last_observed_at"] is None for r in refused.records if r["source"] == "web")
    # the rule leaves the visits of the others alone
    assert not granted.analytics_refused
    assert granted.timeline_counts.get("visit", 0) > 0


def test_pseudonymized_mode_reads_only_its_schema_and_shows_no_personal_data(scratch):
    customer_id, email = customer_with_email(scratch)
    person = query(
        scratch,
        "select first_name, last_name, email, phone, street, cast(birth_date as varchar) "
        "from marts.customer_profiles where customer_id = $1",
        [customer_id],
    )[0]
    key = pseudonym(customer_id)
    # nothing but schema pseudonymized is left: a look-up that read anything else would fail
    schemas = [
        s
        for (s,) in query(
            scratch,
            "select schema_name from duckdb_schemas() where not internal and schema_name "
            "not in ('pseudonymized', 'main') and database_name = current_database()",
        )
    ]
    assert "marts" in schemas
    execute(scratch, *(f"drop schema {s} cascade" for s in schemas))
    execute(
        scratch,
        *(
            f"drop view main.{v}"
            for (v,) in query(
                scratch,
                "select view_name from duckdb_views() where schema_name = 'main' and not internal",
            )
        ),
    )
    with open_warehouse(scratch) as con:
        by_email = find(con, email, pseudonymized=True)
        lookup = find(con, key.upper(), pseudonymized=True)
        view = load(con, lookup.found.key, pseudonymized=True)
    assert by_email.candidates == [] and "pseudonym" in by_email.note
    assert lookup.found.key == key
    assert view.consent == [] and view.records == [] and view.joins == []
    assert all(e.kind == "activity" for e in view.timeline)
    text = render_customer(view, lookup) + render_lookup(lookup)
    for value in (customer_id, *person):
        if value:
            assert str(value) not in text
    shown = {label for _section, fields in view.profile for label, _value in fields}
    assert LABELS["postcode_area"] in shown and LABELS["email"] not in shown


def test_a_locked_or_missing_warehouse_says_so(scratch, tmp_path):
    with (
        pytest.raises(WarehouseUnavailable, match="no warehouse"),
        open_warehouse(tmp_path / "none.duckdb"),
    ):
        pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('open', "
            "flush=True); time.sleep(60)",
            str(scratch),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        started = time.monotonic()
        with (
            pytest.raises(WarehouseUnavailable, match="locked by a running pipeline"),
            open_warehouse(scratch),
        ):
            pass
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()
