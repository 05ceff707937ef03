-- One row per email event (sent, open, click, bounce, unsubscribe). The provider gives no id:
-- an event is its address, campaign, kind, time and url, and repeats of it across deliveries
-- collapse to one row.
with

activity as (

    select * from {{ source('newsletter', 'activity') }}

),

keyed as (

    select
        {{ surrogate_key([
            'lower(trim(activity.email))',
            'trim(activity.campaign_id)',
            'lower(trim(activity.activity))',
            'activity.occurred_at',
            'trim(activity.url)',
        ]) }} as email_activity_id,
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
        {{ standardize_email('keyed.email') }} as email,
        {{ is_valid_email('keyed.email') }} as is_email_valid,
        trim(keyed.campaign_id) as campaign_id,
        lower(trim(keyed.activity)) as activity_type,
        {{ epoch_millis_to_utc('keyed.occurred_at') }} as occurred_at,
        nullif(trim(keyed.url), '') as url,
        keyed._export_date as export_date,
        keyed._source_file as source_file,
        keyed._row_number as source_row_number,
        keyed._loaded_at as loaded_at
    from keyed
    where keyed.delivery_rank = 1

)

select * from standardized
