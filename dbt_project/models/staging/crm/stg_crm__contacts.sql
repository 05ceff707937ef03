-- One row per CRM contact, its newest version (by updated_at) winning. Contacts deleted in the
-- CRM stay, with is_deleted true, so that downstream layers can drop them knowingly.
-- A table: names and phones are standardized by Python functions (see phone_to_e164).
-- Incremental: a run works out again only the contacts it touches (see delta_latest);
-- `dbt run --full-refresh` rebuilds it from all of raw.
{{
    config(
        materialized='incremental',
        unique_key='contact_id',
        pre_hook="{{ forget_rows_gone_from(source('crm', 'contacts')) }}",
    )
}}

with

latest_versions as (

    {{ delta_latest(
        source('crm', 'contacts'), 'contact_id', 'updated_at', staged_key='contact_id',
    ) }}

),

with_country as (

    select
        latest_versions.*,
        {{ country_to_alpha2('latest_versions.country') }} as country_code
    from latest_versions

),

with_phones as (

    -- Phones are read in the region of the contact's country, each number once.
    select
        with_country.*,
        {{ phone_to_e164('with_country.phone', 'with_country.country_code') }} as phone_e164,
        {{ phone_to_e164('with_country.mobile', 'with_country.country_code') }} as mobile_e164
    from with_country

),

standardized as (

    select
        trim(with_phones.contact_id) as contact_id,
        nullif(trim(with_phones.salutation), '') as salutation,
        {{ standardize_name('with_phones.first_name') }} as first_name,
        {{ standardize_name('with_phones.last_name') }} as last_name,
        {{ standardize_email('with_phones.email') }} as email,
        {{ is_valid_email('with_phones.email') }} as is_email_valid,
        with_phones.phone_e164 as phone,
        nullif(trim(with_phones.phone), '') as phone_as_written,
        with_phones.phone_e164 is not null as is_phone_valid,
        with_phones.mobile_e164 as mobile,
        nullif(trim(with_phones.mobile), '') as mobile_as_written,
        with_phones.mobile_e164 is not null as is_mobile_valid,
        with_phones.birth_date,
        coalesce(
            with_phones.birth_date
            between date '1900-01-01' and cast(with_phones.updated_at as date),
            false
        ) as is_birth_date_plausible,
        nullif({{ regex_replace_all("trim(with_phones.street)", "'\\s+'", "' '") }}, '') as street,
        upper(nullif(trim(with_phones.postcode), '')) as postcode,
        {{ standardize_name('with_phones.city') }} as city,
        with_phones.country_code,
        nullif(trim(with_phones.country), '') as country_as_written,
        with_phones.country_code is not null as is_country_valid,
        {{ canonical_handle('with_phones.instagram_handle') }} as instagram_handle,
        {{ parse_boolean('with_phones.marketing_opt_in') }} as has_marketing_opt_in,
        {{ boolean_is_unmapped('with_phones.marketing_opt_in') }} as is_marketing_opt_in_unmapped,
        {{ local_to_utc('with_phones.created_at', 'Europe/Rome') }} as created_at,
        {{ local_to_utc('with_phones.updated_at', 'Europe/Rome') }} as updated_at,
        coalesce({{ parse_boolean('with_phones.is_deleted') }}, false) as is_deleted,
        with_phones._export_date as export_date,
        with_phones._source_file as source_file,
        with_phones._row_number as source_row_number,
        with_phones._loaded_at as loaded_at
    from with_phones

)

select * from standardized
