{#- The rules the standardization report counts, one entry each: the staging model, its
    source and entity, the rule, the raw value (SQL over the raw row), the staged column, the
    expression over `staged` that flags a value (kept as written because no rule could read
    it) and, when the rule applies to some rows only, which (SQL over `staged`). -#}
{% macro standardization_rules() %}
    {{ return([
        ('stg_crm__contacts', 'crm', 'contacts', 'email', 'email', 'email', 'not staged.is_email_valid'),
        ('stg_crm__contacts', 'crm', 'contacts', 'phone', 'phone', 'phone', 'staged.phone is null'),
        ('stg_crm__contacts', 'crm', 'contacts', 'phone', 'mobile', 'mobile', 'staged.mobile is null'),
        ('stg_crm__contacts', 'crm', 'contacts', 'country', 'country', 'country_code', 'not staged.is_country_valid'),
        ('stg_crm__contacts', 'crm', 'contacts', 'name', 'first_name', 'first_name', 'false'),
        ('stg_crm__contacts', 'crm', 'contacts', 'name', 'last_name', 'last_name', 'false'),
        ('stg_crm__contacts', 'crm', 'contacts', 'name', 'city', 'city', 'false'),
        ('stg_crm__contacts', 'crm', 'contacts', 'birth_date', 'birth_date', 'birth_date', 'not staged.is_birth_date_plausible'),
        ('stg_crm__contacts', 'crm', 'contacts', 'boolean', 'marketing_opt_in', 'has_marketing_opt_in', 'staged.is_marketing_opt_in_unmapped'),
        ('stg_crm__contacts', 'crm', 'contacts', 'handle', 'instagram_handle', 'instagram_handle', 'false'),
        ('stg_crm__contacts', 'crm', 'contacts', 'timestamp', 'updated_at', 'updated_at', 'false'),
        ('stg_shop__accounts', 'shop', 'accounts', 'email', 'email', 'email', 'not staged.is_email_valid'),
        ('stg_shop__accounts', 'shop', 'accounts', 'phone', 'phone', 'phone', 'staged.phone is null'),
        ('stg_shop__accounts', 'shop', 'accounts', 'name', 'first_name', 'first_name', 'false'),
        ('stg_shop__accounts', 'shop', 'accounts', 'name', 'last_name', 'last_name', 'false'),
        ('stg_shop__orders', 'shop', 'orders', 'email', 'email', 'email', 'not staged.is_email_valid'),
        ('stg_shop__orders', 'shop', 'orders', 'phone', 'phone', 'phone', 'staged.phone is null'),
        ('stg_shop__orders', 'shop', 'orders', 'money', 'total_amount', 'total_amount_eur', 'staged.is_fx_rate_missing'),
        ('stg_web__events', 'web', 'events', 'email', json_text('properties', '$.email'), 'email', 'not staged.is_email_valid'),
        ('stg_newsletter__subscribers', 'newsletter', 'subscribers', 'email', 'email', 'email', 'not staged.is_email_valid'),
        ('stg_newsletter__activity', 'newsletter', 'activity', 'email', 'email', 'email', 'not staged.is_email_valid'),
        ('stg_subscriptions__subscriptions', 'subscriptions', 'subscriptions', 'email', json_text('customer', '$.email'), 'email', 'not staged.is_email_valid'),
        ('stg_subscriptions__subscriptions', 'subscriptions', 'subscriptions', 'phone', json_text('customer', '$.phone'), 'phone', 'staged.phone is null'),
        ('stg_subscriptions__subscriptions', 'subscriptions', 'subscriptions', 'name', json_text('customer', '$.name'), 'first_name', 'staged.first_name is null'),
        ('stg_subscriptions__subscriptions', 'subscriptions', 'subscriptions', 'money', json_text('price', '$.amount'), 'price_amount_eur', 'staged.is_price_invalid or staged.price_amount_eur is null'),
        ('stg_surveys__nps', 'surveys', 'nps', 'email', 'email', 'email', 'not staged.is_email_valid'),
        ('stg_surveys__preferences', 'surveys', 'preferences', 'email', 'respondent_email', 'email', 'not staged.is_email_valid'),
        ('stg_surveys__preferences', 'surveys', 'preferences', 'survey_answer', 'satisfaction', 'satisfaction', 'staged.is_satisfaction_unmapped'),
        ('stg_surveys__preferences', 'surveys', 'preferences', 'survey_answer', 'diet', 'diet_tags', 'staged.is_diet_unmapped'),
        ('stg_surveys__preferences', 'surveys', 'preferences', 'survey_answer', 'household_size', 'household_size_min', 'staged.is_household_size_unmapped'),
        ('stg_surveys__preferences', 'surveys', 'preferences', 'survey_answer', 'cooking_frequency', 'cooking_frequency', 'staged.is_cooking_frequency_unmapped'),
        ('stg_support__tickets', 'support', 'tickets', 'email', json_text('customer', '$.email'), 'email', 'not staged.is_email_valid'),
        ('stg_support__tickets', 'support', 'tickets', 'phone', json_text('customer', '$.phone'), 'phone', 'staged.phone is null'),
        ('stg_support__tickets', 'support', 'tickets', 'name', json_text('customer', '$.name'), 'first_name', 'staged.first_name is null', "staged.channel <> 'social'"),
        ('stg_support__tickets', 'support', 'tickets', 'handle', json_text('customer', '$.name'), 'social_handle', 'staged.social_handle is null', "staged.channel = 'social'"),
        ('stg_social__mentions', 'social', 'mentions', 'handle', 'handle', 'social_handle', 'staged.social_handle is null'),
        ('stg_consent__events', 'consent', 'consent_events', 'identifier', 'subject_value', 'subject_value', 'not staged.is_subject_valid'),
        ('stg_privacy__erasure_requests', 'privacy', 'erasure_requests', 'email', 'email', 'email', 'not staged.is_email_valid'),
        ('stg_privacy__erasure_requests', 'privacy', 'erasure_requests', 'phone', 'phone', 'phone', 'staged.phone is null'),
    ]) }}
{% endmacro %}

{#- One row per rule of standardization_rules: its source_name, entity, rule and column_name
    (the staged column), unioned. -#}
{% macro standardization_rules_listed() %}
    {%- for entry in standardization_rules() %}
    select
        '{{ entry[1] }}' as source_name,
        '{{ entry[2] }}' as entity,
        '{{ entry[3] }}' as rule,
        '{{ entry[5] }}' as column_name
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}

{#- The counts of one rule (an entry of standardization_rules) per source file of its staging
    model, as CTEs named with `suffix`; the last, `file_counts_<suffix>`, holds the rows of
    standardization_counts_by_file: how many of the raw values were empty, left as they were,
    fixed (changed into the standard form) or flagged.

    A staged row is joined back to the raw row it came from through its lineage (source_file,
    source_row_number), so the raw value is the one exactly as delivered; only the raw rows
    whose value is filled are joined, and the others are counted as empty, since every staged
    row is a raw row's. A column that is mostly empty (an event's e-mail) then costs a scan of
    its few filled rows, not a join of every event.

    Each file's staged rows carry a checksum of what the counts read from them (row number,
    load time, staged value, flag). In an incremental run only the files whose checksum
    changed are counted again (new files, files whose rows were staged again, replaced by
    newer versions or erased, and all of them when a rule's output changed); a file with no
    staged row left is counted as none (a row of zeros). A raw row changes only when its file
    is loaded again, which gives its staged row a new load time. -#}
{% macro standardization_file_counts(suffix, entry) %}
    {%- set model, source_name, entity, rule, raw_value, standardized, flagged = entry[:7] %}
    {%- set model, raw = ref(model), source(source_name, entity) %}
    {%- set where = entry[7] if entry | length > 7 else none %}
    {%- set file = "coalesce(staged.source_file, '')" %}
    staged_files_{{ suffix }} as (

        select
            {{ file }} as source_file,
            count(*) as records,
            cast(sum(hash(
                staged.source_row_number,
                staged.loaded_at,
                cast(staged.{{ standardized }} as string),
                coalesce({{ flagged }}, false)
            )) as decimal(38, 0)) as staged_checksum
        from {{ model }} as staged
        {%- if where %}
        where {{ where }}
        {%- endif %}
        group by {{ file }}

    ),

    {%- if is_incremental() %}
    kept_files_{{ suffix }} as (

        -- the files of this rule that the last run counted
        select kept_files.source_file, kept_files.records, kept_files.staged_checksum
        from {{ this }} as kept_files
        where
            kept_files.source_name = '{{ source_name }}'
            and kept_files.entity = '{{ entity }}'
            and kept_files.rule = '{{ rule }}'
            and kept_files.column_name = '{{ standardized }}'

    ),
    {%- endif %}

    counted_files_{{ suffix }} as (

        select staged_files.*
        from staged_files_{{ suffix }} as staged_files
        {%- if is_incremental() %}
        anti join kept_files_{{ suffix }} as kept
            on
                staged_files.source_file = kept.source_file
                and staged_files.records = kept.records
                and staged_files.staged_checksum = kept.staged_checksum
        union all
        select
            kept.source_file,
            0 as records,
            cast(0 as decimal(38, 0)) as staged_checksum
        from kept_files_{{ suffix }} as kept
        where
            kept.source_file not in (
                select staged_files.source_file from staged_files_{{ suffix }} as staged_files
            )
        {%- endif %}

    ),

    filled_{{ suffix }} as (

        select
            {{ file }} as source_file,
            count(*) as filled_values,
            count(*) filter (
                where not coalesce({{ flagged }}, false)
                    and cast(staged.{{ standardized }} as string) is not distinct from raw_rows.raw_value
            ) as unchanged_values,
            count(*) filter (
                where not coalesce({{ flagged }}, false)
                    and cast(staged.{{ standardized }} as string) is distinct from raw_rows.raw_value
            ) as fixed_values,
            count(*) filter (where coalesce({{ flagged }}, false)) as flagged_values
        from {{ model }} as staged
        inner join (
            select
                raw_file_rows._source_file,
                raw_file_rows._row_number,
                nullif(cast({{ raw_value }} as string), '') as raw_value
            from {{ raw }} as raw_file_rows
            {%- if is_incremental() %}
            {{ semi_join() }} counted_files_{{ suffix }} as counted
                on raw_file_rows._source_file = counted.source_file
            {%- endif %}
        ) as raw_rows
            on
                staged.source_file = raw_rows._source_file
                and staged.source_row_number = raw_rows._row_number
        where
            raw_rows.raw_value is not null
            {%- if where %}
            and {{ where }}
            {%- endif %}
        group by {{ file }}

    ),

    file_counts_{{ suffix }} as (

        select
            '{{ source_name }}' as source_name,
            '{{ entity }}' as entity,
            '{{ rule }}' as rule,
            '{{ standardized }}' as column_name,
            counted.source_file,
            counted.records,
            counted.records - coalesce(filled.filled_values, 0) as empty_values,
            coalesce(filled.unchanged_values, 0) as unchanged_values,
            coalesce(filled.fixed_values, 0) as fixed_values,
            coalesce(filled.flagged_values, 0) as flagged_values,
            counted.staged_checksum
        from counted_files_{{ suffix }} as counted
        left join filled_{{ suffix }} as filled
            on counted.source_file = filled.source_file

    )
{%- endmacro %}
