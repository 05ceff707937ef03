-- Identifiers that must not join records on their own, and why. Declared in dbt_project.yml
-- (vars identity_*):
--   junk_pattern       an email of a role, shop counter, placeholder or test account
--                      (info@, test@test.com, nessuna@email.it, the stores' own mailboxes)
--   household_mailbox  an email named for a family (famiglia., familie., famille.) that
--                      records of more than one first name carry
--   fixed_line         a landline (by libphonenumber's numbering plans): it serves a
--                      household or an office, not one person
--   too_many_records   more records than the identifier type's limit
--   different_people   records that name people who cannot be one (a family phone, a
--                      shared email): first names or birth dates that no typing error, short
--                      form or swap explains (int_identity__identifier_conflicts)
-- A model that calls phone_kind (a Python function) is a table.
-- One row per guarded identifier, with the records it would have joined (the audit of
-- skipped joins).
with

identifiers as (

    select * from {{ ref('int_identity__identifiers') }}

),

records as (

    select
        record_key,
        -- the first word of the first name, letters only: `E.` is the initial `e`
        nullif(
            regexp_replace(
                lower(strip_accents(split_part(trim(first_name), ' ', 1))), '[^a-z]', '', 'g'
            ),
            ''
        ) as first_key,
        nullif(lower(strip_accents(split_part(trim(last_name), ' ', 1))), '') as last_key,
        birth_date
    from {{ ref('int_identity__records') }}

),

usage as (

    select
        identifiers.identifier_key,
        identifiers.identifier_type,
        identifiers.identifier_value,
        count(distinct identifiers.record_key) as record_count,
        case
            when identifiers.identifier_type = 'phone'
                then phone_kind(identifiers.identifier_value)
        end as phone_kind,
        count(distinct records.birth_date) as birth_date_count,
        count(distinct records.first_key) as first_name_count
    from identifiers
    left join records
        on identifiers.record_key = records.record_key
    group by all

),

limits as (

    select
        usage.*,
        case usage.identifier_type
            {%- for identifier_type, limit in var('identity_max_records_per_identifier').items() %}
                when '{{ identifier_type }}' then {{ limit }}
            {%- endfor %}
        end as record_limit
    from usage

),

name_conflicts as (

    select * from {{ ref('int_identity__identifier_conflicts') }}

),

guarded as (

    select
        limits.identifier_key,
        limits.identifier_type,
        limits.identifier_value,
        limits.record_count,
        case
            when
                limits.identifier_type = 'email'
                and regexp_matches(
                    limits.identifier_value,
                    '{{ var("identity_junk_email_patterns") | join("|") }}'
                )
                then 'junk_pattern'
            when
                limits.identifier_type = 'email'
                and regexp_matches(
                    limits.identifier_value,
                    '{{ var("identity_household_email_patterns") | join("|") }}'
                )
                and limits.first_name_count > 1
                then 'household_mailbox'
            when limits.phone_kind = 'fixed_line' then 'fixed_line'
            when limits.record_count > limits.record_limit then 'too_many_records'
            when coalesce(name_conflicts.conflicting_pairs, 0) > 0 then 'different_people'
        end as guard_reason,
        coalesce(name_conflicts.conflicting_pairs, 0) as conflicting_name_pairs,
        limits.birth_date_count
    from limits
    left join name_conflicts
        on limits.identifier_key = name_conflicts.identifier_key

)

select * from guarded
where guard_reason is not null
