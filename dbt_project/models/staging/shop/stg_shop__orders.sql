-- One row per order, its newest version (by updated_at) winning: an order comes back in a later
-- delta each time its status changes. Cancelled and refunded orders stay, with is_revenue false,
-- so that revenue excludes them and order counts can still see them.
-- A table: phones are standardized by a Python function (see phone_to_e164).
-- Incremental: a run works out again only the orders it touches (see delta_latest);
-- `dbt run --full-refresh` rebuilds it from all of raw.
{{
    config(
        materialized='incremental',
        unique_key='order_id',
        pre_hook="{{ forget_rows_gone_from(source('shop', 'orders')) }}",
    )
}}

with

latest_versions as (

    {{ delta_latest(
        source('shop', 'orders'), 'order_id', 'updated_at', staged_key='order_id',
    ) }}

),

with_phones as (

    select
        latest_versions.*,
        {{ phone_to_e164('latest_versions.phone', 'latest_versions.ship_country') }} as phone_e164
    from latest_versions

),

standardized as (

    select
        trim(with_phones.order_id) as order_id,
        with_phones.account_id,
        with_phones.account_id is null as is_guest_checkout,
        {{ standardize_email('with_phones.email') }} as email,
        {{ is_valid_email('with_phones.email') }} as is_email_valid,
        with_phones.phone_e164 as phone,
        nullif(trim(with_phones.phone), '') as phone_as_written,
        with_phones.phone_e164 is not null as is_phone_valid,
        lower(trim(with_phones.channel)) as order_channel,
        nullif(upper(trim(with_phones.store_id)), '') as store_id,
        with_phones.ordered_at,
        upper(trim(with_phones.currency)) as currency_code,
        with_phones.total_amount,
        coalesce(with_phones.discount_amount, 0) as discount_amount,
        {{ to_eur('with_phones.total_amount', 'rates') }} as total_amount_eur,
        {{ to_eur('coalesce(with_phones.discount_amount, 0)', 'rates') }} as discount_amount_eur,
        rates.units_per_eur is null as is_fx_rate_missing,
        lower(trim(with_phones.status)) as order_status,
        lower(trim(with_phones.status)) not in ('cancelled', 'refunded') as is_revenue,
        upper(nullif(trim(with_phones.ship_country), '')) as ship_country_code,
        upper(nullif(trim(with_phones.ship_postcode), '')) as ship_postcode,
        nullif(lower(trim(with_phones.utm_campaign)), '') as utm_campaign,
        with_phones.updated_at,
        with_phones._export_date as export_date,
        with_phones._source_file as source_file,
        with_phones._row_number as source_row_number,
        with_phones._loaded_at as loaded_at
    from with_phones
    {{ join_fx_rate('rates', 'with_phones.currency', 'with_phones.ordered_at') }}

)

select * from standardized
