
  
  create view "warehouse"."staging"."stg_web__identifiers__dbt_tmp" as (
    -- The identifiers each browser or app install (anonymous_id) showed: itself, the accounts it
-- logged in to, and the emails it gave at login or newsletter sign-up. One row per
-- anonymous id and identifier, observed at its latest event.
with

events as (

    select * from "warehouse"."staging"."stg_web__events"

),

shown as (

    
    select distinct
        'web' as source,
        cast(record_id as varchar) as record_id,
        identifier_type,
        identifier_value,
        is_identifier_valid,
        observed_at,
        is_record_deleted
    from (
        select
            anonymous_id as record_id,
            'anonymous_id' as identifier_type,
            cast(anonymous_id as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(occurred_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from events
        where nullif(trim(cast(anonymous_id as varchar)), '') is not null
        union all
        select
            anonymous_id as record_id,
            'account_id' as identifier_type,
            cast(account_id as varchar) as identifier_value,
            coalesce(true, false) as is_identifier_valid,
            cast(occurred_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from events
        where nullif(trim(cast(account_id as varchar)), '') is not null
        union all
        select
            anonymous_id as record_id,
            'email' as identifier_type,
            cast(email as varchar) as identifier_value,
            coalesce(is_email_valid, false) as is_identifier_valid,
            cast(occurred_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from events
        where nullif(trim(cast(email as varchar)), '') is not null
    ) as identifier_values


),

latest as (

    select
        shown.source,
        shown.record_id,
        shown.identifier_type,
        shown.identifier_value,
        bool_and(shown.is_identifier_valid) as is_identifier_valid,
        max(shown.observed_at) as observed_at,
        false as is_record_deleted
    from shown
    group by all

)

select * from latest
  );
