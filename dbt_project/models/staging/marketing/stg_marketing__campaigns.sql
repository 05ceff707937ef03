-- The campaign catalogue as of its newest snapshot; campaigns a newer snapshot dropped are
-- kept and flagged deleted.
with

latest_versions as (

    {{ snapshot_latest(source('marketing', 'campaigns'), 'campaign_id') }}

),

renamed as (

    select
        trim(latest_versions.campaign_id) as campaign_id,
        trim(latest_versions.name) as campaign_name,
        lower(trim(latest_versions.channel)) as channel,
        lower(trim(latest_versions.utm_campaign)) as utm_campaign,
        latest_versions.starts_on,
        latest_versions.ends_on,
        latest_versions.budget_eur,
        latest_versions.is_deleted,
        latest_versions._export_date as last_seen_export_date,
        latest_versions._source_file as source_file,
        latest_versions._row_number as source_row_number,
        latest_versions._loaded_at as loaded_at
    from latest_versions

)

select * from renamed
