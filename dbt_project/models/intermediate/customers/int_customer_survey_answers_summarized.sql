-- Survey traits per customer who answered: the latest valid NPS score and its category
-- (promoter 9-10, passive 7-8, detractor 0-6), and from the preferences form the latest
-- satisfaction (1-5), diet tags and household size that could be mapped. Answers the platform
-- could not map are skipped here, so an older mapped answer can still speak. A household
-- given as a range ("3-4", "5+") counts as its lower bound.
with

customer_ids as (

    select * from {{ ref('int_identity__customer_ids') }}

),

nps as (

    select
        customer_ids.customer_id,
        nps.nps_score,
        nps.nps_category,
        nps.submitted_at
    from {{ ref('stg_surveys__nps') }} as nps
    inner join customer_ids
        on customer_ids.record_key = {{ record_key('surveys_nps', 'nps') }}
    where nps.is_score_valid

),

preferences as (

    select
        customer_ids.customer_id,
        preferences.submitted_on,
        preferences.survey_response_id,
        case when not preferences.is_satisfaction_unmapped then preferences.satisfaction end
            as satisfaction,
        case
            when
                not preferences.is_diet_unmapped
                and {{ array_length('preferences.diet_tags') }} > 0
                then preferences.diet_tags
        end as diet_tags,
        case
            when not preferences.is_household_size_unmapped
                then coalesce(preferences.household_size, preferences.household_size_min)
        end as household_size
    from {{ ref('stg_surveys__preferences') }} as preferences
    inner join customer_ids
        on customer_ids.record_key = {{ record_key('surveys_preferences', 'preferences') }}

),

latest_nps as (

    select
        nps.customer_id,
        max_by(nps.nps_score, nps.submitted_at) as latest_nps_score,
        max_by(nps.nps_category, nps.submitted_at) as latest_nps_category,
        max(nps.submitted_at) as latest_nps_at
    from nps
    group by nps.customer_id

),

latest_preferences as (

    select
        preferences.customer_id,
        max_by(
            preferences.satisfaction,
            (preferences.submitted_on, preferences.survey_response_id)
        ) filter (where preferences.satisfaction is not null) as satisfaction_score,
        max_by(
            preferences.diet_tags,
            (preferences.submitted_on, preferences.survey_response_id)
        ) filter (where preferences.diet_tags is not null) as diet_tags,
        max_by(
            preferences.household_size,
            (preferences.submitted_on, preferences.survey_response_id)
        ) filter (where preferences.household_size is not null) as household_size
    from preferences
    group by preferences.customer_id

),

customers as (

    select customer_id from latest_nps
    union
    select customer_id from latest_preferences

),

final as (

    select
        customers.customer_id,
        latest_nps.latest_nps_score,
        latest_nps.latest_nps_category,
        latest_nps.latest_nps_at,
        latest_preferences.satisfaction_score,
        latest_preferences.diet_tags,
        latest_preferences.household_size
    from customers
    left join latest_nps
        on customers.customer_id = latest_nps.customer_id
    left join latest_preferences
        on customers.customer_id = latest_preferences.customer_id

)

select * from final
