"""Probabilistic matching (cdp.identity.fuzzy) on small hand-built record tables.

Most tests use preset parameters (close to what training learns on the sample data), so that
they test the comparisons, the threshold and the refusals, not the luck of training on a
few records. The records sit among a few thousand filler records with distinct names, so that
term frequencies are realistic. One test trains the model on a synthetic frame.
"""

from __future__ import annotations

import json
import random
import string
from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pytest

from cdp.duckdb_budget import connect
from cdp.identity.fuzzy import (
    PRIVATE_SHARE,
    RETRAIN_CHANGE,
    FuzzyConfig,
    KeptMatches,
    KeptModel,
    _private_connection,
    comparison_levels,
    fuzzy_matches,
    model_fingerprint,
    train_model,
    why_train,
)

COLUMNS = {
    "record_key": "varchar",
    "source": "varchar",
    "record_id": "varchar",
    "first_name": "varchar",
    "last_name": "varchar",
    "email": "varchar",
    "phone": "varchar",
    "birth_date": "date",
    "street": "varchar",
    "postcode": "varchar",
    "city": "varchar",
    "country_code": "varchar",
    "language_code": "varchar",
    "observed_at": "timestamp",
    "is_deleted": "boolean",
}

# (m, u) per level: rounded, close to what training learns on the 5,000 and 100,000-person data.
PRESET = {
    "prior": 1e-4,
    "first_name": {
        "exact": (0.93, 8e-4),
        "swapped": (0.01, 2e-6),
        "variant": (0.005, 2e-5),
        "typo": (0.04, 5e-4),
        "abbreviated": (1e-3, 1e-3),
        "two_edits": (0.005, 1e-4),
        "else": (3e-3, 0.99),
    },
    "last_name": {
        "exact": (0.95, 7e-4),
        "typo": (0.03, 1e-4),
        "contained": (5e-5, 5e-5),
        "else": (3e-3, 0.997),
    },
    # the typo levels as a data set with mistyped birth dates teaches them
    "birth_date": {
        "exact": (0.9, 2e-4),
        "day_month_swapped": (0.01, 1e-6),
        "one_digit": (0.04, 5e-4),
        "transposed": (0.01, 1e-5),
        "partial": (0.01, 1e-3),
        "within_10_years": (0.01, 0.15),
        "else": (0.01, 0.85),
    },
    "address": {
        "same_street": (0.95, 4e-4),
        "same_postcode": (0.03, 6e-4),
        "same_city": (0.01, 0.018),
        "else": (3e-3, 0.98),
    },
    "email": {"exact": (0.9, 2e-4), "same_local": (0.02, 2e-6), "else": (0.07, 0.9998)},
    "phone": {"exact": (0.92, 1e-4), "else": (0.07, 0.9999)},
}


def _word(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(length)).title()


