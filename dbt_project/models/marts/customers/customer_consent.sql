-- The current consent of every customer for every purpose. The newest event across all of the
-- customer's identifiers wins (at the same instant a refusal beats a grant); a purpose with no
-- event on record is `no_record`, which allows nothing. Which events reach a customer, including
-- those under identifiers merged in later and those under shared identifiers, is decided in
-- int_consent_events_attributed.
with

customers as (

    select customer_id from {{ ref('int_identity__golden_records') }}

),

purposes as (

    select {{ explode(text_array_of(var('consent_purposes'))) }} as purpose

),

events as (

    select * from {{ ref('int_consent_events_attributed') }}
    where customer_id is not null

),

ranked as (

    select
        events.*,
        row_number() over (
            partition by events.customer_id, events.purpose
            order by
                events.captured_at desc,
                case events.consent_status
                    when 'withdrawn' then 1 when 'denied' then 2 else 3
                end,
                events.consent_event_id desc
        ) as recency_rank
    from events

),

current_events as (

    select * from ranked
    where recency_rank = 1

),

final as (

    select
        customers.customer_id,
        purposes.purpose,
        coalesce(current_events.consent_status, 'no_record') as consent_status,
        coalesce(current_events.consent_status = 'granted', false) as is_granted,
        current_events.captured_at,
        current_events.capture_source,
        current_events.policy_version,
        current_events.consent_event_id,
        current_events.subject_type,
        coalesce(current_events.is_shared_subject, false) as is_from_shared_subject
    from customers
    cross join purposes
    left join current_events
        on
            customers.customer_id = current_events.customer_id
            and purposes.purpose = current_events.purpose

)

select * from final
