"""``cdp-accuracy``: how often a standardized value equals the person's true value.

For every staged record that the ground truth ties to a person (``record_person.csv``), the
standardized email, phone, country and birth date are compared with that person's true,
clean value (``persons.csv``), and so is the value as the source delivered it (trimmed), so the
figures show what standardization gained. Only records whose source gave a value count.

A record can carry a value that is right for the record but not the person's current one (an
old email after a move, a family phone): those count as unequal here; matching them to the
person is identity resolution's job. The pipeline never reads the truth: this command is for
measurement only.

    cdp-accuracy --warehouse data/warehouse/cdp.duckdb --truth data/truth
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cdp.evaluation.cli import run_measurement


@dataclass(frozen=True)
class Comparison:
    """One attribute of one staged model, compared with the truth."""

    attribute: str  # the persons.csv column
    source: str  # record_person.csv source
    model: str  # staging model
    record_id: str  # its column holding the truth's record_id
    standardized: str  # its standardized column
    raw_table: str  # raw table the staged row came from
    raw_value: str  # expression over that raw row: the value as delivered
    where: str = "true"  # which staged rows the comparison applies to


COMPARISONS = (
    Comparison(
        "email", "crm", "stg_crm__contacts", "contact_id", "email", "crm__contacts", "email",
    ),
    Comparison(
        "email", "shop_account", "stg_shop__accounts", "account_id", "email", "shop__accounts",
        "email",
    ),
    Comparison(
        "email", "shop_order", "stg_shop__orders", "order_id", "email", "shop__orders", "email",
        "staged.is_guest_checkout",
    ),
    Comparison(
        "email", "newsletter", "stg_newsletter__subscribers", "subscriber_id", "email",
        "newsletter__subscribers", "email",
    ),
    Comparison(
        "email", "subscriptions", "stg_subscriptions__subscriptions", "subscription_id", "email",
        "subscriptions__subscriptions", "customer ->> 'email'",
    ),
    Comparison(
        "email", "surveys_nps", "stg_surveys__nps", "nps_response_id", "email", "surveys__nps",
        "email",
    ),
    Comparison(
        "email", "surveys_preferences", "stg_surveys__preferences", "survey_response_id", "email",
        "surveys__preferences", "respondent_email",
    ),
    Comparison(
        "email", "support", "stg_support__tickets", "ticket_id", "email", "support__tickets",
        "customer ->> 'email'",
    ),
    Comparison(
        "phone", "crm", "stg_crm__contacts", "contact_id", "phone", "crm__contacts", "phone",
    ),
    Comparison(
        "phone", "crm", "stg_crm__contacts", "contact_id", "mobile", "crm__contacts", "mobile"
    ),
    Comparison(
        "phone", "shop_account", "stg_shop__accounts", "account_id", "phone", "shop__accounts",
        "phone",
    ),
    Comparison(
        "phone", "shop_order", "stg_shop__orders", "order_id", "phone", "shop__orders", "phone",
        "staged.is_guest_checkout",
    ),
    Comparison(
        "phone", "subscriptions", "stg_subscriptions__subscriptions", "subscription_id", "phone",
        "subscriptions__subscriptions", "customer ->> 'phone'",
    ),
    Comparison(
        "phone", "support", "stg_support__tickets", "ticket_id", "phone", "support__tickets",
        "customer ->> 'phone'",
    ),
    Comparison(
        "country", "crm", "stg_crm__contacts", "contact_id", "country_code", "crm__contacts",
        "country",
    ),
    Comparison(
        "country", "shop_account", "stg_shop__accounts", "account_id", "country_code",
        "shop__accounts", "country_code",
    ),
    Comparison(
        "country", "subscriptions", "stg_subscriptions__subscriptions", "subscription_id",
        "delivery_country_code", "subscriptions__subscriptions", "delivery_address ->> 'country'",
    ),
    Comparison(
        "birth_date", "crm", "stg_crm__contacts", "contact_id", "birth_date", "crm__contacts",
        "birth_date",
    ),
    Comparison(
        "birth_date", "shop_account", "stg_shop__accounts", "account_id", "birth_date",
        "shop__accounts", "date_of_birth",
    ),
)  # fmt: skip

ATTRIBUTES = ("email", "phone", "country", "birth_date")


@dataclass
class Result:
    attribute: str
    source: str
    column: str
    compared: int  # records whose source gave a value and whose person has a true one
    equal_standardized: int
    equal_as_delivered: int


def _query(c: Comparison) -> str:
    return f"""
        select
            count(*),
            count(*) filter (where cast(staged.{c.standardized} as varchar) = truth.value),
            count(*) filter (where trim(cast(raw_rows.{c.raw_value} as varchar)) = truth.value)
        from staging.{c.model} as staged
        inner join raw.{c.raw_table} as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
        inner join truth_records
            on truth_records.source = '{c.source}'
            and truth_records.record_id = cast(staged.{c.record_id} as varchar)
        inner join (
            select person_id, nullif(cast({c.attribute} as varchar), '') as value from persons
        ) as truth
            on truth.person_id = truth_records.person_id
        where ({c.where})
            and truth.value is not null
            and nullif(trim(cast(raw_rows.{c.raw_value} as varchar)), '') is not null
    """


def measure(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> list[Result]:
    """Compare every staged attribute of the warehouse on ``con`` with the truth."""
    for table, filename in (("persons", "persons.csv"), ("truth_records", "record_person.csv")):
        con.execute(
            f"create or replace temp table {table} as "
            "select * from read_csv(?, all_varchar = true, header = true)",
            [str(truth_dir / filename)],
        )
    results = []
    for c in COMPARISONS:
        compared, std, raw = con.execute(_query(c)).fetchall()[0]
        results.append(Result(c.attribute, c.source, c.standardized, compared, std, raw))
    return results


def totals(results: list[Result]) -> dict[str, tuple[int, int, int]]:
    """Per attribute: records compared, equal after standardization, equal as delivered."""
    out = {}
    for attribute in ATTRIBUTES:
        rows = [r for r in results if r.attribute == attribute]
        out[attribute] = (
            sum(r.compared for r in rows),
            sum(r.equal_standardized for r in rows),
            sum(r.equal_as_delivered for r in rows),
        )
    return out


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:6.2f} %" if whole else "      -"


def report(results: list[Result]) -> str:
    lines = [
        f"{'attribute':<11}{'source':<21}{'column':<23}{'records':>9}"
        f"{'standardized':>14}{'as delivered':>14}",
    ]
    for r in results:
        lines.append(
            f"{r.attribute:<11}{r.source:<21}{r.column:<23}{r.compared:>9,}"
            f"{_share(r.equal_standardized, r.compared):>14}"
            f"{_share(r.equal_as_delivered, r.compared):>14}"
        )
    lines.append("")
    lines.append("share equal to the true value, all sources:")
    for attribute, (compared, std, raw) in totals(results).items():
        lines.append(
            f"  {attribute:<11}{compared:>9,} records   standardized {_share(std, compared)}"
            f"   as delivered {_share(raw, compared)}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return run_measurement(
        argv,
        prog="cdp-accuracy",
        description="Share of standardized emails, phones, countries and birth dates that "
        "equal the ground truth",
        truth_files=("persons.csv", "record_person.csv"),
        not_built="the staging layer is not built",
        measure_and_report=lambda con, truth: report(measure(con, truth)),
    )


if __name__ == "__main__":
    sys.exit(main())
