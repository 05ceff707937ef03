-- One row per NPS survey answer; a score outside 0-10 is kept and flagged.
with

latest_versions as (

    {{ delta_latest(source('surveys', 'nps'), 'response_id') }}

),

standardized as (

    select
        trim(latest_versions.response_id) as nps_response_id,
        {{ standardize_email('latest_versions.email') }} as email,
        {{ is_valid_email('latest_versions.email') }} as is_email_valid,
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
