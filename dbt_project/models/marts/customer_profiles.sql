-- One row per unified customer: the golden record chosen by the survivorship rules
-- (dbt_project/identity/survivorship.yml), and where the customer was seen.
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

seen as (

    select
        source_records.customer_id,
        count(*) as source_record_count,
        list(distinct source_records.source order by source_records.source) as sources,
        min(source_records.last_observed_at) as first_seen_at,
        max(source_records.last_observed_at) as last_seen_at
    from source_records
    group by source_records.customer_id

),

final as (

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
        seen.first_seen_at,
        seen.last_seen_at,
        customer_ids.customer_since
    from golden
    inner join seen
        on golden.customer_id = seen.customer_id
    inner join customer_ids
        on golden.customer_id = customer_ids.customer_id

)

select * from final
