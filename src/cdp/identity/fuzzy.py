"""Probabilistic (fuzzy) record matching with Splink 5 on DuckDB.

The deterministic step joins records that share an identifier (e-mail, phone, account, …). This
step finds pairs of records of one person that share none: the same person in two systems with
different e-mails, a CRM contact typed twice with a typo or with first and last name swapped, a
person who moved and changed e-mail. It is a Fellegi–Sunter model (Splink); docs/identity_fuzzy.md
explains every choice.

1. **Prepare** comparison columns from the records that carry a first or a last name (lower
   case, accents stripped, punctuation dropped): names, birth date, postcode, street, city,
   e-mail, the e-mail's local part when it says more than the names, phone digits. A missing
   last name is read from an e-mail made of the first name and a last name.
2. **Block**: candidate pairs come from a few equality rules (``BLOCKING_RULES``) whose blocks
   stay small on millions of records. The number of comparisons is estimated before predicting
   and checked against a budget.
3. **Train without labels**, on the records as typed (no inferred last name): the prior from
   high-precision deterministic rules and an assumed recall, u by random sampling, m by
   expectation maximisation on two blocking rules, then smoothing (``_smoothed``). Tests can
   pass preset parameters instead (``FuzzyConfig.preset``).
4. **Predict**, keep the pairs whose posterior match probability reaches 0.99, and, when the
   data holds households (``household_evidence``: addresses shared by records of two people),
   apply the refusals (``REFUSALS``) that a model of conditionally independent fields cannot
   learn, since the members of a household agree on surname, address, landline and family
   mailbox all at once: at one address, phone or e-mail, first names that no typing error,
   short form or swap explains (twins), or first names a typing error apart with birth dates
   no typing error explains (siblings); anywhere, birth dates more than ten years apart that
   no typing error explains (a parent and a child of one name). Everything else is weighed
   by the comparison levels: birth dates one digit off, transposed, day and month swapped or
   partly missing; nicknames and short forms (the ``nicknames`` package), initials, one or two
   typing errors.
   A record paired with two records that a refusal says cannot be one person is ambiguous: it
   keeps only the stronger of those two pairs (neither when they are equally strong).

Splink works on a private in-memory DuckDB connection, so that none of its working tables touch
the caller's database; the prepared records go in and the accepted pairs come back as Arrow
streams, into a temporary table on the caller's connection.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from nicknames import with_names_csv_path
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from cdp.duckdb_budget import Budget

PAIRS_TABLE = "_fuzzy_matches"

#: Scores the candidate pairs of table ``prepared`` on ``work`` with a trained model (Splink
#: settings, DuckDB's dialect), keeping the pairs whose match probability reaches the
#: threshold; ``warn`` lets Splink warn. Returns the name of a table of Splink's predictions
#: on ``work``. None scores them with Splink on ``work`` itself; on Spark,
#: ``cdp.spark.identity.SparkPrediction`` scores them with Splink's Spark backend.
Predict: TypeAlias = Callable[[duckdb.DuckDBPyConnection, Mapping[str, Any], float, bool], str]

# --------------------------------------------------------------------------------------------
# Preparation


def _clean_name(column: str) -> str:
    """Lower case, accents stripped, anything but letters a space; NULL when empty."""
    folded = f"translate(replace(lower(trim({column})), 'ß', 'ss'), 'øłđæœ', 'olde')"
    return (
        "nullif(trim(regexp_replace(regexp_replace(strip_accents("
        f"{folded}), '[^a-z ]+', ' ', 'g'), '\\s+', ' ', 'g')), '')"
    )


def _clean_street(column: str) -> str:
    """Street in one spelling: common abbreviations written out, punctuation dropped."""
    text = f"replace(lower(strip_accents(trim({column}))), 'ß', 'ss')"
    for pattern, replacement in (
        (r"\bv\.?\s?le\b\.?", "viale "),
        (r"\bp\.?\s?za\b\.?", "piazza "),
        (r"\bc/\s*", "calle "),
        (r"str\.", "strasse "),
        (r"\bav\.", "avenue "),
        (r"\bbd\.?\b", "boulevard "),
    ):
        text = f"regexp_replace({text}, '{pattern}', '{replacement}', 'g')"
    return (
        f"nullif(trim(regexp_replace(regexp_replace({text}, '[^a-z0-9]+', ' ', 'g'), "
        "'\\s+', ' ', 'g')), '')"
    )


def _strip_names(column: str) -> str:
    """``column`` with the words of the record's first and last name taken out."""
    for name in ("first_name", "last_name"):
        for word in (1, 2, 3):
            column = f"replace({column}, coalesce(split_part({name}, ' ', {word}), ''), '')"
    return column


# Countries whose postcodes are five digits: a four-digit one lost its leading zero in a
# spreadsheet.
FIVE_DIGIT_POSTCODES = ("IT", "DE", "FR", "ES", "US")


def named_records_sql(records: str) -> str:
    """SQL selecting the named records of table ``records`` with their columns cleaned for
    comparison (the costly part of preparing, done once for ``prepare_sql``)."""
    five_digits = ", ".join(f"'{code}'" for code in FIVE_DIGIT_POSTCODES)
    return f"""
        with cleaned as (
            select
                record_key,
                source,
                {_clean_name("first_name")} as first_name,
                {_clean_name("last_name")} as last_name,
                birth_date,
                nullif(upper(regexp_replace(postcode, '[^A-Za-z0-9]', '', 'g')), '')
                    as postcode_raw,
                {_clean_street("street")} as street,
                {_clean_name("city")} as city,
                nullif(upper(trim(country_code)), '') as country_code,
                nullif(lower(trim(email)), '') as email,
                nullif(regexp_replace(phone, '[^0-9]', '', 'g'), '') as phone
            from {records}
        )
        select
            * exclude (postcode_raw),
            case
                when country_code in ({five_digits})
                    and regexp_full_match(postcode_raw, '[0-9]{{4}}')
                    then '0' || postcode_raw
                else postcode_raw
            end as postcode,
            nullif(split_part(email, '@', 1), '') as email_local,
            regexp_replace(split_part(email, '@', 1), '[^a-z]', '', 'g') as local_letters,
            replace(first_name, ' ', '') as first_letters
        from cleaned
        where first_name is not null or last_name is not null
    """


def prepare_sql(named: str, max_block_records: int, *, infer_last_names: bool = True) -> str:
    """SQL selecting the comparison columns of the records of table ``named`` (as
    ``named_records_sql`` selects them); with ``infer_last_names``, a last name missing is
    read from an e-mail made of the first name and a last name (``knut.margraf@…``)."""
    return f"""
        with inferred as (
            -- A record with a first name but no last name whose e-mail is the first name and
            -- a last name (knut.margraf@…, margraf.knut77@…): that last name.
            select
                * exclude (last_name, first_letters),
                coalesce(last_name, case
                    when not {str(infer_last_names).lower()} then null
                    when length(local_letters) < length(first_letters) + 3 then null
                    when starts_with(local_letters, first_letters)
                        then substr(local_letters, length(first_letters) + 1)
                    when ends_with(local_letters, first_letters)
                        then left(local_letters, length(local_letters) - length(first_letters))
                end) as last_name
            from {named}
        ),
        handles as (
            -- The e-mail's local part when it says more than the names: namesakes have the
            -- same name-made local part at different providers (anna.rossi@…), so only digits
            -- or other letters in it are evidence of their own.
            select
                * exclude (local_letters),
                case when regexp_matches(email_local, '[0-9]')
                    or length({_strip_names("local_letters")}) > 1
                    then email_local
                end as email_handle
            from inferred
        ),
        -- how many records share each e-mail local part and each phone (a count per group
        -- joined back: 1.5 s for 1.6 million records, against 2.4 s as window counts)
        email_locals as (
            select email_local, count(*) as records from handles group by email_local
        ),
        phones as (
            select phone, count(*) as records from handles group by phone
        )
        select
            handles.*,
            strftime(birth_date, '%Y%m%d') as birth_text,
            -- both names in either order, and their initials: keys robust to a swap
            case when first_name is not null and last_name is not null
                then least(first_name, last_name) || '|' || greatest(first_name, last_name)
            end as name_key,
            case when first_name is not null and last_name is not null
                then least(left(first_name, 1), left(last_name, 1))
                    || greatest(left(first_name, 1), left(last_name, 1))
            end as name_initials,
            -- identifiers shared by more records than an identifier may join are no block
            case when email_locals.records <= {max_block_records}
                then handles.email_local end as email_local_block,
            case when phones.records <= {max_block_records}
                then handles.phone end as phone_block
        from handles
        left join email_locals using (email_local)
        left join phones using (phone)
    """


