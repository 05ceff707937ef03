-- Every site and app event with its customer: the one the browser or app install resolved to,
-- so the pages an install saw before it identified count for the customer it turned out to be.
-- A table: the activity, campaign and engagement models all read it.
{{ config(materialized='table') }}
with

events as (

    select * from {{ ref('stg_web__events') }}

),

customer_ids as (

    select * from {{ ref('int_identity__customer_ids') }}

),

attributed as (

    select
        events.event_id,
        install_customers.customer_id,
        events.anonymous_id,
        events.event_type,
        events.occurred_at,
        cast(events.occurred_at as date) as occurred_date,
        events.platform,
        events.utm_campaign,
        events.account_id is not null or events.email is not null as is_identifying
    from events
    left join customer_ids as install_customers
        on install_customers.record_key = 'web:' || events.anonymous_id

)

select * from attributed
