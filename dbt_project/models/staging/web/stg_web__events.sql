-- One row per tracked event: the tracker retries, so an event_id can arrive more than once
-- (in the same export or a later one, in either letter case: the id is a UUID, staged in lower
-- case); the copy in the newest export is kept. Events arrive late, so is_late_arrival marks
-- those that occurred before the day before their export.
-- Incremental: events are the largest source, and a day's delivery is processed as a day.
-- A run works out again only the events it touches (see delta_latest): those with a copy
-- loaded since the last run (new, retried or late), and those whose kept copy left raw.
-- `dbt run --full-refresh` rebuilds it from all of raw.
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        pre_hook="{{ forget_rows_gone_from(source('web', 'events')) }}",
    )
}}

with

deduplicated as (

    {{ delta_latest(
        source('web', 'events'), 'event_id', staged_key='event_id', ignore_key_case=true
    ) }}

),

standardized as (

    select
        lower(trim(deduplicated.event_id)) as event_id,
        nullif(lower(trim(deduplicated.anonymous_id)), '') as anonymous_id,
        deduplicated.account_id,
        lower(trim(deduplicated.event_type)) as event_type,
        deduplicated.occurred_at,
        deduplicated.received_at,
        lower(trim(deduplicated.platform)) as platform,
        nullif(trim(deduplicated.page_url), '') as page_url,
        nullif(trim(deduplicated.referrer), '') as referrer,
        nullif(lower(trim(deduplicated.utm_source)), '') as utm_source,
        nullif(lower(trim(deduplicated.utm_medium)), '') as utm_medium,
        nullif(lower(trim(deduplicated.utm_campaign)), '') as utm_campaign,
        nullif(upper(trim({{ json_text('deduplicated.properties', '$.sku') }})), '') as product_sku,
        nullif(trim({{ json_text('deduplicated.properties', '$.order_id') }}), '') as order_id,
        nullif(trim({{ json_text('deduplicated.properties', '$.query') }}), '') as search_query,
        {{ standardize_email(json_text('deduplicated.properties', '$.email')) }} as email,
        {{ is_valid_email(json_text('deduplicated.properties', '$.email')) }} as is_email_valid,
        cast(deduplicated.occurred_at as date) < deduplicated._export_date - 1 as is_late_arrival,
        deduplicated._export_date as export_date,
        deduplicated._source_file as source_file,
        deduplicated._row_number as source_row_number,
        deduplicated._loaded_at as loaded_at,
        -- the run that staged the row: every row a run writes shares it (the batch the
        -- uniqueness test reads, unique_in_latest_batch)
        current_timestamp as staged_at
    from deduplicated

)

select * from standardized
