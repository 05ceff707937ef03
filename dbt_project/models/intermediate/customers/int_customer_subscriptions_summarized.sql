-- Recipe-box traits per customer who ever subscribed: the status that matters most (active,
-- then paused, then cancelled), its plan, tenure since the first box, and the subscription
-- value billed so far. Billing is estimated: one charge per week or month from the start to
-- the cancellation (or the data's as-of day), paused boxes counted as billed.
-- Subscriptions deleted at the source are left out.
with

subscriptions as (

    select * from {{ ref('stg_subscriptions__subscriptions') }}
    where not is_deleted

),

customer_ids as (

    select * from {{ ref('int_identity__customer_ids') }}

),

as_of as (

    select * from {{ ref('int_data_as_of') }}

),

attributed as (

    select
        customer_ids.customer_id,
        subscriptions.subscription_id,
        subscriptions.plan_code,
        subscriptions.subscription_status,
        subscriptions.started_at,
        subscriptions.cancelled_at,
        subscriptions.billing_interval,
        subscriptions.price_amount_eur,
        case subscriptions.subscription_status
            when 'active' then 1 when 'paused' then 2 else 3
        end as status_rank,
        coalesce(cast(subscriptions.cancelled_at as date), as_of.as_of_date) as billed_until
    from subscriptions
    inner join customer_ids
        on customer_ids.record_key = {{ record_key('subscriptions', 'subscriptions') }}
    cross join as_of

),

billed as (

    select
        attributed.*,
        case
            when attributed.billed_until < cast(attributed.started_at as date) then 0
            when attributed.billing_interval = 'month'
                then
                    {{ dates_diff(
                        'month', 'cast(attributed.started_at as date)', 'attributed.billed_until'
                    ) }}
                    + 1
            else {{ dates_diff(
                'week', 'cast(attributed.started_at as date)', 'attributed.billed_until'
            ) }} + 1
        end as charges
    from attributed

),

ranked as (

    select
        billed.*,
        row_number() over (
            partition by billed.customer_id
            order by billed.status_rank asc, billed.started_at desc, billed.subscription_id asc
        ) as subscription_rank
    from billed

),

final as (

    select
        ranked.customer_id,
        max(ranked.subscription_status) filter (where ranked.subscription_rank = 1)
            as subscription_status,
        max(ranked.plan_code) filter (where ranked.subscription_rank = 1) as subscription_plan_code,
        min(ranked.started_at) as subscription_started_at,
        {{ dates_diff('day', 'cast(min(ranked.started_at) as date)', 'max(ranked.billed_until)') }}
            as subscription_tenure_days,
        cast(sum(ranked.charges * coalesce(ranked.price_amount_eur, 0)) as decimal(14, 2))
            as subscription_value_eur
    from ranked
    group by ranked.customer_id

)

select * from final
