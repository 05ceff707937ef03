"""Phones to E.164: the hand-typed forms the sources deliver, and what must stay unresolved."""

from __future__ import annotations

import pytest

from cdp.duckdb_budget import connect
from cdp.standardize.duckdb_udfs import register
from cdp.standardize.phones import to_e164


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("333 123 4567", "IT", "+393331234567"),  # national form, region from the country
        ("3331234567", "IT", "+393331234567"),
        ("0039 333 1234567", "IT", "+393331234567"),  # international prefix 00
        ("+39 333 123 4567", None, "+393331234567"),  # + needs no region
        ("0039 333 1234567", None, "+393331234567"),  # 00 without a region
        ("0041 79 123 45 67", "IT", "+41791234567"),  # a Swiss number in an Italian record
        ("06.12.34.56.78", "FR", "+33612345678"),
        ("+49 (0)1512 3456789", "DE", "+4915123456789"),  # (0) trunk prefix inside +49
        ("01512/3456789", "DE", "+4915123456789"),
        ("07911 123456", "gb", "+447911123456"),  # region in lower case
        ("  +41 79 123 45 67  ", "CH", "+41791234567"),
        ("001 754 9453173", "US", "+17549453173"),  # 00 in a region that dials 011
    ],
)
def test_hand_typed_numbers_resolve(raw, region, expected):
    assert to_e164(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        (None, "IT"),
        ("", "IT"),
        ("   ", "IT"),
        ("n/a", "IT"),
        ("123", "IT"),  # too short to be a number
        ("3331234567", None),  # national form with no region: ambiguous
        ("3331234567", "Italia"),  # not a region code
        ("+39 333 123", None),  # too short for Italy
    ],
)
def test_what_is_not_a_valid_number_stays_unresolved(raw, region):
    assert to_e164(raw, region) is None


def test_registered_as_a_duckdb_function():
    con = connect()
    register(con)
    rows = con.execute(
        "select phone_to_e164(p, r) from (values ('333 123 4567', 'IT'), (null, 'IT'), "
        "('0039 333 1234567', null)) as t(p, r)"
    ).fetchall()
    assert rows == [("+393331234567",), (None,), ("+393331234567",)]


@pytest.mark.parametrize(
    ("e164", "kind"),
    [
        ("+393471234567", "mobile"),  # an Italian mobile
        ("+390212345678", "fixed_line"),  # a Milan landline
        ("+4915112345678", "mobile"),
        ("+493012345678", "fixed_line"),
        ("+39123", None),  # too short: no valid number
        ("+999123456789", None),  # no such country code
        ("not a phone", None),
        (None, None),
    ],
)
def test_phone_kind_tells_a_mobile_from_a_landline_and_refuses_invalid_numbers(e164, kind):
    from cdp.standardize.phones import phone_kind

    assert phone_kind(e164) == kind


def test_phone_kind_reads_e164_as_libphonenumber_parses_it():
    """The E.164 reading (country code, national number with its leading zeros) gives every
    region's example number of every type the line type parsing it gives."""
    import phonenumbers

    from cdp.standardize.phones import phone_kind

    names = {
        phonenumbers.PhoneNumberType.MOBILE: "mobile",
        phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
        phonenumbers.PhoneNumberType.UNKNOWN: None,
    }
    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in phonenumbers.PhoneNumberType.values():
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            parsed = phonenumbers.number_type(phonenumbers.parse(e164, None))
            kind = phone_kind(e164)
            assert kind == names.get(parsed, kind or "any other kind"), e164
            assert (kind is None) == (parsed == phonenumbers.PhoneNumberType.UNKNOWN), e164
            checked += 1
    assert checked > 1000
