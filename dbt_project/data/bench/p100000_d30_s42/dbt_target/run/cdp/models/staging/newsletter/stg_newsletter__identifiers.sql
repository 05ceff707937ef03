
  
  create view "warehouse"."staging"."stg_newsletter__identifiers__dbt_tmp" as (
    -- The identifiers each list membership carries (subscriber id, email), one row per
-- membership and identifier.

    select distinct
        'newsletter' as source,
        cast(record_id as varchar) as record_id,
        identifier_type,
        identifier_value,
        is_identifier_valid,
        observed_at,
        is_record_deleted
    from (
        select
            subscriber_id as record_id,
            'subscriber_id' as identifier_type,
            cast(subscriber_id as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(coalesce(unsubscribed_at, opted_in_at) as timestamptz) as observed_at,
            coalesce(is_deleted, false) as is_record_deleted
        from "warehouse"."staging"."stg_newsletter__subscribers"
        where nullif(trim(cast(subscriber_id as varchar)), '') is not null
        union all
        select
            subscriber_id as record_id,
            'email' as identifier_type,
            cast(email as varchar) as identifier_value,
            coalesce(is_email_valid, false) as is_identifier_valid,
            cast(coalesce(unsubscribed_at, opted_in_at) as timestamptz) as observed_at,
            coalesce(is_deleted, false) as is_record_deleted
        from "warehouse"."staging"."stg_newsletter__subscribers"
        where nullif(trim(cast(email as varchar)), '') is not null
    ) as identifier_values

  );
