-- How identity resolution did on this run, as one row per metric (and dimension, where the
-- metric is broken down): records, profiles, consolidation rate, the distribution of profile
-- sizes, joins the guards refused, fuzzy matches (and the pairs refused, by reason), and
-- singletons per source.
with

source_records as (

    select * from {{ ref('customer_source_records') }}

),

profile_sizes as (

    select
        customer_id,
        count(*) as records
    from source_records
    group by customer_id

),

guards as (

    select * from {{ ref('int_identity__identifier_guards') }}

),

fuzzy as (

    select * from {{ ref('int_identity__fuzzy_matches') }}

),

totals as (

    select
        'records' as metric,
        'all' as dimension,
        count(*)::double as metric_value
    from source_records
    union all
    select
        'profiles' as metric,
        'all' as dimension,
        count(*)::double as metric_value
    from profile_sizes
    union all
    select
        'consolidation_rate' as metric,
        'all' as dimension,
        1 - (select count(*) from profile_sizes)::double / nullif(count(*), 0) as metric_value
    from source_records
    union all
    select
        'largest_profile_records' as metric,
        'all' as dimension,
        max(records)::double as metric_value
    from profile_sizes
    union all
    select
        'fuzzy_matched_pairs' as metric,
        'all' as dimension,
        count(*)::double as metric_value
    from fuzzy
    where refused_by is null
    union all
    -- pairs over the threshold that a refusal or ambiguity kept apart, by reason
    select
        'fuzzy_refused_pairs' as metric,
        refused_by as dimension,
        count(*)::double as metric_value
    from fuzzy
    where refused_by is not null
    group by refused_by

),

size_distribution as (

    select
        'profiles_by_size' as metric,
        case
            when records = 1 then '1'
            when records <= 3 then '2-3'
            when records <= 10 then '4-10'
            when records <= 50 then '11-50'
            else '51+'
        end as dimension,
        count(*)::double as metric_value
    from profile_sizes
    group by all

),

guarded as (

    select
        'guarded_identifiers' as metric,
        guards.guard_reason || ':' || guards.identifier_type as dimension,
        count(*)::double as metric_value
    from guards
    group by all
    union all
    select
        'guarded_identifier_records' as metric,
        guards.guard_reason || ':' || guards.identifier_type as dimension,
        sum(guards.record_count)::double as metric_value
    from guards
    group by all

),

singletons as (

    select
        'singleton_records' as metric,
        source_records.source as dimension,
        count(*)::double as metric_value
    from source_records
    inner join profile_sizes
        on source_records.customer_id = profile_sizes.customer_id
    where profile_sizes.records = 1
    group by all

),

final as (

    select * from totals
    union all
    select * from size_distribution
    union all
    select * from guarded
    union all
    select * from singletons

)

select
    metric,
    dimension,
    metric_value,
    current_timestamp as measured_at
from final
