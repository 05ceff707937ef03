-- Per source, entity and rule: how many values the staging layer found empty, left unchanged,
-- fixed into the standard form, or flagged (kept as written because no rule could read them).
-- The rules are those of the macro standardization_rules; the counts are the sums of
-- standardization_counts_by_file, which counts them file by file. A rule whose staging model
-- holds no row shows zeros.
with

rules as (

    {{ standardization_rules_listed() }}

),

counts as (

    select
        source_name,
        entity,
        rule,
        column_name,
        cast(sum(records) as bigint) as records,
        cast(sum(empty_values) as bigint) as empty_values,
        cast(sum(unchanged_values) as bigint) as unchanged_values,
        cast(sum(fixed_values) as bigint) as fixed_values,
        cast(sum(flagged_values) as bigint) as flagged_values
    from {{ ref('standardization_counts_by_file') }}
    group by source_name, entity, rule, column_name

),

report as (

    select
        rules.source_name,
        rules.entity,
        rules.rule,
        rules.column_name,
        coalesce(counts.records, 0) as records,
        coalesce(counts.empty_values, 0) as empty_values,
        coalesce(counts.unchanged_values, 0) as unchanged_values,
        coalesce(counts.fixed_values, 0) as fixed_values,
        coalesce(counts.flagged_values, 0) as flagged_values,
        round(
            100.0 * counts.flagged_values / nullif(counts.records - counts.empty_values, 0), 2
        ) as flagged_percent
    from rules
    left join counts
        on
            rules.source_name = counts.source_name
            and rules.entity = counts.entity
            and rules.rule = counts.rule
            and rules.column_name = counts.column_name

)

select * from report
