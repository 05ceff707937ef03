
  
  create view "warehouse"."staging"."stg_crm__identifiers__dbt_tmp" as (
    -- The identifiers each CRM contact carries (email, phone, mobile, Instagram handle), one row per
-- contact and identifier, in the shape identity resolution reads.

    select distinct
        'crm' as source,
        cast(record_id as varchar) as record_id,
        identifier_type,
        identifier_value,
        is_identifier_valid,
        observed_at,
        is_record_deleted
    from (
        select
            contact_id as record_id,
            'email' as identifier_type,
            cast(email as varchar) as identifier_value,
            coalesce(is_email_valid, false) as is_identifier_valid,
            cast(updated_at as timestamptz) as observed_at,
            coalesce(is_deleted, false) as is_record_deleted
        from "warehouse"."staging"."stg_crm__contacts"
        where nullif(trim(cast(email as varchar)), '') is not null
        union all
        select
            contact_id as record_id,
            'phone' as identifier_type,
            cast(phone as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(updated_at as timestamptz) as observed_at,
            coalesce(is_deleted, false) as is_record_deleted
        from "warehouse"."staging"."stg_crm__contacts"
        where nullif(trim(cast(phone as varchar)), '') is not null
        union all
        select
            contact_id as record_id,
            'phone' as identifier_type,
            cast(mobile as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(updated_at as timestamptz) as observed_at,
            coalesce(is_deleted, false) as is_record_deleted
        from "warehouse"."staging"."stg_crm__contacts"
        where nullif(trim(cast(mobile as varchar)), '') is not null
        union all
        select
            contact_id as record_id,
            'social_handle' as identifier_type,
            cast(instagram_handle as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(updated_at as timestamptz) as observed_at,
            coalesce(is_deleted, false) as is_record_deleted
        from "warehouse"."staging"."stg_crm__contacts"
        where nullif(trim(cast(instagram_handle as varchar)), '') is not null
    ) as identifier_values

  );
