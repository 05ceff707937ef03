"""Everything shown about one customer, read from the warehouse with the privacy rules of
docs/privacy.md applied here, once, for the text view and the web page alike.

- **Analytics refused.** When the customer's current ``analytics`` consent
  (``marts.customer_consent``) has a status of the dbt var
  ``analytics_excluded_consent_statuses`` (``denied``, ``withdrawn``), no per-customer analytics
  is read or shown: no site or app visits in the timeline, no email opens or clicks (the
  tracking that ``marts.customer_activity_daily`` also leaves out for them), and none of the
  profile's engagement traits built from them. Orders, messages sent and support tickets stay:
  they are the record of the customer relationship, not analytics. ``reasons`` says why.
- **Pseudonymized mode.** Only schema ``pseudonymized`` is read: the profile without direct
  personal data, segments, and the daily activity, which that schema keeps only for customers
  who did not refuse analytics. Source records, identifiers, the merge history and consent live
  outside it and are not shown; the profile's engagement traits are left out too, since
  whether the customer refused analytics cannot be read there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from cdp.activation.segments import SegmentDefinitionError, load_audiences
from cdp.privacy.analytics import excluded_analytics_statuses

# The profile as shown: (section, column, label). A column the row lacks is skipped, so the one
# list serves the marts and the pseudonymized profile.
PROFILE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("Person", "first_name", "first name"),
    ("Person", "last_name", "last name"),
    ("Person", "email", "email"),
    ("Person", "phone", "phone"),
    ("Person", "has_email", "has an email"),
    ("Person", "has_phone", "has a phone"),
    ("Person", "birth_date", "birth date"),
    ("Person", "birth_year_band", "born (five-year band from)"),
    ("Person", "street", "street"),
    ("Person", "postcode", "postcode"),
    ("Person", "postcode_area", "postcode area"),
    ("Person", "city", "city"),
    ("Person", "country_code", "country"),
    ("Person", "language_code", "language"),
    ("Person", "diet_tags", "diet"),
    ("Person", "household_size", "household size"),
    ("Person", "preferred_channel", "preferred channel"),
    ("Profile", "sources", "sources"),
    ("Profile", "source_record_count", "source records"),
    ("Profile", "first_seen_at", "first seen"),
    ("Profile", "last_seen_at", "last seen"),
    ("Profile", "customer_since", "customer since"),
    ("Profile", "first_identified_at", "first identified"),
    ("Profile", "completeness_score", "completeness"),
    ("Profile", "missing_attributes", "missing"),
    ("Purchases", "order_count", "orders"),
    ("Purchases", "cancelled_or_refunded_order_count", "cancelled or refunded"),
    ("Purchases", "first_order_at", "first order"),
    ("Purchases", "last_order_at", "last order"),
    ("Purchases", "days_since_last_order", "days since last order"),
    ("Purchases", "net_revenue_eur", "net revenue (EUR)"),
    ("Purchases", "average_order_value_eur", "average order (EUR)"),
    ("Purchases", "rfm_segment", "RFM segment"),
    ("Purchases", "historical_value_eur", "historical value (EUR)"),
    ("Purchases", "subscription_status", "recipe box"),
    ("Purchases", "subscription_plan_code", "box plan"),
    ("Purchases", "subscription_started_at", "box started"),
    ("Purchases", "subscription_value_eur", "box billing (EUR)"),
    ("Engagement", "is_newsletter_subscribed", "newsletter subscriber"),
    ("Engagement", "email_sent_count", "emails sent"),
    ("Engagement", "email_open_count", "email opens"),
    ("Engagement", "email_click_count", "email clicks"),
    ("Engagement", "last_email_engagement_at", "last open or click"),
    ("Engagement", "web_event_count", "site and app events"),
    ("Engagement", "last_web_event_at", "last site or app event"),
    ("Engagement", "latest_nps_score", "latest NPS"),
    ("Engagement", "latest_nps_category", "NPS category"),
    ("Engagement", "satisfaction_score", "satisfaction"),
    ("Engagement", "support_ticket_count", "support tickets"),
    ("Engagement", "average_csat", "average CSAT"),
    ("Engagement", "social_mention_count", "social mentions"),
)
# Profile traits that are per-customer analytics (tracking of visits and email opens):
# withheld for a customer who refused analytics, and in pseudonymized mode.
ANALYTICS_FIELDS = frozenset(
    {
        "email_open_count",
        "email_click_count",
        "last_email_engagement_at",
        "web_event_count",
        "last_web_event_at",
    }
)
# Newsletter activity that is tracking (analytics) rather than a message sent.
TRACKING_ACTIVITY = ("open", "click")
TIMELINE_KINDS = ("order", "visit", "message", "ticket", "activity")
# How many of each kind are said: (one, several).
KIND_NAMES = {
    "order": ("order", "orders"),
    "visit": ("visit", "visits"),
    "message": ("message", "messages"),
    "ticket": ("ticket", "tickets"),
    "activity": ("day of activity", "days of activity"),
}


def count_kind(kind: str, n: int) -> str:
    """``n`` events of ``kind`` in words: "1 order", "3 days of activity"."""
    one, several = KIND_NAMES.get(kind, (kind, kind + "s"))
    return f"{n} {one if n == 1 else several}"


@dataclass(frozen=True)
class Event:
    """One line of the timeline."""

    at: datetime | date
    kind: str  # one of TIMELINE_KINDS
    title: str
    detail: str = ""


@dataclass
class CustomerView:
    """One customer as shown; see the module's description for what each mode holds."""

    key: str
    pseudonymized: bool
    profile: list[tuple[str, list[tuple[str, Any]]]]  # (section, [(label, value)])
    name: str = ""
    analytics_status: str | None = None  # None when it cannot be read (pseudonymized)
    analytics_refused: bool = False
    consent: list[dict[str, Any]] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    joins: list[dict[str, Any]] = field(default_factory=list)
    id_history: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[Event] = field(default_factory=list)
    timeline_total: int = 0
    timeline_counts: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)  # what is not shown, and why


