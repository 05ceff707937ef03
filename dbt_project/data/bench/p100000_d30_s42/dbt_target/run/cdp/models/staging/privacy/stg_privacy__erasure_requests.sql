
    

    create  table
      "warehouse"."staging"."stg_privacy__erasure_requests__dbt_tmp"
  
    
    as (
      -- One row per request to be forgotten (erasure_request_id), its newest delivery winning; each
-- identifier it names (email, phone, account id) may be empty.
-- A table, not a view: phone_to_e164 is a Python function that exists only on dbt's
-- connections, so a view calling it could not be read by anyone else.


with

latest_versions as (

    
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.request_id as varchar))
                order by
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."privacy__erasure_requests" as delta_rows
        where
            nullif(trim(cast(delta_rows.request_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1


),

with_identifiers as (

    -- The Python function once per row; an account id that is not all digits is flagged.
    select
        latest_versions.*,
        phone_to_e164(nullif(trim(latest_versions.phone), ''), upper(trim(cast(null as varchar)))) as phone_e164,
        nullif(trim(latest_versions.account_id), '') as account_id_text,
        case
            when regexp_full_match(trim(latest_versions.account_id), '[0-9]+')
                then try_cast(trim(latest_versions.account_id) as bigint)
        end as account_id_number
    from latest_versions

),

standardized as (

    select
        trim(with_identifiers.request_id) as erasure_request_id,
        case
        when nullif(trim(with_identifiers.email), '') is null then null
        when coalesce(regexp_matches(lower(trim(with_identifiers.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) then lower(trim(with_identifiers.email))
        else trim(with_identifiers.email)
    end as email,
        coalesce(regexp_matches(lower(trim(with_identifiers.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) as is_email_valid,
        with_identifiers.phone_e164 as phone,
        nullif(trim(with_identifiers.phone), '') as phone_as_written,
        with_identifiers.phone_e164 is not null as is_phone_valid,
        with_identifiers.account_id_number as account_id,
        with_identifiers.account_id_text as account_id_as_written,
        with_identifiers.account_id_number is not null as is_account_id_valid,
        with_identifiers.received_at,
        with_identifiers._export_date as export_date,
        with_identifiers._source_file as source_file,
        with_identifiers._row_number as source_row_number,
        with_identifiers._loaded_at as loaded_at
    from with_identifiers

)

select * from standardized
    );
    
  