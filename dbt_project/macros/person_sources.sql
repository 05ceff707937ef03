{#- The registry of the sources whose records name a person (var `person_sources` in
    dbt_project.yml; docs/adding_a_source.md) read by the identity models and every model that
    joins a source's rows to their customer. One entry per record source:

    model        the model holding the source's records (one row per record, or per sighting)
    record_id    the column, or list of columns, identifying a record in that model
    record_kind  the identifier kind of the record id (erasure resolves requests through it)
    observed_at  when the record's values were seen; is_deleted and where are optional
    identifiers  a list of {type, value, is_valid (optional)}: the record's identifiers
    attributes   (optional) what identity compares and survivorship chooses from, by name;
                 a source without them takes part through its identifiers alone -#}

{#- A record's id as SQL over `relation` (an alias, or none for unqualified columns). -#}
{% macro record_id(source, relation=none) %}
    {%- if source not in var('person_sources') -%}
        {{ exceptions.raise_compiler_error(
            "'" ~ source ~ "' is no source of var person_sources in dbt_project.yml") }}
    {%- endif -%}
    {%- set entry = var('person_sources')[source] -%}
    {%- set columns = entry.record_id if entry.record_id is not string else [entry.record_id] -%}
    {%- for column in columns -%}
        cast({% if relation %}{{ relation }}.{% endif %}{{ column }} as string)
        {%- if not loop.last %} || ':' || {% endif -%}
    {%- endfor -%}
{% endmacro %}

{#- The key of a record in the identity graph, `<source>:<record id>`, as SQL over `relation`:
    the one spelling of customer_source_records and int_identity__customer_ids. -#}
{% macro record_key(source, relation=none) %}
    {{- record_key_from("'" ~ source ~ "'", record_id(source, relation)) -}}
{%- endmacro %}

{#- The same key from SQL giving the source and the record id (columns of a union). -#}
{% macro record_key_from(source_sql, record_id_sql) %}
    {{- source_sql }} || ':' || {{ record_id_sql -}}
{%- endmacro %}

{#- The identifier rows of every source of the registry, in the shape of identifier_rows,
    unioned. -#}
{% macro person_identifier_rows() %}
    {%- for source, entry in var('person_sources').items() %}
    {{ identifier_rows(
        relation=ref(entry.model),
        source_name=source,
        record_id=record_id(source),
        identifiers=entry.identifiers,
        observed_at=entry.observed_at,
        is_deleted=entry.get('is_deleted', 'false'),
        where=entry.get('where'),
    ) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}

{#- The registry's records with their attributes, one select per source that has them: the
    attributes it lacks are null. -#}
{% macro person_record_rows(attributes) %}
    {%- for source, entry in person_sources_by_attributes(true) %}
    select
        '{{ source }}' as source,
        {{ record_id(source) }} as record_id,
        {%- for name, type in attributes.items() %}
        cast({{ entry.attributes.get(name, 'null') }} as {{ type }}) as {{ name }},
        {%- endfor %}
        cast({{ entry.observed_at }} as {{ timestamptz() }}) as observed_at,
        coalesce({{ entry.get('is_deleted', 'false') }}, false) as is_deleted
    from {{ ref(entry.model) }}
    {%- if entry.get('where') %}
    where {{ entry.where }}
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}

{#- The registry's sources without attributes, as a SQL list of strings. -#}
{% macro person_sources_without_attributes() %}
    {%- set names = [] -%}
    {%- for source, entry in person_sources_by_attributes(false) -%}
        {%- do names.append("'" ~ source ~ "'") -%}
    {%- endfor -%}
    {{- names | join(', ') if names else "''" -}}
{% endmacro %}

{#- The registry's (source, entry) pairs with attributes of their own (`with_attributes`
    true), or without (false): cdp.registry's PersonSource.has_attributes. -#}
{% macro person_sources_by_attributes(with_attributes) %}
    {%- set chosen = [] -%}
    {%- for source, entry in var('person_sources').items() -%}
        {%- set has_attributes = true if entry.get('attributes') else false -%}
        {%- if has_attributes == with_attributes -%}{%- do chosen.append((source, entry)) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(chosen) }}
{% endmacro %}
