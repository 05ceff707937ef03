-- One row per request to be forgotten (erasure_request_id), its newest delivery winning; each
-- identifier it names (email, phone, account id) may be empty.
-- A table, not a view: phone_to_e164 is a Python function that exists only on dbt's
-- connections, so a view calling it could not be read by anyone else.
{{ config(materialized='table') }}

with

latest_versions as (

    {{ delta_latest(source('privacy', 'erasure_requests'), 'request_id') }}

),

with_identifiers as (

    -- The Python function once per row; an account id that is not all digits is flagged.
    select
        latest_versions.*,
        {{ phone_to_e164('latest_versions.phone', 'cast(null as string)') }} as phone_e164,
        nullif(trim(latest_versions.account_id), '') as account_id_text,
        case
            when {{ regex_full_match("trim(latest_versions.account_id)", "'[0-9]+'") }}
                then try_cast(trim(latest_versions.account_id) as bigint)
        end as account_id_number
    from latest_versions

),

standardized as (

    select
        trim(with_identifiers.request_id) as erasure_request_id,
        {{ standardize_email('with_identifiers.email') }} as email,
        {{ is_valid_email('with_identifiers.email') }} as is_email_valid,
        with_identifiers.phone_e164 as phone,
        nullif(trim(with_identifiers.phone), '') as phone_as_written,
        with_identifiers.phone_e164 is not null as is_phone_valid,
        with_identifiers.account_id_number as account_id,
        with_identifiers.account_id_text as account_id_as_written,
        with_identifiers.account_id_number is not null as is_account_id_valid,
        with_identifiers.received_at,
        with_identifiers._export_date as export_date,
        with_identifiers._source_file as source_file,
        with_identifiers._row_number as source_row_number,
        with_identifiers._loaded_at as loaded_at
    from with_identifiers

)

select * from standardized
