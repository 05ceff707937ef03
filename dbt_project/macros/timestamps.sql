{#- Timestamps to UTC timestamptz from each source's own form, in each engine's spelling
    (adapter.dispatch). -#}
{% macro epoch_seconds_to_utc(column) %}{{ return(adapter.dispatch('epoch_seconds_to_utc', 'cdp')(column)) }}{% endmacro %}
{% macro default__epoch_seconds_to_utc(column) %}to_timestamp({{ column }}){% endmacro %}
{% macro spark__epoch_seconds_to_utc(column) %}timestamp_seconds({{ column }}){% endmacro %}

{% macro epoch_millis_to_utc(column) -%}
    {{ epoch_seconds_to_utc(column ~ ' / 1000.0') }}
{%- endmacro %}

{#- A wall-clock timestamp in a named time zone (e.g. Europe/Rome) to UTC timestamptz;
    daylight saving time is applied by the time zone database. A time the clocks pass twice
    (the hour daylight saving time ends) names its later point on both engines, as DuckDB's
    time zone library decides; Spark alone would take the earlier. -#}
{% macro local_to_utc(column, time_zone) %}{{ return(adapter.dispatch('local_to_utc', 'cdp')(column, time_zone)) }}{% endmacro %}
{% macro default__local_to_utc(column, time_zone) %}timezone('{{ time_zone }}', {{ column }}){% endmacro %}
{% macro spark__local_to_utc(column, time_zone) -%}
    greatest(
        to_utc_timestamp({{ column }}, '{{ time_zone }}'),
        to_utc_timestamp({{ column }} + interval 1 hour, '{{ time_zone }}') - interval 1 hour
    )
{%- endmacro %}