def _filler(count: int, seed: int = 1, *, couples: bool = True) -> list[dict]:
    """Unrelated people with made-up, distinct names and no shared identifiers; with
    ``couples``, every tenth pair of them shares an address (the data holds households, and
    the refusals apply)."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        first, last = _word(rng, 7), _word(rng, 9)
        rows.append(
            {
                "record_key": f"filler:{index}",
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}@example.org".lower(),
                "birth_date": date(1940, 1, 1) + timedelta(days=rng.randrange(25_000)),
            }
        )
        if couples and index % 20 in (0, 1):
            home = {"street": f"Via Filler {index // 20}", "postcode": f"9{index // 20:04d}"}
            rows[-1].update(home)
    return rows


def _table(con: duckdb.DuckDBPyConnection, rows: list[dict], name: str = "records") -> str:
    """A table with the columns of int_identity__records holding ``rows``."""
    full = []
    for row in rows:
        source, _, record_id = row["record_key"].partition(":")
        values = {"source": source, "record_id": record_id, "is_deleted": False, **row}
        full.append({column: values.get(column) for column in COLUMNS})
    con.register("_rows", pa.Table.from_pylist(full))
    casts = ", ".join(f"cast({column} as {kind}) as {column}" for column, kind in COLUMNS.items())
    con.execute(f"create or replace table {name} as select {casts} from _rows")
    con.unregister("_rows")
    return name


def _pairs(
    rows: list[dict], config: FuzzyConfig | None = None, *, households: bool = True
) -> dict[tuple[str, str], dict]:
    con = connect()
    records = _table(con, rows + _filler(3000, couples=households))
    table, _model = fuzzy_matches(con, records, config or FuzzyConfig(preset=PRESET))
    result = con.execute(f"select * from {table}")
    names = [column[0] for column in result.description]
    return {(row[0], row[1]): dict(zip(names, row, strict=True)) for row in result.fetchall()}


ROSSI_HOME = {"street": "Via Roma 12", "postcode": "20121", "city": "Milano", "country_code": "IT"}


def test_a_duplicate_with_a_typo_in_the_first_name_matches():
    pairs = _pairs(
        [
            {
                "record_key": "crm:C-1",
                "first_name": "Giuseppe",
                "last_name": "Verdi",
                "email": "giuseppe.verdi@libero.it",
                "phone": "+393331234567",
                "birth_date": date(1970, 3, 14),
                **ROSSI_HOME,
            },
            {
                "record_key": "crm:C-2",
                "first_name": "GUISEPPE",  # letters swapped, typed in capitals, no e-mail
                "last_name": "verdi ",
                "phone": "+393331234567",
                "birth_date": date(1970, 3, 14),
                **ROSSI_HOME,
                "street": "V.le Roma, 12",
            },
        ]
    )
    pair = pairs[("crm:C-1", "crm:C-2")]
    assert pair["match_probability"] >= 0.99
    assert pair["first_name_level"] == "typo"
    assert pair["last_name_level"] == "exact"


def test_first_and_last_name_swapped_match():
    pairs = _pairs(
        [
            {
                "record_key": "crm:C-3",
                "first_name": "Anna",
                "last_name": "Bianchetti",
                "email": "anna.b@gmail.com",
                "phone": "+393479876543",
                **ROSSI_HOME,
            },
            {
                "record_key": "subscriptions:sub_x",
                "first_name": "Bianchetti",
                "last_name": "Anna",
                "email": "abianchetti@yahoo.it",
                "phone": "+393479876543",
                **ROSSI_HOME,
            },
        ]
    )
    pair = pairs[("crm:C-3", "subscriptions:sub_x")]
    assert pair["first_name_level"] == "swapped"
    assert pair["address_level"] == "same_street"


HOUSEHOLD = [
    {
        "record_key": "crm:C-5",
        "first_name": "Marco",
        "last_name": "Rossini",
        "phone": "+390212345678",  # the family's landline
        "email": "famiglia.rossini@libero.it",
        "birth_date": date(1961, 5, 5),
        **ROSSI_HOME,
    },
    {
        "record_key": "crm:C-6",
        "first_name": "Lucia",
        "last_name": "Rossini",
        "phone": "+390212345678",
        "email": "famiglia.rossini@libero.it",
        "birth_date": date(1963, 7, 21),
        **ROSSI_HOME,
    },
    {
        "record_key": "shop_account:77",
        "first_name": "Maria",  # the daughter: one letter from her father's name
        "last_name": "Rossini",
        "phone": "+390212345678",
        "birth_date": date(1994, 2, 2),
    },
    {
        "record_key": "crm:C-8",
        "first_name": "Mario",  # his brother: one letter from his name, born four years later
        "last_name": "Rossini",
        "phone": "+390212345678",
        "birth_date": date(1965, 9, 30),
        **ROSSI_HOME,
    },
]


def test_a_typo_in_a_household_is_weighed_not_refused():
    # without the birth date "Guiseppe" could be a relative's name typed wrongly; the typo
    # level and the household's agreeing address and phone decide it, no rule refuses it
    giuseppe = {
        "record_key": "crm:C-1",
        "first_name": "Giuseppe",
        "last_name": "Verdi",
        "phone": "+393331234567",
        **ROSSI_HOME,
    }
    typo = {**giuseppe, "record_key": "crm:C-2", "first_name": "Guiseppe"}
    assert _pairs([giuseppe, typo])[("crm:C-1", "crm:C-2")]["first_name_level"] == "typo"


def test_household_members_do_not_match():
    pairs = _pairs(HOUSEHOLD)
    household = {row["record_key"] for row in HOUSEHOLD}
    assert not [pair for pair in pairs if set(pair) <= household]


def test_a_parent_and_child_of_one_name_at_one_address_are_two_people():
    father = {
        "record_key": "crm:C-10",
        "first_name": "Bruno",
        "last_name": "Ferrandi",
        "birth_date": date(1950, 1, 1),
        "phone": "+393401111111",
        **ROSSI_HOME,
    }
    son = {**father, "record_key": "crm:C-11", "birth_date": date(1985, 6, 6)}
    assert ("crm:C-10", "crm:C-11") not in _pairs([father, son])
    # the refusal, not the model, tells them apart: the household's evidence outweighs
    pairs = _pairs([father, son], FuzzyConfig(preset=PRESET, refusals=()))
    assert pairs[("crm:C-10", "crm:C-11")]["birth_date_level"] == "else"
    # in another source too
    other_source = {**son, "record_key": "shop_account:11"}
    assert ("crm:C-10", "shop_account:11") not in _pairs([father, other_source])


# Twins: one surname, birth date and address, first names no typing error relates.
ANNA = {
    "record_key": "crm:C-12",
    "first_name": "Anna",
    "last_name": "Ferrandi",
    "birth_date": date(1990, 4, 4),
    **ROSSI_HOME,
}
DIANA = {**ANNA, "record_key": "crm:C-13", "first_name": "Diana"}


def test_twins_at_one_address_are_two_people():
    anna, diana = ANNA, DIANA
    assert ("crm:C-12", "crm:C-13") not in _pairs([anna, diana])
    pairs = _pairs([anna, diana], FuzzyConfig(preset=PRESET, refusals=()))
    assert pairs[("crm:C-12", "crm:C-13")]["first_name_level"] == "else"
    # Diana's shop account: a postcode (where her orders go) and no street
    account = {**diana, "record_key": "shop_account:13", "street": None, "city": None}
    assert ("crm:C-12", "shop_account:13") not in _pairs([anna, account])
    # the postcode and the surname stand for the address: the household refusal holds
    scored = FuzzyConfig(preset=PRESET, keep_refused=True, threshold_match_probability=0.01)
    pair = _pairs([anna, account], scored)[("crm:C-12", "shop_account:13")]
    assert (pair["address_level"], pair["refused_by"]) == (
        "same_postcode",
        "another_household_member",
    )


def test_data_of_one_person_per_address_takes_no_household_refusal():
    # A register or a list of one person per address (FEBRL's) has no households: no address
    # holds two people that no typing error makes one. There, a record sharing an address,
    # a surname and a birth date under another first name is a copy with the first name
    # replaced, and the model weighs it; in household data it is a twin (test above).
    anna, diana = ANNA, DIANA
    assert ("crm:C-12", "crm:C-13") in _pairs([anna, diana], households=False)
    # one couple among the shared addresses is enough household evidence here (1 of 2)
    couple = [
        {
            **anna,
            "record_key": "crm:C-20",
            "first_name": "Pietro",
            "last_name": "Gallo",
            "birth_date": date(1950, 2, 2),
            "street": "Via Po 1",
            "postcode": "10100",
        },
        {
            **anna,
            "record_key": "crm:C-21",
            "first_name": "Ines",
            "last_name": "Moro",
            "birth_date": date(1953, 8, 9),
            "street": "Via Po 1",
            "postcode": "10100",
        },
    ]
    assert ("crm:C-12", "crm:C-13") not in _pairs([anna, diana, *couple], households=False)


def test_household_evidence_counts_addresses_of_two_people():
    from cdp.identity.fuzzy import HouseholdEvidence, household_evidence

    con = connect()
    con.execute(
        """
        create table prepared as select * from (values
            ('a', 'marco', 'rossi', date '1960-01-01', '20121', 'via roma 12', ['marco']),
            ('b', 'lucia', 'rossi', date '1963-05-05', '20121', 'via roma 12', []),
            ('c', 'anna', 'verdi', date '1990-04-04', '20122', 'via po 1', ['anna']),
            ('d', 'diana', 'verdi', date '1990-04-04', '20122', 'via po 1', ['diana']),
            ('e', 'ugo', 'neri', date '1970-01-01', '20123', 'via dante 3', []),
            ('f', 'ugo', 'neri', date '1970-01-10', '20123', 'via dante 3', [])
        ) as t(record_key, first_name, last_name, birth_date, postcode, street,
               first_name_groups)
        """
    )
    con.execute(
        "create or replace table prepared as "
        "select *, strftime(birth_date, '%Y%m%d') as birth_text from prepared"
    )
    # a couple (first names and birth dates differ) counts; twins (one birth date) and a
    # copy with a mistyped date do not
    evidence = household_evidence(con, "prepared")
    assert evidence == HouseholdEvidence(shared_addresses=3, addresses_of_two_people=1)
    assert evidence.holds_households(0.05) and not evidence.holds_households(0.5)
    assert not HouseholdEvidence(813, 10).holds_households(0.05)


TYPED_TWICE = {
    "record_key": "crm:C-14",
    "first_name": "Robert",
    "last_name": "Tanner",
    "birth_date": date(1972, 3, 12),
    **ROSSI_HOME,
}


@pytest.mark.parametrize(
    ("change", "comparison", "level"),
    [
        ({"birth_date": date(1972, 3, 13)}, "birth_date", "one_digit"),
        ({"birth_date": date(1972, 12, 3)}, "birth_date", "day_month_swapped"),
        ({"birth_date": date(1927, 3, 12)}, "birth_date", "transposed"),
        ({"birth_date": date(1972, 1, 1)}, "birth_date", "partial"),
        ({"first_name": "Bob"}, "first_name", "variant"),
        ({"first_name": "R."}, "first_name", "abbreviated"),
        ({"first_name": "Rboret"}, "first_name", "two_edits"),
    ],
)
def test_a_copy_typed_again_with_one_field_changed_matches(change, comparison, level):
    copy = {**TYPED_TWICE, "record_key": "crm:C-15", **change}
    pair = _pairs([TYPED_TWICE, copy])[("crm:C-14", "crm:C-15")]
    assert pair[f"{comparison}_level"] == level
    assert pair["match_probability"] >= 0.99


@pytest.mark.parametrize("refusal", ["another_household_member", "another_generation"])
def test_each_refusal_refuses_only_its_pairs(refusal):
    from cdp.identity.fuzzy import REFUSALS, refused_by_sql

    con = connect()
    con.execute(
        "create table l as select 'roberta' as first_name, 'tanner' as last_name, "
        "date '1972-03-12' as birth_date, '00100' as postcode, 'via roma 12' as street, "
        "cast(null as varchar) as phone, cast(null as varchar) as email, "
        "[]::varchar[] as first_name_groups, 'roberta.t' as email_local, "
        "'19720312' as birth_text"
    )
    cases = {
        # a twin: another first name at one address
        "another_household_member": ("first_name", "'anna'", "'bobbie'"),
        # another generation: born 28 years later, no typing error explains it
        "another_generation": ("birth_date", "date '2000-01-05'", "date '1927-03-12'"),
    }
    column, refused, kept = cases[refusal]
    sides = ("l.{}", "r.{}")
    for value, expected in ((refused, refusal), (kept, None)):
        con.execute(f"create or replace table r as select * replace ({value} as {column}) from l")
        con.execute("update r set birth_text = strftime(birth_date, '%Y%m%d')")
        if column == "first_name":
            con.execute(
                "update r set first_name_groups = ['roberta', 'robert'] where first_name = 'bobbie'"
            )
            con.execute("update l set first_name_groups = ['roberta']")
        found = con.execute(f"select {refused_by_sql((refusal,), sides)} from l, r").fetchall()
        assert found == [(expected,)], (refusal, value)
    assert REFUSALS[refusal].description


def test_a_person_who_moved_and_changed_email_matches():
    pairs = _pairs(
        [
            {
                "record_key": "crm:C-20",
                "first_name": "Paolo",
                "last_name": "Nerini",
                "email": "paolo.nerini@tiscali.it",
                "birth_date": date(1980, 3, 3),
                **ROSSI_HOME,
            },
            {
                "record_key": "crm:C-21",
                "first_name": "Paolo",
                "last_name": "Nerini",
                "email": "pnerini@gmail.com",
                "birth_date": date(1980, 3, 3),
                "street": "Corso Francia 200",
                "postcode": "10143",
                "city": "Torino",
                "country_code": "IT",
            },
        ]
    )
    pair = pairs[("crm:C-20", "crm:C-21")]
    assert pair["address_level"] == "else"
    assert pair["email_level"] == "else"
    assert pair["birth_date_level"] == "exact"


def test_a_last_name_is_read_from_a_name_based_email():
    pairs = _pairs(
        [
            {"record_key": "newsletter:1", "first_name": "Knut", "email": "knut.margraf@gmx.de"},
            {
                "record_key": "crm:C-30",
                "first_name": "Knut",
                "last_name": "Margraf",
                "birth_date": date(1975, 4, 4),
            },
        ]
    )
    assert pairs[("crm:C-30", "newsletter:1")]["last_name_level"] == "exact"


def test_names_alone_are_not_enough_against_other_identifiers():
    # same (rare) name, but e-mail and phone both differ and nothing else agrees
    pairs = _pairs(
        [
            {
                "record_key": "shop_account:40",
                "first_name": "Hannah",
                "last_name": "Hewitt",
                "email": "hannahhewitt@icloud.com",
                "phone": "+447700900001",
            },
            {
                "record_key": "shop_account:41",
                "first_name": "Hannah",
                "last_name": "Hewitt",
                "email": "hannah.h@gmail.com",
                "phone": "+447700900002",
            },
        ]
    )
    assert ("shop_account:40", "shop_account:41") not in pairs


def test_a_record_matching_two_different_people_is_dropped():
    # "M. Rossini" with the family mailbox matches Marco and Matilde alike: ambiguous
    marco = {**HOUSEHOLD[0], "record_key": "crm:C-50"}
    matilde = {**HOUSEHOLD[1], "record_key": "crm:C-51", "first_name": "Matilde"}
    ticket = {
        "record_key": "support:TCK-1",
        "first_name": "M.",
        "last_name": "Rossini",
        "email": "famiglia.rossini@libero.it",
    }
    pairs = _pairs([marco, matilde, ticket])
    assert not [pair for pair in pairs if "support:TCK-1" in pair]


def test_an_ambiguous_record_keeps_its_pairs_that_no_stronger_pair_rules_out():
    # A contact without a birth date matches a father and his son of one name at one address.
    # It gives up the weaker of those two pairs; its pairs with the father's copies stand,
    # though only one of them is its strongest pair.
    home = {**ROSSI_HOME, "first_name": "Marco", "last_name": "Rossini"}
    contact = {
        **home,
        "record_key": "crm:C-60",
        "email": "famiglia.rossini@libero.it",
        "phone": "+393331112223",
    }
    father = {
        **home,
        "record_key": "crm:C-61",
        "email": "famiglia.rossini@libero.it",
        "birth_date": date(1961, 5, 5),
    }
    son = {**home, "record_key": "shop_account:62", "birth_date": date(1992, 9, 30)}
    copy = {
        **home,
        "record_key": "subscriptions:sub_63",
        "phone": "+393331112223",
        "birth_date": date(1961, 5, 5),
    }
    pairs = _pairs([contact, father, son, copy])
    assert pairs[("crm:C-60", "crm:C-61")]["refused_by"] is None
    assert pairs[("crm:C-60", "subscriptions:sub_63")]["refused_by"] is None
    assert ("crm:C-60", "shop_account:62") not in pairs
    assert ("crm:C-61", "subscriptions:sub_63") in pairs
    assert not [pair for pair in pairs if "shop_account:62" in pair]


def test_records_without_a_name_take_no_part_and_the_output_is_well_formed():
    rows = [
        {"record_key": "web:abc", "email": "anna.b@gmail.com"},
        {"record_key": "crm:C-3", "first_name": "Anna", "last_name": "Bianchetti"},
        {"record_key": "crm:C-4", "first_name": "Anna", "last_name": "Bianchetti"},
    ]
    pairs = _pairs(rows)
    assert not [pair for pair in pairs if "web:abc" in pair]
    for (left, right), pair in pairs.items():
        assert left < right
        assert pair["match_probability"] >= 0.99
        assert pair["blocking_rule"]
        for name in comparison_levels():
            assert pair[f"{name}_level"]


def test_no_named_records_gives_an_empty_table():
    con = connect()
    records = _table(con, [{"record_key": "web:a", "email": "a@b.it"}])
    table, model = fuzzy_matches(con, records, FuzzyConfig(preset=PRESET))
    assert con.execute(f"select count(*) from {table}").fetchall() == [(0,)]
    assert model.records == 0


def _synthetic(persons: int, seed: int = 3) -> tuple[list[dict], set, set]:
    """A small world: households sharing a surname, an address and a landline; CRM duplicates
    with a typo or swapped names; shop accounts with another e-mail. Returns the records, the
    pairs of one person and the pairs of two members of one household."""
    rng = random.Random(seed)
    rows, same_person, same_household = [], set(), set()
    index = 0
    while index < persons:
        last = _word(rng, rng.randint(5, 9))
        home = {
            "street": f"Via {_word(rng, 8)} {rng.randint(1, 200)}",
            "postcode": f"{rng.randint(10000, 99999)}",
            "city": _word(rng, 6),
            "country_code": "IT",
        }
        landline = f"+3902{rng.randint(10_000_000, 99_999_999)}"
        members = []
        for _member in range(rng.choice([1, 1, 2, 2, 3])):
            index += 1
            first = _word(rng, rng.randint(4, 8))
            born = date(1940, 1, 1) + timedelta(days=rng.randrange(25_000))
            crm = {
                "record_key": f"crm:C-{index}",
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}{rng.randint(1, 99)}@libero.it".lower(),
                "phone": landline if rng.random() < 0.4 else f"+393{rng.randint(10**8, 10**9)}",
                "birth_date": born if rng.random() < 0.6 else None,
                **home,
            }
            records = [crm]
            if rng.random() < 0.5:
                records.append(
                    {
                        "record_key": f"shop_account:{index}",
                        "first_name": first,
                        "last_name": last,
                        "email": f"{first[0]}{last}@gmail.com".lower(),
                        "birth_date": born if rng.random() < 0.3 else None,
                    }
                )
            if rng.random() < 0.15:
                typo = list(first)
                at = rng.randrange(1, len(typo) - 1)
                typo[at], typo[at + 1] = typo[at + 1], typo[at]
                names = (
                    {"first_name": last, "last_name": first}
                    if rng.random() < 0.3
                    else {"first_name": "".join(typo), "last_name": last}
                )
                records.append({**crm, "record_key": f"crm:D-{index}", "email": None, **names})
            keys = sorted(record["record_key"] for record in records)
            same_person |= {(a, b) for a in keys for b in keys if a < b}
            members.append(keys)
            rows += records
        for one in members:
            for other in members:
                same_household |= {(a, b) for a in one for b in other if a < b and one != other}
    return rows, same_person, same_household


def test_training_on_a_synthetic_frame():
    rows, same_person, same_household = _synthetic(800)
    con = connect()
    records = _table(con, rows)
    config = FuzzyConfig(u_max_pairs=1e5)
    table, model = fuzzy_matches(con, records, config)
    found = {
        tuple(row)
        for row in con.execute(f"select left_record_key, right_record_key from {table}").fetchall()
    }

    weights = model.match_weights()
    assert weights["first_name"]["exact"] > 5 > -5 > weights["first_name"]["else"]
    assert weights["birth_date"]["exact"] > 5 > -3 > weights["birth_date"]["else"]
    assert 0 < model.prior < 0.01
    assert not found & same_household
    assert len(found - same_person) <= 0.01 * len(found)
    # the CRM duplicates (a typo or swapped names, same address) with a birth date are found;
    # without one, a first name one letter off in a household could be a relative's
    born = {row["record_key"] for row in rows if row["birth_date"]}
    duplicates = {pair for pair in same_person if pair[1].startswith("crm:D-")}
    assert len(found & duplicates) >= 0.95 * len({pair for pair in duplicates if set(pair) <= born})
    assert len(found & duplicates) >= 0.75 * len(duplicates)


def _parameters(settings: dict) -> list[float]:
    """A trained model's prior and the m- and u-probabilities of its levels, in order."""
    return [settings["probability_two_random_records_match"]] + [
        level.get(name) or 0.0
        for comparison in settings["comparisons"]
        for level in comparison["comparison_levels"]
        for name in ("m_probability", "u_probability")
    ]


