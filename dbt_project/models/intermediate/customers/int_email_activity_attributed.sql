-- Newsletter activity (sends, opens, clicks, bounces, unsubscribes) with the customer its email
-- address names. An address shared by several customers credits none of them: the activity
-- stays, with no customer, so it is counted but never given to the wrong person.
with

activity as (

    select * from {{ ref('stg_newsletter__activity') }}

),

emails as (

    select * from {{ ref('int_identifiers_resolved') }}
    where identifier_type = 'email' and customer_count = 1

),

attributed as (

    select
        activity.email_activity_id,
        emails.customer_id,
        activity.campaign_id,
        activity.activity_type,
        activity.occurred_at
    from activity
    left join emails
        on
            activity.is_email_valid
            and activity.email = emails.identifier_value

)

select * from attributed
