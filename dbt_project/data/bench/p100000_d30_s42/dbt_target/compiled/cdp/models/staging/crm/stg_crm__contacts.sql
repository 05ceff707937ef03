-- One row per CRM contact, its newest version (by updated_at) winning. Contacts deleted in the
-- CRM stay, with is_deleted true, so that downstream layers can drop them knowingly.
-- A table: names and phones are standardized by Python functions (see phone_to_e164).


with

latest_versions as (

    
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    trim(cast(delta_rows.contact_id as varchar))
                order by delta_rows.updated_at desc nulls last,
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from "warehouse"."raw"."crm__contacts" as delta_rows
        where
            nullif(trim(cast(delta_rows.contact_id as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1


),

with_country as (

    select
        latest_versions.*,
        (
        select country_aliases.alpha_2
        from "warehouse"."reference"."country_aliases" as country_aliases
        where country_aliases.lookup_key = trim(regexp_replace(strip_accents(replace(lower(trim(latest_versions.country)), 'ß', 'ss')), '[^a-z0-9]+', ' ', 'g'))
    ) as country_code
    from latest_versions

),

with_phones as (

    -- Phones are read in the region of the contact's country, each number once.
    select
        with_country.*,
        phone_to_e164(nullif(trim(with_country.phone), ''), upper(trim(with_country.country_code))) as phone_e164,
        phone_to_e164(nullif(trim(with_country.mobile), ''), upper(trim(with_country.country_code))) as mobile_e164
    from with_country

),

standardized as (

    select
        trim(with_phones.contact_id) as contact_id,
        nullif(trim(with_phones.salutation), '') as salutation,
        clean_name(with_phones.first_name) as first_name,
        clean_name(with_phones.last_name) as last_name,
        case
        when nullif(trim(with_phones.email), '') is null then null
        when coalesce(regexp_matches(lower(trim(with_phones.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) then lower(trim(with_phones.email))
        else trim(with_phones.email)
    end as email,
        coalesce(regexp_matches(lower(trim(with_phones.email)), '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'), false) as is_email_valid,
        with_phones.phone_e164 as phone,
        nullif(trim(with_phones.phone), '') as phone_as_written,
        with_phones.phone_e164 is not null as is_phone_valid,
        with_phones.mobile_e164 as mobile,
        nullif(trim(with_phones.mobile), '') as mobile_as_written,
        with_phones.mobile_e164 is not null as is_mobile_valid,
        with_phones.birth_date,
        coalesce(
            with_phones.birth_date
            between date '1900-01-01' and cast(with_phones.updated_at as date),
            false
        ) as is_birth_date_plausible,
        nullif(regexp_replace(trim(with_phones.street), '\s+', ' ', 'g'), '') as street,
        upper(nullif(trim(with_phones.postcode), '')) as postcode,
        clean_name(with_phones.city) as city,
        with_phones.country_code,
        nullif(trim(with_phones.country), '') as country_as_written,
        with_phones.country_code is not null as is_country_valid,
        nullif(lower(ltrim(trim(with_phones.instagram_handle), '@')), '') as instagram_handle,
        case
        when lower(strip_accents(trim(cast(with_phones.marketing_opt_in as varchar)))) in ('si', 'yes', 'y', '1', 'true', 't', 'ja', 'j', 'oui', 'o', 'vero', 'x') then true
        when lower(strip_accents(trim(cast(with_phones.marketing_opt_in as varchar)))) in ('no', 'n', '0', 'false', 'f', 'nein', 'non', 'falso') then false
    end as has_marketing_opt_in,
        coalesce(
        nullif(lower(strip_accents(trim(cast(with_phones.marketing_opt_in as varchar)))), '') is not null
        and lower(strip_accents(trim(cast(with_phones.marketing_opt_in as varchar)))) not in ('si', 'yes', 'y', '1', 'true', 't', 'ja', 'j', 'oui', 'o', 'vero', 'x')
        and lower(strip_accents(trim(cast(with_phones.marketing_opt_in as varchar)))) not in ('no', 'n', '0', 'false', 'f', 'nein', 'non', 'falso'),
        false
    ) as is_marketing_opt_in_unmapped,
        timezone('Europe/Rome', with_phones.created_at) as created_at,
        timezone('Europe/Rome', with_phones.updated_at) as updated_at,
        coalesce(case
        when lower(strip_accents(trim(cast(with_phones.is_deleted as varchar)))) in ('si', 'yes', 'y', '1', 'true', 't', 'ja', 'j', 'oui', 'o', 'vero', 'x') then true
        when lower(strip_accents(trim(cast(with_phones.is_deleted as varchar)))) in ('no', 'n', '0', 'false', 'f', 'nein', 'non', 'falso') then false
    end, false) as is_deleted,
        with_phones._export_date as export_date,
        with_phones._source_file as source_file,
        with_phones._row_number as source_row_number,
        with_phones._loaded_at as loaded_at
    from with_phones

)

select * from standardized