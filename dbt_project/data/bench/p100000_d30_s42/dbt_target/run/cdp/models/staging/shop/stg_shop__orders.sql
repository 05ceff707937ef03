
    

    create  table
      "warehouse"."staging"."stg_shop__orders__dbt_tmp"
  
    
    as (
      -- One row per order, its newest version (by updated_at) winning: an order comes back in a later
-- delta each time its status changes. Cancelled and refunded orders stay, with is_revenue false,
-- so that revenue excludes them and order counts can still see them.
-- A table: phones are standardized by a Python function (see phone_to_e164).


with

latest_versions as (

    
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.order_id as varchar))
                order by delta_rows.updated_at desc nulls last,
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."shop__orders" as delta_rows
        where
            nullif(trim(cast(delta_rows.order_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1


),

with_phones as (

    select
        latest_versions.*,
        phone_to_e164(nullif(trim(latest_versions.phone), ''), upper(trim(latest_versions.ship_country))) as phone_e164
    from latest_versions

),

standardized as (

    select
        trim(with_phones.order_id) as order_id,
        with_phones.account_id,
        with_phones.account_id is null as is_guest_checkout,
        case
        when nullif(trim(with_phones.email), '') is null then null
        when coalesce(regexp_matches(lower(trim(with_phones.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) then lower(trim(with_phones.email))
        else trim(with_phones.email)
    end as email,
        coalesce(regexp_matches(lower(trim(with_phones.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) as is_email_valid,
        with_phones.phone_e164 as phone,
        nullif(trim(with_phones.phone), '') as phone_as_written,
        with_phones.phone_e164 is not null as is_phone_valid,
        lower(trim(with_phones.channel)) as order_channel,
        nullif(upper(trim(with_phones.store_id)), '') as store_id,
        with_phones.ordered_at,
        upper(trim(with_phones.currency)) as currency_code,
        with_phones.total_amount,
        coalesce(with_phones.discount_amount, 0) as discount_amount,
        cast(round(with_phones.total_amount / rates.units_per_eur, 2) as decimal(14, 2)) as total_amount_eur,
        cast(round(coalesce(with_phones.discount_amount, 0) / rates.units_per_eur, 2) as decimal(14, 2)) as discount_amount_eur,
        rates.units_per_eur is null as is_fx_rate_missing,
        lower(trim(with_phones.status)) as order_status,
        lower(trim(with_phones.status)) not in ('cancelled', 'refunded') as is_revenue,
        upper(nullif(trim(with_phones.ship_country), '')) as ship_country_code,
        upper(nullif(trim(with_phones.ship_postcode), '')) as ship_postcode,
        nullif(lower(trim(with_phones.utm_campaign)), '') as utm_campaign,
        with_phones.updated_at,
        with_phones._export_date as export_date,
        with_phones._source_file as source_file,
        with_phones._row_number as source_row_number,
        with_phones._loaded_at as loaded_at
    from with_phones
    left join "warehouse"."staging"."stg_reference__fx_rates" as rates
        on rates.currency_code = upper(trim(with_phones.currency))
        and cast(with_phones.ordered_at as date) >= rates.valid_from
        and cast(with_phones.ordered_at as date) < rates.valid_to

)

select * from standardized
    );
    
  