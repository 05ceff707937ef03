-- The day the warehouse's data is current to: the newest export date among the sources that
-- record customer activity. Recency, tenure and "days since" traits count to this day, so a
-- rebuild of the same exports gives the same traits whenever it runs.
with

export_dates as (

    select max(export_date) as export_date from {{ ref('stg_shop__orders') }}
    union all
    select max(export_date) from {{ ref('stg_web__events') }}
    union all
    select max(export_date) from {{ ref('stg_newsletter__activity') }}
    union all
    select max(last_seen_export_date) from {{ ref('stg_subscriptions__subscriptions') }}
    union all
    select max(export_date) from {{ ref('stg_crm__contacts') }}

),

final as (

    select max(export_dates.export_date) as as_of_date
    from export_dates

)

select * from final
