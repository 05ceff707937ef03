-- The standardization report's counts per source file: for each rule (macro
-- standardization_rules) and each file of its staging model, how many raw values were empty,
-- left unchanged, fixed or flagged, and a checksum of the file's staged rows.
-- Incremental: a run counts again only the files whose staged rows changed (see
-- standardization_file_counts), so a day costs the day's files and a scan of the staged
-- columns, not a join of every staged row to raw. A file whose staged rows are all gone is
-- written with zeros, which replace its counts, and the post-hook then drops it, as a full
-- rebuild would not list it. `dbt run --full-refresh` counts them all.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['source_name', 'entity', 'rule', 'column_name', 'source_file'],
        on_schema_change='fail',
        post_hook="{% if is_incremental() %}delete from {{ this }} where records = 0{% endif %}",
    )
}}

with

{% for entry in standardization_rules() %}
    {{ standardization_file_counts(loop.index, entry) }},
{% endfor %}

unioned as (

    {%- for entry in standardization_rules() %}
        select * from file_counts_{{ loop.index }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

)

select * from unioned
