-- Every time a customer met a campaign of the catalogue: a site or app visit tagged with the
-- campaign's utm_campaign, an order tagged with it, or an open or click of its email. Visits
-- made before the install identified itself count for the customer it turned out to be.
with

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

web_events as (

    select * from {{ ref('int_web_events_attributed') }}

),

orders as (

    select * from {{ ref('int_orders_attributed') }}

),

email_activity as (

    select * from {{ ref('int_email_activity_attributed') }}

),

web_touches as (

    select
        web_events.customer_id,
        campaigns.campaign_id,
        web_events.occurred_at as touched_at,
        'web_visit' as touch_type
    from web_events
    inner join campaigns
        on web_events.utm_campaign = campaigns.utm_campaign
    where web_events.customer_id is not null

),

order_touches as (

    select
        orders.customer_id,
        campaigns.campaign_id,
        orders.ordered_at as touched_at,
        'order' as touch_type
    from orders
    inner join campaigns
        on orders.utm_campaign = campaigns.utm_campaign
    where orders.customer_id is not null

),

email_touches as (

    select
        email_activity.customer_id,
        email_activity.campaign_id,
        email_activity.occurred_at as touched_at,
        'email_' || email_activity.activity_type as touch_type
    from email_activity
    inner join campaigns
        on email_activity.campaign_id = campaigns.campaign_id
    where
        email_activity.customer_id is not null
        and email_activity.activity_type in ('open', 'click')

),

unioned as (

    select * from web_touches
    union all
    select * from order_touches
    union all
    select * from email_touches

)

select * from unioned
