
  
  create view "warehouse"."staging"."stg_surveys__preferences__dbt_tmp" as (
    -- One row per answer to the open preferences form (re-sent deliveries collapsed), its open-form
-- answers mapped to one structure through the survey_answers seed. Every answer is also kept
-- as written; one that cannot be mapped is flagged, never guessed.
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
        from "warehouse"."raw"."surveys__preferences" as delta_rows
        where
            nullif(trim(cast(delta_rows.response_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1


),

answers as (

    select
        trim(latest_versions.response_id) as survey_response_id,
        case
        when nullif(trim(latest_versions.respondent_email), '') is null then null
        when coalesce(regexp_matches(lower(trim(latest_versions.respondent_email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) then lower(trim(latest_versions.respondent_email))
        else trim(latest_versions.respondent_email)
    end as email,
        coalesce(regexp_matches(lower(trim(latest_versions.respondent_email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) as is_email_valid,
        latest_versions.submitted as submitted_on,
        nullif(trim(latest_versions.satisfaction), '') as satisfaction_as_written,
        nullif(trim(latest_versions.diet), '') as diet_as_written,
        nullif(trim(latest_versions.household_size), '') as household_size_as_written,
        nullif(trim(latest_versions.cooking_frequency), '') as cooking_frequency_as_written,
        latest_versions._export_date as export_date,
        latest_versions._source_file as source_file,
        latest_versions._row_number as source_row_number,
        latest_versions._loaded_at as loaded_at
    from latest_versions

),

-- Check-box values and free-text pieces of a diet answer, split at `;` and `,`. A whole answer
-- the seed knows as one phrase (`no meat, sometimes fish`) is kept beside each piece.
diet_pieces as (

    select
        answers.survey_response_id,
        (
        select survey_answers.value
        from "warehouse"."reference"."survey_answers" as survey_answers
        where survey_answers.question = 'diet'
            and survey_answers.answer_key = trim(regexp_replace(strip_accents(replace(lower(trim(answers.diet_as_written)), 'ß', 'ss')), '[^a-z0-9]+', ' ', 'g'))
    ) as phrase_tag,
        (
        select survey_answers.value
        from "warehouse"."reference"."survey_answers" as survey_answers
        where survey_answers.question = 'diet'
            and survey_answers.answer_key = trim(regexp_replace(strip_accents(replace(lower(trim(pieces.diet_piece)), 'ß', 'ss')), '[^a-z0-9]+', ' ', 'g'))
    ) as piece_tag
    from answers
    cross join unnest(string_split_regex(answers.diet_as_written, '[;,]')) as pieces (diet_piece)
    where trim(pieces.diet_piece) != ''

),

-- The phrase's tag when the whole answer is known, else the pieces' tags when every piece maps;
-- null when any piece does not.
diet_tags as (

    select
        diet_pieces.survey_response_id,
        case
            when count(diet_pieces.phrase_tag) > 0 then [any_value(diet_pieces.phrase_tag)]
            when count(diet_pieces.piece_tag) = count(*)
                then list_sort(list_distinct(list(diet_pieces.piece_tag)))
        end as diet_tags
    from diet_pieces
    group by diet_pieces.survey_response_id

),

mapped as (

    select
        answers.*,
        case
            -- `4` or `4/5`
            when regexp_full_match(answers.satisfaction_as_written, '[1-5]( */ *5)?')
                then cast(left(answers.satisfaction_as_written, 1) as integer)
            -- five stars, the filled ones counted: `★★★★☆`
            when regexp_full_match(replace(answers.satisfaction_as_written, ' ', ''), '[★☆]{5}')
                then cast(
                    nullif(len(regexp_extract_all(answers.satisfaction_as_written, '★')), 0)
                    as integer
                )
            else cast(
                (
        select survey_answers.value
        from "warehouse"."reference"."survey_answers" as survey_answers
        where survey_answers.question = 'satisfaction'
            and survey_answers.answer_key = trim(regexp_replace(strip_accents(replace(lower(trim(answers.satisfaction_as_written)), 'ß', 'ss')), '[^a-z0-9]+', ' ', 'g'))
    ) as integer
            )
        end as satisfaction,
        diet_tags.diet_tags,
        -- number words through the seed (`due` → `2`); digits, `3-4` and `5+` as written
        coalesce(
            (
        select survey_answers.value
        from "warehouse"."reference"."survey_answers" as survey_answers
        where survey_answers.question = 'household_size'
            and survey_answers.answer_key = trim(regexp_replace(strip_accents(replace(lower(trim(answers.household_size_as_written)), 'ß', 'ss')), '[^a-z0-9]+', ' ', 'g'))
    ),
            answers.household_size_as_written
        ) as household_size_text,
        (
        select survey_answers.value
        from "warehouse"."reference"."survey_answers" as survey_answers
        where survey_answers.question = 'cooking_frequency'
            and survey_answers.answer_key = trim(regexp_replace(strip_accents(replace(lower(trim(answers.cooking_frequency_as_written)), 'ß', 'ss')), '[^a-z0-9]+', ' ', 'g'))
    )
            as cooking_frequency
    from answers
    left join diet_tags
        on answers.survey_response_id = diet_tags.survey_response_id

),

household_bounds as (

    select
        mapped.*,
        case
            when
                regexp_full_match(
                    mapped.household_size_text, '[0-9]{1,2}( *[-–] *[0-9]{1,2}| *\+)?'
                )
                then cast(regexp_extract(mapped.household_size_text, '^[0-9]+') as integer)
        end as household_lower,
        case
            when regexp_full_match(mapped.household_size_text, '[0-9]{1,2}')
                then cast(mapped.household_size_text as integer)
            when regexp_full_match(mapped.household_size_text, '[0-9]{1,2} *[-–] *[0-9]{1,2}')
                then cast(regexp_extract(mapped.household_size_text, '[0-9]+$') as integer)
        end as household_upper
    from mapped

),

-- A household of at least one person, a range's upper bound not below its lower one (`5+`
-- has none).
household_checked as (

    select
        household_bounds.*,
        coalesce(
            household_bounds.household_lower >= 1
            and coalesce(
                household_bounds.household_upper >= household_bounds.household_lower, true
            ),
            false
        ) as is_household_size_valid
    from household_bounds

),

final as (

    select
        household_checked.survey_response_id,
        household_checked.email,
        household_checked.is_email_valid,
        household_checked.submitted_on,
        household_checked.satisfaction,
        household_checked.satisfaction_as_written,
        household_checked.satisfaction_as_written is not null
        and household_checked.satisfaction is null as is_satisfaction_unmapped,
        household_checked.diet_tags,
        household_checked.diet_as_written,
        household_checked.diet_as_written is not null
        and household_checked.diet_tags is null as is_diet_unmapped,
        case
            when
                household_checked.is_household_size_valid
                and household_checked.household_lower = household_checked.household_upper
                then household_checked.household_lower
        end as household_size,
        case
            when household_checked.is_household_size_valid then household_checked.household_lower
        end as household_size_min,
        case
            when household_checked.is_household_size_valid then household_checked.household_upper
        end as household_size_max,
        household_checked.household_size_as_written,
        household_checked.household_size_as_written is not null
        and not household_checked.is_household_size_valid as is_household_size_unmapped,
        household_checked.cooking_frequency,
        household_checked.cooking_frequency_as_written,
        household_checked.cooking_frequency_as_written is not null
        and household_checked.cooking_frequency is null as is_cooking_frequency_unmapped,
        household_checked.export_date,
        household_checked.source_file,
        household_checked.source_row_number,
        household_checked.loaded_at
    from household_checked

)

select * from final
  );
