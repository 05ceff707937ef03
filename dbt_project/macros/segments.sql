{#- A SQL literal for a value of a segment rule: numbers as they are, text quoted. -#}
{% macro segment_literal(value) -%}
    {%- if value is number -%}{{ value }}
    {%- elif value is string -%}'{{ value | replace("'", "''") }}'
    {%- else -%}{{ exceptions.raise_compiler_error("segment rule value " ~ value ~ " is neither a number nor text") }}
    {%- endif -%}
{%- endmacro %}

{#- The SQL condition of one segment rule ({attribute, op, value}) over customer_profiles
    columns. `segment` names the segment in error messages; `columns` lists the columns a rule
    may name (when known). -#}
{% macro segment_rule_condition(segment, rule, columns=none) -%}
    {%- set attribute = rule.get('attribute') -%}
    {%- set op = rule.get('op') -%}
    {%- set value = rule.get('value') -%}
    {%- set comparisons = ['=', '!=', '<', '<=', '>', '>='] -%}
    {%- if not attribute or not op -%}
        {{ exceptions.raise_compiler_error("segment " ~ segment ~ ": every rule needs an attribute and an op, got " ~ rule) }}
    {%- endif -%}
    {%- if columns is not none and attribute not in columns -%}
        {{ exceptions.raise_compiler_error("segment " ~ segment ~ ": unknown attribute '" ~ attribute ~ "'; rules name columns of customer_profiles") }}
    {%- endif -%}
    {%- if op in comparisons -%}
        profiles.{{ attribute }} {{ op }} {{ segment_literal(value) }}
    {%- elif op in ('in', 'not_in', 'contains_any') -%}
        {%- if value is string or value is number or not value -%}
            {{ exceptions.raise_compiler_error("segment " ~ segment ~ ": op " ~ op ~ " on " ~ attribute ~ " needs a non-empty list") }}
        {%- endif -%}
        {%- set literals = [] -%}
        {%- for item in value %}{% do literals.append(segment_literal(item)) %}{% endfor -%}
        {%- if op == 'in' -%}profiles.{{ attribute }} in ({{ literals | join(', ') }})
        {%- elif op == 'not_in' -%}profiles.{{ attribute }} not in ({{ literals | join(', ') }})
        {%- else -%}{{ arrays_overlap('profiles.' ~ attribute, array_of(literals)) }}
        {%- endif -%}
    {%- elif op == 'is_null' -%}profiles.{{ attribute }} is null
    {%- elif op == 'not_null' -%}profiles.{{ attribute }} is not null
    {%- else -%}
        {{ exceptions.raise_compiler_error("segment " ~ segment ~ ": unknown op '" ~ op ~ "' on " ~ attribute) }}
    {%- endif -%}
{%- endmacro %}
