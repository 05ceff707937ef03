{#- The newest version of each record of a delta source: by `version_column` (e.g. updated_at)
    when the source has one, then by export date and row number. Re-sent and overlapping
    deliveries of the same record collapse to one row. `key` is one column or a list of
    columns (a compound key); rows with an empty key part are left out.

    In an incremental model, `staged_key` names the model's columns that hold the key (one per
    key column, in the same order), and only the records a run touches are worked out again:
    - those with a version loaded since the model last ran (new, changed, late or re-sent):
      their new versions are ranked against the version the model keeps, read back from raw
      through the model's lineage columns (source_file, source_row_number). The kept version
      won over every older one when it was chosen, so their history is not read again;
    - those whose kept version left raw (an erasure, the retention purge, a file delivered
      again): `forget_rows_gone_from`, the model's pre-hook, removes it before the run and
      keeps it in view as `gone_rows(this)`. These, and the records whose kept version sits
      in a file loaded again, are worked out from every version raw holds, as a full rebuild
      would;
    - `also_rework`, SQL selecting more keys of `relation` (as text, trimmed, one column per
      key column): the records a change elsewhere touches (a line whose order changed), also
      from every version raw holds.
    The model then replaces those keys (delete+insert on its unique key). With
    `ignore_key_case`, keys that differ only in letter case are one record (a model that
    stages its key in lower case, as the site events' UUIDs: two such versions would otherwise
    be two rows of one key). -#}
{% macro delta_latest(relation, key, version_column=none, staged_key=none, also_rework=none, ignore_key_case=false) %}
    {%- set key_columns = [key] if key is string else key %}
    {%- set rework = staged_key is not none and is_incremental() %}
    {#- The versions are ranked on their lineage alone (a raw row is one file's one record:
        the loader deletes a file's rows before it loads the file again), then the winning
        rows are read whole. Ranking the whole rows sorted every column of every version:
        at a million persons, 78 s instead of 50 s for the site events. A row without a
        file name has no lineage and is left out: the loader names every row's file, and
        dbt's unit tests give their rows one. #}
    select delta_rows.*
    from {{ relation }} as delta_rows
    {{ semi_join() }} (
        select ranked._source_file, ranked._row_number
        from (
            select
                candidates._source_file,
                candidates._row_number,
                row_number() over (
                    partition by
                        {%- for column in key_columns %}
                        candidates._key_{{ loop.index }}{% if not loop.last %},{% endif %}
                        {%- endfor %}
                    order by
                        {%- if version_column %} candidates._version desc nulls last,{% endif %}
                        candidates._export_date desc,
                        candidates._row_number desc
                ) as version_rank
            from (
                {%- if not rework %}
                {{ _delta_versions(relation, key_columns, version_column, ignore_key_case) }}
                {%- else %}
                {%- set staged_columns = [staged_key] if staged_key is string else staged_key %}
                {#- the versions loaded since the model last ran #}
                {{ _delta_versions(relation, key_columns, version_column, ignore_key_case,
                    where=loaded_since_last_run('versions._loaded_at')) }}
                union
                {#- the versions the model keeps of the records those touch #}
                {{ _delta_versions(relation, key_columns, version_column, ignore_key_case,
                    join=_delta_kept_versions(relation, key_columns, staged_columns, ignore_key_case),
                    keyed_only=false) }}
                union
                {#- every version of the records worked out from all of raw #}
                {{ _delta_versions(relation, key_columns, version_column, ignore_key_case,
                    where='(' ~ _delta_key('versions', key_columns, ignore_key_case) ~ ') in ('
                        ~ _delta_keys_from_history(relation, key_columns, staged_columns, ignore_key_case, also_rework)
                        ~ ')',
                    keyed_only=false) }}
                {%- endif %}
            ) as candidates
        ) as ranked
        where ranked.version_rank = 1
    ) as winners
        on delta_rows._source_file = winners._source_file
        and delta_rows._row_number = winners._row_number
{% endmacro %}

{#- The versions of `relation` (each key part as `_key_<n>`), their lineage and what they are
    ranked by; `join` (SQL joining `versions`) and `where` narrow them. `keyed_only` leaves out
    the rows with an empty key part: a caller that matches keys already filled passes false,
    since DuckDB tests that condition on every row of raw before a join can narrow them (at a
    million persons, 6-9 s for the site events where the join alone takes 0.6 s). -#}
{% macro _delta_versions(relation, key_columns, version_column, ignore_case, join=none, where=none, keyed_only=true) %}
                select
                    versions._source_file,
                    versions._row_number,
                    {%- for part in _delta_key_parts('versions', key_columns, ignore_case) %}
                    {{ part }} as _key_{{ loop.index }},
                    {%- endfor %}
                    {%- if version_column %}
                    versions.{{ version_column }} as _version,
                    {%- endif %}
                    versions._export_date
                from {{ relation }} as versions
                {%- if join %}
                {{ join }}
                {%- endif %}
                where
                    {%- if keyed_only %}
                    {%- for column in key_columns %}
                    nullif(trim(cast(versions.{{ column }} as string)), '') is not null and
                    {%- endfor %}
                    {%- endif %}
                    {{ where or 'true' }}
{% endmacro %}

{#- A semi join of raw `versions` to the rows the model keeps of the records with a version
    loaded since it last ran, through the model's lineage. -#}
{% macro _delta_kept_versions(relation, key_columns, staged_columns, ignore_case) -%}
    semi join (
                    select kept.source_file, kept.source_row_number
                    from {{ this }} as kept
                    where (
                        {%- for column in staged_columns %}
                        cast(kept.{{ column }} as string){% if not loop.last %},{% endif %}
                        {%- endfor %}
                    ) in (
                        select {{ _delta_key('new_versions', key_columns, ignore_case) }}
                        from {{ relation }} as new_versions
                        where {{ loaded_since_last_run('new_versions._loaded_at') }}
                    )
                    {#- a kept row in a file loaded again is read from all of raw (the row at its
                        lineage may now be another record's) #}
                    and kept.source_file not in ({{ _delta_files_loaded_since(relation) }})
                ) as kept
                    on versions._source_file = kept.source_file
                    and versions._row_number = kept.source_row_number
{%- endmacro %}

{#- A delta key as text, the form records are grouped by (in lower case with `ignore_case`):
    one SQL expression per key column. -#}
{% macro _delta_key_parts(alias, key_columns, ignore_case=false) -%}
    {%- set parts = [] -%}
    {%- for column in key_columns -%}
    {%- set text = 'trim(cast(' ~ alias ~ '.' ~ column ~ ' as string))' -%}
    {%- do parts.append('lower(' ~ text ~ ')' if ignore_case else text) -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{#- The same, as one comma-separated list. -#}
{% macro _delta_key(alias, key_columns, ignore_case=false) -%}
    {{ _delta_key_parts(alias, key_columns, ignore_case) | join(', ') }}
{%- endmacro %}

{#- The keys of the records worked out from every version in raw, each part filled: those
    whose kept version forget_rows_gone_from removed in this run (none left: the record is
    gone), those whose kept version is in a file loaded again since the model last ran, and
    those `also_rework` selects. -#}
{% macro _delta_keys_from_history(relation, key_columns, staged_columns, ignore_case=false, also_rework=none) %}
    select history_keys.*
    from (
        select
            {%- for column in staged_columns %}
            cast(gone.{{ column }} as string){% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ gone_rows(this) }} as gone
        union
        select
            {%- for column in staged_columns %}
            cast(reloaded.{{ column }} as string){% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ this }} as reloaded
        where reloaded.source_file in ({{ _delta_files_loaded_since(relation) }})
        {%- if also_rework %}
        union
        {{ also_rework }}
        {%- endif %}
    ) as history_keys (
        {%- for column in key_columns %}_key_{{ loop.index }}{% if not loop.last %}, {% endif %}{% endfor -%}
    )
    {#- (`<> ''` rather than nullif: DuckDB carries a nullif test across the join to every
        row of raw) #}
    where
        {%- for column in key_columns %}
        history_keys._key_{{ loop.index }} <> ''
        {%- if not loop.last %} and{% endif %}
        {%- endfor %}
{% endmacro %}

{#- The files of `relation` with rows loaded since the model last ran. -#}
{% macro _delta_files_loaded_since(relation) -%}
    select new_versions._source_file
    from {{ relation }} as new_versions
    where {{ loaded_since_last_run('new_versions._loaded_at') }}
{%- endmacro %}
