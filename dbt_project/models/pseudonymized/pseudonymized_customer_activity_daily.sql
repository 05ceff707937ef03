-- marts.customer_activity_daily with customer_id replaced by customer_pseudonym (the same
-- keyed hash as in pseudonymized.customer_profiles, so the two join). Customers who refused
-- analytics are not in it, as they are not in the mart.
with

activity as (

    select * from {{ ref('customer_activity_daily') }}

),

final as (

    select
        pseudonymize(activity.customer_id) as customer_pseudonym,
        activity.activity_date,
        activity.web_event_count,
        activity.product_view_count,
        activity.order_count,
        activity.cancelled_or_refunded_order_count,
        activity.net_revenue_eur,
        activity.email_open_count,
        activity.email_click_count
    from activity

)

select * from final
