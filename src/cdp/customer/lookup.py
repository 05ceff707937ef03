"""Find the customers a look-up names: by email, phone, customer id (a retired id leads to the
profile it was merged into) or another identifier's value (account id, loyalty card,
newsletter subscriber id, social handle); in pseudonymized mode by customer pseudonym only.

Inputs are standardized as the platform standardizes them: an email trimmed and lower-cased
(the ``standardize_email`` dbt macro), a phone to E.164 by ``cdp.standardize.phones`` (read
as international, else in the region of each country the customers live in, so a national
form such as ``333 123 4567`` may name several numbers). Only customers in the marts are
found: an erased person is gone from them, whatever else is left.

The warehouse is opened read-only for one look-up and closed after it (``open_warehouse``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from cdp.duckdb_budget import connect
from cdp.standardize.phones import to_e164

# A customer pseudonym: HMAC-SHA256 in hex (docs/privacy.md).
PSEUDONYM = re.compile(r"[0-9a-f]{64}")
# What a phone can be typed with; at least six digits make it worth reading as one.
_PHONE_TEXT = re.compile(r"[+0-9 ().\-/]+")
# Identifier types looked up by their value as typed (after the light normalization below).
OTHER_IDENTIFIERS = ("account_id", "loyalty_card", "subscriber_id", "social_handle")


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be read now: missing, locked by a running pipeline, or not built."""


@dataclass(frozen=True)
class Candidate:
    """A customer a look-up found, and how."""

    key: str  # the customer id, or in pseudonymized mode the pseudonym
    matched_on: str  # what matched: "email", "phone", "customer id", "merged id", ...
    label: str  # how to tell candidates apart (name and email; never PII when pseudonymized)
    sources: tuple[str, ...]
    last_seen_at: datetime | None


@dataclass
class Lookup:
    """The outcome of one look-up: what was searched and the customers found."""

    query: str
    pseudonymized: bool
    searched: list[str] = field(default_factory=list)  # the standardized forms, "kind: value"
    candidates: list[Candidate] = field(default_factory=list)
    note: str | None = None

    @property
    def found(self) -> Candidate | None:
        """The one customer found, or None (no match, or several)."""
        return self.candidates[0] if len(self.candidates) == 1 else None


