{#- The newest version of each record of a delta source: by `version_column` (e.g. updated_at)
    when the source has one, then by export date and row number. Re-sent and overlapping
    deliveries of the same record collapse to one row. -#}
{% macro delta_latest(relation, key, version_column=none) %}
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by trim(cast(delta_rows.{{ key }} as varchar))
                order by
                    {%- if version_column %} delta_rows.{{ version_column }} desc nulls last,{% endif %}
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from {{ relation }} as delta_rows
        where nullif(trim(cast(delta_rows.{{ key }} as varchar)), '') is not null
    ) as versions
    where versions.version_rank = 1
{% endmacro %}
