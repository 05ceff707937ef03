-- marts.customer_profiles without direct personal data, for analysts without PII access.
-- customer_id becomes customer_pseudonym (keyed hash, pseudonymize()); the birth date becomes
-- the first year of its five-year band (1980 for 1980-1984); the postcode becomes its area,
-- country and first two characters (IT-20); names, email, phone, street and city are dropped,
-- with has_email and has_phone saying whether they are on file. Every other trait is kept.
with

profiles as (

    select * from {{ ref('customer_profiles') }}

),

final as (

    select
        pseudonymize(profiles.customer_id) as customer_pseudonym,
        cast(year(profiles.birth_date) - year(profiles.birth_date) % 5 as integer)
            as birth_year_band,
        case
            when profiles.postcode is not null
                then
                    coalesce(profiles.country_code, 'XX')
                    || '-'
                    || upper(left(replace(profiles.postcode, ' ', ''), 2))
        end as postcode_area,
        profiles.email is not null as has_email,
        profiles.phone is not null as has_phone,
        profiles.country_code,
        profiles.language_code,
        profiles.sources,
        profiles.source_record_count,
        profiles.first_seen_at,
        profiles.last_seen_at,
        profiles.customer_since,
        profiles.first_identified_at,
        profiles.order_count,
        profiles.cancelled_or_refunded_order_count,
        profiles.first_order_at,
        profiles.last_order_at,
        profiles.days_since_last_order,
        profiles.net_revenue_eur,
        profiles.average_order_value_eur,
        profiles.recency_score,
        profiles.frequency_score,
        profiles.monetary_score,
        profiles.rfm_segment,
        profiles.subscription_value_eur,
        profiles.historical_value_eur,
        profiles.subscription_status,
        profiles.subscription_plan_code,
        profiles.subscription_started_at,
        profiles.subscription_tenure_days,
        profiles.email_sent_count,
        profiles.email_open_count,
        profiles.email_click_count,
        profiles.last_email_engagement_at,
        profiles.is_newsletter_subscribed,
        profiles.web_event_count,
        profiles.last_web_event_at,
        profiles.latest_nps_score,
        profiles.latest_nps_category,
        profiles.latest_nps_at,
        profiles.satisfaction_score,
        profiles.diet_tags,
        profiles.household_size,
        profiles.preferred_channel,
        profiles.support_ticket_count,
        profiles.average_csat,
        profiles.social_mention_count,
        profiles.missing_attributes,
        profiles.completeness_score
    from profiles

)

select * from final
