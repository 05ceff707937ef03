-- One row per list membership (subscriber_id) as of the newest snapshot of the email service
-- provider; members the newest snapshot no longer lists were deleted there.
with

latest_versions as (

    {{ snapshot_latest(source('newsletter', 'subscribers'), 'subscriber_id') }}

),

standardized as (

    select
        trim(latest_versions.subscriber_id) as subscriber_id,
        {{ standardize_email('latest_versions.email') }} as email,
        {{ is_valid_email('latest_versions.email') }} as is_email_valid,
        nullif(trim(latest_versions.first_name), '') as first_name,
        lower(trim(latest_versions.list_id)) as list_id,
        lower(trim(latest_versions.status)) as subscription_status,
        lower(nullif(trim(latest_versions.language), '')) as language_code,
        {{ epoch_seconds_to_utc('latest_versions.opt_in_at') }} as opted_in_at,
        {{ epoch_seconds_to_utc('latest_versions.unsubscribed_at') }} as unsubscribed_at,
        lower(trim(latest_versions.signup_source)) as signup_source,
        latest_versions.is_deleted,
        latest_versions._export_date as last_seen_export_date,
        latest_versions._source_file as source_file,
        latest_versions._row_number as source_row_number,
        latest_versions._loaded_at as loaded_at
    from latest_versions

)

select * from standardized
