
  
  create view "warehouse"."staging"."stg_newsletter__activity__dbt_tmp" as (
    -- One row per email event (sent, open, click, bounce, unsubscribe). The provider gives no id:
-- an event is its address, campaign, kind, time and url, and repeats of it across deliveries
-- collapse to one row.
with

activity as (

    select * from "warehouse"."raw"."newsletter__activity"

),

keyed as (

    select
        md5(concat_ws('|', coalesce(cast(lower(trim(activity.email)) as varchar), ''), coalesce(cast(trim(activity.campaign_id) as varchar), ''), coalesce(cast(lower(trim(activity.activity)) as varchar), ''), coalesce(cast(activity.occurred_at as varchar), ''), coalesce(cast(trim(activity.url) as varchar), ''))) as email_activity_id,
        activity.*,
        row_number() over (
            partition by
                lower(trim(activity.email)),
                trim(activity.campaign_id),
                lower(trim(activity.activity)),
                activity.occurred_at,
                trim(activity.url)
            order by activity._export_date, activity._row_number
        ) as delivery_rank
    from activity

),

standardized as (

    select
        keyed.email_activity_id,
        case
        when nullif(trim(keyed.email), '') is null then null
        when coalesce(regexp_matches(lower(trim(keyed.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) then lower(trim(keyed.email))
        else trim(keyed.email)
    end as email,
        coalesce(regexp_matches(lower(trim(keyed.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) as is_email_valid,
        trim(keyed.campaign_id) as campaign_id,
        lower(trim(keyed.activity)) as activity_type,
        to_timestamp(keyed.occurred_at / 1000.0) as occurred_at,
        nullif(trim(keyed.url), '') as url,
        keyed._export_date as export_date,
        keyed._source_file as source_file,
        keyed._row_number as source_row_number,
        keyed._loaded_at as loaded_at
    from keyed
    where keyed.delivery_rank = 1

)

select * from standardized
  );