@pytest.mark.parametrize("sampled", [False, True], ids=["every record", "a training sample"])
def test_a_model_trained_apart_scores_the_same_pairs(sampled):
    """int_identity__fuzzy_model trains, int_identity__fuzzy_matches scores with what it kept
    (through JSON): the model and the pairs are those of training and scoring in one go
    (cdp-eval's curve on a warehouse without a model), trained on one sample when there is
    one. Scoring reads the term frequencies of all the records, never those of the records it
    trained on. Records whose names clean to nothing (digits, punctuation) take no part."""
    rows, _same_person, _households = _synthetic(400)
    unnamed = [
        {"record_key": f"crm:U-{index}", "first_name": name, "last_name": "--", "email": "x@y.it"}
        for index, name in enumerate(["123", "..", None, " "] * 30)
    ]
    con = connect()
    records = _table(con, unnamed + rows)
    config = FuzzyConfig(u_max_pairs=1e5, train_max_records=len(rows) // 2 if sampled else 10**9)
    table, model = fuzzy_matches(con, records, config)
    assert model.records == len(rows)
    in_one_go = con.execute(f"select * from {table} order by all").fetchall()
    settings, named = train_model(con, records, config)
    assert named == len(rows)
    assert _parameters(settings) == pytest.approx(_parameters(model.settings), rel=1e-9)
    kept = json.loads(json.dumps(settings))
    table, _model = fuzzy_matches(con, records, config, trained=kept)
    assert con.execute(f"select * from {table} order by all").fetchall() == in_one_go
    assert len(in_one_go) > 50


def test_above_its_record_limit_the_model_trains_on_a_uniform_sample():
    rows, same_person, _households = _synthetic(800)
    con = connect()
    records = _table(con, rows)
    full = FuzzyConfig(u_max_pairs=1e5)
    sampled = FuzzyConfig(u_max_pairs=1e5, train_max_records=len(rows) // 2)
    lines: list[str] = []
    settings, named = train_model(con, records, sampled, log=lines.append)
    # the count kept with the model (to tell when to train again) is of all named records
    assert named == len(rows)
    assert f"trained on a sample of {len(rows) // 2:,} of {len(rows):,} named records" in lines
    # the same sample each time (equal to rounding: threads sum in any order), not the whole
    again = _parameters(train_model(con, records, sampled)[0])
    assert again == pytest.approx(_parameters(settings), rel=1e-9)
    assert _parameters(train_model(con, records, full)[0]) != pytest.approx(again, rel=1e-3)
    assert model_fingerprint(sampled) != model_fingerprint(full)

    def found(config: FuzzyConfig, trained: dict) -> set[tuple]:
        table, _model = fuzzy_matches(con, records, config, trained=trained)
        pairs = f"select left_record_key, right_record_key from {table}"
        return {tuple(row) for row in con.execute(pairs).fetchall()}

    # a model trained on half the records pairs (nearly) as the one trained on all
    by_sample = found(sampled, settings)
    by_all = found(full, train_model(con, records, full)[0])
    assert len(by_sample - same_person) <= 0.01 * len(by_sample)
    assert len(by_sample & same_person) >= 0.97 * len(by_all & same_person)


def test_a_kept_model_is_trained_again_only_for_a_reason():
    kept = KeptModel(model_fingerprint(), 1000, {"comparisons": []})
    assert why_train(kept, 1000, model_fingerprint()) is None
    assert why_train(kept, 1000 + int(RETRAIN_CHANGE * 1000), model_fingerprint()) is None
    assert "changed by more than" in why_train(kept, 1101, model_fingerprint())
    assert "changed by more than" in why_train(kept, 899, model_fingerprint())
    assert why_train(None, 1000, model_fingerprint()) == "no model kept"
    assert why_train(kept, 1000, model_fingerprint(), asked=True) == "asked for"
    # other comparisons or rules: another fingerprint, and the kept model no longer fits
    other = model_fingerprint(FuzzyConfig(max_block_records=5))
    assert other != model_fingerprint()
    assert why_train(kept, 1000, other) == "the comparisons or rules changed"


@pytest.mark.parametrize("threshold", [0.5, 0.999])
def test_the_threshold_is_applied(threshold):
    rows = [
        {"record_key": "crm:C-60", "first_name": "Ottavio", "last_name": "Brambilla"},
        {"record_key": "crm:C-61", "first_name": "Ottavio", "last_name": "Brambilla"},
    ]
    pairs = _pairs(rows, FuzzyConfig(preset=PRESET, threshold_match_probability=threshold))
    assert all(pair["match_probability"] >= threshold for pair in pairs.values())
    assert (("crm:C-60", "crm:C-61") in pairs) == (threshold == 0.5)


@pytest.mark.parametrize(
    ("one", "other", "conflict"),
    [
        (("Eric", "Gross", None), ("E.", "Gross", None), False),  # an initial
        (("Arnaud", "Claudine", None), ("Claudine", None, None), False),  # swapped, one missing
        (("Robert", "Tanner", None), ("Bob", "Tanner", None), False),  # a nickname
        (("Eva", "Ottino", None), ("Eav", "Ottino", None), False),  # a typo in a short name
        (("Mario", "Rossi", None), ("Anna", "Rossi", None), True),  # a family phone
        (("Mario", "Rossi", None), ("Maria", "Rossi", None), True),  # male and female forms
        (("Anna", "Rossi", date(1972, 3, 12)), ("Anna", "Rossi", date(1972, 12, 3)), False),
        (("Anna", "Rossi", date(1972, 3, 12)), ("Anna", "Rossi", date(1927, 3, 12)), False),
        (("Bruno", "Ferri", date(1950, 1, 1)), ("Bruno", "Ferri", date(1985, 6, 6)), True),
    ],
)
def test_identifier_conflicts_use_the_matchers_notion_of_one_person(one, other, conflict):
    from cdp.identity.fuzzy import identifier_conflicts

    con = connect()
    rows = [
        {"record_key": f"crm:C-{n}", "first_name": f, "last_name": ln, "birth_date": b}
        for n, (f, ln, b) in enumerate((one, other))
    ]
    records = _table(con, rows)
    con.execute(
        "create table identifiers as select record_key, 'email' as identifier_type, "
        "'email:shared@x.it' as identifier_key from records"
    )
    table = identifier_conflicts(con, records, "identifiers", max_records=50)
    found = con.execute(f"select identifier_key from {table}").fetchall()
    assert (found == [("email:shared@x.it",)]) == conflict


def _judged(con: duckdb.DuckDBPyConnection, table: str) -> set[tuple]:
    return set(
        con.execute(f"select left_record_key, right_record_key, refused_by from {table}").fetchall()
    )


def test_a_run_scores_only_what_changed_and_judges_as_scoring_all():
    """With the pairs and digests an earlier run kept, a run scores only the pairs of records
    that are new or changed, keeps the others as judged, and ends with the pairs (refused and
    ambiguous ones included) that scoring every pair gives. With nothing new it scores
    nothing and changes nothing."""
    rows, same_person, _households = _synthetic(600)
    config = FuzzyConfig(preset=PRESET, keep_refused=True)
    con = connect()
    first, _model = fuzzy_matches(con, _table(con, rows), config, keep_as="digests_1")
    con.execute(f"create table pairs_1 as select * from {first}")
    day_1 = _judged(con, "pairs_1")
    assert len(day_1) > 100

    # nothing new
    table, model = fuzzy_matches(
        con, "records", config, kept=KeptMatches("pairs_1", "digests_1"), keep_as="digests_2"
    )
    assert model.rescored_records == 0 and model.pairs_kept == len(day_1)
    assert _judged(con, table) == day_1

    # a new day: a record of a pair retyped as someone else, one of a pair gone, and a new
    # copy of a person with a typo in the first name
    found = {(left, right) for left, right, _refused in day_1}
    paired = sorted(pair for pair in same_person if pair in found)
    retyped, gone, copied = paired[0][0], paired[1][1], paired[2][0]
    assert len({retyped, gone, copied}) == 3
    changed = [dict(row) for row in rows if row["record_key"] != gone]
    for row in changed:
        if row["record_key"] == retyped:
            row.update(first_name="zebulon", birth_date=date(1901, 2, 3), email=None, phone=None)
    copy = dict(next(row for row in rows if row["record_key"] == copied))
    copy.update(record_key="shop:new-1", first_name=copy["first_name"][:-1] + "x")
    changed.append(copy)
    _table(con, changed)
    table, model = fuzzy_matches(
        con, "records", config, kept=KeptMatches("pairs_1", "digests_1"), keep_as="digests_3"
    )
    assert model.rescored_records == 2  # the retyped record and the new one
    incremental = _judged(con, table)
    whole, _model = fuzzy_matches(con, "records", config)
    assert incremental == _judged(con, whole)
    assert not {pair for pair in incremental if gone in pair[:2]}
    assert any("shop:new-1" in pair[:2] for pair in incremental)
    assert incremental != day_1


def test_kept_pairs_that_do_not_agree_with_their_digests_are_scored_again():
    """Pairs written by another run than the digests (a run that failed between the two) are
    not trusted: every pair is scored."""
    rows, _same_person, _households = _synthetic(200)
    config = FuzzyConfig(preset=PRESET, keep_refused=True)
    con = connect()
    first, _model = fuzzy_matches(con, _table(con, rows), config, keep_as="digests_1")
    con.execute(f"create table pairs_1 as select * from {first} limit 5")
    table, model = fuzzy_matches(con, "records", config, kept=KeptMatches("pairs_1", "digests_1"))
    assert model.rescored_records is None
    assert len(_judged(con, table)) > 5
    # and a model other than the one the pairs were judged with scores every pair too
    con.execute(f"create or replace table pairs_1 as select * from {first}")
    other = FuzzyConfig(preset={**PRESET, "prior": PRESET["prior"] / 2}, keep_refused=True)
    _pairs_table, model = fuzzy_matches(
        con, "records", other, kept=KeptMatches("pairs_1", "digests_1")
    )
    assert model.rescored_records is None


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_setting('memory_limit')").fetchall()[0][0]


def _mib(shown: str) -> float:
    amount, unit = shown.split()
    return float(amount) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]


# about 200 MB of the caller's own, which it must spill to lend three quarters of 400 MB
HELD = "create table held as select range as n, repeat('x', 200) as s from range(1000000)"


def test_the_matchers_database_borrows_most_of_the_budget(tmp_path, monkeypatch):
    """While the matcher's private database is open it works with PRIVATE_SHARE of the memory
    limit and the caller's database is held to the rest (its buffers spilled), so that the two
    stay within the one limit; the caller's limit is then restored exactly."""
    monkeypatch.setenv("CDP_MEMORY_LIMIT", "400MB")
    monkeypatch.setenv("CDP_TEMP_DIR", str(tmp_path))
    con = connect()
    con.execute(HELD)
    limit = _memory_limit(con)
    with _private_connection(con) as work:
        assert _mib(_memory_limit(work)) == pytest.approx(_mib(limit) * PRIVATE_SHARE, rel=0.01)
        assert _mib(_memory_limit(con)) == pytest.approx(
            _mib(limit) * (1 - PRIVATE_SHARE), rel=0.01
        )
        assert con.execute("select count(*) from held").fetchall()[0][0] == 1_000_000
    # the same as before, not the limit DuckDB showed set again (it shows 400MB as 381.4 MiB)
    assert _memory_limit(con) == limit
    with _private_connection(con):
        pass
    assert _memory_limit(con) == limit


@pytest.mark.parametrize("caller", ["cannot spill", "another limit"])
def test_a_caller_that_cannot_lend_keeps_its_limit_and_half_of_it_goes_to_the_matcher(
    caller, tmp_path, monkeypatch
):
    """A caller whose buffers cannot leave memory (an in-memory database with no spill folder)
    or whose limit is not the platform's keeps its limit; the private database takes half."""
    monkeypatch.setenv("CDP_MEMORY_LIMIT", "400MB")
    monkeypatch.setenv("CDP_TEMP_DIR", str(tmp_path))
    config = {"memory_limit": "400MB", "temp_directory": ""}
    if caller == "another limit":
        config = {"memory_limit": "600MB", "temp_directory": str(tmp_path)}
    con = duckdb.connect(config=config)
    con.execute(HELD)
    limit = _memory_limit(con)
    with _private_connection(con) as work:
        assert _mib(_memory_limit(work)) == pytest.approx(_mib(limit) / 2, rel=0.01)
        assert _memory_limit(con) == limit
    assert _memory_limit(con) == limit
