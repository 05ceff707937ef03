-- Rows of an incremental staging model whose raw row has left raw (an erasure or the retention
-- purge deleted it): removed before the run, matched on the lineage columns. A pre-hook; on a
-- first build or a full refresh it does nothing.
{% macro forget_rows_gone_from_raw(raw_relation) %}
    {%- if is_incremental() %}
        delete from {{ this }} as kept
        where not exists (
            select 1
            from {{ raw_relation }} as raw_rows
            where
                raw_rows._source_file = kept.source_file
                and raw_rows._row_number = kept.source_row_number
        )
    {%- endif %}
{% endmacro %}

-- Rows of an incremental model built on an incremental staging model whose staged version is
-- gone: the record left staging (erased, past retention) or was staged again from another copy.
-- Matched on the key and the lineage columns; a pre-hook, which does nothing on a first build
-- or a full refresh.
{% macro forget_rows_restaged(staged_relation, key) %}
    {%- if is_incremental() %}
        delete from {{ this }} as kept
        where not exists (
            select 1
            from {{ staged_relation }} as staged
            where
                staged.{{ key }} = kept.{{ key }}
                and staged.source_file = kept.source_file
                and staged.source_row_number = kept.source_row_number
        )
    {%- endif %}
{% endmacro %}
