-- Rows of an incremental model whose upstream row is gone: an erasure or the retention purge
-- deleted it from raw, a file delivered again replaced it, or staging took another copy of the
-- record. Removed before the run; `matches` maps each upstream column to the column of this
-- model that must equal it (the lineage columns, and the key where the upstream keeps one row
-- per key); by default a raw row's file and row number, as a staging model keeps them. A
-- pre-hook; on a first build or a full refresh it does nothing.
--
-- Only the files that can have lost a row since the model last ran are looked at, when the
-- rows come from raw table `raw` (by default `upstream` itself when it is a raw table): those
-- raw._removed_rows logs a removal from (every erasure and retention purge writes it) and
-- those with rows loaded since (a file delivered again replaces its rows). "Since" is the
-- newest load the model holds a row of (its `loaded_at`). Without `raw`, every row is looked
-- at. The rows it forgets stay in view for
-- the rest of the run as the temporary table `gone_rows(this)`, for the model to build their
-- records again from what its upstream still holds.
{% macro forget_rows_gone_from(upstream, matches=none, raw=none) %}
    {%- set matches = matches or {'_source_file': 'source_file', '_row_number': 'source_row_number'} %}
    {%- set raw = raw or (upstream if upstream.schema == 'raw' else none) %}
    {%- if is_incremental() %}
        {%- set upstream_file_column = '_source_file' if '_source_file' in matches else 'source_file' %}
        {%- set file_column = matches[upstream_file_column] %}
        create or replace temp table {{ gone_rows(this) }} as
        with
        {%- if raw is not none %}
        candidate_files as (
            select removed.source_file
            from raw._removed_rows as removed
            where
                removed.relation = 'raw.{{ raw.identifier }}'
                and {{ loaded_since_last_run('removed.removed_at') }}
            union
            select reloaded._source_file
            from {{ raw }} as reloaded
            where {{ loaded_since_last_run('reloaded._loaded_at') }}
        ),
        {%- endif %}
        -- the matched columns alone on both sides, each side cut to the candidate files
        -- before the anti join: a day's erasure touches rows in most files, and the kept
        -- rows' other columns are read only for the few that are gone (the model's rows in
        -- full, anti-joined: 15 s for the site events at a million persons, on a cold file)
        gone_keys as (
            select {% for kept_column in matches.values() %}kept.{{ kept_column }}{% if not loop.last %}, {% endif %}{% endfor %}
            from {{ this }} as kept
            anti join (
                select {% for upstream_column in matches.keys() %}upstream_rows.{{ upstream_column }}{% if not loop.last %}, {% endif %}{% endfor %}
                from {{ upstream }} as upstream_rows
                {%- if raw is not none %}
                where upstream_rows.{{ upstream_file_column }} in (select source_file from candidate_files)
                {%- endif %}
            ) as upstream_rows
                on
                {%- for upstream_column, kept_column in matches.items() %}
                {% if not loop.first %}and {% endif -%}
                upstream_rows.{{ upstream_column }} = kept.{{ kept_column }}
                {%- endfor %}
            {%- if raw is not none %}
            where kept.{{ file_column }} in (select source_file from candidate_files)
            {%- endif %}
        )
        select kept.*
        from {{ this }} as kept
        semi join gone_keys
            on
            {%- for kept_column in matches.values() %}
            {% if not loop.first %}and {% endif -%}
            gone_keys.{{ kept_column }} = kept.{{ kept_column }}
            {%- endfor %};
        delete from {{ this }} as kept
        where (
            {%- for kept_column in matches.values() %}kept.{{ kept_column }}{% if not loop.last %}, {% endif %}{% endfor -%}
        ) in (select {{ matches.values() | join(', ') }} from {{ gone_rows(this) }})
    {%- endif %}
{% endmacro %}

{#- The temporary table of the rows forget_rows_gone_from removed from `model` in this run. -#}
{% macro gone_rows(model) -%}
    _gone_rows__{{ model.identifier }}
{%- endmacro %}

{#- The newest load an incremental model over raw holds a row of (its rows carry their raw
    row's loaded_at, aliased `seen`); before any, the beginning of time. -#}
{% macro _last_load_seen() -%}
    coalesce(max(seen.loaded_at), {{ beginning_of_time() }})
{%- endmacro %}

{#- `column` (a load time) is later than the newest load the incremental model holds. -#}
{% macro loaded_since_last_run(column) -%}
    {{ column }} > (select {{ _last_load_seen() }} from {{ this }} as seen)
{%- endmacro %}

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
