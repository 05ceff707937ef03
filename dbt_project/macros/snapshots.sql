{#- The newest version of each record of a snapshot source, with `is_deleted` true when the
    newest snapshot no longer lists it (each snapshot export is the whole table as of its day).
    Versions are ranked as for deltas: by export date, then row number. In an incremental model
    (`staged_key` as for delta_latest) a run ranks only the records of the snapshots loaded
    since, and the post-hook `snapshot_deletions_marked` marks the kept records that the
    newest snapshot no longer lists. -#}
{% macro snapshot_latest(relation, key, staged_key=none) %}
    select
        latest.*,
        latest._export_date < (
            select max(all_rows._export_date) from {{ relation }} as all_rows
        ) as is_deleted
    from ({{ delta_latest(relation, key, staged_key=staged_key) }}) as latest
{% endmacro %}

{#- A post-hook of an incremental snapshot model: `is_deleted` of every row set again against
    the newest snapshot in raw (`relation`), as a full rebuild sets it; only the rows whose flag
    changes are written. -#}
{% macro snapshot_deletions_marked(relation, export_date='last_seen_export_date') %}
    {%- if is_incremental() %}
    update {{ this }} as kept
    set is_deleted = kept.{{ export_date }} < newest.export_date
    from (select max(all_rows._export_date) as export_date from {{ relation }} as all_rows) as newest
    where kept.is_deleted is distinct from (kept.{{ export_date }} < newest.export_date)
    {%- endif %}
{% endmacro %}