def load(
    con: duckdb.DuckDBPyConnection, key: str, *, pseudonymized: bool = False, limit: int = 200
) -> CustomerView | None:
    """The customer ``key`` (a customer id, or a pseudonym in pseudonymized mode) with the
    newest ``limit`` timeline events; None when the marts do not hold it."""
    if pseudonymized:
        return _load_pseudonymized(con, key, limit)
    row = _one_row(con, "select * from marts.customer_profiles where customer_id = $1", [key])
    if row is None:
        return None
    view = CustomerView(key=key, pseudonymized=False, profile=[])
    view.name = " ".join(p for p in (row.get("first_name"), row.get("last_name")) if p)
    view.consent = _rows(
        con,
        """
        select purpose, consent_status, is_granted, captured_at, capture_source,
            policy_version, subject_type, is_from_shared_subject
        from marts.customer_consent
        where customer_id = $1
        order by purpose
        """,
        [key],
    )
    analytics = [c for c in view.consent if c["purpose"] == "analytics"]
    view.analytics_status = analytics[0]["consent_status"] if analytics else "no_record"
    view.analytics_refused = view.analytics_status in excluded_analytics_statuses()
    if view.analytics_refused:
        view.reasons.append(
            f"This customer's analytics consent is {view.analytics_status}: no per-customer "
            "analytics is shown (no site or app visits, no email opens or clicks, none of the "
            "engagement traits built from them). Orders, messages sent and support tickets "
            "are the record of the customer relationship and stay."
        )
    view.profile = _profile(row, hidden=ANALYTICS_FIELDS if view.analytics_refused else set())
    view.segments = _segments(
        _rows(
            con,
            "select segment_id, channel from marts.segment_members "
            "where customer_id = $1 order by segment_id",
            [key],
        ),
        {c["purpose"]: c["is_granted"] for c in view.consent},
    )
    view.records = _records(con, key)
    if view.analytics_refused:
        # a site or app install's record is seen when it visits: its time is a visit's
        for record in view.records:
            if record["source"] == "web":
                record["last_observed_at"] = None
    view.joins = _joins(con, key)
    view.id_history = _id_history(con, key)
    _timeline(view, _events(con, key, with_analytics=not view.analytics_refused), limit)
    return view


