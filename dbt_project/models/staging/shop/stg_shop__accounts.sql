-- One row per web shop / loyalty account, its newest version (by updated_at) winning.
-- A table, not a view: phone_to_e164 and clean_name are Python functions that exists only on dbt's
-- connections, so a view calling it could not be read by anyone else.
-- Incremental: a run works out again only the accounts it touches (see delta_latest);
-- `dbt run --full-refresh` rebuilds it from all of raw.
{{
    config(
        materialized='incremental',
        unique_key='account_id',
        pre_hook="{{ forget_rows_gone_from(source('shop', 'accounts')) }}",
    )
}}

with

latest_versions as (

    {{ delta_latest(
        source('shop', 'accounts'), 'account_id', 'updated_at', staged_key='account_id',
    ) }}

),

with_phones as (

    -- The Python function once per row; validity follows from its result.
    select
        latest_versions.*,
        {{ phone_to_e164('latest_versions.phone', 'latest_versions.country_code') }} as phone_e164
    from latest_versions

),

standardized as (

    select
        with_phones.account_id,
        {{ standardize_email('with_phones.email') }} as email,
        {{ is_valid_email('with_phones.email') }} as is_email_valid,
        {{ standardize_name('with_phones.first_name') }} as first_name,
        {{ standardize_name('with_phones.last_name') }} as last_name,
        with_phones.phone_e164 as phone,
        nullif(trim(with_phones.phone), '') as phone_as_written,
        with_phones.phone_e164 is not null as is_phone_valid,
        with_phones.date_of_birth as birth_date,
        upper(nullif(trim(with_phones.country_code), '')) as country_code,
        nullif(trim(with_phones.loyalty_card_no), '') as loyalty_card_number,
        with_phones.created_at,
        with_phones.updated_at,
        with_phones.last_login_at,
        with_phones._export_date as export_date,
        with_phones._source_file as source_file,
        with_phones._row_number as source_row_number,
        with_phones._loaded_at as loaded_at
    from with_phones

)

select * from standardized
