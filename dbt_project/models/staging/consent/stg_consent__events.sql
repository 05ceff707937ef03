-- One row per consent event (consent_event_id): a purpose granted, denied or withdrawn for one
-- subject (an email, phone, account or anonymous id), its newest delivery winning.
-- A table, not a view: phone_to_e164 is a Python function that exists only on dbt's
-- connections, so a view calling it could not be read by anyone else.
-- Incremental: a run works out again only the consent events it touches (see delta_latest);
-- `dbt run --full-refresh` rebuilds it from all of raw.
{{
    config(
        materialized='incremental',
        unique_key='consent_event_id',
        pre_hook="{{ forget_rows_gone_from(source('consent', 'consent_events')) }}",
    )
}}

with

latest_versions as (

    {{ delta_latest(
        source('consent', 'consent_events'), 'consent_event_id', staged_key='consent_event_id',
    ) }}

),

typed as (

    select
        latest_versions.*,
        lower(trim(latest_versions.subject_type)) as subject_type_code,
        nullif(trim(latest_versions.subject_value), '') as subject_text
    from latest_versions

),

with_subjects as (

    -- Each kind of subject in the form the sources that carry it use; the Python function
    -- only for phones. An id that is not all digits is no account id.
    select
        typed.*,
        case
            when typed.subject_type_code = 'phone'
                then {{ phone_to_e164('typed.subject_text', 'cast(null as string)') }}
        end as phone_e164,
        case
            when
                typed.subject_type_code = 'account_id'
                and {{ regex_full_match("typed.subject_text", "'[0-9]+'") }}
                then cast(try_cast(typed.subject_text as bigint) as string)
        end as account_id_text
    from typed

),

standardized as (

    select
        trim(with_subjects.consent_event_id) as consent_event_id,
        with_subjects.subject_type_code as subject_type,
        case with_subjects.subject_type_code
            when 'email' then {{ standardize_email('with_subjects.subject_text') }}
            when 'phone' then with_subjects.phone_e164
            when 'account_id' then with_subjects.account_id_text
            when 'anonymous_id' then lower(with_subjects.subject_text)
            else with_subjects.subject_text
        end as subject_value,
        with_subjects.subject_text as subject_value_as_written,
        coalesce(case with_subjects.subject_type_code
            when 'email' then {{ is_valid_email('with_subjects.subject_text') }}
            when 'phone' then with_subjects.phone_e164 is not null
            when 'account_id' then with_subjects.account_id_text is not null
            when 'anonymous_id' then with_subjects.subject_text is not null
        end, false) as is_subject_valid,
        lower(nullif(trim(with_subjects.purpose), '')) as purpose,
        lower(nullif(trim(with_subjects.status), '')) as consent_status,
        with_subjects.captured_at,
        lower(nullif(trim(with_subjects.source), '')) as capture_source,
        nullif(trim(with_subjects.policy_version), '') as policy_version,
        with_subjects._export_date as export_date,
        with_subjects._source_file as source_file,
        with_subjects._row_number as source_row_number,
        with_subjects._loaded_at as loaded_at
    from with_subjects

)

select * from standardized
