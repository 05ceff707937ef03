-- Rows of an incremental model whose upstream row is gone: an erasure or the retention purge
-- deleted it from raw, or staging took another copy of the record. Removed before the run;
-- `matches` maps each upstream column to the column of this model that must equal it (the
-- lineage columns, and the key where the upstream keeps one row per key); by default a raw
-- row's file and row number, as a staging model keeps them. A pre-hook; on a first build or a
-- full refresh it does nothing.
{% macro forget_rows_gone_from(upstream, matches=none) %}
    {%- set matches = matches or {'_source_file': 'source_file', '_row_number': 'source_row_number'} %}
    {%- if is_incremental() %}
        delete from {{ this }} as kept
        where not exists (
            select 1
            from {{ upstream }} as upstream_rows
            where
                {%- for upstream_column, kept_column in matches.items() %}
                {% if not loop.first %}and {% endif -%}
                upstream_rows.{{ upstream_column }} = kept.{{ kept_column }}
                {%- endfor %}
        )
    {%- endif %}
{% endmacro %}

-- dbt's own decision, plus one case: an incremental table built by an older version of a model,
-- which lacks a column the model now documents, is rebuilt from all of its upstream instead of
-- failing the run (the rows it holds have no value for the new column). A model that keeps
-- history nothing else holds sets `full_refresh: false` and is never rebuilt.
{% macro should_full_refresh() %}
    {%- set configured = config.get('full_refresh') -%}
    {%- if configured is not none -%}
        {{ return(configured) }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(incremental_table_lacks_documented_columns()) }}
{% endmacro %}

{% macro incremental_table_lacks_documented_columns() %}
    {%- if not execute or model.config.materialized != 'incremental' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if existing is none or existing.type != 'table' -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set built = adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for column in model.columns.keys() if column | lower not in built -%}
        {%- do missing.append(column) -%}
    {%- endfor -%}
    {%- if missing -%}
        {%- do log(this ~ ' was built without ' ~ missing | join(', ') ~ ': rebuilt from scratch', info=true) -%}
    {%- endif -%}
    {{ return(missing | length > 0) }}
{% endmacro %}