# --------------------------------------------------------------------------------------------
# Model: comparisons, blocking rules, training rules

#: Jaro–Winkler similarity of two spellings of one street (abbreviations are written out).
STREET_SIMILARITY = 0.92

COMPARED_COLUMNS = (
    "first_name",
    "last_name",
    "birth_date",
    "postcode",
    "street",
    "city",
    "email",
    "email_local",
    "email_handle",
    "phone",
)

# Column references: ``"{}_l"`` / ``"{}_r"`` inside Splink's comparison levels,
# ``"l.{}"`` / ``"r.{}"`` in joins of prepared records.
SPLINK_SIDES = ("{}_l", "{}_r")


def _one_edit(a: str, b: str) -> str:
    """Damerau–Levenshtein distance at most 1 (the length test first: it is cheap)."""
    return f"(abs(length({a}) - length({b})) <= 1 and damerau_levenshtein({a}, {b}) <= 1)"


def _typo_sql(column: str, sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """At most one typing error: a letter swapped with the next, dropped, doubled or changed
    (accents are already stripped)."""
    a, b = (side.format(column) for side in sides)
    return _one_edit(a, b)


def _gender_variant_sql(sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """Two first names one edit apart that are a name's male and female forms, not a typo:
    another final vowel (``mario`` / ``maria``, ``simone`` / ``simona``) or an ``a`` or ``e``
    added (``daniel`` / ``daniela``, ``louis`` / ``louise``). Couples and siblings bear them."""
    a, b = (side.format("first_name") for side in sides)
    vowels = "('a', 'e', 'i', 'o')"
    return (
        f"(length({a}) = length({b}) "
        f"and substr({a}, 1, length({a}) - 1) = substr({b}, 1, length({b}) - 1) "
        f"and right({a}, 1) in {vowels} and right({b}, 1) in {vowels}) "
        f"or {a} in ({b} || 'a', {b} || 'e') or {b} in ({a} || 'a', {a} || 'e')"
    )


def _swapped_sql(sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """First and last name typed the wrong way round (allowing a typing error in each)."""
    (fl, ll), (fr, lr) = ((s.format("first_name"), s.format("last_name")) for s in sides)
    return (
        f"{fl} is not null and {ll} is not null and {fr} is not null and {lr} is not null "
        f"and {_one_edit(fl, lr)} and {_one_edit(ll, fr)}"
    )


def _abbreviated_sql(sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """One first name abbreviates the other: its leading words (``andres`` / ``andres
    felipe``), an initial (``m`` / ``mario``), or a second name's initial (``hans d`` /
    ``hans dieter``)."""
    a, b = (side.format("first_name") for side in sides)
    second_a, second_b = f"split_part({a}, ' ', 2)", f"split_part({b}, ' ', 2)"
    return (
        f"starts_with({a} || ' ', {b} || ' ') or starts_with({b} || ' ', {a} || ' ') "
        f"or (length({a}) = 1 and {a} = left({b}, 1)) "
        f"or (length({b}) = 1 and {b} = left({a}, 1)) "
        f"or (split_part({a}, ' ', 1) = split_part({b}, ' ', 1) "
        f"and (length({second_a}) = 1 or length({second_b}) = 1) "
        f"and left({second_a}, 1) = left({second_b}, 1))"
    )


def _contained_sql(column: str, sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """One name is whole words of the other (``arnau`` / ``arnau duque``)."""
    a, b = (side.format(column) for side in sides)
    return (
        f"contains(' ' || {a} || ' ', ' ' || {b} || ' ') "
        f"or contains(' ' || {b} || ' ', ' ' || {a} || ' ')"
    )


def _two_edits_sql(sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """Two typing errors in first names of five letters or more (``giusepe`` / ``guiseppe``)."""
    a, b = (side.format("first_name") for side in sides)
    return (
        f"(least(length({a}), length({b})) >= 5 and abs(length({a}) - length({b})) <= 2 "
        f"and damerau_levenshtein({a}, {b}) <= 2)"
    )


def _variant_sql(sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """Two first names of one name family: a name and its short form or nickname, from the
    name-variant list (``robert`` / ``bob``), or a short form clipped from the name's start or
    end, as most languages make them (``nick`` / ``nicholas``, ``rita`` / ``margherita``,
    ``sandro`` / ``alessandro``): three letters or more, two fewer than the name at least."""
    ga, gb = (side.format("first_name_groups") for side in sides)
    a, b = (side.format("first_name") for side in sides)
    clipped = " or ".join(
        f"(length({x}) >= 3 and length({y}) >= length({x}) + 2 "
        f"and (starts_with({y}, {x}) or ends_with({y}, {x})))"
        for x, y in ((a, b), (b, a))
    )
    return f"(list_has_any({ga}, {gb}) or {clipped})"


def _household_sql(sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """The two records share what a household shares: the address, a phone or an e-mail; or,
    where one has a postcode but no street (a shop account), the postcode and the surname."""
    col = {name: tuple(side.format(name) for side in sides) for name in COMPARED_COLUMNS}
    (pa, pb), (sa, sb) = col["postcode"], col["street"]
    (ta, tb), (ea, eb) = col["phone"], col["email"]
    la, lb = col["last_name"]
    return (
        f"(({pa} = {pb} and (jaro_winkler_similarity({sa}, {sb}) >= {STREET_SIMILARITY} "
        f"or (({sa} is null or {sb} is null) and {la} = {lb}))) "
        f"or {ta} = {tb} or {ea} = {eb})"
    )


def first_names_compatible_sql(sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """True when two known first names can be one person's as typed: equal, swapped with the
    last name, variants of one name, one or two typing errors apart (not a name's male and
    female forms), or one an abbreviation of the other."""
    a, b = (side.format("first_name") for side in sides)
    la, lb = (side.format("last_name") for side in sides)
    # swapped, the last name missing on the side that typed it first (`claudine` and
    # `arnaud claudine`)
    half_swapped = f"({la} is null and {_one_edit(a, lb)}) or ({lb} is null and {_one_edit(b, la)})"
    return (
        f"({a} = {b} or ({_swapped_sql(sides)}) or {half_swapped} or ({_variant_sql(sides)}) "
        f"or ({_abbreviated_sql(sides)}) "
        f"or (({_typo_sql('first_name', sides)} or {_two_edits_sql(sides)}) "
        f"and not ({_gender_variant_sql(sides)})))"
    )


#: Jaro–Winkler similarity from which two first names may be one typed carelessly.
NAME_SIMILARITY = 0.8


def first_names_differ_sql(sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """True when two known first names are another person's: not compatible as typed (see
    ``first_names_compatible_sql``) and not alike either, neither to each other nor to the
    other record's last name (Jaro–Winkler under ``NAME_SIMILARITY``). Careless copies of one
    person (`gianfrancesoc` / `gianfarncesco`, a swap with typos in both names) stay
    comparable, and the model weighs them; names that do not look alike and that the
    name-variant list does not relate (`anna` / `diana`) differ, and so do a name's male and
    female forms (`mario` / `maria`), alike as they look."""
    a, b = (side.format("first_name") for side in sides)
    la, lb = (side.format("last_name") for side in sides)
    alike = " or ".join(
        f"coalesce(jaro_winkler_similarity({x}, {y}), 0) >= {NAME_SIMILARITY}"
        for x, y in ((a, b), (a, lb), (b, la))
    )
    return (
        f"({a} is not null and {b} is not null and not {first_names_compatible_sql(sides)} "
        f"and (({_gender_variant_sql(sides)}) or not ({alike})))"
    )


def birth_dates_compatible_sql(sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """True when two known birth dates can be one person's as typed: equal, or one typing
    error apart (a digit changed or two swapped, day and month swapped, a part missing)."""
    return " or ".join(f"({level.sql_for(sides)})" for level in _birth_date_typos())


def one_name_and_birth_date_sql(sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """True when two records have one first name and birth dates that are equal or missing on
    a side: no refusal holds for them and they are no conflict, so the costly conditions are
    worked out only for the other pairs."""
    (fa, fb), (da, db) = (
        tuple(side.format(name) for side in sides) for name in ("first_name", "birth_date")
    )
    return f"({fa} = {fb} and ({da} is null or {db} is null or {da} = {db}))"


@dataclass(frozen=True)
class Refusal:
    """A rule that refuses a pair whatever the model says: a name and a SQL condition on the
    two sides, true when the records cannot be one person."""

    name: str
    sql: Callable[[tuple[str, str]], str]
    description: str


def _another_member_sql(sides: tuple[str, str]) -> str:
    (fa, fb), (da, db) = (
        tuple(side.format(name) for side in sides) for name in ("first_name", "birth_date")
    )
    same_name = (
        f"{fa} = {fb} or ({_swapped_sql(sides)}) or ({_variant_sql(sides)}) "
        f"or ({_abbreviated_sql(sides)})"
    )
    return (
        f"({fa} is not null and {fb} is not null and {_household_sql(sides)} "
        f"and ({first_names_differ_sql(sides)} "
        f"or (not ({same_name}) and {da} is not null and {db} is not null "
        f"and not ({birth_dates_compatible_sql(sides)}) and {da} <> {db})))"
    )


def _another_generation_sql(sides: tuple[str, str]) -> str:
    a, b = (side.format("birth_date") for side in sides)
    return (
        f"({a} is not null and {b} is not null and abs(year({a}) - year({b})) > 10 "
        f"and not ({birth_dates_compatible_sql(sides)}))"
    )


#: The refusals, by name. A model of conditionally independent fields cannot learn them,
#: since the members of a household agree on surname, address, landline and family mailbox
#: all at once. ``FuzzyConfig.refusals`` names the ones applied; ``cdp-eval`` reports what
#: each one refuses, true pairs among them.
REFUSALS: dict[str, Refusal] = {
    refusal.name: refusal
    for refusal in (
        Refusal(
            "another_household_member",
            _another_member_sql,
            "at one address, phone or e-mail: first names that differ (twins: no typing error, "
            "short form or swap explains them, and they do not look alike), or first names "
            "typing errors apart with birth dates that no typing error explains (siblings)",
        ),
        Refusal(
            "another_generation",
            _another_generation_sql,
            "birth dates more than ten years apart that no typing error explains",
        ),
    )
}


#: The share of shared addresses that must hold two people for the data to hold households
#: (``household_evidence``). Household data has far more (a quarter to a third of the shared
#: addresses in the sample and every scenario); FEBRL3, one person per address with first
#: names and birth dates replaced at random in copies, has 1.2 %.
HOUSEHOLD_SHARE = 0.05


@dataclass(frozen=True)
class HouseholdEvidence:
    """Whether the records hold households: of the addresses (postcode and street) that two or
    more records share, how many two people share, as records whose first names and birth
    dates both differ in ways no typing error, short form or swap explains (a couple, a parent
    and a child of another name, siblings)."""

    shared_addresses: int
    addresses_of_two_people: int

    @property
    def share(self) -> float:
        return self.addresses_of_two_people / self.shared_addresses if self.shared_addresses else 0

    def holds_households(self, min_share: float) -> bool:
        """Whether the share reaches ``min_share``; any data does when ``min_share`` is 0."""
        return min_share <= 0 or (self.addresses_of_two_people > 0 and self.share >= min_share)

    def describe(self) -> str:
        return (
            f"{self.addresses_of_two_people:,} of {self.shared_addresses:,} shared addresses "
            f"({self.share:.1%}) hold records of two people (first names and birth dates that "
            "differ)"
        )


def household_evidence(con: duckdb.DuckDBPyConnection, records: str) -> HouseholdEvidence:
    """Household evidence in the prepared records of table ``records`` (lower-cased names,
    ``first_name_groups``, ``birth_text``). Data of one person per address (FEBRL's, or a
    register's) has none: there, a record that shares an address, a surname and a birth date
    with another under another first name is a copy with the first name replaced, not a twin."""
    sides = ("l.{}", "r.{}")
    shared, of_two = con.execute(
        f"""
        with shared as (
            select postcode, street from {records}
            where postcode is not null and street is not null
            group by all having count(*) > 1
        ),
        at_shared as (select * from {records} inner join shared using (postcode, street))
        select
            (select count(*) from shared),
            count(distinct (l.postcode, l.street))
        from at_shared as l
        inner join at_shared as r
            on l.postcode = r.postcode and l.street = r.street and l.record_key < r.record_key
        where l.birth_date is not null and r.birth_date is not null
            and coalesce({first_names_differ_sql(sides)}, false)
            and not ({birth_dates_compatible_sql(sides)})
        """
    ).fetchall()[0]
    return HouseholdEvidence(int(shared), int(of_two))


def refused_by_sql(names: tuple[str, ...], sides: tuple[str, str] = SPLINK_SIDES) -> str:
    """SQL naming the first of the refusals ``names`` that holds for a pair, else NULL."""
    if not names:
        return "cast(null as varchar)"
    whens = " ".join(
        f"when coalesce({REFUSALS[name].sql(sides)}, false) then '{name}'" for name in names
    )
    return f"case {whens} end"


@dataclass(frozen=True)
class Level:
    """One comparison level: a short name (for audit columns and presets), a SQL condition on
    the ``_l``/``_r`` columns, and how it is treated."""

    name: str
    sql: str
    null: bool = False
    tf_column: str | None = None
    tf_on_this_level: bool = False

    def sql_for(self, sides: tuple[str, str]) -> str:
        """The condition with other column references than ``_l``/``_r``."""
        out = self.sql
        for suffix, side in zip(("_l", "_r"), sides, strict=True):
            out = re.sub(rf"\b([a-z_]+){suffix}\b", lambda match, s=side: s.format(match[1]), out)
        return out


def _birth_date_typos() -> list[Level]:
    """Birth-date levels of one date typed wrongly, most to least telling."""
    return [
        Level(
            "day_month_swapped",
            "year(birth_date_l) = year(birth_date_r) and month(birth_date_l) = day(birth_date_r) "
            "and day(birth_date_l) = month(birth_date_r)",
        ),
        Level("one_digit", "levenshtein(birth_text_l, birth_text_r) = 1"),
        Level("transposed", "damerau_levenshtein(birth_text_l, birth_text_r) = 1"),
        # a part left out and filled with a placeholder: the 1st of the month, or 1 January
        Level(
            "partial",
            "year(birth_date_l) = year(birth_date_r) "
            "and (month(birth_date_l) = month(birth_date_r) "
            "or (month(birth_date_l) = 1 and day(birth_date_l) = 1) "
            "or (month(birth_date_r) = 1 and day(birth_date_r) = 1))",
        ),
    ]


def comparison_levels() -> dict[str, list[Level]]:
    """The model's comparisons, most to least similar, each ending in its ``else`` level.

    Fields that follow from others are left out, since the model multiplies the evidence of
    its comparisons as if independent: the country (names and addresses are national), and an
    e-mail's local part that is merely similar (it is built from the names).
    """
    return {
        "first_name": [
            Level("null", "first_name_l is null or first_name_r is null", null=True),
            Level("exact", "first_name_l = first_name_r", tf_column="first_name"),
            Level("swapped", _swapped_sql()),
            Level("variant", _variant_sql()),
            Level("typo", f"{_typo_sql('first_name')} and not ({_gender_variant_sql()})"),
            Level("abbreviated", _abbreviated_sql()),
            Level("two_edits", f"{_two_edits_sql()} and not ({_gender_variant_sql()})"),
            Level("else", "else"),
        ],
        "last_name": [
            Level("null", "last_name_l is null or last_name_r is null", null=True),
            Level("exact", "last_name_l = last_name_r", tf_column="last_name"),
            # a swap is evidence of both names at once: it is weighed under first_name
            Level("swapped", _swapped_sql(), null=True),
            Level("typo", _typo_sql("last_name")),
            Level("contained", _contained_sql("last_name")),
            Level("else", "else"),
        ],
        "birth_date": [
            Level("null", "birth_date_l is null or birth_date_r is null", null=True),
            Level("exact", "birth_date_l = birth_date_r"),
            *_birth_date_typos(),
            Level(
                "within_10_years",
                "abs(datediff('day', birth_date_l, birth_date_r)) <= 3653",
            ),
            Level("else", "else"),
        ],
        "address": [
            Level(
                "null",
                "(postcode_l is null and city_l is null) "
                "or (postcode_r is null and city_r is null)",
                null=True,
            ),
            Level(
                "same_street",
                "postcode_l = postcode_r "
                f"and jaro_winkler_similarity(street_l, street_r) >= {STREET_SIMILARITY}",
            ),
            Level("same_postcode", "postcode_l = postcode_r"),
            Level("same_city", "city_l = city_r"),
            Level("else", "else"),
        ],
        "email": [
            Level("null", "email_l is null or email_r is null", null=True),
            Level("exact", "email_l = email_r", tf_column="email"),
            Level(
                "same_local",
                "email_handle_l = email_handle_r",
                tf_column="email_handle",
                tf_on_this_level=True,
            ),
            # the same local part made of the names only: no evidence beyond the names
            Level("same_name_local", "email_local_l = email_local_r", null=True),
            Level("else", "else"),
        ],
        "phone": [
            Level("null", "phone_l is null or phone_r is null", null=True),
            Level("exact", "phone_l = phone_r"),
            Level("else", "else"),
        ],
    }


#: Candidate pairs: a pair is scored when any rule holds. Each rule's blocks stay small on
#: millions of records (a birth date and two initials; a full name; a surname, two letters of
#: the first name and the postal area; …); the identifier rules skip values shared by many
#: records.
BLOCKING_RULES: list[tuple[str, ...]] = [
    ("birth_date", "name_initials"),
    ("name_key",),
    ("last_name", "substr(first_name, 1, 2)", "substr(postcode, 1, 2)"),
    ("first_name", "substr(last_name, 1, 3)"),
    ("postcode", "first_name"),
    ("postcode", "last_name"),
    # names typed differently: the birth date and one more attribute
    ("birth_date", "postcode"),
    ("birth_date", "last_name"),
    ("birth_date", "first_name"),
    ("postcode", "street"),
    ("email_local_block",),
    ("phone_block",),
]

#: High-precision rules for the prior: same full name and one more strong attribute.
PRIOR_RULES: list[str] = [
    "l.first_name = r.first_name and l.last_name = r.last_name and l.birth_date = r.birth_date",
    "l.name_key = r.name_key and l.email = r.email",
    "l.name_key = r.name_key and l.phone = r.phone",
    "l.name_key = r.name_key and l.postcode = r.postcode and l.street = r.street",
]

#: Expectation maximisation sessions; each estimates the m-probabilities of the comparisons
#: that do not use its columns (birth date: names, address, contact; names: the rest).
EM_RULES: list[tuple[str, ...]] = [("birth_date",), ("first_name", "last_name")]


@dataclass(frozen=True)
class FuzzyConfig:
    """Settings of the fuzzy matcher. The defaults are the production ones."""

    #: posterior match probability a pair needs (match weight log2(p / (1 - p)) = 6.6)
    threshold_match_probability: float = 0.99
    #: keep the refused and ambiguous pairs, naming why in ``refused_by`` (for measurement)
    keep_refused: bool = False
    #: the refusals applied after the model (names in ``REFUSALS``) to data that holds
    #: households (``household_evidence``)
    refusals: tuple[str, ...] = ("another_household_member", "another_generation")
    #: the share of shared addresses holding two people from which the data holds households;
    #: 0 applies the refusals to any data
    min_household_share: float = HOUSEHOLD_SHARE
    #: recall assumed for ``PRIOR_RULES`` when estimating the prior
    prior_rules_recall: float = 0.6
    #: an e-mail local part or phone held by more records blocks nothing
    max_block_records: int = 20
    #: random pairs sampled for the u-probabilities
    u_max_pairs: float = 2e6
    #: blocked pairs used per EM session at most
    em_max_pairs: float = 2e6
    #: named records the model is trained on at most: above it, a uniform sample of them (by a
    #: hash of the record key and the seed), so that training costs the same at any size. The
    #: prior, u and m are proportions over pairs, which a uniform sample of records estimates
    #: without bias; the samples of pairs above are drawn from it.
    train_max_records: int = 500_000
    #: refuse to predict when blocking would generate more comparisons than this
    max_comparisons: float = 5e8
    #: records per prediction chunk (each side): bounds memory on large inputs
    chunk_records: int = 2_000_000
    seed: int = 42
    #: preset parameters instead of training: ``{"prior": p, comparison: {level: (m, u)}}``
    preset: Mapping[str, Any] | None = None


@dataclass
class FuzzyModel:
    """What one run learned and did, for the log and the docs."""

    records: int = 0
    prior: float = 0.0
    comparisons_estimated: int = 0
    comparisons_by_rule: list[tuple[str, int]] = field(default_factory=list)
    pairs_scored_over_threshold: int = 0
    households: HouseholdEvidence | None = None
    refusals: tuple[str, ...] = ()
    pairs_refused: dict[str, int] = field(default_factory=dict)
    pairs_ambiguous: int = 0
    pairs: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    #: what the pairs were judged on (``_basis``); none when the model was trained in the run
    basis: str | None = None
    #: records scored against all (new or changed since the kept run), when it scored so
    rescored_records: int | None = None
    #: pairs of two unchanged records taken from the kept run as judged there
    pairs_kept: int = 0

    def match_weights(self) -> dict[str, dict[str, float]]:
        """Match weight (log2 m/u) of every trained level, by comparison and level name."""
        out: dict[str, dict[str, float]] = {}
        for comparison in self.settings.get("comparisons", []):
            levels = {}
            for level in comparison["comparison_levels"]:
                m, u = level.get("m_probability"), level.get("u_probability")
                if m and u:
                    levels[level["label_for_charts"]] = math.log2(m / u)
            out[comparison["output_column_name"]] = levels
        return out


def preset_of(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The trained parameters of a Splink settings dict in the form of ``FuzzyConfig.preset``,
    to score again with them without training."""
    preset: dict[str, Any] = {"prior": settings["probability_two_random_records_match"]}
    for comparison in settings["comparisons"]:
        preset[comparison["output_column_name"]] = {
            level["label_for_charts"]: (level["m_probability"], level["u_probability"])
            for level in comparison["comparison_levels"]
            if "m_probability" in level and "u_probability" in level
        }
    return preset


def build_settings(config: FuzzyConfig) -> SettingsCreator:
    """The Splink settings: comparisons from ``comparison_levels``, blocking rules, prior."""
    preset = config.preset or {}
    comparisons = []
    for name, levels in comparison_levels().items():
        creators = []
        for level in levels:
            creator = cll.ElseLevel() if level.sql == "else" else cll.CustomLevel(level.sql)
            options: dict[str, Any] = {"label_for_charts": level.name}
            if level.null:
                options["is_null_level"] = True
            if level.tf_column:
                options["tf_adjustment_column"] = level.tf_column
                if level.tf_on_this_level:
                    options["disable_tf_exact_match_detection"] = True
            if name in preset and level.name in preset[name]:
                options["m_probability"], options["u_probability"] = preset[name][level.name]
            creators.append(creator.configure(**options))
        comparisons.append(cl.CustomComparison(creators, output_column_name=name))
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_key",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in BLOCKING_RULES],
        probability_two_random_records_match=preset.get("prior", 1e-4),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        max_iterations=25,
        em_convergence=1e-4,
    )


# --------------------------------------------------------------------------------------------
# Run


class FuzzyBudgetError(RuntimeError):
    """Blocking would generate more comparisons than ``FuzzyConfig.max_comparisons``."""


@dataclass(frozen=True)
class KeptMatches:
    """What an earlier run judged, for a run to score only the records that changed since.

    ``pairs`` is that run's output (every pair over the threshold, the refused ones with
    ``refused_by``: ``FuzzyConfig.keep_refused``); ``records`` the table that run wrote as
    ``keep_as`` (``fuzzy_matches``): each record it compared with a digest of its prepared
    columns, the basis it judged on (model, refusals, threshold) and a checksum of the pairs."""

    pairs: str
    records: str


PAIR_COLUMNS = """
    left_record_key varchar,
    right_record_key varchar,
    match_probability double,
    match_weight double,
    blocking_rule varchar,
    {levels},
    refused_by varchar
"""


def _pairs_schema() -> str:
    levels = ",\n    ".join(f"{name}_level varchar" for name in comparison_levels())
    return PAIR_COLUMNS.format(levels=levels)


def _gammas(levels: list[Level]) -> dict[str, int]:
    """The gamma value of each level of a comparison, by level name. Splink numbers the levels
    that are not null levels from the top, n-1 down to 0 (the ``else`` level); null levels are
    -1 (no evidence either way)."""
    graded = [level for level in levels if not level.null]
    return {level.name: len(graded) - 1 - index for index, level in enumerate(graded)}


def _level_name_sql(name: str, levels: list[Level]) -> str:
    """SQL naming the level of comparison ``name`` from its gamma value (``-`` for a null
    level)."""
    whens = " ".join(f"when {gamma} then '{level}'" for level, gamma in _gammas(levels).items())
    return f"case gamma_{name} {whens} else '-' end"


def _smoothed(
    settings: dict[str, Any], matches: float, sampled_pairs: float
) -> tuple[dict[str, Any], list[str]]:
    """Regularise the trained parameters, ``matches`` being the number of matching pairs the
    m-probabilities were estimated from and ``sampled_pairs`` the random pairs behind u.

    - EM gives m = 0 (a weight of minus infinity) to a level where it saw no match, and no m
      at all to a level no training pair reached. Add-one (Laplace) smoothing replaces m by
      (m * matches + 1) / (matches + levels): finite, and trained levels barely move.
    - A level random sampling never reached has no u: it gets the rule-of-three upper bound
      3 / sampled_pairs, which understates its evidence rather than inventing it.
    - A level with less than one match observed may count against a pair, never for it: its m
      is at most its u (weight at most 0), since absent evidence is no evidence of a match.
    """
    notes = []
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        levels = [
            level for level in comparison["comparison_levels"] if not level.get("is_null_level")
        ]
        for level in levels:
            m = level.get("m_probability") or 0.0
            u = level.get("u_probability") or 3 / sampled_pairs
            smoothed = (m * matches + 1) / (matches + len(levels))
            if m * matches < 1:
                smoothed = min(smoothed, u)
                notes.append(f"{name}.{level['label_for_charts']} (no match seen)")
            if "u_probability" not in level:
                notes.append(f"{name}.{level['label_for_charts']} (no u: 3/{sampled_pairs:,.0f})")
            level["m_probability"], level["u_probability"] = smoothed, u
    return settings, notes


EM_LOGGER = "splink.internals.expectation_maximisation"


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Logger ``name`` at ERROR for the block: its warnings are handled by the caller."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _train(
    linker: Linker, config: FuzzyConfig, records: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """Estimate the prior, u and m on the table ``typed`` (``_prepare``) of the ``records``
    named records; returns the trained model (a Splink settings dict)."""
    if records > config.train_max_records:
        log(f"trained on a sample of {config.train_max_records:,} of {records:,} named records")
    records = min(records, config.train_max_records)
    linker.training.estimate_probability_two_random_records_match(
        PRIOR_RULES, recall=config.prior_rules_recall
    )
    prior = linker.misc.save_model_to_json()["probability_two_random_records_match"]
    log(f"prior from deterministic rules (recall {config.prior_rules_recall}): {prior:.3g}")
    linker.training.estimate_u_using_random_sampling(max_pairs=config.u_max_pairs, seed=config.seed)
    expected_matches = []
    for rule in EM_RULES:
        # Splink warns of each level an EM round saw no pair reach ("not observed in dataset,
        # unable to train m value"), a dozen lines per training: ``_smoothed`` below gives
        # those levels an m of their own and reports them in one line.
        with _quiet(EM_LOGGER):
            session = linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*rule),
                max_pairs=config.em_max_pairs,
                record_sample_proportion=min(1.0, max(0.01, 100_000 / max(records, 1))),
            )
        pairs = linker.blocking_analysis.count_comparisons_from_blocking_rules(
            [block_on(*rule)], record_sample_proportion=min(1.0, 300_000 / max(records, 1))
        )[0]["marginal_comparison_count"]
        share = session.core_model_settings.probability_two_random_records_match
        expected_matches.append(min(pairs, config.em_max_pairs) * share)
        log(f"EM on {'+'.join(rule)}: {pairs:,} pairs, {share:.1%} matches")
    sampled_pairs = min(config.u_max_pairs, records * (records - 1) / 2)
    settings, notes = _smoothed(
        linker.misc.save_model_to_json(), min(expected_matches), sampled_pairs
    )
    if notes:
        log(f"levels smoothed: {', '.join(notes)}")
    return settings


def _score(
    work: duckdb.DuckDBPyConnection,
    linker: Linker,
    config: FuzzyConfig,
    model: FuzzyModel,
    log: Callable[[str], None],
    *,
    warn: bool,
    predict: Predict | None = None,
) -> None:
    """Predict with ``linker`` on ``work`` (or with ``predict``) and write table ``scored``:
    the pairs over the threshold with the level each comparison reached and the refusal that
    holds for them.
    The comparisons blocking generates are checked against the budget first, estimated from a
    sample on large inputs (of a day's records, the sample sees few pairs per rule: Splink's
    warning that an estimate rests on few pairs is expected then, and not shown)."""
    started = time.perf_counter()
    sample = min(1.0, 300_000 / model.records)
    with warnings.catch_warnings():
        if not warn:
            warnings.filterwarnings("ignore", "The sampled blocking analysis estimate")
        counts = linker.blocking_analysis.count_comparisons_from_blocking_rules(
            record_sample_proportion=sample
        )
    model.comparisons_by_rule = [
        (record["blocking_rule"], int(record["marginal_comparison_count"])) for record in counts
    ]
    model.comparisons_estimated = int(counts[-1]["cumulative_comparison_count"])
    model.seconds["count_comparisons"] = time.perf_counter() - started
    log(f"blocking: about {model.comparisons_estimated:,} comparisons")
    if model.comparisons_estimated > config.max_comparisons:
        raise FuzzyBudgetError(
            f"blocking would generate about {model.comparisons_estimated:,} comparisons "
            f"(limit {config.max_comparisons:,.0f}): {model.comparisons_by_rule}"
        )

    started = time.perf_counter()
    if predict is None:
        chunks = max(1, math.ceil(model.records / config.chunk_records))
        predictions = linker.inference.predict(
            threshold_match_probability=config.threshold_match_probability,
            num_chunks_left=chunks,
            num_chunks_right=chunks,
            warning_mode="auto" if warn else "never",
        ).physical_name
    else:
        predictions = predict(
            work, linker.misc.save_model_to_json(), config.threshold_match_probability, warn
        )
    model.seconds["predict"] = time.perf_counter() - started

    joined = ("l.{}", "r.{}")
    levels = comparison_levels()
    rules = " ".join(
        f"when match_key = '{index}' then '{'+'.join(rule)}'"
        for index, rule in enumerate(BLOCKING_RULES)
    )
    # A pair whose first names are equal and whose birth dates are not apart (equal, a typing
    # error apart, or one missing) is refused by no refusal: the refusals are only worked out
    # for the others (CASE evaluates a branch only for the rows that reach it).
    first, birth = _gammas(levels["first_name"]), _gammas(levels["birth_date"])
    refusable = (
        f"case when gamma_first_name = {first['exact']} "
        f"and gamma_birth_date not in ({birth['else']}, {birth['within_10_years']}) then null "
        f"else {refused_by_sql(model.refusals, joined)} end"
    )
    level_names = ",\n".join(
        f"{_level_name_sql(name, comparison)} as {name}_level"
        for name, comparison in levels.items()
    )
    work.execute(
        f"""
        create or replace table scored as
        select
            predictions.record_key_l as left_record_key,
            predictions.record_key_r as right_record_key,
            predictions.match_probability,
            predictions.match_weight,
            case {rules} end as blocking_rule,
            {level_names},
            {refusable} as refused_by
        from {predictions} as predictions
        inner join prepared as l on predictions.record_key_l = l.record_key
        inner join prepared as r on predictions.record_key_r = r.record_key
        """
    )


def _match(
    work: duckdb.DuckDBPyConnection,
    config: FuzzyConfig,
    model: FuzzyModel,
    log: Callable[[str], None],
    trained: Mapping[str, Any] | None = None,
    kept_basis: str | None = None,
    predict: Predict | None = None,
) -> duckdb.DuckDBPyRelation:
    """Train (unless preset or ``trained`` is given), predict and apply the refusals on the
    private connection ``work`` holding tables ``prepared`` and, when it trains, ``typed`` (the
    same records with the last names as typed, none inferred: the parameters are estimated on
    those); returns the judged pairs.

    With ``kept_basis`` (the basis of the pairs and digests in tables ``kept_pairs`` and
    ``kept_records`` on ``work``) equal to this run's, only pairs with a record that is new or
    changed since are scored; the kept pairs of two unchanged records are judged again with
    them (the refusals are pairwise, ambiguity is worked out on all pairs). ``predict``
    scores the candidate pairs elsewhere than on ``work`` (``Predict``)."""
    db_api = DuckDBAPI(connection=work)
    settings: SettingsCreator | dict[str, Any] = build_settings(config)
    started = time.perf_counter()
    if trained is not None:
        settings = dict(trained)
    elif config.preset is None:
        # on an API of its own: Splink caches tables (the term frequencies among them) by name
        # on the API, and scoring must count the frequencies among all the records it scores,
        # not among the records trained on (a sample above train_max_records)
        trainer = Linker(DuckDBAPI(connection=work).register("typed"), settings, log_level=None)
        settings = _train(trainer, config, model.records, log)
    # The refusals apply when the data holds households: decided before predicting, since the
    # basis a kept pair was judged on names them.
    model.households = household_evidence(work, "prepared")
    applies = model.households.holds_households(config.min_household_share)
    model.refusals = config.refusals if applies else ()
    log(
        f"households: {model.households.describe()}; refusals "
        + (", ".join(model.refusals) or "none")
        + " applied"
    )
    fixed = trained if trained is not None else config.preset
    model.basis = _basis(fixed, model.refusals, config) if fixed is not None else None
    rescoring = kept_basis is not None and kept_basis == model.basis
    if rescoring:
        model.rescored_records = _mark_changed(work)
        if isinstance(settings, SettingsCreator):
            settings = settings.create_settings_dict("duckdb")
        settings = dict(settings)
        settings["blocking_rules_to_generate_predictions"] = [
            {**rule, "blocking_rule": f"({rule['blocking_rule']}) and (l.rescore or r.rescore)"}
            for rule in settings["blocking_rules_to_generate_predictions"]
        ]
        log(f"fuzzy matching: {model.rescored_records:,} records new or changed since kept")
    elif kept_basis is not None:
        log("fuzzy matching: the kept pairs were judged on another basis; scoring every pair")
    linker = Linker(db_api.register("prepared"), settings, log_level=None)
    model.seconds["train"] = time.perf_counter() - started
    model.settings = linker.misc.save_model_to_json()
    model.prior = model.settings["probability_two_random_records_match"]

    if rescoring and not model.rescored_records:
        # nothing new or changed: no pair to score
        work.execute(f"create or replace table scored ({_pairs_schema()})")
    else:
        _score(
            work,
            linker,
            config,
            model,
            log,
            warn=not (config.preset or trained or rescoring),
            predict=predict,
        )
    # The refusals, and records matched to two records that cannot be one person.
    started = time.perf_counter()
    joined = ("l.{}", "r.{}")
    if rescoring:
        # the pairs of two unchanged records stand as judged (ambiguity apart: worked out below)
        model.pairs_kept = work.execute(
            """
            insert into scored by name
            select kept.* replace (nullif(kept.refused_by, 'ambiguous') as refused_by)
            from kept_pairs as kept
            where kept.left_record_key in (select record_key from prepared where not rescore)
                and kept.right_record_key in (select record_key from prepared where not rescore)
            """
        ).fetchall()[0][0]
    # Two partners with one first name and birth dates equal or one missing cannot be refused
    # either: the refusals are only worked out for the other pairs of partners (at a million
    # persons, 3 % of them).
    cannot_be_one = (
        f"case when {one_name_and_birth_date_sql(joined)} then null "
        f"else {refused_by_sql(model.refusals, joined)} end"
    )
    # A record paired with two records that cannot be one person keeps the stronger of the
    # two pairs; a pair gives way to every rival at least as strong (both go when they are
    # equally strong). Its pairs with records that conflict with no stronger partner stand.
    work.execute(
        f"""
        create or replace table ambiguous_pairs as
        with ends as (
            select left_record_key, right_record_key, match_weight,
                left_record_key as node, right_record_key as partner
            from scored where refused_by is null
            union all
            select left_record_key, right_record_key, match_weight,
                right_record_key, left_record_key
            from scored where refused_by is null
        ),
        rivals as (
            select one.node, one.partner as a, other.partner as b
            from ends as one
            inner join ends as other on one.node = other.node and one.partner < other.partner
            inner join prepared as l on one.partner = l.record_key
            inner join prepared as r on other.partner = r.record_key
            where ({cannot_be_one}) is not null
        ),
        rivalries as (
            select node, a as partner, b as rival from rivals
            union all
            select node, b, a from rivals
        )
        select distinct pair.left_record_key, pair.right_record_key, true as is_ambiguous
        from rivalries
        inner join ends as pair
            on pair.node = rivalries.node and pair.partner = rivalries.partner
        inner join ends as rival
            on rival.node = rivalries.node and rival.partner = rivalries.rival
        where rival.match_weight >= pair.match_weight
        """
    )
    work.execute(
        """
        create or replace table judged as
        select
            scored.* replace (
                coalesce(refused_by, case when is_ambiguous then 'ambiguous' end) as refused_by)
        from scored
        left join ambiguous_pairs using (left_record_key, right_record_key)
        """
    )
    refused = work.execute(
        "select refused_by, count(*) from judged where refused_by is not null group by all"
    ).fetchall()
    model.pairs_refused = dict(sorted(refused))
    model.pairs_ambiguous = model.pairs_refused.pop("ambiguous", 0)
    model.pairs_scored_over_threshold = work.execute("select count(*) from scored").fetchall()[0][0]
    model.seconds["rules"] = time.perf_counter() - started
    log(
        f"pairs over the threshold: {model.pairs_scored_over_threshold:,}, refused "
        f"{sum(model.pairs_refused.values()):,} {model.pairs_refused or ''}, "
        f"ambiguous {model.pairs_ambiguous:,}"
    )
    # rounded: two runs on the same records sum the weights in another order on two threads,
    # which moves the last digits (1e-14), and a run with nothing new must change nothing
    return work.sql(
        f"""
        select * replace (
            round(match_probability, 12) as match_probability,
            round(match_weight, 9) as match_weight
        )
        from judged
        where {str(config.keep_refused).lower()} or refused_by is null
        order by left_record_key, right_record_key
        """
    )


def _load_name_variants(work: duckdb.DuckDBPyConnection) -> None:
    """Table ``name_variants`` on ``work``: every name of the name-variant list (the
    ``nicknames`` package: English formal names and their nicknames and short forms) with the
    formal names it belongs to."""
    with with_names_csv_path() as path:
        work.execute(
            f"""
            create or replace temp table name_variants as
            select name, list(distinct formal order by formal) as formal_names
            from (
                select name1 as formal, name1 as name from read_csv('{path}', header = true)
                union all
                select name1, name2 from read_csv('{path}', header = true)
            )
            group by name
            """
        )


def _with_name_groups(records_sql: str) -> str:
    """SQL adding to the rows of the query ``records_sql`` the name
    families of the first word of their first name, ``first_name_groups`` (none: an empty
    list), from the table ``name_variants`` (``_load_name_variants``)."""
    return f"""
        select records.*, coalesce(variants.formal_names, []) as first_name_groups
        from ({records_sql}) as records
        left join name_variants as variants
            on variants.name = split_part(records.first_name, ' ', 1)
    """


CONFLICTS_TABLE = "_identifier_conflicts"


def identifier_conflicts(
    con: duckdb.DuckDBPyConnection, records: str, identifiers: str, max_records: int
) -> str:
    """The identifiers that records of two people share, by the matcher's own notion of one
    person: pairs of records carrying one identifier (held by at most ``max_records``
    records; ``identifiers`` holds one row per record and identifier, as
    int_identity__identifiers does) whose first names no typing error, short form or swap
    explains, or whose birth dates no typing error explains. Returns a temporary table on ``con``:
    ``identifier_key``, ``conflicting_pairs``."""
    _load_name_variants(con)
    sides = ("l.{}", "r.{}")
    birth = tuple(side.format("birth_date") for side in sides)
    # only records with a first name or a birth date can be told apart (at a million persons,
    # 1.6 of 4 million)
    named = f"""
        select
            record_key,
            {_clean_name("first_name")} as first_name,
            {_clean_name("last_name")} as last_name,
            birth_date
        from {records}
        where first_name is not null or birth_date is not null
    """
    con.execute(
        f"""
        create or replace temp table _identity_persons as
        select *, strftime(birth_date, '%Y%m%d') as birth_text
        from ({_with_name_groups(named)})
        """
    )
    con.execute(
        f"""
        create or replace temp table {CONFLICTS_TABLE} as
        with shared as (
            -- (a record carries an identifier once: count(*) counts its records, at a
            -- third of the cost of counting them distinct: 0.75 s against 2.1 s at 1M)
            select identifier_key from {identifiers}
            group by identifier_key
            having count(*) between 2 and {int(max_records)}
        ),
        carried as (
            select identifiers.identifier_key, identifiers.record_key
            from {identifiers} as identifiers
            semi join shared using (identifier_key)
            semi join _identity_persons using (record_key)
        )
        select one.identifier_key, count(*) as conflicting_pairs
        from carried as one
        inner join carried as other
            on one.identifier_key = other.identifier_key and one.record_key < other.record_key
        inner join _identity_persons as l on one.record_key = l.record_key
        inner join _identity_persons as r on other.record_key = r.record_key
        -- one first name, and birth dates equal or one missing: no conflict (most pairs)
        where not coalesce({one_name_and_birth_date_sql(sides)}, false)
            and ({first_names_differ_sql(sides)} or (
                {birth[0]} is not null and {birth[1]} is not null and {birth[0]} <> {birth[1]}
                and not ({birth_dates_compatible_sql(sides)})
            ))
        group by one.identifier_key
        """
    )
    return CONFLICTS_TABLE


#: The share of the platform's memory limit the private connection works with. While it is
#: open the caller's database is held to the rest (it only streams records in and pairs out),
#: so the two stay within the one limit; Splink's blocking and scoring spill to disk below about
#: 2 GB at a million persons.
PRIVATE_SHARE = 0.75


def _share(memory_limit: str, share: float) -> str:
    """A share of a DuckDB memory limit (``3000MB``, or ``2.7 GiB`` as DuckDB shows one)."""
    amount, unit = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", memory_limit).groups()
    return f"{float(amount) * share:.3f} {unit or 'B'}"


def _shown(memory_limit: str) -> str:
    """A memory limit as DuckDB shows it (``current_setting``: ``3000MB`` is ``2.7 GiB``)."""
    with duckdb.connect(config={"memory_limit": memory_limit}) as probe:
        return probe.execute("select current_setting('memory_limit')").fetchall()[0][0]


@contextmanager
def _lent(con: duckdb.DuckDBPyConnection, budget: str) -> Iterator[str]:
    """Yield the memory limit of a private connection beside ``con``. A caller whose limit is
    the platform's, ``budget``, lends it ``PRIVATE_SHARE`` of that limit:
    it is held to the rest for the block (DuckDB evicts or spills its buffers to get there)
    and given the budget's limit back afterwards (DuckDB shows a limit rounded, so it is
    restored from the budget, not from what it shows). Otherwise, or when its buffers cannot
    leave memory, the caller keeps its limit and the private connection takes half of it."""
    shown = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    lowered = False
    if shown == _shown(budget):
        try:
            con.execute(f"set memory_limit = '{_share(budget, 1 - PRIVATE_SHARE)}'")
            lowered = True
        except duckdb.Error:
            pass
    try:
        yield _share(budget, PRIVATE_SHARE) if lowered else _share(shown, 0.5)
    finally:
        if lowered:
            con.execute(f"set memory_limit = '{budget}'")


@contextmanager
def _private_connection(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private in-memory DuckDB connection for Splink: most of the platform's memory limit,
    lent by the caller's database for as long as it is open (``_lent``), and the caller's
    threads, spilling to a temporary directory under the platform's spill folder; the
    name-variant list loaded."""
    budget = Budget.from_env()
    with tempfile.TemporaryDirectory(
        prefix="cdp_fuzzy_", dir=budget.config()["temp_directory"]
    ) as spill:
        threads = con.execute("select current_setting('threads')").fetchall()[0][0]
        with _lent(con, budget.memory_limit) as memory_limit:
            work = duckdb.connect(
                config={"temp_directory": spill, "memory_limit": memory_limit, "threads": threads}
            )
            try:
                _load_name_variants(work)
                yield work
            finally:
                work.close()


def _streamed(
    target: duckdb.DuckDBPyConnection,
    rows: duckdb.DuckDBPyRelation,
    sql: str,
    params: list[Any] | None = None,
) -> None:
    """Run ``sql`` on ``target`` with ``rows``, a relation of another connection, streamed in
    as Arrow under the name ``streamed``."""
    target.register("streamed", rows.to_arrow_reader())
    try:
        target.execute(sql, params)
    finally:
        target.unregister("streamed")


def _prepare(
    con: duckdb.DuckDBPyConnection,
    work: duckdb.DuckDBPyConnection,
    records: str,
    config: FuzzyConfig,
    tables: tuple[str, ...],
) -> int:
    """The named records of ``records`` (on ``con``) cleaned once, then prepared on ``work``
    as ``prepared`` (with inferred last names, to predict) and/or ``typed`` (as typed, to
    train on: at most ``config.train_max_records`` of them, a uniform sample when there are
    more); returns the number of named records."""
    _streamed(work, con.sql(named_records_sql(records)), "create table named as from streamed")
    named = work.execute("select count(*) from named").fetchall()[0][0]
    for table in tables:
        source = "named"
        if table == "typed" and named > config.train_max_records:
            source = "named_sample"
            work.execute(
                f"""
                create table named_sample as
                select * from named
                order by hash(record_key, {int(config.seed)}), record_key
                limit {int(config.train_max_records)}
                """
            )
        sql = prepare_sql(source, config.max_block_records, infer_last_names=table == "prepared")
        work.execute(f"create table {table} as {_with_name_groups(sql)}")
    work.execute("drop table if exists named_sample; drop table named")
    return named


def model_fingerprint(config: FuzzyConfig | None = None) -> str:
    """A digest of what a trained model depends on besides the data: the comparison levels,
    the blocking, prior and EM rules, and the training settings. A model kept from an earlier
    run is used only while this is unchanged."""
    config = config or FuzzyConfig()
    described = {
        "comparisons": {
            name: [(level.name, level.sql, level.null, level.tf_column) for level in levels]
            for name, levels in comparison_levels().items()
        },
        "blocking": BLOCKING_RULES,
        "prior": [PRIOR_RULES, config.prior_rules_recall],
        "em": [
            EM_RULES,
            config.em_max_pairs,
            config.u_max_pairs,
            config.train_max_records,
            config.seed,
        ],
        "preparation": config.max_block_records,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def train_model(
    con: duckdb.DuckDBPyConnection,
    records: str,
    config: FuzzyConfig | None = None,
    *,
    log: Callable[[str], None] = lambda _message: None,
) -> tuple[dict[str, Any], int]:
    """Train the model on the named records of ``records`` (a uniform sample of
    ``config.train_max_records`` of them when there are more) without predicting: returns the
    trained Splink settings (to pass to ``fuzzy_matches`` as ``trained``) and the number of
    named records (an empty model when fewer than two)."""
    config = config or FuzzyConfig()
    with _private_connection(con) as work:
        named = _prepare(con, work, records, config, ("typed",))
        if named < 2:  # nothing to learn from: no model, and nothing to pair either
            return {}, named
        linker = Linker(
            DuckDBAPI(connection=work).register("typed"), build_settings(config), log_level=None
        )
        return _train(linker, config, named, log), named


def kept_settings(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, Any] | None:
    """The trained Splink settings that ``relation`` (int_identity__fuzzy_model's columns, one
    row) holds, or None when it holds no row."""
    rows = con.execute(f"select settings from {relation}").fetchall()
    return json.loads(rows[0][0]) if rows else None


#: A kept model is trained again when the named records grew or shrank by more than this share
#: since it was trained: a day's delivery is scored with the model, a month's retrains it.
RETRAIN_CHANGE = 0.10


@dataclass(frozen=True)
class KeptModel:
    """A trained model as int_identity__fuzzy_model keeps it between runs."""

    fingerprint: str
    named_records: int
    settings: Mapping[str, Any]
    #: why it was trained (``why_train``)
    trained_because: str = ""


def why_train(
    kept: KeptModel | None, named_records: int, fingerprint: str, *, asked: bool = False
) -> str | None:
    """Why the model must be trained (again) now, or None to score with ``kept``."""
    if asked:
        return "asked for"
    if kept is None:
        return "no model kept"
    if kept.fingerprint != fingerprint:
        return "the comparisons or rules changed"
    if abs(named_records - kept.named_records) > RETRAIN_CHANGE * kept.named_records:
        return f"the named records changed by more than {RETRAIN_CHANGE:.0%}"
    return None


def count_named_records(con: duckdb.DuckDBPyConnection, records: str) -> int:
    """How many records of ``records`` the matcher compares (those with a first or last name)."""
    return con.execute(f"select count(*) from ({named_records_sql(records)})").fetchall()[0][0]


def _basis(fixed: Mapping[str, Any], refusals: tuple[str, ...], config: FuzzyConfig) -> str:
    """A digest of what a pair's judgement depends on besides its two records: the model (or
    preset), the refusals applied and their SQL, the threshold and the blocking. Kept pairs
    are judged again only while it is unchanged."""
    described = [
        dict(fixed),
        refused_by_sql(refusals),
        config.threshold_match_probability,
        config.max_block_records,
        BLOCKING_RULES,
    ]
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def _digest_records(work: duckdb.DuckDBPyConnection) -> None:
    """Table ``digests`` on ``work``: each prepared record with a digest of every column it is
    compared, blocked and refused on (a record whose digest is unchanged scores as before)."""
    columns = [
        name
        for (name,) in work.execute(
            "select column_name from information_schema.columns "
            "where table_name = 'prepared' order by ordinal_position"
        ).fetchall()
        if name != "record_key"
    ]
    listed = ", ".join(f'"{name}"' for name in columns)
    work.execute(
        f"create or replace table digests as select record_key, hash({listed}) as digest "
        "from prepared"
    )


def _mark_changed(work: duckdb.DuckDBPyConnection) -> int:
    """Add ``rescore`` to table ``prepared`` on ``work``: true for a record that is new or
    whose digest differs from the kept one (``kept_records``); returns how many."""
    work.execute(
        """
        create or replace table prepared as
        select prepared.*, kept.record_key is null as rescore
        from prepared
        inner join digests using (record_key)
        left join kept_records as kept
            on prepared.record_key = kept.record_key and digests.digest = kept.digest
        """
    )
    return work.execute("select count(*) from prepared where rescore").fetchall()[0][0]


def _pairs_checksum(con: duckdb.DuckDBPyConnection, pairs: str) -> tuple[int, str]:
    """How many rows the pairs table holds and a checksum of their keys and judgements."""
    count, checksum = con.execute(
        "select count(*), coalesce(sum(hash(left_record_key, right_record_key, refused_by)"
        f"::hugeint), 0)::varchar from {pairs}"
    ).fetchall()[0]
    return int(count), checksum


def _read_kept(
    con: duckdb.DuckDBPyConnection,
    work: duckdb.DuckDBPyConnection,
    kept: KeptMatches,
    log: Callable[[str], None],
) -> str | None:
    """Copy the kept pairs and record digests to ``work`` (``kept_pairs``, ``kept_records``)
    and return their basis; none when they do not agree (the pairs were not written by the run
    that wrote the digests), so that every pair is scored."""
    rows = con.execute(
        f"select any_value(basis), any_value(pairs), any_value(pairs_checksum) from {kept.records}"
    ).fetchall()
    basis, count, checksum = rows[0] if rows else (None, None, None)
    if basis is None or _pairs_checksum(con, kept.pairs) != (count, checksum):
        log("fuzzy matching: the kept pairs and digests do not agree; scoring every pair")
        return None
    for table, sql in (
        ("kept_records", f"select record_key, digest from {kept.records}"),
        ("kept_pairs", f"select * from {kept.pairs}"),
    ):
        _streamed(work, con.sql(sql), f"create table {table} as from streamed")
    return basis


def _keep(
    con: duckdb.DuckDBPyConnection,
    work: duckdb.DuckDBPyConnection,
    model: FuzzyModel,
    keep_as: str,
) -> None:
    """Write table ``keep_as`` on ``con``: the digest of every record this run compared, its
    basis and the checksum of its pairs (``PAIRS_TABLE``), for the next run to read as
    ``KeptMatches.records``."""
    count, checksum = _pairs_checksum(con, PAIRS_TABLE)
    _streamed(
        con,
        work.sql("select * from digests"),
        f"""
        create or replace table {keep_as} as
        select record_key, digest, ?::varchar as basis, ?::bigint as pairs,
            ?::varchar as pairs_checksum
        from streamed
        """,
        [model.basis, count, checksum],
    )


def fuzzy_matches(
    con: duckdb.DuckDBPyConnection,
    records: str,
    config: FuzzyConfig | None = None,
    *,
    trained: Mapping[str, Any] | None = None,
    kept: KeptMatches | None = None,
    keep_as: str | None = None,
    predict: Predict | None = None,
    log: Callable[[str], None] = lambda _message: None,
) -> tuple[str, FuzzyModel]:
    """Pair the records of table or view ``records`` (the columns of int_identity__records)
    that the model judges to be one person: with the ``trained`` model (``train_model``) when
    given, else trained on these records (or ``config.preset``) first.

    With ``kept`` (what an earlier run with ``keep_as`` judged), only the pairs of records that
    are new or changed since are scored, when the model, refusals, threshold and blocking are
    those the kept pairs were judged on; every pair otherwise. ``keep_as`` names a table to
    write on ``con`` for the next run (``KeptMatches.records``); it needs
    ``config.keep_refused``, since the refused pairs are part of what is kept. ``predict``
    scores the candidate pairs elsewhere (on Spark: ``Predict``); the rest is done here.

    Returns the name of a temporary table on ``con``: one row per pair (``left_record_key`` <
    ``right_record_key``, ``match_probability``, ``match_weight``, the blocking rule that found
    it, and the level each comparison reached), and what the run learned and did.
    """
    config = config or FuzzyConfig()
    if keep_as and not config.keep_refused:
        raise ValueError("keep_as needs FuzzyConfig.keep_refused: refused pairs are kept too")
    trained = trained or None  # an empty model (trained on fewer than two records) is none
    model = FuzzyModel()
    started = time.perf_counter()
    con.execute(f"create or replace temp table {PAIRS_TABLE} ({_pairs_schema()})")
    with _private_connection(con) as work:
        # the parameters are estimated on the records as typed, predictions made on the
        # records with inferred last names
        trains = trained is None and config.preset is None
        model.records = _prepare(
            con, work, records, config, ("prepared", "typed") if trains else ("prepared",)
        )
        if kept or keep_as:
            _digest_records(work)
        kept_basis = _read_kept(con, work, kept, log) if kept else None
        model.seconds["prepare"] = time.perf_counter() - started
        log(f"fuzzy matching: {model.records:,} named records")
        if model.records > 1:
            pairs = _match(work, config, model, log, trained, kept_basis, predict)
            _streamed(con, pairs, f"insert into {PAIRS_TABLE} select * from streamed")
        if keep_as:
            _keep(con, work, model, keep_as)
    model.pairs = con.execute(f"select count(*) from {PAIRS_TABLE}").fetchall()[0][0]
    model.seconds["total"] = time.perf_counter() - started
    kept_note = (
        f" ({model.pairs_kept:,} kept as judged, {model.rescored_records:,} records rescored)"
        if model.rescored_records is not None
        else ""
    )
    log(f"fuzzy matching: {model.pairs:,} pairs{kept_note} in {model.seconds['total']:.1f} s")
    return PAIRS_TABLE, model
