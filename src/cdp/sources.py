"""The export contract (``shared/SOURCES.md``) as data: one entry per source file type.

Every part of the platform that needs to know what a source delivers (the raw loader, the
tests, later the staging layer and the quality suites) reads it from here, so the contract is
written down once.

Raw tables keep the source's values as delivered, typed only where the contract fixes a type
(dates, timestamps, numbers): a value that does not parse as its declared type is the "non-date
in a date column" the contract asks to set aside, and it is rejected at load with its reason.
Everything else (names, phones, free-text countries, yes/no flags) stays text for staging.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Format = Literal["csv", "ndjson", "json_array"]
Kind = Literal["delta", "snapshot"]


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "VARCHAR"
    # strptime pattern for DATE / TIMESTAMP columns written in a non-ISO form.
    format: str | None = None
    description: str = ""


@dataclass(frozen=True)
class SourceFile:
    """One file type of one source, e.g. ``crm/contacts.csv``."""

    source: str
    entity: str
    filename: str
    kind: Kind
    format: Format
    columns: tuple[Column, ...]
    delimiter: str = ","
    # UTF-8 with a byte-order mark (the CRM's exports); DuckDB's reader skips it either way.
    bom: bool = False
    description: str = ""
    # the column (or JSON key) that identifies a row, for reports; not enforced in raw.
    key: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        """``source.entity``: the name used in logs, the manifest and the rejects table."""
        return f"{self.source}.{self.entity}"

    @property
    def table(self) -> str:
        """The raw table, ``<source>__<entity>`` in schema ``raw``."""
        return f"{self.source}__{self.entity}"

    @property
    def asset_key(self) -> list[str]:
        """Dagster asset key, the same path a dbt ``source('<source>', '<entity>')`` maps to."""
        return [self.source, self.entity]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _cols(spec: str, **overrides: Column) -> tuple[Column, ...]:
    """Columns from a space-separated list of names; ``overrides`` give typed ones."""
    return tuple(overrides.get(name, Column(name)) for name in spec.split())


def _ts(name: str) -> Column:
    """An ISO 8601 timestamp with ``Z`` or an offset."""
    return Column(name, "TIMESTAMPTZ")


ROME_LOCAL = "%d/%m/%Y %H:%M"

SOURCE_FILES: tuple[SourceFile, ...] = (
    SourceFile(
        source="crm",
        entity="contacts",
        filename="contacts.csv",
        kind="delta",
        format="csv",
        delimiter=";",
        bom=True,
        key=("contact_id",),
        description="The sales CRM's contacts, typed by hand; local times are Europe/Rome.",
        columns=_cols(
            "contact_id salutation first_name last_name email phone mobile birth_date street "
            "postcode city country instagram_handle marketing_opt_in created_at updated_at "
            "is_deleted",
            birth_date=Column("birth_date", "DATE", "%d/%m/%Y"),
            created_at=Column("created_at", "TIMESTAMP", ROME_LOCAL, "local time, Europe/Rome"),
            updated_at=Column("updated_at", "TIMESTAMP", ROME_LOCAL, "local time, Europe/Rome"),
        ),
    ),
    SourceFile(
        source="shop",
        entity="accounts",
        filename="accounts.csv",
        kind="delta",
        format="csv",
        key=("account_id",),
        description="Web shop and loyalty accounts.",
        columns=_cols(
            "account_id email first_name last_name phone date_of_birth country_code "
            "loyalty_card_no created_at updated_at last_login_at",
            account_id=Column("account_id", "BIGINT"),
            date_of_birth=Column("date_of_birth", "DATE"),
            created_at=_ts("created_at"),
            updated_at=_ts("updated_at"),
            last_login_at=_ts("last_login_at"),
        ),
    ),
    SourceFile(
        source="shop",
        entity="orders",
        filename="orders.csv",
        kind="delta",
        format="csv",
        key=("order_id",),
        description="Web, app and store orders; an order comes back each time its status changes.",
        columns=_cols(
            "order_id account_id email phone channel store_id ordered_at currency total_amount "
            "discount_amount status ship_country ship_postcode utm_campaign updated_at",
            account_id=Column("account_id", "BIGINT"),
            ordered_at=_ts("ordered_at"),
            total_amount=Column("total_amount", "DECIMAL(14,2)"),
            discount_amount=Column("discount_amount", "DECIMAL(14,2)"),
            updated_at=_ts("updated_at"),
        ),
    ),
    SourceFile(
        source="shop",
        entity="order_items",
        filename="order_items.csv",
        kind="delta",
        format="csv",
        key=("order_id", "line_no"),
        description="Order lines, prices in the order's currency.",
        columns=_cols(
            "order_id line_no sku product_name category quantity unit_price",
            line_no=Column("line_no", "INTEGER"),
            quantity=Column("quantity", "INTEGER"),
            unit_price=Column("unit_price", "DECIMAL(14,2)"),
        ),
    ),
    SourceFile(
        source="web",
        entity="events",
        filename="events.ndjson.gz",
        kind="delta",
        format="ndjson",
        key=("event_id",),
        description="Site and app tracking; the tracker retries and events arrive late.",
        columns=_cols(
            "event_id anonymous_id account_id event_type occurred_at received_at platform "
            "page_url referrer utm_source utm_medium utm_campaign properties",
            account_id=Column("account_id", "BIGINT"),
            occurred_at=_ts("occurred_at"),
            received_at=_ts("received_at"),
            properties=Column("properties", "JSON"),
        ),
    ),
    SourceFile(
        source="newsletter",
        entity="subscribers",
        filename="subscribers.csv",
        kind="snapshot",
        format="csv",
        key=("subscriber_id",),
        description="The email service provider's subscriber list; epoch seconds.",
        columns=_cols(
            "subscriber_id email first_name list_id status language opt_in_at unsubscribed_at "
            "signup_source",
            opt_in_at=Column("opt_in_at", "BIGINT", description="Unix epoch seconds"),
            unsubscribed_at=Column("unsubscribed_at", "BIGINT", description="Unix epoch seconds"),
        ),
    ),
    SourceFile(
        source="newsletter",
        entity="activity",
        filename="activity.csv",
        kind="delta",
        format="csv",
        description="Sends, opens, clicks, bounces and unsubscribes; epoch milliseconds.",
        columns=_cols(
            "email campaign_id activity occurred_at url",
            occurred_at=Column("occurred_at", "BIGINT", description="Unix epoch milliseconds"),
        ),
    ),
    SourceFile(
        source="subscriptions",
        entity="subscriptions",
        filename="subscriptions.json",
        kind="snapshot",
        format="json_array",
        key=("id",),
        description="Recipe-box subscriptions from the billing system.",
        columns=_cols(
            "id customer plan price interval status started_at cancelled_at delivery_address",
            customer=Column("customer", "JSON"),
            price=Column("price", "JSON"),
            started_at=_ts("started_at"),
            cancelled_at=_ts("cancelled_at"),
            delivery_address=Column("delivery_address", "JSON"),
        ),
    ),
    SourceFile(
        source="surveys",
        entity="nps",
        filename="nps.csv",
        kind="delta",
        format="csv",
        key=("response_id",),
        description="Net promoter score survey answers.",
        columns=_cols(
            "response_id email submitted_at score comment",
            submitted_at=_ts("submitted_at"),
            score=Column("score", "INTEGER"),
        ),
    ),
    SourceFile(
        source="surveys",
        entity="preferences",
        filename="preferences.csv",
        kind="delta",
        format="csv",
        key=("response_id",),
        description="The open preferences form: free-text answers in several languages.",
        columns=_cols(
            "response_id respondent_email submitted satisfaction diet household_size "
            "cooking_frequency",
            submitted=Column("submitted", "DATE", "%d/%m/%y"),
        ),
    ),
    SourceFile(
        source="support",
        entity="tickets",
        filename="tickets.ndjson",
        kind="delta",
        format="ndjson",
        key=("ticket_id",),
        description="Help-desk tickets with their messages.",
        columns=_cols(
            "ticket_id channel customer opened_at closed_at status topic csat messages",
            customer=Column("customer", "JSON"),
            opened_at=_ts("opened_at"),
            closed_at=_ts("closed_at"),
            csat=Column("csat", "INTEGER"),
            messages=Column("messages", "JSON"),
        ),
    ),
    SourceFile(
        source="social",
        entity="mentions",
        filename="mentions.ndjson",
        kind="delta",
        format="ndjson",
        key=("platform", "post_id"),
        description="Social media posts that mention the brand.",
        columns=_cols(
            "platform post_id handle posted_at text in_reply_to likes",
            posted_at=_ts("posted_at"),
            likes=Column("likes", "BIGINT"),
        ),
    ),
    SourceFile(
        source="consent",
        entity="consent_events",
        filename="consent_events.csv",
        kind="delta",
        format="csv",
        key=("consent_event_id",),
        description="Consent given, denied or withdrawn, per purpose.",
        columns=_cols(
            "consent_event_id subject_type subject_value purpose status captured_at source "
            "policy_version",
            captured_at=_ts("captured_at"),
        ),
    ),
    SourceFile(
        source="privacy",
        entity="erasure_requests",
        filename="erasure_requests.csv",
        kind="delta",
        format="csv",
        key=("request_id",),
        description="Requests to be forgotten (GDPR Art. 17).",
        columns=_cols(
            "request_id email phone account_id received_at",
            received_at=_ts("received_at"),
        ),
    ),
    SourceFile(
        source="marketing",
        entity="campaigns",
        filename="campaigns.csv",
        kind="snapshot",
        format="csv",
        key=("campaign_id",),
        description="The campaign catalogue.",
        columns=_cols(
            "campaign_id name channel utm_campaign starts_on ends_on budget_eur",
            starts_on=Column("starts_on", "DATE"),
            ends_on=Column("ends_on", "DATE"),
            budget_eur=Column("budget_eur", "DECIMAL(14,2)"),
        ),
    ),
)

SOURCES: tuple[str, ...] = tuple(dict.fromkeys(f.source for f in SOURCE_FILES))


def source_file(name: str) -> SourceFile:
    """Look up a file type by ``source.entity``."""
    for spec in SOURCE_FILES:
        if spec.name == name:
            return spec
    known = ", ".join(f.name for f in SOURCE_FILES)
    raise KeyError(f"unknown source file type {name!r}; known: {known}")
