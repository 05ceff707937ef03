{#- Counts for the standardization report: for one rule applied to one column of a staging
    model, how many of the raw values were empty, left as they were, fixed (changed into the
    standard form) or flagged (could not be standardized and kept as written). A staged row
    is joined back to the raw row it came from through its lineage (source_file,
    source_row_number), so the raw value is the one exactly as delivered; only the raw rows
    whose value is filled are joined, and the others are counted as empty, since every staged
    row is a raw row's. A column that is mostly empty (an event's e-mail) then costs a scan of
    its few filled rows, not a join of every event. `where` limits the rule to the staged rows
    it applies to. -#}
{% macro standardization_counts(model, raw, source_name, entity, rule, raw_value, standardized, flagged, where=none) %}
    select
        '{{ source_name }}' as source_name,
        '{{ entity }}' as entity,
        '{{ rule }}' as rule,
        '{{ standardized }}' as column_name,
        staged_rows.records,
        staged_rows.records - count(filled.raw_value) as empty_values,
        count(*) filter (
            where not filled.is_flagged
                and filled.standardized_value is not distinct from filled.raw_value
        ) as unchanged_values,
        count(*) filter (
            where not filled.is_flagged
                and filled.standardized_value is distinct from filled.raw_value
        ) as fixed_values,
        count(*) filter (where filled.is_flagged) as flagged_values
    from (
        select count(*) as records
        from {{ model }} as staged
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as staged_rows
    left join (
        select
            raw_rows.raw_value,
            cast(staged.{{ standardized }} as string) as standardized_value,
            coalesce({{ flagged }}, false) as is_flagged
        from {{ model }} as staged
        inner join (
            select
                _source_file,
                _row_number,
                nullif(cast({{ raw_value }} as string), '') as raw_value
            from {{ raw }}
            where nullif(cast({{ raw_value }} as string), '') is not null
        ) as raw_rows
            on staged.source_file = raw_rows._source_file
            and staged.source_row_number = raw_rows._row_number
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as filled on true
    group by staged_rows.records
{% endmacro %}