@contextmanager
def open_warehouse(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse read-only for the ``with`` block, closed after it; a missing or locked
    file raises :class:`WarehouseUnavailable` with a message a person can act on."""
    path = Path(path)
    if not path.is_file():
        raise WarehouseUnavailable(
            f"no warehouse at {path}: build one with `make run`, or point CDP_WAREHOUSE at one"
        )
    try:
        con = connect(path, read_only=True)
    except duckdb.Error as err:
        if "lock" in str(err).lower():
            raise WarehouseUnavailable(
                f"the warehouse {path} is locked by a running pipeline, which is writing it; "
                "try again when the run has finished"
            ) from err
        raise WarehouseUnavailable(f"the warehouse {path} cannot be opened: {err}") from err
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    except duckdb.CatalogException as err:
        raise WarehouseUnavailable(
            f"the warehouse {path} has not been built yet (no marts): run the pipeline first "
            f"({str(err).splitlines()[0]})"
        ) from err
    finally:
        con.close()


def standardize_email(text: str) -> str:
    """An email as the platform keeps it: trimmed and lower-cased."""
    return text.strip().lower()


def phone_forms(text: str, regions: list[str]) -> list[str]:
    """The E.164 numbers ``text`` can be: read as international if it can, else in each of
    ``regions`` (a national form may be valid in several); empty when it is no phone."""
    written = text.strip()
    if not _PHONE_TEXT.fullmatch(written) or sum(c.isdigit() for c in written) < 6:
        return []
    if written.startswith(("+", "00")):
        international = to_e164(written, None)
        return [international] if international else []
    forms: list[str] = []
    for region in regions:
        e164 = to_e164(written, region)
        if e164 and e164 not in forms:
            forms.append(e164)
    return forms


def identifier_forms(text: str) -> dict[str, str]:
    """The value ``text`` would have as each of the other identifier types."""
    written = text.strip()
    forms = {
        "account_id": str(int(written)) if written.isdigit() else written,
        "loyalty_card": written,
        "subscriber_id": written,
        "social_handle": written.lstrip("@").lower(),
    }
    return {kind: value for kind, value in forms.items() if value}


def find(con: duckdb.DuckDBPyConnection, query: str, *, pseudonymized: bool = False) -> Lookup:
    """The customers ``query`` names (see the module's description). In pseudonymized mode
    only schema ``pseudonymized`` is read and only a pseudonym is looked up."""
    text = (query or "").strip()
    lookup = Lookup(query=text, pseudonymized=pseudonymized)
    if not text:
        lookup.note = "type an email, a phone or a customer id"
        return lookup
    if pseudonymized:
        return _find_pseudonym(con, lookup)

    matches: dict[str, str] = {}  # customer id -> what matched first

    def add(rows: list[tuple], how: str) -> None:
        for (customer_id,) in rows:
            matches.setdefault(customer_id, how)

    if "@" in text and not text.startswith("@"):
        email = standardize_email(text)
        lookup.searched.append(f"email: {email}")
        add(
            con.execute(
                """
                select customer_id from intermediate.int_identifiers_resolved
                where identifier_type = 'email' and identifier_value = $1
                union
                select customer_id from marts.customer_profiles where email = $1
                """,
                [email],
            ).fetchall(),
            "email",
        )
    else:
        customer_id = text.upper()
        add(
            con.execute(
                "select customer_id from marts.customer_profiles where customer_id = $1",
                [customer_id],
            ).fetchall(),
            "customer id",
        )
        if not matches:
            add(_surviving_ids(con, customer_id), "merged id")
        phones = phone_forms(text, _regions(con))
        if matches or not phones:
            lookup.searched.append(f"customer id: {customer_id}")
        for phone in phones:
            lookup.searched.append(f"phone: {phone}")
        if phones:
            add(
                con.execute(
                    """
                    select customer_id from intermediate.int_identifiers_resolved
                    where identifier_type = 'phone' and identifier_value in $1
                    union
                    select customer_id from marts.customer_profiles where phone in $1
                    """,
                    [phones],
                ).fetchall(),
                "phone",
            )
        for kind, value in identifier_forms(text).items():
            rows = con.execute(
                """
                select customer_id from intermediate.int_identifiers_resolved
                where identifier_type = $1 and identifier_value = $2
                """,
                [kind, value],
            ).fetchall()
            if rows:
                lookup.searched.append(f"{kind.replace('_', ' ')}: {value}")
            add(rows, kind.replace("_", " "))

    lookup.candidates = _candidates(con, matches)
    return lookup


def _find_pseudonym(con: duckdb.DuckDBPyConnection, lookup: Lookup) -> Lookup:
    pseudonym = lookup.query.lower()
    if not PSEUDONYM.fullmatch(pseudonym):
        lookup.note = (
            "without access to personal data, customers are looked up by customer pseudonym "
            "only (64 hexadecimal digits, column customer_pseudonym of schema pseudonymized)"
        )
        return lookup
    lookup.searched.append(f"customer pseudonym: {pseudonym}")
    rows = con.execute(
        """
        select customer_pseudonym, sources, last_seen_at
        from pseudonymized.customer_profiles
        where customer_pseudonym = $1
        """,
        [pseudonym],
    ).fetchall()
    lookup.candidates = [
        Candidate(key, "customer pseudonym", key[:12] + "…", tuple(sources or ()), last_seen)
        for key, sources, last_seen in rows
    ]
    return lookup


def _regions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The countries of the customers, most customers first: the regions a national phone
    form is read in."""
    return [
        code
        for (code,) in con.execute(
            """
            select country_code from marts.customer_profiles
            where country_code is not null
            group by country_code
            order by count(*) desc, country_code
            """
        ).fetchall()
    ]


def _surviving_ids(con: duckdb.DuckDBPyConnection, retired_id: str) -> list[tuple]:
    """The customer a retired id was merged into, following later merges, if it is in the
    marts."""
    return con.execute(
        """
        with recursive chain(customer_id, depth) as (
            select $1, 0
            union
            select changes.customer_id, chain.depth + 1
            from intermediate.int_identity__customer_id_changes as changes
            inner join chain on changes.previous_customer_id = chain.customer_id
            where changes.change_reason = 'merged' and chain.depth < 50
        )
        select distinct chain.customer_id
        from chain
        inner join marts.customer_profiles as profiles
            on chain.customer_id = profiles.customer_id
        where chain.depth > 0
        """,
        [retired_id],
    ).fetchall()


def _candidates(con: duckdb.DuckDBPyConnection, matches: dict[str, str]) -> list[Candidate]:
    """The matched customers that are in the marts (an erased one is not), newest first."""
    if not matches:
        return []
    rows = con.execute(
        """
        select customer_id, first_name, last_name, email, sources, last_seen_at
        from marts.customer_profiles
        where customer_id in $1
        order by last_seen_at desc nulls last, customer_id
        """,
        [list(matches)],
    ).fetchall()
    candidates = []
    for customer_id, first_name, last_name, email, sources, last_seen_at in rows:
        name = " ".join(part for part in (first_name, last_name) if part)
        label = " · ".join(part for part in (name, email) if part) or "(no name or email)"
        candidates.append(
            Candidate(customer_id, matches[customer_id], label, tuple(sources or ()), last_seen_at)
        )
    return candidates
