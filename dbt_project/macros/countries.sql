{#- Countries to ISO 3166-1 alpha-2 through the country_aliases seed (names in five languages,
    alpha-2 and alpha-3 codes, colloquial names; built by `python -m cdp.standardize.countries`).
    lookup_key must match cdp.standardize.countries.lookup_key: a seed test checks it does. -#}
{% macro lookup_key(column) -%}
    trim({{ regex_replace_all("strip_accents(replace(lower(trim(" ~ column ~ ")), 'ß', 'ss'))", "'[^a-z0-9]+'", "' '") }})
{%- endmacro %}

{#- Null when the text is empty or names no country the seed knows: the caller keeps the text
    as written and flags it. -#}
{% macro country_to_alpha2(column) -%}
    (
        select country_aliases.alpha_2
        from {{ ref('country_aliases') }} as country_aliases
        where country_aliases.lookup_key = {{ lookup_key(column) }}
    )
{%- endmacro %}
