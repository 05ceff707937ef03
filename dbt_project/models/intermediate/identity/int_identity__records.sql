-- One row per source record that names a person, with the attributes identity resolution
-- compares and survivorship chooses from. `source` and `record_id` are spelled as in
-- customer_source_records. Records with no attributes of their own (web installs, social
-- handles, surveys) are here too: their identifiers alone tie them to a profile.
with

crm as (

    select
        'crm' as source,  -- noqa: RF04
        contact_id as record_id,
        first_name,
        last_name,
        case when is_email_valid then email end as email,
        coalesce(mobile, phone) as phone,
        birth_date,
        street,
        postcode,
        city,
        country_code,
        cast(null as varchar) as language_code,
        updated_at as observed_at,
        is_deleted
    from {{ ref('stg_crm__contacts') }}

),

-- The account export has no address; the postcode its latest order shipped to in the
-- account's country stands for it (evidence for fuzzy matching when no contact is shared).
account_postcodes as (

    select
        orders.account_id,
        orders.ship_postcode as postcode
    from {{ ref('stg_shop__orders') }} as orders
    inner join {{ ref('stg_shop__accounts') }} as stg_accounts
        on
            orders.account_id = stg_accounts.account_id
            and orders.ship_country_code = stg_accounts.country_code
    where orders.ship_postcode is not null
    -- the latest order; of two at one moment, the larger order id (the same on every run)
    qualify row_number() over (
        partition by orders.account_id order by orders.ordered_at desc, orders.order_id desc
    ) = 1

),

shop_accounts as (

    select
        'shop_account' as source,  -- noqa: RF04
        cast(stg_accounts.account_id as varchar) as record_id,
        stg_accounts.first_name,
        stg_accounts.last_name,
        case when stg_accounts.is_email_valid then stg_accounts.email end as email,
        stg_accounts.phone,
        stg_accounts.birth_date,
        cast(null as varchar) as street,
        account_postcodes.postcode,
        cast(null as varchar) as city,
        stg_accounts.country_code,
        cast(null as varchar) as language_code,
        stg_accounts.updated_at as observed_at,
        false as is_deleted
    from {{ ref('stg_shop__accounts') }} as stg_accounts
    left join account_postcodes on stg_accounts.account_id = account_postcodes.account_id

),

guest_orders as (

    select
        'shop_order' as source,  -- noqa: RF04
        order_id as record_id,
        cast(null as varchar) as first_name,
        cast(null as varchar) as last_name,
        case when is_email_valid then email end as email,
        phone,
        cast(null as date) as birth_date,
        cast(null as varchar) as street,
        ship_postcode as postcode,
        cast(null as varchar) as city,
        ship_country_code as country_code,
        cast(null as varchar) as language_code,
        ordered_at as observed_at,
        false as is_deleted
    from {{ ref('stg_shop__orders') }}
    where is_guest_checkout

),

newsletter as (

    select
        'newsletter' as source,  -- noqa: RF04
        subscriber_id as record_id,
        first_name,
        cast(null as varchar) as last_name,
        case when is_email_valid then email end as email,
        cast(null as varchar) as phone,
        cast(null as date) as birth_date,
        cast(null as varchar) as street,
        cast(null as varchar) as postcode,
        cast(null as varchar) as city,
        cast(null as varchar) as country_code,
        language_code,
        coalesce(unsubscribed_at, opted_in_at) as observed_at,
        is_deleted
    from {{ ref('stg_newsletter__subscribers') }}

),

subscriptions as (

    select
        'subscriptions' as source,  -- noqa: RF04
        subscription_id as record_id,
        first_name,
        last_name,
        case when is_email_valid then email end as email,
        phone,
        cast(null as date) as birth_date,
        delivery_street as street,
        delivery_postcode as postcode,
        delivery_city as city,
        delivery_country_code as country_code,
        cast(null as varchar) as language_code,
        coalesce(cancelled_at, started_at) as observed_at,
        is_deleted
    from {{ ref('stg_subscriptions__subscriptions') }}

),

support as (

    select
        'support' as source,  -- noqa: RF04
        ticket_id as record_id,
        first_name,
        last_name,
        case when is_email_valid then email end as email,
        phone,
        cast(null as date) as birth_date,
        cast(null as varchar) as street,
        cast(null as varchar) as postcode,
        cast(null as varchar) as city,
        cast(null as varchar) as country_code,
        cast(null as varchar) as language_code,
        opened_at as observed_at,
        false as is_deleted
    from {{ ref('stg_support__tickets') }}

),

identifier_only as (

    -- Records that carry identifiers and nothing else a person could be told by.
    select
        identifiers.source,
        identifiers.record_id,
        max(case
            when identifiers.identifier_type = 'email' and identifiers.is_identifier_valid
                then identifiers.identifier_value
        end) as email,
        max(identifiers.observed_at) as observed_at
    from (
        select * from {{ ref('stg_web__identifiers') }}
        union all
        select * from {{ ref('stg_surveys__identifiers') }}
        union all
        select * from {{ ref('stg_social__identifiers') }}
    ) as identifiers
    group by identifiers.source, identifiers.record_id

),

identifier_only_records as (

    select
        source,
        record_id,
        cast(null as varchar) as first_name,
        cast(null as varchar) as last_name,
        email,
        cast(null as varchar) as phone,
        cast(null as date) as birth_date,
        cast(null as varchar) as street,
        cast(null as varchar) as postcode,
        cast(null as varchar) as city,
        cast(null as varchar) as country_code,
        cast(null as varchar) as language_code,
        observed_at,
        false as is_deleted
    from identifier_only

),

unioned as (

    select * from crm
    union all
    select * from shop_accounts
    union all
    select * from guest_orders
    union all
    select * from newsletter
    union all
    select * from subscriptions
    union all
    select * from support
    union all
    select * from identifier_only_records

),

final as (

    select
        source || ':' || record_id as record_key,
        *
    from unioned

)

select * from final
