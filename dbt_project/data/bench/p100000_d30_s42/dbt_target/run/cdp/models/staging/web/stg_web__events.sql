
    

    create  table
      "warehouse"."staging"."stg_web__events__dbt_tmp"
  
    
    as (
      -- One row per tracked event: the tracker retries, so an event_id can arrive more than once
-- (in the same export or a later one); the copy in the newest export is kept. Events arrive
-- late, so is_late_arrival marks those that occurred before the day before their export.
-- A table: events are the largest source, and every model downstream reads them.


with

deduplicated as (

    
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.event_id as varchar))
                order by
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."web__events" as delta_rows
        where
            nullif(trim(cast(delta_rows.event_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1


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
        nullif(upper(trim(deduplicated.properties ->> 'sku')), '') as product_sku,
        nullif(trim(deduplicated.properties ->> 'order_id'), '') as order_id,
        nullif(trim(deduplicated.properties ->> 'query'), '') as search_query,
        case
        when nullif(trim(deduplicated.properties ->> 'email'), '') is null then null
        when coalesce(regexp_matches(lower(trim(deduplicated.properties ->> 'email')), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) then lower(trim(deduplicated.properties ->> 'email'))
        else trim(deduplicated.properties ->> 'email')
    end as email,
        coalesce(regexp_matches(lower(trim(deduplicated.properties ->> 'email')), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) as is_email_valid,
        cast(deduplicated.occurred_at as date) < deduplicated._export_date - 1 as is_late_arrival,
        deduplicated._export_date as export_date,
        deduplicated._source_file as source_file,
        deduplicated._row_number as source_row_number,
        deduplicated._loaded_at as loaded_at
    from deduplicated

)

select * from standardized
    );
    
  