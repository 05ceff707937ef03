"""The export files of SOURCES.md: columns, format, kind and where rows can break."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from cdp.sources import SourceFile, source_file


@dataclass(frozen=True)
class FileSpec:
    """How the generator writes one file type: the contract's shape plus where rows can break.

    Names, kinds, columns and delimiters come from :mod:`cdp.sources`, the one written form of
    the export contract; this adds only what the generator needs to make the files messy.
    """

    contract: SourceFile
    date_cols: tuple[tuple[str, str], ...] = ()  # (column or key, date format kind)
    num_cols: tuple[str, ...] = ()
    text_cols: tuple[str, ...] = ()
    overlap: bool = True  # deltas may repeat a few rows of the previous day
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def source(self) -> str:
        return self.contract.source

    @property
    def name(self) -> str:
        return self.contract.filename

    @property
    def kind(self) -> str:
        return self.contract.kind

    @cached_property  # asked for every row written
    def fmt(self) -> str:
        """``csv``, ``ndjson``, ``ndjson.gz`` or ``jsonarray``."""
        if self.contract.format == "json_array":
            return "jsonarray"
        if self.contract.format == "ndjson" and self.contract.filename.endswith(".gz"):
            return "ndjson.gz"
        return self.contract.format

    @property
    def columns(self) -> tuple[str, ...]:
        return self.contract.column_names

    @property
    def delimiter(self) -> str:
        return self.contract.delimiter

    @property
    def bom(self) -> bool:
        return self.contract.bom

    @cached_property  # asked for every row written
    def key(self) -> str:
        return f"{self.source}/{self.name}"


CRM = FileSpec(
    source_file("crm.contacts"),
    date_cols=(("birth_date", "dmy"), ("created_at", "dmyhm"), ("updated_at", "dmyhm")),
    text_cols=("first_name", "last_name", "street", "city"),
)
ACCOUNTS = FileSpec(
    source_file("shop.accounts"),
    date_cols=(
        ("date_of_birth", "ymd"),
        ("created_at", "iso"),
        ("updated_at", "iso"),
        ("last_login_at", "iso"),
    ),
    text_cols=("first_name", "last_name"),
)
ORDERS = FileSpec(
    source_file("shop.orders"),
    date_cols=(("ordered_at", "iso"), ("updated_at", "iso")),
    num_cols=("total_amount", "discount_amount"),
)
ITEMS = FileSpec(
    source_file("shop.order_items"),
    num_cols=("quantity", "unit_price"),
    text_cols=("product_name",),
    overlap=False,
)
WEB = FileSpec(
    source_file("web.events"),
    date_cols=(("occurred_at", "iso"), ("received_at", "iso")),
    overlap=False,
)
SUBSCRIBERS = FileSpec(
    source_file("newsletter.subscribers"),
    date_cols=(("opt_in_at", "epoch_s"), ("unsubscribed_at", "epoch_s")),
    text_cols=("first_name",),
)
ACTIVITY = FileSpec(
    source_file("newsletter.activity"),
    date_cols=(("occurred_at", "epoch_ms"),),
)
SUBSCRIPTIONS = FileSpec(source_file("subscriptions.subscriptions"))
NPS = FileSpec(
    source_file("surveys.nps"),
    date_cols=(("submitted_at", "iso"),),
    num_cols=("score",),
    text_cols=("comment",),
)
PREFERENCES = FileSpec(
    source_file("surveys.preferences"),
    date_cols=(("submitted", "dmy2"),),
    text_cols=("satisfaction", "diet", "cooking_frequency"),
)
TICKETS = FileSpec(
    source_file("support.tickets"),
    date_cols=(("opened_at", "iso"), ("closed_at", "iso")),
)
MENTIONS = FileSpec(
    source_file("social.mentions"),
    date_cols=(("posted_at", "iso"),),
)
CONSENT = FileSpec(
    source_file("consent.consent_events"),
    date_cols=(("captured_at", "iso"),),
)
ERASURE = FileSpec(
    source_file("privacy.erasure_requests"),
    date_cols=(("received_at", "iso"),),
    overlap=False,
)
CAMPAIGNS = FileSpec(
    source_file("marketing.campaigns"),
    date_cols=(("starts_on", "ymd"), ("ends_on", "ymd")),
    num_cols=("budget_eur",),
    text_cols=("name",),
)

ALL_SPECS = (
    CRM,
    ACCOUNTS,
    ORDERS,
    ITEMS,
    WEB,
    SUBSCRIBERS,
    ACTIVITY,
    SUBSCRIPTIONS,
    NPS,
    PREFERENCES,
    TICKETS,
    MENTIONS,
    CONSENT,
    ERASURE,
    CAMPAIGNS,
)
SOURCES = tuple(dict.fromkeys(s.source for s in ALL_SPECS))
# Delta sources whose folder may be re-sent (pure delta folders).
RESENDABLE = ("crm", "shop", "surveys", "support", "social", "consent")
