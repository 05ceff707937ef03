{#- The newest version of each record of a delta source: by `version_column` (e.g. updated_at)
    when the source has one, then by export date and row number. Re-sent and overlapping
    deliveries of the same record collapse to one row. `key` is one column or a list of
    columns (a compound key); rows with an empty key part are left out.

    In an incremental model, `staged_key` names the model's columns that hold the key (one per
    key column, in the same order), and only the records a run touches are worked out again:
    - those with a version loaded since the model last ran (new, changed, late or re-sent):
      ranked among those versions and the version the model keeps, which won over every
      version loaded before (so a snapshot source, whose every record comes back each day,
      ranks a day's rows rather than all its history);
    - those whose kept version left raw (an erasure, the retention purge, a file delivered
      again): `forget_rows_gone_from`, the model's pre-hook, removes it before the run and
      keeps it in view as `gone_rows(this)`; they are ranked among all their versions in raw;
    - `also_rework`, SQL selecting more keys of `relation` (as text, trimmed, one column per
      key column): the records a change elsewhere touches (a line whose order changed),
      ranked among all their versions too.
    The model then replaces those keys (delete+insert on its unique key). -#}
{% macro delta_latest(relation, key, version_column=none, staged_key=none, also_rework=none) %}
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
                versions._source_file,
                versions._row_number,
                row_number() over (
                    partition by {{ _delta_key('versions', key_columns) }}
                    order by
                        {%- if version_column %} versions.{{ version_column }} desc nulls last,{% endif %}
                        versions._export_date desc,
                        versions._row_number desc
                ) as version_rank
            from {{ relation }} as versions
            where
                {%- for column in key_columns %}
                nullif(trim(cast(versions.{{ column }} as string)), '') is not null
                {%- if not loop.last %} and{% endif %}
                {%- endfor %}
                {%- if rework %}
                and (versions._source_file, versions._row_number) in (
                    {{ _delta_versions_to_rank(relation, key_columns, [staged_key] if staged_key is string else staged_key, also_rework) }}
                )
                {%- endif %}
        ) as ranked
        where ranked.version_rank = 1
    ) as winners
        on delta_rows._source_file = winners._source_file
        and delta_rows._row_number = winners._row_number
{% endmacro %}

{#- A delta key as text, the form records are grouped by. -#}
{% macro _delta_key(alias, key_columns) -%}
    {%- for column in key_columns -%}
    trim(cast({{ alias }}.{{ column }} as string)){% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}

{#- The lineage of the versions an incremental run ranks (see delta_latest). -#}
{% macro _delta_versions_to_rank(relation, key_columns, staged_columns, also_rework) %}
    {%- set last_seen = '(select ' ~ _last_load_seen() ~ ' from ' ~ this ~ ' as seen)' %}
    select new_versions._source_file, new_versions._row_number
    from {{ relation }} as new_versions
    where new_versions._loaded_at > {{ last_seen }}
    union
    {#- the version kept of each record with a version loaded since #}
    select kept.source_file, kept.source_row_number
    from {{ this }} as kept
    where (
        {%- for column in staged_columns %}
        cast(kept.{{ column }} as string){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) in (
        select {{ _delta_key('touched', key_columns) }}
        from {{ relation }} as touched
        where touched._loaded_at > {{ last_seen }}
    )
    union
    {#- every version of the records whose kept version forget_rows_gone_from removed in this
        run (none left: the record is gone), and of those `also_rework` names #}
    select whole._source_file, whole._row_number
    from {{ relation }} as whole
    where ({{ _delta_key('whole', key_columns) }}) in (
        select
            {%- for column in staged_columns %}
            cast(gone.{{ column }} as string){% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ gone_rows(this) }} as gone
        {%- if also_rework %}
        union
        {{ also_rework }}
        {%- endif %}
    )
{% endmacro %}
