-- One row per customer and day they did anything: site and app events, orders placed, net
-- revenue (EUR; cancelled and refunded orders bring none), newsletter opens and clicks.
-- Days are UTC calendar days. Activity that resolved to no customer is left out.
-- A view, so it stores nothing: the per-customer mart keeps only the customers who did not
-- object to analytics, and the daily totals add everyone up (both read this).
{{ config(materialized='view') }}

with

web_events as (

    select * from {{ ref('int_web_events_attributed') }}
    where customer_id is not null

),

orders as (

    select * from {{ ref('int_orders_attributed') }}
    where customer_id is not null

),

email_activity as (

    select * from {{ ref('int_email_activity_attributed') }}
    where customer_id is not null and activity_type in ('open', 'click')

),

web_days as (

    select
        web_events.customer_id,
        web_events.occurred_date as activity_date,
        count(*) as web_event_count,
        count(*) filter (where web_events.event_type = 'product_view') as product_view_count,
        0 as order_count,
        0 as cancelled_or_refunded_order_count,
        cast(0 as decimal(14, 2)) as net_revenue_eur,
        0 as email_open_count,
        0 as email_click_count
    from web_events
    group by all

),

order_days as (

    select
        orders.customer_id,
        orders.order_date as activity_date,
        0 as web_event_count,
        0 as product_view_count,
        count(*) filter (where orders.is_revenue) as order_count,
        count(*) filter (where not orders.is_revenue) as cancelled_or_refunded_order_count,
        sum(orders.net_revenue_eur) as net_revenue_eur,
        0 as email_open_count,
        0 as email_click_count
    from orders
    group by all

),

email_days as (

    select
        email_activity.customer_id,
        cast(email_activity.occurred_at as date) as activity_date,
        0 as web_event_count,
        0 as product_view_count,
        0 as order_count,
        0 as cancelled_or_refunded_order_count,
        cast(0 as decimal(14, 2)) as net_revenue_eur,
        count(*) filter (where email_activity.activity_type = 'open') as email_open_count,
        count(*) filter (where email_activity.activity_type = 'click') as email_click_count
    from email_activity
    group by all

),

unioned as (

    select * from web_days
    union all
    select * from order_days
    union all
    select * from email_days

),

final as (

    select
        unioned.customer_id,
        unioned.activity_date,
        {{ activity_measures_summed('unioned') }}
    from unioned
    group by unioned.customer_id, unioned.activity_date

)

select * from final
