-- Every consent event with the customer(s) its subject (an email, phone, shop account or app
-- install) names today. Because subjects are resolved through the current identity graph, an
-- event given under an identifier that was merged into a profile later counts for that profile.
--
-- The rule for identifiers shared by several customers (a family mailbox, a shared phone):
-- a grant counts for none of them, since it cannot be told whose it is; a denial or withdrawal
-- counts for all of them, since honouring a refusal is always safe.
-- Events whose subject is invalid or names no customer stay, with no customer, to be counted.
with

events as (

    select * from {{ ref('stg_consent__events') }}

),

identifiers as (

    select * from {{ ref('int_identifiers_resolved') }}

),

attributed as (

    select
        events.consent_event_id,
        identifiers.customer_id,
        events.subject_type,
        events.purpose,
        events.consent_status,
        events.captured_at,
        events.capture_source,
        events.policy_version,
        coalesce(identifiers.customer_count > 1, false) as is_shared_subject
    from events
    left join identifiers
        on
            events.is_subject_valid
            and events.subject_type = identifiers.identifier_type
            and events.subject_value = identifiers.identifier_value
            and (identifiers.customer_count = 1 or events.consent_status in ('denied', 'withdrawn'))

)

select * from attributed
