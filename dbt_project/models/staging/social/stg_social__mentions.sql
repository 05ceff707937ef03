-- One row per social media post that mentions the brand (platform, post_id), its newest
-- delivery winning. Post ids are unique only within a platform, so the key is both.
with

latest_versions as (

    {{ delta_latest(source('social', 'mentions'), ['platform', 'post_id']) }}

),

standardized as (

    select
        {{ surrogate_key([
            'lower(trim(latest_versions.platform))',
            'trim(latest_versions.post_id)',
        ]) }} as mention_id,
        lower(nullif(trim(latest_versions.platform), '')) as platform,
        nullif(trim(latest_versions.post_id), '') as post_id,
        {{ canonical_handle('latest_versions.handle') }} as social_handle,
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
