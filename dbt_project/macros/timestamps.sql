{#- Timestamps to UTC timestamptz from each source's own form. -#}
{% macro epoch_seconds_to_utc(column) -%}
    {{ from_epoch_seconds(column) }}
{%- endmacro %}

{% macro epoch_millis_to_utc(column) -%}
    {{ from_epoch_seconds(column ~ ' / 1000.0') }}
{%- endmacro %}

{#- A wall-clock timestamp in a named time zone (e.g. Europe/Rome) to UTC timestamptz;
    daylight saving time is applied by the time zone database. -#}
{% macro local_to_utc(column, time_zone) -%}
    {{ from_local_time(column, time_zone) }}
{%- endmacro %}
