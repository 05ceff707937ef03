-- Purchase traits per customer who ever ordered: orders and net revenue (cancelled and refunded
-- orders bring none), average order value, the channel they buy in, and recency, frequency and
-- monetary scores with their named RFM segment (thresholds in dbt_project.yml vars).
with

orders as (

    select * from {{ ref('int_orders_attributed') }}
    where customer_id is not null

),

as_of as (

    select * from {{ ref('int_data_as_of') }}

),

channel_ranked as (

    select
        orders.customer_id,
        orders.order_channel,
        row_number() over (
            partition by orders.customer_id
            order by count(*) desc, max(orders.ordered_at) desc, orders.order_channel
        ) as channel_rank
    from orders
    group by orders.customer_id, orders.order_channel

),

summarized as (

    select
        orders.customer_id,
        count(*) filter (where orders.is_revenue) as order_count,
        count(*) filter (where not orders.is_revenue) as cancelled_or_refunded_order_count,
        min(orders.ordered_at) filter (where orders.is_revenue) as first_order_at,
        max(orders.ordered_at) filter (where orders.is_revenue) as last_order_at,
        max(orders.ordered_at) as last_order_attempt_at,
        cast(sum(orders.net_revenue_eur) as decimal(14, 2)) as net_revenue_eur
    from orders
    group by orders.customer_id

),

scored as (

    select
        summarized.*,
        {{ eur_divided('summarized.net_revenue_eur', 'summarized.order_count') }}
            as average_order_value_eur,
        {{ dates_diff('day', 'cast(summarized.last_order_at as date)', 'as_of.as_of_date') }}
            as days_since_last_order
    from summarized
    cross join as_of

),

final as (

    select
        scored.customer_id,
        scored.order_count,
        scored.cancelled_or_refunded_order_count,
        scored.first_order_at,
        scored.last_order_at,
        scored.last_order_attempt_at,
        scored.net_revenue_eur,
        scored.average_order_value_eur,
        scored.days_since_last_order,
        channel_ranked.order_channel as preferred_channel,
        {{ score_by_thresholds(
            'scored.days_since_last_order', var('rfm_recency_days'), 'at_most'
        ) }} as recency_score,
        case
            when scored.order_count > 0 then
                {{ score_by_thresholds('scored.order_count', var('rfm_frequency_orders')) }}
        end as frequency_score,
        case
            when scored.order_count > 0 then
                {{ score_by_thresholds('scored.net_revenue_eur', var('rfm_monetary_eur')) }}
        end as monetary_score
    from scored
    left join channel_ranked
        on
            scored.customer_id = channel_ranked.customer_id
            and channel_ranked.channel_rank = 1

)

select
    *,
    {{ rfm_segment('recency_score', 'frequency_score', 'monetary_score') }} as rfm_segment
from final
