{#- Yes/no answers typed by people and systems (`sì`, `si`, `yes`, `y`, `1`, `ja`, `oui`,
    `true`, and their negatives) to a boolean. Empty is null; an answer that is neither is null
    too and boolean_is_unmapped says so, so it is flagged rather than guessed. -#}
{% macro _boolean_words(value) -%}
    {%- if value -%}
        ('si', 'yes', 'y', '1', 'true', 't', 'ja', 'j', 'oui', 'o', 'vero', 'x')
    {%- else -%}
        ('no', 'n', '0', 'false', 'f', 'nein', 'non', 'falso')
    {%- endif -%}
{%- endmacro %}

{% macro _boolean_text(column) -%}
    lower(strip_accents(trim(cast({{ column }} as string))))
{%- endmacro %}

{% macro parse_boolean(column) -%}
    case
        when {{ _boolean_text(column) }} in {{ _boolean_words(true) }} then true
        when {{ _boolean_text(column) }} in {{ _boolean_words(false) }} then false
    end
{%- endmacro %}

{% macro boolean_is_unmapped(column) -%}
    coalesce(
        nullif({{ _boolean_text(column) }}, '') is not null
        and {{ _boolean_text(column) }} not in {{ _boolean_words(true) }}
        and {{ _boolean_text(column) }} not in {{ _boolean_words(false) }},
        false
    )
{%- endmacro %}
