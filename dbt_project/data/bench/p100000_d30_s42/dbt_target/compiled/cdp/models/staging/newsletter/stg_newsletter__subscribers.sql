-- One row per list membership (subscriber_id) as of the newest snapshot of the email service
-- provider; members the newest snapshot no longer lists were deleted there.
with

latest_versions as (

    
    select
        latest.*,
        latest._export_date < (
            select max(all_rows._export_date) from "warehouse"."raw"."newsletter__subscribers" as all_rows
        ) as is_deleted
    from (
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.subscriber_id as varchar))
                order by
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."newsletter__subscribers" as delta_rows
        where
            nullif(trim(cast(delta_rows.subscriber_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1
) as latest


),

standardized as (

    select
        trim(latest_versions.subscriber_id) as subscriber_id,
        case
        when nullif(trim(latest_versions.email), '') is null then null
        when coalesce(regexp_matches(lower(trim(latest_versions.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) then lower(trim(latest_versions.email))
        else trim(latest_versions.email)
    end as email,
        coalesce(regexp_matches(lower(trim(latest_versions.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) as is_email_valid,
        nullif(trim(latest_versions.first_name), '') as first_name,
        lower(trim(latest_versions.list_id)) as list_id,
        lower(trim(latest_versions.status)) as subscription_status,
        lower(nullif(trim(latest_versions.language), '')) as language_code,
        to_timestamp(latest_versions.opt_in_at) as opted_in_at,
        to_timestamp(latest_versions.unsubscribed_at) as unsubscribed_at,
        lower(trim(latest_versions.signup_source)) as signup_source,
        latest_versions.is_deleted,
        latest_versions._export_date as last_seen_export_date,
        latest_versions._source_file as source_file,
        latest_versions._row_number as source_row_number,
        latest_versions._loaded_at as loaded_at
    from latest_versions

)

select * from standardized