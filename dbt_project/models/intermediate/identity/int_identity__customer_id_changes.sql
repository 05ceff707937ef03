-- The history of customer ids: every run appends the ids that changed since the previous run.
--   merged  profiles joined: the retired id's records now carry the surviving (oldest) id
--   split   records left a profile that lives on: they carry another id now
-- It is history that nothing upstream keeps: never rebuilt, not even by `make full-refresh`.
{{ config(materialized='incremental', on_schema_change='fail', full_refresh=false) }}

with

assignments as (

    select * from {{ ref('int_identity__customer_ids') }}

),

changed as (

    select
        assignments.previous_customer_id,
        assignments.customer_id,
        count(*) as records_moved
    from assignments
    where
        assignments.previous_customer_id is not null
        and assignments.previous_customer_id <> assignments.customer_id
    group by assignments.previous_customer_id, assignments.customer_id

),

surviving as (

    select distinct assignments.customer_id from assignments

),

final as (

    select
        changed.previous_customer_id,
        changed.customer_id,
        case
            when surviving.customer_id is not null then 'split'
            else 'merged'
        end as change_reason,
        changed.records_moved,
        current_timestamp as changed_at
    from changed
    left join surviving
        on changed.previous_customer_id = surviving.customer_id

)

select * from final
