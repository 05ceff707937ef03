{#- Timestamps to UTC timestamptz from each source's own form. -#}
{% macro epoch_seconds_to_utc(column) -%}
    to_timestamp({{ column }})
{%- endmacro %}

{% macro epoch_millis_to_utc(column) -%}
    to_timestamp({{ column }} / 1000.0)
{%- endmacro %}
