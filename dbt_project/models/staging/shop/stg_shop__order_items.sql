-- One row per order line (order_id, line_no), prices in the order's currency and in EUR at the
-- rate of the order's day.
with

latest_versions as (

    {{ delta_latest(source('shop', 'order_items'), ['order_id', 'line_no']) }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

standardized as (

    select
        {{ surrogate_key(['trim(latest_versions.order_id)', 'latest_versions.line_no']) }}
            as order_item_id,
        trim(latest_versions.order_id) as order_id,
        latest_versions.line_no as line_number,
        upper(trim(latest_versions.sku)) as sku,
        nullif(trim(latest_versions.product_name), '') as product_name,
        lower(trim(latest_versions.category)) as product_category,
        latest_versions.quantity,
        latest_versions.unit_price,
        cast(latest_versions.quantity * latest_versions.unit_price as decimal(14, 2))
            as line_amount,
        orders.currency_code,
        {{ to_eur('latest_versions.unit_price', 'rates') }} as unit_price_eur,
        {{ to_eur('latest_versions.quantity * latest_versions.unit_price', 'rates') }}
            as line_amount_eur,
        orders.order_id is null as is_order_missing,
        latest_versions._export_date as export_date,
        latest_versions._source_file as source_file,
        latest_versions._row_number as source_row_number,
        latest_versions._loaded_at as loaded_at
    from latest_versions
    left join orders
        on trim(latest_versions.order_id) = orders.order_id
    {{ join_fx_rate('rates', 'orders.currency_code', 'orders.ordered_at') }}

)

select * from standardized
