
    

    create  table
      "warehouse"."staging"."stg_shop__accounts__dbt_tmp"
  
    
    as (
      -- One row per web shop / loyalty account, its newest version (by updated_at) winning.
-- A table, not a view: phone_to_e164 and clean_name are Python functions that exists only on dbt's
-- connections, so a view calling it could not be read by anyone else.


with

latest_versions as (

    
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.account_id as varchar))
                order by delta_rows.updated_at desc nulls last,
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."shop__accounts" as delta_rows
        where
            nullif(trim(cast(delta_rows.account_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1


),

with_phones as (

    -- The Python function once per row; validity follows from its result.
    select
        latest_versions.*,
        phone_to_e164(nullif(trim(latest_versions.phone), ''), upper(trim(latest_versions.country_code))) as phone_e164
    from latest_versions

),

standardized as (

    select
        with_phones.account_id,
        case
        when nullif(trim(with_phones.email), '') is null then null
        when coalesce(regexp_matches(lower(trim(with_phones.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) then lower(trim(with_phones.email))
        else trim(with_phones.email)
    end as email,
        coalesce(regexp_matches(lower(trim(with_phones.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) as is_email_valid,
        clean_name(with_phones.first_name) as first_name,
        clean_name(with_phones.last_name) as last_name,
        with_phones.phone_e164 as phone,
        nullif(trim(with_phones.phone), '') as phone_as_written,
        with_phones.phone_e164 is not null as is_phone_valid,
        with_phones.date_of_birth as birth_date,
        upper(nullif(trim(with_phones.country_code), '')) as country_code,
        nullif(trim(with_phones.loyalty_card_no), '') as loyalty_card_number,
        with_phones.created_at,
        with_phones.updated_at,
        with_phones.last_login_at,
        with_phones._export_date as export_date,
        with_phones._source_file as source_file,
        with_phones._row_number as source_row_number,
        with_phones._loaded_at as loaded_at
    from with_phones

)

select * from standardized
    );
    
  