-- One row per order line (order_id, line_no), prices in the order's currency and in EUR at the
-- rate of the order's day.
with

latest_versions as (

    
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.order_id as varchar)),
                    trim(cast(delta_rows.line_no as varchar))
                order by
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."shop__order_items" as delta_rows
        where
            nullif(trim(cast(delta_rows.order_id as varchar)), '') is not null and
            nullif(trim(cast(delta_rows.line_no as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1


),

orders as (

    select * from "warehouse"."staging"."stg_shop__orders"

),

standardized as (

    select
        md5(concat_ws('|', coalesce(cast(trim(latest_versions.order_id) as varchar), ''), coalesce(cast(latest_versions.line_no as varchar), '')))
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
        cast(round(latest_versions.unit_price / rates.units_per_eur, 2) as decimal(14, 2)) as unit_price_eur,
        cast(round(latest_versions.quantity * latest_versions.unit_price / rates.units_per_eur, 2) as decimal(14, 2))
            as line_amount_eur,
        orders.order_id is null as is_order_missing,
        latest_versions._export_date as export_date,
        latest_versions._source_file as source_file,
        latest_versions._row_number as source_row_number,
        latest_versions._loaded_at as loaded_at
    from latest_versions
    left join orders
        on trim(latest_versions.order_id) = orders.order_id
    left join "warehouse"."staging"."stg_reference__fx_rates" as rates
        on rates.currency_code = upper(trim(orders.currency_code))
        and cast(orders.ordered_at as date) >= rates.valid_from
        and cast(orders.ordered_at as date) < rates.valid_to

)

select * from standardized