-- One row per UTC day: the activity of every customer added up, those who refused analytics
-- included, with no customer column. Totals reconcile with the profiles; per-customer trends
-- come from customer_activity_daily, which leaves the refusals out. The countries' rows of
-- activity_daily_by_country added up (each customer counts in one country).
with

by_country as (

    select * from {{ ref('activity_daily_by_country') }}

),

final as (

    select
        by_country.activity_date,
        cast(sum(by_country.active_customer_count) as bigint) as active_customer_count,
        cast(sum(by_country.buying_customer_count) as bigint) as buying_customer_count,
        {{ activity_measures_summed('by_country') }}
    from by_country
    group by by_country.activity_date

)

select * from final
