-- What line each phone that an identifier names is (libphonenumber's numbering plans, through
-- the Python function phone_kind): mobile, fixed_line, fixed_line_or_mobile, voip, ...
-- A phone's line depends on the number alone, so an incremental run classifies only the
-- phones it has not classified before (at a million persons, 0.8 million phones take 11 s; a
-- day brings a few thousand new ones). The pre-hook forgets the phones no identifier names any
-- more (an erasure, the retention purge). `dbt run --full-refresh` classifies every phone
-- again, as after an upgrade of the phonenumbers package.
-- A model that calls phone_kind (a Python function) is a table.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='phone',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}
            delete from {{ this }} as kept
            where not exists (
                select 1
                from {{ ref('int_identity__identifiers') }} as identifiers
                where identifiers.identifier_type = 'phone'
                    and identifiers.identifier_value = kept.phone
            )
        {% endif %}",
    )
}}

with

phones as (

    select distinct identifiers.identifier_value as phone
    from {{ ref('int_identity__identifiers') }} as identifiers
    {%- if is_incremental() %}
    left join {{ this }} as kept
        on kept.phone = identifiers.identifier_value
    {%- endif %}
    where identifiers.identifier_type = 'phone'
    {%- if is_incremental() %}
        and kept.phone is null
    {%- endif %}

)

select
    phone,
    phone_kind(phone) as phone_kind
from phones
