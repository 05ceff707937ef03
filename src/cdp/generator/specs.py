"""The export files of SOURCES.md: columns, format, kind and where rows can break."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileSpec:
    source: str
    name: str
    kind: str  # "delta" | "snapshot"
    fmt: str  # "csv" | "ndjson" | "ndjson.gz" | "jsonarray"
    columns: tuple[str, ...] = ()
    delimiter: str = ","
    bom: bool = False
    date_cols: tuple[tuple[str, str], ...] = ()  # (column or key, date format kind)
    num_cols: tuple[str, ...] = ()
    text_cols: tuple[str, ...] = ()
    overlap: bool = True  # deltas may repeat a few rows of the previous day
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.source}/{self.name}"


CRM = FileSpec(
    "crm",
    "contacts.csv",
    "delta",
    "csv",
    (
        "contact_id",
        "salutation",
        "first_name",
        "last_name",
        "email",
        "phone",
        "mobile",
        "birth_date",
        "street",
        "postcode",
        "city",
        "country",
        "instagram_handle",
        "marketing_opt_in",
        "created_at",
        "updated_at",
        "is_deleted",
    ),
    delimiter=";",
    bom=True,
    date_cols=(("birth_date", "dmy"), ("created_at", "dmyhm"), ("updated_at", "dmyhm")),
    text_cols=("first_name", "last_name", "street", "city"),
)
ACCOUNTS = FileSpec(
    "shop",
    "accounts.csv",
    "delta",
    "csv",
    (
        "account_id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "date_of_birth",
        "country_code",
        "loyalty_card_no",
        "created_at",
        "updated_at",
        "last_login_at",
    ),
    date_cols=(
        ("date_of_birth", "ymd"),
        ("created_at", "iso"),
        ("updated_at", "iso"),
        ("last_login_at", "iso"),
    ),
    text_cols=("first_name", "last_name"),
)
ORDERS = FileSpec(
    "shop",
    "orders.csv",
    "delta",
    "csv",
    (
        "order_id",
        "account_id",
        "email",
        "phone",
        "channel",
        "store_id",
        "ordered_at",
        "currency",
        "total_amount",
        "discount_amount",
        "status",
        "ship_country",
        "ship_postcode",
        "utm_campaign",
        "updated_at",
    ),
    date_cols=(("ordered_at", "iso"), ("updated_at", "iso")),
    num_cols=("total_amount", "discount_amount"),
)
ITEMS = FileSpec(
    "shop",
    "order_items.csv",
    "delta",
    "csv",
    ("order_id", "line_no", "sku", "product_name", "category", "quantity", "unit_price"),
    num_cols=("quantity", "unit_price"),
    text_cols=("product_name",),
    overlap=False,
)
WEB = FileSpec(
    "web",
    "events.ndjson.gz",
    "delta",
    "ndjson.gz",
    (
        "event_id",
        "anonymous_id",
        "account_id",
        "event_type",
        "occurred_at",
        "received_at",
        "platform",
        "page_url",
        "referrer",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "properties",
    ),
    date_cols=(("occurred_at", "iso"), ("received_at", "iso")),
    overlap=False,
)
SUBSCRIBERS = FileSpec(
    "newsletter",
    "subscribers.csv",
    "snapshot",
    "csv",
    (
        "subscriber_id",
        "email",
        "first_name",
        "list_id",
        "status",
        "language",
        "opt_in_at",
        "unsubscribed_at",
        "signup_source",
    ),
    date_cols=(("opt_in_at", "epoch_s"), ("unsubscribed_at", "epoch_s")),
    text_cols=("first_name",),
)
ACTIVITY = FileSpec(
    "newsletter",
    "activity.csv",
    "delta",
    "csv",
    ("email", "campaign_id", "activity", "occurred_at", "url"),
    date_cols=(("occurred_at", "epoch_ms"),),
)
SUBSCRIPTIONS = FileSpec(
    "subscriptions",
    "subscriptions.json",
    "snapshot",
    "jsonarray",
    (
        "id",
        "customer",
        "plan",
        "price",
        "interval",
        "status",
        "started_at",
        "cancelled_at",
        "delivery_address",
    ),
)
NPS = FileSpec(
    "surveys",
    "nps.csv",
    "delta",
    "csv",
    ("response_id", "email", "submitted_at", "score", "comment"),
    date_cols=(("submitted_at", "iso"),),
    num_cols=("score",),
    text_cols=("comment",),
)
PREFERENCES = FileSpec(
    "surveys",
    "preferences.csv",
    "delta",
    "csv",
    (
        "response_id",
        "respondent_email",
        "submitted",
        "satisfaction",
        "diet",
        "household_size",
        "cooking_frequency",
    ),
    date_cols=(("submitted", "dmy2"),),
    text_cols=("satisfaction", "diet", "cooking_frequency"),
)
TICKETS = FileSpec(
    "support",
    "tickets.ndjson",
    "delta",
    "ndjson",
    (
        "ticket_id",
        "channel",
        "customer",
        "opened_at",
        "closed_at",
        "status",
        "topic",
        "csat",
        "messages",
    ),
    date_cols=(("opened_at", "iso"), ("closed_at", "iso")),
)
MENTIONS = FileSpec(
    "social",
    "mentions.ndjson",
    "delta",
    "ndjson",
    ("platform", "post_id", "handle", "posted_at", "text", "in_reply_to", "likes"),
    date_cols=(("posted_at", "iso"),),
)
CONSENT = FileSpec(
    "consent",
    "consent_events.csv",
    "delta",
    "csv",
    (
        "consent_event_id",
        "subject_type",
        "subject_value",
        "purpose",
        "status",
        "captured_at",
        "source",
        "policy_version",
    ),
    date_cols=(("captured_at", "iso"),),
)
ERASURE = FileSpec(
    "privacy",
    "erasure_requests.csv",
    "delta",
    "csv",
    ("request_id", "email", "phone", "account_id", "received_at"),
    date_cols=(("received_at", "iso"),),
    overlap=False,
)
CAMPAIGNS = FileSpec(
    "marketing",
    "campaigns.csv",
    "snapshot",
    "csv",
    ("campaign_id", "name", "channel", "utm_campaign", "starts_on", "ends_on", "budget_eur"),
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
