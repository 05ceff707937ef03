{#- Emails: trimmed and lower-cased when valid; an invalid one is kept as written (trimmed)
    and flagged by is_valid_email, never guessed. -#}
{% macro email_pattern() -%}
    '^[a-z0-9!#$%&''*+/=?^_`{|}~.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'
{%- endmacro %}

{% macro is_valid_email(column) -%}
    coalesce({{ regex_contains('lower(trim(' ~ column ~ '))', email_pattern()) }}, false)
{%- endmacro %}

{% macro standardize_email(column) -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        when {{ is_valid_email(column) }} then lower(trim({{ column }}))
        else trim({{ column }})
    end
{%- endmacro %}
