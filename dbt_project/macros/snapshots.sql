{#- The newest version of each record of a snapshot source, with `is_deleted` true when the
    newest snapshot no longer lists it (each snapshot export is the whole table as of its day).
    Versions are ranked as for deltas: by export date, then row number. -#}
{% macro snapshot_latest(relation, key) %}
    select
        latest.*,
        latest._export_date < (
            select max(all_rows._export_date) from {{ relation }} as all_rows
        ) as is_deleted
    from ({{ delta_latest(relation, key) }}) as latest
{% endmacro %}
