-- One row per UTC day: the activity of every customer added up, those who refused analytics
-- included, with no customer column. Totals reconcile with the profiles; per-customer trends
-- come from customer_activity_daily, which leaves the refusals out. The countries' rows of
-- activity_daily_by_country added up (each customer counts in one country).
with

by_country as (

    select * from {{ ref('activity_daily_by_country') }}

),

final as (

    select
        by_country.activity_date,
        cast(sum(by_country.active_customer_count) as bigint) as active_customer_count,
        cast(sum(by_country.buying_customer_count) as bigint) as buying_customer_count,
        cast(sum(by_country.web_event_count) as bigint) as web_event_count,
        cast(sum(by_country.product_view_count) as bigint) as product_view_count,
        cast(sum(by_country.order_count) as bigint) as order_count,
        cast(sum(by_country.cancelled_or_refunded_order_count) as bigint)
            as cancelled_or_refunded_order_count,
        cast(sum(by_country.net_revenue_eur) as decimal(14, 2)) as net_revenue_eur,
        cast(sum(by_country.email_open_count) as bigint) as email_open_count,
        cast(sum(by_country.email_click_count) as bigint) as email_click_count
    from by_country
    group by by_country.activity_date

)

select * from final
