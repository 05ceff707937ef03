-- Every identifier of every record, from the sources' identifiers views: the edges of the
-- identity graph between records and identifier values. Invalid emails join nothing.
with

unioned as (

    select * from {{ ref('stg_crm__identifiers') }}
    union all
    select * from {{ ref('stg_shop__identifiers') }}
    union all
    select * from {{ ref('stg_web__identifiers') }}
    union all
    select * from {{ ref('stg_newsletter__identifiers') }}
    union all
    select * from {{ ref('stg_subscriptions__identifiers') }}
    union all
    select * from {{ ref('stg_surveys__identifiers') }}
    union all
    select * from {{ ref('stg_support__identifiers') }}
    union all
    select * from {{ ref('stg_social__identifiers') }}

),

final as (

    select
        unioned.source || ':' || unioned.record_id as record_key,
        unioned.identifier_type,
        unioned.identifier_value,
        unioned.identifier_type || ':' || unioned.identifier_value as identifier_key,
        unioned.observed_at
    from unioned
    where unioned.is_identifier_valid

)

select * from final
