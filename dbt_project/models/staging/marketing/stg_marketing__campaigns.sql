-- The campaign catalogue as of its newest snapshot. Each export is the whole table, so a
-- campaign missing from the newest snapshot was deleted at the source: it is kept, flagged.
with

campaigns as (

    select * from {{ source('marketing', 'campaigns') }}

),

newest_snapshot as (

    select max(campaigns._export_date) as export_date
    from campaigns

),

versions_ranked as (

    select
        campaigns.*,
        row_number() over (
            partition by trim(campaigns.campaign_id)
            order by campaigns._export_date desc, campaigns._row_number desc
        ) as version_rank
    from campaigns
    where nullif(trim(campaigns.campaign_id), '') is not null

),

latest_versions as (

    select
        trim(versions_ranked.campaign_id) as campaign_id,
        trim(versions_ranked.name) as campaign_name,
        lower(trim(versions_ranked.channel)) as channel,
        lower(trim(versions_ranked.utm_campaign)) as utm_campaign,
        versions_ranked.starts_on,
        versions_ranked.ends_on,
        versions_ranked.budget_eur,
        versions_ranked._export_date < newest_snapshot.export_date as is_deleted,
        versions_ranked._export_date as last_seen_export_date,
        versions_ranked._source_file as source_file,
        versions_ranked._loaded_at as loaded_at
    from versions_ranked
    cross join newest_snapshot
    where versions_ranked.version_rank = 1

)

select * from latest_versions
