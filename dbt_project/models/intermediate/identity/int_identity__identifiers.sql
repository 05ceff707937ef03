-- Every valid identifier of every record: the edges of the identity graph between records and
-- identifier values. Invalid emails join nothing.
with

unioned as (

    select * from {{ ref('int_identifiers_unioned') }}

),

final as (

    select
        {{ record_key_from('unioned.source', 'unioned.record_id') }} as record_key,
        unioned.identifier_type,
        unioned.identifier_value,
        unioned.identifier_type || ':' || unioned.identifier_value as identifier_key,
        unioned.observed_at
    from unioned
    where unioned.is_identifier_valid

)

select * from final
