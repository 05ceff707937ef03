{#- The newest version of each record of a delta source: by `version_column` (e.g. updated_at)
    when the source has one, then by export date and row number. Re-sent and overlapping
    deliveries of the same record collapse to one row. `key` is one column or a list of
    columns (a compound key); rows with an empty key part are left out.

    In an incremental model, `staged_key` names the model's columns that hold the key (one per
    key column, in the same order), and only the records a run touches are worked out again,
    each from all its versions in raw, as a full rebuild would:
    - those with a version loaded since the model last ran (new, changed, late or re-sent);
    - those whose kept version left raw (an erasure, the retention purge, a file delivered
      again): `forget_rows_gone_from`, the model's pre-hook, removes it before the run and
      keeps it in view as `gone_rows(this)`.
    The model then replaces those keys (delete+insert on its unique key). `also_rework`, SQL
    selecting more keys of `relation` (as text, trimmed, one column per key column), adds the
    records a change elsewhere touches (a line whose order changed). With `ignore_key_case`,
    keys that differ only in letter case are one record (a model that stages its key in lower
    case, as the site events' UUIDs: two such versions would otherwise be two rows of one key). -#}
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
                versions._source_file,
                versions._row_number,
                row_number() over (
                    partition by {{ _delta_key('versions', key_columns, ignore_key_case) }}
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
                and ({{ _delta_key('versions', key_columns, ignore_key_case) }}) in (
                    {{ _delta_keys_to_rework(relation, key_columns, [staged_key] if staged_key is string else staged_key, ignore_key_case) }}
                    {%- if also_rework %}
                    union
                    {{ also_rework }}
                    {%- endif %}
                )
                {%- endif %}
        ) as ranked
        where ranked.version_rank = 1
    ) as winners
        on delta_rows._source_file = winners._source_file
        and delta_rows._row_number = winners._row_number
{% endmacro %}

{#- A delta key as text, the form records are grouped by (in lower case with `ignore_case`). -#}
{% macro _delta_key(alias, key_columns, ignore_case=false) -%}
    {%- for column in key_columns -%}
    {%- set text = 'trim(cast(' ~ alias ~ '.' ~ column ~ ' as string))' -%}
    {{ 'lower(' ~ text ~ ')' if ignore_case else text }}{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}

{% macro _delta_keys_to_rework(relation, key_columns, staged_columns, ignore_case=false) %}
    select {{ _delta_key('new_versions', key_columns, ignore_case) }}
    from {{ relation }} as new_versions
    where new_versions._loaded_at > (select {{ _last_load_seen() }} from {{ this }} as seen)
    union
    {#- the records whose kept version forget_rows_gone_from removed in this run: built again
        from the versions raw still holds (none left: the record is gone) #}
    select
        {%- for column in staged_columns %}
        cast(gone.{{ column }} as string){% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ gone_rows(this) }} as gone
{% endmacro %}
