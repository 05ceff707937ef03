-- One row per order line (order_id, line_no), prices in the order's currency and in EUR at the
-- rate of the order's day.
-- Incremental: a run works out again only the lines it touches (see delta_latest), and the
-- lines of every order whose staged version was loaded since (its currency and day price the
-- line) or that is no longer staged; `dbt run --full-refresh` rebuilds it from all of raw.
{{
    config(
        materialized='incremental',
        unique_key='order_item_id',
        pre_hook="{{ forget_rows_gone_from(source('shop', 'order_items')) }}",
    )
}}

{%- set lines_of_changed_orders %}
    select {{ _delta_key('lines', ['order_id', 'line_no']) }}
    from {{ source('shop', 'order_items') }} as lines
    where trim(lines.order_id) in (
        select changed.order_id
        from {{ ref('stg_shop__orders') }} as changed
        where {{ loaded_since_last_run('changed.loaded_at') }}
    )
    union
    select kept.order_id, cast(kept.line_number as string)
    from {{ this }} as kept
    where
        not kept.is_order_missing
        and kept.order_id not in (select staged.order_id from {{ ref('stg_shop__orders') }} as staged)
{%- endset %}

with

latest_versions as (

    {{ delta_latest(
        source('shop', 'order_items'), ['order_id', 'line_no'],
        staged_key=['order_id', 'line_number'], also_rework=lines_of_changed_orders,
    ) }}

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
