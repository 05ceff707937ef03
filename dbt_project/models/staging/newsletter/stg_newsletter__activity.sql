-- One row per email event (sent, open, click, bounce, unsubscribe). The provider gives no id:
-- an event is its address, campaign, kind, time and url, and repeats of it across deliveries
-- collapse to one row.
-- Incremental, as the other event and delta sources: a run works out again only the events
-- with a delivery loaded since the model last ran, and those whose kept delivery left raw (an
-- erasure, the retention purge, a file delivered again: forget_rows_gone_from, the pre-hook),
-- each from all its deliveries in raw, as a full rebuild would; `dbt run --full-refresh`
-- rebuilds it from all of raw.
{{
    config(
        materialized='incremental',
        unique_key='email_activity_id',
        pre_hook="{{ forget_rows_gone_from(source('newsletter', 'activity')) }}",
    )
}}

with

activity as (

    select
        {{ surrogate_key([
            'lower(trim(delivered.email))',
            'trim(delivered.campaign_id)',
            'lower(trim(delivered.activity))',
            'delivered.occurred_at',
            'trim(delivered.url)',
        ]) }} as email_activity_id,
        delivered.*
    from {{ source('newsletter', 'activity') }} as delivered

),

touched as (

    select activity.*
    from activity
    {%- if is_incremental() %}
    where activity.email_activity_id in (
        select new_rows.email_activity_id
        from activity as new_rows
        where {{ loaded_since_last_run('new_rows._loaded_at') }}
        union all
        select gone.email_activity_id
        from {{ gone_rows(this) }} as gone
    )
    {%- endif %}

),

keyed as (

    select
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
    from touched as activity

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
