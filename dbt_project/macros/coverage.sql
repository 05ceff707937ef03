{#- One row of marts.source_coverage: what staging model `model` holds of source `source`,
    entity `entity`: its records, the days its own time `activity_at` spans, and the export
    days its records came from (`export_date`, or `last_seen_export_date` for a snapshot). -#}
{% macro source_coverage_row(model, source, entity, activity_at, export_date='export_date') %}
    select
        '{{ source }}' as source,
        '{{ entity }}' as entity,
        '{{ model.identifier }}' as staging_model,
        count(*) as record_count,
        '{{ activity_at }}' as activity_column,
        min(cast(covered.{{ activity_at }} as date)) as first_activity_on,
        max(cast(covered.{{ activity_at }} as date)) as last_activity_on,
        min(covered.{{ export_date }}) as first_export_date,
        max(covered.{{ export_date }}) as last_export_date
    from {{ model }} as covered
{% endmacro %}
