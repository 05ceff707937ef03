-- One row per unified customer: the golden record chosen by the survivorship rules
-- (dbt_project/identity/survivorship.yml), where the customer was seen, and the traits a
-- marketer works with (purchases and RFM, recipe box, engagement, surveys), with a
-- completeness score naming what the profile lacks.
{%- set completeness_attributes = var('profile_completeness_attributes') %}
with

golden as (

    select * from {{ ref('int_identity__golden_records') }}

),

source_records as (

    select * from {{ ref('customer_source_records') }}

),

customer_ids as (

    select
        customer_id,
        min(customer_first_issued_at) as customer_since
    from {{ ref('int_identity__customer_ids') }}
    group by customer_id

),

first_identified as (

    select * from {{ ref('int_customers_first_identified') }}

),

orders as (

    select * from {{ ref('int_customer_orders_summarized') }}

),

subscriptions as (

    select * from {{ ref('int_customer_subscriptions_summarized') }}

),

engagement as (

    select * from {{ ref('int_customer_engagement_summarized') }}

),

surveys as (

    select * from {{ ref('int_customer_survey_answers_summarized') }}

),

seen as (

    select
        source_records.customer_id,
        count(*) as source_record_count,
        {{ sorted_set_agg('source_records.source') }} as sources,
        min(source_records.last_observed_at) as first_record_observed_at,
        max(source_records.last_observed_at) as last_record_observed_at
    from source_records
    group by source_records.customer_id

),

joined as (

    select
        golden.customer_id,
        golden.first_name,
        golden.last_name,
        golden.email,
        golden.phone,
        golden.birth_date,
        golden.street,
        golden.postcode,
        golden.city,
        golden.country_code,
        golden.language_code,
        seen.sources,
        seen.source_record_count,
        least(
            seen.first_record_observed_at,
            first_identified.first_identified_at,
            orders.first_order_at,
            engagement.first_web_event_at
        ) as first_seen_at,
        greatest(
            seen.last_record_observed_at,
            orders.last_order_attempt_at,
            engagement.last_web_event_at,
            engagement.last_email_engagement_at,
            engagement.last_ticket_at,
            engagement.last_social_mention_at
        ) as last_seen_at,
        customer_ids.customer_since,
        first_identified.first_identified_at,
        coalesce(orders.order_count, 0) as order_count,
        coalesce(orders.cancelled_or_refunded_order_count, 0) as cancelled_or_refunded_order_count,
        orders.first_order_at,
        orders.last_order_at,
        orders.days_since_last_order,
        coalesce(orders.net_revenue_eur, 0) as net_revenue_eur,
        orders.average_order_value_eur,
        orders.recency_score,
        orders.frequency_score,
        orders.monetary_score,
        coalesce(orders.rfm_segment, 'no_purchase') as rfm_segment,
        coalesce(subscriptions.subscription_value_eur, 0) as subscription_value_eur,
        cast(
            coalesce(orders.net_revenue_eur, 0) + coalesce(subscriptions.subscription_value_eur, 0)
            as decimal(14, 2)
        ) as historical_value_eur,
        coalesce(subscriptions.subscription_status, 'never') as subscription_status,
        subscriptions.subscription_plan_code,
        subscriptions.subscription_started_at,
        subscriptions.subscription_tenure_days,
        coalesce(engagement.email_sent_count, 0) as email_sent_count,
        coalesce(engagement.email_open_count, 0) as email_open_count,
        coalesce(engagement.email_click_count, 0) as email_click_count,
        engagement.last_email_engagement_at,
        coalesce(engagement.is_newsletter_subscribed, false) as is_newsletter_subscribed,
        coalesce(engagement.web_event_count, 0) as web_event_count,
        engagement.last_web_event_at,
        surveys.latest_nps_score,
        surveys.latest_nps_category,
        surveys.latest_nps_at,
        surveys.satisfaction_score,
        surveys.diet_tags,
        surveys.household_size,
        orders.preferred_channel,
        coalesce(engagement.support_ticket_count, 0) as support_ticket_count,
        engagement.average_csat,
        coalesce(engagement.social_mention_count, 0) as social_mention_count
    from golden
    inner join seen
        on golden.customer_id = seen.customer_id
    inner join customer_ids
        on golden.customer_id = customer_ids.customer_id
    left join first_identified
        on golden.customer_id = first_identified.customer_id
    left join orders
        on golden.customer_id = orders.customer_id
    left join subscriptions
        on golden.customer_id = subscriptions.customer_id
    left join engagement
        on golden.customer_id = engagement.customer_id
    left join surveys
        on golden.customer_id = surveys.customer_id

),

completeness as (

    select
        joined.*,
        {%- set missing = [] %}
        {%- for attribute in completeness_attributes %}
            {%- do missing.append(
                "case when joined." ~ attribute ~ " is null then '" ~ attribute ~ "' end"
            ) %}
        {%- endfor %}
        {{ array_where(array_of(missing), 'element is not null') }} as missing_attributes
    from joined

),

final as (

    select
        completeness.*,
        round(
            1
            - {{ array_length('completeness.missing_attributes') }}
            / {{ completeness_attributes | length }},
            2
        ) as completeness_score
    from completeness

)

select * from final
