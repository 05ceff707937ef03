
  
  create view "warehouse"."staging"."stg_social__mentions__dbt_tmp" as (
    -- One row per social media post that mentions the brand (platform, post_id), its newest
-- delivery winning. Post ids are unique only within a platform, so the key is both.
with

latest_versions as (

    
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.platform as varchar)),
                    trim(cast(delta_rows.post_id as varchar))
                order by
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."social__mentions" as delta_rows
        where
            nullif(trim(cast(delta_rows.platform as varchar)), '') is not null and
            nullif(trim(cast(delta_rows.post_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1


),

standardized as (

    select
        md5(concat_ws('|', coalesce(cast(lower(trim(latest_versions.platform)) as varchar), ''), coalesce(cast(trim(latest_versions.post_id) as varchar), ''))) as mention_id,
        lower(nullif(trim(latest_versions.platform), '')) as platform,
        nullif(trim(latest_versions.post_id), '') as post_id,
        nullif(lower(ltrim(trim(latest_versions.handle), '@')), '') as social_handle,
        nullif(trim(latest_versions.handle), '') as handle_as_written,
        latest_versions.posted_at,
        nullif(trim(latest_versions.text), '') as mention_text,
        nullif(trim(latest_versions.in_reply_to), '') as in_reply_to,
        latest_versions.likes as like_count,
        latest_versions._export_date as export_date,
        latest_versions._source_file as source_file,
        latest_versions._row_number as source_row_number,
        latest_versions._loaded_at as loaded_at
    from latest_versions

)

select * from standardized
  );
