-- Engagement traits per customer: newsletter sends, opens and clicks; site and app events;
-- help-desk tickets and their satisfaction (CSAT); social media mentions; and whether a
-- newsletter list counts them as subscribed. One row per customer with any of these.
with

email_activity as (

    select * from {{ ref('int_email_activity_attributed') }}
    where customer_id is not null

),

web_events as (

    select * from {{ ref('int_web_events_attributed') }}
    where customer_id is not null

),

customer_ids as (

    select * from {{ ref('int_identity__customer_ids') }}

),

tickets as (

    select
        customer_ids.customer_id,
        tickets.ticket_id,
        tickets.opened_at,
        case when not tickets.is_csat_out_of_range then tickets.csat_score end as csat_score
    from {{ ref('stg_support__tickets') }} as tickets
    inner join customer_ids
        on customer_ids.record_key = {{ record_key('support', 'tickets') }}

),

mentions as (

    select
        customer_ids.customer_id,
        mentions.posted_at
    from {{ ref('stg_social__mentions') }} as mentions
    inner join customer_ids
        on customer_ids.record_key = {{ record_key('social', 'mentions') }}

),

subscribers as (

    select
        customer_ids.customer_id,
        subscribers.subscription_status
    from {{ ref('stg_newsletter__subscribers') }} as subscribers
    inner join customer_ids
        on customer_ids.record_key = {{ record_key('newsletter', 'subscribers') }}
    where not subscribers.is_deleted

),

email_summary as (

    select
        email_activity.customer_id,
        count(*) filter (where email_activity.activity_type = 'sent') as email_sent_count,
        count(*) filter (where email_activity.activity_type = 'open') as email_open_count,
        count(*) filter (where email_activity.activity_type = 'click') as email_click_count,
        max(email_activity.occurred_at) filter (
            where email_activity.activity_type in ('open', 'click')
        ) as last_email_engagement_at
    from email_activity
    group by email_activity.customer_id

),

web_summary as (

    select
        web_events.customer_id,
        count(*) as web_event_count,
        min(web_events.occurred_at) as first_web_event_at,
        max(web_events.occurred_at) as last_web_event_at
    from web_events
    group by web_events.customer_id

),

ticket_summary as (

    select
        tickets.customer_id,
        count(*) as support_ticket_count,
        cast(avg(tickets.csat_score) as decimal(3, 2)) as average_csat,
        max(tickets.opened_at) as last_ticket_at
    from tickets
    group by tickets.customer_id

),

mention_summary as (

    select
        mentions.customer_id,
        count(*) as social_mention_count,
        max(mentions.posted_at) as last_social_mention_at
    from mentions
    group by mentions.customer_id

),

subscriber_summary as (

    select
        subscribers.customer_id,
        bool_or(subscribers.subscription_status = 'subscribed') as is_newsletter_subscribed
    from subscribers
    group by subscribers.customer_id

),

customers as (

    select customer_id from email_summary
    union
    select customer_id from web_summary
    union
    select customer_id from ticket_summary
    union
    select customer_id from mention_summary
    union
    select customer_id from subscriber_summary

),

final as (

    select
        customers.customer_id,
        coalesce(email_summary.email_sent_count, 0) as email_sent_count,
        coalesce(email_summary.email_open_count, 0) as email_open_count,
        coalesce(email_summary.email_click_count, 0) as email_click_count,
        email_summary.last_email_engagement_at,
        coalesce(subscriber_summary.is_newsletter_subscribed, false) as is_newsletter_subscribed,
        coalesce(web_summary.web_event_count, 0) as web_event_count,
        web_summary.first_web_event_at,
        web_summary.last_web_event_at,
        coalesce(ticket_summary.support_ticket_count, 0) as support_ticket_count,
        ticket_summary.average_csat,
        ticket_summary.last_ticket_at,
        coalesce(mention_summary.social_mention_count, 0) as social_mention_count,
        mention_summary.last_social_mention_at
    from customers
    left join email_summary
        on customers.customer_id = email_summary.customer_id
    left join web_summary
        on customers.customer_id = web_summary.customer_id
    left join ticket_summary
        on customers.customer_id = ticket_summary.customer_id
    left join mention_summary
        on customers.customer_id = mention_summary.customer_id
    left join subscriber_summary
        on customers.customer_id = subscriber_summary.customer_id

)

select * from final
