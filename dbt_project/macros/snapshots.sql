{#- The newest version of each record of a snapshot source, with `is_deleted` true when the
    newest snapshot no longer lists it (each snapshot export is the whole table as of its day).
    Versions are ranked as for deltas: by export date, then row number.

    In an incremental model (`staged_key` as for delta_latest; the model keeps the export date
    of its version as `last_seen_export_date`), a run works out again the records with a
    version loaded since (a new snapshot lists nearly all of them: each is ranked against the
    version the model keeps, not against every snapshot), those whose kept version left raw,
    and those whose `is_deleted` no longer agrees with the newest snapshot (listed before, not
    in the new one). -#}
{% macro snapshot_latest(relation, key, staged_key=none) %}
    {%- set outdated = none %}
    {%- if staged_key is not none %}
    {%- set outdated %}
        select trim(cast(kept.{{ staged_key }} as string))
        from {{ this }} as kept
        where kept.is_deleted <> (
            kept.last_seen_export_date < (
                select max(all_rows._export_date) from {{ relation }} as all_rows
            )
        )
    {%- endset %}
    {%- endif %}
    select
        latest.*,
        latest._export_date < (
            select max(all_rows._export_date) from {{ relation }} as all_rows
        ) as is_deleted
    from ({{ delta_latest(relation, key, staged_key=staged_key, also_rework=outdated) }}) as latest
{% endmacro %}
