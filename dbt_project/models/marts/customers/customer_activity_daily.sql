-- One row per customer and day they did anything: site and app events, orders placed, net
-- revenue (EUR; cancelled and refunded orders bring none), newsletter opens and clicks.
-- Customers whose current analytics consent is refused (statuses in var
-- analytics_excluded_consent_statuses) have no rows here: their activity counts only in the
-- daily totals (activity_daily_totals), which hold no customer.
with

activity as (

    select * from {{ ref('int_customer_activity_daily') }}

),

analytics_objections as (

    select customer_id from {{ ref('customer_consent') }}
    where
        purpose = 'analytics'
        and consent_status in (
            {%- for status in var('analytics_excluded_consent_statuses') %}
                '{{ status }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )

),

final as (

    select activity.*
    from activity
    anti join analytics_objections
        on activity.customer_id = analytics_objections.customer_id

)

select * from final
