-- Every order with the customer who placed it: an account order through its shop account, a
-- guest order through its own record. Net revenue counts only orders that still bring money in:
-- cancelled and refunded orders stay, with zero net revenue.
with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

customer_ids as (

    select * from {{ ref('int_identity__customer_ids') }}

),

attributed as (

    select
        orders.order_id,
        coalesce(account_customers.customer_id, guest_customers.customer_id) as customer_id,
        orders.is_guest_checkout,
        orders.order_channel,
        orders.ordered_at,
        cast(orders.ordered_at as date) as order_date,
        orders.order_status,
        orders.is_revenue,
        orders.total_amount_eur,
        case when orders.is_revenue then orders.total_amount_eur else 0 end as net_revenue_eur,
        orders.utm_campaign,
        orders.export_date
    from orders
    left join customer_ids as account_customers
        on account_customers.record_key = {{ record_key('shop_account', 'orders') }}
    left join customer_ids as guest_customers
        on guest_customers.record_key = {{ record_key('shop_order', 'orders') }}

)

select * from attributed
