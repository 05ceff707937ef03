-- When each customer first became known by name, email, phone or account: the earliest moment
-- any of their identified records appeared (a CRM contact or shop account created, a guest
-- order placed, a newsletter opt-in, a box started, a survey answered, a ticket opened, a social
-- post), or an app install first logged in or left an email. A profile made only of installs
-- that never identified has no row. Campaign leads are counted from this moment.
with

customer_ids as (

    select * from {{ ref('int_identity__customer_ids') }}

),

record_first_seen as (

    select
        {{ record_key('crm') }} as record_key,
        created_at as first_seen_at
    from {{ ref('stg_crm__contacts') }}
    union all
    select
        {{ record_key('shop_account') }} as record_key,
        created_at as first_seen_at
    from {{ ref('stg_shop__accounts') }}
    union all
    select
        {{ record_key('shop_order') }} as record_key,
        ordered_at as first_seen_at
    from {{ ref('stg_shop__orders') }}
    where is_guest_checkout
    union all
    select
        {{ record_key('newsletter') }} as record_key,
        opted_in_at as first_seen_at
    from {{ ref('stg_newsletter__subscribers') }}
    union all
    select
        {{ record_key('subscriptions') }} as record_key,
        started_at as first_seen_at
    from {{ ref('stg_subscriptions__subscriptions') }}
    union all
    select
        {{ record_key('surveys_nps') }} as record_key,
        submitted_at as first_seen_at
    from {{ ref('stg_surveys__nps') }}
    union all
    select
        {{ record_key('surveys_preferences') }} as record_key,
        cast(submitted_on as {{ timestamptz() }}) as first_seen_at
    from {{ ref('stg_surveys__preferences') }}
    union all
    select
        {{ record_key('support') }} as record_key,
        opened_at as first_seen_at
    from {{ ref('stg_support__tickets') }}
    union all
    select
        {{ record_key('social') }} as record_key,
        min(posted_at) as first_seen_at
    from {{ ref('stg_social__mentions') }}
    where social_handle is not null
    group by platform, social_handle
    union all
    select
        {{ record_key('web') }} as record_key,
        min(occurred_at) as first_seen_at
    from {{ ref('int_web_events_attributed') }}
    where is_identifying
    group by anonymous_id

),

final as (

    select
        customer_ids.customer_id,
        min(record_first_seen.first_seen_at) as first_identified_at
    from record_first_seen
    inner join customer_ids
        on record_first_seen.record_key = customer_ids.record_key
    where record_first_seen.first_seen_at is not null
    group by customer_ids.customer_id

)

select * from final
