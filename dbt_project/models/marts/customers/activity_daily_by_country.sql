-- One row per UTC day and customer country: the activity of every customer added up, those
-- who refused analytics included, with no customer column (the grain of revenue by country
-- and month, which customer_activity_daily cannot give whole: it leaves the refusals out).
-- The country is the profile's (its golden record); ZZ when the profile names none.
with

activity as (

    select * from {{ ref('int_customer_activity_daily') }}

),

profiles as (

    select
        customer_id,
        coalesce(country_code, 'ZZ') as country_code
    from {{ ref('customer_profiles') }}

),

final as (

    select
        activity.activity_date,
        coalesce(profiles.country_code, 'ZZ') as country_code,
        count(*) as active_customer_count,
        count(*) filter (where activity.order_count > 0) as buying_customer_count,
        {{ activity_measures_summed('activity') }}
    from activity
    left join profiles
        on activity.customer_id = profiles.customer_id
    group by activity.activity_date, coalesce(profiles.country_code, 'ZZ')

)

select * from final
