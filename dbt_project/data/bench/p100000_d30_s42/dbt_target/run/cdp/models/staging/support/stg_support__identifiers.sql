
  
  create view "warehouse"."staging"."stg_support__identifiers__dbt_tmp" as (
    -- The identifiers each help-desk ticket carries (email, phone, and on the social channel the
-- customer's handle), one row per ticket and identifier.

    select distinct
        'support' as source,
        cast(record_id as varchar) as record_id,
        identifier_type,
        identifier_value,
        is_identifier_valid,
        observed_at,
        is_record_deleted
    from (
        select
            ticket_id as record_id,
            'email' as identifier_type,
            cast(email as varchar) as identifier_value,
            coalesce(is_email_valid, false) as is_identifier_valid,
            cast(opened_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_support__tickets"
        where nullif(trim(cast(email as varchar)), '') is not null
        union all
        select
            ticket_id as record_id,
            'phone' as identifier_type,
            cast(phone as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(opened_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_support__tickets"
        where nullif(trim(cast(phone as varchar)), '') is not null
        union all
        select
            ticket_id as record_id,
            'social_handle' as identifier_type,
            cast(social_handle as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(opened_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_support__tickets"
        where nullif(trim(cast(social_handle as varchar)), '') is not null
    ) as identifier_values

  );
