-- One row per campaign of the catalogue: how many customers it touched, the leads and orders it
-- is credited with, and what they cost.
--
-- Attribution rule (last touch, var attribution_window_days, 30 days by default):
-- - a lead is a customer first identified (int_customers_first_identified) at most the window
--   after a touch; the lead goes to the campaign of the last touch before that moment;
-- - an order that brought revenue goes to the campaign of the last touch at or before it
--   within the window; an order tagged with a campaign is its own touch.
-- A touch is a tagged visit, a tagged order, or an open or click of the campaign's email
-- (int_campaign_touches_unioned). Each lead and order is credited to one campaign at most.
{%- set window_days = var('attribution_window_days') %}
with

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

touches as (

    select * from {{ ref('int_campaign_touches_unioned') }}

),

first_identified as (

    select * from {{ ref('int_customers_first_identified') }}

),

orders as (

    select * from {{ ref('int_orders_attributed') }}
    where customer_id is not null and is_revenue

),

lead_touches as (

    select
        first_identified.customer_id,
        touches.campaign_id,
        row_number() over (
            partition by first_identified.customer_id
            order by touches.touched_at desc, touches.campaign_id asc
        ) as touch_rank
    from first_identified
    inner join touches
        on
            first_identified.customer_id = touches.customer_id
            and first_identified.first_identified_at >= touches.touched_at
            and touches.touched_at
            >= first_identified.first_identified_at - {{ days_interval(window_days) }}

),

leads as (

    select
        lead_touches.campaign_id,
        count(*) as lead_count
    from lead_touches
    where lead_touches.touch_rank = 1
    group by lead_touches.campaign_id

),

order_touches as (

    select
        orders.order_id,
        orders.customer_id,
        orders.net_revenue_eur,
        touches.campaign_id,
        row_number() over (
            partition by orders.order_id
            order by touches.touched_at desc, touches.campaign_id asc
        ) as touch_rank
    from orders
    inner join touches
        on
            orders.customer_id = touches.customer_id
            and orders.ordered_at >= touches.touched_at
            and touches.touched_at >= orders.ordered_at - {{ days_interval(window_days) }}

),

conversions as (

    select
        order_touches.campaign_id,
        count(*) as conversion_count,
        count(distinct order_touches.customer_id) as converted_customer_count,
        sum(order_touches.net_revenue_eur) as attributed_revenue_eur
    from order_touches
    where order_touches.touch_rank = 1
    group by order_touches.campaign_id

),

reach as (

    select
        touches.campaign_id,
        count(*) as touch_count,
        count(distinct touches.customer_id) as touched_customer_count
    from touches
    group by touches.campaign_id

),

final as (

    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.channel,
        campaigns.utm_campaign,
        campaigns.starts_on,
        campaigns.ends_on,
        campaigns.budget_eur,
        campaigns.is_deleted as is_removed_from_catalogue,
        coalesce(reach.touch_count, 0) as touch_count,
        coalesce(reach.touched_customer_count, 0) as touched_customer_count,
        coalesce(leads.lead_count, 0) as lead_count,
        coalesce(conversions.conversion_count, 0) as conversion_count,
        coalesce(conversions.converted_customer_count, 0) as converted_customer_count,
        cast(coalesce(conversions.attributed_revenue_eur, 0) as decimal(14, 2))
            as attributed_revenue_eur,
        {{ eur_divided('campaigns.budget_eur', 'leads.lead_count') }} as cost_per_lead_eur,
        {{ eur_divided('campaigns.budget_eur', 'conversions.conversion_count') }}
            as cost_per_conversion_eur,
        cast(
            coalesce(conversions.attributed_revenue_eur, 0) / nullif(campaigns.budget_eur, 0)
            as decimal(10, 2)
        ) as return_on_budget
    from campaigns
    left join reach
        on campaigns.campaign_id = reach.campaign_id
    left join leads
        on campaigns.campaign_id = leads.campaign_id
    left join conversions
        on campaigns.campaign_id = conversions.campaign_id

)

select * from final
