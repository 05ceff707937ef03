-- The identifiers survey answers carry (the respondent's email), one row per response.
with

nps as (

    
    select distinct
        'surveys_nps' as source,
        cast(record_id as varchar) as record_id,
        identifier_type,
        identifier_value,
        is_identifier_valid,
        observed_at,
        is_record_deleted
    from (
        select
            nps_response_id as record_id,
            'email' as identifier_type,
            cast(email as varchar) as identifier_value,
            coalesce(is_email_valid, false) as is_identifier_valid,
            cast(submitted_at as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_surveys__nps"
        where nullif(trim(cast(email as varchar)), '') is not null
    ) as identifier_values


),

preferences as (

    
    select distinct
        'surveys_preferences' as source,
        cast(record_id as varchar) as record_id,
        identifier_type,
        identifier_value,
        is_identifier_valid,
        observed_at,
        is_record_deleted
    from (
        select
            survey_response_id as record_id,
            'email' as identifier_type,
            cast(email as varchar) as identifier_value,
            coalesce(is_email_valid, false) as is_identifier_valid,
            cast(submitted_on as timestamptz) as observed_at,
            coalesce(false, false) as is_record_deleted
        from "warehouse"."staging"."stg_surveys__preferences"
        where nullif(trim(cast(email as varchar)), '') is not null
    ) as identifier_values


),

unioned as (

    select * from nps
    union all
    select * from preferences

)

select * from unioned