-- One row per source record that names a person, with the customer it resolved to.
-- `source` and `record_id` are spelled as in the export contract's ground truth.
with

records as (

    select * from {{ ref('int_identity__records') }}

),

customers as (

    select * from {{ ref('int_identity__customer_ids') }}

),

final as (

    select
        records.source,
        records.record_id,
        customers.customer_id,
        records.observed_at as last_observed_at,
        records.is_deleted as is_deleted_at_source
    from records
    inner join customers
        on records.record_key = customers.record_key

)

select * from final
