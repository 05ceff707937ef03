{#- Social handles in one form: trimmed, lower case, without the leading `@`. -#}
{% macro canonical_handle(column) -%}
    nullif(lower(trim(leading '@' from trim({{ column }}))), '')
{%- endmacro %}
