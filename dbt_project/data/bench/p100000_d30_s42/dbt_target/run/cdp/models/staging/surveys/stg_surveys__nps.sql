
  
  create view "warehouse"."staging"."stg_surveys__nps__dbt_tmp" as (
    -- One row per NPS survey answer; a score outside 0-10 is kept and flagged.
with

latest_versions as (

    
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.response_id as varchar))
                order by
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."surveys__nps" as delta_rows
        where
            nullif(trim(cast(delta_rows.response_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1


),

standardized as (

    select
        trim(latest_versions.response_id) as nps_response_id,
        case
        when nullif(trim(latest_versions.email), '') is null then null
        when coalesce(regexp_matches(lower(trim(latest_versions.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) then lower(trim(latest_versions.email))
        else trim(latest_versions.email)
    end as email,
        coalesce(regexp_matches(lower(trim(latest_versions.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) as is_email_valid,
        latest_versions.submitted_at,
        latest_versions.score as nps_score,
        coalesce(latest_versions.score between 0 and 10, false) as is_score_valid,
        case
            when latest_versions.score between 9 and 10 then 'promoter'
            when latest_versions.score between 7 and 8 then 'passive'
            when latest_versions.score between 0 and 6 then 'detractor'
        end as nps_category,
        nullif(trim(latest_versions.comment), '') as comment_text,
        latest_versions._export_date as export_date,
        latest_versions._source_file as source_file,
        latest_versions._row_number as source_row_number,
        latest_versions._loaded_at as loaded_at
    from latest_versions

)

select * from standardized
  );
