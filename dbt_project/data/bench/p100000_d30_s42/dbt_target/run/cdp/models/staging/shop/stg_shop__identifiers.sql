
  
  create view "warehouse"."staging"."stg_shop__identifiers__dbt_tmp" as (
    -- The identifiers shop records carry: each account (account id, email, phone, loyalty card)
-- and each guest order (email, phone), one row per record and identifier.
with

accounts as (

    
    select distinct
        'shop_account' as source,
        cast(record_id as varchar) as record_id,
        identifier_type,
        identifier_value,
        is_identifier_valid,
        observed_at,
        is_record_deleted
    from (
        select
            account_id as record_id,
            'account_id' as identifier_type,
            cast(account_id as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(updated_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_shop__accounts"
        where nullif(trim(cast(account_id as varchar)), '') is not null
        union all
        select
            account_id as record_id,
            'email' as identifier_type,
            cast(email as varchar) as identifier_value,
            coalesce(is_email_valid, false) as is_identifier_valid,
            cast(updated_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_shop__accounts"
        where nullif(trim(cast(email as varchar)), '') is not null
        union all
        select
            account_id as record_id,
            'phone' as identifier_type,
            cast(phone as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(updated_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_shop__accounts"
        where nullif(trim(cast(phone as varchar)), '') is not null
        union all
        select
            account_id as record_id,
            'loyalty_card' as identifier_type,
            cast(loyalty_card_number as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(updated_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_shop__accounts"
        where nullif(trim(cast(loyalty_card_number as varchar)), '') is not null
    ) as identifier_values


),

guest_orders as (

    
    select distinct
        'shop_order' as source,
        cast(record_id as varchar) as record_id,
        identifier_type,
        identifier_value,
        is_identifier_valid,
        observed_at,
        is_record_deleted
    from (
        select
            order_id as record_id,
            'email' as identifier_type,
            cast(email as varchar) as identifier_value,
            coalesce(is_email_valid, false) as is_identifier_valid,
            cast(ordered_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_shop__orders"
        where nullif(trim(cast(email as varchar)), '') is not null and (is_guest_checkout)
        union all
        select
            order_id as record_id,
            'phone' as identifier_type,
            cast(phone as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(ordered_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_shop__orders"
        where nullif(trim(cast(phone as varchar)), '') is not null and (is_guest_checkout)
    ) as identifier_values


),

unioned as (

    select * from accounts
    union all
    select * from guest_orders

)

select * from unioned
  );
