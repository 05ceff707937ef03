{#- The newest version of each record of a snapshot source, with `is_deleted` true when the
    newest snapshot no longer lists it (each snapshot export is the whole table as of its day). -#}
{% macro snapshot_latest(relation, key) %}
    select
        versions.*,
        versions._export_date < (
            select max(all_rows._export_date) from {{ relation }} as all_rows
        ) as is_deleted
    from (
        select
            snapshot_rows.*,
            row_number() over (
                partition by trim(cast(snapshot_rows.{{ key }} as varchar))
                order by snapshot_rows._export_date desc, snapshot_rows._row_number desc
            ) as version_rank
        from {{ relation }} as snapshot_rows
        where nullif(trim(cast(snapshot_rows.{{ key }} as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1
{% endmacro %}
