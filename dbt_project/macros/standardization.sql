{#- Counts for the standardization report: for one rule applied to one column of a staging
    model, how many of the raw values were empty, left as they were, fixed (changed into the
    standard form) or flagged (could not be standardized and kept as written). The staging row
    is joined back to the raw row it came from through its lineage (source_file,
    source_row_number), so the raw value is the one exactly as delivered. `where` limits the
    rule to the staged rows it applies to. -#}
{% macro standardization_counts(model, raw, source_name, entity, rule, raw_value, standardized, flagged, where=none) %}
    select
        '{{ source_name }}' as source_name,
        '{{ entity }}' as entity,
        '{{ rule }}' as rule,
        '{{ standardized }}' as column_name,
        count(*) as records,
        count(*) filter (where values_compared.raw_value is null) as empty_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is not distinct from values_compared.raw_value
        ) as unchanged_values,
        count(*) filter (
            where values_compared.raw_value is not null and not values_compared.is_flagged
                and values_compared.standardized_value is distinct from values_compared.raw_value
        ) as fixed_values,
        count(*) filter (
            where values_compared.raw_value is not null and values_compared.is_flagged
        ) as flagged_values
    from (
        select
            nullif(cast(raw_rows.{{ raw_value }} as varchar), '') as raw_value,
            cast(staged.{{ standardized }} as varchar) as standardized_value,
            coalesce({{ flagged }}, false) as is_flagged
        from {{ model }} as staged
        inner join {{ raw }} as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as values_compared
{% endmacro %}
