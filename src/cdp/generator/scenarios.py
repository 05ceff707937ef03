"""Scenarios: the same simulated world with one kind of identity difficulty turned up.

A scenario is a set of doses. The default scenario has every dose at zero and is the sample the
platform is built and tested on, byte for byte as without scenarios. The others make the exports
look like data from outside (``cdp-eval-scenarios`` measures identity resolution on each):

- ``contact_free``: no e-mail, phone, mobile or social handle in any export; names, birth
  dates, addresses and the ids a source assigns itself stay (:func:`scrub_contacts`);
- ``typo_copies``: several hand-typed copies of one person in the CRM, with errors in any field
  (the CRM's duplicate entries, at a dose);
- ``movers``: households that moved at some time in the last two years (records from before
  carry the old address) and partners who took the other's surname.

Every non-default scenario also has, at a small dose, twins (same birth date, address and last
name) and a parent and adult child with the same first and last name: different persons.

Each effect is one mechanism in the generator (the house move, the CRM duplicate, ...) with its
dose here; doses above zero draw from a per-household ``random.Random`` of their own, so the
default scenario's random stream is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from .specs import FileSpec


@dataclass(frozen=True)
class Scenario:
    name: str
    # No e-mail, phone, mobile or handle in any export (see scrub_contacts).
    contact_free: bool = False
    # Share of CRM persons with 1..copies_max extra typo'd CRM contacts (besides the 4 % that a
    # second sales rep enters again in every scenario).
    crm_copies: float = 0.0
    copies_max: int = 4
    # Share of the households that do not move during the window (2.5 % do, in every scenario)
    # that moved at a time in the two years before the window end.
    movers: float = 0.0
    # Share of CRM contacts that a rep updates with the new address after a move (0-10 days).
    crm_follows_move: float = 0.7
    # Share of CRM persons of a household that moved after their contact was created who are
    # entered again after the move, at the new address (a duplicate as the 4 % above).
    movers_reentered: float = 0.0
    # Share of couples with two surnames where the spouse took the partner's, at a time in the
    # two years before the window end.
    surname_change: float = 0.0
    # Share of households with two or more adult children in which two of them are twins.
    twins: float = 0.0
    # Share of households with an adult child in which that child bears the first name of the
    # parent whose last name it has (and is born at least 25 years after them).
    namesakes: float = 0.0

    @property
    def active(self) -> bool:
        """Whether any dose is above zero (the scenario draws random numbers of its own)."""
        return (
            self.contact_free
            or self.crm_copies > 0
            or self.movers > 0
            or self.movers_reentered > 0
            or self.surname_change > 0
            or self.twins > 0
            or self.namesakes > 0
        )


# Twins and namesakes, in every scenario but the default.
_HARD_CASES = {"twins": 0.2, "namesakes": 0.1}

SCENARIOS: dict[str, Scenario] = {
    "default": Scenario("default"),
    "contact_free": Scenario("contact_free", contact_free=True, **_HARD_CASES),
    "typo_copies": Scenario("typo_copies", crm_copies=0.55, copies_max=4, **_HARD_CASES),
    "movers": Scenario(
        "movers",
        movers=0.23,
        crm_follows_move=0.25,
        movers_reentered=0.6,
        surname_change=0.4,
        **_HARD_CASES,
    ),
}


def scenario(name: str | Scenario) -> Scenario:
    """The scenario of that name (or the scenario itself)."""
    if isinstance(name, Scenario):
        return name
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; one of: {', '.join(SCENARIOS)}") from None


# ---------------------------------------------------------------- contact_free
# Files whose records are contact identifiers and nothing else: not exported at all. An e-mail
# service provider's list members and activity are addresses; the survey tool knows respondents
# by their e-mail only; a social mention is a handle.
_DROPPED = frozenset(
    {
        "newsletter/subscribers.csv",
        "newsletter/activity.csv",
        "surveys/nps.csv",
        "surveys/preferences.csv",
        "social/mentions.ndjson",
    }
)
_BLANKED = {
    "crm/contacts.csv": ("email", "phone", "mobile", "instagram_handle"),
    "shop/accounts.csv": ("email", "phone"),
    "shop/orders.csv": ("email", "phone"),
    "privacy/erasure_requests.csv": ("email", "phone"),
}
_INDEX: dict[str, tuple[int, ...]] = {}


def _blank(spec: FileSpec, row: list) -> list:
    idx = _INDEX.get(spec.key)
    if idx is None:
        idx = _INDEX[spec.key] = tuple(spec.columns.index(c) for c in _BLANKED[spec.key])
    row = list(row)
    for i in idx:
        row[i] = ""
    return row


def scrub_contacts(spec: FileSpec, row):
    """The row as a contact-free export has it, or None when it is not exported.

    Blanked: e-mail, phone, mobile and handle columns (CRM, shop accounts and orders, erasure
    requests), ``customer.email`` and ``customer.phone`` (subscriptions, help desk), and
    ``properties.email`` (web ``login`` and ``newsletter_signup`` events). Not exported: the
    files in ``_DROPPED``; consent events whose subject is an e-mail or a phone; help-desk
    tickets from the Instagram channel (the customer is a handle) or left with no name;
    erasure requests left with no account.
    """
    key = spec.key
    if key in _DROPPED:
        return None
    if key in _BLANKED:
        row = _blank(spec, row)
        if key == "privacy/erasure_requests.csv" and not row[3]:
            return None
        return row
    if key == "consent/consent_events.csv":
        return None if row[1] in ("email", "phone") else row
    if key == "web/events.ndjson.gz":
        if "email" in row["properties"]:
            row = dict(row)
            row["properties"] = {k: v for k, v in row["properties"].items() if k != "email"}
        return row
    if key == "subscriptions/subscriptions.json":
        row = dict(row)
        row["customer"] = {**row["customer"], "email": None, "phone": None}
        return row
    if key == "support/tickets.ndjson":
        if row["channel"] == "social" or not row["customer"]["name"]:
            return None
        row = dict(row)
        row["customer"] = {**row["customer"], "email": None, "phone": None}
        return row
    return row
