-- Per source, entity and rule: how many values the staging layer found empty, left unchanged,
-- fixed into the standard form, or flagged (kept as written because no rule could read them).
-- Each entry names the staging model, its source, the rule, the raw column, the staged column,
-- the expression that flags a value and, when the rule applies to some rows only, which.
{% set rules = [
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
] -%}

with

counts as (
    {%- for entry in rules %}
        {%- set model, source_name, entity, rule, raw_value, standardized, flagged = entry[:7] %}

    {{ standardization_counts(
        model=ref(model),
        raw=source(source_name, entity),
        source_name=source_name,
        entity=entity,
        rule=rule,
        raw_value=raw_value,
        standardized=standardized,
        flagged=flagged,
        where=entry[7] if entry | length > 7 else none,
    ) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

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
