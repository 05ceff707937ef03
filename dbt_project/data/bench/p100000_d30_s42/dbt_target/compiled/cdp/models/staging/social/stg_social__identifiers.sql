-- The identifier social posts carry: the author's handle. A record is a handle on a platform
-- (`platform:handle`), observed at its latest post.
with

mentions as (

    select * from "warehouse"."staging"."stg_social__mentions"

),

handles as (

    select
        'social' as source,  -- noqa: RF04
        mentions.platform || ':' || mentions.social_handle as record_id,
        'social_handle' as identifier_type,
        mentions.social_handle as identifier_value,
        true as is_identifier_valid,
        max(mentions.posted_at) as observed_at,
        false as is_record_deleted
    from mentions
    where mentions.social_handle is not null
    group by mentions.platform, mentions.social_handle

)

select * from handles