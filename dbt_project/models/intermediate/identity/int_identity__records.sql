-- One row per source record that names a person, with the attributes identity resolution
-- compares and survivorship chooses from. `source` and `record_id` are spelled as in
-- customer_source_records. The sources and their attributes come from the registry (var
-- person_sources in dbt_project.yml). Records with no attributes of their own (web installs,
-- social handles, surveys) are here too: their identifiers alone tie them to a profile.
with

with_attributes as (

    {{ person_record_rows({
        'first_name': 'string',
        'last_name': 'string',
        'email': 'string',
        'phone': 'string',
        'birth_date': 'date',
        'street': 'string',
        'postcode': 'string',
        'city': 'string',
        'country_code': 'string',
        'language_code': 'string',
    }) }}

),

identifiers as (

    select * from {{ ref('int_identifiers_unioned') }}

),

identifier_only as (

    -- Records that carry identifiers and nothing else a person could be told by.
    select
        identifiers.source,
        identifiers.record_id,
        max(case
            when identifiers.identifier_type = 'email' and identifiers.is_identifier_valid
                then identifiers.identifier_value
        end) as email,
        max(identifiers.observed_at) as observed_at
    from identifiers
    where identifiers.source in ({{ person_sources_without_attributes() }})
    group by identifiers.source, identifiers.record_id

),

identifier_only_records as (

    select
        source,
        record_id,
        cast(null as string) as first_name,
        cast(null as string) as last_name,
        email,
        cast(null as string) as phone,
        cast(null as date) as birth_date,
        cast(null as string) as street,
        cast(null as string) as postcode,
        cast(null as string) as city,
        cast(null as string) as country_code,
        cast(null as string) as language_code,
        observed_at,
        false as is_deleted
    from identifier_only

),

unioned as (

    select * from with_attributes
    union all
    select * from identifier_only_records

),

final as (

    select
        {{ record_key_from('source', 'record_id') }} as record_key,
        *
    from unioned

)

select * from final
