{#- A deterministic key for records that carry none: md5 of the given expressions, nulls as ''. -#}
{% macro surrogate_key(expressions) -%}
    md5(concat_ws('|'
        {%- for expression in expressions %}, coalesce(cast({{ expression }} as string), ''){% endfor -%}
    ))
{%- endmacro %}
