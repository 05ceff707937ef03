
    

    create  table
      "warehouse"."staging"."stg_subscriptions__subscriptions__dbt_tmp"
  
    
    as (
      -- One row per recipe-box subscription as of the newest snapshot of the billing system; a
-- subscription the newest snapshot no longer lists was deleted there (is_deleted).
-- A table: names and phones are standardized by Python functions (see phone_to_e164).


with

latest_versions as (

    
    select
        latest.*,
        latest._export_date < (
            select max(all_rows._export_date) from "warehouse"."raw"."subscriptions__subscriptions" as all_rows
        ) as is_deleted
    from (
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.id as varchar))
                order by
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."subscriptions__subscriptions" as delta_rows
        where
            nullif(trim(cast(delta_rows.id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1
) as latest


),

unpacked as (

    select
        latest_versions.*,
        latest_versions.customer ->> 'email' as customer_email,
        latest_versions.customer ->> 'phone' as customer_phone,
        split_full_name(latest_versions.customer ->> 'name') as customer_name,
        nullif(trim(latest_versions.customer ->> 'name'), '') as customer_name_as_written,
        upper(nullif(trim(latest_versions.delivery_address ->> 'country'), ''))
            as delivery_country_code,
        nullif(trim(latest_versions.price ->> 'amount'), '') as price_as_written,
        upper(trim(latest_versions.price ->> 'currency')) as price_currency
    from latest_versions

),

with_phones as (

    select
        unpacked.*,
        phone_to_e164(nullif(trim(unpacked.customer_phone), ''), upper(trim(unpacked.delivery_country_code)))
            as phone_e164
    from unpacked

),

standardized as (

    select
        trim(with_phones.id) as subscription_id,
        case
        when nullif(trim(with_phones.customer_email), '') is null then null
        when coalesce(regexp_matches(lower(trim(with_phones.customer_email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) then lower(trim(with_phones.customer_email))
        else trim(with_phones.customer_email)
    end as email,
        coalesce(regexp_matches(lower(trim(with_phones.customer_email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) as is_email_valid,
        struct_extract(with_phones.customer_name, 'first_name') as first_name,
        struct_extract(with_phones.customer_name, 'last_name') as last_name,
        with_phones.customer_name_as_written,
        with_phones.phone_e164 as phone,
        nullif(trim(with_phones.customer_phone), '') as phone_as_written,
        with_phones.phone_e164 is not null as is_phone_valid,
        lower(trim(with_phones.plan)) as plan_code,
        starts_with(lower(trim(with_phones.plan)), 'veggie') as is_vegetarian_plan,
        try_cast(regexp_extract(lower(trim(with_phones.plan)), '(\d+)p$', 1) as integer)
            as plan_portions,
        try_cast(with_phones.price_as_written as decimal(14, 2)) as price_amount,
        with_phones.price_as_written,
        try_cast(with_phones.price_as_written as decimal(14, 2)) is null as is_price_invalid,
        with_phones.price_currency as currency_code,
        cast(round(try_cast(with_phones.price_as_written as decimal(14, 2)) / rates.units_per_eur, 2) as decimal(14, 2))
            as price_amount_eur,
        lower(trim(with_phones.interval)) as billing_interval,
        lower(trim(with_phones.status)) as subscription_status,
        with_phones.started_at,
        with_phones.cancelled_at,
        nullif(regexp_replace(trim(with_phones.delivery_address ->> 'line1'), '\s+', ' ', 'g'), '')
            as delivery_street,
        upper(nullif(trim(with_phones.delivery_address ->> 'postcode'), '')) as delivery_postcode,
        clean_name(with_phones.delivery_address ->> 'city') as delivery_city,
        with_phones.delivery_country_code,
        with_phones.is_deleted,
        with_phones._export_date as last_seen_export_date,
        with_phones._source_file as source_file,
        with_phones._row_number as source_row_number,
        with_phones._loaded_at as loaded_at
    from with_phones
    left join "warehouse"."staging"."stg_reference__fx_rates" as rates
        on rates.currency_code = upper(trim(with_phones.price_currency))
        and cast(with_phones._export_date as date) >= rates.valid_from
        and cast(with_phones._export_date as date) < rates.valid_to

)

select * from standardized
    );
    
  