-- One row per answer to the open preferences form (re-sent deliveries collapsed), its open-form
-- answers mapped to one structure through the survey_answers seed. Every answer is also kept
-- as written; one that cannot be mapped is flagged, never guessed.
with

latest_versions as (

    {{ delta_latest(source('surveys', 'preferences'), 'response_id') }}

),

answers as (

    select
        trim(latest_versions.response_id) as survey_response_id,
        {{ standardize_email('latest_versions.respondent_email') }} as email,
        {{ is_valid_email('latest_versions.respondent_email') }} as is_email_valid,
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
split_diets as (

    select
        answers.survey_response_id,
        answers.diet_as_written,
        {{ explode(split_regex('answers.diet_as_written', "'[;,]'")) }} as diet_piece
    from answers

),

diet_pieces as (

    select
        pieces.survey_response_id,
        {{ survey_answer('diet', 'pieces.diet_as_written') }} as phrase_tag,
        {{ survey_answer('diet', 'pieces.diet_piece') }} as piece_tag
    from split_diets as pieces
    where trim(pieces.diet_piece) != ''

),

-- The phrase's tag when the whole answer is known, else the pieces' tags when every piece maps;
-- null when any piece does not.
diet_tags as (

    select
        diet_pieces.survey_response_id,
        case
            when count(diet_pieces.phrase_tag) > 0
                then {{ array_of(['any_value(diet_pieces.phrase_tag)']) }}
            when count(diet_pieces.piece_tag) = count(*)
                then {{ sorted_set_agg('diet_pieces.piece_tag') }}
        end as diet_tags
    from diet_pieces
    group by diet_pieces.survey_response_id

),

mapped as (

    select
        answers.*,
        case
            -- `4` or `4/5`
            when {{ regex_full_match("answers.satisfaction_as_written", "'[1-5]( */ *5)?'") }}
                then cast(left(answers.satisfaction_as_written, 1) as integer)
            -- five stars, the filled ones counted: `★★★★☆`
            when {{ regex_full_match(
                "replace(answers.satisfaction_as_written, ' ', '')", "'[★☆]{5}'"
            ) }}
                then cast(
                    nullif({{ count_matches('answers.satisfaction_as_written', "'★'") }}, 0)
                    as integer
                )
            else cast(
                {{ survey_answer('satisfaction', 'answers.satisfaction_as_written') }} as integer
            )
        end as satisfaction,
        diet_tags.diet_tags,
        -- number words through the seed (`due` → `2`); digits, `3-4` and `5+` as written
        coalesce(
            {{ survey_answer('household_size', 'answers.household_size_as_written') }},
            answers.household_size_as_written
        ) as household_size_text,
        {{ survey_answer('cooking_frequency', 'answers.cooking_frequency_as_written') }}
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
                {{ regex_full_match(
                    'mapped.household_size_text', "'[0-9]{1,2}( *[-–] *[0-9]{1,2}| *\\+)?'"
                ) }}
                then cast(regexp_extract(mapped.household_size_text, '^[0-9]+', 0) as integer)
        end as household_lower,
        case
            when {{ regex_full_match("mapped.household_size_text", "'[0-9]{1,2}'") }}
                then cast(mapped.household_size_text as integer)
            when {{ regex_full_match(
                "mapped.household_size_text", "'[0-9]{1,2} *[-–] *[0-9]{1,2}'"
            ) }}
                then cast(regexp_extract(mapped.household_size_text, '[0-9]+$', 0) as integer)
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
