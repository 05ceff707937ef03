-- One row per recipe-box subscription as of the newest snapshot of the billing system; a
-- subscription the newest snapshot no longer lists was deleted there (is_deleted).
-- A table: names and phones are standardized by Python functions (see phone_to_e164).
{{ config(materialized='table') }}

with

latest_versions as (

    {{ snapshot_latest(source('subscriptions', 'subscriptions'), 'id') }}

),

unpacked as (

    select
        latest_versions.*,
        {{ json_text('latest_versions.customer', '$.email') }} as customer_email,
        {{ json_text('latest_versions.customer', '$.phone') }} as customer_phone,
        {{ split_full_name(json_text('latest_versions.customer', '$.name')) }} as customer_name,
        nullif(trim({{ json_text('latest_versions.customer', '$.name') }}), '')
            as customer_name_as_written,
        upper(nullif(trim({{ json_text('latest_versions.delivery_address', '$.country') }}), ''))
            as delivery_country_code,
        nullif(trim({{ json_text('latest_versions.price', '$.amount') }}), '') as price_as_written,
        upper(trim({{ json_text('latest_versions.price', '$.currency') }})) as price_currency
    from latest_versions

),

with_phones as (

    select
        unpacked.*,
        {{ phone_to_e164('unpacked.customer_phone', 'unpacked.delivery_country_code') }}
            as phone_e164
    from unpacked

),

standardized as (

    select
        trim(with_phones.id) as subscription_id,
        {{ standardize_email('with_phones.customer_email') }} as email,
        {{ is_valid_email('with_phones.customer_email') }} as is_email_valid,
        {{ struct_field('with_phones.customer_name', 'first_name') }} as first_name,
        {{ struct_field('with_phones.customer_name', 'last_name') }} as last_name,
        with_phones.customer_name_as_written,
        with_phones.phone_e164 as phone,
        nullif(trim(with_phones.customer_phone), '') as phone_as_written,
        with_phones.phone_e164 is not null as is_phone_valid,
        lower(trim(with_phones.plan)) as plan_code,
        lower(trim(with_phones.plan)) like 'veggie%' as is_vegetarian_plan,
        try_cast(regexp_extract(lower(trim(with_phones.plan)), '(\d+)p$', 1) as integer)
            as plan_portions,
        try_cast(with_phones.price_as_written as decimal(14, 2)) as price_amount,
        with_phones.price_as_written,
        try_cast(with_phones.price_as_written as decimal(14, 2)) is null as is_price_invalid,
        with_phones.price_currency as currency_code,
        {{ to_eur('try_cast(with_phones.price_as_written as decimal(14, 2))', 'rates') }}
            as price_amount_eur,
        lower(trim(with_phones.interval)) as billing_interval,
        lower(trim(with_phones.status)) as subscription_status,
        with_phones.started_at,
        with_phones.cancelled_at,
        nullif({{ regex_replace_all(
            "trim(" ~ json_text('with_phones.delivery_address', '$.line1') ~ ")", "'\\s+'", "' '"
        ) }}, '')
            as delivery_street,
        upper(nullif(trim({{ json_text('with_phones.delivery_address', '$.postcode') }}), ''))
            as delivery_postcode,
        {{ standardize_name(json_text('with_phones.delivery_address', '$.city')) }}
            as delivery_city,
        with_phones.delivery_country_code,
        with_phones.is_deleted,
        with_phones._export_date as last_seen_export_date,
        with_phones._source_file as source_file,
        with_phones._row_number as source_row_number,
        with_phones._loaded_at as loaded_at
    from with_phones
    {{ join_fx_rate('rates', 'with_phones.price_currency', 'with_phones._export_date') }}

)

select * from standardized
