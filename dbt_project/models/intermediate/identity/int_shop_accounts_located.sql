-- Shop accounts with a postcode: the account export has none, so the postcode the account's
-- latest order shipped to in the account's country stands for it (evidence for fuzzy
-- matching when no contact is shared). The shop's account records for identity resolution.
with

accounts as (

    select * from {{ ref('stg_shop__accounts') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

latest_postcodes as (

    select
        orders.account_id,
        orders.ship_postcode as postcode
    from orders
    inner join accounts
        on
            orders.account_id = accounts.account_id
            and orders.ship_country_code = accounts.country_code
    where orders.ship_postcode is not null
    -- the latest order; of two at one moment, the larger order id (the same on every run)
    qualify row_number() over (
        partition by orders.account_id order by orders.ordered_at desc, orders.order_id desc
    ) = 1

),

located as (

    select
        accounts.account_id,
        accounts.first_name,
        accounts.last_name,
        accounts.email,
        accounts.is_email_valid,
        accounts.phone,
        accounts.birth_date,
        accounts.loyalty_card_number,
        accounts.country_code,
        latest_postcodes.postcode,
        accounts.updated_at
    from accounts
    left join latest_postcodes on accounts.account_id = latest_postcodes.account_id

)

select * from located
