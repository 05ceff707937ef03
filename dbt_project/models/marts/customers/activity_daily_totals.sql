-- One row per UTC day: the activity of every customer added up, those who refused analytics
-- included, with no customer column. Totals reconcile with the profiles; per-customer trends
-- come from customer_activity_daily, which leaves the refusals out.
with

activity as (

    select * from {{ ref('int_customer_activity_daily') }}

),

final as (

    select
        activity.activity_date,
        count(*) as active_customer_count,
        count(*) filter (where activity.order_count > 0) as buying_customer_count,
        cast(sum(activity.web_event_count) as bigint) as web_event_count,
        cast(sum(activity.product_view_count) as bigint) as product_view_count,
        cast(sum(activity.order_count) as bigint) as order_count,
        cast(sum(activity.cancelled_or_refunded_order_count) as bigint)
            as cancelled_or_refunded_order_count,
        cast(sum(activity.net_revenue_eur) as decimal(14, 2)) as net_revenue_eur,
        cast(sum(activity.email_open_count) as bigint) as email_open_count,
        cast(sum(activity.email_click_count) as bigint) as email_click_count
    from activity
    group by activity.activity_date

)

select * from final
