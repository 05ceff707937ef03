-- What history each source brings: its staged records and the days they span, by the
-- records' own time (an event's occurred_at, an order's ordered_at, a contact's created_at),
-- and the export days they came from. A daily series that combines sources is comparable only
-- from the latest first_activity_on of the sources it reads: the site's events, for one, begin
-- later than the shop's orders, and daily active customers jump on the day they do.
with

coverage as (

    {{ source_coverage_row(ref('stg_crm__contacts'), 'crm', 'contacts', 'created_at') }}
    union all
    {{ source_coverage_row(ref('stg_shop__accounts'), 'shop', 'accounts', 'created_at') }}
    union all
    {{ source_coverage_row(ref('stg_shop__orders'), 'shop', 'orders', 'ordered_at') }}
    union all
    {{ source_coverage_row(ref('stg_web__events'), 'web', 'events', 'occurred_at') }}
    union all
    {{ source_coverage_row(
        ref('stg_newsletter__subscribers'), 'newsletter', 'subscribers', 'opted_in_at',
        export_date='last_seen_export_date',
    ) }}
    union all
    {{ source_coverage_row(
        ref('stg_newsletter__activity'), 'newsletter', 'activity', 'occurred_at',
    ) }}
    union all
    {{ source_coverage_row(
        ref('stg_subscriptions__subscriptions'), 'subscriptions', 'subscriptions', 'started_at',
        export_date='last_seen_export_date',
    ) }}
    union all
    {{ source_coverage_row(ref('stg_surveys__nps'), 'surveys', 'nps', 'submitted_at') }}
    union all
    {{ source_coverage_row(
        ref('stg_surveys__preferences'), 'surveys', 'preferences', 'submitted_on',
    ) }}
    union all
    {{ source_coverage_row(ref('stg_support__tickets'), 'support', 'tickets', 'opened_at') }}
    union all
    {{ source_coverage_row(ref('stg_social__mentions'), 'social', 'mentions', 'posted_at') }}
    union all
    {{ source_coverage_row(
        ref('stg_consent__events'), 'consent', 'consent_events', 'captured_at',
    ) }}
    union all
    {{ source_coverage_row(
        ref('stg_privacy__erasure_requests'), 'privacy', 'erasure_requests', 'received_at',
    ) }}
    union all
    {{ source_coverage_row(
        ref('stg_marketing__campaigns'), 'marketing', 'campaigns', 'starts_on',
        export_date='last_seen_export_date',
    ) }}

)

select
    coverage.source,
    coverage.entity,
    coverage.staging_model,
    coverage.record_count,
    coverage.activity_column,
    coverage.first_activity_on,
    coverage.last_activity_on,
    coverage.first_export_date,
    coverage.last_export_date
from coverage
