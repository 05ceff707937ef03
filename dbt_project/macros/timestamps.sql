{#- Timestamps to UTC timestamptz from each source's own form. -#}
{% macro epoch_seconds_to_utc(column) -%}
    to_timestamp({{ column }})
{%- endmacro %}

{% macro epoch_millis_to_utc(column) -%}
    to_timestamp({{ column }} / 1000.0)
{%- endmacro %}

{#- A wall-clock timestamp in a named time zone (e.g. Europe/Rome) to UTC timestamptz;
    daylight saving time is applied by the ICU time zone database. -#}
{% macro local_to_utc(column, time_zone) -%}
    timezone('{{ time_zone }}', {{ column }})
{%- endmacro %}
