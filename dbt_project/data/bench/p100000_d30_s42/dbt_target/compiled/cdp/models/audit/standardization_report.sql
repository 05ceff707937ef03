-- Per source, entity and rule: how many values the staging layer found empty, left unchanged,
-- fixed into the standard form, or flagged (kept as written because no rule could read them).
-- Each entry names the staging model, its source, the rule, the raw column, the staged column,
-- the expression that flags a value and, when the rule applies to some rows only, which.
with

counts as (

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.email as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'phone' as rule,
        'phone' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.phone as varchar), '') as raw_value,
            cast(staged.phone as varchar) as standardized_value,
            coalesce(staged.phone is null, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'phone' as rule,
        'mobile' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.mobile as varchar), '') as raw_value,
            cast(staged.mobile as varchar) as standardized_value,
            coalesce(staged.mobile is null, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'country' as rule,
        'country_code' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.country as varchar), '') as raw_value,
            cast(staged.country_code as varchar) as standardized_value,
            coalesce(not staged.is_country_valid, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'name' as rule,
        'first_name' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.first_name as varchar), '') as raw_value,
            cast(staged.first_name as varchar) as standardized_value,
            coalesce(false, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'name' as rule,
        'last_name' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.last_name as varchar), '') as raw_value,
            cast(staged.last_name as varchar) as standardized_value,
            coalesce(false, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'name' as rule,
        'city' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.city as varchar), '') as raw_value,
            cast(staged.city as varchar) as standardized_value,
            coalesce(false, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'birth_date' as rule,
        'birth_date' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.birth_date as varchar), '') as raw_value,
            cast(staged.birth_date as varchar) as standardized_value,
            coalesce(not staged.is_birth_date_plausible, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'boolean' as rule,
        'has_marketing_opt_in' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.marketing_opt_in as varchar), '') as raw_value,
            cast(staged.has_marketing_opt_in as varchar) as standardized_value,
            coalesce(staged.is_marketing_opt_in_unmapped, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'handle' as rule,
        'instagram_handle' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.instagram_handle as varchar), '') as raw_value,
            cast(staged.instagram_handle as varchar) as standardized_value,
            coalesce(false, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'crm' as source_name,
        'contacts' as entity,
        'timestamp' as rule,
        'updated_at' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.updated_at as varchar), '') as raw_value,
            cast(staged.updated_at as varchar) as standardized_value,
            coalesce(false, false) as is_flagged
        from "warehouse"."staging"."stg_crm__contacts" as staged
        inner join "warehouse"."raw"."crm__contacts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'shop' as source_name,
        'accounts' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.email as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_shop__accounts" as staged
        inner join "warehouse"."raw"."shop__accounts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'shop' as source_name,
        'accounts' as entity,
        'phone' as rule,
        'phone' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.phone as varchar), '') as raw_value,
            cast(staged.phone as varchar) as standardized_value,
            coalesce(staged.phone is null, false) as is_flagged
        from "warehouse"."staging"."stg_shop__accounts" as staged
        inner join "warehouse"."raw"."shop__accounts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'shop' as source_name,
        'accounts' as entity,
        'name' as rule,
        'first_name' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.first_name as varchar), '') as raw_value,
            cast(staged.first_name as varchar) as standardized_value,
            coalesce(false, false) as is_flagged
        from "warehouse"."staging"."stg_shop__accounts" as staged
        inner join "warehouse"."raw"."shop__accounts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'shop' as source_name,
        'accounts' as entity,
        'name' as rule,
        'last_name' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.last_name as varchar), '') as raw_value,
            cast(staged.last_name as varchar) as standardized_value,
            coalesce(false, false) as is_flagged
        from "warehouse"."staging"."stg_shop__accounts" as staged
        inner join "warehouse"."raw"."shop__accounts" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'shop' as source_name,
        'orders' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.email as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_shop__orders" as staged
        inner join "warehouse"."raw"."shop__orders" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'shop' as source_name,
        'orders' as entity,
        'phone' as rule,
        'phone' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.phone as varchar), '') as raw_value,
            cast(staged.phone as varchar) as standardized_value,
            coalesce(staged.phone is null, false) as is_flagged
        from "warehouse"."staging"."stg_shop__orders" as staged
        inner join "warehouse"."raw"."shop__orders" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'shop' as source_name,
        'orders' as entity,
        'money' as rule,
        'total_amount_eur' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.total_amount as varchar), '') as raw_value,
            cast(staged.total_amount_eur as varchar) as standardized_value,
            coalesce(staged.is_fx_rate_missing, false) as is_flagged
        from "warehouse"."staging"."stg_shop__orders" as staged
        inner join "warehouse"."raw"."shop__orders" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'web' as source_name,
        'events' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.properties ->> 'email' as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_web__events" as staged
        inner join "warehouse"."raw"."web__events" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'newsletter' as source_name,
        'subscribers' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.email as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_newsletter__subscribers" as staged
        inner join "warehouse"."raw"."newsletter__subscribers" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'newsletter' as source_name,
        'activity' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.email as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_newsletter__activity" as staged
        inner join "warehouse"."raw"."newsletter__activity" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'subscriptions' as source_name,
        'subscriptions' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.customer ->> 'email' as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_subscriptions__subscriptions" as staged
        inner join "warehouse"."raw"."subscriptions__subscriptions" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'subscriptions' as source_name,
        'subscriptions' as entity,
        'phone' as rule,
        'phone' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.customer ->> 'phone' as varchar), '') as raw_value,
            cast(staged.phone as varchar) as standardized_value,
            coalesce(staged.phone is null, false) as is_flagged
        from "warehouse"."staging"."stg_subscriptions__subscriptions" as staged
        inner join "warehouse"."raw"."subscriptions__subscriptions" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'subscriptions' as source_name,
        'subscriptions' as entity,
        'name' as rule,
        'first_name' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.customer ->> 'name' as varchar), '') as raw_value,
            cast(staged.first_name as varchar) as standardized_value,
            coalesce(staged.first_name is null, false) as is_flagged
        from "warehouse"."staging"."stg_subscriptions__subscriptions" as staged
        inner join "warehouse"."raw"."subscriptions__subscriptions" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'subscriptions' as source_name,
        'subscriptions' as entity,
        'money' as rule,
        'price_amount_eur' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.price ->> 'amount' as varchar), '') as raw_value,
            cast(staged.price_amount_eur as varchar) as standardized_value,
            coalesce(staged.is_price_invalid or staged.price_amount_eur is null, false) as is_flagged
        from "warehouse"."staging"."stg_subscriptions__subscriptions" as staged
        inner join "warehouse"."raw"."subscriptions__subscriptions" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'surveys' as source_name,
        'nps' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.email as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_surveys__nps" as staged
        inner join "warehouse"."raw"."surveys__nps" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'surveys' as source_name,
        'preferences' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.respondent_email as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_surveys__preferences" as staged
        inner join "warehouse"."raw"."surveys__preferences" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'surveys' as source_name,
        'preferences' as entity,
        'survey_answer' as rule,
        'satisfaction' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.satisfaction as varchar), '') as raw_value,
            cast(staged.satisfaction as varchar) as standardized_value,
            coalesce(staged.is_satisfaction_unmapped, false) as is_flagged
        from "warehouse"."staging"."stg_surveys__preferences" as staged
        inner join "warehouse"."raw"."surveys__preferences" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'surveys' as source_name,
        'preferences' as entity,
        'survey_answer' as rule,
        'diet_tags' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.diet as varchar), '') as raw_value,
            cast(staged.diet_tags as varchar) as standardized_value,
            coalesce(staged.is_diet_unmapped, false) as is_flagged
        from "warehouse"."staging"."stg_surveys__preferences" as staged
        inner join "warehouse"."raw"."surveys__preferences" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'surveys' as source_name,
        'preferences' as entity,
        'survey_answer' as rule,
        'household_size_min' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.household_size as varchar), '') as raw_value,
            cast(staged.household_size_min as varchar) as standardized_value,
            coalesce(staged.is_household_size_unmapped, false) as is_flagged
        from "warehouse"."staging"."stg_surveys__preferences" as staged
        inner join "warehouse"."raw"."surveys__preferences" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'surveys' as source_name,
        'preferences' as entity,
        'survey_answer' as rule,
        'cooking_frequency' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.cooking_frequency as varchar), '') as raw_value,
            cast(staged.cooking_frequency as varchar) as standardized_value,
            coalesce(staged.is_cooking_frequency_unmapped, false) as is_flagged
        from "warehouse"."staging"."stg_surveys__preferences" as staged
        inner join "warehouse"."raw"."surveys__preferences" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'support' as source_name,
        'tickets' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.customer ->> 'email' as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_support__tickets" as staged
        inner join "warehouse"."raw"."support__tickets" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'support' as source_name,
        'tickets' as entity,
        'phone' as rule,
        'phone' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.customer ->> 'phone' as varchar), '') as raw_value,
            cast(staged.phone as varchar) as standardized_value,
            coalesce(staged.phone is null, false) as is_flagged
        from "warehouse"."staging"."stg_support__tickets" as staged
        inner join "warehouse"."raw"."support__tickets" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'support' as source_name,
        'tickets' as entity,
        'name' as rule,
        'first_name' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.customer ->> 'name' as varchar), '') as raw_value,
            cast(staged.first_name as varchar) as standardized_value,
            coalesce(staged.first_name is null, false) as is_flagged
        from "warehouse"."staging"."stg_support__tickets" as staged
        inner join "warehouse"."raw"."support__tickets" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
        where staged.channel <> 'social'
    ) as values_compared

            union all

    
    select
        'support' as source_name,
        'tickets' as entity,
        'handle' as rule,
        'social_handle' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.customer ->> 'name' as varchar), '') as raw_value,
            cast(staged.social_handle as varchar) as standardized_value,
            coalesce(staged.social_handle is null, false) as is_flagged
        from "warehouse"."staging"."stg_support__tickets" as staged
        inner join "warehouse"."raw"."support__tickets" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
        where staged.channel = 'social'
    ) as values_compared

            union all

    
    select
        'social' as source_name,
        'mentions' as entity,
        'handle' as rule,
        'social_handle' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.handle as varchar), '') as raw_value,
            cast(staged.social_handle as varchar) as standardized_value,
            coalesce(staged.social_handle is null, false) as is_flagged
        from "warehouse"."staging"."stg_social__mentions" as staged
        inner join "warehouse"."raw"."social__mentions" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'consent' as source_name,
        'consent_events' as entity,
        'identifier' as rule,
        'subject_value' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.subject_value as varchar), '') as raw_value,
            cast(staged.subject_value as varchar) as standardized_value,
            coalesce(not staged.is_subject_valid, false) as is_flagged
        from "warehouse"."staging"."stg_consent__events" as staged
        inner join "warehouse"."raw"."consent__consent_events" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'privacy' as source_name,
        'erasure_requests' as entity,
        'email' as rule,
        'email' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.email as varchar), '') as raw_value,
            cast(staged.email as varchar) as standardized_value,
            coalesce(not staged.is_email_valid, false) as is_flagged
        from "warehouse"."staging"."stg_privacy__erasure_requests" as staged
        inner join "warehouse"."raw"."privacy__erasure_requests" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared

            union all

    
    select
        'privacy' as source_name,
        'erasure_requests' as entity,
        'phone' as rule,
        'phone' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.phone as varchar), '') as raw_value,
            cast(staged.phone as varchar) as standardized_value,
            coalesce(staged.phone is null, false) as is_flagged
        from "warehouse"."staging"."stg_privacy__erasure_requests" as staged
        inner join "warehouse"."raw"."privacy__erasure_requests" as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
    ) as values_compared


),

report as (

    select
        counts.*,
        round(
            100.0 * counts.flagged_values / nullif(counts.records - counts.empty_values, 0), 2
        ) as flagged_percent
    from counts

)

select * from report