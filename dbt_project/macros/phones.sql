{#- Phones to E.164 in the region of the record's country (Python `phonenumbers`, registered
    as the DuckDB function phone_to_e164 by the cdp.standardize.duckdb_udfs plugin).
    Null when the number is not valid: the caller keeps the raw text and flags it.
    A model that calls it must be materialized as a table: the function exists only on
    dbt's connections, so a view calling it cannot be read elsewhere. -#}
{% macro phone_to_e164(column, country_code) -%}
    phone_to_e164(nullif(trim({{ column }}), ''), upper(trim({{ country_code }})))
{%- endmacro %}
