{#- The newest version of each record of a delta source: by `version_column` (e.g. updated_at)
    when the source has one, then by export date and row number. Re-sent and overlapping
    deliveries of the same record collapse to one row. `key` is one column or a list of
    columns (a compound key); rows with an empty key part are left out. -#}
{% macro delta_latest(relation, key, version_column=none) %}
    {%- set key_columns = [key] if key is string else key %}
    select versions.*
    from (
        select
            delta_rows.*,
            row_number() over (
                partition by
                    {%- for column in key_columns %}
                    trim(cast(delta_rows.{{ column }} as varchar)){% if not loop.last %},{% endif %}
                    {%- endfor %}
                order by
                    {%- if version_column %} delta_rows.{{ version_column }} desc nulls last,{% endif %}
                    delta_rows._export_date desc,
                    delta_rows._row_number desc
            ) as version_rank
        from {{ relation }} as delta_rows
        where
            {%- for column in key_columns %}
            nullif(trim(cast(delta_rows.{{ column }} as varchar)), '') is not null
            {%- if not loop.last %} and{% endif %}
            {%- endfor %}
    ) as versions
    where versions.version_rank = 1
{% endmacro %}
