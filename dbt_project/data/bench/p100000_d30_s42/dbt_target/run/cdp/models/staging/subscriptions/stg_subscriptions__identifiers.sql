
  
  create view "warehouse"."staging"."stg_subscriptions__identifiers__dbt_tmp" as (
    -- The identifiers each recipe-box subscription carries (email, phone), one row per
-- subscription and identifier.

    select distinct
        'subscriptions' as source,
        cast(record_id as varchar) as record_id,
        identifier_type,
        identifier_value,
        is_identifier_valid,
        observed_at,
        is_record_deleted
    from (
        select
            subscription_id as record_id,
            'email' as identifier_type,
            cast(email as varchar) as identifier_value,
            coalesce(is_email_valid, false) as is_identifier_valid,
            cast(coalesce(cancelled_at, started_at) as timestamptz) as observed_at,
            coalesce(is_deleted, false) as is_record_deleted
        from "warehouse"."staging"."stg_subscriptions__subscriptions"
        where nullif(trim(cast(email as varchar)), '') is not null
        union all
        select
            subscription_id as record_id,
            'phone' as identifier_type,
            cast(phone as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(coalesce(cancelled_at, started_at) as timestamptz) as observed_at,
            coalesce(is_deleted, false) as is_record_deleted
        from "warehouse"."staging"."stg_subscriptions__subscriptions"
        where nullif(trim(cast(phone as varchar)), '') is not null
    ) as identifier_values

  );
