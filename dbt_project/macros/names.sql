{#- Personal names (Python rules in cdp.standardize.names, registered as DuckDB functions by
    the cdp.standardize.duckdb_udfs plugin): NFC, trimmed, title case when typed in one case.
    A model that calls these must be a table (see phone_to_e164). -#}
{% macro standardize_name(column) -%}
    clean_name({{ column }})
{%- endmacro %}

{#- A whole name in one field (`Mario Rossi`, `ROSSI Mario`) to a struct of first_name and
    last_name, each standardized. -#}
{% macro split_full_name(column) -%}
    split_full_name({{ column }})
{%- endmacro %}
