{#- The DDL of a model with an enforced contract: its columns with their types and column
    constraints (not null), and its model constraints except the primary key. The key stays
    declared in the contract (manifest and docs show it) and is checked by the model's
    uniqueness test on every build, but DuckDB builds no index for it: at a million customers
    the index made writing customer_activity_daily three times slower (23 s against 7.7 s),
    and nothing reads the tables through it. -#}
{% macro duckdb__get_table_columns_and_constraints() -%}
    {%- set raw_column_constraints = adapter.render_raw_columns_constraints(raw_columns=model['columns']) -%}
    {%- set kept = model['constraints'] | rejectattr('type', 'equalto', 'primary_key') | list -%}
    {%- set raw_model_constraints = adapter.render_raw_model_constraints(raw_constraints=kept) -%}
    (
    {% for c in raw_column_constraints -%}
        {{ c }}{{ "," if not loop.last or raw_model_constraints }}
    {% endfor %}
    {% for c in raw_model_constraints -%}
        {{ c }}{{ "," if not loop.last }}
    {% endfor -%}
    )
{%- endmacro %}
