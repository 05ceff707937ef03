-- The identifiers shop records carry: each account (account id, email, phone, loyalty card)
-- and each guest order (email, phone), one row per record and identifier.
with

accounts as (

    {{ identifier_rows(
        relation=ref('stg_shop__accounts'),
        source_name='shop_account',
        record_id='account_id',
        identifiers=[
            {'type': 'account_id', 'value': 'account_id'},
            {'type': 'email', 'value': 'email', 'is_valid': 'is_email_valid'},
            {'type': 'phone', 'value': 'phone'},
            {'type': 'loyalty_card', 'value': 'loyalty_card_number'},
        ],
        observed_at='updated_at',
    ) }}

),

guest_orders as (

    {{ identifier_rows(
        relation=ref('stg_shop__orders'),
        source_name='shop_order',
        record_id='order_id',
        identifiers=[
            {'type': 'email', 'value': 'email', 'is_valid': 'is_email_valid'},
            {'type': 'phone', 'value': 'phone'},
        ],
        observed_at='ordered_at',
        where='is_guest_checkout',
    ) }}

),

unioned as (

    select * from accounts
    union all
    select * from guest_orders

)

select * from unioned
