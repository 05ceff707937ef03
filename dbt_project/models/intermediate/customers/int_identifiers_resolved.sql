-- Which customers each identifier value names: one row per identifier and customer. Events that
-- carry only an identifier (newsletter activity by email, consent by email, phone, account or
-- install) reach a customer through this table. `customer_count` above 1 marks an identifier
-- shared by several customers (a family mailbox, a shared phone), which the consent rules treat
-- with care. A placeholder or role mailbox (guarded as `junk_pattern`: test@test.com, info@, a
-- store's own mailbox typed at the till) names no one and is left out: at a million persons,
-- each such address was carried by thousands of customers, and a refusal given under it
-- counted for all of them.
with

placeholders as (

    select identifier_key
    from {{ ref('int_identity__identifier_guards') }}
    where guard_reason = 'junk_pattern'

),

identifiers as (

    select identifiers.*
    from {{ ref('int_identity__identifiers') }} as identifiers
    anti join placeholders
        on identifiers.identifier_key = placeholders.identifier_key

),

customer_ids as (

    select * from {{ ref('int_identity__customer_ids') }}

),

per_customer as (

    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        customer_ids.customer_id,
        count(*) as record_count
    from identifiers
    inner join customer_ids
        on identifiers.record_key = customer_ids.record_key
    group by all

),

final as (

    select
        per_customer.identifier_type,
        per_customer.identifier_value,
        per_customer.customer_id,
        per_customer.record_count,
        count(*) over (
            partition by per_customer.identifier_type, per_customer.identifier_value
        ) as customer_count
    from per_customer

)

select * from final
