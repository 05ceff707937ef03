{#- After `dbt run` or `dbt build` (on-run-end): drop the tables and views of the staging and
    intermediate schemas that no model of the project builds any more, such as a model
    renamed or moved. A retired relation would otherwise keep personal data that erasure and
    retention no longer reach. Only names that dbt gives models here (`stg_`, `int_`) are
    touched, and not the companion tables a model keeps beside itself (`<model>__compared`);
    what the platform writes outside dbt lives in other schemas. -#}
{% macro drop_retired_relations() %}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set built = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type in ('model', 'seed', 'snapshot') -%}
            {%- do built.append((node.schema | lower, (node.alias or node.name) | lower)) -%}
        {%- endfor -%}
        {%- set schemas = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.fqn[1] in ('staging', 'intermediate') -%}
            {%- if node.schema not in schemas -%}{%- do schemas.append(node.schema) -%}{%- endif -%}
        {%- endfor -%}
        {%- if schemas -%}
            {%- set found = _model_named_relations(schemas) -%}
            {%- for row in found -%}
                {%- set companion = [] -%}
                {%- for schema, name in built if schema == row[0] | lower and (row[1] | lower).startswith(name ~ '__') -%}
                    {%- do companion.append(name) -%}
                {%- endfor -%}
                {%- if (row[0] | lower, row[1] | lower) not in built and not companion -%}
                    {%- set kind = row[2] -%}
                    {{ log("dropping " ~ kind ~ " " ~ row[0] ~ "." ~ row[1] ~ ": no model builds it any more", info=true) }}
                    {%- do run_query("drop " ~ kind ~ " if exists " ~ adapter.quote(row[0]) ~ "." ~ adapter.quote(row[1])) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- (schema, name, 'table' or 'view') of the relations of `schemas` named as dbt names models
    there (`stg_`, `int_`). -#}
{% macro _model_named_relations(schemas) %}{{ return(adapter.dispatch('_model_named_relations', 'cdp')(schemas)) }}{% endmacro %}

{% macro default___model_named_relations(schemas) %}
    {%- set found = run_query(
        "select table_schema, table_name, table_type from information_schema.tables"
        ~ " where table_catalog = current_database()"
        ~ " and table_schema in ('" ~ schemas | join("', '") ~ "')"
        ~ " and (table_name like 'stg\\_%' escape '\\' or table_name like 'int\\_%' escape '\\')"
    ) -%}
    {%- set relations = [] -%}
    {%- for row in found.rows -%}
        {%- do relations.append((row[0], row[1], 'view' if row[2] == 'VIEW' else 'table')) -%}
    {%- endfor -%}
    {{ return(relations) }}
{% endmacro %}

{% macro spark___model_named_relations(schemas) %}
    {%- set relations = [] -%}
    {%- set present = run_query("show schemas").columns[0].values() | map('lower') | list -%}
    {%- for schema in schemas if schema | lower in present -%}
        {%- set views = run_query("show views in " ~ schema).columns['viewName'].values() | list -%}
        {%- for row in run_query("show tables in " ~ schema).rows -%}
            {%- if not row['isTemporary'] and (row['tableName'].startswith('stg_') or row['tableName'].startswith('int_')) -%}
                {%- do relations.append((schema, row['tableName'], 'view' if row['tableName'] in views else 'table')) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(relations) }}
{% endmacro %}