def _load_pseudonymized(con: duckdb.DuckDBPyConnection, key: str, limit: int) -> CustomerView:
    row = _one_row(
        con, "select * from pseudonymized.customer_profiles where customer_pseudonym = $1", [key]
    )
    if row is None:
        return None
    view = CustomerView(key=key, pseudonymized=True, profile=_profile(row, ANALYTICS_FIELDS))
    view.segments = _segments(
        _rows(
            con,
            "select segment_id, channel from pseudonymized.segment_members "
            "where customer_pseudonym = $1 order by segment_id",
            [key],
        ),
        None,
    )
    view.reasons.append(
        "Pseudonymized mode reads schema pseudonymized only: no direct personal data, and no "
        "source records, identifiers, merge history or consent, which live outside it."
    )
    view.reasons.append(
        "The timeline is the customer's daily activity of pseudonymized.customer_activity_daily, "
        "which holds no rows for a customer who refused analytics; the profile's engagement "
        "traits (site and app events, email opens and clicks) are not shown, since a refusal "
        "cannot be read in this schema."
    )
    daily = _rows(
        con,
        """
        select * from pseudonymized.customer_activity_daily
        where customer_pseudonym = $1
        order by activity_date desc
        """,
        [key],
    )
    events = []
    for day in daily:
        parts = [
            f"{day[column]} {label}"
            for column, label in (
                ("web_event_count", "site and app events"),
                ("product_view_count", "product views"),
                ("order_count", "orders"),
                ("cancelled_or_refunded_order_count", "cancelled or refunded"),
                ("email_open_count", "email opens"),
                ("email_click_count", "email clicks"),
            )
            if day[column]
        ]
        if day["net_revenue_eur"]:
            parts.append(f"{_money(day['net_revenue_eur'])} EUR net revenue")
        events.append(Event(day["activity_date"], "activity", "Daily activity", ", ".join(parts)))
    _timeline(view, events, limit)
    return view


