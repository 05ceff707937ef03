{#- Where DuckDB and Spark spell one thing differently: each macro renders the engine's own
    spelling (adapter.dispatch), so a model is written once. Everything both engines read
    alike (qualify, max_by, `* except`, cast(x as string), filter (where ...), ::) is written
    plainly in the models. -#}

{# ---- Incremental models and seeds on Spark ---- #}

{#- A record keeps its incremental table on DuckDB. On Spark the tables are Parquet, which
    cannot delete rows: an incremental model is built whole each run (is_incremental() is
    false), from the same SQL as a DuckDB full refresh. -#}
{% macro is_incremental() %}
    {%- if target.type == 'spark' -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(dbt.is_incremental()) }}
{% endmacro %}

{#- On Spark an incremental model is built as a table (see is_incremental above). -#}
{% materialization incremental, adapter='spark' %}
    {{ return(dbt.materialization_table_spark()) }}
{% endmaterialization %}

{#- A Python model's table on Spark is replaced by the model's own write (overwrite), not
    dropped before the model runs as dbt-spark does for Parquet: identity's models read their
    previous contents (the ids a profile keeps from run to run, the pairs already scored). -#}
{% materialization table, adapter='spark', supported_languages=['sql', 'python'] %}
    {%- if model['language'] != 'python' -%}
        {{ return(dbt.materialization_table_spark()) }}
    {%- endif -%}
    {%- set target_relation = api.Relation.create(
        identifier=model['alias'], schema=schema, database=database, type='table') -%}
    {{ run_hooks(pre_hooks) }}
    {%- call statement('main', language='python') -%}
        {{ create_table_as(False, target_relation, compiled_code, 'python') }}
    {%- endcall -%}
    {% do persist_docs(target_relation, model) %}
    {{ run_hooks(post_hooks) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- Seeds on Spark: dbt-spark's session method puts each value between quotes as it is, so a
    value holding a quote (`Costa d'Avorio`) breaks the statement and an empty cell arrives as
    the text 'None'. Here each value is a literal of its own: null, a number, or text (between
    double quotes when it holds a single one; string literals are read raw, see
    cdp.spark.session). -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ _spark_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %},{% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{% macro _spark_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is number and value is not boolean -%}{{ value }}
    {%- elif value is boolean -%}{{ 'true' if value else 'false' }}
    {%- else -%}
        {%- set text = value | string -%}
        {%- if "'" not in text -%}'{{ text }}'
        {%- elif '"' not in text -%}"{{ text }}"
        {%- else -%}{{ exceptions.raise_compiler_error("a seed value holds both kinds of quote: " ~ text) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{# ---- Types ---- #}

{#- The type of a point in time, held in UTC. -#}
{% macro timestamptz() %}{{ return(adapter.dispatch('timestamptz', 'cdp')()) }}{% endmacro %}
{% macro default__timestamptz() %}timestamptz{% endmacro %}
{% macro spark__timestamptz() %}timestamp{% endmacro %}

{#- The models' contracts declare DuckDB's type names (varchar, timestamp with time zone,
    varchar[]); dbt checks a contract by casting nulls to them, which on Spark reads them as
    Spark's own names. -#}
{% macro spark__cast(field, type) %}cast({{ field }} as {{ spark_type(type) }}){% endmacro %}

{% macro spark_type(type) -%}
    {%- set name = type | trim | lower -%}
    {%- if name.endswith('[]') -%}array<{{ spark_type(name[:-2]) }}>
    {%- elif name in ('varchar', 'text', 'json', 'uuid') -%}string
    {%- elif name in ('timestamptz', 'timestamp with time zone') -%}timestamp
    {%- elif name == 'hugeint' -%}decimal(38, 0)
    {%- elif name == 'ubigint' -%}decimal(20, 0)
    {%- else -%}{{ name }}
    {%- endif -%}
{%- endmacro %}

{# ---- Joins ---- #}

{#- `left semi join`: the rows of the left side with a match on the right, once each. -#}
{% macro semi_join() %}{{ return(adapter.dispatch('semi_join', 'cdp')()) }}{% endmacro %}
{% macro default__semi_join() %}semi join{% endmacro %}
{% macro spark__semi_join() %}left semi join{% endmacro %}

{# ---- JSON ---- #}

{#- The text at a JSON path of a JSON text (null when absent). -#}
{% macro json_text(expression, path) %}{{ return(adapter.dispatch('json_text', 'cdp')(expression, path)) }}{% endmacro %}
{% macro default__json_text(expression, path) %}json_extract_string({{ expression }}, '{{ path }}'){% endmacro %}
{% macro spark__json_text(expression, path) %}get_json_object({{ expression }}, '{{ path }}'){% endmacro %}

{#- One row per element of a JSON array (each element as JSON text), in the select list. -#}
{% macro json_array_elements(expression) %}{{ return(adapter.dispatch('json_array_elements', 'cdp')(expression)) }}{% endmacro %}
{% macro default__json_array_elements(expression) %}unnest(cast({{ expression }} as json[])){% endmacro %}
{% macro spark__json_array_elements(expression) %}explode(from_json({{ expression }}, 'array<string>')){% endmacro %}

{#- One row per element of a JSON array, in the select list: its position from 1
    (`number_alias`) and the element as JSON text (`element_alias`). -#}
{% macro json_array_numbered(expression, number_alias, element_alias) %}{{ return(adapter.dispatch('json_array_numbered', 'cdp')(expression, number_alias, element_alias)) }}{% endmacro %}
{% macro default__json_array_numbered(expression, number_alias, element_alias) -%}
    generate_subscripts(cast({{ expression }} as json[]), 1) as {{ number_alias }},
    unnest(cast({{ expression }} as json[])) as {{ element_alias }}
{%- endmacro %}
{% macro spark__json_array_numbered(expression, number_alias, element_alias) -%}
    inline(transform(
        from_json({{ expression }}, 'array<string>'),
        (element, position) -> named_struct('{{ number_alias }}', position + 1, '{{ element_alias }}', element)
    ))
{%- endmacro %}

{# ---- Regular expressions ---- #}

{#- True when the regular expression matches somewhere in the text. -#}
{% macro regex_contains(expression, pattern) %}{{ return(adapter.dispatch('regex_contains', 'cdp')(expression, pattern)) }}{% endmacro %}
{% macro default__regex_contains(expression, pattern) %}regexp_matches({{ expression }}, {{ pattern }}){% endmacro %}
{% macro spark__regex_contains(expression, pattern) %}regexp_like({{ expression }}, {{ pattern }}){% endmacro %}

{#- True when the regular expression matches the whole text. -#}
{% macro regex_full_match(expression, pattern) %}{{ return(adapter.dispatch('regex_full_match', 'cdp')(expression, pattern)) }}{% endmacro %}
{% macro default__regex_full_match(expression, pattern) %}regexp_full_match({{ expression }}, {{ pattern }}){% endmacro %}
{% macro spark__regex_full_match(expression, pattern) %}regexp_like({{ expression }}, concat('^(?:', {{ pattern }}, ')$')){% endmacro %}

{#- Every match of the pattern replaced. -#}
{% macro regex_replace_all(expression, pattern, replacement) %}{{ return(adapter.dispatch('regex_replace_all', 'cdp')(expression, pattern, replacement)) }}{% endmacro %}
{% macro default__regex_replace_all(expression, pattern, replacement) %}regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g'){% endmacro %}
{% macro spark__regex_replace_all(expression, pattern, replacement) %}regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}){% endmacro %}

{#- The pieces of a text between the matches of a regular expression, as an array. -#}
{% macro split_regex(expression, pattern) %}{{ return(adapter.dispatch('split_regex', 'cdp')(expression, pattern)) }}{% endmacro %}
{% macro default__split_regex(expression, pattern) %}string_split_regex({{ expression }}, {{ pattern }}){% endmacro %}
{% macro spark__split_regex(expression, pattern) %}split({{ expression }}, {{ pattern }}){% endmacro %}

{#- How many times a regular expression matches in a text. -#}
{% macro count_matches(expression, pattern) %}{{ return(adapter.dispatch('count_matches', 'cdp')(expression, pattern)) }}{% endmacro %}
{% macro default__count_matches(expression, pattern) %}len(regexp_extract_all({{ expression }}, {{ pattern }})){% endmacro %}
{% macro spark__count_matches(expression, pattern) %}size(regexp_extract_all({{ expression }}, {{ pattern }}, 0)){% endmacro %}

{# ---- Arrays and structs ---- #}

{#- An array value from SQL literals or expressions. -#}
{% macro array_of(items) %}{{ return(adapter.dispatch('array_of', 'cdp')(items)) }}{% endmacro %}
{% macro default__array_of(items) %}[{{ items | join(', ') }}]{% endmacro %}
{% macro spark__array_of(items) %}array({{ items | join(', ') }}){% endmacro %}

{#- An array of text from SQL literals (an empty list gives an empty array of text). -#}
{% macro text_array(literals) %}{{ return(adapter.dispatch('text_array', 'cdp')(literals)) }}{% endmacro %}
{% macro default__text_array(literals) %}cast([{{ literals | join(', ') }}] as varchar[]){% endmacro %}
{% macro spark__text_array(literals) %}cast(array({{ literals | join(', ') }}) as array<string>){% endmacro %}

{#- An array of text from plain values (names without quotes, as the project's vars hold). -#}
{% macro text_array_of(values) -%}
    {%- set literals = [] -%}
    {%- for value in values -%}{%- do literals.append("'" ~ value ~ "'") -%}{%- endfor -%}
    {{ text_array(literals) }}
{%- endmacro %}

{#- The number of elements of an array. -#}
{% macro array_length(expression) %}{{ return(adapter.dispatch('array_length', 'cdp')(expression)) }}{% endmacro %}
{% macro default__array_length(expression) %}len({{ expression }}){% endmacro %}
{% macro spark__array_length(expression) %}size({{ expression }}){% endmacro %}

{#- One row per element of an array, in the select list. -#}
{% macro explode(expression) %}{{ return(adapter.dispatch('explode', 'cdp')(expression)) }}{% endmacro %}
{% macro default__explode(expression) %}unnest({{ expression }}){% endmacro %}
{% macro spark__explode(expression) %}explode({{ expression }}){% endmacro %}

{#- The elements of an array for which a condition on `element` holds. -#}
{% macro array_where(expression, condition) %}{{ return(adapter.dispatch('array_where', 'cdp')(expression, condition)) }}{% endmacro %}
{% macro default__array_where(expression, condition) %}list_filter({{ expression }}, lambda element: {{ condition }}){% endmacro %}
{% macro spark__array_where(expression, condition) %}filter({{ expression }}, element -> {{ condition }}){% endmacro %}

{#- True when two arrays share an element. -#}
{% macro arrays_overlap(left, right) %}{{ return(adapter.dispatch('arrays_overlap', 'cdp')(left, right)) }}{% endmacro %}
{% macro default__arrays_overlap(left, right) %}list_has_any({{ left }}, {{ right }}){% endmacro %}
{% macro spark__arrays_overlap(left, right) %}arrays_overlap({{ left }}, {{ right }}){% endmacro %}

{#- True when the first array holds every element of the second. -#}
{% macro array_contains_all(container, items) %}{{ return(adapter.dispatch('array_contains_all', 'cdp')(container, items)) }}{% endmacro %}
{% macro default__array_contains_all(container, items) %}list_has_all({{ container }}, {{ items }}){% endmacro %}
{% macro spark__array_contains_all(container, items) %}(size(array_except({{ items }}, {{ container }})) = 0){% endmacro %}

{#- An array's distinct elements in ascending order. -#}
{% macro array_sorted_distinct(expression) %}{{ return(adapter.dispatch('array_sorted_distinct', 'cdp')(expression)) }}{% endmacro %}
{% macro default__array_sorted_distinct(expression) %}list_sort(list_distinct({{ expression }})){% endmacro %}
{% macro spark__array_sorted_distinct(expression) %}array_sort(array_distinct({{ expression }})){% endmacro %}

{#- The sorted distinct values of an aggregate, as an array (null values left out). -#}
{% macro sorted_set_agg(expression) %}{{ return(adapter.dispatch('sorted_set_agg', 'cdp')(expression)) }}{% endmacro %}
{% macro default__sorted_set_agg(expression) %}list_sort(list_distinct(list({{ expression }}))){% endmacro %}
{% macro spark__sorted_set_agg(expression) %}array_sort(collect_set({{ expression }})){% endmacro %}

{#- One field of a struct value. -#}
{% macro struct_field(expression, name) %}{{ return(adapter.dispatch('struct_field', 'cdp')(expression, name)) }}{% endmacro %}
{% macro default__struct_field(expression, name) %}struct_extract({{ expression }}, '{{ name }}'){% endmacro %}
{% macro spark__struct_field(expression, name) %}{{ expression }}.{{ name }}{% endmacro %}

{# ---- Dates and numbers ---- #}

{#- From one date to another, as DuckDB's date_diff counts: `day` and `week` whole days and
    weeks, `month` the month boundaries crossed (January 31 to February 1 is one); a BIGINT. -#}
{% macro dates_diff(part, start, end) %}{{ return(adapter.dispatch('dates_diff', 'cdp')(part, start, end)) }}{% endmacro %}
{% macro default__dates_diff(part, start, end) %}date_diff('{{ part }}', {{ start }}, {{ end }}){% endmacro %}
{% macro spark__dates_diff(part, start, end) -%}
    {%- if part == 'day' -%}cast(datediff({{ end }}, {{ start }}) as bigint)
    {%- elif part == 'week' -%}cast(datediff({{ end }}, {{ start }}) div 7 as bigint)
    {%- elif part == 'month' -%}cast((year({{ end }}) - year({{ start }})) * 12 + month({{ end }}) - month({{ start }}) as bigint)
    {%- else -%}{{ exceptions.raise_compiler_error("dates_diff: no Spark form for " ~ part) }}
    {%- endif -%}
{%- endmacro %}

{#- A number of days, to add to or subtract from a date or time. -#}
{% macro days_interval(days) %}{{ return(adapter.dispatch('days_interval', 'cdp')(days)) }}{% endmacro %}
{% macro default__days_interval(days) %}to_days({{ days }}){% endmacro %}
{% macro spark__days_interval(days) %}make_dt_interval({{ days }}){% endmacro %}

{#- The earliest time an engine holds, for "before anything". -#}
{% macro beginning_of_time() %}{{ return(adapter.dispatch('beginning_of_time', 'cdp')()) }}{% endmacro %}
{% macro default__beginning_of_time() %}'-infinity'::timestamptz{% endmacro %}
{% macro spark__beginning_of_time() %}timestamp'1900-01-01 00:00:00'{% endmacro %}

{#- Integer division, truncated toward zero. -#}
{% macro int_div(dividend, divisor) %}{{ return(adapter.dispatch('int_div', 'cdp')(dividend, divisor)) }}{% endmacro %}
{% macro default__int_div(dividend, divisor) %}({{ dividend }}) // ({{ divisor }}){% endmacro %}
{% macro spark__int_div(dividend, divisor) %}({{ dividend }}) div ({{ divisor }}){% endmacro %}
