-- One row per web shop / loyalty account, its newest version (by updated_at) winning.
-- A table, not a view: phone_to_e164 is a Python function that exists only on dbt's
-- connections, so a view calling it could not be read by anyone else.
{{ config(materialized='table') }}

with

latest_versions as (

    {{ delta_latest(source('shop', 'accounts'), 'account_id', 'updated_at') }}

),

standardized as (

    select
        latest_versions.account_id,
        {{ standardize_email('latest_versions.email') }} as email,
        {{ is_valid_email('latest_versions.email') }} as is_email_valid,
        nullif(trim(latest_versions.first_name), '') as first_name,
        nullif(trim(latest_versions.last_name), '') as last_name,
        {{ phone_to_e164('latest_versions.phone', 'latest_versions.country_code') }} as phone,
        nullif(trim(latest_versions.phone), '') as phone_as_written,
        {{ phone_to_e164('latest_versions.phone', 'latest_versions.country_code') }} is not null
            as is_phone_valid,
        latest_versions.date_of_birth as birth_date,
        upper(nullif(trim(latest_versions.country_code), '')) as country_code,
        nullif(trim(latest_versions.loyalty_card_no), '') as loyalty_card_number,
        latest_versions.created_at,
        latest_versions.updated_at,
        latest_versions.last_login_at,
        latest_versions._export_date as export_date,
        latest_versions._source_file as source_file,
        latest_versions._loaded_at as loaded_at
    from latest_versions

)

select * from standardized