def _one_row(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> dict[str, Any] | None:
    rows = _rows(con, sql, params)
    return rows[0] if rows else None


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _profile(row: dict[str, Any], hidden: set[str] | frozenset[str]):
    sections: dict[str, list[tuple[str, Any]]] = {}
    for section, column, label in PROFILE_FIELDS:
        if column in row and column not in hidden:
            sections.setdefault(section, []).append((label, row[column]))
    return list(sections.items())


def _segments(rows: list[dict[str, Any]], granted: dict[str, bool] | None):
    """Each segment with what it is for and, when consent can be read, whether the customer's
    consent lets the audience export hold them."""
    try:
        audiences = load_audiences()
    except (OSError, SegmentDefinitionError):
        audiences = None
    for row in rows:
        channel = audiences.channels.get(row["channel"]) if audiences else None
        declared = {s.name: s for s in audiences.segments} if audiences else {}
        segment = declared.get(row["segment_id"])
        row["description"] = segment.description if segment else ""
        row["purposes"] = list(channel.purposes) if channel else []
        row["exported"] = (
            None
            if granted is None or channel is None
            else all(granted.get(p, False) for p in channel.purposes)
        )
    return rows


def _records(con: duckdb.DuckDBPyConnection, customer_id: str) -> list[dict[str, Any]]:
    """The customer's source records, each with its identifiers and whether each one joins
    records (a guarded identifier does not, with the guard's reason)."""
    records = _rows(
        con,
        """
        select records.source, records.record_id, records.last_observed_at,
            records.is_deleted_at_source, ids.customer_first_issued_at,
            ids.previous_customer_id, clusters.split_off_by
        from marts.customer_source_records as records
        left join intermediate.int_identity__customer_ids as ids
            on ids.record_key = records.source || ':' || records.record_id
        left join intermediate.int_identity__clusters as clusters
            on clusters.record_key = ids.record_key
        where records.customer_id = $1
        order by records.source, records.last_observed_at desc nulls last, records.record_id
        """,
        [customer_id],
    )
    identifiers = _rows(
        con,
        """
        select identifiers.record_key, identifiers.identifier_type, identifiers.identifier_value,
            guards.guard_reason
        from intermediate.int_identity__identifiers as identifiers
        inner join intermediate.int_identity__customer_ids as ids
            on identifiers.record_key = ids.record_key
        left join intermediate.int_identity__identifier_guards as guards
            on identifiers.identifier_key = guards.identifier_key
        where ids.customer_id = $1
        order by identifiers.identifier_type, identifiers.identifier_value
        """,
        [customer_id],
    )
    by_record: dict[str, list[dict[str, Any]]] = {}
    for identifier in identifiers:
        by_record.setdefault(identifier.pop("record_key"), []).append(identifier)
    for record in records:
        record["identifiers"] = by_record.get(f"{record['source']}:{record['record_id']}", [])
    return records


def _joins(con: duckdb.DuckDBPyConnection, customer_id: str) -> list[dict[str, Any]]:
    """How the customer's records were joined: identifiers two or more of them share (those a
    guard stops from joining included), and the probabilistic matcher's pairs that touch them,
    accepted or refused."""
    shared = _rows(
        con,
        """
        with mine as (
            select record_key from intermediate.int_identity__customer_ids
            where customer_id = $1
        ),
        carried as (
            select identifiers.identifier_key, identifiers.identifier_type,
                identifiers.identifier_value, identifiers.record_key,
                ids.customer_id
            from intermediate.int_identity__identifiers as identifiers
            inner join intermediate.int_identity__customer_ids as ids
                on identifiers.record_key = ids.record_key
            where identifiers.identifier_key in (
                select identifier_key from intermediate.int_identity__identifiers
                where record_key in (select record_key from mine)
            )
        )
        select carried.identifier_type, carried.identifier_value, guards.guard_reason,
            list(distinct carried.record_key order by carried.record_key)
                filter (where carried.customer_id = $1) as records,
            count(distinct carried.customer_id) filter (where carried.customer_id <> $1)
                as other_customers
        from carried
        left join intermediate.int_identity__identifier_guards as guards
            on carried.identifier_key = guards.identifier_key
        group by all
        having len(records) > 1 or other_customers > 0
        order by guards.guard_reason nulls first, carried.identifier_type,
            carried.identifier_value
        """,
        [customer_id],
    )
    joins = []
    for row in shared:
        if row["guard_reason"] is None:
            how = "shared identifier"
            outcome = "joins the records"
        else:
            how = "guarded identifier"
            outcome = f"joins nothing ({row['guard_reason'].replace('_', ' ')})"
        if row["other_customers"]:
            outcome += f"; also on {row['other_customers']} other profile(s)"
        joins.append(
            {
                "how": how,
                "what": f"{row['identifier_type']} {row['identifier_value']}",
                "records": row["records"],
                "outcome": outcome,
            }
        )
    fuzzy = _rows(
        con,
        """
        select matches.left_record_key, matches.right_record_key, matches.match_probability,
            matches.refused_by, lefts.customer_id as left_customer,
            rights.customer_id as right_customer
        from intermediate.int_identity__fuzzy_matches as matches
        inner join intermediate.int_identity__customer_ids as lefts
            on matches.left_record_key = lefts.record_key
        inner join intermediate.int_identity__customer_ids as rights
            on matches.right_record_key = rights.record_key
        where $1 in (lefts.customer_id, rights.customer_id)
        order by matches.match_probability desc, matches.left_record_key
        """,
        [customer_id],
    )
    for row in fuzzy:
        if row["refused_by"] is None:
            outcome = "joins the records"
        else:
            outcome = f"kept apart ({row['refused_by'].replace('_', ' ')})"
        if row["left_customer"] != row["right_customer"]:
            other = (
                row["right_customer"]
                if row["left_customer"] == customer_id
                else row["left_customer"]
            )
            outcome += f"; the other record is on {other}"
        joins.append(
            {
                "how": "probabilistic match",
                "what": f"probability {row['match_probability']:.4f}",
                "records": [row["left_record_key"], row["right_record_key"]],
                "outcome": outcome,
            }
        )
    return joins


def _id_history(con: duckdb.DuckDBPyConnection, customer_id: str) -> list[dict[str, Any]]:
    """The id changes over runs that led to this customer id or came from it: profiles merged
    into it (and into those, earlier) and records split off from it."""
    return _rows(
        con,
        """
        with recursive merged_in(customer_id, depth) as (
            select $1, 0
            union
            select changes.previous_customer_id, merged_in.depth + 1
            from intermediate.int_identity__customer_id_changes as changes
            inner join merged_in on changes.customer_id = merged_in.customer_id
            where changes.change_reason = 'merged' and merged_in.depth < 50
        )
        select distinct changes.changed_at, changes.change_reason,
            changes.previous_customer_id, changes.customer_id, changes.records_moved
        from intermediate.int_identity__customer_id_changes as changes
        where changes.customer_id in (select customer_id from merged_in)
            or changes.previous_customer_id = $1
        order by changes.changed_at desc, changes.previous_customer_id
        """,
        [customer_id],
    )


def _events(con: duckdb.DuckDBPyConnection, customer_id: str, *, with_analytics: bool):
    """The customer's orders, messages, support tickets and, only ``with_analytics``, site and
    app visits (one line per day and platform) and email opens and clicks."""
    events = [
        Event(
            r["ordered_at"],
            "order",
            f"Order {r['order_id']} ({r['order_status']})",
            f"{_money(r['total_amount_eur'])} EUR, {r['order_channel']}"
            + (", guest checkout" if r["is_guest_checkout"] else "")
            + ("" if r["is_revenue"] else ", no revenue"),
        )
        for r in _rows(
            con,
            "select * from intermediate.int_orders_attributed where customer_id = $1",
            [customer_id],
        )
    ]
    tracking = [] if with_analytics else list(TRACKING_ACTIVITY)
    for r in _rows(
        con,
        """
        select activity.activity_type, activity.occurred_at, activity.campaign_id,
            campaigns.campaign_name
        from intermediate.int_email_activity_attributed as activity
        left join staging.stg_marketing__campaigns as campaigns
            on activity.campaign_id = campaigns.campaign_id
        where activity.customer_id = $1 and activity.activity_type not in $2
        """,
        [customer_id, tracking or ["-"]],
    ):
        events.append(
            Event(
                r["occurred_at"],
                "message",
                f"Newsletter {r['activity_type']}",
                r["campaign_name"] or r["campaign_id"] or "",
            )
        )
    for r in _rows(
        con,
        """
        select tickets.ticket_id, tickets.opened_at, tickets.closed_at, tickets.channel,
            tickets.topic, tickets.ticket_status, tickets.message_count,
            case when not tickets.is_csat_out_of_range then tickets.csat_score end as csat
        from staging.stg_support__tickets as tickets
        inner join intermediate.int_identity__customer_ids as ids
            on ids.record_key = 'support:' || tickets.ticket_id
        where ids.customer_id = $1
        """,
        [customer_id],
    ):
        detail = f"{r['topic'] or 'no topic'}, by {r['channel']}, {r['message_count']} messages"
        if r["csat"] is not None:
            detail += f", CSAT {r['csat']}"
        events.append(
            Event(
                r["opened_at"], "ticket", f"Ticket {r['ticket_id']} ({r['ticket_status']})", detail
            )
        )
    if with_analytics:
        for r in _rows(
            con,
            """
            select occurred_date, platform, min(occurred_at) as first_at, count(*) as events,
                list(event_type order by occurred_at) as types
            from intermediate.int_web_events_attributed
            where customer_id = $1
            group by occurred_date, platform
            """,
            [customer_id],
        ):
            counts: dict[str, int] = {}
            for event_type in r["types"]:
                counts[event_type] = counts.get(event_type, 0) + 1
            detail = ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in counts.items())
            events.append(
                Event(
                    r["first_at"],
                    "visit",
                    f"Visit on {r['platform']} ({r['events']} events)",
                    detail,
                )
            )
    return events


def _timeline(view: CustomerView, events: list[Event], limit: int) -> None:
    def moment(event: Event) -> datetime:
        at = event.at
        if not isinstance(at, datetime):
            return datetime(at.year, at.month, at.day)
        return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at

    events = [e for e in events if e.at is not None]
    events.sort(key=moment, reverse=True)
    view.timeline_total = len(events)
    view.timeline_counts = {
        kind: sum(1 for e in events if e.kind == kind)
        for kind in TIMELINE_KINDS
        if any(e.kind == kind for e in events)
    }
    view.timeline = events[: max(limit, 0)]


def _money(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def display(value: Any) -> str:
    """A value as the views show it: dates and times to the minute (UTC), lists joined,
    booleans as yes/no, a missing value as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(display(v) for v in value) if value else "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)
