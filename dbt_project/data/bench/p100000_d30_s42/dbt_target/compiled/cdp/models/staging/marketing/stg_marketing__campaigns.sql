-- The campaign catalogue as of its newest snapshot; campaigns a newer snapshot dropped are
-- kept and flagged deleted.
with

latest_versions as (

    
    select
        latest.*,
        latest._export_date < (
            select max(all_rows._export_date) from "warehouse"."raw"."marketing__campaigns" as all_rows
        ) as is_deleted
    from (
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.campaign_id as varchar))
                order by
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."marketing__campaigns" as delta_rows
        where
            nullif(trim(cast(delta_rows.campaign_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1
) as latest


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